"""JSON and NDJSON files.

JSON: an array of objects, or an object with the array somewhere inside (``records_path``,
e.g. "data.items", found automatically when there is only one).  Each record's row number is
the line where it starts, found by walking the text with the standard decoder, so an error
names the line a person opens in an editor; for minified files (everything on line 1) the
record's position ("record 17") is given too.

NDJSON/JSON Lines: one object per line.  A bad line does not stop the file: it becomes a row
with a problem naming the line and the column where the JSON breaks.

Numbers with a fraction are read as ``Decimal`` (1234.50 stays 1234.50, not a float);
nested objects become dotted column names ("address.city").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from huitong.aggregate.sources.base import (
    DEFAULT_BATCH_SIZE,
    Column,
    Description,
    Row,
    Source,
    chunked,
    estimate_lines,
    file_digest,
    register,
)
from huitong.aggregate.sources.delimited import check_file
from huitong.aggregate.sources.encoding import Decoding, resolve_encoding
from huitong.aggregate.sources.records import find_records, flatten, show_path, type_name
from huitong.errors import Problem, invalid
from huitong.standards.normalise import escape_surrogates

SAMPLE_RECORDS = 1000
_WS = re.compile(r"[ \t\n\r]*")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose names are storable: a lone surrogate from a ``\\ud800`` escape in a
    name becomes its escape, so it can stand in a column name, a record's place and a ledger
    entry. (A value keeps it, and its row is rejected as broken text.)"""
    return {escape_surrogates(k): v for k, v in pairs}


_DECODER = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_object)


def columns_of(records: list[dict[str, Any]]) -> tuple[Column, ...]:
    names: dict[str, None] = {}
    for record in records:
        for key in record:
            names.setdefault(key, None)
    return tuple(Column(name, i, tuple(name.split("."))) for i, name in enumerate(names, start=1))


def _skip(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr]


def _value_at(text: str, pos: int, parts: tuple[str | int, ...]) -> int:
    """Character position of the value at ``parts`` in a valid JSON text (last duplicate key wins,
    as in json.loads)."""
    pos = _skip(text, pos)
    if not parts:
        return pos
    part, rest = parts[0], parts[1:]
    found: int | None = None
    if text[pos] == "{":
        pos = _skip(text, pos + 1)
        while text[pos] != "}":
            key, pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, _skip(text, pos) + 1)  # past ':'
            if escape_surrogates(key) == str(part):  # names are kept escaped (_object)
                found = pos
            _, pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
    elif text[pos] == "[" and isinstance(part, int):
        pos = _skip(text, pos + 1)
        index = 0
        while text[pos] != "]":
            if index == part:
                found = pos
                break
            _, pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
            index += 1
    assert found is not None, "path was checked against the parsed document"
    return _value_at(text, found, rest)


def _element_lines(text: str, pos: int) -> Iterator[int]:
    """The 1-based line on which each element of the array at ``pos`` starts."""
    line, last = 1, 0
    pos = _skip(text, pos + 1)
    while text[pos] != "]":
        line += text.count("\n", last, pos)
        last = pos
        yield line
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)


