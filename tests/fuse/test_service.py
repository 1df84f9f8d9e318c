"""Base libraries (基础库, 多源融合) through the real catalog, store and ledger, on SQLite and
PostgreSQL: a definition checked against the catalog (and the grades it raises), a run that writes
one row per person as a new version of the base library's entry with every field's source, the
golden record chosen by 数源部门 and priority, ids that stay put across runs, a steward's verdicts
merging and splitting people and holding through retraining, who may do what, one person explained.

Who is who is asserted only where exact ID numbers decide it (the linkage model trained on a few
dozen people is not asked for probabilities).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.errors import Forbidden, HuitongError, NotFound
from huitong.fuse import golden as goldens
from huitong.fuse import service as fuse
from huitong.fuse.definition import parse_definition
from huitong.fuse.tables import FusionEvent
from huitong.ledger.tables import EvidenceEntry
from huitong.standards.elements import Grade, max_grade
from tests.fuse.world import (
    CIVIL_ITEMS,
    CIVIL_RANGE,
    FORMER_NAME,
    LEGACY,
    MARKET_ITEMS,
    MARKET_RANGE,
    MISHEARD,
    MISTYPED,
    MOVED,
    NEW_PHONE,
    NO_ID,
    POLICE_ITEMS,
    POLICE_RANGE,
    ROLES,
    TRADITIONAL,
    City,
    add_target,
    build_city,
    civil_rows,
    definition,
    legacy_id,
    market_rows,
    misheard,
    mistyped_birth,
    moved_address,
    new_phone,
    police_rows,
    publish_entry,
    reissued_id,
    resident,
)

pytestmark = pytest.mark.pg

# the fused fields and the items of the 人口基础库 entry they are written to
FIELD_ITEMS = {
    "name": "姓名",
    "id_number": "公民身份号码",
    "birth_date": "出生日期",
    "gender": "性别",
    "address": "住址",
    "phone": "手机号码",
}
ORDER = ("police", "civil", "market")  # the inputs' priority in the 人口库 definition


# ---- what the test data says, independently of the code under test ----------------------------


def police_key(city: City, n: int) -> str:
    return f"{city.police}:{resident(n).id_number}"


def civil_key(city: City, n: int) -> str:
    r = resident(n)
    return f"{city.civil}:{legacy_id(r.id_number) if n == LEGACY else r.id_number}"


def market_key(city: City, n: int) -> str:
    return f"{city.market}:JKZ{n:05d}"


def records_of(city: City, n: int) -> dict[str, str]:
    """Input (police, civil, market) → the key of its record of resident ``n``, in priority order."""
    out = {}
    if n in POLICE_RANGE:
        out["police"] = police_key(city, n)
    if n in CIVIL_RANGE:
        out["civil"] = civil_key(city, n)
    if n in MARKET_RANGE:
        out["market"] = market_key(city, n)
    return out


def people(city: City) -> dict[int, dict[str, str]]:
    return {n: records_of(city, n) for n in sorted({*POLICE_RANGE, *CIVIL_RANGE, *MARKET_RANGE})}


# ---- reading what a run left ---------------------------------------------------------------------


def base_of(city: City, code: str = "renkou") -> dict[str, str]:
    """Record key → base id, as of the last run."""
    with city.db.session(read_only=True) as s:
        return dict(fuse.members(s, city.op, code))


def rows_by_id(city: City, target: str | None = None) -> dict[str, dict]:
    table = city.store.read(target or city.target)
    return {r["基础库标识"]: r for r in table.to_pylist()}


def events(city: City, run_id: int) -> list[tuple[str, str, list[str]]]:
    with city.db.session(read_only=True) as s:
        return [
            (e.kind, e.base_id, list(e.others))
            for e in s.scalars(
                select(FusionEvent).where(FusionEvent.run_id == run_id).order_by(FusionEvent.id)
            )
        ]


def define(city: City, data: dict, actor=None):
    with city.db.session() as s:
        return fuse.define(s, actor or city.op, parse_definition(data)).code


def run(city: City, code: str = "renkou", **kw) -> fuse.RunResult:
    return fuse.run(city.db, city.store, city.op, code, **kw)


def decide(city: City, a: str, b: str, same: bool, code: str = "renkou", reason: str | None = None):
    with city.db.session() as s:
        fuse.decide(s, city.op, code, a, b, same, reason=reason)


def items_of(city: City) -> dict[str, list[DataItem]]:
    return {city.police: POLICE_ITEMS, city.civil: CIVIL_ITEMS, city.market: MARKET_ITEMS}


def grades_of(city: City, code: str) -> dict[str, Grade]:
    with city.db.session(read_only=True) as s:
        return {it.name: Grade(it.grade) for it in catalog.get(s, city.op, code).items}


# ---- one city fused once, shared by the tests that only read ----------------------------------------

# the shared 人口库: 公安, then 健康证 (whose entry names 公安 as its 数源部门), then 民政, named by the
# definition as the source of 住址
SHARED_ORDER = ("police", "market", "civil")


@dataclass
class Fused:
    city: City
    first: fuse.RunResult


@pytest.fixture(scope="module", params=["sqlite", "pg"])
def fused(request, tmp_path_factory):
    from tests.conftest import TestDatabase
    from tests.world import build_world

    tmp = tmp_path_factory.mktemp(f"fused-{request.param}")
    tdb = TestDatabase(request.param, tmp)
    db = tdb.open()
    city = None
    try:
        world = build_world(db)
        city = build_city(
            world,
            tdb.url,
            tmp / "warehouse",
            market_authority=world.police,
            police_data=police_rows(mistyped=True),
        )
        define(city, definition(city, order=SHARED_ORDER, authority={"address": [city.civil]}))
        yield Fused(city, run(city))
    finally:
        if city is not None:
            city.store.close()
        db.dispose()
        tdb.drop()


def first_holder(city: City, keys: dict[str, str]) -> str:
    """Who gives a person's 姓名 in the shared 人口库: 公安 or 民政 (their own 数源部门, 公安 first),
    健康证 only for whom neither holds."""
    which = "police" if "police" in keys else "civil" if "civil" in keys else "market"
    return getattr(city, which)


def test_a_run_writes_one_row_per_person_as_a_new_version_of_the_base_library(fused):
    city, result = fused.city, fused.first
    versions = city.store.versions(city.target)
    assert [str(v.snapshot_id) for v in versions] == [result.run.output_snapshot_id]
    rows, base = rows_by_id(city), base_of(city)
    expected = people(city)
    assert len(rows) == len(expected)
    read = {c: city.store.version(c) for c in (city.police, city.civil, city.market)}
    for n, keys in expected.items():
        ids = {base[k] for k in keys.values()}
        assert len(ids) == 1, f"resident {n}'s records are under {ids}"
        row, r = rows[ids.pop()], resident(n)
        assert row["来源记录数"] == len(keys)
        assert row["姓名"] == r.name
        # 公安 is first and its own 数源部门: its 出生日期 is taken, mistyped or not
        assert row["出生日期"] == (mistyped_birth(r) if n == MISTYPED else r.born)
        assert row["公民身份号码"] == (None if n == NO_ID else r.id_number)
        assert row["性别"] == (None if n == NO_ID else r.gender)  # 健康证 has no 性别: only its ID tells
        assert row["住址"] == (moved_address(r) if n == MOVED else r.address)
        assert row["手机号码"] == (r.phone if {"civil", "market"} & set(keys) else None)
        lineage = json.loads(row["字段来源"])
        assert set(lineage) == {f for f, item in FIELD_ITEMS.items() if row[item] is not None}
        for where in lineage.values():
            assert set(where) == {"source", "snapshot", "load"}
            assert any(k.startswith(where["source"] + ":") for k in keys.values())
            assert where["snapshot"] == str(read[where["source"]].snapshot_id)
            assert where["load"] == str(read[where["source"]].load_id)
        assert lineage["name"]["source"] == first_holder(city, keys)


def test_every_source_record_is_a_member_and_the_figures_agree_with_the_data(fused):
    city, stats = fused.city, fused.first.run.stats
    inputs = {city.police: police_rows(mistyped=True), city.market: market_rows(), city.civil: civil_rows()}
    expected = people(city)
    base = base_of(city)
    assert set(base) == {k for keys in expected.values() for k in keys.values()}
    assert stats["records"] == sum(t.num_rows for t in inputs.values()) == len(base)
    assert stats["by_input"] == {c: t.num_rows for c, t in inputs.items()}
    assert stats["clusters"] == len(expected) == len(set(base.values()))
    assert stats["singletons"] == sum(1 for keys in expected.values() if len(keys) == 1)
    assert stats["multi_source"] == sum(1 for keys in expected.values() if len(keys) > 1)
    assert stats["events"] == {"created": len(expected), "merged": 0, "split": 0, "retired": 0}
    assert stats["retrained"] is True and stats["decisions"] == 0
    assert stats["incremental"] is False and stats["changed"] == stats["records"]  # a first run links all
    # the sources disagree on four things: a misheard name, a moved resident, a new phone number and
    # a mistyped birth date (民政's read from the ID number)
    disagree = sorted(
        [
            (base[police_key(city, MISHEARD)], "name"),
            (base[police_key(city, MISTYPED)], "birth_date"),
            (base[police_key(city, MOVED)], "address"),
            (base[market_key(city, NEW_PHONE)], "phone"),
        ]
    )
    with city.db.session(read_only=True) as s:
        assert [(c.base_id, c.field) for c in fuse.conflicts(s, city.op, "renkou")] == disagree
        summary = fuse.summary(s, city.op, "renkou")
    assert stats["conflicts"] == len(disagree)
    assert summary["target"] == city.target and summary["trained"] is True
    assert summary["inputs"] == [getattr(city, which) for which in SHARED_ORDER]
    assert summary["last_run"]["snapshot"] == fused.first.run.output_snapshot_id
    assert summary["last_run"]["clusters"] == stats["clusters"] and summary["decisions"] == 0


def test_the_run_is_in_the_ledger_with_what_it_read_and_wrote(fused):
    city, first = fused.city, fused.first.run
    with city.db.session(read_only=True) as s:
        entries = s.scalars(
            select(EvidenceEntry).where(
                EvidenceEntry.action == "fuse.run", EvidenceEntry.object_id == "renkou"
            )
        ).all()
        defined = s.scalars(
            select(EvidenceEntry).where(
                EvidenceEntry.action == "fuse.define", EvidenceEntry.object_id == "renkou"
            )
        ).all()
    (entry,) = [e for e in entries if json.loads(e.details)["run"] == first.id]
    details = json.loads(entry.details)
    assert entry.actor_name == "op" and entry.object_type == "fusion"
    assert details["target"] == city.target
    assert details["snapshot"] == first.output_snapshot_id == str(city.store.version(city.target).snapshot_id)
    assert details["inputs"] == {
        c: str(city.store.version(c).snapshot_id) for c in (city.police, city.civil, city.market)
    }
    assert details["records"] == first.stats["records"] and details["clusters"] == first.stats["clusters"]
    assert len(defined) == 1 and json.loads(defined[0].details)["target"] == city.target


def test_a_traditional_name_a_15_digit_id_and_a_record_without_id_fold_in_as_they_should(fused):
    city = fused.city
    base, rows = base_of(city), rows_by_id(city)
    with city.db.session(read_only=True) as s:
        conflicts = {(c.base_id, c.field) for c in fuse.conflicts(s, city.op, "renkou", limit=1000)}
    # 陳麗華 at 民政 is 陈丽华 at 公安: one person, her name no conflict, shown in simplified form
    bid = base[police_key(city, TRADITIONAL)]
    assert base[civil_key(city, TRADITIONAL)] == bid
    assert rows[bid]["姓名"] == "陈丽华" and (bid, "name") not in conflicts
    # the 15-digit number is the same person's 18-digit one
    bid = base[police_key(city, LEGACY)]
    assert base[civil_key(city, LEGACY)] == bid and len(civil_key(city, LEGACY).split(":")[1]) == 15
    assert rows[bid]["公民身份号码"] == resident(LEGACY).id_number and (bid, "id_number") not in conflicts
    # a record without ID is kept, as a person of its own, with what it does say
    bid = base[market_key(city, NO_ID)]
    assert rows[bid]["公民身份号码"] is None and rows[bid]["姓名"] == resident(NO_ID).name
    assert [k for k, b in base.items() if b == bid] == [market_key(city, NO_ID)]


def _conflict(city: City, bid: str, field: str) -> list[tuple[str, str, str]]:
    with city.db.session(read_only=True) as s:
        (c,) = [c for c in fuse.conflicts(s, city.op, "renkou") if (c.base_id, c.field) == (bid, field)]
    return sorted((v["source"], v["record_key"], v["value"]) for v in c.values)


def _chosen(city: City, bid: str, field: str) -> tuple[object, dict]:
    """The chosen value and where it came from: the lineage stored with the row names the source
    and version; the record is the one of that source the base id fuses (fusion_member)."""
    row = rows_by_id(city)[bid]
    with city.db.session() as s:
        where = fuse.explain(s, city.store, city.op, "renkou", bid).fields[field]
    assert {k: where[k] for k in ("source", "snapshot", "load")} == json.loads(row["字段来源"])[field]
    return row[FIELD_ITEMS[field]], where


def test_without_authority_the_first_input_wins_and_the_conflict_keeps_both_values(fused):
    """公安 and 民政 are both their own 数源部门 for 姓名 and the definition names none: 公安 comes first."""
    city = fused.city
    police, civil, r = police_key(city, MISHEARD), civil_key(city, MISHEARD), resident(MISHEARD)
    bid = base_of(city)[police]
    value, where = _chosen(city, bid, "name")
    assert value == r.name
    assert (where["source"], where["record"], where["snapshot"]) == (
        city.police,
        police,
        str(city.store.version(city.police).snapshot_id),
    )
    assert _conflict(city, bid, "name") == sorted(
        [(city.police, police, r.name), (city.civil, civil, misheard(r.name))]
    )


def test_the_definitions_authority_for_a_field_wins_over_priority(fused):
    city = fused.city
    police, civil, r = police_key(city, MOVED), civil_key(city, MOVED), resident(MOVED)
    bid = base_of(city)[police]
    value, where = _chosen(city, bid, "address")
    assert value == moved_address(r)  # 民政 is the 数源部门 for 住址, though 公安 comes first
    assert where["source"] == city.civil and where["record"] == civil
    assert _chosen(city, bid, "name")[1]["source"] == city.police  # other fields still by priority
    assert _conflict(city, bid, "address") == sorted(
        [(city.police, police, r.address), (city.civil, civil, moved_address(r))]
    )
    # a resident 民政 does not hold keeps 公安's address
    assert _chosen(city, base_of(city)[police_key(city, 3)], "address")[1]["source"] == city.police


def test_an_input_whose_entry_names_another_department_as_its_source_loses_to_one_that_is_its_own(fused):
    """健康证 comes before 民政 in the definition, but its catalog entry names 公安 as 数源部门: 民政's
    phone number wins; where only 健康证 holds a person, its values are taken."""
    city = fused.city
    market, civil, r = market_key(city, NEW_PHONE), civil_key(city, NEW_PHONE), resident(NEW_PHONE)
    bid = base_of(city)[market]
    value, where = _chosen(city, bid, "phone")
    assert value == r.phone and where["source"] == city.civil and where["record"] == civil
    assert _conflict(city, bid, "phone") == sorted(
        [(city.market, market, new_phone(r)), (city.civil, civil, r.phone)]
    )
    only_market = base_of(city)[market_key(city, 66)]
    assert _chosen(city, only_market, "phone")[1]["source"] == city.market


def test_a_second_run_with_nothing_new_makes_nothing(fused):
    city = fused.city
    versions = city.store.versions(city.target)
    with city.db.session(read_only=True) as s:
        runs_before = [r.id for r in fuse.runs(s, city.op, "renkou")]
    again = run(city)
    assert again.unchanged is True and again.run.id == fused.first.run.id
    assert city.store.versions(city.target) == versions
    with city.db.session(read_only=True) as s:
        assert [r.id for r in fuse.runs(s, city.op, "renkou")] == runs_before


def test_only_the_operator_runs_and_reviews_and_auditors_read(fused):
    city = fused.city
    a, b = police_key(city, 45), market_key(city, 45)
    for who in ("ga", "sjj", "aud"):
        with pytest.raises(Forbidden):
            fuse.run(city.db, city.store, city.actor(who), "renkou")
        with city.db.session() as s, pytest.raises(Forbidden):
            fuse.decide(s, city.actor(who), "renkou", a, b, False)
        with city.db.session(read_only=True) as s, pytest.raises(Forbidden):
            fuse.review_queue(s, city.actor(who), "renkou")
        with city.db.session() as s, pytest.raises(Forbidden):
            fuse.source_records(s, city.store, city.actor(who), "renkou", [a, b])
    for who in ("ga", "mz", "sjj"):  # departments do not read base-library runs at all
        with city.db.session(read_only=True) as s, pytest.raises(Forbidden):
            fuse.summary(s, city.actor(who), "renkou")
    aud = city.actor("aud")
    with city.db.session(read_only=True) as s:
        assert fuse.summary(s, aud, "renkou") == fuse.summary(s, city.op, "renkou")
        assert [r.id for r in fuse.runs(s, aud, "renkou")] == [r.id for r in fuse.runs(s, city.op, "renkou")]
        assert [(c.base_id, c.field) for c in fuse.conflicts(s, aud, "renkou")] == [
            (c.base_id, c.field) for c in fuse.conflicts(s, city.op, "renkou")
        ]
        assert fuse.summary(s, aud, "renkou")["decisions"] == 0  # the refused verdicts left nothing


def test_explain_gives_every_field_with_its_source_and_every_member(fused):
    city = fused.city
    keys = records_of(city, 45)  # held by all three inputs
    bid = base_of(city)[keys["police"]]
    row = rows_by_id(city)[bid]
    lineage = json.loads(row["字段来源"])
    with city.db.session() as s:
        e = fuse.explain(s, city.store, city.op, "renkou", bid)
    assert e.base_id == bid and set(e.fields) == set(FIELD_ITEMS)
    for f, shown in e.fields.items():
        assert shown["item"] == FIELD_ITEMS[f] and shown["value"] == row[FIELD_ITEMS[f]]
        assert set(lineage[f]) == {"source", "snapshot", "load"}  # never a record: it may be an ID number
        assert {k: shown[k] for k in lineage[f]} == lineage[f]
        assert shown["record"].startswith(shown["source"] + ":")
    assert e.members == [
        {"record_key": k, "source": k.rsplit(":", 1)[0], "record": k.rsplit(":", 1)[1]}
        for k in sorted(keys.values())
    ]
    assert [(ev.kind, ev.base_id) for ev in e.events] == [("created", bid)] and e.conflicts == []
    moved = base_of(city)[police_key(city, MOVED)]
    with city.db.session() as s:
        assert [c.field for c in fuse.explain(s, city.store, city.op, "renkou", moved).conflicts] == [
            "address"
        ]
        explained = s.scalars(
            select(EvidenceEntry).where(
                EvidenceEntry.action == "fuse.explain", EvidenceEntry.object_id == "renkou"
            )
        ).all()
    assert bid in {json.loads(x.details)["base_id"] for x in explained}
    with city.db.session() as s, pytest.raises(NotFound):
        fuse.explain(s, city.store, city.op, "renkou", "P999999999")


def test_a_verdict_on_records_the_library_does_not_hold_is_refused(fused):
    city = fused.city
    held, unknown = police_key(city, 45), f"{city.police}:330106199901019999"
    with city.db.session() as s, pytest.raises(HuitongError) as err:
        fuse.decide(s, city.op, "renkou", held, unknown, True)
    assert err.value.code == "invalid" and [p.value for p in err.value.problems] == [unknown]
    with city.db.session() as s, pytest.raises(HuitongError) as err:
        fuse.decide(s, city.op, "renkou", held, f" {held} ", True)
    assert err.value.code == "invalid"
    with city.db.session(read_only=True) as s:
        assert fuse.summary(s, city.op, "renkou")["decisions"] == 0


def test_a_reviewer_sees_source_records_as_their_departments_hold_them_masked(fused):
    city = fused.city
    keys = records_of(city, 45)
    r = resident(45)
    with city.db.session() as s:
        got = fuse.source_records(s, city.store, city.op, "renkou", [keys["police"], keys["market"]])
    assert [(x["record_key"], x["source"], x["found"]) for x in got] == [
        (keys["police"], city.police, True),
        (keys["market"], city.market, True),
    ]
    assert set(got[0]["values"]) == set(ROLES["police"]) - {"record_id"}
    # 公民身份号码 is 一般4级: never shown whole to a reviewer
    assert got[0]["values"]["id_number"] and got[0]["values"]["id_number"] != r.id_number
    with city.db.session() as s, pytest.raises(HuitongError) as err:
        fuse.source_records(s, city.store, city.op, "renkou", ["no-such-input:1"])
    assert err.value.code == "invalid"


def test_the_lineage_names_no_record_so_no_id_number_reaches_a_consumer_through_it(fused):
    city = fused.city
    for row in rows_by_id(city).values():
        assert not any(r.id_number in row["字段来源"] for r in (resident(i) for i in range(50)))


def test_a_conflict_goes_back_as_an_objection_to_the_department_whose_value_was_not_taken(fused):
    city = fused.city
    police = police_key(city, MOVED)
    bid = base_of(city)[police]
    with city.db.session() as s:
        raised = fuse.object_to_conflict(s, city.store, city.op, "renkou", bid, "address")
        got = [(o.resource_code, o.item, o.scope) for o in raised]
    # 民政's address was taken (数源部门 for 住址): 公安's record is the one asked to check
    assert got == [(city.police, "住址", "field")]


def test_a_birth_date_conflict_goes_back_to_the_departments_that_hold_a_birth_date(fused):
    city = fused.city
    bid = base_of(city)[police_key(city, MISTYPED)]
    with city.db.session() as s:
        raised = fuse.object_to_conflict(s, city.store, city.op, "renkou", bid, "birth_date")
        got = [(o.resource_code, o.item) for o in raised]
    # 公安's mistyped date was taken; 健康证 holds 出生日期 and disagrees: it is asked. 民政 holds none.
    assert (city.market, "出生日期") in got
    held = items_of(city)
    assert all(item in {it.name for it in held[c]} for c, item in got)


def test_an_input_whose_record_id_repeats_is_refused_or_kept_whole(fused):
    city = fused.city
    items = [
        DataItem("公民身份号码", DataType.C, 18, element="DE01001"),
        DataItem("姓名", DataType.C, 50, element="DE01002"),
        DataItem("缴费月份", DataType.C, 6),
    ]
    paid = publish_entry(city.world, city.world.actor("mz"), city.world.civil, "社会保险缴费信息", items)
    r = resident(3)
    city.store.ensure_table(paid, items)
    city.store.write(
        paid,
        pa.table({"公民身份号码": [r.id_number] * 2, "姓名": [r.name] * 2, "缴费月份": ["202601", "202602"]}),
    )
    target = add_target(city, "人口基础库（缴费）")
    roles = {"record_id": "公民身份号码", "name": "姓名", "id_number": "公民身份号码"}
    data = definition(city, "jiaofei", order=("police",), target=target)
    data["inputs"].append({"resource": paid, "roles": roles})
    define(city, data)
    try:
        result = run(city, "jiaofei")
    except HuitongError as exc:  # a clear refusal naming the input is fine
        assert exc.code == "invalid" and paid in str(exc)
        return
    base = base_of(city, "jiaofei")
    assert len(base) == result.run.stats["records"]
    assert rows_by_id(city, target)[base[police_key(city, 3)]]["来源记录数"] == 3


# ---- define ----------------------------------------------------------------------------------


def test_a_definition_naming_an_input_twice_or_an_unknown_role_is_refused():
    one = {"resource": "101002/00001", "roles": {"record_id": "公民身份号码", "name": "姓名"}}
    base = {"code": "renkou", "name": "人口库", "kind": "person", "target": "101002/00009"}
    with pytest.raises(HuitongError) as err:
        parse_definition({**base, "inputs": [one, dict(one)]})
    assert err.value.code == "invalid"
    assert [(p.field, p.value) for p in err.value.problems] == [("inputs", "101002/00001")]
    odd = {"resource": "101002/00001", "roles": {"record_id": "公民身份号码", "mobile": "手机号码"}}
    with pytest.raises(HuitongError) as err:
        parse_definition({**base, "inputs": [odd]})
    assert err.value.code == "invalid"
    assert [p.field for p in err.value.problems] == ["inputs[1].roles"]
    assert "mobile" in err.value.problems[0].message


def test_define_refuses_items_the_catalog_does_not_have(world, test_database, tmp_path):
    city = build_city(world, test_database.url, tmp_path / "warehouse", load=False)
    wrong_item = definition(city)
    wrong_item["inputs"][1]["roles"]["address"] = "现住址"
    with pytest.raises(HuitongError) as err:
        define(city, wrong_item)
    assert err.value.code == "invalid"
    assert [(p.field, p.value) for p in err.value.problems] == [("inputs[2].roles", "现住址")]
    assert city.civil in err.value.problems[0].message
    no_target_item = definition(city, items={"phone": "联系电话"})
    with pytest.raises(HuitongError) as err:
        define(city, no_target_item)
    assert err.value.code == "invalid"
    assert [(p.field, p.value) for p in err.value.problems] == [("target", "联系电话")]
    assert city.target in err.value.problems[0].message
    with city.db.session(read_only=True) as s:
        assert fuse.fusions(s, city.op) == []


def test_only_the_operator_defines_fusion_never_lowers_a_grade_and_nothing_runs_before_a_load(
    world, test_database, tmp_path
):
    city = build_city(world, test_database.url, tmp_path / "warehouse", load=False)
    data = definition(city)
    for who in ("ga", "sjj", "aud"):  # sjj administers the target's department: still not theirs
        with pytest.raises(Forbidden):
            define(city, data, actor=city.actor(who))
    before = grades_of(city, city.target)
    held = {which: grades_of(city, getattr(city, which)) for which in ORDER}
    define(city, data)
    after = grades_of(city, city.target)
    floors = {}
    for which in ORDER:
        for role, item in ROLES[which].items():
            if role in FIELD_ITEMS:
                target_item = FIELD_ITEMS[role]
                floors[target_item] = max_grade(floors.get(target_item, Grade.general_1), held[which][item])
    for item, grade in after.items():
        assert grade.rank >= before[item].rank, f"{item} lowered from {before[item]} to {grade}"
        if item in floors:
            assert grade.rank >= floors[item].rank, f"{item} is {grade}, an input holds it as {floors[item]}"
    assert after["住址"] != before["住址"] and after["手机号码"] == Grade.important  # raised
    assert after["出生日期"] == before["出生日期"] == Grade.important  # already stricter: kept
    assert after["基础库标识"] == before["基础库标识"]  # the platform's own id keeps the entry's grade
    with city.db.session(read_only=True) as s:
        assert catalog.get(s, city.op, city.target).status == "published"  # more protection needs no review
    # defined, but no input has been loaded yet
    with pytest.raises(HuitongError) as err:
        run(city)
    assert err.value.code == "invalid" and [p.value for p in err.value.problems] == [city.police]
    with city.db.session(read_only=True) as s:
        assert fuse.runs(s, city.op, "renkou") == []


# ---- runs over changing inputs -------------------------------------------------------------------


def test_run_on_an_input_whose_table_is_made_but_never_loaded_is_refused_clearly(
    world, test_database, tmp_path
):
    city = build_city(world, test_database.url, tmp_path / "warehouse", load=False)
    city.store.ensure_table(city.police, POLICE_ITEMS)  # made, nothing loaded
    for code, items, rows in (
        (city.civil, CIVIL_ITEMS, civil_rows()),
        (city.market, MARKET_ITEMS, market_rows()),
    ):
        city.store.ensure_table(code, items)
        city.store.write(code, rows)
    define(city, definition(city))
    with pytest.raises(HuitongError) as err:
        run(city)
    assert err.value.code == "invalid" and [p.value for p in err.value.problems] == [city.police]


def test_a_new_version_of_an_input_keeps_every_id_and_names_the_newcomer(world, test_database, tmp_path):
    city = build_city(world, test_database.url, tmp_path / "warehouse")
    define(city, definition(city))
    first = run(city)
    before = base_of(city)
    # 公安's next load: resident 0 has left the city, resident 70 arrived, resident 45 moved
    newcomer, leaver, mover = 70, 0, 45
    new_address = "西湖区文一西路998号"
    city.store.write(city.police, police_rows([*range(1, 50), newcomer], moved={mover: new_address}))
    second = run(city)
    assert second.unchanged is False and second.run.stats["retrained"] is False
    # only what changed is linked again: the newcomer's record and the mover's
    assert second.run.stats["incremental"] is True and second.run.stats["changed"] == 2
    after = base_of(city)
    kept = {k: b for k, b in before.items() if k != police_key(city, leaver)}
    assert {k: after[k] for k in kept} == kept
    new_id = after[police_key(city, newcomer)]
    assert new_id not in set(before.values())
    assert sorted(events(city, second.run.id)) == sorted(
        [("created", new_id, []), ("retired", before[police_key(city, leaver)], [])]
    )
    rows = rows_by_id(city)
    assert rows[new_id]["姓名"] == resident(newcomer).name and rows[new_id]["来源记录数"] == 1
    assert before[police_key(city, leaver)] not in rows
    moved = rows[after[police_key(city, mover)]]
    assert moved["住址"] == new_address  # 公安 first; 民政 and 健康证 still have the old one
    assert json.loads(moved["字段来源"])["address"]["snapshot"] == str(
        city.store.version(city.police).snapshot_id
    )
    with city.db.session(read_only=True) as s:
        (conflict,) = [
            c for c in fuse.conflicts(s, city.op, "renkou") if c.base_id == after[police_key(city, mover)]
        ]
    assert {v["value"] for v in conflict.values} == {new_address, resident(mover).address}
    assert len(city.store.versions(city.target)) == 2
    assert first.run.id < second.run.id


def test_a_steward_merges_two_records_and_then_splits_them_again(world, test_database, tmp_path):
    """健康证's record JKZ00065 is resident 5 under a former name and address, without ID: nothing in
    it matches, until the steward says it is her. 民政 still has resident 36 under the number 公安 has
    since re-issued (重号更正): two valid numbers, two people, until the steward says otherwise."""
    reissued = 36
    city = build_city(
        world,
        test_database.url,
        tmp_path / "warehouse",
        civil_data=civil_rows((reissued,)),
        market_data=market_rows(former=5),
    )
    define(city, definition(city))
    run(city)
    a, b = police_key(city, 5), market_key(city, NO_ID)
    c, d = police_key(city, reissued), f"{city.civil}:{reissued_id(resident(reissued))}"
    first = base_of(city)
    assert first[a] != first[b] and first[c] != first[d]
    older, newer = sorted((first[a], first[b]))
    decide(city, a, b, True, reason="户籍档案记载曾用名欧阳晓梅")
    decide(city, c, d, True, reason="公安已更正重号，原号码作废")
    merged = run(city)
    second = base_of(city)
    assert second[a] == second[b] == older
    assert second[c] == second[d] == min(first[c], first[d])
    assert sorted(events(city, merged.run.id)) == sorted(
        [("merged", older, [newer]), ("merged", min(first[c], first[d]), [max(first[c], first[d])])]
    )
    rows = rows_by_id(city)
    assert newer not in rows and rows[older]["来源记录数"] == 2
    assert rows[older]["姓名"] == resident(5).name != FORMER_NAME  # 公安 comes first
    unmoved = set(first) - {b, d}
    assert {k: second[k] for k in unmoved} == {k: first[k] for k in unmoved}
    with city.db.session() as s, pytest.raises(NotFound):
        fuse.explain(s, city.store, city.op, "renkou", newer)
    decide(city, b, a, False, reason="复核：并非同一人")  # the same pair, named the other way round
    split = run(city)
    third = base_of(city)
    assert third[a] != third[b] and older in (third[a], third[b])
    (off,) = {third[a], third[b]} - {older}
    assert off not in set(first.values()) | set(second.values())
    assert events(city, split.run.id) == [("split", older, [off])]
    assert third[c] == third[d] == second[c]  # the other verdict still holds
    with city.db.session(read_only=True) as s:
        assert fuse.summary(s, city.op, "renkou")["decisions"] == 2


def test_a_different_verdict_holds_through_later_runs_and_retraining(world, test_database, tmp_path):
    """民政's 低保 record of resident 38 was made with her lost ID card by someone else: same number,
    so the model puts them together; the steward says they are two people."""
    city = build_city(world, test_database.url, tmp_path / "warehouse")
    define(city, definition(city))
    run(city)
    a, b = police_key(city, 38), civil_key(city, 38)
    assert base_of(city)[a] == base_of(city)[b]
    decide(city, a, b, False, reason="冒用身份证办理低保")
    second = run(city)
    apart = base_of(city)
    assert apart[a] != apart[b]
    assert second.run.stats["incremental"] is True and second.run.stats["changed"] == 0  # a verdict only
    retrained = run(city, retrain=True)
    assert retrained.unchanged is False and retrained.run.stats["retrained"] is True
    assert retrained.run.stats["incremental"] is False
    assert base_of(city) == apart  # still apart, and nobody's id moved
    assert events(city, retrained.run.id) == []
    assert second.run.stats["decisions"] == retrained.run.stats["decisions"] == 1
    with city.db.session(read_only=True) as s:
        queued = {(p.record_a, p.record_b) for p in fuse.review_queue(s, city.op, "renkou", limit=1000)}
    assert tuple(sorted((a, b))) not in queued


# ---- the linkage a run applies verdicts with --------------------------------------------------------


@pytest.fixture(scope="module")
def linkage():
    """公安's and 民政's records prepared as a run prepares them (keys ``source:record``), and the
    model trained on them; no database, so once for both backends."""
    import pyarrow.compute as pc

    from huitong.fuse.link import link
    from huitong.fuse.prepare import prepare
    from huitong.fuse.spec import Spec

    parts = []
    for source, table, roles in (
        ("gongan", police_rows(), ROLES["police"]),
        ("minzheng", civil_rows(), ROLES["civil"]),
    ):
        prepared = prepare(table, Spec("person", roles), source=source)
        key = pc.binary_join_element_wise(pa.scalar(source), prepared.column("unique_id"), ":")
        parts.append(prepared.set_column(0, "unique_id", key))
    records = pa.concat_tables(parts)
    roles = set(ROLES["police"]) | set(ROLES["civil"])
    return records, roles, link(records, "person", roles)


def clusters_of(linked) -> dict[str, str]:
    c = linked.clusters
    return dict(zip(c.column("unique_id").to_pylist(), c.column("cluster_id").to_pylist(), strict=True))


def test_a_same_verdict_on_a_record_that_left_its_input_links_only_the_records_read(linkage):
    from huitong.fuse.link import link

    records, roles, model = linkage
    here, gone = f"gongan:{resident(5).id_number}", "jiankang:JKZ00065"  # 健康证 no longer holds it
    linked = link(records, "person", roles, decisions={(here, gone): True}, trained=model.model)
    assert sorted(linked.clusters.column("unique_id").to_pylist(), key=str) == sorted(
        records.column("unique_id").to_pylist()
    )


# ---- the golden-record rule, against a brute-force reference --------------------------------------

SOURCES = ("s0", "s1", "s2")
NAMES = ("张伟", "李娜", "王芳")
ADDRESSES = {"文三路1号": ("文三路1号", "文三路１号"), "解放路2号": ("解放路2号",)}  # compared → as written
T0 = datetime(2026, 1, 1, tzinfo=UTC)

record = st.tuples(
    st.integers(0, 2),  # base id
    st.integers(0, 2),  # source (its priority is its index)
    st.integers(0, 2),  # version: days after T0
    st.none() | st.sampled_from(NAMES),
    st.none() | st.sampled_from([(k, w) for k, ws in ADDRESSES.items() for w in ws]),
)


@settings(max_examples=30)
@given(
    records=st.lists(record, min_size=1, max_size=14),
    authority=st.fixed_dictionaries(
        {f: st.lists(st.sampled_from(SOURCES), unique=True, max_size=2) for f in ("name", "address")}
    ),
)
def test_golden_values_follow_authority_then_priority_then_recency_then_support(records, authority):
    rows = [
        {
            "base_id": f"P{b}",
            "record_key": f"{SOURCES[s]}:{i:02d}",
            "source": SOURCES[s],
            "priority": s,
            "version_at": T0 + timedelta(days=v),
            "snapshot_id": f"snap-{SOURCES[s]}-{v}",
            "load_id": f"load-{SOURCES[s]}-{v}",
            "name": name,
            "address": addr[0] if addr else None,
            "address_text": addr[1] if addr else None,
        }
        for i, (b, s, v, name, addr) in enumerate(records)
    ]
    table = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("base_id", pa.string()),
                ("record_key", pa.string()),
                ("source", pa.string()),
                ("priority", pa.int64()),
                ("version_at", pa.timestamp("us", tz="UTC")),
                ("snapshot_id", pa.string()),
                ("load_id", pa.string()),
                ("name", pa.string()),
                ("address", pa.string()),
                ("address_text", pa.string()),
            ]
        ),
    )
    got = goldens.golden(table, "person", authority)
    shown = {"name": "name", "address": "address_text"}
    want_values, want_conflicts = [], []
    for bid in sorted({r["base_id"] for r in rows}):
        for f in sorted(shown):
            cands = [r for r in rows if r["base_id"] == bid and r[f] is not None]
            if not cands:
                continue
            support = {c: sum(1 for r in cands if r[f] == c) for c in {r[f] for r in cands}}
            best = min(
                cands,
                key=lambda r: (
                    r["source"] not in authority[f],
                    r["priority"],
                    -r["version_at"].timestamp(),
                    -support[r[f]],
                    r[f],
                    r["record_key"],
                ),
            )
            where = (best["source"], best["record_key"], best["snapshot_id"], best["load_id"])
            want_values.append((bid, f, best[shown[f]], *where))
            if len(support) > 1:
                values = sorted(cands, key=lambda r: (r["source"], r["record_key"]))
                want_conflicts.append((bid, f, [(r[shown[f]], r["source"], r["record_key"]) for r in values]))
    assert [
        (v["base_id"], v["field"], v["value"], v["source"], v["record_key"], v["snapshot_id"], v["load_id"])
        for v in got.values.to_pylist()
    ] == want_values
    assert [
        (c["base_id"], c["field"], [(x["value"], x["source"], x["record_key"]) for x in c["values"]])
        for c in got.conflicts.to_pylist()
    ] == want_conflicts
