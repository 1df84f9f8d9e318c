"""The keyed delivery calls (verification, lookup) over HTTP: they read the credential and the
grant's state with one autocommit statement each and answer from memory, so these tests check
what that must not cost: a revocation made elsewhere is refused on the very next call, a lost
database connection is replaced, a bad body is a located 422, and the OpenAPI document still
describes the calls."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huitong.api.app import create_app
from huitong.config import Settings
from huitong.ledger.tables import EvidenceEntry
from huitong.org import service as org
from huitong.share import credentials, grants
from huitong.share.tables import AppCredential
from tests.share.conftest import PEOPLE


@pytest.fixture
def client(sharing, tmp_path):
    """One server thread for the whole test, as in production (its connections are reused)."""
    app = create_app(Settings(data_dir=tmp_path), db=sharing.db)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def consumer_system(sharing) -> tuple[str, httpx.BasicAuth]:
    with sharing.db.session() as s:
        cred, secret = credentials.create(s, sharing.actor("mz"), "低保系统")
    return cred.client_id, httpx.BasicAuth(cred.client_id, secret)


def verify(client, gid: int, auth, name: str = "张三") -> httpx.Response:
    return client.post(
        f"/api/share/grants/{gid}/verify",
        json={"values": {"公民身份号码": PEOPLE[0][0], "姓名": name}},
        auth=auth,
    )


def test_revocations_made_elsewhere_stop_the_very_next_call(sharing, client):
    gid = sharing.granted(items=["公民身份号码", "姓名"])
    client_id, auth = consumer_system(sharing)
    assert verify(client, gid, auth).json()["result"] == "match"
    assert verify(client, gid, auth, name="李四").json() | {"evidence": 0} == {
        "result": "no_match",
        "items": {"姓名": "no_match"},
        "snapshot_id": verify(client, gid, auth).json()["snapshot_id"],
        "evidence": 0,
    }
    # the credential is revoked in another unit of work (as the console or the CLI would)
    with sharing.db.session() as s:
        credentials.revoke(s, sharing.actor("mz"), client_id)
    r = verify(client, gid, auth)
    assert r.status_code == 401 and "revoked" in r.json()["message"]

    _, auth = consumer_system(sharing)
    assert client.get(f"/api/share/grants/{gid}/records/{PEOPLE[0][0]}", auth=auth).json()["found"] is True
    with sharing.db.session() as s:
        grants.revoke(s, sharing.actor("ga"), gid, "主体资格变更")
    r = verify(client, gid, auth)
    assert r.status_code == 403 and "revoked" in r.json()["message"]
    r = client.get(f"/api/share/grants/{gid}/records/{PEOPLE[0][0]}", auth=auth)
    assert r.status_code == 403
    with sharing.db.session() as s:
        refused = s.scalars(
            select(EvidenceEntry.result).where(
                EvidenceEntry.action.in_(["share.deliver.verify", "share.deliver.query"])
            )
        ).all()
    assert refused.count("denied") >= 2, refused


def test_a_lost_database_connection_is_replaced_between_calls(sharing, client):
    gid = sharing.granted(items=["公民身份号码", "姓名"])
    _, auth = consumer_system(sharing)
    assert verify(client, gid, auth).status_code == 200
    hot = sharing.db.hot
    if hot.dialect == "postgresql":  # the server ends the session, as a restart or a failover would
        pid = client.portal.call(lambda: hot.one("SELECT pg_backend_pid()", ()))[0]  # the server's thread
        with sharing.db.session() as s:
            s.execute(select(func.pg_terminate_backend(pid)))
    else:  # SQLite: the file's connection is closed under the reader
        hot.close()
    r = verify(client, gid, auth)
    assert r.status_code == 200 and r.json()["result"] == "match", r.text


def test_bad_verification_requests_get_a_located_422(sharing, client):
    gid = sharing.granted(items=["公民身份号码", "姓名"])
    _, auth = consumer_system(sharing)
    url = f"/api/share/grants/{gid}/verify"
    r = client.post(url, content=b"{not json", auth=auth, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "body"
    r = client.post(url, json={"values": ["公民身份号码"]}, auth=auth)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "values"
    r = client.post(url, json={"values": {"公民身份号码": PEOPLE[0][0], "住址": "x"}}, auth=auth)
    assert r.status_code == 422
    assert {p["column"] for p in r.json()["problems"]} == {"住址"}  # not granted
    r = client.post("/api/share/grants/abc/verify", json={"values": {}}, auth=auth)
    assert r.status_code == 422  # not a grant id: the documented route answers


def test_the_openapi_document_describes_the_keyed_calls(client, sharing):
    doc = client.get("/api/openapi.json").json()
    post = doc["paths"]["/api/share/grants/{grant_id}/verify"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert "values" in body["properties"] and body["required"] == ["values"]
    assert [p["name"] for p in post["parameters"]] == ["grant_id"]
    ok = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/VerifyOut")
    get = doc["paths"]["/api/share/grants/{grant_id}/records/{key}"]["get"]
    assert [p["name"] for p in get["parameters"]] == ["grant_id", "key"]


def test_people_use_the_keyed_calls_with_their_tokens(sharing, client):
    gid = sharing.granted(items=["公民身份号码", "姓名"])
    with sharing.db.session() as s:
        _, secret = org.issue_token(s, sharing.actor("mz"), "mz", "test", scope="write")
    r = client.get(
        f"/api/share/grants/{gid}/records/{PEOPLE[0][0]}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 200 and r.json()["rows"][0]["姓名"] == "张*"
    r = client.get(f"/api/share/grants/{gid}/records/{PEOPLE[0][0]}")
    assert r.status_code in (401, 403)  # anonymous: no data


def test_a_consumer_systems_credential_and_grant_are_checked_in_one_read(sharing, client):
    """A wrong secret or an unknown system is 401 before anything about the grant is said; a
    known system asking for an unknown grant is 404; the day's quota counts every call."""
    gid = sharing.granted(items=["公民身份号码", "姓名"], max_requests_per_day=2)
    client_id, auth = consumer_system(sharing)
    assert verify(client, gid, httpx.BasicAuth(client_id, "wrong")).status_code == 401
    r = verify(client, 999_999, httpx.BasicAuth("no-such-system", "x"))
    assert r.status_code == 401 and "invalid client id or secret" in r.json()["message"]
    assert verify(client, 999_999, auth).status_code == 404
    huge = 10**20  # more digits than any key: still 401 before anything else, then 404
    assert verify(client, huge, httpx.BasicAuth(client_id, "wrong")).status_code == 401
    assert verify(client, huge, auth).status_code == 404
    assert [verify(client, gid, auth).status_code for _ in range(2)] == [200, 200]
    r = client.get(f"/api/share/grants/{gid}/records/{PEOPLE[0][0]}", auth=auth)
    assert r.status_code == 429 and "2 requests per day" in r.json()["message"]
    with sharing.db.session() as s:  # the system's use was written down on its first call
        cred = s.scalar(select(AppCredential).where(AppCredential.client_id == client_id))
        assert cred.last_used_at is not None
