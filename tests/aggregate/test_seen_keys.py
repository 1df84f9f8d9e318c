"""The keys a load has seen find every repeated key exactly as a dict would, across batches, with
the first row it was seen in, even when many different keys share a hash."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.aggregate.columnar import _SeenKeys

keys = st.tuples(st.sampled_from(["a", "b", "c", "张", "330106198001010012", ""]), st.integers(0, 3))
batches = st.lists(st.lists(keys, max_size=30), max_size=6)


def reference(all_batches, width):
    seen: dict = {}
    out, row = [], 2
    for batch in all_batches:
        found = []
        for pos, key in enumerate(batch):
            k = key[:width]
            first = seen.setdefault(k, row)
            if first != row:
                found.append((pos, first))
            row += 1
        out.append(found)
    return out


def run(all_batches, width):
    seen = _SeenKeys(width)
    out, row = [], 2
    try:
        for batch in all_batches:
            cols = [pa.array([k[0] for k in batch], pa.string()), pa.array([k[1] for k in batch], pa.int64())]
            numbers = np.arange(row, row + len(batch), dtype=np.int64)
            out.append(seen.repeats(cols[:width], numbers))
            row += len(batch)
    finally:
        seen.close()
    return out


@pytest.mark.parametrize("collide", [False, True])
@settings(max_examples=150, deadline=None)
@given(batches, st.integers(1, 2))
def test_repeats_agree_with_a_dict(collide, all_batches, width):
    if collide:  # every key in one of two hash buckets: only the comparison by value tells them apart
        original = _SeenKeys._hash
        _SeenKeys._hash = lambda self, k: original(self, k) % np.uint64(2)
    try:
        assert run(all_batches, width) == reference(all_batches, width)
    finally:
        if collide:
            _SeenKeys._hash = original
