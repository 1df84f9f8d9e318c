"""All quality rules of a 1,000,000-row resource beside one hand-written DuckDB query computing the
same metrics, in one run.

    .venv/bin/python -m bench.quality_bench [--rows 1000000] [--repeat 3]

公安's 人口 resource (``--rows`` people, about 2% of values broken per rule) and 民政's records of
the same people (every fifth address different) are stored as Iceberg versions. huitong runs 22
rules across every kind (validators, completeness, code tables, patterns, ranges, uniqueness,
cross-field, referential, cross-source, freshness, row-count change) end to end:
``quality.service.run`` reads the columns the rules name, answers every row rule in one pass,
samples the failing rows and keeps the metrics. The baseline is one SELECT a person would write
by hand for the same metrics, run by DuckDB straight over the version's Parquet files (its own
parallel reader). Both are timed best of ``--repeat``, back to back, and their metrics are checked
to be equal. Written to bench/results/quality.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from bench.population import population_spec
from huitong.access import SYSTEM
from huitong.bootstrap import seed
from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.db.base import Database
from huitong.db.migrate import upgrade
from huitong.ledger.setup import ensure_keys
from huitong.org import service as org
from huitong.quality import service as quality
from huitong.quality.tables import QualityMetric
from huitong.standards.idcard import make_id_number
from huitong.standards.uscc import make_credit_code
from huitong.store import Store

ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
    DataItem("出生日期", DataType.D, element="DE01004"),
    DataItem("民族", DataType.C, 2),
    DataItem("住址", DataType.C, 200, element="DE03002"),
    DataItem("手机号码", DataType.C, 11, element="DE04001"),
    DataItem("年龄", DataType.I),
    DataItem("户籍状态", DataType.C, 2),
]
CIVIL_ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("住址", DataType.C, 200, element="DE03002"),
]
NATIONS = [f"{i:02d}" for i in range(1, 57)]

RULES = """resource: {people}
rules:
  - {{name: 身份证号有效, kind: valid, column: 公民身份号码, severity: fail}}
  - {{name: 手机号有效, kind: valid, column: 手机号码}}
  - {{name: 姓名完整, kind: not_null, column: 姓名}}
  - {{name: 住址完整, kind: not_null, column: 住址, threshold: 0.95}}
  - {{name: 手机号完整, kind: not_null, column: 手机号码, threshold: 0.9}}
  - {{name: 出生日期完整, kind: not_null, column: 出生日期}}
  - {{name: 性别代码, kind: in_code_table, column: 性别}}
  - {{name: 户籍状态代码, kind: in_code_table, column: 户籍状态, values: ["10", "20", "30"]}}
  - {{name: 民族代码, kind: in_code_table, column: 民族, values: {nations}}}
  - {{name: 住址格式, kind: pattern, column: 住址, regex: ".+市.+区.+"}}
  - {{name: 姓名格式, kind: pattern, column: 姓名, regex: "\\\\p{{Han}}{{2,10}}"}}
  - {{name: 手机号格式, kind: pattern, column: 手机号码, regex: "1[3-9][0-9]{{9}}"}}
  - {{name: 年龄范围, kind: range, column: 年龄, min: 0, max: 130}}
  - {{name: 出生日期范围, kind: range, column: 出生日期, min: "1900-01-01", max: "2026-12-31"}}
  - {{name: 身份证号唯一, kind: unique, column: 公民身份号码}}
  - {{name: 姓名生日住址唯一, kind: unique, columns: [姓名, 出生日期, 住址]}}
  - {{name: 出生日期一致, kind: cross_field, columns: [公民身份号码, 出生日期], check: birth_date_in_id}}
  - {{name: 性别一致, kind: cross_field, columns: [公民身份号码, 性别], check: gender_in_id}}
  - {{name: 在民政登记, kind: referential, column: 公民身份号码, ref: {{resource: {civil}, column: 公民身份号码}}, threshold: 0.5}}
  - {{name: 住址多源校核, kind: cross_source, column: 住址, other: {{resource: {civil}, key: 公民身份号码}}, threshold: 0.5}}
  - {{name: 按时更新, kind: freshness}}
  - {{name: 记录数稳定, kind: row_count_change}}
