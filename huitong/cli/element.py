"""``huitong element``: the standard data elements (数据元) and checking values against them."""

from __future__ import annotations

import typer
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.errors import HuitongError
from huitong.standards.elements import validate_value
from huitong.standards.store import as_element, get_element, list_elements

app = typer.Typer(no_args_is_help=True)


@app.command("list")
@command
def list_() -> None:
    """List data elements."""
    with state.db.session() as s:
        table = Table("id", "name 名称", "english", "type", "length", "grade 分级", "masking 脱敏")
        for e in list_elements(s):
            table.add_row(
                e.identifier,
                e.name_zh,
                e.name_en,
                e.data_type,
                str(e.length or ""),
                e.default_grade,
                e.mask_rule,
            )
        console.print(table)


@app.command("check")
@command
def check(
    element: str = typer.Argument(..., help="Identifier or Chinese name, e.g. 公民身份号码."),
    value: str = typer.Argument(...),
) -> None:
    """Check one value against a data element; exits 1 if it is invalid."""
    with state.db.session() as s:
        el = as_element(get_element(s, element))
    result = validate_value(el, value)
    for f in result.findings:
        colour = "red" if f.severity == "error" else "yellow"
        console.print(f"[{colour}]{f.severity}[/]: {f.message} ({f.message_zh})", highlight=False)
    if not result.ok:
        raise HuitongError(f"{value!r} is not a valid {el.name_zh}")
    console.print(f"[green]valid[/] {el.name_zh}: {result.value}")
