"""What a quality rule is, as data: its kind, dimension, severity, threshold and parameters (pure).

A rule is attached either to a data element (数据元: it applies to every resource item mapped to
that element) or to one resource (per item, per pair of items, or per row). Each kind says which
GB/T 36344 dimension it measures by default, how many columns it takes, and which parameters it
accepts; :func:`check_rule` refuses anything else with the reason, so a rule file is either
wholly right or refused with the line of every mistake (see ``rulefile``).

Every rule measures a *pass ratio*: of the rows it applies to, the share that pass. It passes
when the ratio reaches its ``threshold`` (1.0 unless told: every row). Two kinds are about the
version rather than its rows: ``freshness`` (时效性: the version is newer than the update cycle
allows), ``row_count_change`` (an anomaly: the row count moved more than ``max_change``) and
``accessible`` (可访问性: every catalog data item is a stored column and every file of the version
opens).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import duckdb

from huitong.store import duck


class Dimension(StrEnum):
    """GB/T 36344-2018 数据质量评价指标: the six dimensions rules are grouped by."""

    conformity = "conformity"  # 规范性: standards, code tables, formats
    completeness = "completeness"  # 完整性: values and records present
    accuracy = "accuracy"  # 准确性: right values, no repeats
    consistency = "consistency"  # 一致性: agreeing with related data, here and elsewhere
    timeliness = "timeliness"  # 时效性: current enough
    accessibility = "accessibility"  # 可访问性: can be read

    @property
    def label_zh(self) -> str:
        return DIMENSION_LABELS[self]


DIMENSION_LABELS = {
    Dimension.conformity: "规范性",
    Dimension.completeness: "完整性",
    Dimension.accuracy: "准确性",
    Dimension.consistency: "一致性",
    Dimension.timeliness: "时效性",
    Dimension.accessibility: "可访问性",
}


class Severity(StrEnum):
    warn = "warn"  # shown, scored
    fail = "fail"  # also gates a load where the resource asks for it

    @property
    def weight(self) -> int:
        return 2 if self is Severity.fail else 1


CROSS_FIELD_CHECKS = {
    "birth_date_in_id": "出生日期 agrees with the birth date inside 公民身份号码",
    "gender_in_id": "性别 agrees with the parity of 公民身份号码's 17th digit",
}

# days an update cycle allows before a resource counts as stale (时效性), a grace included
CYCLE_DAYS = {
    "realtime": 1,
    "daily": 2,
    "weekly": 8,
    "monthly": 32,
    "quarterly": 93,
    "half_yearly": 185,
    "yearly": 367,
}


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty text"


def _texts(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list"
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        return "must list texts or whole numbers"
    return None


def _regex(value: Any) -> str | None:
    """A pattern RE2 (DuckDB's engine) compiles, asked of DuckDB itself: \\p{Han} is fine there,
    look-around and back-references are not."""
    if not isinstance(value, str) or not value:
        return "must be a regular expression"
    con = duck.scratch()
    try:
        con.sql("SELECT regexp_full_match('', $p)", params={"p": value}).fetchall()
    except duckdb.Error as exc:
        detail = str(exc).strip().splitlines()[0].removeprefix("Invalid Input Error: ")
        return f"is not a regular expression RE2 accepts ({detail})"
    finally:
        con.close()
    return None


MAX_INT = 2**63 - 1  # what a bound or a count may be: the store's BIGINT
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _as_date(value: Any) -> date | None:
    """A bound's date (from a date or its YYYY-MM-DD text), or None when it is not one."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: Any) -> str | None:
    """Why a number cannot be kept (NaN, infinite, or beyond a 64-bit integer), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value}"
    if abs(value) > MAX_INT:
        return f"must be at most {MAX_INT} in size"
    return None


def _bound(value: Any) -> str | None:
    if isinstance(value, datetime):
        return "must be a number or a date (YYYY-MM-DD), not a date and time"
    if _number(value):
        return _finite(value)
    if isinstance(value, str | date):
        if _as_date(value) is None:
            return f"{str(value)!r} is neither a number nor a date written YYYY-MM-DD"
        return None
    return "must be a number or a date (YYYY-MM-DD)"


MAX_POSITIVE = 1_000_000  # days of age, or a row count's change


def _ratio(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        return "must be a number from 0 to 1"
    return None


def _positive(value: Any) -> str | None:
    if not _number(value) or not value > 0 or not value <= MAX_POSITIVE:
        return f"must be a number above 0 (at most {MAX_POSITIVE})"
    return None


def _check(value: Any) -> str | None:
    if not isinstance(value, str) or value not in CROSS_FIELD_CHECKS:
        return f"must be one of {', '.join(CROSS_FIELD_CHECKS)}"
    return None


def _other(required: tuple[str, ...], optional: tuple[str, ...]) -> Callable[[Any], str | None]:
    """A nested mapping naming another resource's column(s)."""

    def check(value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return f"must be a mapping with {', '.join(required)}"
        missing = [k for k in required if k not in value]
        if missing:
            return f"lacks {', '.join(missing)}"
        unknown = sorted(set(value) - set(required) - set(optional))
        if unknown:
            return f"has unknown field(s) {', '.join(unknown)}"
        for k, v in value.items():
            if k in ("key", "other_key"):
                if isinstance(v, str):
                    continue
                if not isinstance(v, list) or not v or not all(isinstance(x, str) and x for x in v):
                    return f"{k} must name one column or list columns"
            elif k == "compare":
                if v not in ("exact", "normalised"):
                    return "compare must be exact or normalised"
            elif not isinstance(v, str) or not v.strip():
                return f"{k} must be a non-empty text"
        return None

    return check


@dataclass(frozen=True)
class Kind:
    """One kind of rule: what it measures and what it takes."""

    name: str
    dimension: Dimension
    label_zh: str
    min_columns: int
    max_columns: int | None  # None: any number
    required: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)
    optional: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)
    on_element: bool = True  # may be attached to a data element (single-column kinds)
    over_rows: bool = True  # measured by the SQL pass (False: from the version's metadata)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("not_null", Dimension.completeness, "非空/完整率", 1, 1),
        Kind("valid", Dimension.conformity, "符合数据元校验", 1, 1),
        Kind("in_code_table", Dimension.conformity, "符合代码表", 1, 1, optional={"values": _texts}),
        Kind("pattern", Dimension.conformity, "符合格式", 1, 1, required={"regex": _regex}),
        Kind("range", Dimension.accuracy, "取值范围", 1, 1, optional={"min": _bound, "max": _bound}),
        Kind("unique", Dimension.accuracy, "唯一性", 1, None, on_element=False),
        Kind(
            "referential",
            Dimension.consistency,
            "引用一致性",
            1,
            1,
            required={"ref": _other(("resource", "column"), ())},
            on_element=False,
        ),
        Kind(
            "cross_field",
            Dimension.consistency,
            "字段间一致性",
            2,
            2,
            required={"check": _check},
            on_element=False,
        ),
        Kind(
            "cross_source",
            Dimension.consistency,
            "多源校核",
            1,
            1,
            required={"other": _other(("resource", "key"), ("column", "other_key", "compare"))},
            on_element=False,
        ),
        Kind(
            "freshness",
            Dimension.timeliness,
            "更新及时性",
            0,
            0,
            optional={"max_age_days": _positive},
            on_element=False,
            over_rows=False,
        ),
        Kind(
            "accessible",
            Dimension.accessibility,
            "可访问",
            0,
            0,
            on_element=False,
            over_rows=False,
        ),
        Kind(
            "row_count_change",
            Dimension.completeness,
            "记录数突变",
            0,
            0,
            optional={"max_change": _positive},
            on_element=False,
            over_rows=False,
        ),
    )
}

