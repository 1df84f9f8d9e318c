"""The REST API end to end over HTTP (TestClient), permission-checked, on both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from huitong.api.app import create_app
from huitong.catalog.json_io import spec_to_dict
from huitong.org import service as org
from tests.world import PASSWORD, spec


@pytest.fixture
def client(world):
    return TestClient(create_app(db=world.db), raise_server_exceptions=False)


def token(world, username: str, scope: str = "write") -> dict:
    with world.db.session() as s:
        _, secret = org.issue_token(s, world.actor(username), username, "test", scope=scope)
    return {"Authorization": f"Bearer {secret}"}


def body(world, **kw) -> dict:
    return spec_to_dict(spec(world.police, **kw))


def test_openapi_is_served_and_lists_the_catalog(client):
    assert client.get("/api/docs").status_code == 200
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/catalog/search" in paths and "/api/catalog/resources" in paths


def test_login_returns_a_token_that_works_and_bad_passwords_get_401(client):
    r = client.post("/api/auth/login", json={"username": "ga", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["secret"].startswith("htpat_")
    me = client.get("/api/me", headers={"Authorization": f"Bearer {r.json()['secret']}"}).json()
    assert me["username"] == "ga" and me["roles"] == ["dept_admin"]
    bad = client.post("/api/auth/login", json={"username": "ga", "password": "nope-nope-nope"})
    assert bad.status_code == 401 and "password" in bad.json()["message"]
    assert client.get("/api/me", headers={"Authorization": "Bearer htpat_garbage"}).status_code == 401


def test_register_submit_review_publish_over_http(world, client):
    ga, op = token(world, "ga"), token(world, "op")
    r = client.post("/api/catalog/resources", json=body(world), headers=ga)
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.json()["status"] == "draft"
    assert client.post(f"/api/catalog/resources/{code}/submit", headers=ga).json()["status"] == "submitted"
    r = client.post(f"/api/catalog/resources/{code}/review", json={"decision": "return"}, headers=op)
    assert r.status_code == 422 and "reason" in r.json()["message"]
    r = client.post(f"/api/catalog/resources/{code}/review", json={"decision": "approve"}, headers=op)
    assert r.json()["status"] == "published"
    revs = client.get(f"/api/catalog/resources/{code}/revisions", headers=ga).json()
    assert [x["action"] for x in revs] == ["create", "submit", "publish"]


def test_rule_violations_come_back_as_field_problems_not_tracebacks(world, client):
    r = client.post(
        "/api/catalog/resources",
        json=body(world, share_basis=None, share_condition=None),
        headers=token(world, "ga"),
    )
    assert r.status_code == 422
    fields = {p.get("field") for p in r.json()["problems"]}
    assert {"share_basis", "share_condition"} <= fields
    r = client.post(
        "/api/catalog/resources", json=body(world) | {"share_typ": "x"}, headers=token(world, "ga")
    )
    assert r.status_code == 422 and "Traceback" not in r.text


def test_permissions_over_http(world, client):
    ga, mz = token(world, "ga"), token(world, "mz")
    code = client.post("/api/catalog/resources", json=body(world), headers=ga).json()["code"]
    assert (
        client.post("/api/catalog/resources", json=body(world, name="别人的"), headers=mz).status_code == 403
    )
    assert client.get(f"/api/catalog/resources/{code}", headers=mz).status_code == 404  # drafts stay home
    assert client.get(f"/api/catalog/resources/{code}").status_code == 404  # and away from the public
    assert client.post(f"/api/catalog/resources/{code}/publish", headers=ga).status_code in (403, 409)
    ro = token(world, "ga", scope="read")
    r = client.put(f"/api/catalog/resources/{code}", json=body(world, summary="改"), headers=ro)
    assert r.status_code == 403 and "read-only" in r.json()["message"]
    assert client.post("/api/catalog/resources", json=body(world)).status_code == 403  # anonymous


def test_public_search_sees_only_published_open_entries(world, client):
    ga, op = token(world, "ga"), token(world, "op")
    hidden = client.post(
        "/api/catalog/resources", json=body(world, name="常住人口户籍信息"), headers=ga
    ).json()
    shown = client.post(
        "/api/catalog/resources",
        json=body(
            world,
            name="户籍人口统计信息",
            share_type="unconditional",
            share_condition=None,
            share_basis=None,
            open_type="unconditional",
        ),
        headers=ga,
    ).json()
    for res in (hidden, shown):
        client.post(f"/api/catalog/resources/{res['code']}/submit", headers=ga)
        client.post(f"/api/catalog/resources/{res['code']}/publish", headers=op)
    public = client.get("/api/catalog/search", params={"q": "户籍"}).json()
    assert [h["code"] for h in public["results"]] == [shown["code"]]
    member = client.get("/api/catalog/search", params={"q": "户籍"}, headers=token(world, "mz")).json()
    assert {h["code"] for h in member["results"]} == {hidden["code"], shown["code"]}
    assert "<mark>户籍</mark>" in member["results"][0]["name_html"]
    facets = {f["value"]: f for f in member["facets"]["share_type"]}
    assert facets["conditional"]["count"] == 1 and facets["conditional"]["label"] == "有条件共享"
    first = public["results"][0]
    assert first["name"] == "户籍人口统计信息" and first["share_type_zh"] == "无条件共享"
    assert first["provider_code"] == world.police and first["status"] == "published"
    narrowed = client.get(
        "/api/catalog/search", params={"q": "户籍", "share_type": "conditional"}, headers=token(world, "mz")
    ).json()
    assert [h["code"] for h in narrowed["results"]] == [hidden["code"]]
    bad = client.get("/api/catalog/search", params={"q": "户籍", "sort": "size"})
    assert bad.status_code == 422
    misspelt = client.get("/api/catalog/search", params={"q": "户籍", "region": "330100"})
    assert misspelt.status_code == 422 and "region" in misspelt.json()["message"]


def test_unknown_search_filter_is_a_clear_error(world):
    from huitong.access import PUBLIC
    from huitong.catalog.search_service import search_page
    from huitong.errors import HuitongError

    with world.db.session() as s, pytest.raises(HuitongError, match="unknown search filter 'colour'"):
        search_page(world.db, s, PUBLIC, "户籍", filters={"colour": ["red"]})


def test_unknown_entry_is_404_with_message(client):
    r = client.get("/api/catalog/resources/101002/99999")
    assert r.status_code == 404 and "101002/99999" in r.json()["message"]


def test_a_starting_server_loads_the_search_index_before_anyone_searches(world):
    """After a restart the first search should not pay for loading the index."""
    import time

    from sqlalchemy import func, select

    from huitong.catalog import service as catalog
    from huitong.catalog.search_service import catalog_search
    from huitong.catalog.tables import Resource

    with world.db.session() as s:
        catalog.create(s, world.actor("ga"), spec(world.police))
        latest = s.scalar(select(func.max(Resource.change_seq)))
    index = catalog_search(world.db)
    assert index.seen_seq < latest  # nothing has searched yet
    with TestClient(create_app(db=world.db)):
        deadline = time.monotonic() + 30
        while index.seen_seq < latest and time.monotonic() < deadline:
            time.sleep(0.02)
        assert index.seen_seq == latest
