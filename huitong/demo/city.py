"""``huitong demo``: a living sample city, province → city → counties.

Deterministic (seeded, no Faker): the same run gives the same departments, codes, entries,
residents and enterprises. The catalog is written into the Excel template departments fill in
and imported from it; the departments' data arrive as the files and tables they really send and
go through the real mapping and load pipeline; sharing goes through the real services. Re-running
is safe: it refuses a data directory that is not a demo's, and rebuilds one that is.
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from huitong.access import SYSTEM
from huitong.bootstrap import open_database
from huitong.catalog import service as catalog
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
from huitong.config import Settings, load_settings
from huitong.demo.catalog_data import (
    BASIS,
    DEMO_PASSWORD,
    DEPARTMENTS,
    ITEMS,
    REGIONS,
    REQUIRED,
    RESOURCES,
    USERS,
)
from huitong.errors import HuitongError
from huitong.org import service as org
from huitong.standards.uscc import make_credit_code

if TYPE_CHECKING:  # the heavy modules load only when a city is built
    from huitong.demo.classification import ClassifyDemo
    from huitong.demo.fusion import FusionDemo
    from huitong.demo.loading import Loaded
    from huitong.demo.objections import ObjectionDemo
    from huitong.demo.quality import QualityDemo
    from huitong.demo.sharing import Activity
from huitong.demo.sources import Handed

MARKER = ".huitong-demo"
console = Console()


def _mode(fmt: FormatClass) -> ShareMode:
    return {FormatClass.database: ShareMode.api, FormatClass.service: ShareMode.api}.get(fmt, ShareMode.file)


def demo_specs(codes: dict[str, str], dept_nodes: dict[str, str]) -> list[ResourceSpec]:
    specs = []
    for dept, name, cls, also, share, open_, fmt, cycle, items, tags, summary in RESOURCES:
        fc = FormatClass(fmt)
        st = ShareType(share)
        specs.append(
            ResourceSpec(
                name=name,
                class_code=dept_nodes[dept] if cls == "3" else cls,
                provider_code=codes[dept],
                summary=summary,
                format_class=fc,
                share_type=st,
                share_mode=_mode(fc),
                open_type=OpenType(open_),
                update_cycle=UpdateCycle(cycle),
                format_type={
                    "database": "MySQL",
                    "spreadsheet": "xlsx",
                    "service": "REST",
                    "file": "pdf",
                    "image": "tif",
                }.get(fmt),
                share_condition="仅限履行法定职责、办理政务服务时使用"
                if st is ShareType.conditional
                else None,
                share_basis=BASIS[dept] if st is not ShareType.unconditional else None,
                open_condition="申请并签署数据利用协议后开放" if open_ == "conditional" else None,
                also_in=list(also),
                tags=list(tags),
                source_system=f"{name[:4]}管理系统",
                items=[
                    DataItem(
                        name=i,
                        data_type=DataType(ITEMS[i][0]),
                        length=ITEMS[i][1],
                        element=ITEMS[i][2],
                        is_key=(n == 0),
                        required=i in REQUIRED,
                    )
                    for n, i in enumerate(items)
                ],
            )
        )
    return specs


ADMINS = {
    "ga": "gaadmin",
    "mz": "mzadmin",
    "sc": "scadmin",
    "rs": "rsadmin",
    "wj": "wjadmin",
    "sw": "swadmin",
}  # who runs each source
DEFAULT_PEOPLE = 30_000
SEED = 2026


@dataclass
class City:
    """What the build made, for the summary and the tests."""

    settings: Settings
    data_dir: Path
    published: int
    people: int
    enterprises: int
    loads: list[Loaded]
    handed: Handed
    activity: Activity
    seconds: float = 0.0
    quality: QualityDemo | None = None
    objections: ObjectionDemo | None = None
    classification: ClassifyDemo | None = None
    fusion: FusionDemo | None = None


def _fresh(data_dir: Path) -> None:
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise HuitongError(f"{data_dir} holds data that is not a demo's; refusing to overwrite it")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / MARKER).write_text("created by huitong demo; safe to delete\n", encoding="utf-8")


def _organisations_and_catalog(db, data_dir: Path, progress: Progress) -> int:
    """Regions, departments, users, and the catalog imported from the Excel template."""
    from huitong.catalog.excel_template import write_template
    from huitong.catalog.importer import import_file
    from huitong.catalog.tables import ClassNode
    from huitong.standards.store import list_elements

    task = progress.add_task("organisations", total=len(REGIONS) + len(DEPARTMENTS) + len(USERS))
    codes: dict[str, str] = {}
    dept_nodes: dict[str, str] = {}
    with db.session() as s:
        for code, name, parent in REGIONS:
            org.add_region(s, SYSTEM, code, name, parent_code=parent)
            progress.advance(task)
        for key, region, name, short, body in DEPARTMENTS:
            dept = org.add_department(
                s, SYSTEM, region, name, make_credit_code("1", "1", region, body), short_name=short
            )
            codes[key] = dept.code
            dept_nodes[key] = catalog.department_class(s, dept)
            progress.advance(task)
        for username, dept, role, display in USERS:
            org.add_user(s, SYSTEM, username, display, codes[dept], [role], DEMO_PASSWORD)
            progress.advance(task)
    template = data_dir / "sample-catalog.xlsx"
    with db.session() as s:
        nodes = [(n.code, n.name) for n in s.query(ClassNode).order_by(ClassNode.code)]
        depts = [(d.code, f"{d.region.name}{d.name}") for d in org.list_departments(s)]
        elements = [(e.identifier, e.name_zh) for e in list_elements(s)]
    write_template(
        template,
        class_nodes=nodes,
        departments=depts,
        elements=elements,
        resources=[(None, sp) for sp in demo_specs(codes, dept_nodes)],
    )
    load = progress.add_task(f"importing {template.name}", total=1)
    with db.session() as s:
        report = import_file(s, SYSTEM, template, publish=True)
    progress.advance(load)
    return len(report.published)


def _resource_codes(db) -> dict[str, str]:
    from huitong.catalog.tables import Resource

    with db.session() as s:
        return {r.name: r.code for r in s.query(Resource).filter(Resource.status == "published")}


def _actors(db) -> dict:
    with db.session() as s:
        return {u: org.actor_for(org.get_user(s, u)) for u, *_ in USERS}


def build_demo(
    data_dir: Path, *, port: int | None = None, people: int = DEFAULT_PEOPLE, seed: int = SEED
) -> Settings:
    """Build the demo city in ``data_dir`` and print what it holds and what to try."""
    city = build_city(data_dir, people=people, seed=seed)
    from huitong.demo.summary import print_summary

    print_summary(console, city, port=port)
    return city.settings


def build_city(data_dir: Path, *, people: int = DEFAULT_PEOPLE, seed: int = SEED) -> City:
    from huitong.demo.loading import load_all
    from huitong.demo.people import MAX_ENTERPRISES, generate_enterprises, generate_people
    from huitong.demo.sharing import Demo, run_sharing
    from huitong.demo.sources import write_changes, write_sources
    from huitong.store import Store

    if people < 100:
        raise HuitongError("the demo city needs at least 100 residents (--people)")
    data_dir = data_dir.resolve()
    _fresh(data_dir)
    started = time.monotonic()
    settings = load_settings(env={"HUITONG_DATA_DIR": str(data_dir)})
    db = open_database(settings)
    store = Store.from_settings(settings)
    columns = (
        TextColumn("{task.description:<42}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            published = _organisations_and_catalog(db, data_dir, progress)
            task = progress.add_task(f"{people:,} residents and their enterprises", total=3)
            residents = generate_people(people, seed)
            progress.advance(task)
            enterprises = generate_enterprises(min(max(50, people // 10), MAX_ENTERPRISES), residents, seed)
            progress.advance(task)
            handed = write_sources(data_dir, residents, enterprises, seed)
            progress.advance(task)
            codes, actors = _resource_codes(db), _actors(db)
            from huitong.demo import quality as quality_demo

            rule_files = quality_demo.import_rules(db, actors, codes, data_dir)  # every load is measured

            def work(plans):
                return [(p, codes[p.resource], actors[ADMINS[p.dept]], handed.rows[p.name]) for p in plans]

            from huitong.demo.api import migrant_api

            with migrant_api(handed.directory / "公安_流动人口.json") as api:  # served only while loading
                handed.rows[api.name] = handed.rows["ga-ldrk"]
                loads = load_all(db, store, progress, work([*handed.plans, api]))
            task = progress.add_task("sharing: applications, decisions, deliveries", total=1)
            demo = Demo(db, store, actors, codes, data_dir / "extracts")
            activity = run_sharing(demo, handed.dibao, enterprises)
            progress.advance(task)
            loads += load_all(db, store, progress, work([write_changes(handed, residents, seed)]))
            task = progress.add_task("quality: objections, a held-back increment, its correction", total=3)
            from huitong.demo import objections as objection_demo
            from huitong.demo.people import Town

            moved = quality_demo.movers(residents, seed)
            moved_to = Town(random.Random(seed + 12)).address(moved[0].district)
            raised = objection_demo.before_increments(
                db, store, actors, codes, handed.dibao, enterprises, moved[0], moved_to
            )
            progress.advance(task)
            held, corrected = quality_demo.later_increments(
                db, store, actors[ADMINS["ga"]], handed, moved, {moved[0].id_number: moved_to}
            )
            progress.advance(task)
            objected = objection_demo.after_increments(raised, str(corrected.snapshot_id))
            progress.advance(task)
            task = progress.add_task("classification: grades, a de-identified release", total=1)
            from huitong.demo import classification as classify_demo

            classified = classify_demo.run(db, store, actors, codes)
            progress.advance(task)
            task = progress.add_task("base libraries: 人口库 and 法人库 fused", total=1)
            from huitong.demo import fusion as fusion_demo

            fused = fusion_demo.run(db, store, actors, codes)
            progress.advance(task)
        from huitong.ledger.log import sequencer

        sequencer(db).integrate()  # every entry joins the Merkle tree now, served or not
    finally:
        store.close()
        db.dispose()
    city = City(settings, data_dir, published, len(residents), len(enterprises), loads, handed, activity)
    city.quality = quality_demo.QualityDemo(rule_files, held, corrected)
    city.objections = objected
    city.classification = classified
    city.fusion = fused
    city.seconds = time.monotonic() - started
    return city
