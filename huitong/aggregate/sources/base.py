"""What every connector hands the pipeline, and how connectors are found.

Rows are plain Python objects, not Arrow record batches, on purpose: a department's column can
hold text in one row and a damaged number in the next, and each row must keep *where it came
from* (file, sheet, the row or line number a person sees) and any problem found while reading
it.  An Arrow column would force one type per column before validation, hiding exactly the
values we have to report; the store converts to Arrow after normalisation and validation.

A connector is a plugin: a :class:`Source` subclass registered under a *kind* with
:func:`register` (built-ins) or through the ``huitong.sources`` entry-point group (other
packages).  The pipeline only ever calls :func:`open_source`.
"""

from __future__ import annotations

import abc
import hashlib
import importlib
import inspect
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from huitong.errors import Problem, invalid
from huitong.standards.normalise import escape_surrogates

ENTRY_POINT_GROUP = "huitong.sources"
DEFAULT_BATCH_SIZE = 1000


def column_letter(position: int) -> str:
    """Spreadsheet letters for a 1-based column position: 1 → A, 27 → AA."""
    letters = ""
    while position > 0:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def show(value: Any) -> str | None:
    """A value as a person would recognise it in an error message."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return escape_surrogates(str(value))


def _match_key(text: str) -> str:
    """Header text compared loosely: width, case and all whitespace ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "\u200b\u200c\u200d\ufeff")


@dataclass(frozen=True)
class Column:
    """One column of a source.

    ``name`` is the key in :attr:`Row.values`: the header text as written, or for a header of
    several rows (a merged "基本信息" over 姓名|性别) the parts joined by ``/``, e.g.
    "基本信息/姓名".  ``path`` holds those parts, so the column is also found by its leaf "姓名".
    """

    name: str
    position: int  # 1-based position in the source
    path: tuple[str, ...] = ()
    letter: str | None = None  # spreadsheet letter, for files a person opens in Excel/WPS

    @property
    def leaf(self) -> str:
        return self.path[-1] if self.path else self.name

    @property
    def label(self) -> str:
        """How errors name the column: ``C (姓名)`` where there is a letter, otherwise the name.

        The letter comes first so the error workbook (catalog.error_report) can find the cell.
        """
        return f"{self.letter} ({self.name})" if self.letter else self.name


@dataclass(frozen=True)
class SheetInfo:
    name: str
    index: int  # 0-based, the value the ``sheet`` option takes
    rows: int  # rows in use as the workbook records them (0 = empty)
    hidden: bool = False


@dataclass(frozen=True)
class Skipped:
    """A row deliberately not read: a title, a blank line, a note below the table."""

    row: int
    reason: str
    text: str = ""


