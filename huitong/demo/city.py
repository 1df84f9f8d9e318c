"""``huitong demo``: a sample province → city → counties with a published catalog.

Deterministic: the same run gives the same departments, codes and entries. The catalog is
written into the Excel template departments fill in and imported from it, so the demo
exercises the real import path. Re-running is safe: it refuses a data directory that is
not a demo's.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from huitong.access import SYSTEM
from huitong.bootstrap import open_database
from huitong.catalog.classification import PROVINCIAL_DEPT_ITEM
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
from huitong.demo.catalog_data import BASIS, DEMO_PASSWORD, DEPARTMENTS, ITEMS, REGIONS, RESOURCES, USERS
from huitong.errors import HuitongError
from huitong.org import service as org
from huitong.standards.uscc import make_credit_code

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
                    )
                    for n, i in enumerate(items)
                ],
            )
        )
    return specs


def build_demo(data_dir: Path, *, port: int | None = None) -> Settings:
    data_dir = data_dir.resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise HuitongError(f"{data_dir} holds data that is not a demo's; refusing to overwrite it")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / MARKER).write_text("created by huitong demo; safe to delete\n", encoding="utf-8")
    started = time.monotonic()
    settings = load_settings(env={"HUITONG_DATA_DIR": str(data_dir)})
    db = open_database(settings)
    from huitong.catalog.excel_template import write_template
    from huitong.catalog.importer import import_file
    from huitong.catalog.tables import ClassNode
    from huitong.standards.store import list_elements

    with Progress(console=console, transient=False) as progress:
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
                dept_nodes[key] = org.department_class(s, dept)
                progress.advance(task)
            for username, dept, role, display in USERS:
                org.add_user(s, SYSTEM, username, display, codes[dept], [role], DEMO_PASSWORD)
                progress.advance(task)
        template = data_dir / "sample-catalog.xlsx"
        progress.update(task, description="catalog template")
        with db.session() as s:
            nodes = [(n.code, n.name) for n in s.query(ClassNode).order_by(ClassNode.code)]
            depts = [(d.code, f"{d.region.name}{d.name}") for d in org.list_departments(s)]
            elements = [(e.identifier, e.name_zh) for e in list_elements(s)]
        specs = demo_specs(codes, dept_nodes)
        write_template(
            template,
            class_nodes=nodes,
            departments=depts,
            elements=elements,
            resources=[(None, sp) for sp in specs],
        )
        load = progress.add_task(f"importing {template.name}", total=1)
        with db.session() as s:
            report = import_file(s, SYSTEM, template, publish=True)
        progress.advance(load)
    elapsed = time.monotonic() - started
    console.print(
        f"\n[bold green]demo city ready[/] in {elapsed:.1f}s: {len(REGIONS)} regions, "
        f"{len(DEPARTMENTS)} departments, {len(report.published)} published catalog entries "
        f"(imported from {template})"
    )
    console.print(f"data directory: {data_dir}   (部门 catalog nodes under {PROVINCIAL_DEPT_ITEM})")
    base = f"http://{settings.bind_host}:{port or settings.bind_port}"
    console.print(f"API and its docs: {base}/api/docs")
    console.print(
        f"demo accounts (password [bold]{DEMO_PASSWORD}[/]): "
        + ", ".join(f"{u} ({r})" for u, _, r, _ in USERS)
    )
    console.print("three things to try:")
    exe = ".venv/bin/huitong" if Path(".venv/bin/huitong").exists() else "huitong"
    console.print(
        f"  1. HUITONG_DATA_DIR={data_dir} {exe} catalog search 户籍      (Chinese words)", soft_wrap=True
    )
    console.print(
        f"  2. curl '{base}/api/catalog/search?q=hjrk&level=city'   (pinyin initials, a facet)",
        soft_wrap=True,
    )
    console.print(
        f"  3. curl -X POST {base}/api/auth/login -H 'content-type: application/json' "
        f'-d \'{{"username": "gaadmin", "password": "{DEMO_PASSWORD}"}}\'   '
        "(a token; then see drafts as 公安)",
        soft_wrap=True,
    )
    db.dispose()
    return settings
