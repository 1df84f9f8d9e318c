"""CSV, TSV and TXT files as departments save them.

The encoding is decided by strict decoding (see :mod:`encoding`); the delimiter and quote
character are sniffed from the start of the file by which choice splits the most lines into the
same number of fields; the table inside the file (title lines, header, notes below) is found by
:mod:`tabular`.  Rows are numbered by the *line* where they start, as a text editor shows it,
so a value with a line break inside quotes does not shift the numbers of the rows after it.

Values are passed on as the text in the file (empty fields as None); trimming and converting
them is :mod:`huitong.standards.normalise`'s job, so what was read can always be shown as it was.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from huitong.aggregate.sources.base import (
    DEFAULT_BATCH_SIZE,
    ColumnBatch,
    Description,
    Row,
    Skipped,
    Source,
    check_batch_size,
    chunked,
    estimate_lines,
    file_digest,
    register,
)
from huitong.aggregate.sources.encoding import (
    Decoding,
    detect_encoding,
    detect_for_reading,
    first_bad_bytes,
    resolve_encoding,
)
from huitong.aggregate.sources.tabular import (
    BLANKS,
    HEAD_ROWS,
    INVISIBLE,
    NOTE_STARTS,
    Layout,
    RawRow,
    RowBuilder,
    find_layout,
    note_like,
    span,
    to_rows,
)
from huitong.errors import HuitongError, NotFound, Problem, invalid

DELIMITERS = (",", "\t", ";", "|")
QUOTES = ('"', "'")
SNIFF_CHARS = 1 << 16
FIELD_LIMIT = 1 << 24  # characters in one value (the csv module's default, 131,072, cuts long remarks)
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "vertical bar"}


def check_file(path: str | Path, name: str | None = None) -> Path:
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"{name or p.name}: no such file ({p})")
    return p


def sniff(sample: str, default: str = ",") -> tuple[str, str]:
    """The delimiter and quote character that split the sample most consistently.

    Score: the share of non-blank records with the most common field count (more than one),
    then more fields, then the usual order comma, tab, semicolon, bar.  Titles and notes count
    against every candidate alike, so they do not tip the choice.
    """
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample cut a line short
    text = "".join(lines)
    best: tuple[tuple[float, int, int, bool], str, str] | None = None
    for quote in QUOTES:
        if quote == "'" and ('"' in text or not re.search(r"(^|[,\t;|])'", text, re.M)):
            continue
        for order, delimiter in enumerate(DELIMITERS):
            if delimiter not in text:
                continue
            try:
                records = list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote))
            except csv.Error:
                continue
            counts = [len(r) for r in records if any(cell.strip() for cell in r)]
            if not counts:
                continue
            tally = Counter(counts)
            mode = max(tally, key=lambda k: (tally[k], k))
            if mode < 2:
                continue
            score = (tally[mode] / len(counts), mode, -order, quote == '"')
            if best is None or score > best[0]:
                best = (score, delimiter, quote)
    return (best[1], best[2]) if best else (default, '"')


@register("csv")
@register("txt")
@register("delimited")
@register("tsv", delimiter="\t")
class DelimitedSource(Source):
    """A delimited text file.

    Options: ``encoding`` (detected when unset), ``delimiter`` and ``quotechar`` (sniffed when
    unset), ``header_row`` (1-based line of the header; 0 = no header), ``header_rows`` (lines
    the header spans; a group label then covers the empty cells to its right), ``name`` (the
    file name to show in messages, e.g. the name it was uploaded under).
    """

    kind = "csv"

    def __init__(
        self,
        *,
        path: str | Path,
        encoding: str | None = None,
        delimiter: str | None = None,
        quotechar: str | None = None,
        header_row: int | None = None,
        header_rows: int | None = None,
        name: str | None = None,
    ):
        self.name = name or Path(path).name
        self.path = check_file(path, self.name)
        for option, value in (("delimiter", delimiter), ("quotechar", quotechar)):
            if value is not None and (not isinstance(value, str) or len(value) != 1 or value in "\r\n"):
                raise invalid(f"{self.name}: {option} must be a single character, got {value!r}")
        self.encoding = encoding
        self.delimiter = delimiter
        self.quotechar = quotechar
        self.header_row = header_row
        self.header_rows = header_rows
        self.skipped: list[Skipped] = []
        self._decoding: Decoding | None = None
        self._layout: Layout | None = None

    # -------------------------------------------------------------- reading

    def _open(self):
        assert self._decoding is not None
        return self.path.open(encoding=self._decoding.encoding, newline="")

    def _records(self, f: Iterable[str], first: int = 1) -> Iterator[RawRow]:
        """Records with the line each starts on (``f`` starting at line ``first``); a malformed
        one becomes a row with a problem."""
        reader = csv.reader(f, delimiter=self.delimiter, quotechar=self.quotechar, strict=True)
        previous = first - 1
        while True:
            start = previous + 1
            try:
                cells: list[Any] = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                previous = first - 1 + reader.line_num
                yield RawRow(start, [], [self._malformed(start, str(exc))])
                continue
            previous = first - 1 + reader.line_num
            yield RawRow(start, cells)

    def _malformed(self, line: int, reason: str) -> Problem:
        q = self.quotechar
        if "unexpected end of data" in reason:
            message = f"the quoted value starting on line {line} is never closed (a missing {q})"
        elif "expected after" in reason:
            message = (
                f"line {line}: a quoted value is followed by more text before the next "
                f"{_NAMES.get(self.delimiter or ',', repr(self.delimiter))} (write {q}{q} for a {q} inside a value)"
            )
        elif "NUL" in reason:
            message = (
                f"line {line} contains a NUL character: is this really a text file in {self._decoding.label}?"
            )
        else:
            message = f"line {line} cannot be read: {reason}"
        return Problem(message, file=self.name, row=line)

    def _prepare(self) -> Layout:
        if self._layout is not None:
            return self._layout
        if self.for_load and self.encoding is None:
            self._decoding = detect_for_reading(self.path, self.name)
        else:
            self._decoding = resolve_encoding(self.path, self.encoding, self.name)
        if self.delimiter is None or self.quotechar is None:
            with self._open() as f:
                sample = f.read(SNIFF_CHARS)
            default = "\t" if self.kind == "tsv" else ","
            delimiter, quote = sniff(sample, default)
            self.delimiter = self.delimiter or delimiter
            self.quotechar = self.quotechar or quote
        head: list[RawRow] = []
        try:
            with self._open() as f:
                for raw in self._records(f):
                    head.append(raw)
                    if len(head) >= HEAD_ROWS:
                        break
        except UnicodeDecodeError:  # a head longer than the megabyte the encoding was taken from
            raise self._not_decodable() from None
        self._layout = find_layout(
            head,
            source=self.name,
            header_row=self.header_row,
            header_rows=self.header_rows,
        )
        return self._layout

    # -------------------------------------------------------------- Source

    def fingerprint(self) -> str:
        return file_digest(self.path)

    def estimated_rows(self) -> int | None:
        """The file's size over the bytes per line of its first megabyte, less the lines above
        the data (exact for a file read whole in that megabyte)."""
        layout = self._prepare()
        return max(estimate_lines(self.path) - (layout.data_start - 1), 0)

    def describe(self) -> Description:
        layout = self._prepare()
        assert self._decoding is not None
        notes = tuple(n for n in (self._decoding.note,) if n) + layout.notes
        return Description(
            kind=self.kind,
            source=self.name,
            columns=layout.columns,
            encoding=self._decoding.encoding,
            delimiter=self.delimiter,
            quotechar=self.quotechar,
            header_rows=layout.header_rows,
            first_data_row=layout.data_start,
            title=layout.title,
            skipped=layout.skipped,
            notes=notes,
        )

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Row]]:
        layout = self._prepare()
        self.skipped = list(layout.skipped)
        with self._open() as f:
            raw = (r for r in self._records(f) if r.number >= layout.data_start)
            rows = to_rows(
                raw,
                layout,
                file=self.name,
                exact_width=True,
                skipped=self.skipped,
                unit="line",
                text_cells=True,
            )
            yield from chunked(rows, batch_size)

    # -------------------------------------------------------------- columnar reading

    def load_batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Row] | ColumnBatch]:
        """The rows of :meth:`batches`, with every stretch of plain lines parsed by Arrow's CSV
        reader into a :class:`ColumnBatch` (see :meth:`_load_batches`). An encoding taken from
        the first megabyte is checked by this read's strict decode; where it fails, the answer
        of the whole-file check is raised, as :meth:`describe` would have raised it."""
        try:
            yield from self._load_batches(batch_size)
        except UnicodeDecodeError:
            raise self._not_decodable() from None

    def _not_decodable(self) -> HuitongError:
        """Why a file whose encoding was taken from its start does not decode further on."""
        assert self._decoding is not None
        try:
            fits = detect_encoding(self.path, self.name)
        except HuitongError as exc:
            return exc
        bad = first_bad_bytes(self.path, self._decoding.encoding)
        where = bad.describe() if bad else "a later byte"
        return invalid(
            f"{self.name} is not valid {self._decoding.label} text at {where}; it reads as {fits.label}: "
            f"set encoding={fits.encoding!r} and load it again",
            Problem(
                f"not valid {self._decoding.label} at {where}", file=self.name, row=bad.line if bad else None
            ),
        )

    def _load_batches(self, batch_size: int) -> Iterator[list[Row] | ColumnBatch]:
        """The reading itself: the plain stretches to Arrow, the rest through the row builder.

        A stretch of ``batch_size`` lines is plain when nothing in it needs the rules of
        :class:`RowBuilder`: every line one record (quoted values closed on their line, so line
        numbers are record numbers), no NUL or lone carriage return, every line as wide as the
        header, no blank, note or total line, and no blank or note lines held from before it. Any
        other stretch is read the usual way, and from a line that is not whole fields on, the rest
        of the file is (a quoted value may span lines). Both ways give the same rows; a test
        compares them.
        """
        check_batch_size(batch_size)
        layout = self._prepare()
        self.skipped = list(layout.skipped)
        builder = RowBuilder(
            layout, file=self.name, exact_width=True, skipped=self.skipped, unit="line", text_cells=True
        )
        if not builder.in_order or len(self.delimiter.encode("utf-8")) != 1 or not self.quotechar.isascii():
            yield from self.batches(batch_size)
            return
        pending: list[Row] = []
        with self._open() as f:
            head = [f.readline() for _ in range(layout.data_start - 1)]
            head = [line for line in head if line]
            # a header line with an odd number of quote characters opens a value that runs on
            quote = self.quotechar.encode("utf-8")
            quoted_head = any(self.quotechar in line for line in head) and not self._one_record_per_line(
                pa.array(head, pa.string())
            )
            number = len(head)
            blocks = _blocks(f, batch_size) if not quoted_head else iter(())
            for data, count in blocks:
                first = number + 1
                quoted = quote in data
                table = None
                if not builder.holding and (not quoted or self._one_record_per_line(_lines(data))):
                    table = self._plain(data, builder, quoted)
                if table is not None and table.num_rows == count:  # one row a line, as numbered
                    number += count
                    if pending:
                        yield pending
                        pending = []
                    yield ColumnBatch(table, np.arange(first, number + 1, dtype=np.int64), self.name)
                    continue
                chunk = list(io.StringIO(data.decode("utf-8"), newline=""))  # lines as the file splits them
                number += len(chunk)
                if quoted and not self._one_record_per_line(pa.array(chunk, pa.string())):
                    rest = chain(chunk, _rest(blocks))  # a value runs on: the rest the usual way
                    for raw in self._records(rest, first):
                        pending.extend(builder.push(raw))
                        if len(pending) >= batch_size:
                            yield pending
                            pending = []
                    break
                for raw in self._records(chunk, first):
                    pending.extend(builder.push(raw))
                if len(pending) >= batch_size:
                    yield pending
                    pending = []
        if quoted_head:
            yield from self.batches(batch_size)
            return
        builder.finish()
        if pending:
            yield pending

    def _one_record_per_line(self, lines: pa.Array) -> bool:
        """Whether every line is whole fields, quoted ones closed on the line with any quote inside
        doubled: then the line is one record, and Arrow and Python's csv split it alike."""
        d, q = (f"\\x{{{ord(ch):x}}}" for ch in (self.delimiter, self.quotechar))
        field = f"{q}(?:[^{q}\\r\\n]|{q}{q})*{q}|[^{d}{q}\\r\\n]*"
        shape = f"^(?:{field})(?:{d}(?:{field}))*(?:\\r\\n|\\n)?$"
        return bool(pc.all(pc.match_substring_regex(lines, shape)).as_py())

    def _plain(self, data: bytes, builder: RowBuilder, quoted: bool = False) -> pa.Table | None:
        """The lines (UTF-8) as a table of strings, if every one is a plain data line; else None."""
        names = builder.names
        if (
            not names
            or b"\x00" in data
            or data.count(b"\r") != data.count(b"\r\n")
            or data.startswith(codecs.BOM_UTF8)
        ):
            return None  # no header yet; a NUL or lone CR; a BOM that Arrow would drop and the rows keep
        try:
            table = pacsv.read_csv(
                pa.BufferReader(data),
                # one block: every column comes as one chunk, so nothing has to combine them later
                read_options=pacsv.ReadOptions(
                    column_names=names, use_threads=False, block_size=len(data) + 1
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    quote_char=self.quotechar if quoted else False,
                    double_quote=True,
                    newlines_in_values=False,
                    ignore_empty_lines=False,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True, null_values=[""]
                ),
            )
        except pa.ArrowInvalid:  # a line of another width
            return None
        if len(data) > FIELD_LIMIT and any(
            (pc.max(pc.utf8_length(col)).as_py() or 0) > FIELD_LIMIT for col in table.columns
        ):
            return None  # a value longer than the row reader takes: it says so, with its line
        first = table.column(0).combine_chunks()
        lead = pc.utf8_slice_codeunits(first, 0, 1)
        doubtful = pc.or_(pc.is_null(first), pc.is_in(lead, value_set=_DOUBTFUL_LEADS))
        for i in np.flatnonzero(pc.fill_null(doubtful, True).to_numpy(zero_copy_only=False)).tolist():
            cells = [table.column(j)[i].as_py() or "" for j in range(len(names))]
            if not span(cells) or note_like(cells) is not None:
                return None  # a blank, note or total line: the rules decide
        return table