"""

# The same metrics, written by hand as one query over the Parquet files (t: 人口, c: 民政), as an
# expert would: 民政's key is unique (the store holds it so), so its rows join without grouping.
ID_OK = """(regexp_full_match(t.公民身份号码, '[0-9]{{17}}[0-9X]')
  AND substr('10X98765432', (({sum}) % 11) + 1, 1) = substr(t.公民身份号码, 18, 1)
  AND try_strptime(substr(t.公民身份号码, 7, 8), '%Y%m%d') IS NOT NULL
  AND try_strptime(substr(t.公民身份号码, 7, 8), '%Y%m%d') <= current_date)"""
BLANK = (  # NULL or blanks only; only a value starting with a blank can be all blanks
    "{x} IS NULL OR {x} = '' OR (ascii({x}) IN (9, 10, 11, 12, 13, 32, 12288)"
    " AND regexp_full_match({x}, '[\\s\\x{{3000}}]*'))"
)
NORMALISED = (
    "CASE WHEN regexp_matches({x}, '[\\s\\x{{3000}}A-Z]') "
    "THEN lower(regexp_replace({x}, '[\\s\\x{{3000}}]+', '', 'g')) ELSE {x} END"
)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
HAND = """
SELECT count(*),
  count(t.公民身份号码), count(*) FILTER (WHERE t.公民身份号码 IS NOT NULL AND NOT {id_ok}),
  count(t.手机号码), count(*) FILTER (WHERE t.手机号码 IS NOT NULL AND NOT regexp_full_match(t.手机号码, '1[3-9][0-9]{{9}}')),
  count(*), count(*) FILTER (WHERE {blank_name}),
  count(*), count(*) FILTER (WHERE {blank_address}),
  count(*), count(*) FILTER (WHERE {blank_phone}),
  count(*), count(*) FILTER (WHERE t.出生日期 IS NULL),
  count(t.性别), count(*) FILTER (WHERE t.性别 NOT IN ('0', '1', '2', '9')),
  count(t.户籍状态), count(*) FILTER (WHERE t.户籍状态 NOT IN ('10', '20', '30')),
  count(t.民族), count(*) FILTER (WHERE t.民族 NOT IN ({nations})),
  count(t.住址), count(*) FILTER (WHERE NOT regexp_full_match(t.住址, '.+市.+区.+')),
  count(t.姓名), count(*) FILTER (WHERE NOT regexp_full_match(t.姓名, '\\p{{Han}}{{2,10}}')),
  count(t.手机号码), count(*) FILTER (WHERE NOT regexp_full_match(t.手机号码, '1[3-9][0-9]{{9}}')),
  count(t.年龄), count(*) FILTER (WHERE t.年龄 < 0 OR t.年龄 > 130),
  count(t.出生日期), count(*) FILTER (WHERE t.出生日期 < DATE '1900-01-01' OR t.出生日期 > DATE '2026-12-31'),
  count(t.公民身份号码), count(t.公民身份号码) - count(DISTINCT t.公民身份号码),
  count(*) FILTER (WHERE t.姓名 IS NOT NULL AND t.出生日期 IS NOT NULL AND t.住址 IS NOT NULL),
  count(*) FILTER (WHERE t.姓名 IS NOT NULL AND t.出生日期 IS NOT NULL AND t.住址 IS NOT NULL)
    - count(DISTINCT (t.姓名, t.出生日期, t.住址)) FILTER (WHERE t.姓名 IS NOT NULL AND t.出生日期 IS NOT NULL AND t.住址 IS NOT NULL),
  count(*) FILTER (WHERE length(t.公民身份号码) = 18 AND t.出生日期 IS NOT NULL),
  count(*) FILTER (WHERE length(t.公民身份号码) = 18 AND t.出生日期 IS NOT NULL
    AND substr(t.公民身份号码, 7, 8) <> strftime(t.出生日期, '%Y%m%d')),
  count(*) FILTER (WHERE length(t.公民身份号码) = 18 AND t.性别 IN ('1', '2')),
  count(*) FILTER (WHERE length(t.公民身份号码) = 18 AND t.性别 IN ('1', '2')
    AND ((ascii(substr(t.公民身份号码, 17, 1)) - 48) % 2 = 1) <> (t.性别 = '1')),
  count(t.公民身份号码), count(*) FILTER (WHERE t.公民身份号码 IS NOT NULL AND r.v IS NULL),
  count(c.k), count(*) FILTER (WHERE c.k IS NOT NULL AND (c.nv > 1 OR {norm_t} IS DISTINCT FROM c.v))
