"""The row hashes computed in one DuckDB statement are the hashes of the reference encoding
(``encode_rows``) for every stored type, null pattern and column name: a version stored before
the fused hashing must keep matching the same rows loaded again."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.store import hashing

names = st.one_of(
    st.text(st.sampled_from(list("姓名编号ab:'\"$1 ,_")), min_size=1, max_size=6), st.just("地址")
)
kinds = {
    "text": (pa.large_string(), st.text(max_size=8)),
    "decimal": (
        pa.decimal128(38, 10),
        st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False).map(
            lambda d: Decimal(d).quantize(Decimal("1E-10"))
        ),
    ),
    "date": (pa.date32(), st.dates(date(1900, 1, 1), date(2100, 1, 1))),
    "time": (pa.timestamp("us"), st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1))),
    "int": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "bool": (pa.bool_(), st.booleans()),
}


@st.composite
def tables(draw) -> pa.Table:
    cols = draw(
        st.lists(
            st.tuples(names, st.sampled_from(sorted(kinds))), min_size=1, max_size=5, unique_by=lambda c: c[0]
        )
    )
    n = draw(st.integers(1, 12))
    data = {}
    for name, kind in cols:
        arrow, values = kinds[kind]
        data[name] = pa.array(draw(st.lists(st.one_of(st.none(), values), min_size=n, max_size=n)), arrow)
    return pa.table(data)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_the_fused_hashes_are_the_reference_hashes(table):
    fused = hashing.row_hashes(table).to_pylist()
    reference = hashing._reference_hashes(table).to_pylist()
    assert fused == reference


def test_a_binary_column_still_hashes_through_the_reference():
    table = pa.table({"x": ["a", None], "b": pa.array([b"\x00\xff", b"ok"], pa.binary())})
    assert hashing.row_hashes(table).to_pylist() == hashing._reference_hashes(table).to_pylist()
