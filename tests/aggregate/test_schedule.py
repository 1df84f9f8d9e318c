"""Cron schedules: when a source is next loaded, in the platform's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given
from hypothesis import strategies as st

from huitong.aggregate.schedule import check, is_due, next_run
from huitong.errors import HuitongError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_two_a_m_is_read_in_the_platforms_zone_not_utc():
    after = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # 20:00 in Hangzhou
    assert next_run("0 2 * * *", after) == datetime(2026, 3, 1, 18, 0, tzinfo=UTC)  # 02:00 +08:00
    assert next_run("0 2 * * *", after, "UTC") == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_naive_times_are_utc_as_in_the_metadata():
    naive = datetime(2026, 3, 1, 12, 0)
    assert next_run("30 * * * *", naive, "UTC") == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def test_due_once_the_schedule_fired_since_the_last_start():
    last = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # 01:00 in Hangzhou
    assert not is_due("0 2 * * *", last, datetime(2026, 3, 1, 17, 59, tzinfo=UTC))
    assert is_due("0 2 * * *", last, datetime(2026, 3, 1, 18, 0, tzinfo=UTC))
    # a worker that was down for a week runs it once: the next base is that run's start
    ran = last + timedelta(days=7, hours=2)  # 03:00 a week later
    assert is_due("0 2 * * *", last, ran)
    assert not is_due("0 2 * * *", ran, ran + timedelta(hours=22))
    assert is_due("0 2 * * *", ran, ran + timedelta(hours=23))


@pytest.mark.parametrize(
    ("expr", "why"),
    [("61 * * * *", "not a cron expression"), ("", "not a cron expression"), ("every day", "not a cron"),
     ("0 0 30 2 *", "never fires")],
)  # fmt: skip
def test_bad_schedules_are_refused_with_the_reason(expr, why):
    with pytest.raises(HuitongError, match=why):
        check(expr)


def test_unknown_time_zone_is_a_clear_error():
    with pytest.raises(HuitongError, match="time zone 'Mars/Olympus' is unknown"):
        next_run("0 2 * * *", datetime(2026, 1, 1, tzinfo=UTC), "Mars/Olympus")


def _field(lo: int, hi: int):
    value = st.integers(lo, hi)
    return st.one_of(
        st.just("*"),
        value.map(str),
        st.integers(1, max(1, (hi - lo) // 2)).map(lambda n: f"*/{n}"),
        st.tuples(value, value).map(lambda p: f"{min(p)}-{max(p)}"),
        st.lists(value, min_size=2, max_size=3, unique=True).map(lambda xs: ",".join(map(str, sorted(xs)))),
    )


CRON = st.tuples(_field(0, 59), _field(0, 23), _field(1, 28), _field(1, 12), _field(0, 6)).map(" ".join)
MOMENTS = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(lambda d: d.replace(tzinfo=UTC))


@given(expr=CRON, base=MOMENTS, zone=st.sampled_from(["Asia/Shanghai", "UTC", "Europe/Berlin"]))
def test_next_run_is_after_the_base_and_matches_the_schedule(expr, base, zone):
    check(expr)
    nxt = next_run(expr, base, zone)
    assert nxt > base and nxt.tzinfo == UTC and nxt.second == 0 and nxt.microsecond == 0
    assert croniter.match(expr, nxt.astimezone(ZoneInfo(zone)))
    assert is_due(expr, base, nxt, zone) and not is_due(expr, base, nxt - timedelta(microseconds=1), zone)
    if nxt - base <= timedelta(hours=3):  # and no earlier minute in between fires
        minute = base.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while minute < nxt:
            assert not croniter.match(expr, minute.astimezone(ZoneInfo(zone)))
            minute += timedelta(minutes=1)


def test_the_console_reads_schedules_in_the_workers_time_zone():
    """'0 2 * * *' is 02:00 Beijing time (18:00 UTC the day before): a load started at 03:00
    Beijing time is on time at 11:00, not late as a UTC reading would say."""
    from huitong.aggregate.schedule import previous_run, schedule_state

    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    assert previous_run("0 2 * * *", now) == datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    last_started = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)
    state = schedule_state("0 2 * * *", last_started, now, "Asia/Shanghai")
    assert state.late is False and state.next == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def test_a_source_added_after_its_last_turn_is_not_late_before_its_first():
    from huitong.aggregate.schedule import schedule_state

    now = datetime(
        2026, 11, 23, 15, 0, tzinfo=UTC
    )  # 23:00 Beijing; '0 1 * * *' last fired 17:00 UTC the day before
    added_today = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert schedule_state("0 1 * * *", None, now, "Asia/Shanghai", added_today).late is False
    added_last_week = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)
    assert schedule_state("0 1 * * *", None, now, "Asia/Shanghai", added_last_week).late is True
