"""Where the table is inside a department's sheet: title lines, the header, notes below.

Departments do not send bare tables.  A typical file has a title ("杭州市民政局低保对象名单
（2025年）"), maybe a "填报单位：…" line, a header that may span two rows under merged group
labels, the data, then "注：…", "合计" or "制表人：…  审核人：…" lines.  Delimited text and
Excel share this logic so both read such a file the same way.

Rules (each can be overridden by ``header_row``/``header_rows``):

* the header is the first row that names at least two things and covers most of the table's
  width, unless most of its cells are numbers/dates (then the file has no header) or it reads
  like "key：value" metadata;
* merged cells anchored in the header row extend the header downwards (a horizontal merge means
  sub-headers follow; a vertical one says how far); group labels are joined to the leaf names
  with "/", so "基本信息" over "姓名" gives the column "基本信息/姓名", found also as "姓名";
* at the end of the table, blank rows and rows starting with 注/备注/说明/制表/填报/审核/… or
  reading 合计/总计 are not data; they are listed in ``skipped`` with their row numbers.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from huitong.aggregate.sources.base import Column, Row, Skipped, column_letter, show
from huitong.errors import Problem, invalid

BLANKS = " \t\r\n\u3000\u00a0\u200b\u200c\u200d\u2060\ufeff"
NOTE_PREFIX = re.compile(
    r"^(注|备注|说明|附注|附件|制表|填表|填报|报送|审核|审批|复核|核对|校对|负责人|单位负责人|"
    r"统计负责人|分管领导|经办人|联系人|联系电话|数据来源|数据截至|截至|截止|打印|监制)"
)
TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计|总\s*数)[:：]?$")
_METADATA = re.compile(r"^[^:：]{1,12}[:：]")
INVISIBLE = {ord(ch): None for ch in "\u200b\u200c\u200d\u2060\ufeff"}
# the first characters a note or a total can start with: a row starting with anything else is data
NOTE_STARTS = frozenset(
    ch for word in NOTE_PREFIX.pattern.strip("^()").split("|") + ["合", "总", "小"] for ch in word[:1]
)
HEAD_ROWS = 60  # rows looked at to find the layout


class Bad:
    """A cell value that cannot be passed on faithfully; becomes a problem on its row."""

    __slots__ = ("message", "raw")

    def __init__(self, message: str, raw: Any):
        self.message = message
        self.raw = raw

    def __repr__(self) -> str:
        return f"Bad({self.message!r}, {self.raw!r})"


@dataclass
class RawRow:
    """A row as read: its 1-based number and cell values (None for empty)."""

    number: int
    cells: list[Any]
    problems: list[Problem] = field(default_factory=list)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(BLANKS))


def text_of(value: Any) -> str:
    """A cell as header/label text."""
    if value is None or isinstance(value, Bad):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    if isinstance(value, date | datetime):
        return value.isoformat()
    text = str(value)
    if "\n" not in text and "\r" not in text:  # one line, the usual cell
        return text.strip(BLANKS).translate(INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # a header wrapped with Alt+Enter reads as one name; keep a space between Latin words only
    parts = [p.strip(BLANKS) for p in text.split("\n")]
    out = ""
    for part in parts:
        if not part:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out.translate(INVISIBLE)


def _numeric(value: Any) -> bool:
    if isinstance(value, int | float | Decimal | date) and not isinstance(value, bool):
        return True
    if isinstance(value, str):
        t = value.strip(BLANKS).replace(",", "")
        return bool(
            re.fullmatch(r"[-+]?\d+(\.\d+)?", t) or re.fullmatch(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?", t)
        )
    return False


def span(cells: Sequence[Any]) -> int:
    """Position of the last non-empty cell (0 for a blank row)."""
    for i in range(len(cells) - 1, -1, -1):
        if not blank(cells[i]):
            return i + 1
    return 0


def first_text(cells: Sequence[Any]) -> str:
    for value in cells:
        if not blank(value):
            return text_of(value)
    return ""


def note_like(cells: Sequence[Any]) -> str | None:
    """Why this row is a note or a total rather than data, or None."""
    if cells and isinstance(cells[0], str) and cells[0]:
        lead = cells[0][0]  # the usual data row: decided by its first character
        if lead not in NOTE_STARTS and lead not in BLANKS and ord(lead) not in INVISIBLE:
            return None
    for first in cells:
        if first is not None and not (isinstance(first, str) and not first.strip(BLANKS)):
            break
    else:
        return None
    head = text_of(first)  # only the first filled cell decides, unless it reads like a note
    if TOTAL.match(head.replace(" ", "")):
        return "total row below the table"
    if NOTE_PREFIX.match(head):
        filled = [text_of(v) for v in cells if not blank(v)]
        if len(filled) <= 2 or all(NOTE_PREFIX.match(t) or _METADATA.match(t) for t in filled):
            return "note below the table"
    return None


# ---------------------------------------------------------------- layout


Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based, inclusive)


@dataclass(frozen=True)
class Layout:
    columns: tuple[Column, ...]
    header_rows: tuple[int, ...]
    data_start: int  # row number of the first row after the header (or of the first row if none)
    skipped: tuple[Skipped, ...]
    title: str | None
    notes: tuple[str, ...]


class _View:
    """The head of a sheet with merged ranges filled in, and which cells are merge anchors."""

    def __init__(self, rows: Sequence[RawRow], merges: Iterable[Merge]):
        self.rows = {r.number: list(r.cells) for r in rows}
        self.anchor_of: dict[tuple[int, int], tuple[int, int]] = {}
        self.merges = [m for m in merges]
        for r1, c1, r2, c2 in self.merges:
            value = self.get(r1, c1)
            for r in range(r1, r2 + 1):
                if r not in self.rows:
                    continue
                for c in range(c1, c2 + 1):
                    self.anchor_of[(r, c)] = (r1, c1)
                    if (r, c) != (r1, c1):
                        self.set(r, c, value)

    def get(self, r: int, c: int) -> Any:
        cells = self.rows.get(r, [])
        return cells[c - 1] if 0 < c <= len(cells) else None

    def set(self, r: int, c: int, value: Any) -> None:
        cells = self.rows.setdefault(r, [])
        cells.extend([None] * (c - len(cells)))
        cells[c - 1] = value

    def anchors(self, r: int) -> int:
        """How many separate things the row says (a merged title counts once)."""
        seen = set()
        for c, value in enumerate(self.rows.get(r, []), start=1):
            if not blank(value):
                seen.add(self.anchor_of.get((r, c), (r, c)))
        return len(seen)


def _width(view: _View, numbers: list[int]) -> int:
    spans = [span(view.rows[n]) for n in numbers if span(view.rows[n])]
    if not spans:
        return 0
    counts = Counter(spans)
    top = max(counts.values())
    return max(s for s, k in counts.items() if k == top)


def _is_header(view: _View, n: int, width: int) -> bool:
    cells = view.rows[n]
    filled = [v for v in cells if not blank(v)]
    if view.anchors(n) < 2 or len(filled) < max(2, math.ceil(0.6 * width)):
        return False
    texts = [text_of(v) for v in filled]
    return sum(bool(_METADATA.match(t)) for t in texts) * 2 <= len(texts)


def _header_block(view: _View, start: int, explicit: int | None) -> list[int]:
    if explicit is not None:
        return list(range(start, start + explicit))
    end = start
    r = start
    while r <= end:  # each header row's merges may push the end further down
        for r1, c1, r2, c2 in view.merges:
            if r1 == r:
                end = max(end, r2)
                if c2 > c1 and r2 == r and _subheaders(view, r + 1, c1, c2):
                    end = max(end, r + 1)
        r += 1
    return list(range(start, end + 1))


def _subheaders(view: _View, r: int, c1: int, c2: int) -> bool:
    """Whether row ``r`` names the columns under a group label merged over c1..c2 — distinct
    texts, not numbers — rather than being the first data row under a cell merged for width."""
    cells = [view.get(r, c) for c in range(c1, c2 + 1)]
    if any(blank(v) or _numeric(v) or isinstance(v, bool) for v in cells):
        return False
    texts = [text_of(v) for v in cells]
    return len(set(texts)) == len(texts)


def _names(view: _View, block: list[int], letters: bool, notes: list[str], width: int) -> tuple[Column, ...]:
    merged = {(r, c) for (r, c) in view.anchor_of if r in block}
    grid = {r: [view.get(r, c) for c in range(1, width + 1)] for r in block}
    for r in block[:-1]:  # a group label without a merge covers the empty cells to its right
        label = None
        for c in range(1, width + 1):
            value = grid[r][c - 1]
            if not blank(value):
                label = value
            elif label is not None and (r, c) not in merged and not blank(grid[block[-1]][c - 1]):
                grid[r][c - 1] = label
    columns: list[Column] = []
    seen: Counter[str] = Counter()
    for c in range(1, width + 1):
        parts: list[str] = []
        for r in block:
            part = text_of(grid[r][c - 1])
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        letter = column_letter(c) if letters else None
        if not parts:
            name = f"{column_letter(c)}列"
            parts = [name]
            notes.append(f"column {column_letter(c)} has no header; it is called {name!r}")
        else:
            name = "/".join(parts)
        seen[name] += 1
        if seen[name] > 1:
            n = seen[name]
            while f"{name}({n})" in seen:  # a header already written as 姓名(2)
                n += 1
            renamed = f"{name}({n})"
            notes.append(
                f"header {name!r} appears more than once; column {column_letter(c)} is called {renamed!r}"
            )
            parts = parts[:-1] + [f"{parts[-1]}({n})"]
            name = renamed
            seen[name] += 1
        columns.append(Column(name, c, tuple(parts), letter))
    return tuple(columns)


def find_layout(
    head: Sequence[RawRow],
    *,
    source: str,
    merges: Iterable[Merge] = (),
    header_row: int | None = None,
    header_rows: int | None = None,
    letters: bool = True,
    sheet: str | None = None,
) -> Layout:
    """Find title, header and first data row in the first rows of a sheet or text file.

    ``header_row`` (1-based) fixes the header's first row; ``0`` means there is no header and
    columns are named by position ("A列", "B列"…).  ``header_rows`` fixes how many rows it spans.
    """
    if header_rows is not None and (not isinstance(header_rows, int) or header_rows < 1):
        raise invalid(f"{source}: header_rows must be 1 or more, got {header_rows!r}")
    view = _View(head, merges)
    numbers = [r.number for r in head]
    nonblank = [n for n in numbers if span(view.rows[n])]
    width = _width(view, nonblank)
    notes: list[str] = []
    start: int | None
    if header_row == 0:
        start = None
    elif header_row is not None:
        if header_row not in view.rows:
            raise invalid(
                f"{source}: header_row {header_row} is beyond the rows read to find the header "
                f"(the file starts with {len(numbers)} rows)",
                Problem("header row not found", file=source, sheet=sheet, row=header_row),
            )
        start = header_row
    else:
        if width == 1:  # one column (a list of ID numbers): its first text line names it
            start = next((n for n in nonblank if not _METADATA.match(first_text(view.rows[n]))), None)
            if start is not None and not _numeric(view.rows[start][0]):
                notes.append(
                    f"a one-column table: row {start} is taken as its header — set header_row=0 if it is data"
                )
        else:
            start = next((n for n in nonblank if _is_header(view, n, width)), None)
        if start is not None:
            filled = [v for v in view.rows[start] if not blank(v)]
            if sum(_numeric(v) for v in filled) * 2 > len(filled):
                start = None  # the first full row is data: the file has no header
        if start is None and nonblank:
            notes.append(
                "no header row found; columns are named by position — set header_row if there is one"
            )
    if start is None:
        first = nonblank[0] if nonblank else (numbers[0] if numbers else 1)
        above = [n for n in nonblank if n < first]
        block: list[int] = []
        cols = tuple(
            Column(
                f"{column_letter(c)}列", c, (f"{column_letter(c)}列",), column_letter(c) if letters else None
            )
            for c in range(1, width + 1)
        )
        data_start = first if header_row != 0 else (numbers[0] if numbers else 1)
    else:
        block = _header_block(view, start, header_rows)
        header_width = max(span(view.rows.get(r, [])) for r in block)
        cols = _names(view, block, letters, notes, header_width)
        above = [n for n in numbers if n < start]
        data_start = block[-1] + 1
    skipped = tuple(
        Skipped(
            n, "title or text above the table" if span(view.rows[n]) else "blank", first_text(view.rows[n])
        )
        for n in numbers
        if n < (start if start is not None else data_start)
    )
    titles = [first_text(view.rows[n]) for n in above if first_text(view.rows[n])]
    return Layout(cols, tuple(block), data_start, skipped, " / ".join(titles) or None, tuple(notes))


# ---------------------------------------------------------------- data rows


class RowBuilder:
    """Raw rows after the header into :class:`Row`s, one at a time (:meth:`push`), so a reader
    can hand some stretches of a file to a faster path and keep the rules in one place.

    Blank rows are skipped; note/total rows are held back and dropped when nothing but blanks
    and notes follow them (they sit below the table).  ``exact_width`` (delimited text) reports
    rows with fewer fields than the header too; in Excel a short row just has empty cells.
    ``text_cells`` says every cell is a string (delimited text): a row as wide as the header is
    then read without looking at each cell.  :meth:`finish` lists what was held to the end.
    """

    def __init__(
        self,
        layout: Layout,
        *,
        file: str,
        sheet: str | None = None,
        exact_width: bool,
        skipped: list[Skipped],
        unit: str = "row",
        text_cells: bool = False,
    ):
        self.columns = layout.columns
        self.width = len(self.columns)
        self.names = [c.name for c in self.columns]
        self.in_order = text_cells and [c.position for c in self.columns] == list(range(1, self.width + 1))
        self.file, self.sheet, self.exact_width, self.skipped, self.unit = (
            file,
            sheet,
            exact_width,
            skipped,
            unit,
        )
        self.header_at = layout.header_rows[0] if layout.header_rows else None
        self.held: list[tuple[RawRow, str | None]] = []

    @property
    def holding(self) -> bool:
        """Whether blank or note rows wait for what follows them."""
        return bool(self.held)

    def push(self, raw: RawRow) -> Iterator[Row]:
        if not span(raw.cells) and not raw.problems:
            self.held.append((raw, None))
            return
        reason = None if raw.problems else note_like(raw.cells)
        if reason is not None:
            self.held.append((raw, reason))
            return
        for h, why in self.held:
            if why is None:
                self.skipped.append(Skipped(h.number, "blank"))
            else:
                yield self.build(h)
        self.held.clear()
        yield self.build(raw)

    def finish(self) -> None:
        for h, why in self.held:
            self.skipped.append(Skipped(h.number, why or "blank", first_text(h.cells)))
        self.held.clear()

    def build(self, raw: RawRow) -> Row:
        cells, width, file, sheet, unit = raw.cells, self.width, self.file, self.sheet, self.unit
        if self.in_order and len(cells) == width and not raw.problems:  # the usual row: "" is None
            return Row(
                {n: v or None for n, v in zip(self.names, cells, strict=True)}, raw.number, file, sheet
            )
        values: dict[str, Any] = {}
        problems = list(raw.problems)
        for col in self.columns:
            value = cells[col.position - 1] if col.position <= len(cells) else None
            if isinstance(value, Bad):
                problems.append(
                    Problem(
                        value.message,
                        file=file,
                        sheet=sheet,
                        row=raw.number,
                        column=col.label,
                        value=show(value.raw),
                    )
                )
                value = None
            elif isinstance(value, str) and value == "":
                value = None
            values[col.name] = value
        extra = [(i, v) for i, v in enumerate(cells[width:], start=width + 1) if not blank(v)]
        header_text = f"the header ({unit} {self.header_at})" if self.header_at else "the table"
        if raw.problems:  # the reader could not split this row: its problem says why
            pass
        elif extra:
            shown = ", ".join(repr(text_of(v)) for _, v in extra[:3])
            problems.append(
                Problem(
                    f"{unit} {raw.number} has {span(cells)} values but {header_text} has {width} columns; "
                    f"value(s) {shown} have no column",
                    file=file,
                    sheet=sheet,
                    row=raw.number,
                    column=f"{column_letter(extra[0][0])} (no header)",
                    value=text_of(extra[0][1]),
                )
            )
        elif self.exact_width and len(cells) < width:
            problems.append(
                Problem(
                    f"{unit} {raw.number} has {len(cells)} values but {header_text} has {width} columns "
                    "(a missing delimiter, or a line break inside an unquoted value?)",
                    file=file,
                    sheet=sheet,
                    row=raw.number,
                )
            )
        return Row(values, raw.number, file, sheet, None, problems)


def to_rows(raw_rows: Iterable[RawRow], layout: Layout, **options: Any) -> Iterator[Row]:
    """All raw rows through one :class:`RowBuilder` (its options as keywords)."""
    builder = RowBuilder(layout, **options)
    for raw in raw_rows:
        yield from builder.push(raw)
    builder.finish()
