"""The server's ledger writer process: entries and their effects commit as with the writer
thread, a dead child fails only the batch it held, and the server runs it by default."""

from __future__ import annotations

import fcntl
import os
import pickle
import signal
import struct
import termios
import time
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from huitong.access.actor import SYSTEM
from huitong.api.app import create_app
from huitong.catalog.tables import Counter
from huitong.config import Settings
from huitong.db.base import Database
from huitong.errors import HuitongError
from huitong.ledger import service
from huitong.ledger.events import entry_values
from huitong.ledger.log import sequencer
from huitong.ledger.process import ProcessWriter, shareable, stop_process_writer, use_process_writer
from huitong.ledger.tables import EvidenceEntry, EvidenceSubject
from huitong.ledger.writer import GroupCommitWriter, Increment, RowInsert, writer_for
from huitong.share.tables import GrantUsage


def _entry(n: int) -> dict:
    return entry_values(SYSTEM, "test.process", "resource", f"R{n}", "ok", {"n": n})


def test_effects_travel_by_table_name():
    row = RowInsert(EvidenceSubject.__table__, {"entry_id": 1, "subject": "k"})
    inc = Increment(GrantUsage.__table__, (("grant_id", 1), ("day", date(2026, 12, 2))), (("requests", 1),))
    again = pickle.loads(pickle.dumps((row, inc)))
    assert again == (row, inc)
    assert again[0].table is EvidenceSubject.__table__
    assert len(pickle.dumps(row)) < 200  # a name, not the table's whole definition


def test_process_writer_commits_entries_subjects_and_counters(db):
    writer = use_process_writer(db)
    try:
        assert writer is not None and writer.pid not in (None, os.getpid())
        tickets = [
            writer.submit(
                _entry(n),
                [f"subject-{n}"],
                (Increment(Counter.__table__, (("name", "test.process"),), (("value", n),)),),
            )
            for n in range(50)
        ]
        ids = [t.result() for t in tickets]
        assert ids == sorted(ids) and len(set(ids)) == 50
        with db.session(read_only=True) as s:
            assert s.scalar(select(func.count()).where(EvidenceEntry.action == "test.process")) == 50
            subjects = s.scalars(
                select(EvidenceSubject.entry_id).where(EvidenceSubject.entry_id.in_(ids))
            ).all()
            assert sorted(subjects) == ids
            assert s.scalar(select(Counter.value).where(Counter.name == "test.process")) == sum(range(50))
        assert sequencer(db).integrate() >= 50  # the child's rows hash like any others
    finally:
        stop_process_writer(db)
    assert db.parts.peek(GroupCommitWriter) is None
    assert writer_for(db).append(_entry(99)) > max(ids)  # back to a writer thread


