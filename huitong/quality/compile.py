"""Rules as SQL: every row rule of a table in one DuckDB ``SELECT`` (pure: text and parameters out).

Each bound rule (a :class:`Check`) becomes two aggregates over the version, ``c<i>`` (rows the rule
applies to) and ``f<i>`` (rows failing it), in the one query :func:`plan` writes: a single scan,
as Soda pushes its checks down. Rules that need another table (``referential``, ``cross_source``)
add a left join to a grouped, distinct-keyed view of it, so the scanned rows are never multiplied.
User values (code lists, patterns, bounds) travel as parameters, never in the SQL text; column
names come from the stored schema and are quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from huitong.quality.rules import Rule
from huitong.standards.sql_forms import valid_sql
from huitong.store.duck import quote

TEXT, NUMBER, DATE, TIMESTAMP, OTHER = "text", "number", "date", "timestamp", "other"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, number, date, timestamp, other


@dataclass(frozen=True)
class Other:
    """Another resource's current version, registered on the connection as ``table``."""

    table: str
    columns: tuple[Column, ...]  # its key columns (cross_source) or its one column (referential)
    value: Column | None = None  # cross_source: the compared column there
    unique: bool = False  # the columns are its stored key: no grouping needed to join on them


@dataclass(frozen=True)
class Check:
    """A rule bound to the columns of one stored table."""

    index: int
    rule: Rule
    columns: tuple[Column, ...]
    validator: str | None = None  # valid: the element's validator
    values: tuple[str, ...] | None = None  # in_code_table: the codes
    other: Other | None = None


@dataclass(frozen=True)
class Plan:
    sql: str
    params: dict[str, Any] = field(default_factory=dict)


class _Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return "$" + name


# what Python's str.strip() takes for a blank (str.isspace): ASCII's, NBSP, 全角 and the other
# Unicode spaces; a not_null rule counts a value of nothing else as missing
BLANKS = tuple(i for i in range(0x3001) if chr(i).isspace())
_BLANK_CLASS = "[" + "".join(f"\\x{{{i:x}}}" for i in BLANKS) + "]"


def _col(c: Column, table: str = "t") -> str:
    return f"{table}.{quote(c.name)}"


def _as_text(c: Column, table: str = "t") -> str:
    """A value as text to match codes and patterns against: a number in plain decimal notation
    without trailing zeros (the store keeps 1 as ``1.0000000000``; a code table lists ``1``)."""
    if c.kind == TEXT:
        return _col(c, table)
    text = f"CAST({_col(c, table)} AS VARCHAR)"
    if c.kind == NUMBER:
        return f"(CASE WHEN contains({text}, '.') THEN rtrim(rtrim({text}, '0'), '.') ELSE {text} END)"
    return text


def _normalised(expr: str) -> str:
    """The comparison of two sources' values: blanks (全角 too) and letter case ignored (full-width
    letters too, on both sides alike). Only values holding a blank or a capital are rewritten: most need nothing, and a regex rewrite
    of every value would cost the pass more than all its other rules."""
    return (
        f"CASE WHEN regexp_matches({expr}, '[\\s\\x{{3000}}\\p{{Lu}}]') "
        f"THEN lower(regexp_replace({expr}, '[\\s\\x{{3000}}]+', '', 'g')) ELSE {expr} END"
    )


def _joined(check: Check) -> str:
    return f"j{check.index}"


def _bound(value: Any, kind: str) -> Any:
    if isinstance(value, str) and kind in (DATE, TIMESTAMP):
        return date.fromisoformat(value)
    return value


def applies_and_fails(check: Check, p: _Params) -> tuple[str, str]:
    """The SQL conditions (over ``t`` and its joins): which rows the rule applies to, and which
    of those fail it."""
    kind, cols = check.rule.kind, check.columns
    c0 = cols[0] if cols else None
    if kind == "not_null":
        col = _col(c0)
        blank = ""
        if c0.kind == TEXT:  # only a value that starts with a blank can be all blanks
            blank = (
                f" OR {col} = '' OR (ascii({col}) IN ({', '.join(map(str, BLANKS))})"
                f" AND regexp_full_match({col}, '{_BLANK_CLASS}*'))"
            )
        return "TRUE", f"({col} IS NULL{blank})"
    if kind == "valid":
        present = f"{_col(c0)} IS NOT NULL"
        if c0.kind != TEXT:  # the store's type already holds the value to its form
            return present, "FALSE"
        expr = valid_sql(check.validator or "", _col(c0))
        if expr is None:
            raise ValueError(f"validator {check.validator!r} has no SQL form")
        return present, f"NOT coalesce({expr}, FALSE)"
    if kind == "in_code_table":
        codes = p.add(list(check.values or ()))
        return f"{_col(c0)} IS NOT NULL", f"NOT list_contains({codes}, {_as_text(c0)})"
    if kind == "pattern":
        regex = p.add(check.rule.params["regex"])
        return f"{_col(c0)} IS NOT NULL", f"NOT regexp_full_match({_as_text(c0)}, {regex})"
    if kind == "range":
        col, parts = _col(c0), []
        if (lo := check.rule.params.get("min")) is not None:
            parts.append(f"{col} < {p.add(_bound(lo, c0.kind))}")
        if (hi := check.rule.params.get("max")) is not None:
            parts.append(f"{col} > {p.add(_bound(hi, c0.kind))}")
        return f"{col} IS NOT NULL", "(" + " OR ".join(parts) + ")"
    if kind == "unique":  # counted apart: rows beyond the first of each key (see plan)
        return " AND ".join(f"{_col(c)} IS NOT NULL" for c in cols), "FALSE"
    if kind == "referential":
        j = _joined(check)
        return f"{_col(c0)} IS NOT NULL", f"{j}.v IS NULL"
    if kind == "cross_field":
        return _cross_field(check)
    if kind == "cross_source":
        j = _joined(check)
        ours = _normalised(_as_text(c0)) if _compare(check) == "normalised" else _as_text(c0)
        return f"{j}.k0 IS NOT NULL", f"({j}.nv > 1 OR {ours} IS DISTINCT FROM {j}.v)"
    raise ValueError(f"rule kind {kind!r} is not measured over rows")


