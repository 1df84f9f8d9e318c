"""Excel workbooks: .xlsx/.xlsm through openpyxl, legacy .xls through xlrd.

The file's bytes, not its name, decide the reader: a ".xls" exported by many government
systems is really HTML or an .xlsx, and a password-protected .xlsx is an OLE container.  Each
case gets a message saying what to do instead of a library's traceback.

Cell values are passed on as Excel holds them, with two corrections a person expects:
dates come as ``date`` (``datetime`` when there is a time of day), and numbers Excel stores as
floating point come back exact: whole numbers as ``int`` (13800138000, not 13800138000.0),
others as ``Decimal`` of the shortest form that reads back as the same float (what Excel
shows).  A whole number of 16 or more digits cannot be trusted: Excel keeps 15 significant
digits, so an ID number typed as a number (1.10105199001011E+17) has already lost its last
digits.  Such a cell is reported on its row and column, never passed on mangled.

Cells covered by a merged range in the data take the merged value, as a person sees it (a
"街道" merged down over the rows of its residents applies to each of them).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from huitong.aggregate.sources.base import (
    DEFAULT_BATCH_SIZE,
    Description,
    Row,
    SheetInfo,
    Skipped,
    Source,
    chunked,
    file_digest,
    register,
)
from huitong.aggregate.sources.delimited import check_file
from huitong.aggregate.sources.tabular import HEAD_ROWS, Bad, Layout, Merge, RawRow, find_layout, to_rows
from huitong.errors import HuitongError, Problem, invalid

CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
EXACT_DIGITS = 15  # Excel's precision: 15 significant decimal digits
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def excel_number(value: float) -> Any:
    """An Excel number as an exact Python value, or :class:`Bad` when digits were lost."""
    if not math.isfinite(value):
        return Bad("the cell holds a number Excel cannot represent", value)
    if value.is_integer():
        if abs(value) >= 10**EXACT_DIGITS:
            return Bad(
                f"the number {value:.{EXACT_DIGITS}G} has more than {EXACT_DIGITS} digits: Excel keeps only "
                f"{EXACT_DIGITS}, so its last digits are already lost. ID, account and card numbers must be "
                "entered as text (format the column as 文本 Text and type them again)",
                f"{value:.{EXACT_DIGITS}G}",
            )
        return int(value)
    return Decimal(repr(value))


def excel_datetime(value: datetime) -> date | datetime:
    return value.date() if value.time() == datetime.min.time() else value


def _refuse(name: str, message: str) -> HuitongError:
    return invalid(f"{name}: {message}", Problem(message, file=name))


class _XlsxBook:
    """openpyxl in read-only mode: rows are streamed, so large sheets do not fill memory."""

    def __init__(self, path: Path, name: str):
        import openpyxl

        try:
            self.wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # zip, XML and openpyxl errors alike: the workbook is unreadable
            raise _refuse(
                name, f"not a readable .xlsx workbook or the file is damaged ({type(exc).__name__})"
            ) from None
        self.path = path
        # read before any sheet's dimensions are reset for streaming
        self._sheets = [
            SheetInfo(ws.title, i, self._used_rows(ws), ws.sheet_state != "visible")
            for i, ws in enumerate(self.wb.worksheets)
        ]

    @staticmethod
    def _used_rows(ws: Any) -> int:
        rows = ws.max_row or 0
        if rows <= 1:  # an empty sheet still records A1 as its dimension
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            rows = int(any(v is not None for v in first))
        return rows

    def sheets(self) -> list[SheetInfo]:
        return self._sheets

    def merges(self, index: int) -> list[Merge]:
        """Merged ranges, found by scanning the sheet XML (read-only openpyxl does not keep them)."""
        ws = self.wb.worksheets[index]
        found: list[Merge] = []
        tail = b""
        with zipfile.ZipFile(self.path) as z, z.open(ws._worksheet_path) as f:
            while chunk := f.read(1 << 20):
                data = tail + chunk
                last = 0
                for m in _MERGE.finditer(data):
                    c1, r1, c2, r2 = m.groups()
                    found.append((int(r1), _col_index(c1), int(r2), _col_index(c2)))
                    last = m.end()
                tail = data[max(last, len(data) - 256) :]
        return sorted(set(found))

    def rows(self, index: int) -> Iterator[RawRow]:
        ws = self.wb.worksheets[index]
        ws.reset_dimensions()  # some producers write a wrong <dimension>
        for number, cells in enumerate(ws.iter_rows(), start=1):
            yield RawRow(number, [self._value(c) for c in cells])

    @staticmethod
    def _value(cell: Any) -> Any:
        value = cell.value
        if value is None:
            return None
        if cell.data_type == "e":
            return Bad(f"the cell holds the Excel error {value}", value)
        if isinstance(value, bool):
            return value
        if isinstance(value, float):
            return excel_number(value)
        if isinstance(value, datetime):
            return excel_datetime(value)
        return value

    def close(self) -> None:
        self.wb.close()


class _XlsBook:
    """xlrd for BIFF .xls; ``formatting_info`` is needed for merged ranges."""

    def __init__(self, path: Path, name: str):
        import xlrd

        self.xlrd = xlrd
        try:
            self.book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
        except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct and assertion errors
            text = str(exc)
            if "encrypt" in text.lower() or b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in path.read_bytes():
                raise _refuse(
                    name,
                    "the workbook is password-protected; remove the password in Excel/WPS and save again",
                ) from None
            raise _refuse(
                name, f"not a readable .xls workbook or the file is damaged ({text or type(exc).__name__})"
            ) from None

    def sheets(self) -> list[SheetInfo]:
        out = []
        for i, sheet_name in enumerate(self.book.sheet_names()):
            sh = self.book.sheet_by_index(i)
            out.append(SheetInfo(sheet_name, i, sh.nrows, sh.visibility != 0))
        return out

    def merges(self, index: int) -> list[Merge]:
        sh = self.book.sheet_by_index(index)
        return sorted((rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sh.merged_cells)

    def rows(self, index: int) -> Iterator[RawRow]:
        sh = self.book.sheet_by_index(index)
        for r in range(sh.nrows):
            types, values = sh.row_types(r), sh.row_values(r)
            yield RawRow(r + 1, [self._value(t, v) for t, v in zip(types, values, strict=True)])

    def _value(self, kind: int, value: Any) -> Any:
        x = self.xlrd
        if kind in (x.XL_CELL_EMPTY, x.XL_CELL_BLANK):
            return None
        if kind == x.XL_CELL_TEXT:
            return value
        if kind == x.XL_CELL_NUMBER:
            return excel_number(value)
        if kind == x.XL_CELL_DATE:
            try:
                return excel_datetime(x.xldate.xldate_as_datetime(value, self.book.datemode))
            except Exception:  # xlrd raises XLDateError subclasses for serials out of range
                return Bad(f"the date serial {value!r} is not a date Excel can show", value)
        if kind == x.XL_CELL_BOOLEAN:
            return bool(value)
        if kind == x.XL_CELL_ERROR:
            shown = x.error_text_from_code.get(value, f"error {value}")
            return Bad(f"the cell holds the Excel error {shown}", shown)
        return value

    def close(self) -> None:
        self.book.release_resources()


def _open_book(path: Path, name: str) -> _XlsxBook | _XlsBook:
    with path.open("rb") as f:
        head = f.read(512)
    if head.startswith(ZIP_SIGNATURE):
        try:
            with zipfile.ZipFile(path) as z:
                names = {n.lower() for n in z.namelist()}
        except zipfile.BadZipFile:
            raise _refuse(name, "the workbook is damaged (a broken zip archive)") from None
        if "xl/workbook.xml" not in names:
            what = "an OpenDocument spreadsheet (.ods)" if "content.xml" in names else "a zip archive"
            raise _refuse(name, f"this is {what}, not an Excel workbook; save it from Excel/WPS as .xlsx")
        return _XlsxBook(path, name)
    if head.startswith(CFB_SIGNATURE):
        return _XlsBook(path, name)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<", b"<!doctype", b"<html", b"<?xml")):
        raise _refuse(
            name,
            "this is a web page (HTML/XML) saved with an Excel name, as many systems export; open it in "
            "Excel/WPS and save it as .xlsx",
        )
    raise _refuse(name, "not an Excel workbook; if it is a text export, read it as csv")


@register("excel")
@register("xlsx")
@register("xls")
class ExcelSource(Source):
    """One sheet of a workbook.

    Options: ``sheet`` (name, or 0-based index; default the first visible sheet with data),
    ``header_row`` (1-based Excel row of the header; 0 = no header), ``header_rows`` (how many
    rows the header spans; detected from merged cells when unset), ``fill_merged`` (give every
    cell of a merged range in the data its value; default True), ``name`` (file name to show).
    """

    kind = "excel"

    def __init__(
        self,
        *,
        path: str | Path,
        sheet: str | int | None = None,
        header_row: int | None = None,
        header_rows: int | None = None,
        fill_merged: bool = True,
        name: str | None = None,
    ):
        self.name = name or Path(path).name
        self.path = check_file(path, self.name)
        self.sheet = sheet
        self.header_row = header_row
        self.header_rows = header_rows
        self.fill_merged = fill_merged
        self.skipped: list[Skipped] = []
        self._book: _XlsxBook | _XlsBook | None = None
        self._index: int | None = None
        self._merges: list[Merge] = []
        self._layout: Layout | None = None

    def _pick(self, book: _XlsxBook | _XlsBook) -> int:
        sheets = book.sheets()
        listing = ", ".join(repr(s.name) for s in sheets)
        if isinstance(self.sheet, bool):
            raise invalid(f"{self.name}: sheet must be a sheet name or a 0-based number")
        if isinstance(self.sheet, int):
            if 0 <= self.sheet < len(sheets):
                return self.sheet
            raise _refuse(
                self.name,
                f"there is no sheet number {self.sheet} (counting from 0); the sheets are {listing}",
            )
        if isinstance(self.sheet, str):
            for pick in (
                lambda s: s.name == self.sheet,
                lambda s: s.name.strip().lower() == self.sheet.strip().lower(),
            ):
                found = [s.index for s in sheets if pick(s)]
                if found:
                    return found[0]
            raise _refuse(self.name, f"there is no sheet {self.sheet!r}; the sheets are {listing}")
        if self.sheet is not None:
            raise invalid(f"{self.name}: sheet must be a sheet name or a 0-based number, got {self.sheet!r}")
        ordered = [s for s in sheets if not s.hidden] + [s for s in sheets if s.hidden]
        for s in ordered:
            if any(any(v is not None for v in r.cells) for r in islice(book.rows(s.index), HEAD_ROWS)):
                return s.index
        raise _refuse(self.name, f"every sheet is empty ({listing})")

    def _prepare(self) -> Layout:
        if self._layout is not None:
            return self._layout
        self._book = book = _open_book(self.path, self.name)
        self._index = self._pick(book)
        self._merges = book.merges(self._index)
        head = list(islice(book.rows(self._index), HEAD_ROWS))
        self._layout = find_layout(
            head,
            source=self.name,
            merges=self._merges,
            header_row=self.header_row,
            header_rows=self.header_rows,
            sheet=self._sheet_name,
        )
        return self._layout

    @property
    def _sheet_name(self) -> str:
        assert self._book is not None and self._index is not None
        return self._book.sheets()[self._index].name

    def fingerprint(self) -> str:
        return file_digest(self.path)

    def estimated_rows(self) -> int | None:
        """The rows the sheet records as in use, less those above the data (a workbook that
        records a wrong dimension gives a wrong estimate, never a wrong load)."""
        layout = self._prepare()
        assert self._book is not None and self._index is not None
        return max(self._book.sheets()[self._index].rows - (layout.data_start - 1), 0)

    def describe(self) -> Description:
        layout = self._prepare()
        assert self._book is not None
        return Description(
            kind=self.kind,
            source=self.name,
            columns=layout.columns,
            header_rows=layout.header_rows,
            first_data_row=layout.data_start,
            title=layout.title,
            sheet=self._sheet_name,
            sheets=tuple(self._book.sheets()),
            skipped=layout.skipped,
            notes=layout.notes,
        )

    def _filled(self, rows: Iterator[RawRow], start: int) -> Iterator[RawRow]:
        """Copy each merged range's value into the cells it covers, in one pass: merges are taken
        in order of their first row and dropped after their last, so each row only looks at the
        merges that cover it."""
        pending = sorted(m for m in self._merges if m[2] >= start and (m[0] != m[2] or m[1] != m[3]))
        if not self.fill_merged or not pending:
            yield from rows
            return
        active: list[tuple[Merge, Any]] = []
        i = 0
        for raw in rows:
            n = raw.number
            active = [(m, v) for m, v in active if m[2] >= n]
            while i < len(pending) and pending[i][0] <= n:
                m = pending[i]
                i += 1
                if m[0] == n:
                    active.append((m, raw.cells[m[1] - 1] if m[1] <= len(raw.cells) else None))
            for (r1, c1, _r2, c2), value in active:
                if len(raw.cells) < c2:
                    raw.cells.extend([None] * (c2 - len(raw.cells)))
                for c in range(c1, c2 + 1):
                    if (n, c) != (r1, c1):
                        raw.cells[c - 1] = value
            yield raw

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Row]]:
        layout = self._prepare()
        assert self._book is not None and self._index is not None
        self.skipped = list(layout.skipped)
        start = layout.data_start
        raw = (r for r in self._filled(self._book.rows(self._index), start) if r.number >= start)
        rows = to_rows(
            raw, layout, file=self.name, sheet=self._sheet_name, exact_width=False, skipped=self.skipped
        )
        yield from chunked(rows, batch_size)

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None
            self._layout = None
