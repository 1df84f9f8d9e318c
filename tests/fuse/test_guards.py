"""What a base library refuses and what its API shows: a target another library writes or that is
also an input, an input that is not published, a conflict sent back twice, and the REST endpoints of
the review queue and the conflicts, whose record keys (ID numbers, for 户籍) are never shown whole."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from huitong.api.app import create_app
from huitong.catalog import service as catalog
from huitong.errors import HuitongError
from huitong.fuse import service as fuse
from huitong.fuse.definition import parse_definition
from huitong.org import service as org
from tests.fuse.world import add_target, build_city, definition, police_rows, resident

pytestmark = pytest.mark.pg


@pytest.fixture
def city(world, test_database, tmp_path):
    built = build_city(
        world, test_database.url, tmp_path / "warehouse", police_data=police_rows(mistyped=True)
    )
    yield built
    built.store.close()


def _define(city, data):
    with city.db.session() as s:
        return fuse.define(s, city.op, parse_definition(data))


def _refused(city, data) -> list[str]:
    with pytest.raises(HuitongError) as err:
        _define(city, data)
    assert err.value.code == "invalid"
    return [p.message for p in err.value.problems]


def test_a_target_is_one_librarys_and_never_one_of_its_inputs(city):
    _define(city, definition(city))
    assert any("already base library renkou" in m for m in _refused(city, definition(city, code="other")))
    # a library that reads its own output (another, unused target, so only that is wrong)
    data = definition(city, code="selfin", target=add_target(city, "人口基础库（二）"))
    data["inputs"].append({"resource": data["target"], "roles": {"record_id": "基础库标识", "name": "姓名"}})
    assert any("also an input" in m for m in _refused(city, data))
    data = definition(city, code="selfin2", target=city.target)
    data["inputs"].append({"resource": city.target, "roles": {"record_id": "基础库标识", "name": "姓名"}})
    assert any("also an input" in m for m in _refused(city, data))


def test_an_input_that_is_not_published_is_refused(city):
    with city.db.session() as s:
        catalog.retire(s, city.op, city.market, "superseded")
    messages = _refused(city, definition(city))
    assert any(city.market in m or "retired" in m for m in messages)


def test_a_conflict_sent_back_twice_raises_one_objection_per_record(city):
    _define(city, definition(city, authority={"address": [city.civil]}))
    fuse.run(city.db, city.store, city.op, "renkou")
    with city.db.session() as s:
        conflict = fuse.conflicts(s, city.op, "renkou", limit=1)[0]
    with city.db.session() as s:
        first = fuse.object_to_conflict(s, city.store, city.op, "renkou", conflict.base_id, conflict.field)
    with city.db.session() as s:
        again = fuse.object_to_conflict(s, city.store, city.op, "renkou", conflict.base_id, conflict.field)
    assert first and again == []


def test_the_api_lists_the_queue_and_conflicts_masked_and_decides_a_pair_by_its_id(city):
    _define(city, definition(city, authority={"address": [city.civil]}))
    fuse.run(city.db, city.store, city.op, "renkou")
    client = TestClient(create_app(db=city.db), raise_server_exceptions=False)
    with city.db.session() as s:
        _, secret = org.issue_token(s, city.op, "op", "test", scope="write")
        _, theirs = org.issue_token(s, city.world.actor("ga"), "ga", "test", scope="write")
        members = fuse.members(s, city.op, "renkou")
    op, ga = {"Authorization": f"Bearer {secret}"}, {"Authorization": f"Bearer {theirs}"}
    ids = [resident(n).id_number for n in range(60)]

    got = client.get("/api/fuse/renkou/conflicts", headers=op)
    assert got.status_code == 200 and got.json()
    assert not any(i in got.text for i in ids), "a full ID number in the conflicts"
    queue = client.get("/api/fuse/renkou/review", headers=op)
    assert queue.status_code == 200 and not any(i in queue.text for i in ids)
    assert client.get("/api/fuse/renkou/review?limit=0", headers=op).status_code == 422

    a, b = sorted(k for k, _ in members)[:2]
    decided = client.post(
        "/api/fuse/renkou/review", headers=op, json={"record_a": a, "record_b": b, "same": False}
    )
    assert decided.status_code == 201 and not any(i in decided.text for i in ids)
    assert (
        client.post("/api/fuse/renkou/review", headers=op, json={"pair": 10**9, "same": True}).status_code
        == 404
    )
    assert client.post("/api/fuse/renkou/review", headers=op, json={"same": True}).status_code == 422
    assert client.get("/api/fuse/renkou/conflicts", headers=ga).status_code == 403
    assert client.post("/api/fuse/renkou/runs", headers=ga).status_code == 403