READ_CHARS = 1 << 22  # characters decoded at a time


def _blocks(f: io.TextIOBase, lines: int) -> Iterator[tuple[bytes, int]]:
    """The rest of the file as UTF-8 blocks of ``lines`` lines (the last may have fewer), with
    how many lines each holds, cut after a newline. The text is decoded strictly in large reads
    and never split into a Python string per line (which cost more than the parsing)."""
    carry = b""
    while True:
        text = f.read(READ_CHARS)
        if text:
            carry += text.encode("utf-8")
        ends = np.flatnonzero(np.frombuffer(carry, dtype=np.uint8) == 10)
        start = 0
        for at in range(lines - 1, len(ends), lines):
            cut = int(ends[at]) + 1
            yield carry[start:cut], lines
            start = cut
        carry = carry[start:]
        if not text:
            if carry:
                yield carry, carry.count(b"\n") + (not carry.endswith(b"\n"))
            return


def _lines(data: bytes) -> pa.Array:
    """A block's lines as one Arrow string array over its bytes (no copy), newline kept."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    kind, offset = (pa.string(), np.int32) if len(data) < 2**31 else (pa.large_string(), np.int64)
    offsets = np.concatenate([[0], ends]).astype(offset)
    return pa.Array.from_buffers(kind, len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _rest(blocks: Iterator[tuple[bytes, int]]) -> Iterator[str]:
    """The lines after the current block, as the file splits them (``_blocks`` stops here)."""
    for data, _ in blocks:
        yield from io.StringIO(data.decode("utf-8"), newline="")


_DOUBTFUL_LEADS = pa.array(sorted(set(BLANKS) | NOTE_STARTS | {chr(c) for c in INVISIBLE}))
