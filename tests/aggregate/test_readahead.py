"""Reading ahead keeps a load's batches in order, raises a reading error where it happened, stays a
bounded number of batches ahead, and stops (closing the source) when the load stops early."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.aggregate.readahead import read_ahead
from huitong.errors import HuitongError


@given(st.lists(st.integers(), max_size=40), st.integers(1, 4))
def test_batches_come_in_order(items, depth):
    assert list(read_ahead(iter(items), depth)) == items


def test_a_reading_error_is_raised_after_the_batches_before_it():
    def source():
        yield 1
        yield 2
        raise HuitongError("人口.csv line 7: the quoted value is never closed")

    got = []
    with pytest.raises(HuitongError, match="line 7"):
        for batch in read_ahead(source()):
            got.append(batch)
    assert got == [1, 2]


def test_the_reader_stays_at_most_depth_batches_ahead_and_stops_with_the_load():
    made = []
    closed = threading.Event()
    may_go = threading.Event()

    def source():
        try:
            for i in range(100):
                made.append(i)
                yield i
        finally:
            closed.set()

    batches = read_ahead(source(), depth=2)
    assert next(batches) == 0
    for _ in range(50):  # give the reader every chance to run ahead
        may_go.wait(0.01)
    assert len(made) <= 1 + 2 + 1  # the one taken, two queued, one waiting to be queued
    batches.close()  # the load failed: the reader stops and the source is closed
    assert closed.wait(2) and len(made) < 100


def test_a_failed_check_is_not_held_back_by_a_slow_source():
    """The load stops at once; the reader, blocked in the source, stops at its next batch and
    closes the source then."""
    closed = threading.Event()
    released = threading.Event()

    def slow_source():
        try:
            yield 1
            released.wait(10)  # an API that takes its time over the next page
            yield 2
        finally:
            closed.set()

    started = time.monotonic()
    with pytest.raises(HuitongError, match="row 3"):
        for _ in read_ahead(slow_source()):
            raise HuitongError("row 3: the check failed")
    assert time.monotonic() - started < 3
    assert not closed.is_set()
    released.set()
    assert closed.wait(5)
