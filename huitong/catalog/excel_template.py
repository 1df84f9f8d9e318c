"""The Excel template departments fill in to register resources (信息资源), and its reader.

Most catalog entries arrive as a filled-in workbook, so the reader's job is to point at the
exact cell to fix (``K 共享依据``, row 7) rather than to fail on the first oddity. The
layout is driven by the column tables below, so the writer, the reader and the cell
locator cannot drift apart. Database-level checks (unknown provider, name already in the
catalog) belong to the import service, which turns its field problems into cell problems
with :func:`locate`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from huitong.catalog import rules
from huitong.catalog.classification import CODE_RE
from huitong.catalog.model import (
    DataItem,
    DataType,
    FormatClass,
    Grade,
    OpenType,
    ResourceSpec,
    ShareChannel,
    ShareMode,
    ShareType,
    UpdateCycle,
)
from huitong.errors import HuitongError, Problem, invalid
from huitong.standards.normalise import NormaliseError, parse_bool, parse_date, parse_integer

TEMPLATE_ID = "huitong-catalog-template v1"
TEMPLATE_CELL = "Z1"  # in a hidden column of the instructions sheet
HELP_SHEET, RESOURCE_SHEET, ITEM_SHEET, CODE_SHEET = "填写说明", "信息资源", "信息项", "代码表"
YES, NO = "是", "否"
LAST_ROW = 1048576  # drop-downs cover the whole column below the header

# ---------------------------------------------------------------- layout


@dataclass(frozen=True)
class TemplateColumn:
    """One template column; ``key`` is the ResourceSpec / DataItem attribute it fills."""

    key: str
    zh: str
    kind: str = "text"  # text, code, codes, tags, enum, date, int, bool
    required: bool = False
    choices: str | None = None  # name of a list on the 代码表 sheet
    width: int = 16
    enum: type[Enum] | None = None

    @property
    def header(self) -> str:
        return f"{'*' if self.required else ''}{self.zh} ({self.key})"


def _enum(key: str, zh: str, enum: type[Enum], *, required: bool = True, width: int = 14) -> TemplateColumn:
    return TemplateColumn(key, zh, "enum", required, zh, width, enum)


CODE_COLUMN = TemplateColumn("code", "资源代码", "code", width=18)
RESOURCE_COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("name", "信息资源名称", required=True, width=30),
    TemplateColumn("name_en", "英文名称", width=24),
    TemplateColumn("class_code", "信息资源分类", "code", True, "信息资源分类", 26),
    TemplateColumn("also_in", "附加分类", "codes", width=16),
    TemplateColumn("provider_code", "提供方代码", "code", True, "提供方", 26),
    TemplateColumn("summary", "信息资源摘要", required=True, width=40),
    _enum("format_class", "格式分类", FormatClass),
    TemplateColumn("format_type", "格式类型", width=12),
    _enum("share_type", "共享类型", ShareType),
    TemplateColumn("share_condition", "共享条件", width=24),
    TemplateColumn("share_basis", "共享依据", width=24),
    _enum("share_channel", "共享方式分类", ShareChannel, required=False, width=16),
    _enum("share_mode", "共享方式类型", ShareMode),
    _enum("open_type", "开放类型", OpenType),
    TemplateColumn("open_condition", "开放条件", width=24),
    _enum("update_cycle", "更新周期", UpdateCycle, width=12),
    TemplateColumn("publish_date", "发布日期", "date", width=14),
    TemplateColumn("related_codes", "关联资源代码", "codes", width=22),
    TemplateColumn("source_system", "所属系统", width=20),
    TemplateColumn("authoritative_code", "数源部门代码", "code", choices="提供方", width=26),
    TemplateColumn("tags", "标签", "tags", width=20),
)
ITEM_COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("resource", "信息资源名称", required=True, width=30),
    TemplateColumn("name", "信息项名称", required=True, width=24),
    TemplateColumn("name_en", "英文名", width=20),
    _enum("data_type", "数据类型", DataType, width=12),
    TemplateColumn("length", "长度", "int", width=8),
    TemplateColumn("element", "数据元", "code", choices="数据元", width=28),
    _enum("grade", "分级", Grade, required=False, width=12),
    TemplateColumn("is_key", "是否主键", "bool", choices="是否", width=10),
    TemplateColumn("required", "是否必填", "bool", choices="是否", width=10),
    TemplateColumn("description", "说明", width=30),
)
ENUM_LISTS: dict[str, type[Enum]] = {c.zh: c.enum for c in RESOURCE_COLUMNS + ITEM_COLUMNS if c.enum}

# check_spec fields whose verdict means nothing when one of these cells could not be read
DEPENDS = {
    "share_basis": {"share_type"},
    "share_condition": {"share_type"},
    "open_condition": {"open_type"},
    "share_mode": {"format_class", "share_mode", "share_type"},
    "items": {"format_class"},
}
PLACEHOLDER = {
    "format_class": FormatClass.file,
    "share_type": ShareType.unconditional,
    "share_mode": ShareMode.file,
    "open_type": OpenType.none,
    "update_cycle": UpdateCycle.irregular,
    "data_type": DataType.C,
}


def _default_columns(columns: Sequence[TemplateColumn]) -> dict[str, str]:
    return {c.key: f"{get_column_letter(i)} {c.zh}" for i, c in enumerate(columns, start=1)}


# ---------------------------------------------------------------- result types


@dataclass
class ImportedResource:
    """One resource row that passed every check; rows and columns let later problems find their cell.

    ``item_rows`` is keyed like :func:`rules.check_spec` counts items: from 1.
    """

    spec: ResourceSpec
    code: str | None
    row: int
    item_rows: dict[int, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=lambda: _default_columns(RESOURCE_COLUMNS), repr=False)
    item_columns: dict[str, str] = field(default_factory=lambda: _default_columns(ITEM_COLUMNS), repr=False)


@dataclass
class TemplateImport:
    """What a template holds: ``resources`` are the rows without any problem.

    A caller may refuse the whole file while ``problems`` is non-empty, or import the clean rows.
    """

    resources: list[ImportedResource]
    problems: list[Problem]


# ---------------------------------------------------------------- writing


def write_template(
    path: str | Path | IO[bytes],
    *,
    class_nodes: Iterable[tuple[str, str]],
    departments: Iterable[tuple[str, str]],
    elements: Iterable[tuple[str, str]],
    resources: Iterable[tuple[str | None, ResourceSpec]] = (),
) -> None:
    """An empty (or pre-filled) template; the 资源代码 column appears only when some row has a code."""
    resources = list(resources)
    _write(
        path,
        resources,
        with_code=any(code for code, _ in resources),
        class_nodes=class_nodes,
        departments=departments,
        elements=elements,
    )


def write_export(
    path: str | Path | IO[bytes],
    resources: Iterable[tuple[str, ResourceSpec]],
    *,
    class_nodes: Iterable[tuple[str, str]],
    departments: Iterable[tuple[str, str]],
    elements: Iterable[tuple[str, str]],
) -> None:
    """The catalog in the template's own layout, so export → edit → import round-trips."""
    _write(
        path,
        list(resources),
        with_code=True,
        class_nodes=class_nodes,
        departments=departments,
        elements=elements,
    )


HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def _write(path, resources, *, with_code, class_nodes, departments, elements) -> None:
    lists = _code_lists(list(class_nodes), list(departments), list(elements))
    labels = {name: {v.split(" ", 1)[0]: v for v in values} for name, values in lists.items()}
    wb = openpyxl.Workbook()
    _write_help(wb.active)
    res_cols = ((CODE_COLUMN,) if with_code else ()) + RESOURCE_COLUMNS
    res_ws, item_ws = wb.create_sheet(RESOURCE_SHEET), wb.create_sheet(ITEM_SHEET)
    codes_ws = wb.create_sheet(CODE_SHEET)
    refs = _write_code_lists(codes_ws, lists)
    for ws, columns in ((res_ws, res_cols), (item_ws, ITEM_COLUMNS)):
        _write_headers(ws, columns)
        _add_dropdowns(ws, columns, refs)
    item_row = 2
    for res_row, (code, spec) in enumerate(resources, start=2):
        values = {"code": code, **{c.key: getattr(spec, c.key) for c in RESOURCE_COLUMNS}}
        for i, c in enumerate(res_cols, start=1):
            _set(res_ws.cell(res_row, i), _cell_value(c, values[c.key], labels))
        for item in spec.items:
            values = {"resource": spec.name, **{c.key: getattr(item, c.key) for c in ITEM_COLUMNS[1:]}}
            for i, c in enumerate(ITEM_COLUMNS, start=1):
                _set(item_ws.cell(item_row, i), _cell_value(c, values[c.key], labels))
            item_row += 1
    for ws, columns in ((res_ws, res_cols), (item_ws, ITEM_COLUMNS)):
        _format_body(ws, columns)
    codes_ws.sheet_state = "hidden"
    wb.save(path)


