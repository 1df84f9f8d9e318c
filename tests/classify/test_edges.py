"""The edges over classification and de-identification: ``huitong discover FILE`` (text and JSON, a
GBK export, a missing file as one clear line), and the REST calls (scan, findings, confirm, a release
refused below k and one approved, a DP figure and the budget it spends)."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from huitong.api.app import create_app
from huitong.catalog.model import DataItem, DataType
from huitong.cli.context import state
from huitong.cli.main import app
from huitong.org import service as org
from huitong.standards.idcard import make_id_number
from tests.stored import published

ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("备注", DataType.C, 200),
]


def test_discover_a_gbk_file_as_text_and_as_json(tmp_path):
    ident = make_id_number("330110", date(1990, 1, 1), 5)
    path = tmp_path / "出租屋.csv"
    path.write_bytes(
        f"姓名,证件号码,联系电话,状态\n张伟,{ident},13812345678,正常\n李娜,{ident},13912345678,迁出\n".encode(
            "gbk"
        )
    )
    runner = CliRunner()
    state._settings = state._db = None
    text = runner.invoke(app, ["discover", str(path)])
    assert text.exit_code == 0 and "3 column(s) with personal data" in text.output
    out = runner.invoke(app, ["discover", str(path), "--json"])
    found = {f["column"]: f["kind"] for f in json.loads(out.output)["findings"]}
    assert found == {"姓名": "person_name", "证件号码": "id_number", "联系电话": "mobile"}
    missing = runner.invoke(app, ["discover", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "does not exist" in missing.output and "Traceback" not in missing.output


@pytest.fixture
def api(world, test_database, tmp_path):
    n = 300
    rows = pa.table(
        {
            "公民身份号码": [
                make_id_number("330110", date(1970 + i % 40, 1, 1 + i % 28), i % 999) for i in range(n)
            ],
            "性别": ["1" if i % 2 else "2" for i in range(n)],
            "备注": ["承租人手机13812345678" if i % 4 == 0 else "无" for i in range(n)],
        }
    )
    store, code = published(world, test_database.url, tmp_path, ITEMS, rows)
    application = create_app(db=world.db)
    application.state.store = store
    client = TestClient(application, raise_server_exceptions=False)

    def token(name: str) -> dict:
        with world.db.session() as s:
            _, secret = org.issue_token(s, world.actor(name), name, "test", scope="write")
        return {"Authorization": f"Bearer {secret}"}

    return client, code, token("ga"), token("mz"), token("op")


@pytest.mark.pg
def test_scan_findings_confirm_over_http(api):
    client, code, ga, mz, _ = api
    r = client.post("/api/classify/scans", json={"resource": code}, headers=ga)
    assert r.status_code == 201, r.text
    cols = {c["column"]: c for c in r.json()["columns"]}
    assert cols["备注"]["undeclared"] and cols["备注"]["kind"] == "free_text_with_identifiers"
    assert client.get(f"/api/classify/resources/{code}/columns", headers=mz).status_code == 403
    r = client.post(f"/api/classify/resources/{code}/columns/备注", json={"action": "override"}, headers=ga)
    assert r.status_code == 422 and any(p["field"] == "reason" for p in r.json()["problems"])
    r = client.post(f"/api/classify/resources/{code}/columns/备注", json={"action": "confirm"}, headers=ga)
    assert (
        r.status_code == 200
        and r.json()["status"] == "confirmed"
        and r.json()["declared_grade"] == "general_4"
    )
    assert all(p["column"] != "备注" for p in client.get("/api/classify/proposals", headers=ga).json())


@pytest.mark.pg
def test_a_release_and_a_figure_over_http(api):
    client, code, ga, _, op = api
    plan = {
        "direct": ["公民身份号码", "备注"],
        "quasi": ["性别"],
        "k": 5,
        "columns": {"公民身份号码": {"op": "pseudonym", "length": 16}, "备注": "drop"},
    }
    r = client.post("/api/deid/releases", json={"resource": code, "name": "按性别", "plan": plan}, headers=ga)
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    rid = r.json()["id"]
    r = client.post(f"/api/deid/releases/{rid}/approve", headers=ga)
    assert r.status_code == 200 and r.json()["status"] == "released"
    bad = client.post(
        "/api/deid/releases", json={"resource": code, "name": "x", "plan": {**plan, "k": 1}}, headers=ga
    )
    assert bad.status_code == 422
    r = client.post(
        "/api/deid/statistics", json={"resource": code, "statistic": "count", "epsilon": 0.9}, headers=ga
    )
    assert r.status_code == 201 and abs(r.json()["result"]["value"] - 300) < 40
    r = client.post(
        "/api/deid/statistics", json={"resource": code, "statistic": "count", "epsilon": 0.2}, headers=ga
    )
    assert r.status_code == 409 and "budget" in r.json()["message"]
    budget = client.get(f"/api/deid/resources/{code}/budget", headers=op).json()
    assert budget["spent"] == pytest.approx(0.9) and len(budget["figures"]) == 1