MAX_NAME = 100  # quality_rule.name
MAX_CODE = 64  # quality_rule.target
# control characters (tab and newline aside) and lone surrogates: PostgreSQL keeps neither
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")

COMMON_FIELDS = ("name", "kind", "column", "columns", "element", "dimension", "severity", "threshold")


@dataclass(frozen=True)
class Rule:
    """One rule as declared: attached to a resource (``resource``) or a data element (``element``)."""

    name: str
    kind: str
    dimension: Dimension
    severity: Severity = Severity.warn
    threshold: float = 1.0
    columns: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    resource: str | None = None
    element: str | None = None
    origin: str = ""  # file:line, or "console"

    @property
    def scope(self) -> str:
        return "element" if self.element else "resource"

    @property
    def target(self) -> str:
        return self.element or self.resource or ""

    @property
    def spec(self) -> Kind:
        return KINDS[self.kind]

    def as_dict(self) -> dict[str, Any]:
        """The rule as a file declares it (and the API shows it)."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        out["element" if self.element else "resource"] = self.target
        if self.columns:
            out["columns"] = list(self.columns)
        out |= {
            "dimension": self.dimension.value,
            "severity": self.severity.value,
            "threshold": self.threshold,
        }
        return out | dict(self.params)


def check_rule(fields: Mapping[str, Any]) -> tuple[Rule | None, list[tuple[str, str]]]:
    """A rule from its declared fields, or the problems as (field, reason) pairs.

    Columns are checked for shape here; whether they exist is the catalog's to say (the service
    checks them against the resource's items)."""
    problems: list[tuple[str, str]] = [
        (key, f"{key} {reason}") for key, value in fields.items() if (reason := _clean(value))
    ]
    if problems:  # nothing else is asked of text that cannot be kept
        return None, problems
    kind_name = fields.get("kind")
    kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        problems.append(("kind", f"unknown rule kind {kind_name!r}; known: {', '.join(KINDS)}"))
        return None, problems
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(("name", "every rule needs a name (unique within its resource or element)"))
    elif len(name.strip()) > MAX_NAME:
        problems.append(("name", f"a rule's name is at most {MAX_NAME} characters"))
    resource, element = fields.get("resource"), fields.get("element")
    if bool(resource) == bool(element):
        problems.append(("resource", "attach the rule to one resource or one data element (not both)"))
    for label, value in (("resource", resource), ("element", element)):
        if value is not None and not isinstance(value, str):
            problems.append((label, "must be a code (text)"))
        elif isinstance(value, str) and len(value.strip()) > MAX_CODE:
            problems.append((label, f"{label} is a code of at most {MAX_CODE} characters"))
    if element and not kind.on_element:
        problems.append(("element", f"a {kind.name} rule belongs to a resource, not a data element"))
    columns = _columns(fields, kind, bool(element), problems)
    dimension = _choice(fields, "dimension", Dimension, kind.dimension, problems)
    severity = _choice(fields, "severity", Severity, Severity.warn, problems)
    threshold = fields.get("threshold", 1.0)
    if (reason := _ratio(threshold)) is not None:
        problems.append(("threshold", f"threshold {reason} (the share of rows that must pass)"))
    params: dict[str, Any] = {}
    for key, check in {**kind.required, **kind.optional}.items():
        if key not in fields:
            if key in kind.required:
                problems.append((key, f"a {kind.name} rule needs {key}"))
            continue
        value = fields[key]
        if (reason := check(value)) is not None:
            problems.append((key, f"{key} {reason}"))
        elif type(value) is date:  # kept as its ISO text, which JSON and a rule file both hold
            value = value.isoformat()
        params[key] = value
    if kind.name == "range":
        _check_range(params, problems)
    unknown = sorted(
        set(fields) - set(COMMON_FIELDS) - {"resource"} - set(kind.required) - set(kind.optional)
    )
    for key in unknown:
        problems.append((key, f"a {kind.name} rule has no field {key!r}"))
    if problems:
        return None, problems
    rule = Rule(
        name=name.strip(),
        kind=kind.name,
        dimension=dimension,
        severity=severity,
        threshold=float(threshold),
        columns=columns,
        params=params,
        resource=resource or None,
        element=element or None,
    )
    return rule, problems


