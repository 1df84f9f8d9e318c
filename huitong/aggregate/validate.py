"""Validation: each source row, through its mapping, becomes a clean record or a rejected one.

Pure (no database, no I/O).  For every row :class:`Validator` applies the mapping, then for each
data item (信息项):

1. blank value: an error if the item is required or a key item, else None;
2. the value is read as the item's kind (its data type through ``KIND_FOR_TYPE``, or the mapping's
   ``kind``/``codes``/``date_format`` options; an item whose data element is 性别 reads 男/女 as the
   GB/T 2261.1 code);
3. checked against the item's data element with ``validate_value`` (ID numbers, credit codes,
   division codes, phones, dates, code tables), whose normalised text is kept for text items;
4. checked against the item's length (text values).

Key items must also be unique within one run (a second row with the same key is rejected, naming
the first).  A row with any error yields one :class:`Reject` per error, located at the file, sheet,
row and *source* column label ("C (身份证号)") so the department can find and fix the cell; nothing
is dropped silently.  Warnings (an unknown region, a converted 15-digit ID number) never reject;
they are kept on the result and counted.  :class:`LoadPolicy` and :func:`load_verdict` say whether a
load with so many rejects should go ahead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Mapping as Lookup
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from huitong.aggregate.mapping import ItemOptions, Mapping, check_columns, check_items
from huitong.aggregate.sources.base import Column, Row, show
from huitong.catalog.model import DataItem, DataType
from huitong.errors import Problem, invalid
from huitong.standards.elements import ELEMENTS_BY_ID, DataElement, validate_value
from huitong.standards.normalise import KIND_FOR_TYPE, NormaliseError, is_blank, normalise
from huitong.store.schema import N_SCALE, Y_SCALE

# Data-type letters beyond the five KIND_FOR_TYPE knows (货币型, 双精度型, 浮点型, 整型, 备注型, 通用型).
EXTRA_KINDS = {"Y": "number", "B": "number", "F": "number", "I": "integer", "M": "text", "G": "text"}


@dataclass(frozen=True)
class Located:
    """Something found in one value of one row: where (file, sheet, row, the *source* column's
    label), which value as written, which item, why.  ``code`` is stable (required, format,
    check_digit, too_long, duplicate_key, unreadable, unknown_region ...); ``reason`` is for people
    (English with the Chinese names), ``reason_zh`` the Chinese message where there is one."""

    file: str | None
    sheet: str | None
    row: int | None
    column: str | None  # the source column's label, e.g. "C (身份证号)"
    value: str | None
    reason: str
    item: str | None
    code: str = "invalid"
    reason_zh: str = ""

    def problem(self) -> Problem:
        return Problem(
            self.reason,
            field=self.item,
            file=self.file,
            sheet=self.sheet,
            row=self.row,
            column=self.column,
            value=self.value,
        )

    def __str__(self) -> str:
        return str(self.problem())


@dataclass(frozen=True)
class Reject(Located):
    """An error: the row is rejected (and kept, with this, for the department to fix)."""


@dataclass(frozen=True)
class RowWarning(Located):
    """Worth a look, but the row still loads (an unknown region, a converted 15-digit ID number)."""


@dataclass
class Result:
    """One row validated: ``values`` (item → normalised value, every item of the resource) when it
    passed, else None and ``rejects`` say why; ``warnings`` either way."""

    row: int
    file: str | None
    sheet: str | None
    values: dict[str, Any] | None
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    key: str | None = None  # the row's other locator ("id=17"), from the source

    @property
    def ok(self) -> bool:
        return not self.rejects


@dataclass
class Summary:
    """Counts for a load: rows in, out and rejected, warnings, and rejects and warnings by code."""

    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    warnings: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    warnings_by_reason: Counter[str] = field(default_factory=Counter)
    by_item: Counter[str] = field(default_factory=Counter)  # rejects per item

    def add(self, result: Result) -> None:
        self.rows_in += 1
        if result.ok:
            self.rows_out += 1
        else:
            self.rows_rejected += 1
        for reject in result.rejects:
            self.by_reason[reject.code] += 1
            if reject.item:
                self.by_item[reject.item] += 1
        self.warnings += len(result.warnings)
        for warning in result.warnings:
            self.warnings_by_reason[warning.code] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_rejected": self.rows_rejected,
            "warnings": self.warnings,
            "by_reason": dict(self.by_reason.most_common()),
            "warnings_by_reason": dict(self.warnings_by_reason.most_common()),
            "by_item": dict(self.by_item.most_common()),
        }

    def __str__(self) -> str:
        text = f"{self.rows_in} rows in, {self.rows_out} out, {self.rows_rejected} rejected"
        if self.by_reason:
            text += " (" + ", ".join(f"{code} {n}" for code, n in self.by_reason.most_common()) + ")"
        if self.warnings:
            text += f", {self.warnings} warnings"
        return text


# ---------------------------------------------------------------- the load policy


@dataclass(frozen=True)
class LoadPolicy:
    """When a load is aborted: more than ``max_rejects`` rejected rows, or a rejected share above
    ``max_reject_ratio`` (0..1).  None means no limit of that kind."""

    max_reject_ratio: float | None = None
    max_rejects: int | None = None

    def __post_init__(self) -> None:
        ratio, count = self.max_reject_ratio, self.max_rejects
        if ratio is not None and (
            isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 <= ratio <= 1
        ):
            raise invalid(f"max_reject_ratio must be between 0 and 1, got {ratio!r}")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            raise invalid(f"max_rejects must be a whole number from 0, got {count!r}")


@dataclass(frozen=True)
class LoadVerdict:
    abort: bool
    reason: str


def load_verdict(policy: LoadPolicy, total: int, rejected: int) -> LoadVerdict:
    """Whether a load of ``total`` rows with ``rejected`` rejected rows goes ahead.

    Reaching a limit is allowed, exceeding it aborts.  ``max_rejects`` can be checked with
    running counts while reading (stop as soon as it aborts); the ratio only means something at
    the end.
    """
    if total < 0 or rejected < 0 or rejected > total:
        raise invalid(f"row counts do not add up: {rejected} rejected of {total}")
    share = rejected / total if total else 0.0
    counted = f"{rejected} of {total} rows rejected ({share:.1%})"
    if policy.max_rejects is not None and rejected > policy.max_rejects:
        return LoadVerdict(True, f"{counted}: more than the {policy.max_rejects} allowed")
    if policy.max_reject_ratio is not None and share > policy.max_reject_ratio:
        return LoadVerdict(True, f"{counted}: more than the {policy.max_reject_ratio:.1%} allowed")
    limits = []
    if policy.max_rejects is not None:
        limits.append(f"at most {policy.max_rejects}")
    if policy.max_reject_ratio is not None:
        limits.append(f"at most {policy.max_reject_ratio:.1%}")
    return LoadVerdict(
        False, f"{counted}: within the limit ({', '.join(limits)})" if limits else f"{counted}: no limit"
    )


# ---------------------------------------------------------------- validation


@dataclass(frozen=True)
class _Plan:
    """How one item is read and checked, worked out once per load."""

    item: DataItem
    column: str | None  # source column name, None if the item is not mapped
    label: str | None  # how errors name the column
    kind: str
    options: ItemOptions
    element: DataElement | None


def _kind_for(item: DataItem, options: ItemOptions, element: DataElement | None) -> str:
    if options.kind:
        return options.kind
    if options.codes:
        return "code"
    if element is not None and element.validator == "gender":
        return "gender"
    letter = str(item.data_type)
    return KIND_FOR_TYPE.get(letter) or EXTRA_KINDS.get(letter, "text")


def _element_text(value: Any) -> str:
    """A normalised value as the text a data element's validator reads."""
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_DECIMAL_SCALE = {DataType.N: N_SCALE, DataType.Y: Y_SCALE}


