"""The ledger's group commit in a process of its own, for the server.

In one process the writer thread and the event loop share one interpreter lock: every
statement the writer runs hands the lock back and must win it again from a busy loop, so a
commit of ten entries spent most of its ~6 ms waiting, and every request waited with it.
Here the server's writer thread only pickles each batch onto a pipe and waits, without the
lock, for the ids; a child interpreter writes the batch with :func:`write_batch` and answers
once it has committed. Acknowledged still means committed; if the child dies, the batches in
flight fail (their callers get a 503) and the next batch starts a new child.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import huitong
from huitong.db.base import Database
from huitong.errors import HuitongError
from huitong.ledger.writer import GroupCommitWriter, table_modules, write_batch

log = logging.getLogger("huitong.ledger")
START_TIMEOUT = 60.0  # the child imports SQLAlchemy and opens the database


def shareable(db: Database) -> bool:
    """Can another process open this database? (Not an in-memory SQLite database.)"""
    url = db.engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


class ProcessWriter(GroupCommitWriter):
    """A :class:`GroupCommitWriter` whose batches are written by a child process."""

    def __init__(self, db: Database, *, sequence_every: float | None = None, **kwargs) -> None:
        super().__init__(db, **kwargs)
        self.url = db.engine.url.render_as_string(hide_password=False)
        self.sequence_every = sequence_every  # the child also sequences new entries this often
        self._pipes: tuple[Connection, Connection] | None = None
        self._proc: subprocess.Popen | None = None
        self._child_lock = threading.Lock()
        self._stopped = False  # closed: no new child

    @property
    def pid(self) -> int | None:
        """The child's process id, while it runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> ProcessWriter:
        """Start the child now rather than on the first entry; raise, saying why, if it cannot
        open the database (this goes to whoever starts the server, not to API callers)."""
        self._child(detail=True)
        return self

    @property
    def alive(self) -> bool:
        return self.pid is not None

    def _child(self, *, detail: bool = False) -> tuple[Connection, Connection]:
        with self._child_lock:
            if self._pipes is not None and self._proc is not None and self._proc.poll() is None:
                return self._pipes
            if self._stopped:  # closed: a batch still in flight must not start another child
                raise HuitongError("the ledger writer is closed", status=503)
            self._stop_child()
            try:
                self._pipes, self._proc = self._spawn()
            except HuitongError as exc:
                if detail:
                    raise
                # The reason can name the database's host, port or user: it goes to the server's
                # log, and the caller (an HTTP client, perhaps anonymous) gets only a 503.
                log.error("%s", exc.message)
                raise HuitongError("the ledger writer process could not be restarted", status=503) from None
            return self._pipes

    def _spawn(self) -> tuple[tuple[Connection, Connection], subprocess.Popen]:
        # A fresh interpreter rather than multiprocessing: forking a threaded server is
        # unsafe, and spawning re-imports the caller's main module, which is not ours.
        from_parent, to_child = os.pipe()  # (read end, write end)
        from_child, to_parent = os.pipe()
        package_root = str(Path(huitong.__file__).resolve().parent.parent)
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
        )
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "huitong.ledger.process", str(from_parent), str(to_parent)],
                pass_fds=(from_parent, to_parent),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except OSError as exc:
            os.close(to_child)
            os.close(from_child)
            raise HuitongError(f"the ledger writer process could not start: {exc}", status=503) from exc
        finally:
            os.close(from_parent)
            os.close(to_parent)
        send, recv = Connection(to_child, readable=False), Connection(from_child, writable=False)
        status, detail = "error", "it did not answer in time"
        try:
            # The URL travels here, not in argv, where any user of the machine could read it.
            send.send_bytes(
                pickle.dumps(
                    {"url": self.url, "sequence_every": self.sequence_every, "tables": table_modules()}
                )
            )
            if recv.poll(START_TIMEOUT):
                status, detail = pickle.loads(recv.recv_bytes())
        except (EOFError, OSError):
            status, detail = "error", "it exited"
        finally:
            if status != "ready":  # whatever went wrong, no child is left behind
                proc.kill()
                code = proc.wait()
                send.close()
                recv.close()
                if detail == "it exited":
                    detail = f"it exited with {code}"
        if status != "ready":
            raise HuitongError(f"the ledger writer process could not start: {detail}", status=503)
        return (send, recv), proc

    def _write(self, batch) -> list[int]:
        send, recv = self._child()
        try:
            send.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
            status, value = pickle.loads(recv.recv_bytes())
        except (EOFError, OSError) as exc:
            with self._child_lock:
                if self._pipes is not None and self._pipes[1] is recv:
                    self._stop_child()  # the next batch starts a new one
            raise HuitongError("the ledger writer process stopped", status=503) from exc
        if status != "ok":
            raise HuitongError(f"the ledger could not record evidence: {value}", status=503)
        self.commits += 1
        return value

    def _stop_child(self) -> None:
        pipes, proc, self._pipes, self._proc = self._pipes, self._proc, None, None
        if pipes is not None:
            pipes[0].close()  # the child sees end of file and exits after its current batch
        if proc is not None:
            try:
                proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if pipes is not None:
            pipes[1].close()  # only now: a writer thread still reading has seen the child go

    def close(self) -> None:
        super().close()  # what was submitted is written first
        with self._child_lock:
            self._stopped = True
            self._stop_child()


