"""The risk check measures columns of any name (found in review)."""

from __future__ import annotations

import pyarrow as pa

from huitong.deid.risk import assess


def test_a_quasi_identifier_named_like_the_risk_querys_own_columns_is_measured_right():
    t = pa.table({"__n": [100, 200, 300], "x": ["a", "b", "c"]})  # three classes of one
    r = assess(t, ["__n"], k=2)
    assert (r.k_achieved, r.classes, r.records, r.passes) == (1, 3, 3, False)
    t = pa.table({"__d0": ["a", "a", "b", "b"], "s": ["p", "q", "p", "q"]})
    assert assess(t, ["__d0"], k=2, sensitive=["s"], l=2).passes