FROM read_parquet({people}) t
LEFT JOIN (SELECT 公民身份号码 AS v FROM read_parquet({civil})) r ON t.公民身份号码 = r.v
LEFT JOIN (SELECT 公民身份号码 AS k, {norm_c} AS v, 1 AS nv FROM read_parquet({civil})) c ON t.公民身份号码 = c.k
"""
ORDER = [  # the hand query's pairs, in the rule file's order of row rules
    "身份证号有效", "手机号有效", "姓名完整", "住址完整", "手机号完整", "出生日期完整", "性别代码",
    "户籍状态代码", "民族代码", "住址格式", "姓名格式", "手机号格式", "年龄范围", "出生日期范围",
    "身份证号唯一", "姓名生日住址唯一", "出生日期一致", "性别一致", "在民政登记", "住址多源校核",
]  # fmt: skip


def population(n: int, seed: int = 20261207) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    regions = ["330102", "330106", "330110", "330184"]
    start = date(1940, 1, 1)
    births = [start + timedelta(days=i // 4 % 30000) for i in range(n)]  # (region, day, sequence) unique
    ids = [make_id_number(regions[i % 4], births[i], i // 120000 % 1000) for i in range(n)]
    broken = rng.random((8, n)) < 0.02
    ids = [v[:-1] + ("0" if v[-1] != "0" else "1") if broken[0][i] else v for i, v in enumerate(ids)]
    surnames, given = "王李张刘陈杨赵黄周吴", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    names = [surnames[i % 10] + given[i % 21] + given[(i // 21) % 21] for i in range(n)]
    names = [None if broken[1][i] else v for i, v in enumerate(names)]
    gender = [("1" if int(v[16]) % 2 else "2") if v[16].isdigit() else "9" for v in ids]
    gender = [("2" if g == "1" else "1") if broken[2][i] else g for i, g in enumerate(gender)]
    address = [f"杭州市西湖区文三路{i % 5000}号{i % 37}幢" for i in range(n)]
    address = [f"文三路{i}号" if broken[3][i] else a for i, a in enumerate(address)]
    phones = [f"1{3 + i % 7}{i:09d}"[:11] for i in range(n)]
    phones = [None if broken[4][i] else ("2" + p[1:] if broken[5][i] else p) for i, p in enumerate(phones)]
    ages = [2026 - b.year + (200 if broken[6][i] else 0) for i, b in enumerate(births)]
    status = ["99" if broken[7][i] else "10" for i in range(n)]
    births = [b + timedelta(days=1) if broken[2][(i + 7) % n] else b for i, b in enumerate(births)]
    people = pa.table(
        {
            "公民身份号码": ids,
            "姓名": names,
            "性别": gender,
            "出生日期": pa.array(births, pa.date32()),
            "民族": [NATIONS[i % 56] if i % 97 else "99" for i in range(n)],
            "住址": address,
            "手机号码": phones,
            "年龄": pa.array(ages, pa.int64()),
            "户籍状态": status,
        }
    )
    known = [i for i in range(n) if i % 10]  # 民政 knows nine people in ten
    civil = pa.table(
        {
            "公民身份号码": [ids[i] for i in known],
            "住址": [f"杭州市拱墅区湖墅南路{i}号" if i % 5 == 0 else address[i] for i in known],
        }
    )
    return people, civil


def setup(workdir: Path, n: int):
    db = Database(f"sqlite:///{workdir / 'quality-bench.db'}")
    upgrade(db.engine)
    db.ledger_keys, db.subject_secret = ensure_keys(workdir / "keys")
    with db.session() as s:
        seed(s)
        org.add_region(s, SYSTEM, "330000", "浙江省")
        org.add_region(s, SYSTEM, "330100", "杭州市", parent_code="330000")
        police = org.add_department(
            s, SYSTEM, "330100", "公安局", make_credit_code("1", "1", "330100", "10000002")
        )
        civil = org.add_department(
            s, SYSTEM, "330100", "民政局", make_credit_code("1", "1", "330100", "10000003")
        )
        people_code = catalog.create(s, SYSTEM, population_spec(police.code, ITEMS)).code
        civil_code = catalog.create(s, SYSTEM, population_spec(civil.code, CIVIL_ITEMS, "低保对象信息")).code
    store = Store(db.engine.url.render_as_string(hide_password=False), workdir / "warehouse")
    people, civil_rows = population(n)
    store.ensure_table(people_code, ITEMS)
    store.ensure_table(civil_code, CIVIL_ITEMS)
    store.write(people_code, people)
    store.write(civil_code, civil_rows)
    rules = RULES.format(people=people_code, civil=civil_code, nations=json.dumps(NATIONS))
    with db.session() as s:
        quality.import_rules(s, SYSTEM, rules, "bench.yaml")
    return db, store, people_code, civil_code


def _files(store: Store, code: str) -> str:
    tbl = store._table(code)
    paths = [t.file.file_path.removeprefix("file://") for t in tbl.scan().plan_files()]
    return "[" + ", ".join(f"'{p}'" for p in paths) + "]"


def hand_query(store: Store, people: str, civil: str) -> tuple[float, list]:
    sql = HAND.format(
        id_ok=ID_OK.format(
            sum=" + ".join(
                f"(ascii(substr(t.公民身份号码, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(WEIGHTS)
            )
        ),
        nations=", ".join(f"'{c}'" for c in NATIONS),
        blank_name=BLANK.format(x="t.姓名"),
        blank_address=BLANK.format(x="t.住址"),
        blank_phone=BLANK.format(x="t.手机号码"),
        norm_t=NORMALISED.format(x="t.住址"),
        norm_c=NORMALISED.format(x="住址"),
        people=_files(store, people),
        civil=_files(store, civil),
    )
    con = duckdb.connect()
    started = time.perf_counter()
    row = con.sql(sql).fetchall()[0]
    seconds = time.perf_counter() - started
    con.close()
    return seconds, list(row)


def huitong_run(db: Database, store: Store, people: str) -> tuple[float, dict]:
    started = time.perf_counter()
    with db.session() as s:
        qrun = quality.run(s, store, SYSTEM, people)
        run_id = qrun.id
    seconds = time.perf_counter() - started
    with db.session(read_only=True) as s:
        metrics = {
            m.rule_name: (m.checked, m.failed) for m in s.query(QualityMetric).filter_by(run_id=run_id)
        }
    return seconds, metrics


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="quality-bench-") as tmp:
        t0 = time.perf_counter()
        db, store, people, civil = setup(Path(tmp), args.rows)
        print(f"setup: {args.rows} people stored in {time.perf_counter() - t0:.1f} s", flush=True)
        ours, hand = [], []
        for _ in range(args.repeat):
            seconds, metrics = huitong_run(db, store, people)
            ours.append(seconds)
            seconds, row = hand_query(store, people, civil)
            hand.append(seconds)
        pairs = {name: (row[1 + 2 * i], row[2 + 2 * i]) for i, name in enumerate(ORDER)}
        differ = {k: (metrics[k], v) for k, v in pairs.items() if metrics[k] != v}
        store.close()
        db.dispose()
    best, base = min(ours), min(hand)
    result = {
        "rows": args.rows,
        "rules": len(metrics),
        "huitong_seconds": round(best, 3),
        "hand_query_seconds": round(base, 3),
        "ratio": round(best / base, 2),
        "rows_per_second": round(args.rows / best),
        "metrics_equal": not differ,
        "runs": {"huitong": [round(x, 3) for x in ours], "hand": [round(x, 3) for x in hand]},
        "date": date.today().isoformat(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if differ:
        print("metrics differ:", differ)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "quality.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
