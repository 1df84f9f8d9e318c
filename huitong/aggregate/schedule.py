"""When a source's scheduled load is due: pure functions of a cron expression and times.

A schedule is read in the platform's time zone (``0 2 * * *`` is 2 a.m. where the departments
are, not in UTC); the metadata database keeps naive UTC times, so every time given here without
a zone is taken as UTC and every time returned is aware UTC. A source is due when its schedule
fired after its last load started (or after it was added, if it never ran): a worker that was
down for a week runs each source once, not once per missed time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from huitong.errors import HuitongError, Problem, invalid

DEFAULT_TIMEZONE = "Asia/Shanghai"


def zone(name: str | tzinfo | None) -> tzinfo:
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(
            f"time zone {name!r} is unknown (e.g. Asia/Shanghai)",
            Problem("bad zone", field="schedule_timezone"),
        ) from None


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check(expr: str) -> str:
    """The expression, stripped, if it is a cron expression that ever fires; else a clear error."""
    text = (expr or "").strip()
    if not text or not croniter.is_valid(text):
        raise invalid(
            f"schedule {expr!r} is not a cron expression (minute hour day month weekday, e.g. '0 2 * * *')",
            Problem("not a cron expression", field="schedule", value=str(expr)),
        )
    next_run(text, datetime(2000, 1, 1, tzinfo=UTC))  # '0 0 30 2 *' is valid syntax but never fires
    return text


def next_run(expr: str, after: datetime, tz: str | tzinfo | None = None) -> datetime:
    """The first time strictly after ``after`` that the schedule fires (aware UTC)."""
    local = utc(after).astimezone(zone(tz))
    try:
        fired = croniter(expr, local).get_next(datetime)
    except CroniterBadDateError:
        raise invalid(
            f"schedule {expr!r} never fires (no such date)",
            Problem("never fires", field="schedule", value=expr),
        ) from None
    return utc(fired)


def previous_run(expr: str, before: datetime, tz: str | tzinfo | None = None) -> datetime:
    """The last time at or before ``before`` that the schedule fired (aware UTC)."""
    local = utc(before).astimezone(zone(tz))
    try:
        fired = croniter(expr, local).get_prev(datetime)
    except CroniterBadDateError:
        raise invalid(f"schedule {expr!r} never fires (no such date)") from None
    return utc(fired)


def is_due(expr: str, base: datetime, now: datetime, tz: str | tzinfo | None = None) -> bool:
    """Whether the schedule fired after ``base`` (the last start, or when the source was added) and
    no later than ``now``."""
    return next_run(expr, base, tz) <= utc(now)


LATE_GRACE = timedelta(hours=1)  # a scheduled load may take a while before it counts as late


@dataclass(frozen=True)
class ScheduleState:
    """Where a scheduled source stands: when it last should have run, when it next will, and
    whether it is late. ``invalid`` when the stored expression no longer parses."""

    previous: datetime | None
    next: datetime | None
    late: bool
    invalid: bool = False


def schedule_state(
    expr: str | None,
    last_started: datetime | None,
    now: datetime,
    tz: str | tzinfo | None = None,
    added: datetime | None = None,
) -> ScheduleState | None:
    """Late: no load started since the schedule's last turn, plus :data:`LATE_GRACE`. A source never
    loaded counts from when it was added, so it is not late before its first turn. Read in the
    worker's time zone, so every view and the worker agree. None for an unscheduled source."""
    if not expr:
        return None
    try:
        previous, following = previous_run(expr, now, tz), next_run(expr, now, tz)
    except (ValueError, KeyError, HuitongError):
        return ScheduleState(None, None, late=False, invalid=True)
    since = last_started if last_started is not None else added
    late = utc(now) - previous > LATE_GRACE and (since is None or utc(since) < previous)
    return ScheduleState(previous, following, late=late)