def _significant(value: Decimal) -> Decimal:
    """``value`` without trailing zeros, exactly (``normalize`` rounds to the context's 28
    digits first, which would hide a decimal too many in a longer number)."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or not any(digits):
        return Decimal(0)
    keep = len(digits)
    while digits[keep - 1] == 0:
        keep -= 1
    return Decimal((sign, digits[:keep], exponent + len(digits) - keep))


def _fit_decimal(scale: int, name: str, value: Decimal) -> tuple[Decimal, tuple[str, str, str] | None]:
    """``value`` as stored in a decimal(38, ``scale``) column (without trailing zeros: 1.50000000000
    is 1.5), or why it does not fit: a decimal more, or a digit more before the point, would change
    it on the way in, so the row is refused here and not the whole load at the store."""
    if not value.is_finite():
        return value, None
    value = _significant(value)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > scale:
        return value, (
            f"{name}: {value:f} has {-exponent} decimals; at most {scale} decimals fit",
            "too_many_decimals",
            f"{name}的值 {value:f} 有 {-exponent} 位小数，最多 {scale} 位",
        )
    whole = value.adjusted() + 1 if value else 0
    if whole > 38 - scale:
        return value, (
            f"{name}: {value:f} is too large, at most {38 - scale} digits before the decimal point",
            "number_too_large",
            f"{name}的值过大，整数部分最多 {38 - scale} 位",
        )
    return value, None


class Validator:
    """Validates rows one by one against a mapping and the resource's items, keeping a summary.

    The mapping is checked once, when the validator is made: its items must be the resource's,
    every required and key item must be mapped, and (when ``columns`` are given) every mapped
    column must be in the source; otherwise a :class:`~huitong.errors.HuitongError` lists what is
    wrong before any row is read.
    """

    def __init__(
        self,
        mapping: Mapping,
        items: Sequence[DataItem],
        elements: Lookup[str, DataElement] | None = None,
        *,
        columns: Sequence[Column | str] | None = None,
        file: str | None = None,
        unique_keys: bool = True,
    ) -> None:
        self.elements = ELEMENTS_BY_ID if elements is None else elements
        check_items(mapping, items, self.elements)
        if columns is not None:
            mapping = check_columns(mapping, columns, source=file)
        self.mapping = mapping
        self.items = list(items)
        self.file = file
        self.unique_keys = unique_keys
        self.summary = Summary()
        labels = {c.name: c.label for c in columns or () if isinstance(c, Column)}
        self._plans: list[_Plan] = []
        for item in items:
            column = mapping.column_for(item.name)
            options = mapping.options_for(item.name)
            element = self.elements.get(item.element) if item.element else None
            self._plans.append(
                _Plan(
                    item,
                    column,
                    labels.get(column, column) if column else None,
                    _kind_for(item, options, element),
                    options,
                    element,
                )
            )
        self._key_plans = [p for p in self._plans if p.item.is_key]
        self._keys_seen: dict[tuple[Any, ...], int] = {}
        # a reading problem names its column by label ("C (身份证号)") or by name
        self._plan_by_column = {p.column: p for p in self._plans if p.column}
        self._plan_by_column.update({p.label: p for p in self._plans if p.label})

    def _locator(self, row: Row, file: str | None):
        """Builds a reject or warning placed at this row, naming the plan's source column."""

        def located(cls: type[Located], plan: _Plan | None, value: Any, reason: str, code: str, zh: str = ""):
            if row.key:
                reason = f"{reason} ({row.key})"
            return cls(
                file,
                row.sheet,
                row.row,
                plan.label if plan else None,
                show(value),
                reason,
                plan.item.name if plan else None,
                code,
                zh,
            )

        return located

    def _reading_rejects(self, row: Row, file: str | None) -> list[Reject]:
        """What went wrong while reading the row, as rejects."""
        out = []
        for problem in row.problems:
            plan = self._plan_by_column.get(problem.column or "")
            out.append(
                Reject(
                    problem.file or file,
                    problem.sheet or row.sheet,
                    problem.row if problem.row is not None else row.row,
                    problem.column,
                    problem.value,
                    problem.message,
                    plan.item.name if plan else problem.field,
                    "unreadable",
                )
            )
        return out

    def _duplicate(self, row: Row, values: Lookup[str, Any], first: int, located) -> Reject:
        plan = self._key_plans[0]
        shown = ", ".join(f"{p.item.name}={_element_text(values[p.item.name])}" for p in self._key_plans)
        return located(
            Reject,
            plan,
            row.values.get(plan.column) if plan.column else None,
            f"duplicate key {shown}: the same key is already in row {first}",
            "duplicate_key",
            f"主键重复，与第 {first} 行相同",
        )

    # -- one row

    def validate(self, row: Row) -> Result:
        file = row.file or self.file
        result = Result(row.row, file, row.sheet, None, key=row.key)
        located = self._locator(row, file)
        result.rejects.extend(self._reading_rejects(row, file))
        values: dict[str, Any] = {}
        for plan in self._plans:
            raw = row.values.get(plan.column) if plan.column else None
            value, rejects, warnings = self._check(plan, raw, located)
            values[plan.item.name] = value
            result.rejects.extend(rejects)
            result.warnings.extend(warnings)
        if self.unique_keys and self._key_plans and not result.rejects:
            key = tuple(values[p.item.name] for p in self._key_plans)
            first = self._keys_seen.setdefault(key, row.row)
            if first != row.row:
                result.rejects.append(self._duplicate(row, values, first, located))
        if not result.rejects:
            result.values = values
        self.summary.add(result)
        return result

    def _check(self, plan: _Plan, raw: Any, located) -> tuple[Any, list[Reject], list[RowWarning]]:
        item = plan.item
        if is_blank(raw):
            if item.required or item.is_key:
                what = "key item" if item.is_key else "required item"
                zh = "主键" if item.is_key else "必填项"
                return (
                    None,
                    [
                        located(
                            Reject,
                            plan,
                            raw,
                            f"{item.name} is blank but is a {what}",
                            "required",
                            f"{item.name}为{zh}，不能为空",
                        )
                    ],
                    [],
                )
            return None, [], []
        try:
            value = self._read(plan, raw)
        except NormaliseError as exc:
            return (
                None,
                [located(Reject, plan, raw, f"{item.name}: {exc.message}", exc.reason, exc.message_zh)],
                [],
            )
        if isinstance(value, Decimal) and item.data_type in _DECIMAL_SCALE:
            value, problem = _fit_decimal(_DECIMAL_SCALE[item.data_type], item.name, value)
            if problem is not None:
                message, code, zh = problem
                return None, [located(Reject, plan, raw, message, code, zh)], []
        rejects: list[Reject] = []
        warnings: list[RowWarning] = []
        element = plan.element
        if element is not None and (element.validator or element.value_domain or element.pattern):
            # a date element on a date-time item: the day is what is checked
            day = value.date() if isinstance(value, datetime) and element.validator == "date" else value
            checked = validate_value(element, _element_text(day))
            for finding in checked.findings:
                cls = Reject if finding.severity == "error" else RowWarning
                target = rejects if finding.severity == "error" else warnings
                target.append(
                    located(
                        cls, plan, raw, f"{item.name}: {finding.message}", finding.code, finding.message_zh
                    )
                )
            if checked.ok and isinstance(value, str) and checked.value is not None:
                value = checked.value
        if isinstance(value, str) and item.length is not None and len(value) > item.length:
            rejects.append(
                located(
                    Reject,
                    plan,
                    raw,
                    f"{item.name}: {len(value)} characters, at most {item.length}",
                    "too_long",
                    f"{item.name}长度为 {len(value)}，超过 {item.length}",
                )
            )
        return (None if rejects else value), rejects, warnings

    def _read(self, plan: _Plan, raw: Any) -> Any:
        options = plan.options
        if options.date_format and isinstance(raw, str) and plan.kind in ("date", "datetime"):
            try:
                parsed = datetime.strptime(raw.strip(), options.date_format)
            except ValueError:
                pass  # not in the hinted form: the usual forms are still accepted
            else:
                return parsed.date() if plan.kind == "date" else parsed
        if plan.kind == "code":
            return normalise(raw, "code", codes=options.codes or {})
        return normalise(raw, plan.kind)

    # -- many rows

    def validate_rows(self, rows: Iterable[Row]) -> Iterator[Result]:
        for row in rows:
            yield self.validate(row)


