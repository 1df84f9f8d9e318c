"""``huitong catalog``: register, import, review, publish and search catalog entries."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from huitong.catalog import service
from huitong.catalog.model import FormatClass, Grade, OpenType, ShareType, Status, UpdateCycle
from huitong.cli.context import command, console, state
from huitong.errors import HuitongError

app = typer.Typer(no_args_is_help=True)


def _one_spec(path: Path):
    from huitong.catalog.json_io import read_json_catalog, spec_from_dict

    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HuitongError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if isinstance(doc, dict) and "resources" in doc:
        entries = read_json_catalog(text)
        if len(entries) != 1:
            raise HuitongError(
                f"{path}: holds {len(entries)} resources; use `huitong catalog import` for many"
            )
        return entries[0][1]
    return spec_from_dict(doc)


@app.command("add")
@command
def add(file: Path = typer.Argument(..., help="JSON file describing one resource.")) -> None:
    """Register a new entry (as a draft) from a JSON description."""
    spec = _one_spec(file)
    with state.db.session() as s:
        res = service.create(s, state.actor(s), spec)
        console.print(f"registered {res.code} {res.name} (draft)")


@app.command("edit")
@command
def edit(
    code: str, file: Path = typer.Argument(..., help="JSON file with the entry's new description.")
) -> None:
    """Change an entry; a revision records what changed."""
    spec = _one_spec(file)
    with state.db.session() as s:
        res, changes = service.update_entry(s, state.actor(s), code, spec)
        console.print(f"{res.code}: {len(changes)} field(s) changed")


@app.command("import")
@command
def import_(
    file: Path = typer.Argument(..., help="Filled-in Excel template (.xlsx) or JSON catalog."),
    submit: bool = typer.Option(False, help="Submit the imported entries for review."),
    publish: bool = typer.Option(False, help="Submit and publish (platform operator only)."),
    error_report: bool = typer.Option(
        True,
        "--error-report/--no-error-report",
        help="On problems, write <file>.errors.xlsx marking each bad cell.",
    ),
) -> None:
    """Import many entries: a file with any problem imports nothing, and every problem is listed."""
    from huitong.catalog.error_report import write_error_report
    from huitong.catalog.importer import import_file

    try:
        with state.db.session() as s:
            rep = import_file(s, state.actor(s), file, submit=submit, publish=publish)
    except HuitongError as exc:
        if error_report and exc.problems and file.suffix.lower() in (".xlsx", ".xlsm"):
            out = write_error_report(file, exc.problems)
            exc.message += f"; each bad cell is marked in {out}"
        raise
    console.print(
        f"imported {file.name}: {len(rep.created)} created, {len(rep.updated)} updated, "
        f"{len(rep.submitted)} submitted, {len(rep.published)} published"
    )


def _lists(s):
    from huitong.catalog.tables import ClassNode
    from huitong.org.service import list_departments
    from huitong.standards.store import list_elements

    nodes = [(n.code, n.name) for n in s.query(ClassNode).order_by(ClassNode.code)]
    depts = [(d.code, f"{d.region.name}{d.name}") for d in list_departments(s)]
    elements = [(e.identifier, e.name_zh) for e in list_elements(s)]
    return {"class_nodes": nodes, "departments": depts, "elements": elements}


@app.command("template")
@command
def template(out: Path = typer.Argument(Path("catalog-template.xlsx"))) -> None:
    """Write an empty Excel template with this platform's code lists as drop-downs."""
    from huitong.catalog.excel_template import write_template

    with state.db.session() as s:
        write_template(out, **_lists(s))
    console.print(f"wrote {out}")


@app.command("export")
@command
def export(
    out: Path = typer.Argument(..., help="Output .xlsx or .json."),
    status: str | None = typer.Option(None, help="Only entries with this status."),
    provider: str | None = typer.Option(None, help="Only this department's entries (code)."),
) -> None:
    """Export entries (those you may see) to the Excel template or JSON."""
    with state.db.session() as s:
        rows = service.list_entries(s, state.actor(s), status=status, provider_code=provider, limit=10**9)
        entries = [(r.code, service.spec_of(r)) for r in rows]
        if out.suffix.lower() == ".json":
            from huitong.catalog.json_io import dump_json_catalog

            out.write_text(dump_json_catalog(entries), encoding="utf-8")
        elif out.suffix.lower() == ".xlsx":
            from huitong.catalog.excel_template import write_export

            write_export(out, entries, **_lists(s))
        else:
            raise HuitongError(f"{out}: export writes .xlsx or .json")
    console.print(f"exported {len(entries)} entries to {out}")


@app.command("list")
@command
def list_(
    status: str | None = typer.Option(None, help="draft, submitted, returned, published or retired."),
    provider: str | None = typer.Option(None, help="Department code."),
    limit: int = typer.Option(100),
) -> None:
    """List entries you may see."""
    with state.db.session() as s:
        table = Table("code 代码", "name 名称", "provider 提供方", "share 共享", "status 状态")
        for r in service.list_entries(s, state.actor(s), status=status, provider_code=provider, limit=limit):
            table.add_row(
                r.code, r.name, r.provider.name, ShareType(r.share_type).label_zh, Status(r.status).label_zh
            )
        console.print(table)


