"""Retention: ``huitong data expire`` forgets old versions on purpose, by permission, on the record;
time travel to an expired version then says it was expired."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from huitong.aggregate.pipeline import run_load
from huitong.api.app import create_app
from huitong.config import Settings
from huitong.ledger.events import entries_for
from huitong.org import service as org
from tests.aggregate.flow import cli, make_flow, write_export


@pytest.fixture
def three_versions(world, test_database, tmp_path):
    flow = make_flow(world, test_database, tmp_path, good=3)
    ids = []
    for n in range(3):
        write_export(flow.export, 3, rename={0: f"第{n}版"})
        ids.append(run_load(world.db, flow.store, world.actor("ga"), "hj").snapshot_id)
    yield flow, ids
    flow.store.close()


def test_expire_lists_then_forgets_old_versions_and_time_travel_says_so(
    three_versions, monkeypatch, test_database
):
    flow, (v1, v2, v3) = three_versions
    run = cli(monkeypatch, test_database, flow.tmp)
    r = run("--as", "ga", "data", "expire", flow.code, "--older-than", "0", "--dry-run")
    assert r.exit_code == 0 and f"{flow.code}: would expire 2 version(s)" in r.output, r.output
    assert str(v1) in r.output and str(v2) in r.output and str(v3) not in r.output
    first_kept_at = flow.store.versions(flow.code)[0].committed_at
    assert len(flow.store.versions(flow.code)) == 3

    r = run("--as", "ga", "data", "expire", flow.code, "--older-than", "0")
    assert r.exit_code == 0 and f"{flow.code}: expired 2 version(s)" in r.output, r.output
    assert [v.snapshot_id for v in flow.store.versions(flow.code)] == [v3]
    with flow.world.db.session() as s:
        [entry] = [e for e in entries_for(s, "resource", flow.code) if e.action == "data.expire"]
        assert entry.actor_name == "ga"
        assert json.loads(entry.details)["versions"] == [str(v1), str(v2)]

    r = run("--as", "ga", "data", "show", flow.code, "--version", str(v1))
    assert r.exit_code == 1 and f"version {v1} of {flow.code}" in r.output
    assert "has been expired under the retention policy" in r.output and "Traceback" not in r.output
    r = run("--as", "ga", "data", "show", flow.code, "--as-of", first_kept_at.isoformat())
    assert r.exit_code == 1 and f"the version of {flow.code} current at" in r.output
    assert "has been expired" in r.output
    r = run("--as", "ga", "data", "show", flow.code)
    assert r.exit_code == 0 and "第2版" in r.output

    client = TestClient(
        create_app(Settings(data_dir=flow.tmp, database_url=test_database.url), db=flow.world.db),
        raise_server_exceptions=False,
    )
    with flow.world.db.session() as s:
        _, secret = org.issue_token(s, flow.world.actor("ga"), "ga", "t", scope="read")
    ga = {"Authorization": f"Bearer {secret}"}
    r = client.get(f"/api/data/{flow.code}/rows", headers=ga, params={"snapshot_id": str(v2)})
    assert r.status_code == 410 and r.json()["error"] == "expired"
    assert "has been expired under the retention policy" in r.json()["message"]
    r = client.get(f"/api/data/{flow.code}/diff", headers=ga, params={"from": str(v1)})
    assert r.status_code == 410
    client.app.state.store.close()


def test_expire_is_for_the_provider_administrator_or_the_operator_with_the_configured_retention(
    three_versions, monkeypatch, test_database
):
    flow, _ = three_versions
    run = cli(monkeypatch, test_database, flow.tmp)
    for who in ("mz", "mzu", "aud"):
        r = run("--as", who, "data", "expire", flow.code, "--older-than", "0")
        assert r.exit_code == 1 and "may not data.expire" in r.output, (who, r.output)
    r = run("--as", "mz", "data", "expire", "--all", "--older-than", "0")
    assert r.exit_code == 0 and "no resource with stored data to expire" in r.output
    assert len(flow.store.versions(flow.code)) == 3

    r = run("--as", "op", "data", "expire", "--all", "--older-than", "0", "--keep-last", "2")
    assert r.exit_code == 0 and f"{flow.code}: expired 1 version(s)" in r.output, r.output
    assert len(flow.store.versions(flow.code)) == 2

    # the configured retention, and no expiry without one
    r = run("data", "expire", flow.code)
    assert r.exit_code == 1 and "no retention period" in r.output
    r = run("data", "expire", flow.code, "--all")
    assert r.exit_code == 1 and "name one resource, or give --all" in r.output
    r = run("data", "expire", flow.code, env={"HUITONG_RETENTION_DAYS": "30"})
    assert r.exit_code == 0 and "expired 0 version(s)" in r.output  # all are younger than 30 days
    r = run(
        "data",
        "expire",
        "--all",
        "--older-than",
        "0",
        env={"HUITONG_RETENTION_KEEP_LAST": "1"},
    )
    assert r.exit_code == 0 and "expired 1 version(s)" in r.output
    r = run("data", "expire", flow.code, "--older-than", "0", "--keep-last", "0")
    assert r.exit_code == 1 and "keep last: 1 or more" in r.output
