"""Kill the server with SIGKILL in the middle of a burst of appends: after a restart every
acknowledged entry is there and the tree verifies (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from huitong.db.base import Database
from huitong.ledger import service
from huitong.ledger.log import sequencer
from huitong.ledger.setup import ensure_keys
from huitong.ledger.tables import EvidenceEntry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, HUITONG_DATA_DIR=str(data_dir), HUITONG_DATABASE_URL=url)
    exe = Path(sys.executable).parent / "huitong"
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


def test_acknowledged_entries_survive_kill_9(test_database, tmp_path):
    data_dir = tmp_path / "data"
    port = free_port()
    proc = start_server(data_dir, test_database.url, port)
    acknowledged = 0
    lock = threading.Lock()
    stop = threading.Event()
    statuses: list[int] = []

    def burst(k: int) -> None:
        nonlocal acknowledged
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            i = 0
            while not stop.is_set():
                try:
                    r = client.post(
                        "/api/auth/login", json={"username": f"nobody{k}-{i}", "password": "x" * 12}
                    )
                except httpx.HTTPError:
                    return  # the server is gone: this request was never acknowledged
                with lock:
                    statuses.append(r.status_code)
                    if r.status_code == 401:  # the denial is durable before the 401 is sent
                        acknowledged += 1
                i += 1

    threads = [threading.Thread(target=burst, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join()
    assert acknowledged > 50, "the burst never got going"
    assert set(statuses) == {401}, f"concurrent writers must queue, not fail: {sorted(set(statuses))}"

    db = Database(test_database.url)  # the restart: open the same database and keys
    db.ledger_keys, db.subject_secret = ensure_keys(data_dir / "keys")
    db.ledger_origin = "huitong.local"
    try:
        sequencer(db).integrate()
        with db.session() as s:
            stored = s.scalar(
                select(func.count()).where(
                    EvidenceEntry.action == "auth.login", EvidenceEntry.result == "denied"
                )
            )
        assert stored >= acknowledged
        service.sign_checkpoint(db, force=True)
        report = service.verify_database(db)
        assert report.ok, report.findings[:5]
        assert report.tree_size >= acknowledged
    finally:
        db.dispose()
