"""A night's 户籍 export at data-center scale: huitong's full load beside the engines it is built on.

    .venv/bin/python -m bench.columnar_load_bench [--rows 1000000]

One generated GBK export of residents (公民身份号码 with a few per cent wrong check characters,
names, 性别 as 男/女, birth dates written three ways, addresses, mobile numbers) is handled, each
step in its own process so its peak memory is its own:

(a) ``iconv`` to UTF-8, then DuckDB ``read_csv`` → Parquet: the floor, reading and writing only;
(b) pandas ``read_csv(encoding='gbk')`` → Parquet;
(c) huitong's full load through ``run_load``: decode, map, normalise and validate every value,
    rejects, an Iceberg snapshot, lineage and ledger entry;
(d) the same file sent again (recognised by its digest before it is read).

Printed and written to bench/results/columnar_load.json: seconds, rows/s, peak RSS, and the
ratios (c)/(a), (c)/(b), (d)/(c).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from huitong.standards.idcard import CHECK_CHARS, WEIGHTS

REGIONS = ["330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰")
STREETS = ["文三路", "天目山路", "延安路", "解放路", "凤起路", "莫干山路", "学院路", "古墩路"]
HEADER = ["身份证号", "姓名", "性别", "出生日期", "住址", "手机号码"]
BAD_SHARE = 0.02  # wrong check characters


def generate(n: int, path: Path, seed: int = 20261206) -> dict:
    """Write ``n`` distinct residents as a GBK CSV, with NumPy (a Python loop would take minutes)."""
    rng = np.random.default_rng(seed)
    m = int(n * 1.05) + 100  # a few spare for the ID numbers that repeat
    first_day = date(1940, 1, 1)
    days = rng.integers(0, 65 * 365, m)
    region = rng.integers(0, len(REGIONS), m)
    seq = rng.integers(0, 1000, m)
    calendar = [first_day + timedelta(days=int(d)) for d in range(65 * 365)]
    ymd = np.array([int(f"{d:%Y%m%d}") for d in calendar], dtype=np.int64)[days]
    first17 = np.array([int(r) for r in REGIONS], dtype=np.int64)[region] * 10**11 + ymd * 1000 + seq
    _, keep = np.unique(first17, return_index=True)
    keep = np.sort(keep)[:n]
    first17, days, seq = first17[keep], days[keep], seq[keep]
    digits = (first17[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)[(digits * np.array(WEIGHTS)).sum(1) % 11]
    bad = rng.random(n) < BAD_SHARE
    check = np.where(bad, np.where(check == ord("0"), ord("1"), ord("0")), check).astype(np.uint8)
    ids = np.char.add(first17.astype("U17"), check.view("S1").astype("U1"))
    names = np.char.add(
        np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)], np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    )
    two = rng.random(n) < 0.5
    names = np.where(two, np.char.add(names, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]), names)
    gender = np.where(seq % 2 == 1, "男", "女")
    forms = [
        [f"{d.year}年{d.month}月{d.day}日" for d in calendar],
        [d.isoformat() for d in calendar],
        [f"{d.year}/{d.month}/{d.day}" for d in calendar],
    ]
    form = rng.integers(0, 3, n)
    births = np.where(
        form == 0,
        np.array(forms[0])[days],
        np.where(form == 1, np.array(forms[1])[days], np.array(forms[2])[days]),
    )
    numbers = rng.integers(1, 999, n).astype("U3")
    address = np.char.add(
        np.char.add(np.char.add("杭州市", np.array(STREETS)[rng.integers(0, len(STREETS), n)]), numbers), "号"
    )
    mobile = np.char.add("13", np.char.zfill(rng.integers(0, 10**9, n).astype("U9"), 9))
    table = pa.table(
        [pa.array(x.tolist()) for x in (ids, names, gender, births, address, mobile)], names=HEADER
    )
    utf8 = path.with_suffix(".utf8.csv")
    pacsv.write_csv(table, utf8, pacsv.WriteOptions(quoting_style="needed"))
    subprocess.run(["iconv", "-f", "UTF-8", "-t", "GBK", "-o", str(path), str(utf8)], check=True)
    utf8.unlink()
    return {"rows": n, "bad_check": int(bad.sum()), "mb": round(path.stat().st_size / 1e6, 1)}


# ---------------------------------------------------------------- the steps, each in a child


def step_duckdb(path: Path, work: Path) -> dict:
    import duckdb

    t = time.perf_counter()
    utf8 = work / "floor.csv"
    subprocess.run(["iconv", "-f", "GBK", "-t", "UTF-8", "-o", str(utf8), str(path)], check=True)
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM read_csv(?, all_varchar = true, header = true)) TO ? (FORMAT parquet, COMPRESSION zstd)",
        [str(utf8), str(work / "floor.parquet")],
    )
    return {"seconds": time.perf_counter() - t}


def step_pandas(path: Path, work: Path) -> dict:
    import pandas as pd

    t = time.perf_counter()
    frame = pd.read_csv(path, encoding="gbk", dtype=str)
    frame.to_parquet(work / "pandas.parquet", compression="zstd")
    return {"seconds": time.perf_counter() - t}


def step_huitong(path: Path, work: Path) -> dict:
    from bench import load_bench
    from huitong.access import SYSTEM
    from huitong.aggregate.pipeline import run_load
    from huitong.catalog.model import DataItem, DataType

    load_bench.ITEMS[:] = [
        DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
        DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
        DataItem("性别", DataType.C, 1, element="DE01003"),
        DataItem("出生日期", DataType.D, element="DE01004"),
        DataItem("住址", DataType.C, 200, element="DE03002"),
        DataItem("手机号码", DataType.C, 11, element="DE04001"),
    ]
    db, store, code = load_bench.setup(work)
    load_bench.add_source(db, "hj", code, path, "full")
    out: dict = {}
    reading = [0]  # the largest resident memory seen between batches: what reading holds

    def progress(rows: int, expected: int | None) -> None:
        reading[0] = max(reading[0], resident_mb())

    for label in ("full", "again"):
        t = time.perf_counter()
        result = run_load(db, store, SYSTEM, "hj", progress=progress if label == "full" else None)
        out[label] = {
            "seconds": time.perf_counter() - t,
            "status": result.status,
            "rows_in": result.summary.rows_in,
            "rows_out": result.summary.rows_out,
            "rejected": result.summary.rows_rejected,
            "load_id": result.load_id,
        }
    with db.engine.connect() as con:  # why rows were refused: the generator's 2 % bad check characters
        out["reasons"] = dict(
            con.exec_driver_sql(
                "SELECT item, count(*) FROM agg_reject WHERE load_id = ? GROUP BY item ORDER BY 2 DESC",
                (out["full"]["load_id"],),
            ).all()
        )
    out["peak_rss_reading_mb"] = reading[0]
    store.close()
    db.dispose()
    return out


STEPS = {"duckdb": step_duckdb, "pandas": step_pandas, "huitong": step_huitong}


def resident_mb() -> int:
    """This process's resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise SystemExit("no VmRSS in /proc/self/status")


