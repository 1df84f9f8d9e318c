"""Catalog search end to end over the metadata database, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.catalog_search_db [--docs 100000] [--backend sqlite pg] [--repeat 30]

For each backend: register 100,000 generated entries of one province (bench/catalog_corpus.py)
with their analysed terms stored, as the catalog service stores them; start a fresh process
state and time the cold start (the search index loaded from the database); then time ranked
Chinese queries through ``search_page``, the function behind ``GET /api/catalog/search`` and
``huitong catalog search``: index lookup with all seven facets counted, visibility by the
caller's role, and the page's entries read back from the database with their attributes.
A slice of entries is also registered through ``catalog.service.create`` (rules, revision,
evidence, analysis) to give the write rate a department sees.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from bench.catalog_corpus import AGENCIES, CITIES, PROVINCE, departments, generate_resources
from huitong.access import PUBLIC, SYSTEM, Actor
from huitong.access.roles import Role
from huitong.bootstrap import seed
from huitong.catalog import service
from huitong.catalog.model import (
    DataItem,
    DataType,
    FormatClass,
    OpenType,
    ResourceSpec,
    ShareMode,
    ShareType,
    UpdateCycle,
)
from huitong.catalog.search import SearchDoc, fields_terms
from huitong.catalog.search_service import catalog_search, search_page
from huitong.catalog.tables import ClassNode, Resource, ResourceItem
from huitong.db.base import Database, utcnow
from huitong.db.migrate import upgrade
from huitong.errors import Conflict
from huitong.org import service as org
from huitong.standards.divisions import division_table
from huitong.standards.uscc import make_credit_code

PG_BASE = "postgresql+psycopg://127.0.0.1:5432/test"
LEVEL_OF_CORPUS = {"province": "province", "city": "city", "county": "county"}
MODE_FOR_FORMAT = {
    "database": "api",
    "spreadsheet": "file",
    "service": "api",
    "file": "file",
    "image": "file",
    "self_describing": "api",
    "stream": "api",
}

# (kind, query, who, filters); who: public, operator, or member:<corpus department id>
QUERIES: list[tuple[str, str, str, dict]] = [
    ("word", "户籍", "public", {}),
    ("word", "低保对象", "public", {}),
    ("word", "营业执照", "operator", {}),
    ("word", "不动产登记", "public", {}),
    ("word", "医疗机构执业许可", "public", {}),
    ("word", "统一社会信用代码", "operator", {}),
    ("word", "住房公积金 缴存", "public", {}),
    ("word", "长沙市 婚姻登记", "public", {}),
    ("word", "企业 行政处罚 2023年", "operator", {}),
    ("fragment", "籍信", "public", {}),
    ("fragment", "业执", "public", {}),
    ("fragment", "社保卡发", "public", {}),
    ("pinyin", "hjrk", "public", {}),
    ("pinyin", "dbdx", "public", {}),
    ("pinyin", "yyzz", "operator", {}),
    ("pinyin", "huji", "public", {}),
    ("pinyin", "gjj", "public", {}),
    ("mixed", "长沙 hj", "public", {}),
    ("mixed", "2023 不动产", "public", {}),
    ("faceted", "户籍", "public", {"share_type": ["conditional"]}),
    ("faceted", "低保", "operator", {"level": ["county"], "category": ["base"]}),
    ("faceted", "不动产", "operator", {"format": ["database", "service"]}),
    ("faceted", "", "public", {"update_cycle": ["daily", "realtime"], "level": ["province"]}),
    ("member", "户籍", "member:1", {}),
    ("member", "养老保险 待遇", "member:3", {"level": ["province", "city"]}),
    ("single-char", "税", "public", {}),
]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Target:
    """A fresh, migrated metadata database of one backend, and how to drop it."""

    def __init__(self, backend: str, workdir: Path):
        self.backend, self.schema = backend, None
        if backend == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench-meta.db'}"
        else:
            self.schema = f"bench_{uuid.uuid4().hex[:10]}"
            with create_engine(PG_BASE).begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            self.url = f"{PG_BASE}?options=-csearch_path%3D{self.schema}"

    def open(self) -> Database:
        return Database(self.url)

    def drop(self) -> None:
        if self.schema:
            with create_engine(PG_BASE).begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))


def hunan_codes() -> dict[str, str]:
    """Names of Hunan's divisions in force, to their codes, from the shipped table."""
    table = division_table()
    today = date(2021, 12, 31)
    return {table.lookup(c, today).name: c for c in table.codes_at(today) if c.startswith("43")}