def _compare(check: Check) -> str:
    return check.rule.params.get("other", {}).get("compare", "normalised")


def _cross_field(check: Check) -> tuple[str, str]:
    ident, other = check.columns
    i = _col(ident)
    applies = f"{i} IS NOT NULL AND {_col(other)} IS NOT NULL AND length({i}) = 18"
    if check.rule.params["check"] == "birth_date_in_id":
        if other.kind in (DATE, TIMESTAMP):
            theirs = f"strftime({_col(other)}, '%Y%m%d')"
        else:
            theirs = f"regexp_replace({_as_text(other)}, '[^0-9]', '', 'g')"
        return applies, f"substr({i}, 7, 8) <> {theirs}"
    g = _as_text(other)  # gender_in_id: GB/T 2261.1 codes, 1 male, 2 female
    applies += f" AND {g} IN ('1', '2') AND substr({i}, 17, 1) BETWEEN '0' AND '9'"
    return applies, f"((ascii(substr({i}, 17, 1)) - 48) % 2 = 1) <> ({g} = '1')"


def _join(check: Check) -> str:
    o = check.other
    assert o is not None
    j = _joined(check)
    if check.rule.kind == "referential":
        (ref,) = o.columns
        ours = check.columns[0]
        same = ref.kind == ours.kind
        theirs = _col(ref, o.table) if same else _as_text(ref, o.table)
        mine = _col(ours) if same else _as_text(ours)
        distinct = "" if o.unique else "DISTINCT "
        return (
            f"LEFT JOIN (SELECT {distinct}{theirs} AS v FROM {o.table} WHERE {theirs} IS NOT NULL) {j} "
            f"ON {mine} = {j}.v"
        )
    keys = ", ".join(f"{_col(k, o.table)} AS k{n}" for n, k in enumerate(o.columns))
    assert o.value is not None
    value = _as_text(o.value, o.table)
    if _compare(check) == "normalised":
        value = _normalised(value)
    present = " AND ".join(f"{_col(k, o.table)} IS NOT NULL" for k in o.columns)
    group = ", ".join(f"k{n}" for n in range(len(o.columns)))
    on = " AND ".join(f"{_col(mine)} = {j}.k{n}" for n, mine in enumerate(_keys_here(check)))
    if o.unique:  # one row per key there already (the store holds its key unique)
        return f"LEFT JOIN (SELECT {keys}, {value} AS v, 1 AS nv FROM {o.table} WHERE {present}) {j} ON {on}"
    return (
        # a missing value is a value too: a key held once with A and once blank disagrees with itself
        f"LEFT JOIN (SELECT {keys}, min({value}) AS v, "
        f"count(DISTINCT {value}) + max(CASE WHEN {value} IS NULL THEN 1 ELSE 0 END) AS nv "
        f"FROM {o.table} WHERE {present} GROUP BY {group}) {j} ON {on}"
    )


def _keys_here(check: Check) -> tuple[Column, ...]:
    """cross_source: the key columns on this side, after the compared column."""
    return check.columns[1:]


def plan(checks: Sequence[Check], table: str = "t") -> Plan:
    """One SELECT measuring every row rule: ``n`` (rows), then ``c<i>`` and ``f<i>`` per check."""
    p = _Params()
    select = ["count(*) AS n"]
    joins = []
    for check in checks:
        i = check.index
        applies, fails = applies_and_fails(check, p)
        if check.rule.kind == "unique":
            key = ", ".join(_col(c) for c in check.columns)
            distinct = f"count(DISTINCT ({key}))" if len(check.columns) > 1 else f"count(DISTINCT {key})"
            select.append(f"count(*) FILTER (WHERE {applies}) AS c{i}")
            select.append(f"count(*) FILTER (WHERE {applies}) - {distinct} FILTER (WHERE {applies}) AS f{i}")
            continue
        if check.other is not None:
            joins.append(_join(check))
        select.append(f"count(*) FILTER (WHERE {applies}) AS c{i}")
        select.append(f"count(*) FILTER (WHERE {applies} AND {fails}) AS f{i}")
    sql = f"SELECT {', '.join(select)} FROM {table} AS t {' '.join(joins)}"
    return Plan(sql, p.values)


def failing(check: Check, show: Sequence[Column], limit: int, table: str = "t") -> Plan:
    """A bounded sample of the rows failing one check: ``show`` columns (and, for a cross-source
    rule, the other source's value as ``__theirs``)."""
    p = _Params()
    cols = [_col(c) for c in show]
    if check.rule.kind == "unique":
        key = ", ".join(_col(c) for c in check.columns)
        applies, _ = applies_and_fails(check, p)
        return Plan(
            f"SELECT {key}, count(*) AS __count FROM {table} AS t WHERE {applies} "
            f"GROUP BY {key} HAVING count(*) > 1 ORDER BY count(*) DESC, {key} LIMIT {int(limit)}",
            p.values,
        )
    applies, fails = applies_and_fails(check, p)
    join = _join(check) if check.other is not None else ""
    extra = f", {_joined(check)}.v AS __theirs" if check.rule.kind == "cross_source" else ""
    return Plan(
        f"SELECT {', '.join(cols)}{extra} FROM {table} AS t {join} WHERE {applies} AND {fails} "
        f"LIMIT {int(limit)}",
        p.values,
    )