def peak_rss_mb() -> int:
    """This process's peak resident memory (VmHWM: it starts afresh at exec, unlike ru_maxrss,
    which a child inherits from the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise SystemExit("no VmHWM in /proc/self/status")


def child(name: str, path: Path, work: Path) -> tuple[dict, int]:
    """Run one step in a fresh interpreter; its answer and its peak RSS in MB."""
    command = [sys.executable, "-m", "bench.columnar_load_bench", "--step", name, "--file", str(path)]
    done = subprocess.run([*command, "--work", str(work)], stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"step {name} failed ({done.returncode})")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer, answer.pop("peak_rss_mb")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path("bench/results/columnar_load.json"))
    ap.add_argument("--step", choices=sorted(STEPS))
    ap.add_argument("--file", type=Path)
    ap.add_argument("--work", type=Path)
    args = ap.parse_args()
    if args.step:  # a child: one step, its answer as the last line
        answer = STEPS[args.step](args.file, args.work)
        print(json.dumps({**answer, "peak_rss_mb": peak_rss_mb()}))
        return
    report: dict = {"date": time.strftime("%Y-%m-%d"), "rows": args.rows}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "常住人口.csv"
        t = time.perf_counter()
        report["input"] = generate(args.rows, path)
        print(
            f"generated {args.rows:,} rows ({report['input']['mb']} MB GBK) in {time.perf_counter() - t:.1f} s"
        )
        for name in ("duckdb", "pandas", "huitong"):
            (work / name).mkdir()
            answer, rss = child(name, path, work / name)
            report[name] = {**answer, "peak_rss_mb": rss}
    n = args.rows
    floor, pandas, full, again = (
        report["duckdb"]["seconds"],
        report["pandas"]["seconds"],
        report["huitong"]["full"]["seconds"],
        report["huitong"]["again"]["seconds"],
    )
    report["ratios"] = {
        "huitong / duckdb floor": round(full / floor, 2),
        "huitong / pandas": round(full / pandas, 2),
        "re-load / full load": round(again / full, 4),
    }
    for label, seconds, rss in (
        ("(a) iconv + DuckDB read_csv -> Parquet", floor, report["duckdb"]["peak_rss_mb"]),
        ("(b) pandas read_csv(gbk) -> Parquet", pandas, report["pandas"]["peak_rss_mb"]),
        ("(c) huitong full load", full, report["huitong"]["peak_rss_mb"]),
        ("(d) huitong, the same file again", again, report["huitong"]["peak_rss_mb"]),
    ):
        print(f"{label}: {seconds:.2f} s, {n / seconds:,.0f} rows/s, peak RSS {rss:,} MB")
    print(
        f"(c) peak RSS while reading (sampled between batches): {report['huitong']['peak_rss_reading_mb']:,} MB"
    )
    h = report["huitong"]["full"]
    print(
        f"huitong: {h['rows_out']:,} stored, {h['rejected']:,} rejected; again: {report['huitong']['again']['status']}"
    )
    print("rejects by item:", report["huitong"]["reasons"])
    print("ratios:", report["ratios"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
