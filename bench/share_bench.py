"""Sharing benchmark: the delivery paths a consumer's system calls, end to end in process
(grant check with the row locked, quota count, delivery row, ledger entry with subject index,
durable commit), over a resource of N people.

    .venv/bin/python -m bench.share_bench [--people 100000] [--calls 2000] [--backend sqlite pg]

Verification (数据核验, ID number + name) is what most government services call, so it is
answered from an in-memory index of the granted version; the figure includes everything but
HTTP. Lookup and a 100-row query page read the Iceberg table through the granted, masked view.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
from sqlalchemy import create_engine, text

from bench.population import population_spec
from huitong.access import SYSTEM
from huitong.bootstrap import seed
from huitong.catalog import service as catalog
from huitong.catalog.model import (
    DataItem,
    DataType,
)
from huitong.db.base import Database
from huitong.db.migrate import upgrade
from huitong.ledger.setup import ensure_keys
from huitong.org import service as org
from huitong.share import applications as apps
from huitong.share import delivery
from huitong.share.grants import Conditions
from huitong.standards.idcard import make_id_number
from huitong.standards.uscc import make_credit_code
from huitong.store import Store

PG_BASE = "postgresql+psycopg://127.0.0.1:5432/test"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("住址", DataType.C, 200, element="DE03002"),
]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def people(n: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    out = []
    for i in range(n):
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(25000))
        number = (
            make_id_number("330106", birth, i % 999 + 1)
            if i < 999
            else make_id_number(
                rng.choice(["330102", "330105", "330106", "330108", "330110"]), birth, rng.randrange(1, 999)
            )
        )
        out.append(
            (
                number,
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                str(rng.randrange(1, 3)),
                f"浙江省杭州市西湖区文三路{i}号",
            )
        )
    return list({p[0]: p for p in out}.values())


def setup(backend: str, workdir: Path, n: int, *, layout: str = "bench"):
    """A city with one conditional population resource of ``n`` people granted to 民政.
    ``layout="server"`` puts the database, keys and warehouse where a server started with
    ``data_dir=workdir`` looks for them."""
    served = layout == "server"
    if backend == "sqlite":
        url, schema = f"sqlite:///{workdir / ('huitong.db' if served else 'share-bench.db')}", None
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with create_engine(PG_BASE).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    db = Database(url)
    upgrade(db.engine)
    db.ledger_keys, db.subject_secret = ensure_keys(workdir / ("keys" if served else f"keys-{backend}"))
    with db.session() as s:
        seed(s)
        org.add_region(s, SYSTEM, "330000", "浙江省")
        org.add_region(s, SYSTEM, "330100", "杭州市", parent_code="330000")
        police = org.add_department(
            s, SYSTEM, "330100", "公安局", make_credit_code("1", "1", "330100", "10000002")
        ).code
        civil = org.add_department(
            s, SYSTEM, "330100", "民政局", make_credit_code("1", "1", "330100", "10000003")
        ).code
        ga = org.actor_for(org.add_user(s, SYSTEM, "ga", "GA", police, ["dept_admin"], None))
        mz = org.actor_for(org.add_user(s, SYSTEM, "mz", "MZ", civil, ["dept_admin"], None))
        spec = population_spec(police, ITEMS, "常住人口户籍信息")
        code = catalog.create(s, ga, spec).code
        catalog.submit(s, ga, code)
        catalog.publish(s, SYSTEM, code)
    rows = people(n, random.Random(7))
    store = Store(url, workdir / ("warehouse" if served else f"warehouse-{backend}"))
    store.ensure_table(code, ITEMS)
    store.write(
        code, pa.table({it.name: pa.array([r[i] for r in rows]) for i, it in enumerate(ITEMS)}), "full"
    )
    form = apps.ApplicationForm(
        {code: []},
        "数据校核",
        "核验",
        "《社会救助暂行办法》",
        "低保审核",
        date.today(),
        date.today() + timedelta(days=30),
        ["query", "verify", "batch"],
    )
    with db.session() as s:
        rid = apps.submit(s, mz, form).requests[0].id
    with db.session() as s:
        apps.act(s, SYSTEM, rid, "comply")
    with db.session() as s:
        gid = apps.act(
            s, ga, rid, "approve", conditions=Conditions(items=["公民身份号码", "姓名", "性别"])
        ).grant_id
    return db, store, gid, rows, schema, mz


def timed(fn, calls: int) -> dict:
    times = []
    for i in range(calls):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "calls": calls,
        "p50_ms": round(pct(times, 50), 2),
        "p95_ms": round(pct(times, 95), 2),
        "p99_ms": round(pct(times, 99), 2),
        "per_s": round(calls / (sum(times) / 1000), 1),
    }


def run(backend: str, n: int, calls: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        db, store, gid, rows, schema, mz = setup(backend, work, n)
        setup_s = time.perf_counter() - t0
        rng = random.Random(1)
        sample = [rows[rng.randrange(len(rows))] for _ in range(calls)]
        t1 = time.perf_counter()
        delivery.verify(db, store, mz, gid, {"公民身份号码": sample[0][0], "姓名": sample[0][1]})
        index_s = time.perf_counter() - t1
        out = {
            "backend": backend,
            "people": len(rows),
            "setup_s": round(setup_s, 1),
            "first_verify_s": round(index_s, 2),
        }
        out["verify"] = timed(
            lambda i: delivery.verify(
                db, store, mz, gid, {"公民身份号码": sample[i][0], "姓名": sample[i][1] if i % 3 else "某某"}
            ),
            calls,
        )
        out["lookup"] = timed(
            lambda i: delivery.lookup(db, store, mz, gid, sample[i][0]), max(calls // 10, 20)
        )
        out["query_page_100"] = timed(
            lambda i: delivery.query(
                db, store, mz, gid, limit=100, offset=(i * 100) % max(len(rows) - 100, 1)
            ),
            max(calls // 10, 20),
        )
        t2 = time.perf_counter()
        m = delivery.batch(db, store, mz, gid, work / "extracts", fmt="csv")
        out["batch_csv"] = {
            "rows": m["rows"],
            "seconds": round(time.perf_counter() - t2, 2),
            "rows_per_s": round(m["rows"] / (time.perf_counter() - t2)),
        }
        store.close()
        db.dispose()
        if schema:
            with create_engine(PG_BASE).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--backend", nargs="+", default=["sqlite", "pg"])
    ap.add_argument("--out", type=Path, default=Path("bench/results/share.json"))
    args = ap.parse_args()
    results = [run(b, args.people, args.calls) for b in args.backend]
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"date": date.today().isoformat(), "results": results}, ensure_ascii=False, indent=2)
    )


if __name__ == "__main__":
    main()
