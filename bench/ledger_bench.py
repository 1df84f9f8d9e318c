"""Ledger benchmark: durable appends per second (group commit, as the server does them),
sequencing into the Merkle tree, inclusion-proof time from the database, and verification.

    .venv/bin/python -m bench.ledger_bench [--entries 200000] [--producers 16] [--backend sqlite pg]

Appends: ``producers`` threads each call ``GroupCommitWriter.append`` in a loop, as request
handlers do; an append returns only once its batch is committed (SQLite synchronous=FULL,
PostgreSQL default fsync), so the rate is of durable, acknowledged entries. Sequencing is
timed separately (the server does it in the background). Proof times are for the full
path: a checkpoint's inclusion proof read from the database in one query.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from huitong.access import SYSTEM
from huitong.db.base import Database
from huitong.db.migrate import upgrade
from huitong.ledger import service
from huitong.ledger.events import entry_values
from huitong.ledger.log import prove_inclusion, sequencer
from huitong.ledger.merkle import MemoryNodeStore, inclusion_proof, leaf_hash
from huitong.ledger.setup import ensure_keys
from huitong.ledger.writer import GroupCommitWriter

PG_BASE = "postgresql+psycopg://127.0.0.1:5432/test"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def open_db(backend: str, workdir: Path) -> tuple[Database, str | None]:
    if backend == "sqlite":
        db = Database(f"sqlite:///{workdir / 'ledger-bench.db'}")
        schema = None
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with create_engine(PG_BASE).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = Database(f"{PG_BASE}?options=-csearch_path%3D{schema}")
    upgrade(db.engine)
    db.ledger_keys, db.subject_secret = ensure_keys(workdir / f"keys-{backend}")
    db.ledger_origin = "bench.huitong.local"
    return db, schema


def appends(db: Database, total: int, producers: int, window: int = 1) -> dict:
    writer = GroupCommitWriter(db, max_batch=10_000)
    per = total // producers
    latencies: list[float] = []
    lock = threading.Lock()

    def produce(k: int) -> None:
        """Each producer stands for ``window`` concurrent requests: it keeps that many appends
        in flight and takes each acknowledgement in order."""
        mine: list[float] = []
        flight: list = []
        for i in range(per):
            values = entry_values(
                SYSTEM, "share.delivery", "grant", f"g{k}", "ok", {"rows": i, "purpose": "核验"}
            )
            flight.append((time.perf_counter(), writer.submit(values)))
            if len(flight) >= window:
                t0, fut = flight.pop(0)
                fut.result()
                mine.append(time.perf_counter() - t0)
        for t0, fut in flight:
            fut.result()
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(producers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    writer.close()
    n = per * producers
    return {
        "entries": n,
        "seconds": took,
        "per_second": n / took,
        "commits": writer.commits,
        "ack_p50_ms": pct(latencies, 50) * 1e3,
        "ack_p99_ms": pct(latencies, 99) * 1e3,
        "in_flight": producers * window,
    }


def sequencing(db: Database) -> dict:
    started = time.perf_counter()
    n = sequencer(db).integrate()
    took = time.perf_counter() - started
    return {"entries": n, "seconds": took, "per_second": n / took if took else 0.0}


def proofs(db: Database, size: int, samples: int = 500) -> dict:
    rng = random.Random(1)
    times = []
    with db.session() as s:
        for _ in range(samples):
            i = rng.randrange(size)
            t = time.perf_counter()
            prove_inclusion(s, i, size)
            times.append(time.perf_counter() - t)
    return {"size": size, "p50_ms": pct(times, 50) * 1e3, "p95_ms": pct(times, 95) * 1e3}


def memory_proofs(size: int, samples: int = 2000) -> dict:
    """The pure core at a size the database run does not reach (default 10 million)."""
    t = time.perf_counter()
    store = MemoryNodeStore(leaf_hash(i.to_bytes(8, "big")) for i in range(size))
    built = time.perf_counter() - t
    rng = random.Random(2)
    times = []
    for _ in range(samples):
        i = rng.randrange(size)
        t = time.perf_counter()
        inclusion_proof(store, i, size)
        times.append(time.perf_counter() - t)
    return {"size": size, "build_s": built, "p50_us": pct(times, 50) * 1e6, "p95_us": pct(times, 95) * 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=200_000)
    ap.add_argument("--producers", type=int, default=16)
    ap.add_argument("--window", type=int, default=64, help="appends each producer keeps in flight")
    ap.add_argument("--backend", nargs="+", default=["sqlite", "pg"], choices=["sqlite", "pg"])
    ap.add_argument(
        "--memory-size", type=int, default=10_000_000, help="tree size for the in-memory proof run"
    )
    ap.add_argument("--out", type=Path, default=Path("bench/results/ledger.json"))
    args = ap.parse_args()
    report: dict = {"date": time.strftime("%Y-%m-%d"), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backend:
            db, schema = open_db(backend, Path(tmp))
            try:
                runs = []
                for window in (1, args.window):
                    r = appends(db, args.entries // (4 if window == 1 else 1), args.producers, window)
                    runs.append(r)
                    print(
                        f"[{backend}] durable appends, {r['in_flight']} in flight: {r['entries']:,} in "
                        f"{r['seconds']:.1f} s = {r['per_second']:,.0f}/s over {r['commits']:,} commits; "
                        f"ack p50 {r['ack_p50_ms']:.1f} ms, p99 {r['ack_p99_ms']:.1f} ms"
                    )
                a = {"closed_loop": runs[0], "pipelined": runs[1]}
                q = sequencing(db)
                print(
                    f"[{backend}] sequencing into the tree: {q['entries']:,} in {q['seconds']:.1f} s = "
                    f"{q['per_second']:,.0f}/s"
                )
                p = proofs(db, q["entries"])
                print(
                    f"[{backend}] inclusion proof from the database at {p['size']:,}: p50 {p['p50_ms']:.2f} ms, "
                    f"p95 {p['p95_ms']:.2f} ms"
                )
                service.sign_checkpoint(db)
                t = time.perf_counter()
                ok = service.verify_database(db).ok
                v = time.perf_counter() - t
                print(
                    f"[{backend}] full verification of {q['entries']:,} entries: {v:.1f} s "
                    f"({q['entries'] / v:,.0f} entries/s), ok={ok}"
                )
                report["runs"].append(
                    {
                        "backend": backend,
                        "appends": a,
                        "sequencing": q,
                        "proofs": p,
                        "verify_s": v,
                        "verify_ok": ok,
                    }
                )
            finally:
                db.dispose()
                if schema:
                    with create_engine(PG_BASE).begin() as conn:
                        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    if args.memory_size:
        m = memory_proofs(args.memory_size)
        print(
            f"[memory] inclusion proof at {m['size']:,} leaves: p50 {m['p50_us']:.0f} µs, p95 {m['p95_us']:.0f} µs "
            f"(tree built in {m['build_s']:.0f} s)"
        )
        report["memory"] = m
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