@app.command("show")
@command
def show(code: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show one entry with its data items."""
    with state.db.session() as s:
        res = service.get(s, state.actor(s), code)
        snap = service.snapshot(res)
    if as_json:
        console.print_json(json.dumps(snap, ensure_ascii=False))
        return
    console.print(f"[bold]{escape(res.code)}  {escape(res.name)}[/]  ({Status(res.status).label_zh})")
    rows = [
        ("提供方 provider", f"{res.provider.name} ({res.provider.code})"),
        ("分类 classification", res.class_code + (" + " + ", ".join(res.also_in) if res.also_in else "")),
        ("摘要 summary", res.summary),
        ("格式 format", f"{FormatClass(res.format_class).label_zh} {res.format_type or ''}"),
        (
            "共享 sharing",
            f"{ShareType(res.share_type).label_zh}; {res.share_condition or ''}"
            f"{'; 依据 ' + res.share_basis if res.share_basis else ''}",
        ),
        ("开放 open", f"{OpenType(res.open_type).label_zh} {res.open_condition or ''}"),
        ("更新周期 update cycle", UpdateCycle(res.update_cycle).label_zh),
        ("分级 grade", Grade(res.grade).label_zh),
        ("发布日期 published", str(res.publish_date or "")),
        ("标签 tags", ", ".join(res.tags or [])),
    ]
    if res.return_reason:
        rows.append(("退回原因 returned because", res.return_reason))
    for k, v in rows:
        console.print(f"  {k}: {escape(v)}", highlight=False)
    table = Table("#", "item 信息项", "type", "length", "element 数据元", "grade 分级")
    for it in res.items:
        table.add_row(
            str(it.position),
            it.name,
            it.data_type,
            str(it.length or ""),
            it.element or "",
            Grade(it.grade).label_zh,
        )
    console.print(table)


@app.command("search")
@command
def search(
    query: str = typer.Argument("", help="Words, fragments or pinyin initials, e.g. 户籍 or hjrk."),
    filter_: list[str] = typer.Option([], "--filter", "-f", help="facet=value, e.g. share_type=conditional."),
    page: int = typer.Option(1),
    per_page: int = typer.Option(10),
) -> None:
    """Search the catalog (Chinese words, fragments, pinyin) with facets."""
    from huitong.catalog.search_service import search_page

    filters: dict[str, list[str]] = {}
    for f in filter_:
        key, sep, value = f.partition("=")
        if not sep:
            raise HuitongError(f"filter {f!r}: write facet=value")
        filters.setdefault(key.strip(), []).append(value.strip())
    with state.db.session() as s:
        out = search_page(state.db, s, state.actor(s), query, filters=filters, page=page, per_page=per_page)
    console.print(f"{out['total']} result(s)")
    for hit in out["results"]:
        name = hit["name_html"].replace("<mark>", "[bold yellow]").replace("</mark>", "[/]")
        console.print(
            f"  {hit['code']}  {name}  [dim]{hit['provider_name']} · {hit['share_type_zh']} · "
            f"{hit['status_zh']}[/]",
            highlight=False,
        )
    for facet, values in out["facets"].items():
        if values:
            shown = ", ".join(f"{v['label']}={v['value']} ({v['count']})" for v in values[:6])
            console.print(f"  [dim]{facet}:[/] {shown}", highlight=False)


def _transition(fn, code: str, *args) -> None:
    with state.db.session() as s:
        res = fn(s, state.actor(s), code, *args)
        console.print(f"{res.code}: {Status(res.status).label_zh} ({res.status})")


@app.command("submit")
@command
def submit(code: str) -> None:
    """Submit a draft or returned entry for review by the platform operator."""
    _transition(service.submit, code)


@app.command("review")
@command
def review(
    code: str,
    decision: str = typer.Argument(..., help="approve or return"),
    reason: str | None = typer.Option(None, help="Why it is returned (required to return)."),
) -> None:
    """Review a submitted entry: approve (publish) or return it with a reason."""
    _transition(service.review, code, decision, reason)


@app.command("publish")
@command
def publish(code: str) -> None:
    """Publish a submitted entry (platform operator)."""
    _transition(service.publish, code)


@app.command("retire")
@command
def retire(code: str, reason: str | None = typer.Option(None)) -> None:
    """Retire an entry (it stays in history)."""
    _transition(service.retire, code, reason)


@app.command("history")
@command
def history(code: str) -> None:
    """Every revision of an entry: who, when, what."""
    with state.db.session() as s:
        table = Table("rev", "when", "who", "action", "changed fields", "reason")
        for r in service.revisions(s, state.actor(s), code):
            fields = ", ".join(c["field"] for c in r.changes[:8]) + (" …" if len(r.changes) > 8 else "")
            table.add_row(
                str(r.rev), f"{r.at:%Y-%m-%d %H:%M}", r.actor_name, r.action, fields, r.reason or ""
            )
        console.print(table)


@app.command("diff")
@command
def diff(code: str, rev_a: int, rev_b: int) -> None:
    """What changed between two revisions."""
    with state.db.session() as s:
        changes = service.diff(s, state.actor(s), code, rev_a, rev_b)
    if not changes:
        console.print("no differences")
    for c in changes:
        console.print(
            f"  {c.field}: [red]{escape(str(c.before))}[/] → [green]{escape(str(c.after))}[/]",
            highlight=False,
        )


@app.command("classes")
@command
def classes(root: str | None = typer.Argument(None, help="1 基础, 2 主题 or 3 部门")) -> None:
    """The classification trees (类/项/目/细目)."""
    from huitong.catalog.tables import ClassNode

    with state.db.session() as s:
        q = s.query(ClassNode).order_by(ClassNode.code)
        for n in q:
            if root and not n.code.startswith(root):
                continue
            depth = {1: 0, 3: 1, 6: 2}.get(len(n.code), 3)
            console.print(f"{'  ' * depth}{n.code}  {n.name}", highlight=False)
