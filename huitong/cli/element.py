"""``huitong element``: the standard data elements (数据元) and checking values against them."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from huitong.cli.context import command, console, state
from huitong.errors import HuitongError
from huitong.standards.elements import validate_value
from huitong.standards.store import as_dict, as_element, get_element, list_elements

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


@app.command("show")
@command
def show(
    element: str = typer.Argument(..., help="Identifier or Chinese name, e.g. DE01001 or 公民身份号码."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one data element: its type, checks, code table, grade and masking rule."""
    with state.db.session() as s:
        e = get_element(s, element)
        doc = as_dict(e)
    if as_json:
        console.print_json(json.dumps(doc, ensure_ascii=False))
        return
    console.print(f"[bold]{escape(e.identifier)}  {escape(e.name_zh)}[/]  ({escape(e.name_en)})")
    rows = [
        ("类型 type", f"{e.data_type}{f'({e.length})' if e.length else ''}"),
        ("校验 validator", e.validator or ""),
        ("格式 pattern", e.pattern or ""),
        ("分级 grade", e.default_grade),
        ("脱敏 masking", e.mask_rule),
        ("说明 description", e.description or ""),
    ]
    for label, value in rows:
        if value:
            console.print(f"  {label}: {escape(str(value))}", highlight=False)
    if e.value_domain:
        table = Table("code 代码", "meaning 含义", title="值域 code table")
        for code, meaning in e.value_domain.items():  # 代码表: code -> meaning
            table.add_row(str(code), str(meaning))
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
