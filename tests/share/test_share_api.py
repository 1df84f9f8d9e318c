"""Sharing over HTTP with people's tokens and a consumer system's credentials, and a subscription
whose signed webhook reaches a real HTTP receiver run by the test (and is retried when it fails)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient

from huitong.api.app import create_app
from huitong.config import Settings
from huitong.db.base import utcnow
from huitong.org import service as org
from huitong.share import subscriptions
from huitong.share.tables import OutboxMessage
from tests.share.conftest import PEOPLE, people_table


@pytest.fixture
def client(sharing, tmp_path):
    app = create_app(Settings(data_dir=tmp_path), db=sharing.db)
    return TestClient(app, raise_server_exceptions=False)


def token(sharing, name: str) -> dict:
    with sharing.db.session() as s:
        _, secret = org.issue_token(s, sharing.actor(name), name, "test", scope="write")
    return {"Authorization": f"Bearer {secret}"}


APPLICATION = {
    "purpose": "数据校核",
    "purpose_text": "低保审核时核验申请人身份",
    "legal_basis": "《社会救助暂行办法》",
    "business": "最低生活保障审核",
    "use_from": "2026-01-01",
    "use_until": "2027-06-30",
    "modes": ["query", "verify", "subscription"],
}


def test_apply_decide_and_receive_over_http(sharing, client):
    mz, ga, op = token(sharing, "mz"), token(sharing, "ga"), token(sharing, "op")
    r = client.post(
        "/api/share/applications", json=APPLICATION | {"resources": {sharing.code: []}}, headers=mz
    )
    assert r.status_code == 201, r.text
    rid = r.json()["requests"][0]["id"]
    assert r.json()["requests"][0]["state_zh"] == "待符合性审查"
    inbox = client.get("/api/share/requests?role=provider&state=provider_review", headers=ga).json()
    assert inbox == []  # not yet past the operator
    r = client.post(f"/api/share/requests/{rid}/actions", json={"action": "approve"}, headers=op)
    assert r.status_code == 409 and "possible now: comply" in r.json()["message"]
    client.post(f"/api/share/requests/{rid}/actions", json={"action": "comply"}, headers=op)
    inbox = client.get("/api/share/requests?role=provider&state=provider_review", headers=ga).json()
    assert [x["id"] for x in inbox] == [rid] and inbox[0]["actions"] == ["approve", "reject"]
    assert inbox[0]["working_days_left"] >= 9
    r = client.post(
        f"/api/share/requests/{rid}/actions",
        json={
            "action": "approve",
            "conditions": {"items": ["公民身份号码", "姓名"], "valid_until": "2027-03-31"},
        },
        headers=ga,
    )
    assert r.status_code == 200 and r.json()["state"] == "granted", r.text
    gid = r.json()["grant"]
    rows = client.post(f"/api/share/grants/{gid}/query", json={}, headers=mz).json()["rows"]
    assert rows[0] == {"公民身份号码": PEOPLE[0][0][:6] + "********" + PEOPLE[0][0][-4:], "姓名": "张*"}
    csv = client.post(f"/api/share/grants/{gid}/query?format=csv", json={}, headers=mz)
    assert csv.text.splitlines()[0] == "公民身份号码,姓名"
    assert client.post(f"/api/share/grants/{gid}/query", json={}, headers=ga).status_code == 403
    hist = client.get(f"/api/share/requests/{rid}", headers=mz).json()["history"]
    assert [h["action"] for h in hist] == ["submit", "comply", "approve"]
    stats = client.get("/api/share/stats", headers=op).json()
    assert stats[0]["received"] == 1 and stats[0]["decided"] == 1


def test_a_consumer_system_uses_its_credentials_and_bad_ones_get_401(sharing, client):
    gid = sharing.granted(items=["公民身份号码", "姓名"])
    r = client.post("/api/share/credentials", json={"name": "低保系统"}, headers=token(sharing, "mz"))
    assert r.status_code == 201
    cid, secret = r.json()["client_id"], r.json()["secret"]
    basic = httpx.BasicAuth(cid, secret)
    r = client.post(
        f"/api/share/grants/{gid}/verify",
        json={"values": {"公民身份号码": PEOPLE[0][0], "姓名": "张三"}},
        auth=basic,
    )
    assert r.json()["result"] == "match", r.text
    assert client.get(f"/api/share/grants/{gid}/records/{PEOPLE[0][0]}", auth=basic).json()["found"] is True
    assert (
        client.post(
            f"/api/share/grants/{gid}/verify", json={"values": {}}, auth=httpx.BasicAuth(cid, "wrong")
        ).status_code
        == 401
    )
    assert client.get("/api/catalog/search?q=户籍", auth=basic).status_code == 200  # public reads stay open
    listed = client.get("/api/share/credentials", headers=token(sharing, "mz")).json()
    assert listed[0]["client_id"] == cid and "secret" not in listed[0]


class Receiver(BaseHTTPRequestHandler):
    received: list = []
    fail_first: list = [True]

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.fail_first[0]:
            self.fail_first[0] = False
            self.send_response(503)
            self.end_headers()
            return
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.fail_first = [], [True]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_a_new_version_reaches_the_subscriber_signed_and_retried(sharing, client, receiver):
    gid = sharing.granted(items=["公民身份号码", "姓名"])
    r = client.post(
        f"/api/share/grants/{gid}/subscriptions", json={"url": receiver}, headers=token(sharing, "mz")
    )
    assert r.status_code == 201, r.text
    before = sharing.store.version(sharing.code)
    changed = people_table([(*PEOPLE[0][:1], "张叁", *PEOPLE[0][2:]), *PEOPLE[1:]])
    after = sharing.store.write(sharing.code, changed, "full")
    with sharing.db.session() as s:
        assert (
            subscriptions.on_new_version(
                s, sharing.code, after.snapshot_id, before.snapshot_id, {"changed": 1}
            )
            == 1
        )
    first = subscriptions.dispatch(sharing.db)
    assert first == {"delivered": 0, "retry": 1, "dead": 0}  # the receiver answered 503
    with sharing.db.session() as s:
        msg = s.query(OutboxMessage).one()
        assert msg.last_error == "HTTP 503" and msg.next_attempt_at > utcnow() + timedelta(seconds=20)
    assert subscriptions.dispatch(sharing.db) == {"delivered": 0, "retry": 0, "dead": 0}  # not due yet
    assert subscriptions.dispatch(sharing.db, now=utcnow() + timedelta(minutes=1))["delivered"] == 1
    ((headers, body),) = Receiver.received
    key = sharing.db.ledger_keys.current.public_key
    assert subscriptions.verify_signature(key, headers["Huitong-Signature"], body, utcnow())
    assert not subscriptions.verify_signature(
        key, headers["Huitong-Signature"], body, utcnow() + timedelta(minutes=10)
    )
    assert not subscriptions.verify_signature(
        key, headers["Huitong-Signature"], body.replace(b"version", b"versiom"), utcnow()
    )
    event = json.loads(body)
    assert event["type"] == "version.created" and event["snapshot_id"] == str(after.snapshot_id)
    changes = client.get(event["changes"], headers=token(sharing, "mz")).json()
    assert changes["changed"] == [
        {"公民身份号码": PEOPLE[0][0][:6] + "********" + PEOPLE[0][0][-4:], "姓名": "张*"}
    ]


def test_a_load_through_the_pipeline_queues_the_notice_with_its_lineage(sharing, tmp_path):
    from sqlalchemy import select

    from huitong.aggregate import registry
    from huitong.aggregate.mapping import propose_mapping
    from huitong.aggregate.pipeline import run_load
    from huitong.catalog.service import spec_of
    from huitong.catalog.tables import Resource

    gid = sharing.granted(items=["公民身份号码", "姓名"])
    with sharing.db.session() as s:
        subscriptions.subscribe(s, sharing.actor("mz"), gid, "http://127.0.0.1:9/hook")
    path = tmp_path / "people.csv"
    lines = ["公民身份号码,姓名,性别,住址,区划代码"] + [",".join((p[0], p[1] + "新", *p[2:])) for p in PEOPLE]
    path.write_text("\n".join(lines), encoding="gbk")
    with sharing.db.session() as s:
        registry.add_source(
            s, sharing.actor("ga"), "people", sharing.code, "csv", {"path": str(path)}, mode="upsert"
        )
        items = spec_of(s.scalar(select(Resource).where(Resource.code == sharing.code))).items
        cols = [c.name for c in registry.describe_source(s, sharing.actor("ga"), "people").columns]
        registry.save_mapping(
            s, sharing.actor("ga"), "people", propose_mapping(cols, items).to_mapping().to_dict()
        )
    result = run_load(sharing.db, sharing.store, sharing.actor("ga"), "people")
    assert result.status == "loaded"
    with sharing.db.session() as s:
        (msg,) = s.query(OutboxMessage).all()
        assert msg.event["snapshot_id"] == str(result.snapshot_id)
        assert msg.event["counts"]["updated"] == 4 and msg.status == "pending"
