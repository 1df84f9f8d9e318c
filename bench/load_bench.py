"""Load throughput: a department's GBK person export through ``run_load`` into the Iceberg store.

    .venv/bin/python -m bench.load_bench [--rows 200000] [--changed 0.1]

A deterministic CSV (GBK, valid 公民身份号码 with check characters, names, 性别 as 男/女, birth dates
written as 1980年1月5日) is loaded end to end (read and decode, map, normalise, validate every
value against its data element, write Parquet, commit one snapshot, lineage and ledger) on SQLite
metadata in a temporary data directory. Three runs: the first full load into an empty table, the
same file again (no new version: the content hash is unchanged), and an upsert in which a tenth of
the rows have a changed name. rows/s counts rows read from the file.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.population import population_spec
from huitong.access import SYSTEM
from huitong.aggregate import registry
from huitong.aggregate.mapping import propose_mapping
from huitong.aggregate.pipeline import run_load
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
from huitong.standards.idcard import make_id_number
from huitong.standards.uscc import make_credit_code
from huitong.store import Store

ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("出生日期", DataType.D, element="DE01004"),
    DataItem("住址", DataType.C, 200),
]
REGIONS = ["330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
STREETS = ["文三路", "天目山路", "延安路", "解放路", "凤起路", "莫干山路", "学院路", "古墩路"]


def people(n: int, seed_value: int = 20261123) -> list[tuple[str, str, str, str, str]]:
    """``n`` distinct people: ID number, name, 性别 as written, birth date as written, address."""
    rnd = random.Random(seed_value)
    seen: set[str] = set()
    out = []
    while len(out) < n:
        birth = date(1940, 1, 1) + timedelta(days=rnd.randrange(65 * 365))
        seq = rnd.randrange(1000)
        number = make_id_number(rnd.choice(REGIONS), birth, seq)
        if number in seen:
            continue
        seen.add(number)
        name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
        gender = "男" if seq % 2 else "女"  # the ID's sequence digit carries it
        address = f"杭州市{rnd.choice(STREETS)}{rnd.randrange(1, 999)}号"
        out.append((number, name, gender, f"{birth.year}年{birth.month}月{birth.day}日", address))
    return out


def write_csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="gbk", newline="") as f:
        f.write("身份证号,姓名,性别,出生日期,住址\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    return path


def setup(workdir: Path) -> tuple[Database, Store, str]:
    url = f"sqlite:///{workdir / 'huitong.db'}"
    db = Database(url)
    upgrade(db.engine)
    db.ledger_keys, db.subject_secret = ensure_keys(workdir / "keys")
    with db.session() as s:
        seed(s)
        org.add_region(s, SYSTEM, "330100", "杭州市")
        police = org.add_department(
            s, SYSTEM, "330100", "公安局", make_credit_code("1", "1", "330100", "10000002")
        )
        org.add_user(s, SYSTEM, "ga", "GA", police.code, ["dept_admin"], None)
    with db.session() as s:
        spec = population_spec(police.code, ITEMS, "常住人口基本信息")
        code = catalog.create(s, SYSTEM, spec).code
    return db, Store(url, workdir / "warehouse"), code


def add_source(db: Database, name: str, code: str, path: Path, mode: str) -> None:
    with db.session() as s:
        registry.add_source(s, SYSTEM, name, code, "csv", {"path": str(path)}, mode=mode)
        desc = registry.describe_source(s, SYSTEM, name)
        proposal = propose_mapping([c.name for c in desc.columns], ITEMS).to_mapping()
        registry.save_mapping(s, SYSTEM, name, proposal.to_dict())


def timed(db: Database, store: Store, source: str) -> dict:
    t = time.perf_counter()
    result = run_load(db, store, SYSTEM, source)
    seconds = time.perf_counter() - t
    return {
        "status": result.status,
        "rows_in": result.summary.rows_in,
        "rows_stored": result.summary.rows_out,
        "rejected": result.summary.rows_rejected,
        "seconds": round(seconds, 2),
        "rows_per_second": round(result.summary.rows_in / seconds),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--changed", type=float, default=0.1, help="share of rows changed for the upsert")
    ap.add_argument("--out", type=Path, default=Path("bench/results/load.json"))
    args = ap.parse_args()
    report: dict = {"date": time.strftime("%Y-%m-%d"), "rows": args.rows, "changed": args.changed}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        rows = people(args.rows)
        full = write_csv(work / "人口.csv", rows)
        rnd = random.Random(7)
        changed = list(rows)
        for i in rnd.sample(range(len(rows)), int(len(rows) * args.changed)):
            number, name, gender, birth, address = changed[i]
            changed[i] = (number, name + "新", gender, birth, address)
        upsert = write_csv(work / "人口-更新.csv", changed)
        print(
            f"generated {args.rows:,} rows ({full.stat().st_size / 1e6:.1f} MB GBK) in {time.perf_counter() - t:.1f} s"
        )
        db, store, code = setup(work)
        try:
            add_source(db, "full", code, full, "full")
            add_source(db, "upsert", code, upsert, "upsert")
            for label, source in (
                ("first full load", "full"),
                ("same file again", "full"),
                ("upsert", "upsert"),
            ):
                r = timed(db, store, source)
                report[label] = r
                print(
                    f"{label}: {r['status']}; {r['rows_in']:,} rows in {r['seconds']:.1f} s = "
                    f"{r['rows_per_second']:,} rows/s"
                )
            v = store.versions(code)
            report["versions"] = [x.as_dict() for x in v]
            print(f"versions: {len(v)}; last: {v[-1].rows:,} rows, {v[-1].updated:,} updated")
        finally:
            store.close()
            db.dispose()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
