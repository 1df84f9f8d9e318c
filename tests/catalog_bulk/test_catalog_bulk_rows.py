"""The batched registration path stores exactly what registering the same entries one at
a time (``service.create``) stores: every column of every entry, item, revision and piece of
evidence, JSON texts byte for byte; and its shortcuts agree with the functions they stand in
for (the diff, ``json.dumps``, the JSON reader's checks)."""

from __future__ import annotations

import gc
import json
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from huitong.access import SYSTEM
from huitong.catalog import rules, service
from huitong.catalog.bulk import new_revision_json
from huitong.catalog.importer import import_file
from huitong.catalog.json_io import ITEM_ENUMS, _Collector, _plain_item, dump_json_catalog
from huitong.catalog.model import DataItem, DataType, FormatClass, Grade, OpenType, ShareMode, ShareType
from huitong.catalog.revisions import diff_snapshots
from huitong.catalog.search_service import terms_for
from huitong.db import rows as db_rows
from huitong.gc_pause import gc_paused
from tests import conftest
from tests.world import build_world, spec


def sample(world) -> list:
    """Entries that use every field the catalog stores, the awkward values included."""
    return [
        spec(
            world.police, name="  基础户籍信息 ", tags=[" 户籍 ", "", "人口"], summary="  摘要, {含} 标点。 "
        ),
        spec(
            world.police,
            name="婚姻登记信息（2023年）",
            name_en="Marriage registrations",
            publish_date=date(2023, 1, 5),
            also_in=["201001"],
            authoritative_code=world.civil,
            source_system="婚姻登记系统",
            share_type=ShareType.unconditional,
            share_condition=None,
            share_basis=None,
            open_type=OpenType.conditional,
            open_condition="申请后开放",
            tags=[],
            items=[
                DataItem(
                    " 登记编号 ", DataType.C, 32, is_key=True, required=True, description='含 "}, {" 的说明'
                ),
                DataItem(
                    "男方姓名", DataType.C, 50, element="DE01002", grade=Grade.important, name_en="Husband"
                ),
                DataItem("登记日期", DataType.D, element=""),
            ],
        ),
        spec(
            world.police,
            name="无信息项的文件",
            format_class=FormatClass.file,
            share_mode=ShareMode.file,
            items=[],
        ),
        spec(
            world.police,
            name="人口统计年报",
            tags=["统计", "统计"],
            format_type=None,
            items=[DataItem("年份", DataType.N)],
        ),
        spec(
            world.police, name="六十项的表", items=[DataItem(f"字段{i}") for i in range(60)]
        ),  # > 50 changes
    ]


def stored(db) -> dict:
    """Every stored row the registration wrote, keyed so two databases compare: ids,
    times, salts and hashes left out, JSON columns as their stored text."""
    with db.engine.connect() as conn:
        q = lambda sql: [dict(r._mapping) for r in conn.execute(text(sql))]  # noqa: E731
        res = q(
            "SELECT code, class_code, seq_no, name, name_key, name_en, provider_id, authoritative_id, summary,"
            " format_class, format_type, share_type, share_condition, share_basis, share_channel, share_mode,"
            " open_type, open_condition, update_cycle, publish_date, CAST(related_codes AS TEXT) AS related,"
            " CAST(also_in AS TEXT) AS also_in, source_system, CAST(tags AS TEXT) AS tags, grade, status,"
            " return_reason, created_by, change_seq, CAST(search_terms AS TEXT) AS terms FROM resource ORDER BY code"
        )
        items = q(
            "SELECT r.code, i.position, i.name, i.name_en, i.data_type, i.length, i.element, i.grade,"
            " i.grade_explicit, i.is_key, i.required, i.description"
            " FROM resource_item i JOIN resource r ON r.id = i.resource_id ORDER BY r.code, i.position"
        )
        revisions = q(
            "SELECT r.code, v.rev, v.action, v.actor_id, v.actor_name, v.reason, CAST(v.snapshot AS TEXT) AS snap,"
            " CAST(v.changes AS TEXT) AS changes"
            " FROM resource_revision v JOIN resource r ON r.id = v.resource_id ORDER BY r.code, v.rev"
        )
        evidence = q(
            "SELECT action, object_type, object_id, actor_id, actor_name, department_id, result, details"
            " FROM evidence_entry WHERE action LIKE 'catalog.%' ORDER BY object_id, id"
        )
    return {"resources": res, "items": items, "revisions": revisions, "evidence": evidence}


