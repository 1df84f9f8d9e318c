"""The column kernels beside the per-value validators they agree with, on one column each.

    .venv/bin/python -m bench.kernel_bench [--rows 1000000]

For 公民身份号码, 统一社会信用代码, 组织机构代码 and 行政区划代码 (each column distinct values, about
2% of them with a wrong check character or a retired code), it times the kernel over the whole
column (best of three runs) and the reference (``validate_*`` called once per value, as the loads did before the
kernels, since distinct values cannot be memoised) over the same values, and checks they certify the
same rows. Written to bench/results/kernels.json.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from huitong.standards import columns, orgcode, uscc
from huitong.standards.divisions import division_table, validate_division_code
from huitong.standards.idcard import make_id_number, validate_id_number

REFERENCE_SAMPLE = 200_000  # the reference is timed on this many values and scaled


def _damage(values: list[str], rng: np.random.Generator) -> list[str]:
    for i in np.flatnonzero(rng.random(len(values)) < 0.02).tolist():
        v = values[i]
        values[i] = v[:-1] + ("0" if v[-1] != "0" else "1")
    return values


def columns_of(n: int, seed: int = 20261207) -> dict[str, list[str]]:
    rng = np.random.default_rng(seed)
    regions = ["330102", "330106", "330110", "330184", "110101", "440305"]
    born = date(1950, 1, 1)
    ids = [
        make_id_number(regions[i % 6], born + timedelta(days=(i // 6) % 20000), (i // 120000) % 1000)
        for i in range(n)
    ]
    bodies = [f"{i:08d}" for i in range(n)]
    credit = [uscc.make_credit_code("9", "1", regions[i % 6], b) for i, b in enumerate(bodies)]
    org = [f"{b}-{c[16]}" for b, c in zip(bodies, credit, strict=True)]
    codes = [c for c in division_table()._by_code if len(c) == 6]
    division = [codes[i] for i in rng.integers(0, len(codes), n)]
    return {
        "id_number": _damage(ids, rng),
        "credit_code": _damage(credit, rng),
        "org_code": _damage(org, rng),
        "division_code": division,
    }


KERNELS = {
    "id_number": lambda a: columns.id_numbers(a).certified,
    "credit_code": columns.credit_codes,
    "org_code": columns.org_codes,
    "division_code": columns.division_codes,
}
REFERENCES = {
    "id_number": validate_id_number,
    "credit_code": uscc.validate_credit_code,
    "org_code": orgcode.validate_org_code,
    "division_code": validate_division_code,
}

# The ID-number kernel certifies numbers the reference only warns about (and counts the warnings).
WARNINGS_CERTIFIED = {"id_number": {"implausible_age", "unknown_region"}}


def measure(name: str, values: list[str]) -> dict:
    array = pa.array(values, type=pa.string())
    kernel = float("inf")
    for _ in range(3):  # best of three: the first run also pays for fresh pages of memory
        start = time.perf_counter()
        certified = KERNELS[name](array)
        kernel = min(kernel, time.perf_counter() - start)
    sample = values[:REFERENCE_SAMPLE]
    check = REFERENCES[name]
    start = time.perf_counter()
    allowed = WARNINGS_CERTIFIED.get(name, set())
    accepted = [
        (r := check(v)).ok and r.value == v and not {f.code for f in r.findings} - allowed for v in sample
    ]
    reference = (time.perf_counter() - start) * len(values) / len(sample)
    agree = certified[: len(sample)].tolist() == accepted
    return {
        "validator": name,
        "rows": len(values),
        "kernel_s": round(kernel, 3),
        "reference_s": round(reference, 2),
        "speedup": round(reference / kernel, 1),
        "certified_share": round(float(certified.mean()), 4),
        "agree_on_sample": agree,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    results = [measure(name, values) for name, values in columns_of(args.rows).items()]
    print(f"{'validator':<15}{'rows':>10}{'kernel s':>10}{'reference s':>13}{'×':>8}{'certified':>11}  agree")
    for r in results:
        print(
            f"{r['validator']:<15}{r['rows']:>10,}{r['kernel_s']:>10.3f}{r['reference_s']:>13.2f}"
            f"{r['speedup']:>8.0f}{r['certified_share']:>11.2%}  {r['agree_on_sample']}"
        )
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "kernels.json").write_text(json.dumps(results, indent=2))
    if not all(r["agree_on_sample"] for r in results):
        raise SystemExit("a kernel disagrees with its reference")


if __name__ == "__main__":
    main()
