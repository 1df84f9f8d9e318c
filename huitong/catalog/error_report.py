"""A refused import handed back as the department's own workbook, with every bad cell marked.

Departments fix catalog files in Excel, not by reading a terminal listing, so the report
is a copy of their file: each problem's cell is filled red and carries a comment saying
what is wrong, and a first sheet 错误报告 lists every problem with a link to its cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from huitong.errors import Problem

REPORT_SHEET = "错误报告"
BAD_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
HEADERS = ("工作表 sheet", "行 row", "列 column", "问题 problem", "原值 value")


def _letter(column: str | None) -> str:
    """Problem columns read like ``C (信息资源名称)``; the letter comes first."""
    if not column:
        return "A"
    head = column.split(" ", 1)[0].strip().upper()
    try:
        column_index_from_string(head)
    except ValueError:
        return "A"
    return head


def report_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}.errors.xlsx")


def write_error_report(source: Path, problems: Sequence[Problem], out: Path | None = None) -> Path:
    """Write the marked-up copy and return its path (``<name>.errors.xlsx`` beside the source)."""
    out = out or report_path(source)
    try:
        wb = load_workbook(source)
    except (InvalidFileException, OSError, KeyError, ValueError):
        wb = Workbook()  # not a workbook we can open: the listing alone still helps
        wb.active.title = "_"
    if REPORT_SHEET in wb.sheetnames:
        del wb[REPORT_SHEET]
    listing = wb.create_sheet(REPORT_SHEET, 0)
    listing.append(HEADERS)
    for cell in listing[1]:
        cell.font = Font(bold=True)
    notes: dict[tuple[str, str], list[str]] = {}
    for p in problems:
        listing.append((p.sheet or "", p.row, p.column or p.field or "", p.message, p.value))
        if p.sheet in wb.sheetnames and p.row:
            ref = f"{_letter(p.column)}{p.row}"
            notes.setdefault((p.sheet, ref), []).append(p.message)
            link = listing.cell(row=listing.max_row, column=4)
            link.hyperlink = f"#'{p.sheet}'!{ref}"
            link.font = Font(color="0563C1", underline="single")
    for (sheet, ref), messages in notes.items():
        cell = wb[sheet][ref]
        cell.fill = BAD_FILL
        cell.comment = Comment("\n".join(dict.fromkeys(messages)), "huitong", width=320, height=120)
    for i, width in enumerate((14, 8, 24, 60, 24), start=1):
        listing.column_dimensions[get_column_letter(i)].width = width
    listing.freeze_panes = "A2"
    if "_" in wb.sheetnames and len(wb.sheetnames) > 1:
        del wb["_"]
    wb.active = 0
    wb.save(out)
    return out
