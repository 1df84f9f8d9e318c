"""Objections (异议处理) end to end, through the real pipeline, grants and deliveries: routed by
lineage, flagged records marked (never withheld) in lookups, queries and data views, answered by
the holder only, corrected by a newer version, the raiser told, working-day deadlines across
National Day 2026, every step in the ledger; and the same at the API and the CLI."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huitong.aggregate.pipeline import run_load
from huitong.api.app import create_app
from huitong.catalog import service as catalog
from huitong.config import Settings
from huitong.errors import Conflict, Forbidden, HuitongError, NotFound
from huitong.ledger.tables import EvidenceEntry
from huitong.quality import objections as service
from huitong.share import delivery
from tests.aggregate.flow import cli, make_flow, person_id, write_export
from tests.aggregate.test_api_aggregate import token
from tests.share.conftest import Sharing
from tests.world import spec

pytestmark = pytest.mark.pg
BJ = ZoneInfo("Asia/Shanghai")


def bj(*args) -> datetime:
    """A Beijing wall-clock time."""
    return datetime(*args, tzinfo=BJ)


@pytest.fixture
def flow(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path, good=4)
    f.first = run_load(world.db, f.store, world.actor("ga"), "hj")
    yield f
    f.store.close()


def raise_on(flow, who="mz", n=1, **kw):
    with flow.world.db.session() as s:
        return service.raise_objection(
            s,
            flow.store,
            flow.world.actor(who),
            flow.code,
            kw.pop("reason", "姓名登记有误"),
            key=kw.pop("key", person_id(n)),
            **kw,
        ).id


def step(flow, who, oid, action, **kw):
    with flow.world.db.session() as s:
        return service.take_step(s, flow.world.actor(who), oid, action, store=flow.store, **kw).state


def lookup_row(flow, gid, n):
    return delivery.lookup(flow.world.db, flow.store, flow.world.actor("mz"), gid, person_id(n))


def test_the_full_walk_with_an_extension_a_correction_the_flag_and_the_ledger(flow):
    sharing = Sharing(flow.world, flow.store, flow.code, flow.code, flow.code)
    gid = sharing.granted()
    assert "_disputed" not in lookup_row(flow, gid, 1)["rows"][0]  # cached before the flag

    with pytest.raises(HuitongError, match="at most 5 MB"):
        raise_on(flow, evidence=service.Evidence("scan.pdf", b"x" * (5 * 1024 * 1024 + 1)))
    oid = raise_on(flow, evidence=service.Evidence("户口本.pdf", b"%PDF-1.4 scan"))
    with flow.world.db.session() as s:
        d = service.get(s, flow.world.actor("ga"), oid)
        assert d.objection.holder_department_id == flow.world.actor("ga").department_id
        assert d.objection.load_id == flow.first.load_id  # the row's _load_id
        assert d.evidence[0].sha256 == hashlib.sha256(b"%PDF-1.4 scan").hexdigest()
    assert step(flow, "op", oid, "accept") == "accepted"
    assert step(flow, "op", oid, "flag") == "flagged"

    answer = lookup_row(flow, gid, 1)
    assert answer["found"] and answer["rows"][0]["_disputed"] is True  # served, and marked
    assert answer["quality"]["open_objections"] == 1
    assert "_disputed" not in lookup_row(flow, gid, 2)["rows"][0]
    page = delivery.query(flow.world.db, flow.store, flow.world.actor("mz"), gid)
    assert [r.get("_disputed", False) for r in page["rows"]] == [False, True, False, False]
    assert page["quality"] == {"score": None, "open_objections": 1, "resource_disputed": False}
    csv_text = "".join(delivery.csv_text(page["rows"]))
    assert csv_text.splitlines()[0].endswith(",_disputed")

    assert step(flow, "op", oid, "forward") == "verifying"
    with pytest.raises(Forbidden, match="only the holder"):
        step(flow, "mz", oid, "correct", correction="1")  # the raiser does not decide
    with pytest.raises(Forbidden, match="only the holder"):
        step(flow, "op", oid, "reject", reason="无误")  # nor does the operator
    with pytest.raises(HuitongError, match="needs a reason"):
        step(flow, "ga", oid, "extend")
    assert step(flow, "ga", oid, "extend", reason="需调取原始档案") == "extended"
    with pytest.raises(Conflict):
        step(flow, "ga", oid, "extend", reason="again")
    with pytest.raises(HuitongError, match="before the objection"):
        step(flow, "ga", oid, "correct", correction=str(flow.first.snapshot_id))
    with pytest.raises(NotFound):
        step(flow, "ga", oid, "correct", correction="12345")

    write_export(flow.export, 4, rename={1: "居民一"})  # the corrected data, through the pipeline
    fixed = run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj")
    assert step(flow, "ga", oid, "correct", correction=str(fixed.snapshot_id)) == "corrected"
    assert lookup_row(flow, gid, 1)["rows"][0]["_disputed"] is True  # until the flag comes off
    with flow.world.db.session() as s:
        (notice, obj), *_ = service.notices(s, flow.world.actor("mz"))
        assert obj.id == oid and notice.kind == "correct" and str(fixed.snapshot_id) in notice.message
        assert service.notices(s, flow.world.actor("sj")) == []
    assert step(flow, "op", oid, "unflag") == "unflagged"
    assert "_disputed" not in lookup_row(flow, gid, 1)["rows"][0]
    assert step(flow, "op", oid, "archive") == "archived"

    with flow.world.db.session() as s:
        d = service.get(s, flow.world.actor("mz"), oid)
        assert d.objection.correction == str(fixed.snapshot_id) and d.actions == []
        assert [x.action for x in d.steps][-3:] == ["correct", "unflag", "archive"]
        entries = s.scalars(
            select(EvidenceEntry.action)
            .where(EvidenceEntry.object_type == "objection", EvidenceEntry.object_id == str(oid))
            .order_by(EvidenceEntry.id)
        ).all()
        assert [e.removeprefix("quality.objection.") for e in entries] == [
            "submit",
            "accept",
            "flag",
            "forward",
            "extend",
            "correct",
            "unflag",
            "archive",
        ]
        (police,) = service.department_figures(s, flow.world.actor("sj"))
        assert (police.received, police.answered, police.on_time, police.on_time_rate) == (1, 1, 1, 1.0)
        assert police.median_days == 0.0


def test_who_sees_and_who_decides(flow):
    oid = raise_on(flow)
    world = flow.world
    with world.db.session() as s:
        assert [o.id for o in service.list_for(s, world.actor("mz"))] == [oid]  # the raiser's own
        assert [o.id for o in service.list_for(s, world.actor("mzu"))] == [oid]  # its department's staff
        assert [o.id for o in service.list_for(s, world.actor("ga"))] == [oid]  # routed to the holder
        assert [o.id for o in service.list_for(s, world.actor("aud"))] == [oid]
        assert service.list_for(s, world.actor("sj")) == []  # another department sees nothing
        with pytest.raises(NotFound, match=f"no objection {oid}"):
            service.get(s, world.actor("sj"), oid)
    with pytest.raises(NotFound):
        step(flow, "sj", oid, "accept")
    with pytest.raises(Forbidden, match="auditors only see"):
        step(flow, "aud", oid, "accept")
    with pytest.raises(Forbidden, match="only the operator"):
        step(flow, "ga", oid, "accept")  # the holder does not accept its own objections
    assert step(flow, "mz", oid, "withdraw") == "withdrawn"


def test_routing_by_lineage_and_a_whole_resource_objection(flow):
    world = flow.world
    with world.db.session() as s:
        civil = catalog.create(s, world.actor("mz"), spec(world.civil, name="低保对象信息")).code
        catalog.submit(s, world.actor("mz"), civil)
        catalog.review(s, world.actor("op"), civil, "approve")
    oid = raise_on(flow, who="sj", n=2)
    with world.db.session() as s:
        first = service.raise_objection(s, flow.store, world.actor("ga"), civil, "数据未按期更新")
        whole, civil_dept = first.id, first.holder_department_id
        obj = service.get(s, world.actor("op"), oid).objection
        assert (
            obj.load_id == flow.first.load_id and obj.holder_department_id == world.actor("ga").department_id
        )
    assert civil_dept == world.actor("mz").department_id and whole != oid
    assert [step(flow, "op", oid, a) for a in ("accept", "flag")] == ["accepted", "flagged"]
    with world.db.session() as s:
        marks = service.disputed_keys(s, flow.code)
        assert marks.records == {(person_id(2),): frozenset()} and not marks.whole
        unknown = service.raise_objection(s, flow.store, world.actor("sj"), flow.code, "x", key="110101X")
        assert unknown.load_id is None and unknown.holder_department_id == obj.holder_department_id
        with pytest.raises(HuitongError, match="has no data item"):
            service.raise_objection(s, flow.store, world.actor("sj"), flow.code, "x", key="1", item="身高")


def test_deadlines_across_national_day_2026_and_the_overdue_list(flow):
    """Submitted 30 September: 10-01..10-07 are holidays, so the operator's 2 working days end on
    9 October; forwarded then, the holder's 5 end on 15 October, since Saturday 10-10 is a make-up
    working day (调休)."""
    oid = raise_on(flow, now=bj(2026, 9, 30, 10))
    op = flow.world.actor("op")
    with flow.world.db.session() as s:
        obj = service.get(s, op, oid).objection
        assert obj.due_at == bj(2026, 10, 9, 23, 59, 59) and obj.due_party == "operator"
        assert service.overdue(s, op, now=bj(2026, 10, 9, 23)) == []
        assert [o.id for o in service.overdue(s, op, now=bj(2026, 10, 10, 1))] == [oid]
        assert service.overdue(s, flow.world.actor("sj"), now=bj(2026, 10, 10, 1)) == []  # not theirs
    for action in ("accept", "flag", "forward"):
        step(flow, "op", oid, action, now=bj(2026, 10, 9, 10))
    with flow.world.db.session() as s:
        obj = service.get(s, op, oid).objection
        assert obj.due_at == bj(2026, 10, 15, 23, 59, 59) and obj.due_party == "holder"
        assert service.overdue(s, op, now=bj(2026, 10, 15, 23)) == []
        assert [o.id for o in service.overdue(s, flow.world.actor("ga"), now=bj(2026, 10, 16, 0, 30))] == [
            oid
        ]
    step(flow, "ga", oid, "reject", reason="经核实无误", now=bj(2026, 10, 16, 9))
    with flow.world.db.session() as s:
        (police,) = service.department_figures(s, op, now=bj(2026, 10, 16, 10))
        assert (police.answered, police.on_time, police.on_time_rate) == (1, 0, 0.0)
        assert police.median_days == 6.0  # 10-10, 12, 13, 14, 15, 16
        assert service.overdue(s, op, now=bj(2026, 10, 20)) == []  # answered: no clock runs
        (notice, _), *_ = service.notices(s, flow.world.actor("mz"))
        assert notice.kind == "reject" and "经核实无误" in notice.message


def test_the_api_walk_and_the_data_view(flow, test_database):
    app = create_app(Settings(data_dir=flow.tmp, database_url=test_database.url), db=flow.world.db)
    client = TestClient(app, raise_server_exceptions=False)
    try:
        mz, op, ga, sj = (token(flow.world, u) for u in ("mz", "op", "ga", "sj"))
        body = {
            "resource": flow.code,
            "reason": "住址已变更",
            "key": {"公民身份号码": person_id(3)},
            "item": "姓名",
            "evidence": {"name": "证明.txt", "content_base64": base64.b64encode(b"proof").decode()},
        }
        r = client.post("/api/quality/objections", headers=mz, json=body)
        assert r.status_code == 201, r.text
        oid = r.json()["id"]
        # the raiser is not told which load wrote the row: that would say the person is registered
        assert r.json()["load_id"] is None and r.json()["snapshot_id"] is None
        assert client.get(f"/api/quality/objections/{oid}", headers=ga).json()["load_id"] is not None
        assert client.get(f"/api/quality/objections/{oid}", headers=sj).status_code == 404
        bad = client.post(
            "/api/quality/objections",
            headers=mz,
            json=body | {"evidence": {"name": "x", "content_base64": "!"}},
        )
        assert bad.status_code == 422 and "base64" in bad.json()["message"]
        huge = b'{"resource": "x", "reason": "y", "evidence": {"name": "a", "content_base64": "' + b"A" * (
            9 << 20
        )
        r = client.post(
            "/api/quality/objections", headers=mz | {"content-type": "application/json"}, content=huge
        )
        assert r.status_code == 413 and "8 MB" in r.json()["message"]  # by its length, before it is read

        def chunks():  # no length given: stopped once it passes the limit
            for _ in range(10):
                yield b"A" * (1 << 20)

        r = client.post(
            "/api/quality/objections", headers=mz | {"content-type": "application/json"}, content=chunks()
        )
        assert r.status_code == 413
        for action in ("accept", "flag"):
            r = client.post(f"/api/quality/objections/{oid}/steps", headers=op, json={"action": action})
            assert r.status_code == 200 and r.json()["state"] in ("accepted", "flagged")
        r = client.post(f"/api/quality/objections/{oid}/steps", headers=mz, json={"action": "flag"})
        assert r.status_code == 409
        shown = client.get(f"/api/quality/objections/{oid}", headers=ga).json()
        assert shown["you_are"] == ["holder"] and shown["actions"] == []
        file = client.get(f"/api/quality/objections/{oid}/evidence/{shown['evidence'][0]['id']}", headers=ga)
        assert file.content == b"proof"
        view = client.get(f"/api/data/{flow.code}/rows", headers=ga).json()
        marked = [r for r in view["rows"] if r.get("_disputed")]
        assert len(marked) == 1 and marked[0]["公民身份号码"] == person_id(3)
        assert marked[0]["_disputed_items"] == ["姓名"] and view["quality"]["open_objections"] == 1
        figures = client.get("/api/quality/objections/departments", headers=sj).json()
        assert figures[0]["received"] == 1 and figures[0]["open"] == 1
    finally:
        store = getattr(app.state, "store", None)
        if store is not None:
            store.close()


def test_the_cli_walk(flow, monkeypatch, test_database, tmp_path):
    run = cli(monkeypatch, test_database, tmp_path)
    env = {u: {"HUITONG_AS": u} for u in ("mz", "op", "sj")}  # acting as each user
    proof = tmp_path / "proof.txt"
    proof.write_bytes(b"proof")
    r = run(
        "objection",
        "raise",
        flow.code,
        "--reason",
        "姓名有误",
        "--key",
        person_id(0),
        "--evidence",
        str(proof),
        env=env["mz"],
    )
    assert r.exit_code == 0 and "submitted" in r.output, r.output
    oid = r.output.split()[1]
    r = run("objection", "step", oid, "accept", env=env["op"])
    assert r.exit_code == 0 and "accepted" in r.output, r.output
    r = run("objection", "step", oid, "decline", env=env["op"])
    assert (
        r.exit_code == 1
        and "cannot decline an objection that is accepted" in r.output
        and "Traceback" not in r.output
    )
    r = run("objection", "list", env=env["mz"])
    assert r.exit_code == 0 and "已受理" in r.output
    r = run("objection", "show", oid, env=env["sj"])
    assert r.exit_code == 1 and f"no objection {oid}" in r.output
    r = run("objection", "show", oid, env=env["op"])
    assert r.exit_code == 0 and "proof.txt" in r.output and "you may: flag" in r.output


def test_batch_extracts_and_change_sets_mark_the_disputed_records(flow, tmp_path):
    """Every extract has the two marker columns (one schema for the consumer's import), true on
    the flagged record; a change set marks its added and changed rows the same way."""
    import csv

    import pyarrow.parquet as pq

    sharing = Sharing(flow.world, flow.store, flow.code, flow.code, flow.code)
    gid = sharing.granted(items=["姓名", "性别"])  # the key is not granted, yet the flag is found
    mz = flow.world.actor("mz")
    before = delivery.batch(flow.world.db, flow.store, mz, gid, tmp_path, fmt="parquet")
    plain = pq.read_table(tmp_path / f"delivery-{before['delivery']}.parquet")
    assert plain.column("_disputed").to_pylist() == [False] * 4 and before["disputed_rows"] == 0
    oid = raise_on(flow, n=2, item="姓名")
    step(flow, "op", oid, "accept")
    step(flow, "op", oid, "flag")

    m = delivery.batch(flow.world.db, flow.store, mz, gid, tmp_path, fmt="csv")
    path, _ = delivery.open_extract(flow.world.db, mz, m["delivery"], tmp_path)
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    marked = [r for r in rows if r["_disputed"] == "True"]
    assert len(marked) == 1 and marked[0]["姓名"].startswith("居") and marked[0]["_disputed_items"] == "姓名"
    assert "公民身份号码" not in rows[0] and m["disputed_rows"] == 1
    assert m["quality"]["open_objections"] == 1 and m["markers"] == ["_disputed", "_disputed_items"]

    write_export(flow.export, 5, rename={2: "居民二"})  # one renamed, one added
    second = run_load(flow.world.db, flow.store, flow.world.actor("ga"), "hj")
    cs = delivery.changes(flow.world.db, flow.store, mz, gid, flow.first.snapshot_id, second.snapshot_id)
    assert [r.get("_disputed", False) for r in cs["changed"]] == [True]
    assert cs["changed"][0]["_disputed_items"] == ["姓名"]
    assert [r.get("_disputed", False) for r in cs["added"]] == [False]
    assert cs["quality"]["open_objections"] == 1


def _masked(value: str) -> str:
    """An ID number as its default view (一般4级, the id_number rule) shows it."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def test_the_record_key_is_masked_for_the_operator_and_auditors_in_the_service(flow):
    """The raiser (who gave it) and the holder (whose data it is) see the key as given; the
    operator and auditors each value by its item's grade and mask rule. Nothing stored changes."""
    clear = person_id(1)
    oid = raise_on(flow, n=1)
    whole = raise_on(flow, key=None)
    with flow.world.db.session() as s:
        found = service.list_for(s, flow.world.actor("op"))
        for who, shown in (("mz", clear), ("mzu", clear), ("ga", clear), ("op", _masked(clear))):
            keys = service.shown_keys(s, flow.world.actor(who), found)
            assert keys[oid] == [shown] and keys[whole] == [], who
        assert service.shown_keys(s, flow.world.actor("aud"), found)[oid] == [_masked(clear)]
        assert service.get(s, flow.world.actor("op"), oid).objection.key == [clear]  # stored as given
        assert service.shown_keys(s, flow.world.actor("op"), []) == {}


def test_the_record_key_is_masked_for_the_operator_and_auditors_at_the_api(flow, test_database):
    clear = person_id(2)
    oid = raise_on(flow, n=2, now=bj(2026, 9, 30, 10))  # long overdue
    app = create_app(Settings(data_dir=flow.tmp, database_url=test_database.url), db=flow.world.db)
    client = TestClient(app, raise_server_exceptions=False)
    try:
        for who, shown in (("op", _masked(clear)), ("aud", _masked(clear)), ("mz", clear), ("ga", clear)):
            h = token(flow.world, who)
            listed = client.get("/api/quality/objections", headers=h)
            detail = client.get(f"/api/quality/objections/{oid}", headers=h)
            late = client.get("/api/quality/objections/overdue", headers=h)
            assert [o["key"] for o in listed.json() if o["id"] == oid] == [[shown]], who
            assert detail.json()["key"] == [shown], who
            assert [o["key"] for o in late.json() if o["id"] == oid] == [[shown]], who
            if shown != clear:
                for r in (listed, detail, late):
                    assert clear not in r.text, who
        r = client.post(
            f"/api/quality/objections/{oid}/steps", headers=token(flow.world, "op"), json={"action": "accept"}
        )
        assert r.status_code == 200 and r.json()["key"] == [_masked(clear)] and clear not in r.text
        notices = client.get("/api/quality/objections/notices", headers=token(flow.world, "mz"))
        assert notices.status_code == 200 and clear not in notices.text  # notices carry no key
    finally:
        store = getattr(app.state, "store", None)
        if store is not None:
            store.close()


def test_the_record_key_is_masked_for_the_operator_and_auditors_at_the_cli(
    flow, monkeypatch, test_database, tmp_path
):
    clear = person_id(3)
    oid = str(raise_on(flow, n=3))
    run = cli(monkeypatch, test_database, tmp_path)
    for who in ("op", "aud"):
        for args in (("list",), ("list", "--overdue"), ("show", oid)):
            r = run("objection", *args, env={"HUITONG_AS": who})
            assert r.exit_code == 0, r.output
            assert clear not in r.output, (who, args)
        assert _masked(clear) in run("objection", "list", env={"HUITONG_AS": who}).output
        assert _masked(clear) in run("objection", "show", oid, env={"HUITONG_AS": who}).output
    for who in ("mz", "ga"):
        assert clear in run("objection", "list", env={"HUITONG_AS": who}).output, who
        assert clear in run("objection", "show", oid, env={"HUITONG_AS": who}).output, who


def test_keys_as_people_type_them_route_by_lineage_and_odd_ones_are_refused(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path, good=6)  # person 4's number ends in X
    try:
        loaded = run_load(world.db, f.store, world.actor("ga"), "hj")
        with world.db.session() as s:
            typed = service.raise_objection(
                s, f.store, world.actor("mz"), f.code, "姓名有误", key=person_id(4).lower()
            )
            assert (
                typed.load_id == loaded.load_id
            )  # found as stored (upper-case X), not sent to the provider blind
            for bad in ({"公民身份号码": {"a": 1}}, {"公民身份号码": [person_id(4)]}):
                with pytest.raises(HuitongError, match="one text or number"):
                    service.raise_objection(s, f.store, world.actor("mz"), f.code, "x", key=bad)
        with pytest.raises(HuitongError, match="at most 2000"):
            step(f, "op", typed.id, "decline", reason="x" * 2001)
    finally:
        f.store.close()
