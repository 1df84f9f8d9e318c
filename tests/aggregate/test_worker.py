"""The worker: due sources load as their creator, failures are recorded with the reason and never
stop the other sources, ``huitong worker --once`` for cron, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from huitong.access import SYSTEM
from huitong.aggregate import registry
from huitong.aggregate.tables import LoadRun
from huitong.aggregate.worker import run_due
from huitong.ledger.events import entries_for
from huitong.org import service as org
from tests.aggregate.flow import add_source, backdate, cli, make_flow

DAILY = "0 2 * * *"


@pytest.fixture
def flow(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path)
    yield f
    f.store.close()


def test_due_sources_load_and_broken_ones_are_recorded_without_stopping_the_rest(flow):
    world, code = flow.world, flow.code
    # "broken" (its file is gone) sorts before "good", "nomap" (never mapped) after it
    gone = flow.tmp / "gone.csv"
    gone.write_bytes(flow.export.read_bytes())
    add_source(world, "broken", code, gone, schedule=DAILY)
    gone.unlink()
    add_source(world, "good", code, flow.export, schedule=DAILY)
    add_source(world, "nomap", code, flow.export, schedule=DAILY, mapped=False)
    for name in ("broken", "good", "nomap"):
        backdate(world, name)
    # "hj" has no schedule: the worker leaves it alone

    outcomes = {o.source: o for o in run_due(world.db, flow.store)}
    assert set(outcomes) == {"broken", "good", "nomap"}
    assert outcomes["good"].status == "loaded"
    assert outcomes["broken"].status == "failed" and "gone.csv" in outcomes["broken"].message
    assert outcomes["nomap"].status == "failed" and "no confirmed mapping" in outcomes["nomap"].message
    assert len(flow.store.read(code)) == 4

    with world.db.session() as s:
        runs = {r.id: r for r in s.scalars(select(LoadRun))}
        for o in outcomes.values():
            run = runs[o.load_id]
            assert run.status == o.status and run.actor_name == "ga" and run.finished_at is not None
        assert runs[outcomes["nomap"].load_id].message.startswith("source nomap has no confirmed mapping")
        assert "gone.csv" in runs[outcomes["broken"].load_id].message
        loads = [e for e in entries_for(s, "resource", code) if e.action == "aggregate.load"]
        assert sorted(e.result for e in loads) == ["failed", "failed", "ok"]
        assert all(e.actor_name == "ga" for e in loads)

    assert run_due(world.db, flow.store) == []  # nothing is due again until tomorrow's 2 a.m.
    tomorrow = datetime.now(UTC) + timedelta(days=1, hours=1)
    assert {o.source for o in run_due(world.db, flow.store, tomorrow)} == {"broken", "good", "nomap"}


def test_a_disabled_or_demoted_creator_makes_the_scheduled_load_fail_with_the_reason(flow):
    world = flow.world
    with world.db.session() as s:
        registry.set_schedule(s, world.actor("ga"), "hj", DAILY)
    backdate(world, "hj")
    with world.db.session() as s:
        org.set_active(s, SYSTEM, "ga", False)
    [out] = run_due(world.db, flow.store)
    assert out.status == "failed" and out.message == "user ga, who added source hj, is disabled"

    with world.db.session() as s:
        org.set_active(s, SYSTEM, "ga", True)
        org.set_roles(s, SYSTEM, "ga", ["dept_user"])
    later = datetime.now(UTC) + timedelta(days=1, hours=1)
    [out] = run_due(world.db, flow.store, later)
    assert out.status == "failed" and "ga may not aggregate.manage" in out.message
    assert not flow.store.exists(flow.code) or flow.store.versions(flow.code) == []
    with world.db.session() as s:
        failed = s.scalars(select(LoadRun).where(LoadRun.status == "failed").order_by(LoadRun.id)).all()
        assert [r.message for r in failed] == [
            "user ga, who added source hj, is disabled",
            out.message,
        ]


def test_schedule_and_worker_once_from_the_command_line(flow, monkeypatch, test_database):
    run = cli(monkeypatch, test_database, flow.tmp)
    r = run("--as", "ga", "source", "schedule", "hj", "61 * * * *")
    assert r.exit_code == 1 and "not a cron expression" in r.output
    r = run("--as", "mz", "source", "schedule", "hj", DAILY)
    assert r.exit_code == 1 and "may not aggregate.manage" in r.output
    r = run("--as", "ga", "source", "schedule", "hj", DAILY)
    assert r.exit_code == 0 and "next run" in r.output and "02:00" in r.output, r.output
    r = run("source", "list")
    assert DAILY in r.output and "02:00" in r.output and "Asia/Shanghai" in r.output

    r = run("worker", "--once")
    assert r.exit_code == 0 and "no source is due" in r.output
    backdate(flow.world, "hj")
    r = run("worker", "--once")
    assert r.exit_code == 0 and "hj: load 1 loaded" in r.output, r.output
    r = run("worker", "--once")
    assert "no source is due" in r.output
    r = run("--as", "ga", "ingest", "history", flow.code)
    assert "loaded" in r.output and "ga" in r.output

    r = run("--as", "ga", "source", "schedule", "hj", "")
    assert r.exit_code == 0 and "not scheduled" in r.output

    add_source(flow.world, "nomap", flow.code, flow.export, schedule=DAILY, mapped=False)
    backdate(flow.world, "nomap")
    r = run("worker", "--once")  # a failure makes a non-zero exit, for cron's mail
    assert r.exit_code == 1 and "nomap: load 2 failed: source nomap has no confirmed mapping" in r.output


def test_the_worker_stops_cleanly_on_sigterm(tmp_path):
    """Signals do not depend on the database: this runs once, on the embedded default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUITONG_")}
    env["HUITONG_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "huitong.cli.main", "worker", "--interval", "0.2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert "worker started" in first, first
        time.sleep(0.5)  # a few polls
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "worker stopped after 0 load(s)" in out and "Traceback" not in out
