"""k-anonymity risk check (``deid.assess``) beside a hand-written DuckDB GROUP BY, and a plan's
``deid.apply``, on one microdata table.

    .venv/bin/python -m bench.kanon_bench [--rows 1000000] [--repeat 3]

``--rows`` people with four quasi-identifiers of realistic cardinality: a 5-year age band (about
20 values, skewed young), sex (2), a county-level 行政区划代码 (the real ~2,900 of the division
table, uneven), and an ethnicity code (56, 汉 about 91%).  ``assess`` (k = 5, the 20 smallest
failing classes) is timed against one SELECT a person would write for the same summary figures
(records, classes, smallest class, records below k), both on the locked-down connection over the
same Arrow table, best of ``--repeat``, and their figures are checked to be equal.  Then ``apply``
runs a five-operator plan (drop, id_pseudonym, age_band, division, noise) with record suppression
below k, and each operator alone.  Written to bench/results/kanon.json.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from bench.timing import best
from huitong.deid import Plan, apply, assess
from huitong.standards.divisions import division_table
from huitong.store.duck import connect

QUASI = ["年龄段", "性别", "区划", "民族"]
K = 5
KEY = b"bench-consumer-key-000000000000"
HAND = """
WITH c AS (SELECT count(*) AS n FROM t GROUP BY 年龄段, 性别, 区划, 民族)
SELECT sum(n), count(*), min(n), coalesce(sum(n) FILTER (WHERE n < 5), 0) FROM c
"""
PLAN = {
    "direct": ["姓名", "公民身份号码"],
    "quasi": ["年龄", "性别", "区划", "民族"],
    "k": K,
    "columns": {
        "姓名": "drop",
        "公民身份号码": {"op": "id_pseudonym", "keep_region": True},
        "年龄": {"op": "age_band", "width": 10, "top": 80},
        "区划": {"op": "division", "level": "city"},
        "收入": {"op": "noise", "scale": 500, "seed": 20261208},
    },
    "table": ["suppress_rows"],
}


def people(n: int, seed: int = 20261208) -> pa.Table:
    rng = np.random.default_rng(seed)
    counties = sorted(c for c in division_table()._by_code if len(c) == 6 and not c.endswith("00"))
    weights = rng.pareto(1.2, len(counties)) + 1  # a few big districts, many small counties
    division = np.array(counties)[rng.choice(len(counties), n, p=weights / weights.sum())]
    age = np.clip(rng.gamma(4.0, 10.0, n), 0, 104).astype(np.int64)
    band = (age // 5) * 5
    sex = rng.choice(np.array(["1", "2"]), n)
    nations = np.array([f"{i:02d}" for i in range(1, 57)])
    p = np.full(56, 0.09 / 55)
    p[0] = 0.91
    ethnic = nations[rng.choice(56, n, p=p)]
    born = [date(2026, 1, 1) - timedelta(days=int(a) * 365 + i % 365) for i, a in enumerate(age)]
    ids = [
        f"{d}{b:%Y%m%d}{i % 1000:03d}X" for i, (d, b) in enumerate(zip(division.tolist(), born, strict=True))
    ]
    return pa.table(
        {
            "姓名": [f"张{i}" for i in range(n)],
            "公民身份号码": ids,
            "年龄": age,
            "年龄段": pa.array([f"{b}-{b + 4}" for b in band.tolist()]),
            "性别": sex,
            "区划": division,
            "民族": ethnic,
            "收入": rng.lognormal(10, 0.6, n).round(2),
        }
    )


def hand(table: pa.Table) -> tuple:
    con = connect({"t": table})
    try:
        return con.sql(HAND).fetchall()[0]
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    table = people(args.rows)
    print(f"setup: {args.rows:,} people in {time.perf_counter() - t0:.1f} s", flush=True)
    ours, report = best(lambda: assess(table, QUASI, k=K), args.repeat)
    base, row = best(lambda: hand(table), args.repeat)
    agree = (report.records, report.classes, report.k_achieved, report.records_below_k) == tuple(
        int(x) for x in row
    )
    plan = Plan.parse(PLAN)
    applied, out = best(lambda: apply(table, plan, key=KEY), args.repeat)
    single = {}
    for name, op in PLAN["columns"].items():
        one = Plan.parse({"columns": {name: op}})
        single[f"{name}: {op if isinstance(op, str) else op['op']}"] = round(
            best(lambda one=one: apply(table, one, key=KEY), args.repeat)[0], 3
        )
    single["(no operator: pass-through)"] = round(
        best(lambda: apply(table, Plan.parse({})), args.repeat)[0], 3
    )
    result = {
        "rows": args.rows,
        "quasi_identifiers": QUASI,
        "k": K,
        "classes": report.classes,
        "k_achieved": report.k_achieved,
        "records_below_k": report.records_below_k,
        "assess_seconds": round(ours, 3),
        "hand_group_by_seconds": round(base, 3),
        "ratio": round(ours / base, 2),
        "figures_equal": agree,
        "apply_plan_seconds": round(applied, 3),
        "apply_plan_rows_out": out.num_rows,
        "apply_plan_k_achieved": assess(out, ["年龄", "性别", "区划", "民族"], k=K).k_achieved,
        "apply_single_operator_seconds": single,
        "date": date.today().isoformat(),
    }
    print(f"{'what':<34}{'seconds':>10}")
    print(f"{'assess (k-anonymity report)':<34}{ours:>10.3f}")
    print(f"{'hand-written GROUP BY':<34}{base:>10.3f}   ratio {ours / base:.2f}   figures equal: {agree}")
    print(f"{'apply (5 operators + suppress)':<34}{applied:>10.3f}   {out.num_rows:,} rows out")
    for name, seconds in single.items():
        print(f"{'  apply ' + name:<34}{seconds:>10.3f}")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    path = Path(__file__).parent / "results"
    path.mkdir(exist_ok=True)
    (path / "kanon.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    if not agree:
        raise SystemExit("assess and the hand-written query disagree")


if __name__ == "__main__":
    main()