def _leaf_soon(db: Database, entry_id: int, seconds: float = 20) -> int | None:
    """The entry's leaf index once it has one, or None after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with db.session(read_only=True) as s:
            leaf = s.scalar(select(EvidenceEntry.leaf_index).where(EvidenceEntry.id == entry_id))
        if leaf is not None:
            return leaf
        time.sleep(0.05)
    return None


def test_the_child_sequences_new_entries_into_the_tree(db):
    writer = use_process_writer(db, sequence_every=0.05)
    try:
        entry_id = writer.append(_entry(5))
        assert _leaf_soon(db, entry_id) is not None, "the writer process did not sequence the entry"
    finally:
        stop_process_writer(db)
    assert service.verify_database(db).ok


def _queued_bytes(writer: ProcessWriter) -> int:
    """Bytes sent to the child and not yet read by it (FIONREAD works on either end of a pipe)."""
    return struct.unpack("i", fcntl.ioctl(writer._pipes[0].fileno(), termios.FIONREAD, b"\0" * 4))[0]


def test_a_child_killed_mid_batch_fails_that_batch_only(db):
    writer = use_process_writer(db)
    try:
        first = writer.pid
        assert writer.append(_entry(1)) > 0
        os.kill(first, signal.SIGSTOP)  # the next batch waits in the pipe, unread
        ticket = writer.submit(_entry(2))
        deadline = time.monotonic() + 10
        while _queued_bytes(writer) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(first, signal.SIGKILL)
        with pytest.raises(HuitongError) as failed:
            ticket.result()
        assert failed.value.status == 503 and "stopped" in failed.value.message
        assert writer.append(_entry(3)) > 0  # a new child takes the next batch
        assert writer.pid not in (None, first)
    finally:
        stop_process_writer(db)
    with db.session(read_only=True) as s:
        stored = s.scalars(
            select(EvidenceEntry.object_id).where(EvidenceEntry.action == "test.process")
        ).all()
    assert sorted(stored) == ["R1", "R3"]  # the failed one was not half-written


def test_a_child_that_died_between_batches_is_replaced_without_a_failure(db):
    writer = use_process_writer(db)
    try:
        first = writer.pid
        os.kill(first, signal.SIGKILL)
        writer._proc.wait()
        assert writer.append(_entry(4)) > 0
        assert writer.pid not in (None, first)
    finally:
        stop_process_writer(db)


def test_an_unreachable_database_is_a_clear_start_error(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'no-such-dir' / 'meta.db'}")
    with pytest.raises(HuitongError) as failed:
        use_process_writer(db)
    assert "could not start" in failed.value.message and "OperationalError" in failed.value.message
    assert db.parts.peek(GroupCommitWriter) is None  # no broken writer left behind
    db.dispose()


def test_in_memory_sqlite_keeps_the_writer_thread():
    db = Database(engine=create_engine("sqlite://"))
    assert not shareable(db)
    assert use_process_writer(db) is None
    db.dispose()


def test_the_server_writes_evidence_from_its_own_process(db, tmp_path):
    app = create_app(Settings(data_dir=tmp_path), db=db)
    with TestClient(app) as client:
        writer = db.parts.peek(GroupCommitWriter)
        assert isinstance(writer, ProcessWriter) and writer.pid not in (None, os.getpid())
        before = writer.commits
        r = client.post("/api/auth/login", json={"username": "nobody", "password": "x" * 12})
        assert r.status_code == 401
        assert writer.commits > before  # the denial was written by the child before the 401
        child = writer.pid
    assert db.parts.peek(GroupCommitWriter) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # stopped and reaped with the app


def test_the_setting_keeps_the_writer_in_process(db, tmp_path):
    app = create_app(Settings(data_dir=tmp_path, ledger_process=False), db=db)
    with TestClient(app) as client:
        client.post("/api/auth/login", json={"username": "nobody", "password": "x" * 12})
        assert not isinstance(db.parts.peek(GroupCommitWriter), ProcessWriter)


def _our_writer_children() -> list[int]:
    """Live ledger writer processes started by this process (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"huitong.ledger.process" in cmdline:
            found.append(int(entry))
    return found


def test_no_child_outlives_close_even_with_a_batch_in_flight(db):
    writer = ProcessWriter(db, timeout=2.0).start()
    os.kill(writer.pid, signal.SIGSTOP)  # the child hangs on its batch
    first = writer.submit(_entry(6))
    deadline = time.monotonic() + 10
    while _queued_bytes(writer) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    second = writer.submit(_entry(7))  # queued behind the hung batch
    writer.close()
    for ticket in (first, second):
        with pytest.raises(HuitongError):
            ticket.result(10)
    time.sleep(0.5)
    assert _our_writer_children() == []  # the queued batch did not start another child


def test_a_child_that_does_not_answer_at_start_is_killed(monkeypatch):
    import socket

    from huitong.ledger import process

    with socket.socket() as silent:  # accepts connections and never answers: a hung database
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        monkeypatch.setattr(process, "START_TIMEOUT", 2.0)
        hung = Database(f"postgresql+psycopg://127.0.0.1:{port}/test")
        with pytest.raises(HuitongError, match="did not answer in time"):
            ProcessWriter(hung).start()
        assert _our_writer_children() == []
        hung.dispose()


def test_a_failed_restart_tells_callers_only_that_it_failed(tmp_path):
    from huitong.bootstrap import seed
    from huitong.db.migrate import upgrade

    home = tmp_path / "db"
    home.mkdir()
    db = Database(f"sqlite:///{home / 'meta.db'}")
    upgrade(db.engine)
    with db.session() as s:
        seed(s)
    writer = use_process_writer(db)
    try:
        assert writer.append(_entry(8)) > 0
        os.kill(writer.pid, signal.SIGKILL)
        writer._proc.wait()
        home.rename(tmp_path / "moved")  # the next child cannot open the database
        with pytest.raises(HuitongError) as failed:
            writer.append(_entry(9))
        assert failed.value.message == "the ledger writer process could not be restarted"
        (tmp_path / "moved").rename(home)
        assert writer.append(_entry(10)) > 0  # and the one after that works again
    finally:
        stop_process_writer(db)
        db.dispose()


def test_while_the_child_is_down_the_server_sequences_by_itself(db, tmp_path):
    from huitong.ledger.events import record

    with TestClient(create_app(Settings(data_dir=tmp_path), db=db)):
        writer = db.parts.peek(GroupCommitWriter)
        time.sleep(1)  # past the first checkpoint, which sequences too; the next is a minute away
        os.kill(writer.pid, signal.SIGKILL)
        writer._proc.wait()
        with db.session() as s:  # written in a unit of work, not through the writer
            entry = record(s, SYSTEM, "test.process", "resource", "R11")
            s.flush()
            entry_id = entry.id
        assert _leaf_soon(db, entry_id) is not None, "nobody sequenced while the writer process was down"