@dataclass(frozen=True)
class Description:
    """What a source looks like before reading it, for the person setting up a mapping."""

    kind: str
    source: str  # file name, URL (without secrets) or table
    columns: tuple[Column, ...]
    encoding: str | None = None
    delimiter: str | None = None
    quotechar: str | None = None
    header_rows: tuple[int, ...] = ()  # 1-based rows/lines holding the header
    first_data_row: int | None = None
    title: str | None = None  # the title line(s) above the table, if any
    sheet: str | None = None
    sheets: tuple[SheetInfo, ...] = ()
    skipped: tuple[Skipped, ...] = ()  # rows above the data that were not read, and why
    notes: tuple[str, ...] = ()  # anything a person should double-check (a guessed encoding, renamed headers)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name``: by full name, else by leaf ("姓名" for "基本信息/姓名"),
        each first exactly and then ignoring width, case and spaces.  Ambiguity is an error,
        never a guess."""
        exact = [c for c in self.columns if c.name == name]
        if exact:
            return exact[0]
        key = _match_key(name)
        for pick in (
            lambda c: c.leaf == name,
            lambda c: _match_key(c.name) == key,
            lambda c: _match_key(c.leaf) == key,
        ):
            found = [c for c in self.columns if pick(c)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise invalid(
                    f"{self.source}: column name {name!r} is ambiguous: "
                    + ", ".join(repr(c.name) for c in found)
                    + "; use the full name",
                    Problem(f"{name!r} matches {len(found)} columns", file=self.source, sheet=self.sheet),
                )
        raise invalid(
            f"{self.source}: no column {name!r}; the columns are "
            + ", ".join(repr(c.name) for c in self.columns),
            Problem(f"no column {name!r}", file=self.source, sheet=self.sheet),
        )


@dataclass(slots=True)
class Row:
    """One record with its provenance.

    ``row`` is 1-based and means what a person would look for: the line in a text editor for
    CSV/TXT/NDJSON/JSON, the row number in Excel, the record number for an API or a query.
    ``problems`` are what went wrong while *reading* this row (a ragged line, an ID number
    Excel stored as a float): the pipeline rejects such rows with these problems.
    """

    values: dict[str, Any]
    row: int
    file: str | None = None
    sheet: str | None = None
    key: str | None = None  # how to find the record besides its number: "id=17", "page 3, item 5"
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, message: str, column: Column | str | None = None, value: Any = None) -> Problem:
        """A problem located at this row (and column): what the pipeline reports for a bad value."""
        label = column.label if isinstance(column, Column) else column
        if self.key:
            message = f"{message} ({self.key})"
        return Problem(
            message, file=self.file, sheet=self.sheet, row=self.row, column=label, value=show(value)
        )

    def locate(self, problem: Problem, column: Column | str | None = None) -> Problem:
        """Place a problem found elsewhere (e.g. by ``normalise``) at this row and column."""
        located = self.problem(problem.message, column, problem.value)
        return replace(located, field=problem.field, value=problem.value)


@dataclass(frozen=True)
class ColumnBatch:
    """Rows read straight into columns, for a stretch of a file where every row is plain data (a
    reader proves it before it hands one over): one string column per source column, named as
    :attr:`Column.name`, empty cells as null, and each row's number. Such rows have no reading
    problems. :meth:`row` gives one back as a :class:`Row`, for a reject's report.
    """

    table: Any  # pyarrow.Table of strings
    numbers: Any  # numpy int64 array, 1-based, what a person would look for
    file: str | None = None
    sheet: str | None = None

    def __len__(self) -> int:
        return self.table.num_rows

    def column(self, name: str) -> Any:
        """The column as one pyarrow string array, or None when the source has no such column."""
        if name not in self.table.column_names:
            return None
        return self.table.column(name).combine_chunks()

    def row(self, i: int) -> Row:
        return self.rows_at([i])[0]

    def rows_at(self, where: Any) -> list[Row]:
        """The rows at these positions, in one pass (the rejects of a batch)."""
        values = self.table.take(where).to_pylist() if len(where) else []
        numbers = self.numbers[where].tolist() if len(where) else []
        return [Row(v, n, self.file, self.sheet) for v, n in zip(values, numbers, strict=True)]


class Source(abc.ABC):
    """A connector: describe what is there, then hand over the rows in batches.

    ``watermark`` is set by incremental sources once :meth:`batches` is exhausted: the value to
    pass back next time to read only what changed.
    """

    kind: ClassVar[str] = ""
    watermark: Any = None
    # Set by a load before it describes the source: a check that the load's own full read makes
    # anyway (a file's encoding, by its strict decode) may be left to that read instead of being
    # made over the whole source first.
    for_load: bool = False

    @abc.abstractmethod
    def describe(self) -> Description:
        """Columns and layout, from the start of the source (cheap; does not read everything)."""

    @abc.abstractmethod
    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Row]]:
        """All rows, ``batch_size`` at a time, in source order."""

    def rows(self) -> Iterator[Row]:
        for batch in self.batches():
            yield from batch

    def load_batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Row] | ColumnBatch]:
        """What a load reads: :meth:`batches`, unless the connector can hand over stretches of plain
        rows as :class:`ColumnBatch` (the same rows, read at columnar speed)."""
        return self.batches(batch_size)

    def estimated_rows(self) -> int | None:
        """About how many rows :meth:`batches` will give, for a progress bar's ETA; None when a
        source cannot tell without reading (a database query, an API)."""
        return None

    def fingerprint(self) -> str | None:
        """A digest of the raw input, for a source that can give one cheaply (a file): a load whose
        input, mapping and items are those of the last load is recognised before it is read.
        None (a database, an API) means it must be read to be compared."""
        return None

    def close(self) -> None:  # noqa: B027 - most sources hold nothing open between calls
        """Release connections or files; safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def file_digest(path: Any) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


ESTIMATE_BYTES = 1 << 20  # read to estimate how many lines a file has


def estimate_lines(path: Any) -> int:
    """About how many lines a file has: its size over the bytes per line of its first megabyte
    (exact for a file within that megabyte); for a progress bar's ETA."""
    size = Path(path).stat().st_size
    with open(path, "rb") as f:
        sample = f.read(ESTIMATE_BYTES)
    lines = sample.count(b"\n") + (0 if sample.endswith(b"\n") or not sample else 1)
    if not lines:
        return 0
    return lines if len(sample) == size else round(size * lines / len(sample))


def chunked(rows: Iterable[Row], batch_size: int) -> Iterator[list[Row]]:
    """Group rows into lists of ``batch_size`` (the last may be shorter, none is empty)."""
    check_batch_size(batch_size)
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def check_batch_size(batch_size: int) -> None:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise invalid(f"batch_size must be a positive whole number, got {batch_size!r}")


# ---------------------------------------------------------------- registry

S = TypeVar("S", bound=type)