def register_org(db: Database) -> tuple[dict[int, int], dict[int, str]]:
    """Regions and departments of the corpus; returns corpus id -> department id and -> class node."""
    codes = hunan_codes()
    dept_ids: dict[int, int] = {}
    nodes: dict[int, str] = {}
    with db.session() as s:
        org.add_region(s, SYSTEM, codes[PROVINCE], PROVINCE)
        for city, counties in CITIES.items():
            org.add_region(s, SYSTEM, codes[city], city, parent_code=codes[PROVINCE])
            for county in counties:
                if county in codes:
                    org.add_region(s, SYSTEM, codes[county], county, parent_code=codes[city])
        for d in departments():
            region = d["region"] if d["region"] in codes else d.get("city", PROVINCE)
            suffix = AGENCIES[d["agency"]][0 if d["level"] == "province" else 1]
            body = f"{d['id']:08d}"
            name = suffix
            try:
                with s.begin_nested():
                    dept = org.add_department(
                        s, SYSTEM, codes[region], name, make_credit_code("1", "1", codes[region], body)
                    )
            except Conflict:  # the same agency twice in one region: number the second
                with s.begin_nested():
                    dept = org.add_department(
                        s,
                        SYSTEM,
                        codes[region],
                        f"{name}（{d['id']}）",
                        make_credit_code("1", "1", codes[region], body),
                    )
            dept_ids[d["id"]] = dept.id
            nodes[d["id"]] = service.department_class(s, dept)
    return dept_ids, nodes


