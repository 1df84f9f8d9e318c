"""Bulk catalog registration: a JSON catalog import against one entry per transaction.

    .venv/bin/python -m bench.catalog_import_bench [--entries 10000] [--existing 20000] [--backend sqlite pg]

For each backend: a migrated metadata database with the province's departments and
``--existing`` entries already registered (so name and code checks run against a catalog of
that size); then a generated huitong JSON catalog of ``--entries`` new entries is imported
through ``catalog.importer.import_file`` (parse, every rule and database check, codes,
revisions, evidence, search terms) in one transaction, once as drafts and once submitted and
published (three revisions each). The baseline, in the same run, is what a client registering
entries one by one gets: ``catalog.service.create`` in a transaction of its own per entry.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.catalog_corpus import generate_resources
from bench.catalog_search_db import MODE_FOR_FORMAT, Target, bulk_register, register_org
from huitong.access import SYSTEM
from huitong.bootstrap import seed
from huitong.catalog import service
from huitong.catalog.importer import import_file
from huitong.catalog.json_io import dump_json_catalog
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
from huitong.catalog.tables import ResourceRevision
from huitong.db.base import Database
from huitong.db.migrate import upgrade
from huitong.ledger.tables import EvidenceEntry
from huitong.org.tables import Department


def specs(n: int, dept_codes: dict[int, str], nodes: dict[int, str], tag: str) -> list[ResourceSpec]:
    """``n`` valid new entries of the corpus's departments, names unique per batch."""
    out = []
    for i, r in enumerate(generate_resources(n, seed=11)):
        share = ShareType(r["share_type"])
        out.append(
            ResourceSpec(
                name=f"{r['name']}（{tag}{i}）",
                class_code=nodes[r["department_id"]],
                provider_code=dept_codes[r["department_id"]],
                summary=r["summary"],
                format_class=FormatClass(r["format"]),
                share_type=share,
                share_mode=ShareMode(MODE_FOR_FORMAT[r["format"]]),
                share_condition="履行职责时使用" if share == ShareType.conditional else None,
                share_basis="《政务数据共享条例》" if share != ShareType.unconditional else None,
                open_type=OpenType.none,
                update_cycle=UpdateCycle(r["update_cycle"]),
                tags=list(r["tags"]),
                items=[DataItem(name=name, data_type=DataType.C, length=64) for name in r["item_names"]],
            )
        )
    return out


def timed_import(db: Database, path: Path, *, publish: bool) -> tuple[float, int]:
    t = time.perf_counter()
    with db.session() as s:
        report = import_file(s, SYSTEM, path, publish=publish)
    return time.perf_counter() - t, len(report.created)


def one_by_one(db: Database, batch: list[ResourceSpec]) -> float:
    t = time.perf_counter()
    for spec in batch:
        with db.session() as s:
            service.create(s, SYSTEM, spec)
    return time.perf_counter() - t


def run_backend(backend: str, entries: int, existing: int, baseline: int, workdir: Path) -> dict:
    target = Target(backend, workdir)
    db = target.open()
    try:
        upgrade(db.engine)
        with db.session() as s:
            seed(s)
        dept_ids, nodes = register_org(db)
        with db.session() as s:
            by_id = dict(s.execute(select(Department.id, Department.code)).tuples().all())
        dept_codes = {k: by_id[v] for k, v in dept_ids.items()}
        if existing:
            bulk_register(db, existing, dept_ids, nodes)
        result: dict = {"backend": backend, "entries": entries, "existing": existing}
        for label, publish in (("drafts", False), ("published", True)):
            path = workdir / f"catalog-{backend}-{label}.json"
            batch = specs(entries, dept_codes, nodes, label)
            path.write_text(dump_json_catalog([(None, spec) for spec in batch]), encoding="utf-8")
            seconds, created = timed_import(db, path, publish=publish)
            assert created == entries, (created, entries)
            result[label] = {"seconds": seconds, "per_s": entries / seconds}
            print(
                f"[{backend}] import of {entries:,} entries ({label}) into a catalog of "
                f"{existing:,}: {seconds:.1f} s, {entries / seconds:,.0f} entries/s"
            )
        with db.session() as s:
            revisions = s.scalar(select(func.count()).select_from(ResourceRevision))
            evidence = s.scalar(
                select(func.count()).select_from(EvidenceEntry).where(EvidenceEntry.action.like("catalog.%"))
            )
        assert revisions == entries * 4, revisions  # 1 + 3 revisions per entry
        assert evidence >= entries * 4, evidence
        seconds = one_by_one(db, specs(baseline, dept_codes, nodes, "single"))
        result["one_by_one"] = {"entries": baseline, "seconds": seconds, "per_s": baseline / seconds}
        print(
            f"[{backend}] baseline, service.create one transaction per entry: {baseline:,} entries in "
            f"{seconds:.1f} s, {baseline / seconds:,.0f} entries/s"
        )
        result["speedup"] = result["drafts"]["per_s"] / result["one_by_one"]["per_s"]
        return result
    finally:
        db.dispose()
        target.drop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--existing", type=int, default=20_000)
    ap.add_argument("--baseline", type=int, default=500, help="entries registered one by one")
    ap.add_argument("--backend", nargs="+", default=["sqlite", "pg"], choices=["sqlite", "pg"])
    ap.add_argument("--out", type=Path, default=Path("bench/results/catalog_import.json"))
    args = ap.parse_args()
    report = {"date": time.strftime("%Y-%m-%d"), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backend:
            report["runs"].append(run_backend(backend, args.entries, args.existing, args.baseline, Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
