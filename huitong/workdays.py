"""Working days (工作日) on China's statutory calendar, for every deadline counted in working days
(share decisions, objection handling).

Rules count deadlines in working days: weekends and statutory holidays do not count, and
the make-up Saturdays and Sundays (调休) do. ``chinese_calendar`` holds the State Council's
published schedule; a year it does not cover yet (it is published each November) falls back
to Monday-Friday, and :func:`known_year` says so, so a deadline computed that way is shown
as provisional rather than silently wrong.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)


def known_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).date()


def deadline(start: datetime, working_days: int) -> datetime:
    """The end (23:59:59 Beijing time, as UTC) of the n-th working day after the day of ``start``.

    Something received on a Friday evening with 2 working days is due at the end of Tuesday;
    the day of receipt never counts, as in the rules' "自收到之日起" practice.
    """
    if working_days < 0:
        raise ValueError("working_days must be 0 or more")
    day = _local_day(start)
    left = working_days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return datetime.combine(day, END_OF_DAY, tzinfo=CHINA).astimezone(UTC)


def working_days_between(start: datetime, end: datetime) -> int:
    """Working days after the day of ``start`` up to and including the day of ``end``
    (negative when ``end`` is earlier): how long a decision took, or how far past due it is."""
    a, b = _local_day(start), _local_day(end)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count = 0
    day = a
    while day < b:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return sign * count
