"""Personal-data discovery (``classify.discover.scan``) over a 1,000,000-row, 12-column export beside
one hand-written DuckDB regex pass over the same columns.

    .venv/bin/python -m bench.discovery_bench [--rows 1000000] [--repeat 3] [--profile]

A department's export of ``--rows`` people, generated columnar (NumPy + pyarrow compute): 公民身份号码
(valid MOD 11-2 check), 姓名 (a surname of the shipped table + one or two given characters), 性别,
出生日期 (date32, the ID's), 手机号码, 住址 (province/city/county of the division table + road and
number), 行政区划代码 (the ID's region), 电子邮箱, 银行卡号 (16 or 19 digits, valid Luhn), 备注 (free
text, about 1% with an embedded mobile number), 登记日期 (date32) and 金额 (float).

Timed, best of ``--repeat``: ``scan(table)`` with the default 10,000-row sample (what a user runs),
``scan(table, sample=None)`` (every row) and the baseline: one SELECT over the same Arrow table on
the same locked-down connection that, for every (column, kind) discovery looks at, counts the values
of ``upper(trim(CAST(col AS VARCHAR)))`` a plain regex fully matches (no check digits, no surname or
division tables, no dates parsed).  The issue's targets: under 10 s and within 3x the baseline.  The
full scan must find the expected kind on every personal column.  With ``--profile`` (or when the
full scan misses 3x) each detector's predicate is timed alone over the columns it applies to.
Written to bench/results/discovery.json.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bench.timing import best
from huitong.classify import detectors as dt
from huitong.classify.detectors import DETECTORS
from huitong.classify.discover import _applies, _hinted, _quote, _reference_tables, scan
from huitong.classify.kinds import Kind
from huitong.standards.divisions import division_table
from huitong.standards.idcard import CHECK_CHARS, WEIGHTS
from huitong.standards.surnames import SURNAMES
from huitong.store.duck import connect

EXPECTED = {
    "公民身份号码": Kind.id_number,
    "姓名": Kind.person_name,
    "出生日期": Kind.birth_date,
    "手机号码": Kind.mobile,
    "住址": Kind.address,
    "行政区划代码": Kind.division_code,
    "电子邮箱": Kind.email,
    "银行卡号": Kind.bank_card,
    "备注": Kind.free_text_with_identifiers,
    "性别": None,
    "登记日期": None,
    "金额": None,
}
# the plain regex a person would write for each kind: shapes only
_WORDS = dt.ADDRESS_WORDS
PLAIN: dict[Kind, str] = {
    Kind.id_number: r"[0-9]{17}[0-9X]",
    Kind.uscc: r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}",
    Kind.bank_card: dt.BANK_CARD,
    Kind.mobile: dt.MOBILE,
    Kind.landline: dt.LANDLINE,
    Kind.plate: dt.PLATE,
    Kind.passport: dt.PASSPORT,
    Kind.email: dt.EMAIL,
    Kind.ip: dt.IPV4 + "|" + dt.IPV6,
    Kind.division_code: r"[0-9]{6}",
    Kind.person_name: dt.NAME + "|" + dt.ETHNIC_NAME,
    Kind.address: rf".*(?:{_WORDS}).*(?:{_WORDS}).*",
    Kind.birth_date: r"(?:19|20)[0-9]{2}[-/.]?[01][0-9][-/.]?[0-3][0-9]|(?:19|20)[0-9]{2}年[0-9]{1,2}月[0-9]{1,2}日",
    Kind.free_text_with_identifiers: r".*(?:1[3-9][0-9]{9}|[0-9]{17}[0-9X]|[A-Z0-9._%+-]+@[A-Z0-9-]+\.[A-Z]{2,}).*",
    Kind.health: rf".*(?:{dt.HEALTH_WORDS}).*",
    Kind.religion: rf".*(?:{dt.RELIGION_WORDS}).*",
    Kind.criminal_record: rf".*(?:{dt.CRIMINAL_WORDS}).*",
    Kind.finance: r"-?[0-9]+(?:\.[0-9]+)?",
}
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰志红文辉海燕鹏飞宇浩然子涵欣怡梓轩雨泽"
ROADS = ["人民路", "解放路", "中山路", "建设路", "文三路", "延安路", "和平街", "新华街", "光明巷", "学院路"]
DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "sina.com", "hotmail.com", "gov.cn"]
LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", np.uint8)
NOTES = [
    "已核实，材料齐全，准予登记。",
    "本人申请，经审核符合条件，同意办理。",
    "材料不全，已告知补正事项，待补充后再审。",
    "无",
    "",
    "按规定办理，已归档，无异常情况。",
    "系统迁移数据，原始记录已核对一致。",
]
BINS = ["622202", "621700", "622848", "436742", "621226", "622588", "625965"]


def _fixed(codes: np.ndarray) -> pa.Array:
    """A (n, width) uint8 array of ASCII codes as a string array, without a Python loop."""
    n, width = codes.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(codes, dtype=np.uint8)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as (n, width) decimal digits."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


def _pick(rng: np.random.Generator, choices, n: int, p=None) -> pa.Array:
    return pc.take(pa.array(list(choices), pa.string()), pa.array(rng.choice(len(choices), n, p=p)))


def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _luhn_check(body: np.ndarray) -> np.ndarray:
    """The Luhn check digit of each row of digits (the check digit goes to the right)."""
    width = body.shape[1]
    doubled = (np.arange(width)[::-1] % 2) == 0  # the rightmost body digit is doubled
    d = body.copy()
    d[:, doubled] = d[:, doubled] * 2
    d[d > 9] -= 9
    return (10 - d.sum(axis=1) % 10) % 10


def _cards(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    bins = np.array([[int(c) for c in b] for b in BINS])[rng.integers(0, len(BINS), n)]
    body = np.hstack([bins, rng.integers(0, 10, (n, length - 7))])
    return np.hstack([body, _luhn_check(body)[:, None]])


def export(n: int, seed: int = 20261208) -> pa.Table:
    rng = np.random.default_rng(seed)
    table = division_table()
    counties = sorted(c for c in table.codes_at(date(2024, 1, 1)) if not c.endswith("00"))[::5]
    region_idx = rng.integers(0, len(counties), n)
    region = np.array([int(c) for c in counties])[region_idx]
    # 公民身份号码: region + birth date + sequence + MOD 11-2 check, the birth date the 出生日期's
    born = (np.datetime64("1935-01-01") + rng.integers(0, 32000, n).astype("timedelta64[D]")).astype(
        "datetime64[D]"
    )
    years = born.astype("datetime64[Y]").astype(int) + 1970
    months = born.astype("datetime64[M]").astype(int) % 12 + 1
    days = (born - born.astype("datetime64[M]")).astype(int) + 1
    seq = rng.integers(0, 1000, n)
    first17 = np.hstack(
        [_digits(region, 6), _digits(years * 10000 + months * 100 + days, 8), _digits(seq, 3)]
    )
    check = np.frombuffer(CHECK_CHARS.encode(), np.uint8)[(first17 * np.array(WEIGHTS)).sum(axis=1) % 11]
    ids = _fixed(np.hstack([first17 + 48, check[:, None]]))
    # 姓名: a surname (the common single ones most often, a compound one now and then) + 1-2 chars
    singles = [s for s in SURNAMES if len(s) == 1][:300]
    compounds = [s for s in SURNAMES if len(s) == 2][:40]
    weight = 1 / np.arange(1, len(singles) + 1)
    surname = _pick(rng, singles, n, weight / weight.sum())
    surname = pc.if_else(pa.array(rng.random(n) < 0.01), _pick(rng, compounds, n), surname)
    second = pc.if_else(pa.array(rng.random(n) < 0.7), _pick(rng, GIVEN, n), pa.scalar(""))
    names = pc.binary_join_element_wise(surname, _pick(rng, GIVEN, n), second, "")
    gender = pc.take(pa.array(["女", "男"]), pa.array(seq % 2))
    mobiles = _text(10_000_000_000 + rng.integers(3, 10, n) * 1_000_000_000 + rng.integers(0, 10**9, n))
    mobiles = pc.if_else(pa.array(rng.random(n) < 0.03), pa.scalar(None, pa.string()), mobiles)
    paths = [table.names_path(c) for c in counties]
    place = pa.array(["".join(p) for p in paths], pa.string())
    address = pc.binary_join_element_wise(
        pc.take(place, pa.array(region_idx)),
        _pick(rng, ROADS, n),
        _text(rng.integers(1, 999, n)),
        "号",
        _text(rng.integers(1, 30, n)),
        "幢",
        _text(rng.integers(101, 2600, n)),
        "室",
        "",
    )
    user_len = 6
    user = _fixed(LETTERS[rng.integers(0, 26, (n, user_len))])
    emails = pc.binary_join_element_wise(
        user, _text(rng.integers(1, 9999, n)), "@", _pick(rng, DOMAINS, n), ""
    )
    emails = pc.if_else(pa.array(rng.random(n) < 0.2), pa.scalar(None, pa.string()), emails)
    long_card = rng.random(n) < 0.7
    cards = np.empty(n, dtype=object)
    c19 = _fixed(_cards(rng, int(long_card.sum()), 19) + 48).to_numpy(zero_copy_only=False)
    c16 = _fixed(_cards(rng, int((~long_card).sum()), 16) + 48).to_numpy(zero_copy_only=False)
    cards[long_card], cards[~long_card] = c19, c16
    notes = _pick(rng, NOTES, n)
    with_mobile = pc.binary_join_element_wise("申请人留联系电话", mobiles, "，请办结后回访。", "")
    notes = pc.if_else(pa.array(rng.random(n) < 0.01), pc.coalesce(with_mobile, pa.scalar("请回访。")), notes)
    registered = np.datetime64("2015-01-01") + rng.integers(0, 4000, n).astype("timedelta64[D]")
    return pa.table(
        {
            "公民身份号码": ids,
            "姓名": names,
            "性别": gender,
            "出生日期": pa.array(born, pa.date32()),
            "手机号码": mobiles,
            "住址": address,
            "行政区划代码": _text(region),
            "电子邮箱": emails,
            "银行卡号": pa.array(cards, pa.string()),
            "备注": notes,
            "登记日期": pa.array(registered.astype("datetime64[D]"), pa.date32()),
            "金额": rng.lognormal(7, 1.2, n).round(2),
        }
    )


def _plans(table: pa.Table) -> list[tuple[int, str, list]]:
    """Per column, the detectors discovery applies to it (as ``scan`` chooses them)."""
    plans = []
    for i, f in enumerate(table.schema):
        hints = {d.kind: _hinted(d, [f.name]) for d in DETECTORS}
        plans.append((i, f.name, [d for d in DETECTORS if _applies(d, f.type, hints[d.kind])]))
    return plans


def _cleaned(plans) -> str:
    return ", ".join(
        f"nullif(upper(trim(CAST({_quote(name)} AS VARCHAR))), '') AS c{i}" for i, name, _ in plans
    )


def baseline_sql(table: pa.Table) -> tuple[str, int]:
    plans = _plans(table)
    aggregates = ["count(*)"]
    for i, _, found in plans:
        aggregates.append(f"count(c{i})")
        aggregates += [
            f"count(*) FILTER (WHERE regexp_full_match(c{i}, {dt._lit(PLAIN[d.kind])}))" for d in found
        ]
    return f"SELECT {', '.join(aggregates)} FROM (SELECT {_cleaned(plans)} FROM t)", len(aggregates) - 1


def baseline(table: pa.Table) -> tuple:
    sql, _ = baseline_sql(table)
    con = connect({"t": table})
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


def profile(table: pa.Table) -> dict[str, dict]:
    """Each detector's predicate alone over the cleaned columns it applies to, beside its plain regex
    (seconds over and above the bare count over the same columns)."""
    plans = _plans(table)
    con = connect({"t": table, **_reference_tables()})
    out: dict[str, dict] = {}
    try:
        con.execute(f"CREATE TEMP TABLE c AS SELECT {_cleaned(plans)} FROM t")

        def timed(sql: str) -> float:
            best = float("inf")
            for _ in range(2):
                started = time.perf_counter()
                con.execute(sql).fetchone()
                best = min(best, time.perf_counter() - started)
            return best

        for d in DETECTORS:
            cols = [f"c{i}" for i, _, found in plans if d in found]
            if not cols:
                continue
            bare = timed("SELECT " + ", ".join(f"count({c})" for c in cols) + " FROM c")
            ours = timed(
                "SELECT " + ", ".join(f"count(*) FILTER (WHERE {d.predicate(c)})" for c in cols) + " FROM c"
            )
            plain = timed(
                "SELECT "
                + ", ".join(
                    f"count(*) FILTER (WHERE regexp_full_match({c}, {dt._lit(PLAIN[d.kind])}))" for c in cols
                )
                + " FROM c"
            )
            out[d.kind.value] = {
                "columns": len(cols),
                "predicate_seconds": round(max(ours - bare, 0.0), 3),
                "plain_regex_seconds": round(max(plain - bare, 0.0), 3),
            }
    finally:
        con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="time each detector alone even within 3x")
    args = ap.parse_args()
    t0 = time.perf_counter()
    table = export(args.rows)
    print(
        f"setup: {args.rows:,} rows x {table.num_columns} columns in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    scan(table.slice(0, 1000))  # warm: jieba's dictionary, the reference tables
    sampled, quick = best(lambda: scan(table), args.repeat)
    full, result = best(lambda: scan(table, sample=None), args.repeat)
    base, _ = best(lambda: baseline(table), args.repeat)
    _, predicates = baseline_sql(table)
    found = {f.column: f for f in result.findings}
    mismatches = {
        col: {
            "expected": want.value if want else None,
            "found": found[col].kind.value if col in found else None,
        }
        for col, want in EXPECTED.items()
        if (found[col].kind if col in found else None) is not want
    }
    quick_found = {f.column: f.kind.value for f in quick.findings}
    rows = args.rows
    figures = {
        "rows": rows,
        "columns": table.num_columns,
        "predicates": predicates,
        "scan_sampled_seconds": round(sampled, 3),
        "scan_full_seconds": round(full, 3),
        "baseline_regex_seconds": round(base, 3),
        "scan_full_rows_per_second": round(rows / full),
        "baseline_rows_per_second": round(rows / base),
        "ratio_full_to_baseline": round(full / base, 2),
        "ratio_sampled_to_baseline": round(sampled / base, 3),
        "target_under_10s": full < 10,
        "target_within_3x": full / base <= 3,
        "findings": {c: {"kind": f.kind.value, "share": round(f.share, 4)} for c, f in found.items()},
        "sampled_findings_agree": quick_found == {c: f.kind.value for c, f in found.items()},
        "mismatches": mismatches,
        "date": date.today().isoformat(),
    }
    print(f"{'what':<40}{'seconds':>9}{'rows/s':>14}{'x baseline':>12}")
    for label, secs in (
        (f"scan(table) (sample {quick.sampled_rows:,})", sampled),
        (f"scan(table, sample=None) ({rows:,})", full),
        (f"hand-written regex pass ({predicates} preds)", base),
    ):
        print(f"{label:<40}{secs:>9.3f}{rows / secs:>14,.0f}{secs / base:>12.2f}")
    print(f"targets: full scan < 10 s: {full < 10}; full scan <= 3x baseline: {full / base <= 3}")
    for col, want in EXPECTED.items():
        f = found.get(col)
        got = f"{f.kind.value} (share {f.share:.4f}, conf {f.confidence:.2f})" if f else "-"
        print(f"  {col:<8} expected {want.value if want else '-':<28} found {got}")
    if args.profile or full / base > 3:
        figures["profile"] = profile(table)
        print(
            f"{'detector (alone, over its columns)':<36}{'cols':>5}{'predicate s':>13}{'plain regex s':>15}"
        )
        for kind, p in sorted(figures["profile"].items(), key=lambda kv: -kv[1]["predicate_seconds"]):
            print(
                f"{kind:<36}{p['columns']:>5}{p['predicate_seconds']:>13.3f}{p['plain_regex_seconds']:>15.3f}"
            )
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "discovery.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
    if mismatches:
        print("!!! MISMATCH: the full scan did not find the expected kind:", mismatches)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