def _code_lists(class_nodes, departments, elements) -> dict[str, list[str]]:
    lists = {name: [m.label_zh for m in enum] for name, enum in ENUM_LISTS.items()}
    lists["是否"] = [YES, NO]
    lists["信息资源分类"] = [f"{code} {name}" for code, name in class_nodes]
    lists["提供方"] = [f"{code} {name}" for code, name in departments]
    lists["数据元"] = [f"{ident} {name}" for ident, name in elements]
    return lists


def _write_code_lists(ws, lists: dict[str, list[str]]) -> dict[str, str]:
    """One list per column of the hidden 代码表 sheet; returns list name → range formula."""
    refs = {}
    for col, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(col)
        ws.cell(1, col, name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            _set(ws.cell(row, col), value)
        ws.column_dimensions[letter].width = 30
        if values:
            refs[name] = f"'{CODE_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return refs


def _write_headers(ws, columns: Sequence[TemplateColumn]) -> None:
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(1, i, col.header)
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        cell.fill = REQUIRED_FILL if col.required else HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = col.width
        if col.kind in ("code", "codes"):
            ws.column_dimensions[letter].number_format = "@"  # keep leading zeros
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"


def _add_dropdowns(ws, columns: Sequence[TemplateColumn], refs: dict[str, str]) -> None:
    for i, col in enumerate(columns, start=1):
        if not col.choices or col.choices not in refs:
            continue
        strict = col.kind in ("enum", "bool")  # code lists may lag behind the platform: warn only
        dv = DataValidation(
            type="list",
            formula1=refs[col.choices],
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop" if strict else "warning",
            errorTitle=col.zh,
            error=f"请从下拉列表中选择{col.zh}",
        )
        letter = get_column_letter(i)
        dv.add(f"{letter}2:{letter}{LAST_ROW}")
        ws.add_data_validation(dv)


def _format_body(ws, columns: Sequence[TemplateColumn]) -> None:
    for i, col in enumerate(columns, start=1):
        if col.kind == "date":
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd"


def _cell_value(col: TemplateColumn, value: Any, labels: dict[str, dict[str, str]]) -> Any:
    if value is None:
        return None
    if col.kind == "enum":
        return value.label_zh
    if col.kind == "bool":
        return YES if value else NO
    if col.kind in ("codes", "tags"):
        return "；".join(value) or None
    if col.kind == "code" and col.choices:
        return labels.get(col.choices, {}).get(value, value)
    return value


def _set(cell, value: Any) -> None:
    """Write text as text: a name starting with '=' must not become a formula."""
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"


HELP_LINES = [
    "政务信息资源目录 填写模板 (汇通)",
    "",
    "1. 在「信息资源」表中每行填写一项信息资源；在「信息项」表中每行填写一个信息项，"
    "并用「信息资源名称」列关联到所属信息资源。",
    "2. 表头带 * 的列为必填项。有下拉列表的列请从列表中选择；分类、提供方和数据元可只填代码。",
    "3. 共享类型为「有条件共享」时必须填写共享条件和共享依据；「不予共享」时必须填写共享依据；"
    "开放类型为「有条件开放」时必须填写开放条件。",
    "4. 格式分类与共享方式类型须一致：电子文件、电子表格、图形图像 → 文件；数据库 → 数据库或接口；"
    "服务接口 → 接口。数据库和电子表格类资源须填写信息项。",
    "5. 发布日期可填 2023-01-05、2023/1/5、2023年1月5日 或 20230105。",
    "6. 附加分类、关联资源代码、标签可填多个，用分号（；或 ;）分隔。",
    "7. 资源代码由平台生成，仅在导出文件中出现，请勿修改；新增资源请留空。",
    "8. 空行会被忽略。请勿修改表头、删除或重命名工作表。",
    "",
    "English: fill one resource per row in 信息资源 and one data item per row in 信息项 (linked by "
    "信息资源名称); headers marked * are required; pick enumerated values from the drop-downs; "
    "do not rename headers or sheets.",
]


def _write_help(ws) -> None:
    ws.title = HELP_SHEET
    for row, line in enumerate(HELP_LINES, start=1):
        ws.cell(row, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 110
    ws[TEMPLATE_CELL] = TEMPLATE_ID
    ws.column_dimensions[TEMPLATE_CELL.rstrip("0123456789")].hidden = True


# ---------------------------------------------------------------- reading


class _Sheet:
    """A sheet's rows in memory plus where each known column is."""

    def __init__(self, name: str, rows: list[tuple], columns: Sequence[TemplateColumn]):
        self.name = name
        self.header = rows[0] if rows else ()
        self.body = rows[1:]
        self.index: dict[str, int] = {}  # key → 0-based position
        by_zh = {c.zh: c.key for c in columns}
        keys = {c.key for c in columns}
        for i, raw in enumerate(self.header):
            key = _header_key(raw, keys, by_zh)
            if key and key not in self.index:
                self.index[key] = i
        self.labels = {
            c.key: f"{get_column_letter(self.index[c.key] + 1)} {c.zh}"
            for c in columns
            if c.key in self.index
        }


def _header_key(raw: Any, keys: set[str], by_zh: dict[str, str]) -> str | None:
    text = unicodedata.normalize("NFKC", str(raw or "")).strip().strip("*").strip()
    m = re.search(r"\(\s*([A-Za-z_]+)\s*\)\s*$", text)
    if m and m.group(1) in keys:
        return m.group(1)
    zh = re.sub(r"\(.*\)\s*$", "", text).strip().strip("*").strip()
    return by_zh.get(zh)


def read_template(path: str | Path | IO[bytes], *, filename: str | None = None) -> TemplateImport:
    """Read a filled-in template; raises HuitongError only when the file is not this template at all."""
    if filename is None and isinstance(path, str | Path):
        filename = Path(path).name
    raw = _load(path, filename)
    structure: list[Problem] = []
    sheets = {}
    for name, columns in ((RESOURCE_SHEET, (CODE_COLUMN,) + RESOURCE_COLUMNS), (ITEM_SHEET, ITEM_COLUMNS)):
        if name not in raw:
            structure.append(
                Problem(f"missing sheet {name}: use the huitong catalog template", file=filename, sheet=name)
            )
            continue
        sheet = sheets[name] = _Sheet(name, raw[name], columns)
        for col in columns:
            if col is not CODE_COLUMN and col.key not in sheet.index:
                structure.append(
                    Problem(
                        f"missing column {col.zh} ({col.key})",
                        field=col.key,
                        file=filename,
                        sheet=name,
                        row=1,
                    )
                )
    version = raw.get("__template_id__")
    if version and version != TEMPLATE_ID:
        structure.insert(
            0,
            Problem(
                f"this file was made from {version!r}; download the current template ({TEMPLATE_ID})",
                file=filename,
                sheet=HELP_SHEET,
                value=version,
            ),
        )
    if structure:
        raise invalid(f"{filename or 'the file'} is not the huitong catalog template", *structure)
    return _Reader(filename, sheets[RESOURCE_SHEET], sheets[ITEM_SHEET]).run()


def _load(path, filename: str | None) -> dict[str, Any]:
    """All rows of the sheets we read, or a clear error for anything that is not a readable .xlsx."""
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            out: dict[str, Any] = {}
            for name in (RESOURCE_SHEET, ITEM_SHEET):
                if name in wb.sheetnames:
                    ws = wb[name]
                    ws.reset_dimensions()  # some producers write a wrong <dimension>
                    out[name] = [tuple(r) for r in ws.iter_rows(values_only=True)]
            if HELP_SHEET in wb.sheetnames:
                value = wb[HELP_SHEET][TEMPLATE_CELL].value
                out["__template_id__"] = str(value).strip() if value else None
            return out
        finally:
            wb.close()
    except Exception as exc:  # zip, XML and openpyxl errors alike: all mean "not a workbook we can read"
        name = filename or "the file"
        reason = type(exc).__name__
        raise HuitongError(
            f"{name} is not a readable Excel workbook (.xlsx): save it from the template "
            f"in Excel or WPS as .xlsx ({reason})",
            code="invalid",
            problems=[Problem("not an .xlsx workbook or the file is damaged", file=filename)],
            status=422,
        ) from None


@dataclass
class _Row:
    """A resource row while it is being read."""

    row: int
    values: dict[str, Any]
    code: str | None = None
    items: list[DataItem] = field(default_factory=list)
    item_rows: dict[int, int] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)  # keys whose cell could not be read
    item_failed: dict[int, set[str]] = field(default_factory=dict)
    bad: bool = False


class _Reader:
    def __init__(self, filename: str | None, resources: _Sheet, items: _Sheet):
        self.filename = filename
        self.res, self.itm = resources, items
        self.problems: list[Problem] = []
        self.cells: set[tuple[str, int, str | None]] = set()
        self.by_name: dict[str, _Row] = {}

    def problem(
        self, sheet: _Sheet, row: int, key: str, message: str, value: Any = None, *, field: str | None = None
    ) -> None:
        column = sheet.labels.get(key)
        if (sheet.name, row, column) in self.cells:
            return  # one message per cell is enough: fix it and the next shows up
        self.cells.add((sheet.name, row, column))
        self.problems.append(
            Problem(
                message,
                field=field or key,
                file=self.filename,
                sheet=sheet.name,
                row=row,
                column=column,
                value=None if value is None else str(value),
            )
        )

    def run(self) -> TemplateImport:
        rows = self._read_resources()
        self._read_items(rows)
        clean = []
        for r in rows:
            spec = self._spec(r)
            for p in rules.check_spec(spec):
                self._place(r, p)
            if not r.bad:
                clean.append(
                    ImportedResource(
                        spec, r.code, r.row, dict(r.item_rows), dict(self.res.labels), dict(self.itm.labels)
                    )
                )
        order = {RESOURCE_SHEET: 0, ITEM_SHEET: 1}
        self.problems.sort(key=lambda p: (order.get(p.sheet, 2), p.row or 0, _column_index(p.column)))
        return TemplateImport(clean, self.problems)

    def _cells(self, sheet: _Sheet, columns: Sequence[TemplateColumn], values: tuple) -> dict[str, Any]:
        """Trimmed cell values by key; short rows and absent optional columns read as blank."""
        out = {}
        for c in columns:
            i = sheet.index.get(c.key)
            out[c.key] = _trim(values[i]) if i is not None and i < len(values) else None
        return out

    def _read_resources(self) -> list[_Row]:
        rows: list[_Row] = []
        seen: dict[str, int] = {}
        columns = (CODE_COLUMN,) + RESOURCE_COLUMNS
        for n, values in enumerate(self.res.body, start=2):
            cells = self._cells(self.res, columns, values)
            if all(v is None for v in cells.values()):
                continue
            r = _Row(n, {})
            for col in columns:
                ok, value = self._parse(self.res, n, col, cells[col.key])
                r.values[col.key] = value
                if not ok:
                    r.failed.add(col.key)
            r.code = r.values.pop("code")
            if r.code and not CODE_RE.match(r.code):
                self.problem(
                    self.res,
                    n,
                    "code",
                    f"{r.code!r} is not a resource code (e.g. 101001/00001); "
                    "leave 资源代码 as exported, or empty for a new resource",
                    r.code,
                )
                r.failed.add("code")
            key = rules.normalise_name(r.values["name"] or "")
            if key and key in seen:
                self.problem(
                    self.res,
                    n,
                    "name",
                    f"信息资源名称 repeats row {seen[key]} (names that differ only "
                    "in spaces, punctuation, case or width are the same resource)",
                    r.values["name"],
                )
                r.bad = True
            elif key:
                seen[key] = n
            r.bad = r.bad or bool(r.failed)
            rows.append(r)
        for r in rows:
            self.by_name.setdefault(rules.normalise_name(r.values["name"] or ""), r)
        return rows

    def _read_items(self, rows: list[_Row]) -> None:
        for n, values in enumerate(self.itm.body, start=2):
            cells = self._cells(self.itm, ITEM_COLUMNS, values)
            if all(v is None for v in cells.values()):
                continue
            parsed, failed = {}, set()
            for col in ITEM_COLUMNS:
                ok, parsed[col.key] = self._parse(self.itm, n, col, cells[col.key])
                if not ok:
                    failed.add(col.key)
            link = parsed.pop("resource")
            owner = self.by_name.get(rules.normalise_name(link or "")) if link else None
            if link and owner is None:
                self.problem(
                    self.itm, n, "resource", f"no row in sheet {RESOURCE_SHEET} is named {link!r}", link
                )
            if owner is None:
                continue
            parsed = {k: (PLACEHOLDER.get(k) if k in failed else v) for k, v in parsed.items()}
            parsed["is_key"], parsed["required"] = bool(parsed["is_key"]), bool(parsed["required"])
            owner.items.append(DataItem(**{**parsed, "name": parsed["name"] or ""}))
            index = len(owner.items)
            owner.item_rows[index] = n
            owner.item_failed[index] = failed
            owner.bad = owner.bad or bool(failed)

    def _parse(self, sheet: _Sheet, row: int, col: TemplateColumn, value: Any) -> tuple[bool, Any]:
        """(ok, value); reports the cell's problem itself."""
        if value is None:
            if col.required:
                self.problem(sheet, row, col.key, f"{col.zh} is required (必填)")
                return False, PLACEHOLDER.get(col.key, "")
            return True, _EMPTY.get(col.kind)
        try:
            return True, PARSERS[col.kind](value, col)
        except ValueError as exc:
            self.problem(sheet, row, col.key, str(exc), _show(value))
            return False, PLACEHOLDER.get(col.key, _EMPTY.get(col.kind))

    def _spec(self, r: _Row) -> ResourceSpec:
        values = {k: (PLACEHOLDER.get(k, v) if k in r.failed else v) for k, v in r.values.items()}
        if values["share_channel"] is None:
            values["share_channel"] = ShareChannel.platform
        values = {
            k: ("" if v is None and k in ("name", "class_code", "provider_code", "summary") else v)
            for k, v in values.items()
        }
        return ResourceSpec(**values, items=list(r.items))

    def _place(self, r: _Row, p: Problem) -> None:
        """Put a check_spec problem on its cell, unless a cell it depends on was unreadable."""
        f = p.field or ""
        m = re.fullmatch(r"items\[(\d+)\]\.(\w+)", f)
        if m:
            index, key = int(m.group(1)), m.group(2)
            if key in r.item_failed.get(index, ()):
                return
            self.problem(self.itm, r.item_rows[index], key, p.message, p.value)
        elif not DEPENDS.get(f, set()) & r.failed and f not in r.failed:
            self.problem(self.res, r.row, f if f in self.res.labels else "name", p.message, p.value, field=f)
        else:
            return
        r.bad = True


def locate(imported: ImportedResource, problem: Problem, filename: str | None = None) -> Problem:
    """Turn a field-named problem (``provider_code``, ``items[3].element``) into a cell-level one."""
    f = problem.field or ""
    m = re.fullmatch(r"items\[(\d+)\]\.(\w+)", f)
    if m and int(m.group(1)) in imported.item_rows:
        sheet, row, column = (
            ITEM_SHEET,
            imported.item_rows[int(m.group(1))],
            imported.item_columns.get(m.group(2)),
        )
    else:
        sheet, row = RESOURCE_SHEET, imported.row
        column = imported.columns.get(f) or imported.columns.get("name")
    return Problem(
        problem.message,
        field=problem.field,
        file=filename,
        sheet=sheet,
        row=row,
        column=column,
        value=problem.value,
    )


def _column_index(column: str | None) -> int:
    return column_index_from_string(column.split(" ", 1)[0]) if column else 0


# ---------------------------------------------------------------- cell parsers


def _trim(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _show(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _text(value: Any, col: TemplateColumn | None = None) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return str(value).strip()


def _nfkc(value: Any) -> str:
    return unicodedata.normalize("NFKC", _text(value)).strip()


def _code(value: Any, col: TemplateColumn) -> str:
    """Drop-downs show ``code name``; the code is the first word."""
    return _nfkc(value).split()[0]


LIST_SPLIT = re.compile(r"[;；,，、\s]+")
TAG_SPLIT = re.compile(r"[;；,，、\n]+")


def _codes(value: Any, col: TemplateColumn) -> list[str]:
    return [p for p in LIST_SPLIT.split(_nfkc(value)) if p]


def _tags(value: Any, col: TemplateColumn) -> list[str]:
    return [p.strip() for p in TAG_SPLIT.split(_text(value)) if p.strip()]


def _enum_value(value: Any, col: TemplateColumn):
    text = _nfkc(value)
    for candidate in (text, text.split()[0], re.sub(r"[A-Z]$", "", text)):
        try:
            return col.enum.parse(candidate)
        except HuitongError:
            continue
    choices = "、".join(m.label_zh for m in col.enum)
    raise ValueError(f"{text!r} is not a {col.zh}; choose from the drop-down: {choices}")


def _date(value: Any, col: TemplateColumn) -> date:
    """Read by the one normaliser the loads use: 2023-01-05, 2023/1/5, 2023年1月5日, 20230105 or an
    Excel date serial."""
    if isinstance(value, datetime):
        return value.date()
    try:
        return parse_date(value)
    except NormaliseError:
        text = _nfkc(value)
        raise ValueError(
            f"{text!r} is not a date; write 2023-01-05, 2023/1/5, 2023年1月5日 or 20230105"
        ) from None


def _int(value: Any, col: TemplateColumn) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{col.zh} must be a whole number")
    try:
        return parse_integer(value)
    except NormaliseError:
        text = _nfkc(value)
        raise ValueError(f"{text!r} is not a number; {col.zh} must be a whole number such as 18") from None


def _bool(value: Any, col: TemplateColumn) -> bool:
    try:
        return parse_bool(value)
    except NormaliseError:
        raise ValueError(f"{_nfkc(value).casefold()!r} is not 是 or 否") from None


PARSERS = {
    "text": _text,
    "code": _code,
    "codes": _codes,
    "tags": _tags,
    "enum": _enum_value,
    "date": _date,
    "int": _int,
    "bool": _bool,
}
_EMPTY: dict[str, Any] = {"codes": [], "tags": [], "bool": False}