def _serve(recv: Connection, send: Connection) -> None:
    """The child: write each batch that arrives, answer with its ids, sequence new entries
    between batches when asked to, stop at end of file."""
    # The parent decides when the ledger stops: a Ctrl-C or a service stop reaches the whole
    # process group, and the server still has entries to hand over while it shuts down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        config = pickle.loads(recv.recv_bytes())
        for name in config["tables"]:  # every table an effect may name
            importlib.import_module(name)

        db = Database(config["url"], pool_size=1, max_overflow=0)
        with db.engine.connect():
            pass
    except Exception as exc:
        send.send_bytes(
            pickle.dumps(("error", f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"))
        )
        return
    send.send_bytes(pickle.dumps(("ready", os.getpid())))
    every = config["sequence_every"]
    last = time.monotonic()
    while True:
        # Sequencing here, between two batches, never holds the database's write lock
        # against a batch, and its hashing costs the server's interpreter nothing.
        if every is not None and (
            (remaining := last + every - time.monotonic()) <= 0 or not recv.poll(remaining)
        ):
            _sequence(db)
            last = time.monotonic()
            continue
        try:
            batch = pickle.loads(recv.recv_bytes())
        except (EOFError, OSError):
            break
        try:
            reply = ("ok", write_batch(db, batch))
        except Exception as exc:  # the parent fails the batch's callers; no values in the message
            reply = ("error", type(exc).__name__)
        try:
            send.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            break
    db.engine.dispose()


def _sequence(db: Database) -> None:
    from huitong.ledger.log import sequencer

    try:
        sequencer(db).integrate()
    except Exception:  # a failed run stays pending and is retried; the writes go on
        log.exception("sequencing in the ledger writer process failed; retrying")


def use_process_writer(db: Database, *, sequence_every: float | None = None) -> ProcessWriter | None:
    """Give ``db`` a process writer (the server's choice); None when the database is in memory.
    With ``sequence_every`` the child also sequences new entries into the tree that often."""
    if not shareable(db):
        return None
    with db.parts.lock:
        current = db.parts.peek(GroupCommitWriter)
        if isinstance(current, ProcessWriter):
            return current
        if current is not None:
            current.close()  # hands over what it holds first
        found = ProcessWriter(db, sequence_every=sequence_every)
        db.parts.put(GroupCommitWriter, found)
    try:
        return found.start()
    except HuitongError:
        db.parts.put(GroupCommitWriter, None)
        raise


def stop_process_writer(db: Database) -> None:
    """Write what is queued, stop the child; later entries go through a writer thread again."""
    with db.parts.lock:
        current = db.parts.peek(GroupCommitWriter)
        if not isinstance(current, ProcessWriter):
            return
        db.parts.put(GroupCommitWriter, None)
    current.close()


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