@register("json")
@register("ndjson", lines=True)
@register("jsonl", lines=True)
class JsonSource(Source):
    """A JSON or NDJSON file.

    Options: ``records_path`` (where the records are in a JSON document), ``lines`` (NDJSON;
    default by kind or by the .ndjson/.jsonl extension), ``encoding`` (detected when unset; JSON
    should be UTF-8 but departments also save GBK), ``name`` (file name to show).
    """

    kind = "json"

    def __init__(
        self,
        *,
        path: str | Path,
        records_path: str | None = None,
        lines: bool | None = None,
        encoding: str | None = None,
        name: str | None = None,
    ):
        self.name = name or Path(path).name
        self.path = check_file(path, self.name)
        self.records_path = records_path
        self.lines = lines if lines is not None else self.path.suffix.lower() in (".ndjson", ".jsonl")
        self.encoding = encoding
        self._decoding: Decoding | None = None
        self._found: str | None = None
        self._parsed: tuple[str, Any] | None = None

    def _text_encoding(self) -> str:
        if self._decoding is None:
            self._decoding = resolve_encoding(self.path, self.encoding, self.name)
        return self._decoding.encoding

    # -------------------------------------------------------------- JSON document

    def _document(self) -> tuple[str, Any]:
        if self._parsed is not None:  # parsed for the estimate: read once, then let it go
            parsed, self._parsed = self._parsed, None
            return parsed
        text = self.path.read_text(encoding=self._text_encoding())
        try:
            return text, _DECODER.decode(text)
        except json.JSONDecodeError as exc:
            message = f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            if exc.msg == "Extra data" and exc.lineno > 1:
                message += " (one JSON value per line is NDJSON: read it as kind 'ndjson')"
            raise invalid(
                f"{self.name}: {message}", Problem(message, file=self.name, row=exc.lineno)
            ) from None

    def _json_rows(self) -> Iterator[Row]:
        text, doc = self._document()
        parts, records = find_records(doc, self.records_path, source=self.name)
        if self.records_path is None and parts:
            self._found = show_path(parts)
        lines = _element_lines(text, _value_at(text, 0, parts))
        where = f" in {show_path(parts)}" if parts else ""
        for index, (record, line) in enumerate(zip(records, lines, strict=True), start=1):
            row = Row({}, line, self.name, key=f"record {index}{where}")
            if isinstance(record, dict):
                row.values = flatten(record)
            else:
                row.problems.append(
                    Problem(
                        f"record {index} is {type_name(record)}, not an object",
                        file=self.name,
                        row=line,
                        value=str(record)[:100],
                    )
                )
            yield row

    # -------------------------------------------------------------- NDJSON

    def _ndjson_rows(self) -> Iterator[Row]:
        with self.path.open(encoding=self._text_encoding()) as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                row = Row({}, number, self.name)
                try:
                    record = _DECODER.decode(line)
                except json.JSONDecodeError as exc:
                    row.problems.append(
                        Problem(
                            f"line {number} is not valid JSON: {exc.msg} at column {exc.colno}",
                            file=self.name,
                            row=number,
                            value=line.strip()[:100],
                        )
                    )
                else:
                    if isinstance(record, dict):
                        row.values = flatten(record)
                    else:
                        row.problems.append(
                            Problem(
                                f"line {number} is {type_name(record)}, not an object",
                                file=self.name,
                                row=number,
                                value=line.strip()[:100],
                            )
                        )
                yield row

    # -------------------------------------------------------------- Source

    def _rows(self) -> Iterator[Row]:
        return self._ndjson_rows() if self.lines else self._json_rows()

    def fingerprint(self) -> str:
        return file_digest(self.path)

    def estimated_rows(self) -> int | None:
        """NDJSON: the file's size over the bytes per line of its first megabyte. A JSON document
        is parsed whole to be read anyway, so it is parsed here (once: the read takes it over) and
        its records counted exactly."""
        if self.lines:
            return estimate_lines(self.path)
        self._parsed = self._document()
        _, records = find_records(self._parsed[1], self.records_path, source=self.name)
        return len(records)

    def describe(self) -> Description:
        sample: list[dict[str, Any]] = []
        for row in self._rows():
            if row.values:
                sample.append(row.values)
            if len(sample) >= SAMPLE_RECORDS:
                break
        notes = []
        if self._found:
            notes.append(f"records found at {self._found!r}")
        if len(sample) >= SAMPLE_RECORDS:
            notes.append(
                f"columns are those of the first {SAMPLE_RECORDS} records; later records may add more"
            )
        if self._decoding and self._decoding.note:
            notes.append(self._decoding.note)
        return Description(
            kind=self.kind,
            source=self.name,
            columns=columns_of(sample),
            encoding=self._decoding.encoding if self._decoding else None,
            notes=tuple(notes),
        )

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Row]]:
        yield from chunked(self._rows(), batch_size)