@pytest.fixture
def twin(backend, tmp_path):
    """A second world like ``world``, on the same backend, for the one-by-one path."""
    (tmp_path / "twin").mkdir()
    tdb = conftest.TestDatabase(backend, tmp_path / "twin")
    db = tdb.open()
    yield build_world(db)
    db.dispose()
    tdb.drop()


@pytest.fixture(params=[1, db_rows.COPY_FROM], ids=["copy", "statements"])
def copy_from(request):
    """Both ways insert_rows writes on PostgreSQL: the batch by COPY (as a big one is) or by
    statements; the one-by-one path always writes statements."""
    return request.param


def test_an_import_stores_the_rows_one_by_one_registration_stores(world, twin, tmp_path, copy_from):
    path = tmp_path / "catalog.json"
    path.write_text(dump_json_catalog([(None, s) for s in sample(world)]), encoding="utf-8")
    with world.db.session() as s, pytest.MonkeyPatch.context() as mp:
        mp.setattr(db_rows, "COPY_FROM", copy_from)
        report = import_file(s, world.actor("ga"), path)  # parse, check_batch, create_many
    with twin.db.session() as s:
        one_by_one = [service.create(s, twin.actor("ga"), x, action="import").code for x in sample(twin)]
    assert report.created == one_by_one
    batch, single = stored(world.db), stored(twin.db)
    assert len(batch["items"]) == 68 and len(batch["evidence"]) == 5
    for table in ("resources", "items", "revisions", "evidence"):
        assert batch[table] == single[table], table


@pytest.mark.parametrize("publish", [True, False], ids=["publish", "submit"])
def test_an_import_that_moves_entries_on_stores_what_moving_them_one_by_one_stores(
    world, twin, tmp_path, copy_from, publish
):
    path = tmp_path / "catalog.json"
    path.write_text(dump_json_catalog([(None, s) for s in sample(world)]), encoding="utf-8")
    with world.db.session() as s, pytest.MonkeyPatch.context() as mp:
        mp.setattr(db_rows, "COPY_FROM", copy_from)
        import_file(s, SYSTEM, path, submit=True, publish=publish)  # create_many(then=...)
    with twin.db.session() as s:
        codes = [service.create(s, SYSTEM, x, action="import").code for x in sample(twin)]
    steps = (service.submit, service.publish) if publish else (service.submit,)
    for step in steps:
        with twin.db.session() as s:
            for code in codes:
                step(s, SYSTEM, code)
    batch, single = stored(world.db), stored(twin.db)
    assert len(batch["revisions"]) == (1 + len(steps)) * len(codes)
    for table in ("resources", "items", "revisions", "evidence"):
        assert batch[table] == single[table], table


def test_what_a_batch_stores_is_what_the_reference_functions_make(world):
    specs = sample(world)
    with world.db.session() as s:
        codes = service.create_many(s, world.actor("ga"), specs)
    rows = stored(world.db)
    with world.db.session() as s:
        for code, rev, ev in zip(codes, rows["revisions"], rows["evidence"], strict=True):
            res = service.get(s, world.actor("ga"), code)
            snap = service.snapshot(res)
            changes = [c.as_dict() for c in diff_snapshots(None, snap)]
            assert (rev["code"], json.loads(rev["snap"]), json.loads(rev["changes"])) == (code, snap, changes)
            assert (rev["snap"], rev["changes"]) == (json.dumps(snap), json.dumps(changes))
            assert res.search_terms == terms_for(res)
            fields = [c["field"] for c in changes][:50]
            assert json.loads(ev["details"]) == {"status": "draft", "fields": fields, "reason": None}


