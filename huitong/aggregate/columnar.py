"""Validation a batch at a time: the same clean records, rejects and counts as
:class:`~huitong.aggregate.validate.Validator`, computed a column at a time.

For each data item the batch's raw values become one column, which is judged in one of two ways:

- a **kernel** (:mod:`huitong.standards.columns`) for the columns where values are many and
  varied, plain text, 公民身份号码, phone numbers and dates: Arrow and NumPy operations *certify*
  the values the per-value functions would accept unchanged, with the warnings they would give;
- **distinct values** for every other column (性别, codes, numbers, ...): a column of
  a million rows holds a few thousand distinct values, and each is judged once by the per-value
  reference, then the answers are spread back over the rows.

What a kernel does not certify (a bad check digit, a full-width digit, a 15-digit number) is
judged by the reference too, so every reject carries exactly the message, row and column the
per-row path gives, and the property tests compare the two paths on generated batches. Only
rejected rows are looked at one by one. Keys are unique across the whole load as before.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from huitong.aggregate.sources.base import ColumnBatch, Row
from huitong.aggregate.validate import Reject, RowWarning, Validator, _Plan
from huitong.standards import columns as kernels
from huitong.store import duck

MEMO_LIMIT = 200_000  # distinct values remembered per item across batches (dates, codes, names)


@dataclass(frozen=True)
class _Outcome:
    """One raw value judged by the reference: its value, and what it would say (without a place)."""

    value: Any
    rejects: tuple[tuple[str, str, str], ...]  # (reason, code, reason_zh)
    warnings: tuple[str, ...]  # codes


@dataclass
class _Judged:
    """One item over one batch: the typed column, which rows it rejects and with what outcome."""

    values: pa.Array
    bad: np.ndarray  # bool per row
    outcome_of: Any  # row index → _Outcome, for the rows in ``bad``


@dataclass(frozen=True)
class Checked:
    """A batch validated: the clean rows as a table in the stored schema, and every reject in row
    order (the order the per-row path gives them)."""

    table: pa.Table
    rejects: list[Reject]


def _record(cls, plan, value, reason, code, zh=""):
    """A locator that keeps what was found and leaves the place to be filled in per row."""
    return (cls, reason, code, zh)


def _key(value: Any) -> tuple[type, Any]:
    return (type(value), value)  # 1, 1.0 and True are different cells


def _strings(raws: Any) -> pa.Array:
    """Raw values as one Arrow string array; ArrowInvalid or ArrowTypeError when they are not all
    text (numbers or dates from an Excel sheet, bytes from a database, a lone surrogate from a
    JSON escape), so the caller judges them value by value as the reference does."""
    if isinstance(raws, pa.Array):
        return raws
    try:
        column = pa.array(raws)
    except UnicodeEncodeError as exc:
        raise pa.ArrowInvalid(str(exc)) from None
    if pa.types.is_null(column.type):
        return column.cast(pa.string())
    if not pa.types.is_string(column.type):
        raise pa.ArrowTypeError(f"values of type {column.type}, not text")
    return column


def _spread(outcomes: list[_Outcome], where: np.ndarray, target: pa.DataType, warned: Counter) -> _Judged:
    """Outcomes judged once each, spread over the rows (``where``: row → outcome), with their
    warnings counted once per row."""
    counts = np.bincount(where, minlength=len(outcomes))
    for j, o in enumerate(outcomes):
        for code in o.warnings:
            warned[code] += int(counts[j])
    bad_of = np.array([bool(o.rejects) for o in outcomes], dtype=bool)
    typed = pa.array([None if o.rejects else o.value for o in outcomes], type=target)
    return _Judged(typed.take(pa.array(where)), bad_of[where], lambda i: outcomes[where[i]])


def _value(raws: Any, i: int) -> Any:
    return raws[i].as_py() if isinstance(raws, pa.Array) else raws[i]


def _take(raws: Any, where: np.ndarray) -> Any:
    return raws.take(pa.array(where)) if isinstance(raws, pa.Array) else [raws[i] for i in where]


class _Batch:
    """Rows or a :class:`ColumnBatch` behind one face: columns of raw values, row numbers,
    which rows had reading problems, and one row back for a report."""

    def __init__(self, rows: Sequence[Row] | ColumnBatch):
        self.rows = rows
        self.columnar = isinstance(rows, ColumnBatch)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str | None) -> pa.Array | list[Any]:
        if name is not None and self.columnar:
            found = self.rows.column(name)
            if found is not None:
                return found
        if name is None or self.columnar:
            return pa.nulls(len(self.rows), pa.string()) if self.columnar else [None] * len(self.rows)
        return [r.values.get(name) for r in self.rows]

    def troubled(self) -> np.ndarray:
        if self.columnar or not len(self.rows):
            return np.zeros(len(self.rows), dtype=bool)
        return np.array([bool(r.problems) for r in self.rows], dtype=bool)

    def row(self, i: int) -> Row:
        return self.rows.row(i) if self.columnar else self.rows[i]

    def rows_at(self, where: np.ndarray) -> list[Row]:
        return self.rows.rows_at(where) if self.columnar else [self.rows[i] for i in where.tolist()]

    def numbers_at(self, where: np.ndarray) -> np.ndarray:
        if self.columnar:
            return np.asarray(self.rows.numbers[where], dtype=np.int64)
        return np.array([self.rows[i].row for i in where.tolist()], dtype=np.int64)


class _SeenKeys:
    """The keys a load has accepted so far, with the row each was first seen in.

    Each key is kept once, as its value (Arrow, for the exact comparison) and as a 64-bit hash
    (DuckDB's ``hash``) in sorted runs that merge like a binary counter, so a batch is looked up
    with ``searchsorted`` in a few runs and inserted at amortised O(log n) copies per key: the
    cost of a batch does not grow with the keys before it, where a join against every seen key
    did. A hash is only a candidate: equal hashes are compared by value, so a collision never
    makes two keys one."""

    def __init__(self, width: int):
        self.con = duck.connect()
        self.names = [f"k{i}" for i in range(width)]
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, ordinals)
        self.keys: list[list[pa.Array]] = [[] for _ in range(width)]  # per column, chunks by ordinal
        self.rows: list[np.ndarray] = []  # row numbers, chunks by ordinal
        self.starts: list[int] = []  # first ordinal of each chunk
        self.count = 0

    def _hash(self, keys: list[pa.Array]) -> np.ndarray:
        n = len(keys[0])
        batch = pa.table({**dict(zip(self.names, keys, strict=True)), "pos": np.arange(n)})
        self.con.register("batch", batch)
        try:
            got = self.con.sql(f"SELECT pos, hash({', '.join(self.names)}) AS h FROM batch").to_arrow_table()
        finally:
            self.con.unregister("batch")
        out = np.empty(n, np.uint64)
        out[got.column("pos").to_numpy()] = got.column("h").to_numpy()
        return out

    def _key(self, ordinal: int) -> tuple:
        chunk = bisect.bisect_right(self.starts, ordinal) - 1
        at = ordinal - self.starts[chunk]
        return tuple(col[chunk][at].as_py() for col in self.keys)

    def _row(self, ordinal: int) -> int:
        chunk = bisect.bisect_right(self.starts, ordinal) - 1
        return int(self.rows[chunk][ordinal - self.starts[chunk]])

    def _earlier(self, h: np.ndarray, where: np.ndarray, key_of) -> dict[int, int]:
        """Position → first row, for the positions in ``where`` (in the order of their hashes, so
        searchsorted stays in cache) whose key was seen before."""
        found: dict[int, int] = {}
        needles = h[where]
        for hashes, ordinals in self.runs:
            lo = np.searchsorted(hashes, needles, "left")
            hit = hashes[np.minimum(lo, len(hashes) - 1)] == needles
            for j in np.flatnonzero(hit).tolist():
                position = int(where[j])
                if position in found:
                    continue
                hi = int(np.searchsorted(hashes, needles[j], "right"))
                for ordinal in ordinals[lo[j] : hi].tolist():
                    if self._key(ordinal) == key_of(position):
                        found[position] = self._row(ordinal)
                        break
        return found

    def repeats(self, keys: list[pa.Array], numbers: np.ndarray) -> list[tuple[int, int]]:
        """(position, first row) for each row whose key came before under another row number, in
        this batch or an earlier one, as ``dict.setdefault`` would find it; the new keys are kept."""
        n = len(numbers)
        if n == 0:
            return []
        h = self._hash(keys)
        cache: dict[int, tuple] = {}

        def key_of(position: int) -> tuple:
            if position not in cache:
                cache[position] = tuple(col[position].as_py() for col in keys)
            return cache[position]

        # within the batch: equal hashes are candidates, grouped and compared by value
        order = np.argsort(h, kind="stable")
        sorted_h = h[order]
        same = np.flatnonzero(sorted_h[1:] == sorted_h[:-1])
        first_pos = np.arange(n)
        if len(same):
            starts = same[np.r_[True, np.diff(same) > 1]]
            for a in starts.tolist():
                b = a + 1
                while b + 1 < n and sorted_h[b + 1] == sorted_h[a]:
                    b += 1
                firsts: dict[tuple, int] = {}
                for position in sorted(order[a : b + 1].tolist()):
                    first_pos[position] = firsts.setdefault(key_of(position), position)
        leading = first_pos == np.arange(n)
        earlier = self._earlier(h, order[leading[order]], key_of)
        seen_before = np.zeros(n, dtype=bool)
        seen_before[list(earlier)] = True
        out = []
        for position in np.flatnonzero(~leading | seen_before).tolist():
            lead = int(first_pos[position])
            first = earlier.get(lead, int(numbers[lead]))
            if first != int(numbers[position]):
                out.append((position, first))
        self._keep(keys, numbers, h, leading & ~seen_before, order)
        return out

    def _keep(
        self, keys: list[pa.Array], numbers: np.ndarray, h: np.ndarray, new: np.ndarray, order: np.ndarray
    ) -> None:
        """Keep the keys of the rows marked ``new``; ``order`` sorts the batch by hash."""
        where = np.flatnonzero(new)
        if not len(where):
            return
        taken = pa.array(where)
        for col, values in zip(self.keys, keys, strict=True):
            col.append(values.take(taken))
        self.rows.append(np.asarray(numbers[where], np.int64))
        self.starts.append(self.count)
        ordinal = self.count + np.cumsum(new) - 1  # the kept rows numbered in row order
        self.count += len(where)
        by_hash = order[new[order]]
        self.runs.append((h[by_hash], ordinal[by_hash]))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= len(self.runs[-1][0]):
            (ha, oa), (hb, ob) = self.runs[-2], self.runs.pop()
            merged_h = np.concatenate([ha, hb])
            merged_o = np.concatenate([oa, ob])
            order = np.argsort(merged_h, kind="stable")
            self.runs[-1] = (merged_h[order], merged_o[order])

    def close(self) -> None:
        self.con.close()


class ColumnarValidator(Validator):
    """A :class:`Validator` that also checks whole batches (:meth:`check_batch`)."""

    def __init__(self, *args: Any, schema: pa.Schema, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema
        self._today = None
        self._memo: dict[str, dict[str | None, _Outcome]] = {}  # item → text value → its outcome
        self._seen: _SeenKeys | None = None

    # -- one value, by the reference

    def _outcome(self, plan: _Plan, raw: Any) -> _Outcome:
        value, rejects, warnings = self._check(plan, raw, _record)
        return _Outcome(
            value,
            tuple((reason, code, zh) for _, reason, code, zh in rejects),
            tuple(code for _, _, code, _ in warnings),
        )

    def _distinct(self, plan: _Plan, raws: list[Any], target: pa.DataType, warned: Counter) -> _Judged:
        """Judge each distinct value once and spread the answers over the rows."""
        try:  # text (every delimited file): Arrow finds the distinct values
            encoded = _strings(raws).dictionary_encode()
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            encoded = None
        if encoded is not None:
            distinct = encoded.dictionary.to_pylist() + [None]  # the last stands for a missing value
            where = encoded.indices.fill_null(len(distinct) - 1).to_numpy().astype(np.int64)
            memo = self._memo.setdefault(plan.item.name, {})
            outcomes = []
            for raw in distinct:
                o = memo.get(raw)
                if o is None:
                    o = self._outcome(plan, raw)
                    if len(memo) < MEMO_LIMIT:
                        memo[raw] = o
                outcomes.append(o)
        else:  # numbers, dates and text mixed (a spreadsheet): by hand, 1, 1.0 and True apart
            index: dict[tuple[type, Any], int] = {}
            outcomes = []
            where = np.empty(len(raws), dtype=np.int64)
            for i, raw in enumerate(raws):
                k = _key(raw)
                j = index.get(k)
                if j is None:
                    j = index[k] = len(outcomes)
                    outcomes.append(self._outcome(plan, raw))
                where[i] = j
        return _spread(outcomes, where, target, warned)

    def _kernel(self, plan: _Plan, raws: list[Any], target: pa.DataType, warned: Counter) -> _Judged | None:
        """Plain text, ID numbers and dates through the column kernels, the rest through the
        reference; None when no kernel applies to the column."""
        try:
            column = _strings(raws)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            return None  # numbers or dates among the text (an Excel sheet): value by value
        alike = None
        if pa.types.is_string(target) or pa.types.is_large_string(target):
            found = self._text_kernel(plan, column, warned)
            if found is None:
                return None
            certified, alike = found
            values = column.cast(target)
        elif pa.types.is_date32(target) and self._date_kernel_applies(plan):
            dates = kernels.dates(column)
            certified, values = dates.certified, pa.array(dates.days, type=target)
        else:
            return None
        rest = np.flatnonzero(~certified)
        if len(rest) == len(raws) and alike is None:
            return None
        if alike is not None:  # rows the reference answers alike, judged once per kind
            parts = [(rest[alike[rest] < 0], None), (rest[alike[rest] >= 0], alike)]
        else:
            parts = [(rest, None)]
        n = len(raws)
        bad = np.zeros(n, dtype=bool)
        mask = np.zeros(n, dtype=bool)
        outcome_at: dict[int, Any] = {}
        for where, kinds in parts:
            if not len(where):
                continue
            if kinds is None:
                judged = self._distinct(plan, _take(raws, where), target, warned)
            else:
                judged = self._alike(plan, raws, where, kinds[where], target, warned)
            mask[where] = True
            values = pa.compute.replace_with_mask(values, pa.array(mask), judged.values)  # rows in order
            mask[where] = False
            bad[where] = judged.bad
            outcome_at.update((int(r), (judged, i)) for i, r in enumerate(where) if judged.bad[i])
        return _Judged(values, bad, lambda i: outcome_at[i][0].outcome_of(outcome_at[i][1]))

    def _alike(
        self,
        plan: _Plan,
        raws: Any,
        where: np.ndarray,
        kinds: np.ndarray,
        target: pa.DataType,
        warned: Counter,
    ) -> _Judged:
        """Rows a kernel has sorted into kinds the reference answers alike (an ID number whose only
        fault is its check character: the message names the character found and the one expected,
        never the number): one reference call per kind, on its first row."""
        _, first, where_kind = np.unique(kinds, return_index=True, return_inverse=True)
        outcomes = [self._outcome(plan, _value(raws, int(where[j]))) for j in first.tolist()]
        return _spread(outcomes, where_kind, target, warned)

    def _text_kernel(
        self, plan: _Plan, column: pa.Array, warned: Counter
    ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """Which text values pass unchanged: trimmed, within the lengths, and in the canonical form
        of the element's validator (the warnings counted for them); and, for ID numbers, the kinds
        of the others that the reference answers alike (-1: judge the value itself)."""
        certified = kernels.clean_text(column)
        element = plan.element
        limits = [n for n in (plan.item.length, element.length if element else None) if n is not None]
        if limits:
            certified &= kernels.lengths(column) <= min(limits)
        if element is None:
            return certified, None
        pattern = element.pattern and element.pattern != kernels.IMPLIED_PATTERNS.get(element.validator or "")
        if pattern or element.value_domain is not None or element.data_type != "C":
            return None
        alike = None
        if element.validator == "id_number":
            found = kernels.id_numbers(column, today=self._today)
            alike = np.where(certified & (found.kind >= 0), found.kind, -1)
            certified &= found.certified
            warned["implausible_age"] += int((found.implausible_age & certified).sum())
            warned["unknown_region"] += int((found.unknown_region & certified).sum())
        elif element.validator is not None:
            shaped = kernels.canonical(column, element.validator)
            if shaped is None:
                return None
            certified &= shaped
        return certified, alike

    @staticmethod
    def _date_kernel_applies(plan: _Plan) -> bool:
        """A date item read as the usual forms (no ``date_format`` hint first) whose element, if
        any, checks nothing the kernel does not (the date validator on ISO text of 10 characters)."""
        if plan.kind != "date" or plan.options.date_format:
            return False
        element = plan.element
        if element is None:
            return True
        return (
            not element.pattern
            and element.value_domain is None
            and element.validator in (None, "date")
            and (element.length is None or element.length >= 10)
        )

    def _judge(self, plan: _Plan, batch: _Batch, target: pa.DataType, warned: Counter) -> _Judged:
        raws = batch.column(plan.column)
        return self._kernel(plan, raws, target, warned) or self._distinct(plan, raws, target, warned)

    # -- a batch

    def check_batch(self, rows: Sequence[Row] | ColumnBatch) -> Checked:
        """Validate a batch (rows, or rows read as columns): the clean rows in the stored schema and
        the rejects, with the summary counted as :meth:`validate` counts it."""
        if self._today is None:
            from datetime import date

            self._today = date.today()
        batch = _Batch(rows)
        n = len(batch)
        warned: Counter[str] = Counter()
        judged = {
            p.item.name: self._judge(p, batch, self.schema.field(p.item.name).type, warned)
            for p in self._plans
        }
        bad = np.zeros(n, dtype=bool)
        for j in judged.values():
            bad |= j.bad
        bad |= batch.troubled()
        by_row: dict[int, list[Reject]] = {}
        where = np.flatnonzero(bad)
        for i, row in zip(where.tolist(), batch.rows_at(where), strict=True):
            by_row[i] = self._row_rejects(i, row, judged)
        good = np.flatnonzero(~bad)
        if self.unique_keys and self._key_plans and len(good):
            self._keys(batch, judged, good, by_row)
        keep = np.ones(n, dtype=bool)
        keep[list(by_row)] = False
        table = pa.table({name: j.values for name, j in judged.items()}, schema=self.schema)
        table = table.filter(pa.array(keep))
        rejects = [r for i in sorted(by_row) for r in by_row[i]]
        self._count(n, len(by_row), rejects, warned)
        return Checked(table, rejects)

    def _row_rejects(self, i: int, row: Row, judged: dict[str, _Judged]) -> list[Reject]:
        file = row.file or self.file
        located = self._locator(row, file)
        out = self._reading_rejects(row, file)
        for plan in self._plans:
            j = judged[plan.item.name]
            if not j.bad[i]:
                continue
            raw = row.values.get(plan.column) if plan.column else None
            for reason, code, zh in j.outcome_of(i).rejects:
                out.append(located(Reject, plan, raw, reason, code, zh))
        return out

    def _keys(self, batch: _Batch, judged: dict[str, _Judged], good: np.ndarray, by_row) -> None:
        """Keys unique across the load, as :meth:`validate` keeps them (a key is a duplicate when
        its first row has another number), found by a join in DuckDB rather than a Python dict:
        exact, a few dozen bytes per key, and no Python object per row."""
        if self._seen is None:
            self._seen = _SeenKeys(len(self._key_plans))
        keys = [judged[p.item.name].values.take(pa.array(good)) for p in self._key_plans]
        numbers = batch.numbers_at(good)
        for position, first in self._seen.repeats(keys, numbers):
            i = int(good[position])
            row = batch.row(i)
            values = {
                p.item.name: self._outcome(p, row.values.get(p.column) if p.column else None).value
                for p in self._key_plans
            }
            by_row[i] = [self._duplicate(row, values, first, self._locator(row, row.file or self.file))]

    def close(self) -> None:
        """Release the keys of the load (safe to call twice)."""
        if self._seen is not None:
            self._seen.close()
            self._seen = None

    def _count(self, n: int, rejected: int, rejects: list[Reject], warned: Counter[str]) -> None:
        s = self.summary
        s.rows_in += n
        s.rows_out += n - rejected
        s.rows_rejected += rejected
        for reject in rejects:
            s.by_reason[reject.code] += 1
            if reject.item:
                s.by_item[reject.item] += 1
        for code, count in warned.items():
            if count:
                s.warnings += count
                s.warnings_by_reason[code] += count


__all__ = ["Checked", "ColumnarValidator", "RowWarning"]
