"""``huitong quality …`` and ``/api/quality/…``: the same rules, runs, scorecards and refusals at
both edges, against a live app on the test database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from huitong.aggregate.pipeline import run_load
from huitong.api.app import create_app
from huitong.config import Settings
from tests.aggregate.flow import cli, make_flow, write_export
from tests.aggregate.test_api_aggregate import token

pytestmark = pytest.mark.pg

RULES = """resource: {code}
gate: true
rules:
  - {{name: 姓名规范, kind: pattern, column: 姓名, regex: "居民[0-9]+", severity: fail}}
  - {{name: 身份证号有效, kind: valid, column: 公民身份号码}}
  - {{name: 按时更新, kind: freshness}}
"""


@pytest.fixture
def flow(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path, good=5)
    yield f
    f.store.close()


@pytest.fixture
def client(flow, test_database):
    app = create_app(Settings(data_dir=flow.tmp, database_url=test_database.url), db=flow.world.db)
    yield TestClient(app, raise_server_exceptions=False)
    store = getattr(app.state, "store", None)
    if store is not None:
        store.close()


def test_the_api_walk_rules_run_scorecard_release(flow, client):
    ga, mz = token(flow.world, "ga"), token(flow.world, "mz")
    unreadable = {"text": "rules: [\n"}  # not even YAML: refusals come before the text is read
    assert client.post("/api/quality/rules", json=unreadable).status_code == 403  # anonymous
    mzu = token(flow.world, "mzu")  # a data user keeps no rules
    assert client.post("/api/quality/rules", headers=mzu, json=unreadable).status_code == 403
    big = {"text": "#" * (3 << 20)}
    assert client.post("/api/quality/rules", headers=ga, json=big).status_code == 413
    bad = client.post("/api/quality/rules", headers=ga, json={"text": "rules:\n  - {kind: nope}\n"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["line"] == 2
    r = client.post("/api/quality/rules", headers=mz, json={"text": RULES.format(code=flow.code)})
    assert r.status_code == 403  # another department's resource
    r = client.post("/api/quality/rules", headers=ga, json={"text": RULES.format(code=flow.code)})
    assert r.status_code == 200 and r.json()["added"] == 3 and r.json()["gates"] == {flow.code: True}
    listed = client.get("/api/quality/rules", headers=mz, params={"resource": flow.code}).json()
    assert [x["name"] for x in listed] == ["姓名规范", "身份证号有效", "按时更新"]
    exported = client.get("/api/quality/rules/export", headers=ga, params={"resource": flow.code})
    assert "gate: true" in exported.text and "姓名规范" in exported.text

    run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj")
    write_export(flow.export, 5, rename={1: "王五"})
    held = run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj")
    assert held.status == "quarantined"

    runs = client.get(f"/api/quality/resources/{flow.code}/runs", headers=ga).json()
    assert [x["outcome"] for x in runs] == ["quarantined", "passed"]
    detail = client.get(f"/api/quality/runs/{runs[0]['id']}", headers=ga).json()
    assert detail["rules"][0]["rule"] == "姓名规范" and detail["rules"][0]["sample"]
    assert "sample" not in client.get(f"/api/quality/runs/{runs[0]['id']}", headers=mz).json()["rules"][0]
    card = client.get(f"/api/quality/resources/{flow.code}/scorecard", headers=mz).json()
    assert card["score"] == 100.0 and card["run"]["id"] == runs[1]["id"] and len(card["trend"]) == 2

    r = client.post(f"/api/quality/resources/{flow.code}/versions/{held.snapshot_id}/release", headers=mz)
    assert r.status_code == 403
    r = client.post(f"/api/quality/resources/{flow.code}/versions/{held.snapshot_id}/release", headers=ga)
    assert r.status_code == 200 and flow.store.version(flow.code).snapshot_id == held.snapshot_id
    r = client.post("/api/quality/runs", headers=ga, json={"resource": flow.code})
    assert r.status_code == 201 and r.json()["outcome"] == "failed"  # measured again, not gated
    ranked = client.get("/api/quality/departments", headers=mz).json()
    assert ranked[0]["code"] == flow.world.police


def test_the_cli_walk(flow, monkeypatch, test_database, tmp_path):
    run = cli(monkeypatch, test_database, tmp_path)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(code=flow.code), encoding="utf-8")
    env = {"HUITONG_AS": "ga"}  # as 公安's administrator, not the local system administrator
    r = run("quality", "rules", "--import", str(rules), env=env)
    assert r.exit_code == 0, r.output
    assert "3 added" in r.output and "gate on" in r.output
    rules.write_text("rules:\n  - name: x\n    kind: range\n    column: 姓名\n", encoding="utf-8")
    r = run("quality", "rules", "--import", str(rules), env=env)
    assert r.exit_code == 1 and "rules.yaml, line 2" in r.output and "Traceback" not in r.output
    run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj")
    r = run("quality", "run", flow.code, env=env)
    assert r.exit_code == 0 and "score 100.0, passed" in r.output, r.output
    r = run("quality", "results", "--resource", flow.code, env=env)
    assert r.exit_code == 0 and "姓名规范" in r.output and "100.00%" in r.output
    r = run("quality", "scorecard", flow.code, env=env)
    assert (
        r.exit_code == 0 and "规范性 conformity" in r.output and "trend: 100.0\n" in r.output
    )  # one point per version
    r = run("quality", "scorecard", env=env)
    assert r.exit_code == 0 and "公安局" in r.output
    r = run("quality", "rules", "--import", str(rules), env={"HUITONG_AS": "mz"})
    assert r.exit_code == 1 and "Traceback" not in r.output  # 民政 keeps no rules of 公安's


@pytest.mark.parametrize(
    ("text", "filename"),
    [
        ("d: &d {kind: not_null}\nrules:\n  - <<: *d\n", "rules.yaml"),
        ("rules: &a [*a]\n", "rules.yaml"),
        ("rules:\n  - {name: n, kind: not_null, column: 姓名, threshold: !!int abc}\n", "rules.yaml"),
        ("rules:\n  - {name: n, kind: range, column: 姓名, min: 2020-02-30}\n", "rules.yaml"),
        ("rules:\n  - {name: n, kind: range, column: 姓名, min: 2020-01-01, max: 5}\n", "rules.yaml"),
        ("rules:\n  - {name: n, kind: range, column: 姓名, max: .nan}\n", "rules.yaml"),
        (
            "rules:\n  - {name: n, kind: range, column: 姓名, max: 99999999999999999999999999999999999999999}\n",
            "rules.yaml",
        ),
        ('rules:\n  - {name: "a\\0b", kind: not_null, column: 姓名}\n', "rules.yaml"),
        (
            "rules: [{name: n, kind: not_null, column: 姓名}, {name: n, kind: valid, column: 公民身份号码}]\n",
            "rules.yaml",
        ),
        ("rules:\n  - {name: n, kind: not_null, column: 姓名}\n", "x" * 400 + ".yaml"),
    ],
    ids=[
        "merge-key",
        "recursive-alias",
        "bad-int",
        "impossible-date",
        "date-and-number",
        "nan",
        "huge-int",
        "nul",
        "same-name-one-line",
        "long-filename",
    ],
)
def test_a_rule_file_the_reader_refuses_is_422_naming_the_file_and_nothing_is_kept(
    flow, client, text, filename
):
    ga = token(flow.world, "ga")
    body = {"text": f"resource: {flow.code}\n" + text, "filename": filename}
    r = client.post("/api/quality/rules", headers=ga, json=body)
    assert r.status_code == 422, (r.status_code, r.text[:300])
    problem = r.json()["problems"][0]
    assert problem["file"] and (problem.get("line") or problem.get("field") == "filename")
    assert client.get("/api/quality/rules", headers=ga, params={"resource": flow.code}).json() == []


def test_a_minified_json_rule_file_with_tabs_exponents_and_a_bom_imports(flow, client):
    ga = token(flow.world, "ga")
    text = (
        f'\ufeff{{\t"resource": "{flow.code}", "rules": [{{"name": "n", "kind": "not_null", "column": "姓名",'
        ' "threshold": 5e-1}, {"name": "m", "kind": "not_null", "column": "性别"}]}'
    )
    r = client.post("/api/quality/rules", headers=ga, json={"text": text, "filename": "rules.json"})
    assert r.status_code == 200 and r.json()["added"] == 2, r.text[:300]


def test_an_unquoted_date_bound_is_stored_as_iso_text_and_exports_unchanged(world, test_database, tmp_path):
    from huitong.quality import service as quality
    from tests.quality.city import make_city

    city = make_city(world, test_database, tmp_path)
    ga = world.actor("ga")
    text = (
        f"resource: {city.people}\nrules:\n"
        "  - {name: 出生日期范围, kind: range, column: 出生日期, min: 1900-01-01, max: 2026-12-31}\n"
    )
    try:
        with world.db.session() as s:
            assert quality.import_rules(s, ga, text, "rules.yaml").added == 1
        with world.db.session() as s:
            (row,) = quality.rules_of(s, ga, city.people)
            assert row.params == {"min": "1900-01-01", "max": "2026-12-31"}
            exported = quality.export_rules(s, ga, city.people)
        with world.db.session() as s:
            assert not quality.check_rules(s, ga, exported, "exported.yaml", prune=True).changes_anything
            assert not quality.check_rules(s, ga, text, "rules.yaml", prune=True).changes_anything
    finally:
        city.store.close()


@pytest.mark.parametrize(
    "blank", ["\x0b", "\x0c", "\x1f", "\x85", "\xa0", "\u2003", "\u202f", "\u3000", " \x0b\xa0 "]
)
def test_not_null_counts_as_blank_every_space_the_python_reference_strips(blank):
    import pyarrow as pa

    from huitong.quality.compile import TEXT, Check, Column, plan
    from huitong.quality.rules import check_rule
    from huitong.store import duck
    from tests.quality.city import reference

    rule, _ = check_rule({"resource": "R", "name": "r", "kind": "not_null", "column": "a"})
    values = [blank, "x", f"{blank}x", None, ""]
    con = duck.connect({"t": pa.table({"a": pa.array(values, pa.string())})})
    try:
        p = plan([Check(0, rule, (Column("a", TEXT),))])
        row = con.sql(p.sql, params=p.params).fetchall()[0]
    finally:
        con.close()
    assert (row[1], row[2]) == reference("not_null", [{"a": v} for v in values], ["a"]) == (5, 3)


def test_ids_that_are_no_ids_are_refused_not_server_errors(flow, client):
    ga = token(flow.world, "ga")
    r = client.post("/api/quality/runs", headers=ga, json={"resource": flow.code, "snapshot_id": "abc"})
    assert r.status_code == 422 and "snapshot id" in r.json()["message"]
    assert client.get("/api/quality/runs/99999999999999999999", headers=ga).status_code == 422
    assert client.get("/api/quality/objections/99999999999999999999", headers=ga).status_code == 422
