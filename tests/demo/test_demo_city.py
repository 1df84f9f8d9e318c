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
        "wj-jkda",
        "sw-nsrdj",
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


def test_the_demo_measures_quality_over_versions_and_holds_back_the_broken_increment(city):
    from huitong.quality import service as quality

    built, db, store = city
    hukou = next(x.code for x in built.loads if x.plan.name == "ga-hukou")
    dibao = next(x.code for x in built.loads if x.plan.name == "mz-dibao")
    assert built.quality.held.status == "quarantined" and built.quality.corrected.status == "loaded"
    ga, mz = _actor(db, "gaadmin"), _actor(db, "mzadmin")
    with db.session() as s:
        card = quality.scorecard(s, ga, hukou)
        assert len(card.trend) >= 3 and card.score is not None
        held = [r for r in quality.runs(s, ga, hukou) if r.outcome == "quarantined"]
        assert [r.snapshot_id for r in held] == [str(built.quality.held.snapshot_id)]
        civil = quality.scorecard(s, mz, dibao)
        agree = next(m for m in civil.metrics if m.rule_name == "住址与公安一致")
        assert agree.failed > 0  # 民政's roll disagrees with 公安 on some addresses, pair by pair


def test_the_demo_has_objections_in_every_state_and_the_disputed_address_is_marked(city):
    from huitong.quality import objections
    from huitong.quality.objections import disputed_keys

    built, db, store = city
    demo = built.objections
    hukou = next(x.code for x in built.loads if x.plan.name == "ga-hukou")
    op, ga, rs = _actor(db, "op"), _actor(db, "gaadmin"), _actor(db, "rsuser")
    with db.session() as s:
        state = {story: objections.get(s, op, oid).objection for story, oid in demo.ids.items()}
        assert {k: o.state for k, o in state.items()} == {
            "answered": "archived",
            "verifying": "verifying",
            "corrected": "corrected",
            "submitted": "submitted",
            "for_citizen": "submitted",
            "declined": "declined",
            "overdue": "verifying",
        }
        for story in ("answered", "verifying", "corrected", "overdue"):
            assert state[story].holder_department_id == ga.department_id, story  # routed by lineage
            assert state[story].item == "住址"
        assert [o.id for o in objections.overdue(s, op)] == [demo.ids["overdue"]]
        assert state["for_citizen"].on_behalf == "citizen"
        assert "extend" in [st.action for st in objections.get(s, ga, demo.ids["corrected"]).steps]
        told = [n for n, o in objections.notices(s, rs) if o.id == demo.ids["corrected"]]
        assert told and state["corrected"].correction in told[0].message
        evidence = objections.get(s, ga, demo.ids["verifying"]).evidence
        assert [e.name for e in evidence] == ["入户核查记录.txt"]
        disputed = disputed_keys(s, hukou)
    # the correcting version holds the moved resident's new address
    row = store.read(hukou, filter={"公民身份号码": demo.moved.id_number}, columns=["住址"])
    assert row.column("住址").to_pylist() == [demo.moved_to]
    verifying = state["verifying"].key
    assert disputed.of(tuple(verifying)) is not None
    mz = _actor(db, "mzadmin")
    answer = delivery.lookup(db, store, mz, built.activity.grants["granted"], verifying[0])
    assert answer["rows"][0]["_disputed"] and answer["rows"][0]["_disputed_items"] == ["住址"]
    assert answer["quality"]["open_objections"] >= 3  # served, never withheld, with the flags beside it


def test_the_demo_grades_from_evidence_and_releases_de_identified_statistics(city):
    """Discovery finds every personal column of 常住人口 and the one 流动人口 left undeclared; the
    grades were confirmed; one release was refused below k and one released with its risk report."""
    from huitong.classify import service as classify
    from huitong.deid import service as deid
    from huitong.standards.idcard import validate_id_number as valid

    built, db, store = city
    demo = built.classification
    hukou = next(x.code for x in built.loads if x.plan.name == "ga-hukou")
    migrants = next(x.code for x in built.loads if x.plan.name == "ga-ldrk-api")
    op, ga = _actor(db, "op"), _actor(db, "gaadmin")
    with db.session(read_only=True) as s:
        kinds = {c.column: c.kind for c in classify.columns_of(s, ga, hukou)}
        assert kinds == {
            "公民身份号码": "id_number",
            "姓名": "person_name",
            "出生日期": "birth_date",
            "住址": "address",
        }
        assert {c.status for c in classify.columns_of(s, ga, hukou)} == {"confirmed", "overridden"}
        assert (migrants, "备注") in [(c.resource_code, c.column) for c in classify.open_findings(s, op)]
        refused, released = deid.get(s, op, demo.refused), deid.get(s, op, demo.released)
        assert refused.status == "refused" and refused.risk["failing"]
        assert released.status == "released" and released.risk["k_achieved"] >= 5
        _, figures = deid.statistics_of(s, op, hukou)
        assert len(figures) == 2 and demo.budget_left == pytest.approx(0.3)
    out = store.read(released.output_code)
    assert "姓名" not in out.column_names and all(
        valid(v).ok for v in out.column("公民身份号码").to_pylist()[:50]
    )


def test_the_base_libraries_fuse_every_department_and_keep_ids_over_a_second_run(city):
    """人口库 from 公安/民政/人社/卫健 and 法人库 from 市场监管/税务: published versions with field
    sources, conflicts kept, and a steward's decision applied without renumbering anyone else."""
    import json

    from huitong.fuse import service as fuse
    from huitong.org.service import actor_for, get_user

    built, db, store = city
    f = built.fusion
    assert f is not None and f.stable
    people, firms = f.stats["renkou"], f.stats["faren"]
    assert set(people["by_input"]) == set(fuse_inputs(db, "renkou")) and all(people["by_input"].values())
    # 卫健's records without an ID number were linked to 公安's residents, not left alone
    assert people["multi_source"] > people["by_input"][fuse_inputs(db, "renkou")[-1]] / 2
    assert people["conflicts"] > 0 and firms["clusters"] < firms["records"]
    with db.session() as s:
        op = actor_for(get_user(s, "op"))
        target = fuse.get(s, op, "renkou").target_code
        conflict = fuse.conflicts(s, op, "renkou", limit=1)[0]
    stored = store.read(target)
    assert stored.num_rows == people["clusters"]
    lineage = json.loads(stored.column("字段来源")[0].as_py())
    assert {"name", "id_number"} <= set(lineage) and all("snapshot" in v for v in lineage.values())
    assert len({v["source"] for v in conflict.values}) >= 1 and len(conflict.values) >= 2


def fuse_inputs(db, code):
    from huitong.fuse.tables import Fusion

    with db.session(read_only=True) as s:
        row = s.query(Fusion).filter_by(code=code).one()
        return [i["resource"] for i in row.definition["inputs"]]
