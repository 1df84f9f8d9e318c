"""The schema contract of a load: a new column the mapping does not name is loaded without and
noted on the load (ingest show, the API, the console); a missing mapped column fails the load
before any row is read; too many rejects abort it; each load keeps the contract it ran under."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from huitong.aggregate.pipeline import run_load
from huitong.aggregate.validate import LoadPolicy
from huitong.api.app import create_app
from huitong.config import Settings
from huitong.errors import HuitongError
from huitong.ledger.events import entries_for
from tests.aggregate.flow import cli, make_flow, person_id
from tests.test_api import token
from tests.web.conftest import sign_in


@pytest.fixture
def flow(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path, good=3)
    yield f
    f.store.close()


def rewrite(flow, header: str, rows: list[str]) -> None:
    flow.export.write_bytes(("\n".join([header, *rows]) + "\n").encode("gbk"))


def test_a_new_column_is_loaded_without_and_noted_on_the_load(flow, monkeypatch, test_database):
    rewrite(
        flow,
        "身份证号,姓名,性别,备注,联系电话",
        [f"{person_id(n)},居民{n},男,新增,13800000000" for n in range(3)],
    )
    result = run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj")
    assert result.status == "loaded" and result.summary.rows_out == 3
    assert flow.store.read(flow.code).column_names[:3] == ["公民身份号码", "姓名", "性别"]
    assert "备注" not in flow.store.read(flow.code).column_names

    run = cli(monkeypatch, test_database, flow.tmp)
    shown = run("--as", "ga", "ingest", "show", str(result.load_id))
    assert shown.exit_code == 0, shown.output
    assert "new column → note" in shown.output and "备注, 联系电话" in shown.output
    as_json = json.loads(run("--as", "ga", "ingest", "show", str(result.load_id), "--json").output)
    assert as_json["new_columns"] == ["备注", "联系电话"]
    assert (
        as_json["contract"]["missing_column"] == "fail" and as_json["contract"]["bad_value"] == "reject_row"
    )
    with flow.world.db.session() as s:  # and the evidence of the load says so too
        entry = [e for e in entries_for(s, "resource", flow.code) if e.action == "aggregate.load"][-1]
    assert json.loads(entry.details)["new_columns"] == ["备注", "联系电话"]

    settings = Settings(data_dir=flow.tmp, database_url=test_database.url)
    client = TestClient(
        create_app(settings, db=flow.world.db), raise_server_exceptions=False, follow_redirects=False
    )
    api = client.get(f"/api/aggregate/loads/{result.load_id}", headers=token(flow.world, "ga")).json()
    assert api["new_columns"] == ["备注", "联系电话"]
    sign_in(client, "ga")
    page = client.get(f"/aggregate/loads/{result.load_id}").text
    assert 'id="new-columns"' in page and "备注" in page and "数据契约" in page


def test_a_missing_mapped_column_fails_the_load_naming_it(flow):
    rewrite(flow, "身份证号,名字,性别", [f"{person_id(n)},居民{n},男" for n in range(3)])
    with pytest.raises(HuitongError, match="mapped column\\(s\\) not found in the source: '姓名'") as e:
        run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj")
    assert "(columns: '身份证号', '名字', '性别')" in str(e.value)  # says what the source has
    assert not flow.store.exists(flow.code)  # nothing half-written


def test_too_many_rejects_abort_and_the_contract_keeps_the_thresholds(flow, monkeypatch, test_database):
    rewrite(flow, "身份证号,姓名,性别", [f"{person_id(0)},居民0,男", "12345,错号,男", "67890,错号,男"])
    with pytest.raises(HuitongError, match="aborted") as e:
        run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj", policy=LoadPolicy(max_rejects=1))
    load_id = int(str(e.value).split("load ")[1].split()[0])
    shown = json.loads(
        cli(monkeypatch, test_database, flow.tmp)(
            "--as", "ga", "ingest", "show", str(load_id), "--json"
        ).output
    )
    assert shown["status"] == "aborted" and shown["contract"]["max_rejects"] == 1
    assert shown["contract"]["too_many_rejects"] == "abort" and shown["new_columns"] == []


def test_the_notes_migration_goes_down_and_up_keeping_every_load_and_reject(flow):
    # a batch rebuild of agg_load on SQLite would have cascade-deleted every rejected row
    from alembic import command
    from sqlalchemy import func, inspect, select

    from huitong.aggregate.tables import LoadReject
    from huitong.db.migrate import alembic_config, current_revision, head_revision, upgrade

    rewrite(flow, "身份证号,姓名,性别", [f"{person_id(0)},居民0,男", "12345,错号,男"])
    run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj")
    engine = flow.world.db.engine
    with flow.world.db.session() as s:
        rejects = s.scalar(select(func.count()).select_from(LoadReject))
    assert rejects == 1
    command.downgrade(alembic_config(engine), "0004")
    assert "notes" not in {c["name"] for c in inspect(engine).get_columns("agg_load")}
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM agg_reject").scalar() == rejects
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM agg_reject").scalar() == rejects


def test_ingest_show_prints_column_names_as_written(flow, monkeypatch, test_database):
    rewrite(flow, "身份证号,姓名,性别,面积[m2],备注[/]", [f"{person_id(n)},居民{n},男,1,x" for n in range(3)])
    result = run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj")
    shown = cli(monkeypatch, test_database, flow.tmp)("--as", "ga", "ingest", "show", str(result.load_id))
    assert shown.exit_code == 0 and "面积[m2], 备注[/]" in shown.output, shown.output