@dataclass(frozen=True)
class _Entry:
    factory: Callable[..., Any]
    defaults: dict[str, Any]


_REGISTRY: dict[str, _Entry] = {}

# Built-in kinds and the module that registers them; imported on first use so that reading a
# CSV file never imports openpyxl, httpx or a database driver.
_BUILTIN_MODULES = {
    "csv": "delimited",
    "tsv": "delimited",
    "txt": "delimited",
    "delimited": "delimited",
    "excel": "excel",
    "xlsx": "excel",
    "xls": "excel",
    "json": "json_file",
    "ndjson": "json_file",
    "jsonl": "json_file",
    "http": "http_api",
    "api": "http_api",
    "sql": "sql",
}

_SUFFIX_KINDS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".et": "xls",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


def register(kind: str, **defaults: Any) -> Callable[[S], S]:
    """Class decorator: make ``open_source(kind, ...)`` build this class.

    ``defaults`` are options implied by the kind (``register("tsv", delimiter="\\t")``); the
    caller's options override them.  Decorators stack to give one class several kinds.
    """

    def decorate(cls: S) -> S:
        _REGISTRY[kind.lower()] = _Entry(cls, dict(defaults))
        if not getattr(cls, "kind", ""):
            cls.kind = kind.lower()  # type: ignore[attr-defined]
        return cls

    return decorate


def _lookup(kind: str) -> _Entry | None:
    key = kind.lower()
    if key not in _REGISTRY and key in _BUILTIN_MODULES:
        importlib.import_module(f"huitong.aggregate.sources.{_BUILTIN_MODULES[key]}")
    if key not in _REGISTRY:
        for name, cls, defaults in _plugin_kinds():  # asked each time: plugins come and go in tests
            if name.lower() == key:
                return _Entry(cls, dict(defaults or {}))
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name.lower() == key:
                _REGISTRY[key] = _Entry(ep.load(), {})
                break
    return _REGISTRY.get(key)


def _plugin_kinds() -> list[tuple[str, type, dict[str, Any]]]:
    """Kinds that plugins bring through the ``huitong_sources`` hook."""
    from huitong import plugins

    kinds = plugins.flattened(plugins.hook().huitong_sources())
    clash = sorted({k.lower() for k, _, _ in kinds} & set(_BUILTIN_MODULES))
    if clash:
        raise invalid(f"a plugin redefines the built-in source kind {clash[0]!r}")
    return kinds


def available_kinds() -> list[str]:
    """Every kind open_source accepts: built-ins and installed plugins."""
    kinds = set(_BUILTIN_MODULES) | set(_REGISTRY) | {k.lower() for k, _, _ in _plugin_kinds()}
    kinds |= {ep.name.lower() for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(kinds)


def guess_kind(path: str) -> str:
    """The kind for a file name, by its extension (the connectors then check the content)."""
    lower = str(path).lower()
    for suffix, kind in _SUFFIX_KINDS.items():
        if lower.endswith(suffix):
            return kind
    raise invalid(
        f"{path}: cannot tell the file type from its name; name it .csv, .tsv, .txt, .xlsx, .xls, "
        ".json or .ndjson, or say which kind it is"
    )


def _options(factory: Callable[..., Any]) -> set[str] | None:
    """The keyword options a factory accepts, or None when it takes any (**kwargs)."""
    params = inspect.signature(factory).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {
        p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    }


def _required(factory: Callable[..., Any]) -> list[str]:
    params = inspect.signature(factory).parameters.values()
    return [
        p.name
        for p in params
        if p.default is p.empty and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]


def open_source(kind: str, **config: Any) -> Source:
    """The one way the pipeline gets a connector: ``open_source("csv", path=..., encoding=None)``.

    Unknown kinds and misspelt options are refused with the list of what is accepted, before
    anything is read.
    """
    entry = _lookup(kind)
    if entry is None:
        raise invalid(f"unknown source kind {kind!r}; available: {', '.join(available_kinds())}")
    accepted = _options(entry.factory)
    if accepted is not None:
        unknown = sorted(set(config) - accepted)
        if unknown:
            raise invalid(
                f"{kind} source: unknown option(s) {', '.join(map(repr, unknown))}; "
                f"accepted: {', '.join(sorted(accepted))}"
            )
    options = {**entry.defaults, **config}
    missing = [name for name in _required(entry.factory) if name not in options]
    if missing:
        raise invalid(f"{kind} source: missing required option(s) {', '.join(map(repr, missing))}")
    source = entry.factory(**options)
    if isinstance(source, Source):
        source.kind = kind.lower()  # the kind it was opened as ("tsv", not the class's "csv")
    for method in ("describe", "batches"):
        if not callable(getattr(source, method, None)):
            raise invalid(f"source plugin {kind!r} does not provide {method}()")
    return source