def bulk_register(db: Database, n: int, dept_ids: dict[int, int], nodes: dict[int, str]) -> dict[str, float]:
    """``n`` entries with stored terms, written in batches the way an import would."""
    with db.session() as s:
        leaves = {
            root: s.scalar(
                select(ClassNode.code)
                .where(ClassNode.code.like(f"{root}_____"))
                .order_by(ClassNode.code)
                .limit(1)
            )
            for root in ("1", "2")
        }
        depts = {d.id: d for d in org.list_departments(s)}
        region_names = {d.id: d.region.name for d in depts.values()}
    seqs: dict[str, int] = {}
    t_analyse = t_write = 0.0
    started = time.perf_counter()
    batch_res: list[dict] = []
    batch_items: list[list[str]] = []

    def flush() -> None:
        nonlocal t_write
        t = time.perf_counter()
        with db.session() as s:
            ids = s.execute(insert(Resource).returning(Resource.id), batch_res).scalars().all()
            s.execute(
                insert(ResourceItem),
                [
                    {
                        "resource_id": rid,
                        "position": p,
                        "name": name,
                        "data_type": "C",
                        "length": 64,
                        "grade": "general_2",
                    }
                    for rid, names in zip(ids, batch_items, strict=True)
                    for p, name in enumerate(names, 1)
                ],
            )
        t_write += time.perf_counter() - t
        batch_res.clear()
        batch_items.clear()

    for i, r in enumerate(generate_resources(n)):
        dept_id = dept_ids[r["department_id"]]
        also = [leaves["1"]] if "基础" in r["category"] else []
        also += [leaves["2"]] if "主题" in r["category"] else []
        class_code = nodes[r["department_id"]]
        seqs[class_code] = seqs.get(class_code, 0) + 1
        code = f"{class_code}/{seqs[class_code]:05d}"
        t = time.perf_counter()
        doc = SearchDoc(
            id=i + 1,
            code=code,
            name=r["name"],
            summary=r["summary"],
            tags=r["tags"],
            item_names=r["item_names"],
            provider_name=f"{region_names[dept_id]}{depts[dept_id].name}",
            department_id=dept_id,
            status=r["status"],
            open_type=r["open_type"],
            facets={},
            seq=i + 1,
        )
        terms = {k: list(v) for k, v in fields_terms(doc).items()}
        t_analyse += time.perf_counter() - t
        share = r["share_type"]
        batch_res.append(
            {
                "code": code,
                "class_code": class_code,
                "seq_no": seqs[class_code],
                "name": r["name"],
                "name_key": f"{r['name']}#{i}",
                "provider_id": dept_id,
                "summary": r["summary"],
                "format_class": r["format"],
                "share_type": share,
                "share_condition": "履行职责时使用" if share == "conditional" else None,
                "share_basis": "《政务数据共享条例》" if share != "unconditional" else None,
                "share_channel": "platform",
                "share_mode": MODE_FOR_FORMAT[r["format"]],
                "open_type": r["open_type"],
                "update_cycle": r["update_cycle"],
                "related_codes": [],
                "also_in": also,
                "tags": list(r["tags"]),
                "grade": "general_2",
                "status": r["status"],
                "change_seq": i + 1,
                "search_terms": terms,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
        )
        batch_items.append(list(r["item_names"]))
        if len(batch_res) == 5000:
            flush()
    if batch_res:
        flush()
    with db.session() as s:
        s.execute(text("UPDATE counter SET value = :v WHERE name = 'catalog'"), {"v": n + 1})
    return {"total_s": time.perf_counter() - started, "analyse_s": t_analyse, "write_s": t_write}


def service_writes(db: Database, provider_code: str, node: str, count: int) -> float:
    """Entries per second through catalog.service.create: rules, revision, evidence and analysis."""
    started = time.perf_counter()
    for i in range(count):
        spec = ResourceSpec(
            name=f"基准测试登记信息{i:05d}",
            class_code=node,
            provider_code=provider_code,
            summary="用于度量登记速度的目录条目，包括公民身份号码、姓名等信息项。",
            format_class=FormatClass.database,
            share_mode=ShareMode.api,
            share_type=ShareType.unconditional,
            open_type=OpenType.none,
            update_cycle=UpdateCycle.daily,
            items=[
                DataItem(name="公民身份号码", data_type=DataType.C, length=18, element="DE01001"),
                DataItem(name="姓名", data_type=DataType.C, length=50),
            ],
        )
        with db.session() as s:
            service.create(s, SYSTEM, spec)
    return count / (time.perf_counter() - started)


def actor_for(who: str, dept_ids: dict[int, int]) -> Actor:
    if who == "public":
        return PUBLIC
    if who == "operator":
        return Actor(user_id=1, username="bench-op", roles=frozenset({Role.operator}))
    corpus_id = int(who.split(":")[1])
    return Actor(
        user_id=2, username="bench-user", department_id=dept_ids[corpus_id], roles=frozenset({Role.dept_user})
    )


def run_backend(backend: str, n: int, repeat: int, workdir: Path) -> dict:
    target = Target(backend, workdir)
    db = target.open()
    try:
        upgrade(db.engine)
        with db.session() as s:
            seed(s)
        dept_ids, nodes = register_org(db)
        load = bulk_register(db, n, dept_ids, nodes)
        print(
            f"[{backend}] registered {n:,} entries in {load['total_s']:.1f} s "
            f"(analysis {load['analyse_s']:.1f} s, database writes {load['write_s']:.1f} s)"
        )
        db.dispose()

        db = target.open()  # a fresh handle: nothing cached, as after a restart
        t = time.perf_counter()
        with db.session() as s:
            loaded = catalog_search(db).refresh(s)
        cold = time.perf_counter() - t
        print(f"[{backend}] cold start: index of {loaded:,} entries loaded from the database in {cold:.1f} s")

        results, everything = [], []
        for kind, q, who, filters in QUERIES:
            actor = actor_for(who, dept_ids)
            times = []
            for k in range(repeat + 3):
                t = time.perf_counter()
                with db.session() as s:
                    page = search_page(db, s, actor, q, filters=filters)
                if k >= 3:
                    times.append((time.perf_counter() - t) * 1e3)
            everything += times
            top = page["results"][0]["name"] if page["results"] else "-"
            results.append(
                {
                    "kind": kind,
                    "query": q,
                    "who": who,
                    "filters": filters,
                    "hits": page["total"],
                    "p50_ms": pct(times, 50),
                    "p95_ms": pct(times, 95),
                    "top": top,
                }
            )
            print(
                f"  {kind:<11} {q or '(all)':<20} {who:<9} {page['total']:>7} hits  "
                f"p50 {pct(times, 50):6.2f} ms  p95 {pct(times, 95):6.2f} ms  {top}"
            )
        overall = {
            "p50_ms": pct(everything, 50),
            "p95_ms": pct(everything, 95),
            "p99_ms": pct(everything, 99),
            "max_ms": max(everything),
        }
        print(
            f"[{backend}] overall over {len(everything):,} searches: p50 {overall['p50_ms']:.2f} ms, "
            f"p95 {overall['p95_ms']:.2f} ms, p99 {overall['p99_ms']:.2f} ms"
        )

        first_corpus = next(iter(dept_ids))
        with db.session() as s:
            provider_code = s.execute(
                text("SELECT code FROM department WHERE id = :i"), {"i": dept_ids[first_corpus]}
            ).scalar_one()
        rate = service_writes(db, provider_code, nodes[first_corpus], 200)
        t = time.perf_counter()
        with db.session() as s:
            search_page(db, s, PUBLIC, "户籍")
        after = (time.perf_counter() - t) * 1e3
        print(
            f"[{backend}] registration through the catalog service: {rate:.0f} entries/s; "
            f"first search after 200 new entries {after:.1f} ms"
        )
        return {
            "backend": backend,
            "docs": n,
            "load": load,
            "cold_start_s": cold,
            "queries": results,
            "overall": overall,
            "service_writes_per_s": rate,
            "search_after_writes_ms": after,
        }
    finally:
        db.dispose()
        target.drop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--backend", nargs="+", default=["sqlite", "pg"], choices=["sqlite", "pg"])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--out", type=Path, default=Path("bench/results/catalog_search_db.json"))
    args = ap.parse_args()
    report = {"date": time.strftime("%Y-%m-%d"), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backend:
            report["runs"].append(run_backend(backend, args.docs, args.repeat, Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