@pytest.mark.parametrize(
    "snap",
    [
        {"name": "x", "items": []},
        {"b": None, "a": [1, "中"], "items": [{"name": "n", "x": None}], "code": "101/1", "z": {"k": "}, {"}},
        {"name": "dup", "items": [{"name": "a", "v": 1}, {"name": "b", "v": 2}, {"name": "a", "v": 3}]},
        {"only": "no items key", "t": True, "f": False, "n": 0},
        {"items": [{"name": None}], "publish_date": "2023-01-05", "e": ""},
    ],
)
def test_a_new_entrys_revision_json_is_the_diff_against_nothing(snap):
    snap_json, changes_json, fields = new_revision_json(snap)
    changes = [c.as_dict() for c in diff_snapshots(None, snap)]
    assert snap_json == json.dumps(snap)
    assert changes_json == json.dumps(changes)
    assert fields == [c["field"] for c in changes]


def test_the_collector_pauses_and_comes_back_only_as_it_was():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


_KEYS = ["name", "data_type", "length", "element", "grade", "name_en", "is_key", "required", "description"]
_VALUES = [
    None,
    "",
    " x ",
    "姓名",
    "C",
    "N",
    "字符型",
    "core",
    "一般2级",
    "bogus",
    0,
    18,
    -1,
    True,
    False,
    1.5,
    [],
    {},
]


_WRITTEN = {"name": "姓名", "data_type": "C", "length": 18, "element": "DE01001", "grade": "core"}
_WRITTEN |= {"name_en": "name", "is_key": False, "required": True, "description": None}  # as dump writes one


def _same_as_checked(d) -> bool:
    c = _Collector()
    kwargs = c.object(d, "items[0]", DataItem, ITEM_ENUMS)
    item = _plain_item(d)
    assert item is None or (not c.problems and item == DataItem(**kwargs))  # the same item, or the checks run
    return item is not None


def test_the_readers_plain_item_shortcut_reads_each_value_as_the_checking_path():
    assert _same_as_checked(_WRITTEN)  # the shortcut is taken for what the writer writes
    for key in [*_KEYS, "lenght"]:
        if key in _WRITTEN:
            assert not _same_as_checked({k: v for k, v in _WRITTEN.items() if k != key})
        for value in _VALUES:
            _same_as_checked(_WRITTEN | {key: value})


@given(
    st.dictionaries(st.sampled_from([*_KEYS, "lenght"]), st.sampled_from(_VALUES), max_size=4),
    st.sets(st.sampled_from(_KEYS), max_size=2),
)
def test_the_readers_plain_item_shortcut_reads_as_the_checking_path(changed, dropped):
    _same_as_checked({k: v for k, v in (_WRITTEN | changed).items() if k not in dropped})


def _reference_key(name: str) -> str:
    """normalise_name as first written: a character at a time."""
    text, previous = name or "", None
    while text != previous:
        previous = text
        text = unicodedata.normalize("NFKC", text).casefold()
        text = "".join(ch for ch in text if not unicodedata.category(ch).startswith(("P", "Z", "C", "S")))
    return text


@given(st.text())
def test_the_name_key_is_the_character_at_a_time_one(name):
    assert rules.normalise_name.__wrapped__(name) == _reference_key(name)


def test_the_name_key_drops_and_keeps_each_character_as_the_character_at_a_time_one():
    for cp in range(0, 0x30000, 7):  # every plane in use, a sample of each block
        assert rules.normalise_name.__wrapped__(chr(cp) + "a\u0301") == _reference_key(chr(cp) + "a\u0301")
