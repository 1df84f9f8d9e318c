"""The columnar markers of a batch extract agree with the per-row marking of lookups and
queries, on any keys (the per-row path is the reference)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.quality.disputes import Disputes, key_of

KEY = st.one_of(st.none(), st.text(alphabet="0123456789Xx ab\u3000", max_size=4))
ITEMS = st.frozensets(st.sampled_from(["姓名", "住址", "性别"]), max_size=2)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(KEY, KEY), max_size=30),
    disputed=st.dictionaries(st.tuples(KEY, KEY), ITEMS, max_size=6),
)
def test_markers_of_a_whole_table_equal_marking_row_by_row(rows, disputed):
    marks = Disputes("R", ("a", "b"), {key_of(k): v for k, v in disputed.items()})
    columns = {
        "a": pa.chunked_array([pa.array([r[0] for r in rows], pa.string())]),
        "b": pa.array([r[1] for r in rows], pa.string()),
    }
    got = marks.marker_columns(columns, len(rows))
    expected = marks.mark_rows([{} for _ in rows], {k: c.to_pylist() for k, c in columns.items()})
    assert got["_disputed"].to_pylist() == [bool(e.get("_disputed")) for e in expected]
    assert got["_disputed_items"].to_pylist() == [";".join(e.get("_disputed_items", [])) for e in expected]


def test_an_integer_key_is_compared_as_its_text():
    marks = Disputes("R", ("n",), {("42",): frozenset()})
    got = marks.marker_columns({"n": pa.array([41, 42, None], pa.int64())}, 3)
    assert got["_disputed"].to_pylist() == [False, True, False]
