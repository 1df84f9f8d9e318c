"""Aggregation and stored data over HTTP: sources, 202 then status, paged rejects and rows, time
travel, diffs, the ledger entry of every read, and refusals as clean JSON."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from huitong.aggregate.pipeline import execute_load, run_load, start_load
from huitong.api.app import create_app
from huitong.config import Settings
from huitong.ledger import service as ledger
from huitong.ledger.events import entries_for
from huitong.org import service as org
from tests.aggregate.flow import add_source, make_flow, person_id, write_export


@pytest.fixture
def flow(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path, good=4, bad=5)
    yield f
    f.store.close()


@pytest.fixture
def client(flow, test_database):
    settings = Settings(data_dir=flow.tmp, database_url=test_database.url)
    app = create_app(settings, db=flow.world.db)
    yield TestClient(app, raise_server_exceptions=False)
    store = getattr(app.state, "store", None)
    if store is not None:
        store.close()


def token(world, username: str, scope: str = "write") -> dict:
    with world.db.session() as s:
        _, secret = org.issue_token(s, world.actor(username), username, "test", scope=scope)
    return {"Authorization": f"Bearer {secret}"}


def test_a_load_answers_202_and_its_status_and_lineage_follow(flow, client):
    ga = token(flow.world, "ga")
    r = client.post("/api/aggregate/sources/hj/loads", headers=ga, json={"max_reject_ratio": 0.9})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "running" and r.headers["location"] == f"/api/aggregate/loads/{body['load_id']}"
    load = client.get(body["href"], headers=ga).json()  # the background task has run by now
    assert load["status"] == "loaded" and load["source"] == "hj" and load["resource"] == flow.code
    assert (load["rows_in"], load["rows_out"], load["rows_rejected"]) == (9, 4, 5)
    assert load["mapping_version"] == 1 and load["actor"] == "ga" and load["connector"] == "csv"
    assert load["origin"].endswith("人口.csv") and load["snapshot_id"] and load["finished_at"]

    r = client.post("/api/aggregate/sources/hj/loads", headers=ga, json={"max_rejects": 1})
    aborted = client.get(r.json()["href"], headers=ga).json()
    assert aborted["status"] == "aborted" and "5 of 9 rows rejected" in aborted["message"]

    # the run row exists from the start: its status is visible while the load runs
    pending = start_load(flow.world.db, flow.world.actor("ga"), "hj")
    r = client.get(f"/api/aggregate/loads/{pending.load_id}", headers=ga)
    assert r.json()["status"] == "running" and r.json()["finished_at"] is None
    execute_load(flow.world.db, flow.store, pending)
    assert client.get(f"/api/aggregate/loads/{pending.load_id}", headers=ga).json()["status"] == "unchanged"


def test_loads_and_rejects_are_for_the_providers_staff_and_rejects_are_paged(flow, client):
    world = flow.world
    for who in (token(world, "mz"), token(world, "ga", scope="read"), token(world, "op"), {}):
        r = client.post("/api/aggregate/sources/hj/loads", headers=who)
        assert r.status_code == 403 and r.json()["error"] == "forbidden", r.text
    run = run_load(world.db, flow.store, world.actor("ga"), "hj")
    r = client.get(f"/api/aggregate/loads/{run.load_id}", headers=token(world, "mz"))
    assert r.status_code == 403 and "may not aggregate.monitor" in r.json()["message"]
    r = client.get(f"/api/aggregate/loads/{run.load_id}/rejects", headers=token(world, "sj"))
    assert r.status_code == 403
    # the operator oversees every load's lineage, but rejected rows (raw values) stay with 公安
    assert (
        client.get(f"/api/aggregate/loads/{run.load_id}", headers=token(world, "op")).json()["rows_rejected"]
        == 5
    )
    r = client.get(f"/api/aggregate/loads/{run.load_id}/rejects", headers=token(world, "op"))
    assert r.status_code == 403 and "may not data.read" in r.json()["message"]
    assert client.get("/api/aggregate/loads/999", headers=token(world, "ga")).status_code == 404
    r = client.post("/api/aggregate/sources/nosuch/loads", headers=token(world, "ga"))
    assert r.status_code == 404 and "no source named 'nosuch'" in r.json()["message"]

    ga = token(world, "ga", scope="read")
    url = f"/api/aggregate/loads/{run.load_id}/rejects"
    first = client.get(url, headers=ga, params={"limit": 2}).json()
    rest = client.get(url, headers=ga, params={"limit": 2, "offset": 2}).json()
    last = client.get(url, headers=ga, params={"limit": 2, "offset": 4}).json()
    assert first["total"] == rest["total"] == last["total"] == 5
    rows = [x["row"] for page in (first, rest, last) for x in page["items"]]
    assert rows == [6, 7, 8, 9, 10]  # file rows, header is row 1
    assert first["items"][0]["column"].endswith("(身份证号)") and "check" in first["items"][0]["reason"]
    assert client.get(url, headers=ga, params={"limit": 0}).status_code == 422


def test_sources_are_listed_to_their_department_with_secrets_masked(flow, client):
    world = flow.world
    add_source(
        world,
        "api",
        flow.code,
        flow.export,
        kind="http",
        config={"url": "https://api.example.gov.cn/people", "token": "s3cret-token"},
        mapped=False,
        schedule="0 2 * * *",
    )
    r = client.get("/api/aggregate/sources", headers=token(world, "ga"))
    by_name = {s["name"]: s for s in r.json()}
    assert set(by_name) == {"api", "hj"}
    assert by_name["api"]["config"]["token"] == "***" and "s3cret" not in r.text
    assert by_name["api"]["schedule"] == "0 2 * * *" and by_name["api"]["next_run"]
    assert by_name["hj"]["next_run"] is None and by_name["hj"]["resource"] == flow.code
    assert client.get("/api/aggregate/sources", headers=token(world, "mz")).json() == []
    assert client.get("/api/aggregate/sources").json() == []


def test_versions_rows_time_travel_and_diff_over_http(flow, client):
    world = flow.world
    first = run_load(world.db, flow.store, world.actor("ga"), "hj")
    write_export(flow.export, 6, rename={0: "改名"})  # one renamed, two added
    second = run_load(world.db, flow.store, world.actor("ga"), "hj")
    ga = token(world, "ga", scope="read")  # reading needs no write scope
    base = f"/api/data/{flow.code}"

    versions = client.get(f"{base}/versions", headers=ga).json()
    assert [(v["snapshot_id"], v["rows"]) for v in versions] == [
        (str(first.snapshot_id), 4),
        (str(second.snapshot_id), 6),
    ]

    page = client.get(f"{base}/rows", headers=ga, params={"limit": 4, "offset": 4}).json()
    assert page["snapshot_id"] == str(second.snapshot_id) and page["total"] == 6
    assert len(page["rows"]) == 2 and page["columns"] == ["公民身份号码", "姓名", "性别"]
    all_rows = []
    for offset in (0, 2, 4):
        got = client.get(
            f"{base}/rows",
            headers=ga,
            params={"limit": 2, "offset": offset, "snapshot_id": page["snapshot_id"]},
        ).json()
        all_rows += got["rows"]
    assert sorted(r["公民身份号码"] for r in all_rows) == sorted(person_id(n) for n in range(6))

    old = client.get(f"{base}/rows", headers=ga, params={"snapshot_id": str(first.snapshot_id)}).json()
    assert old["total"] == 4 and {r["姓名"] for r in old["rows"]} == {f"居民{n}" for n in range(4)}
    committed = versions[0]["committed_at"]
    then = client.get(f"{base}/rows", headers=ga, params={"as_of": committed}).json()
    assert then["snapshot_id"] == str(first.snapshot_id)

    d = client.get(f"{base}/diff", headers=ga, params={"from": str(first.snapshot_id)}).json()
    assert d["counts"] == {"added": 2, "removed": 0, "changed": 1}
    assert d["changed"][0]["姓名"] == "改名" and d["changed_before"][0]["姓名"] == "居民0"
    assert d["key"] == ["公民身份号码"] and "_row_hash" not in d["changed"][0]

    with world.db.session() as s:
        reads = [e for e in entries_for(s, "resource", flow.code) if e.action in ("data.read", "data.diff")]
    assert [e.action for e in reads] == ["data.read"] * 6 + ["data.diff"]
    assert all(e.actor_name == "ga" for e in reads)
    details = [json.loads(e.details) for e in reads]
    assert [d["rows"] for d in details[:6]] == [2, 2, 2, 2, 4, 4]
    assert details[4]["snapshot"] == str(first.snapshot_id)
    with world.db.session() as s:  # "who used my data": the reads that returned this person's row
        found = ledger.who_used(s, world.actor("aud"), person_id(5))
    assert {e.action for e in found} == {"data.read", "data.diff"}  # one of the pages, and the diff
    assert details[6] == {"from": str(first.snapshot_id), "to": str(second.snapshot_id), "added": 2,
                          "removed": 0, "changed": 1}  # fmt: skip


def test_data_reads_are_refused_to_other_departments_and_errors_are_clean_json(flow, client):
    world = flow.world
    run_load(world.db, flow.store, world.actor("ga"), "hj")
    base = f"/api/data/{flow.code}"
    for who in ("mz", "mzu", "op", "aud"):
        for path in ("rows", "versions"):
            r = client.get(f"{base}/{path}", headers=token(world, who))
            assert r.status_code == 403 and "may not data.read" in r.json()["message"], (who, path)
    assert client.get(f"{base}/rows").status_code == 404  # not open: the public does not see the entry
    with world.db.session() as s:
        denied = [e for e in entries_for(s, "resource", flow.code) if e.action == "data.read"]
    assert denied == []  # nothing was read

    ga = token(world, "ga")
    r = client.get(f"{base}/rows", headers=ga, params={"snapshot_id": "abc"})
    assert r.status_code == 422 and "'abc' is not a snapshot id" in r.json()["message"]
    r = client.get(f"{base}/rows", headers=ga, params={"snapshot_id": "12345"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.get(f"{base}/rows", headers=ga, params={"as_of": "yesterday"})
    assert r.status_code == 422 and "use ISO form" in r.json()["message"]
    r = client.get(f"{base}/rows", headers=ga, params={"as_of": "2000-01-01"})
    assert r.status_code == 404 and "had no version at 2000-01-01" in r.json()["message"]
    r = client.get("/api/data/999999/99999/rows", headers=ga)
    assert r.status_code == 404 and r.json() == {
        "error": "not_found",
        "message": "no catalog entry 999999/99999",
        "problems": [],
    }
    r = client.get(f"{base}/diff", headers=ga)
    assert r.status_code == 422 and r.json()["error"] == "invalid"