def _columns(fields: Mapping[str, Any], kind: Kind, on_element: bool, problems: list) -> tuple[str, ...]:
    given = fields.get("columns", fields.get("column"))
    if "column" in fields and "columns" in fields:
        problems.append(("columns", "give column or columns, not both"))
        return ()
    if given is None:
        given = []
    if isinstance(given, str):
        given = [given]
    if not isinstance(given, list) or not all(isinstance(c, str) and c.strip() for c in given):
        problems.append(("columns", "columns must name data items"))
        return ()
    columns = tuple(c.strip() for c in given)
    if on_element:
        if columns:
            problems.append(
                ("columns", "a data element's rule applies to the items mapped to it: no columns")
            )
        return ()
    if len(columns) < kind.min_columns or (kind.max_columns is not None and len(columns) > kind.max_columns):
        want = (
            f"{kind.min_columns}"
            if kind.min_columns == kind.max_columns
            else f"at least {kind.min_columns}"
            if kind.max_columns is None
            else f"{kind.min_columns} to {kind.max_columns}"
        )
        problems.append(("columns", f"a {kind.name} rule takes {want} column(s), got {len(columns)}"))
    if len(set(columns)) != len(columns):
        problems.append(("columns", "a column is named twice"))
    return columns


def _choice(fields, key, enum, default, problems):
    value = fields.get(key, default)
    if isinstance(value, enum):
        return value
    by_label = {getattr(m, "label_zh", m.value): m for m in enum}
    if isinstance(value, str):
        if value in enum._value2member_map_:
            return enum(value)
        if value in by_label:
            return by_label[value]
    problems.append((key, f"{key} {value!r} is not one of {', '.join(m.value for m in enum)}"))
    return default


def _check_range(params: dict[str, Any], problems: list) -> None:
    if "min" not in params and "max" not in params:
        problems.append(("min", "a range rule needs min, max or both"))
        return
    lo, hi = params.get("min"), params.get("max")
    if lo is None or hi is None or any(_bound(v) for v in (lo, hi)):
        return  # a missing side, or a bound already refused
    if _number(lo) and _number(hi):
        if lo > hi:
            problems.append(("max", f"max {hi} is below min {lo}"))
    elif _number(lo) or _number(hi):
        problems.append(("max", "min and max must both be numbers or both dates"))
    elif _as_date(lo) > _as_date(hi):
        problems.append(("max", f"max {hi} is before min {lo}"))


def _clean(value: Any) -> str | None:
    """Why a field's text (or any text inside it) cannot be kept, or None: control characters
    (tab and newline aside) and lone surrogates, which PostgreSQL refuses."""
    if isinstance(value, str):
        if m := CONTROL.search(value):
            return f"holds the character U+{ord(m.group()):04X}, which a rule cannot keep"
        return None
    if isinstance(value, Mapping):
        return next((r for v in (*value.keys(), *value.values()) if (r := _clean(v))), None)
    if isinstance(value, list | tuple):
        return next((r for v in value if (r := _clean(v))), None)
    return None
