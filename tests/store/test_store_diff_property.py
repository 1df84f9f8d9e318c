"""Property: a diff reproduces the set (or multiset) difference of two random versions."""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong.catalog.model import DataItem, DataType
from huitong.store import Store, hashing
from huitong.store.diff import compare, count

KEYS = st.sampled_from(["甲", "乙", "丙", "丁", "戊", "a", "b", "c", "d", "e", "f", "g"])
VALUES = st.one_of(st.none(), st.integers(min_value=-3, max_value=3))
KEYED = st.dictionaries(KEYS, VALUES, max_size=10)
ROWS = st.lists(st.tuples(st.sampled_from(["x", "y", "z"]), VALUES), max_size=10)
SCHEMA = pa.schema([pa.field("k", pa.large_string()), pa.field("v", pa.decimal128(38, 10))])


def table(pairs) -> pa.Table:
    data = pa.table(
        {
            "k": pa.array([k for k, _ in pairs], pa.large_string()),
            "v": pa.array([None if v is None else Decimal(v) for _, v in pairs], pa.decimal128(38, 10)),
        }
    )
    return data.append_column("_row_hash", hashing.row_hashes(data))


def pairs_of(t: pa.Table) -> list[tuple]:
    return [(r["k"], None if r["v"] is None else int(r["v"])) for r in t.to_pylist()]


@settings(max_examples=40, deadline=None)
@given(before=KEYED, after=KEYED)
def test_keyed_diff_is_the_key_set_difference(before, after):
    old, new = table(before.items()), table(after.items())
    d = compare(old, new, ["k"], SCHEMA)
    assert dict(pairs_of(d.added)) == {k: v for k, v in after.items() if k not in before}
    assert dict(pairs_of(d.removed)) == {k: v for k, v in before.items() if k not in after}
    changed = {k for k in before.keys() & after.keys() if before[k] != after[k]}
    assert dict(pairs_of(d.changed)) == {k: after[k] for k in changed}
    assert dict(pairs_of(d.changed_before)) == {k: before[k] for k in changed}
    assert [r[0] for r in pairs_of(d.changed)] == [r[0] for r in pairs_of(d.changed_before)]
    n = count(old, new, ["k"])
    assert (n.inserted, n.deleted, n.updated) == (d.added.num_rows, d.removed.num_rows, len(changed))


@settings(max_examples=40, deadline=None)
@given(before=ROWS, after=ROWS)
def test_unkeyed_diff_is_the_multiset_difference(before, after):
    d = compare(table(before), table(after), [], SCHEMA)
    assert Counter(pairs_of(d.added)) == Counter(after) - Counter(before)
    assert Counter(pairs_of(d.removed)) == Counter(before) - Counter(after)
    assert d.changed.num_rows == 0
    n = count(table(before), table(after), [])
    assert (n.inserted, n.deleted, n.updated) == (d.added.num_rows, d.removed.num_rows, 0)
    # Applying the diff to the old rows gives the new ones.
    assert Counter(before) - Counter(pairs_of(d.removed)) + Counter(pairs_of(d.added)) == Counter(after)


_codes = itertools.count(1)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=KEYED, after=KEYED, mode=st.sampled_from(["full", "upsert"]))
def test_store_diff_matches_what_was_loaded(sqlite_store: Store, before, after, mode):
    """Through real Iceberg versions: after a full load the diff is the set difference; after an
    upsert nothing is removed and keys only in ``before`` stay."""
    code = f"900001/{next(_codes):05d}"
    sqlite_store.ensure_table(code, [DataItem("k", DataType.C, is_key=True), DataItem("v", DataType.N)])
    v1 = sqlite_store.write(code, table(before.items()).drop_columns(["_row_hash"]), "full", "before")
    v2 = sqlite_store.write(code, table(after.items()).drop_columns(["_row_hash"]), mode, "after")
    expected = dict(after) if mode == "full" else {**before, **after}
    assert dict(pairs_of(sqlite_store.read(code))) == expected
    if v2.unchanged:
        assert expected == before
        return
    d = sqlite_store.diff(code, v1.snapshot_id, v2.snapshot_id)
    assert dict(pairs_of(d.added)) == {k: v for k, v in expected.items() if k not in before}
    assert dict(pairs_of(d.removed)) == {k: v for k, v in before.items() if k not in expected}
    assert dict(pairs_of(d.changed)) == {k: v for k, v in expected.items() if k in before and before[k] != v}
    assert (v2.inserted, v2.updated, v2.deleted) == (d.added.num_rows, d.changed.num_rows, d.removed.num_rows)
