"""``huitong org``: regions at each administrative level, and their departments."""

from __future__ import annotations

import typer
from rich.table import Table

from huitong.catalog import service as catalog
from huitong.cli.context import command, console, state
from huitong.org import service
from huitong.org.model import AdminLevel

app = typer.Typer(no_args_is_help=True)
region_app = typer.Typer(no_args_is_help=True, help="Regions: 国家/省/市/县/乡 governments.")
dept_app = typer.Typer(no_args_is_help=True, help="Departments (部门) of a region.")
app.add_typer(region_app, name="region")
app.add_typer(dept_app, name="dept")


@region_app.command("add")
@command
def region_add(
    division_code: str = typer.Argument(..., help="6-digit 行政区划代码, e.g. 330100."),
    name: str = typer.Argument(..., help="Name, e.g. 杭州市."),
    parent: str | None = typer.Option(None, help="Parent region's division code."),
    level: str | None = typer.Option(
        None,
        help="Level (national/province/city/county/township or 国家/省/市/县/乡); default from the code.",
    ),
) -> None:
    """Register a region (a government at one level)."""
    with state.db.session() as s:
        region = service.add_region(s, state.actor(s), division_code, name, level=level, parent_code=parent)
        console.print(
            f"added region {region.division_code} {region.name} ({AdminLevel(region.level).label_zh})"
        )


@region_app.command("list")
@command
def region_list() -> None:
    """List regions."""
    with state.db.session() as s:
        table = Table("code 代码", "name 名称", "level 层级")
        for r in service.list_regions(s):
            table.add_row(r.division_code, r.name, AdminLevel(r.level).label_zh)
        console.print(table)


@dept_app.command("add")
@command
def dept_add(
    region: str = typer.Argument(..., help="Division code of the region it belongs to."),
    name: str = typer.Argument(..., help="Department name, e.g. 公安局."),
    code: str = typer.Argument(..., help="统一社会信用代码 (18) or a configured 机构代码."),
    short_name: str | None = typer.Option(None, help="Short name, e.g. 公安."),
) -> None:
    """Register a department (and its 部门 catalog node)."""
    with state.db.session() as s:
        dept = service.add_department(s, state.actor(s), region, name, code, short_name=short_name)
        console.print(
            f"added department {dept.code} {dept.name} in {dept.region.name} "
            f"(catalog node {catalog.department_class(s, dept)})"
        )


@dept_app.command("list")
@command
def dept_list() -> None:
    """List departments with their region and level."""
    with state.db.session() as s:
        table = Table("code 代码", "name 名称", "region 区域", "level 层级", "catalog node 目录节点")
        for d in service.list_departments(s):
            table.add_row(
                d.code,
                d.name,
                f"{d.region.division_code} {d.region.name}",
                AdminLevel(d.region.level).label_zh,
                catalog.department_class(s, d),
            )
        console.print(table)
