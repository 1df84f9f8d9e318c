"""The last part written as two halves side by side behaves as the one write: the first error,
and the rows read back in load order. split=10**9 is the one write."""

from __future__ import annotations

import pytest

from huitong.errors import HuitongError
from huitong.store import writer
from tests.store.conftest import CODE, enterprises, keyed, store  # noqa: F401


def _codes(n, start=0):
    return [(f"9111000010{i:08d}", f"企业{i}", None, None) for i in range(start, start + n)]


@pytest.mark.parametrize("split", [10**9, 2])
def test_two_missing_keys_report_the_first_as_the_one_write_does(keyed, monkeypatch, split):  # noqa: F811
    """A missing key in each half: the one write names row 2; with the split the main thread's
    half (rows 3-4) raises first and _write_rest never awaits the other half's error: row 4."""
    monkeypatch.setattr(writer, "SPLIT_ROWS", split)
    one = enterprises(("91110000100000000A", "甲", None, None), (None, "无码一", None, None))
    two = enterprises(("91110000100000000C", "丙", None, None), (None, "无码二", None, None))
    with pytest.raises(HuitongError) as err, keyed.writer(CODE, "full", "nokey") as version:
        version.add(one)
        version.add(two)
        version.commit()
    assert err.value.problems[0].row == 2


@pytest.mark.parametrize("split", [10**9, 2])
def test_rows_read_back_in_load_order(keyed, monkeypatch, split):  # noqa: F811
    """The halves' DataFiles are appended to _files in the order their threads finish: a small
    second half finishes first, and the version reads back with its row before the first half."""
    monkeypatch.setattr(writer, "SPLIT_ROWS", split)
    with keyed.writer(CODE, "full", "order") as version:
        version.add(enterprises(*_codes(20000)))
        version.add(enterprises(*_codes(1, 20000)))
        version.commit()
    got = keyed.read(CODE).column("统一社会信用代码").to_pylist()
    assert got == [c for c, *_ in _codes(20001)]
