"""The demo city as a newcomer meets it: loaded sources with rejects they can find, sharing in
every state, masked deliveries on the record, and ID numbers that are real ones."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from huitong.aggregate.tables import LoadReject
from huitong.bootstrap import open_database
from huitong.demo.city import build_city
from huitong.demo.people import generate_enterprises, generate_people
from huitong.ledger.tables import EvidenceEntry
from huitong.org import service as org
from huitong.share import applications as apps
from huitong.share import delivery
from huitong.share.tables import Delivery, OutboxMessage, Recall, ShareRequest
from huitong.standards.idcard import validate_id_number
from huitong.standards.uscc import validate_credit_code
from huitong.store import Store


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    built = build_city(tmp_path_factory.mktemp("demo") / "city", people=2000)
    db = open_database(built.settings)
    store = Store.from_settings(built.settings)
    yield built, db, store
    store.close()
    db.dispose()


def _actor(db, username):
    with db.session() as s:
        return org.actor_for(org.get_user(s, username))


def test_every_source_loaded_rows_into_the_store_except_the_one_left_for_the_worker(city):
    built, db, store = city
    loaded = {x.plan.name: x for x in built.loads}
    assert set(loaded) == {
        "ga-hukou",
        "mz-dibao",
        "sc-qydj",
        "rs-cbxx",
        "ga-ldrk",
        "ga-ldrk-api",
        "ga-hukou-daily",
    }
    assert loaded["ga-ldrk-api"].plan.kind == "api"  # 公安's system as a paged JSON API the demo served
    assert loaded["ga-ldrk"].result is None  # scheduled, waiting for its first run
    for name, x in loaded.items():
        if x.result is not None:
            assert x.result.status == "loaded" and x.result.summary.rows_out > 0, name
    hukou = loaded["ga-hukou"]
    stored = store.read(hukou.code)
    assert stored.num_rows >= hukou.result.summary.rows_out  # plus the next day's newborns
    numbers = stored.column("公民身份号码").to_pylist()
    assert all(validate_id_number(n).ok for n in numbers)
    assert len(set(numbers)) == len(numbers)
    firms = store.read(loaded["sc-qydj"].code).column("统一社会信用代码").to_pylist()
    assert all(validate_credit_code(c).ok for c in firms)


def test_rejects_are_kept_with_row_column_and_reason(city):
    built, db, _ = city
    hukou = next(x for x in built.loads if x.plan.name == "ga-hukou").result
    assert hukou.summary.rows_rejected > 0
    with db.session() as s:
        rejects = s.scalars(select(LoadReject).where(LoadReject.load_id == hukou.load_id)).all()
    assert len(rejects) == hukou.summary.rows_rejected
    assert all(r.row and r.column for r in rejects)
    reasons = " ".join(r.reason for r in rejects)
    for expected in ("check digit", "required", "future", "duplicate key"):
        assert expected in reasons


def test_applications_exist_in_each_state_and_one_is_overdue(city):
    built, db, _ = city
    op = _actor(db, "op")
    with db.session() as s:
        states = set(s.scalars(select(ShareRequest.state)))
        overdue = apps.list_requests(s, op, overdue_only=True)
        assert s.scalar(select(func.count()).select_from(Recall).where(Recall.status == "open")) == 1
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) >= 1  # the subscriber's notice
    assert {"submitted", "provider_review", "granted", "rejected", "negotiation"} <= states
    assert [r.id for r in overdue] == [built.activity.requests["overdue"]]
    assert built.activity.simulated  # and the summary says it was simulated


def test_the_grant_delivers_fewer_items_masked_and_the_ledger_has_the_deliveries(city):
    built, db, store = city
    grant = built.activity.grants["granted"]
    page = delivery.query(db, store, _actor(db, "mzadmin"), grant, limit=5)
    row = page["rows"][0]
    assert set(row) == {"公民身份号码", "姓名", "住址"}  # 性别 and 户号 were asked for, not granted
    assert "*" in row["公民身份号码"] and len(row["公民身份号码"]) == 18
    assert "*" in row["住址"] and "*" not in row["姓名"]
    assert built.activity.verify["match"] and built.activity.verify["no_match"]  # 民政's addresses differ
    with db.session() as s:
        modes = set(s.scalars(select(Delivery.mode)))
        delivered = s.scalar(
            select(func.count())
            .select_from(EvidenceEntry)
            .where(EvidenceEntry.action.like("share.deliver.%"))
        )
    assert {"verify", "query", "batch"} <= modes and delivered >= 30


def test_the_same_seed_gives_the_same_people():
    first, again = generate_people(300, seed=7), generate_people(300, seed=7)
    assert first == again and first != generate_people(300, seed=8)
    assert generate_enterprises(20, first, seed=7) == generate_enterprises(20, again, seed=7)
    assert all(
        validate_id_number(p.id_number).ok and not validate_id_number(p.id_number).findings for p in first
    )