def validate_rows(
    rows: Iterable[Row],
    mapping: Mapping,
    items: Sequence[DataItem],
    elements: Lookup[str, DataElement] | None = None,
    *,
    columns: Sequence[Column | str] | None = None,
    file: str | None = None,
    summary: Summary | None = None,
    unique_keys: bool = True,
) -> Iterator[Result]:
    """Validate rows lazily, one :class:`Result` per row in source order.

    The mapping is checked at once, before any row is read (a bad one raises here); pass ``columns`` (the source description's columns) to check the mapped columns exist and to
    name columns by their spreadsheet label in rejects.  ``file`` names rows that carry no file.
    Pass a :class:`Summary` to have it filled as the rows go by.
    """
    validator = Validator(mapping, items, elements, columns=columns, file=file, unique_keys=unique_keys)
    if summary is not None:
        validator.summary = summary
    return validator.validate_rows(rows)


@dataclass
class Outcome:
    """A whole batch validated: the clean records, every reject and warning, and the counts."""

    records: list[dict[str, Any]]
    rejects: list[Reject]
    warnings: list[RowWarning]
    summary: Summary

    def load_verdict(self, policy: LoadPolicy) -> LoadVerdict:
        return load_verdict(policy, self.summary.rows_in, self.summary.rows_rejected)


def validate_all(
    rows: Iterable[Row],
    mapping: Mapping,
    items: Sequence[DataItem],
    elements: Lookup[str, DataElement] | None = None,
    *,
    columns: Sequence[Column | str] | None = None,
    file: str | None = None,
    unique_keys: bool = True,
) -> Outcome:
    """:func:`validate_rows` collected into lists (for a batch or a test)."""
    summary = Summary()
    outcome = Outcome([], [], [], summary)
    for result in validate_rows(
        rows, mapping, items, elements, columns=columns, file=file, summary=summary, unique_keys=unique_keys
    ):
        if result.values is not None:
            outcome.records.append(result.values)
        outcome.rejects.extend(result.rejects)
        outcome.warnings.extend(result.warnings)
    return outcome
