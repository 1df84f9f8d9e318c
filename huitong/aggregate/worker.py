"""``huitong worker``: runs each source's scheduled load when its cron schedule comes round.

A load runs as the person who added the source (the system, if the local administrator added it
without ``--as``), with that person's permissions at the time of the run: a creator who was
disabled or has lost the department administrator role makes the load fail with that reason. Every
failure leaves a ``failed`` load row and a ledger entry, and one failing source never stops the
others. Run one worker per metadata database.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import func, select

from huitong.access import SYSTEM, Actor
from huitong.aggregate.pipeline import execute_load, record_failure, start_load
from huitong.aggregate.registry import get_source, list_sources
from huitong.aggregate.schedule import is_due, next_run, utc
from huitong.aggregate.tables import LoadRun, SourceRow
from huitong.db.base import Database
from huitong.errors import HuitongError
from huitong.org.service import actor_for
from huitong.org.tables import User
from huitong.store.store import Store

log = logging.getLogger("huitong.worker")


@dataclass(frozen=True)
class Outcome:
    """What the worker did with one due source."""

    source: str
    load_id: int | None
    status: str  # loaded, unchanged, aborted, failed
    message: str | None = None

    def line(self) -> str:
        text = f"{self.source}: load {self.load_id} {self.status}"
        return f"{text}: {self.message}" if self.message else text


def last_start(session, source: SourceRow) -> datetime:
    """When the source's last load started, or when it was added if it never ran."""
    started = session.scalar(select(func.max(LoadRun.started_at)).where(LoadRun.source_id == source.id))
    return utc(started or source.created_at)


def upcoming(session, source: SourceRow, tz: str | tzinfo | None = None) -> datetime | None:
    """The source's next scheduled run (UTC), or None if it has no schedule."""
    if not source.schedule:
        return None
    return next_run(source.schedule, last_start(session, source), tz)


def due(db: Database, now: datetime, tz: str | tzinfo | None = None) -> list[str]:
    """Names of the sources whose schedule fired since their last load, as of ``now``."""
    with db.session(read_only=True) as s:
        return [
            src.name
            for src in list_sources(s)
            if src.schedule and is_due(src.schedule, last_start(s, src), now, tz)
        ]


def creator(session, source: SourceRow) -> Actor:
    """The actor a scheduled load runs as: the source's creator, if still there and active."""
    if source.created_by is None:
        return SYSTEM
    user = session.get(User, source.created_by)
    if user is None:
        raise HuitongError(f"the user who added source {source.name} no longer exists")
    if not user.active:
        raise HuitongError(f"user {user.username}, who added source {source.name}, is disabled")
    return actor_for(user)


def run_one(db: Database, store: Store, name: str) -> Outcome:
    """Run one source's load as its creator; any failure is recorded and returned, never raised."""
    with db.session(read_only=True) as s:
        source = get_source(s, name)
        user = s.get(User, source.created_by) if source.created_by is not None else None
        label = user.username if user else ("system" if source.created_by is None else "unknown")
    try:
        with db.session(read_only=True) as s:
            actor = creator(s, get_source(s, name))
        pending = start_load(db, actor, name)
    except HuitongError as exc:
        # Recorded under the creator's name but with no roles: the entry states the refusal only.
        recorder = Actor(user_id=user.id if user else None, username=label)
        load_id = record_failure(db, name, label, exc.message, recorder)
        return Outcome(name, load_id, "failed", exc.message)
    try:
        result = execute_load(db, store, pending)
    except HuitongError as exc:  # the run row is finished already (failed or aborted)
        with db.session(read_only=True) as s:
            status = s.get(LoadRun, pending.load_id).status
        return Outcome(name, pending.load_id, status, exc.message)
    except Exception as exc:  # recorded by execute_load; the next source still runs
        log.exception("scheduled load of %s failed", name)
        return Outcome(name, pending.load_id, "failed", f"internal error: {type(exc).__name__}: {exc}")
    return Outcome(name, result.load_id, result.status, result.message)


def run_due(
    db: Database,
    store: Store,
    now: datetime | None = None,
    *,
    tz: str | tzinfo | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """Run every source that is due at ``now`` (default: the current time) once, one after another."""
    outcomes = []
    for name in due(db, now or datetime.now(UTC), tz):
        if stop is not None and stop():
            break
        try:
            outcomes.append(run_one(db, store, name))
        except Exception as exc:  # e.g. the source was removed meanwhile: the others still run
            log.exception("scheduled load of %s could not be run", name)
            outcomes.append(Outcome(name, None, "failed", str(exc)))
    return outcomes


class Worker:
    """The long-running loop: look for due sources every ``interval`` seconds until stopped.

    SIGINT or SIGTERM stops it after the load in progress (a second SIGINT interrupts that too)."""

    def __init__(
        self,
        db: Database,
        store: Store,
        *,
        interval: float = 60.0,
        tz: str | tzinfo | None = None,
        report: Callable[[Outcome], None] | None = None,
    ):
        self.db, self.store, self.interval, self.tz = db, store, interval, tz
        self.report = report or (lambda o: log.info("%s", o.line()))
        self.stopping = threading.Event()

    def stop(self, *_args: object) -> None:
        if self.stopping.is_set():
            raise KeyboardInterrupt
        self.stopping.set()

    def run(self, *, once: bool = False) -> int:
        """Poll until stopped (or one pass with ``once``); returns how many loads ran."""
        from huitong.ledger.log import sequencer

        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                handlers[sig] = signal.signal(sig, self.stop)
        ran = 0
        try:
            while not self.stopping.is_set():
                for outcome in run_due(self.db, self.store, tz=self.tz, stop=self.stopping.is_set):
                    ran += 1
                    self.report(outcome)
                sequencer(self.db).integrate()  # the loads' ledger entries join the tree now
                if once or self.stopping.wait(self.interval):
                    break
        finally:
            for sig, previous in handlers.items():
                signal.signal(sig, previous)
        return ran
