"""泛化 generalisation: a value replaced by a coarser one from its hierarchy (GB/T 37964 §泛化技术):
an age by its band, a 行政区划代码 by its prefecture's or province's, a date by its month or year, a
number rounded (取整) or top- and bottom-coded (顶层与底层编码)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from huitong.deid.operators import (
    DATE,
    FLOAT,
    INTEGER,
    NUMERIC,
    TEXT,
    TIMESTAMP,
    Column,
    ColumnOperator,
    register,
)
from huitong.deid.params import Param

_DIVISION = re.compile(r"\d{6}", re.ASCII)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


def age_on(born: date, as_of: date) -> int:
    """Whole years of age on ``as_of`` (a 29 February birthday comes on 1 March in other years)."""
    return as_of.year - born.year - ((born.month, born.day) > (as_of.month, as_of.day))


def band_label(age: int, width: int, top: int | None) -> str:
    """``30-34`` for width 5; ``90+`` from ``top`` on; a width of 1 is the age itself."""
    if top is not None and age >= top:
        return f"{top}+"
    low = math.floor(age / width) * width
    return str(low) if width == 1 else f"{low}-{low + width - 1}"


@register
class AgeBand(ColumnOperator):
    """Age bands of ``width`` years, from an integer age or (with ``as_of``) from a birth date."""

    name, family = "age_band", "generalisation"
    params = (Param("width", "int", low=1), Param("top", "int", None, low=0), Param("as_of", "date", None))
    kinds = frozenset({INTEGER, DATE, TIMESTAMP})

    def check(self, kind: str) -> str | None:
        if kind in (DATE, TIMESTAMP) and self.args["as_of"] is None:
            return "as_of is required to turn birth dates into ages (the date the ages are as of)"
        return None

    def sql(self, col: Column) -> str:
        width, top = self.args["width"], self.args["top"]
        age = col.ref
        if col.kind != INTEGER:
            as_of: date = self.args["as_of"]
            year, day = col.bind(as_of.year), col.bind(as_of.month * 100 + as_of.day)
            age = col.let(
                f"({year} - year({col.ref}) - CASE WHEN month({col.ref}) * 100 + day({col.ref}) > {day}"
                " THEN 1 ELSE 0 END)"
            )
        w = col.bind(width)
        low = col.let(f"CAST(floor({age} / {w}) AS BIGINT) * {w}")
        label = f"CAST({low} AS VARCHAR)" if width == 1 else f"({low} || '-' || ({low} + {w} - 1))"
        if top is not None:
            t = col.bind(top)
            label = f"(CASE WHEN {age} >= {t} THEN CAST({t} AS VARCHAR) || '+' ELSE {label} END)"
        return label

    def one(self, value: Any, *, kind: str, key: bytes | None) -> str:
        age = value if kind == INTEGER else age_on(value, self.args["as_of"])
        return band_label(age, self.args["width"], self.args["top"])


def division_up(code: str, level: str) -> str | None:
    """110105 → 110100 (``city``, 地级) → 110000 (``province``, 省级); not six digits → None, since a
    value that cannot be generalised must not be released as it is."""
    if not _DIVISION.fullmatch(code):
        return None
    return code[:4] + "00" if level == "city" else code[:2] + "0000"


@register
class Division(ColumnOperator):
    """行政区划代码 (GB/T 2260) up its hierarchy: county → prefecture (``city``) → province."""

    name, family = "division", "generalisation"
    params = (Param("level", "choice", choices=("city", "province")),)
    kinds = frozenset({TEXT})

    def sql(self, col: Column) -> str:
        keep = 4 if self.args["level"] == "city" else 2
        return (
            f"(CASE WHEN regexp_full_match({col.ref}, '[0-9]{{6}}') "
            f"THEN left({col.ref}, {keep}) || '{'0' * (6 - keep)}' END)"
        )

    def one(self, value: Any, *, kind: str, key: bytes | None) -> str | None:
        return division_up(value, self.args["level"])


def date_up(value: date | datetime | str, level: str) -> str | None:
    """``YYYY-MM`` or ``YYYY``; text must be an ISO date (``YYYY-MM-DD``, a real one), else None."""
    if isinstance(value, str):
        m = _ISO_DATE.fullmatch(value)
        if not m:
            return None
        try:
            value = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return f"{value.year:04d}-{value.month:02d}" if level == "month" else f"{value.year:04d}"


@register
class DateUp(ColumnOperator):
    """A date (or an ISO date in text) to its month or year."""

    name, family = "date", "generalisation"
    params = (Param("level", "choice", choices=("month", "year")),)
    kinds = frozenset({DATE, TIMESTAMP, TEXT})

    def sql(self, col: Column) -> str:
        fmt = "%Y-%m" if self.args["level"] == "month" else "%Y"
        if col.kind != TEXT:
            return f"strftime({col.ref}, '{fmt}')"
        length = 7 if self.args["level"] == "month" else 4
        return (
            f"(CASE WHEN regexp_full_match({col.ref}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            f"AND substr({col.ref}, 1, 4) <> '0000' AND try_cast({col.ref} AS DATE) IS NOT NULL "
            f"THEN left({col.ref}, {length}) END)"
        )

    def one(self, value: Any, *, kind: str, key: bytes | None) -> str | None:
        return date_up(value, self.args["level"])


def round_to(x: int | float, base: int | float, mode: str) -> int | float:
    """``x`` to a multiple of ``base``: ``nearest`` (halves away from zero), ``down`` or ``up``;
    exact integer arithmetic when both are integers."""
    if isinstance(x, int) and isinstance(base, int):
        if mode == "down":
            return x // base * base
        if mode == "up":
            return -(-x // base) * base
        return (1 if x > 0 else -1 if x < 0 else 0) * ((abs(x) + base // 2) // base) * base
    if mode == "down":
        return math.floor(x / base) * base
    if mode == "up":
        return math.ceil(x / base) * base
    return (1 if x > 0 else -1 if x < 0 else 0) * math.floor(abs(x) / base + 0.5) * base


@register
class Round(ColumnOperator):
    """取整: to a multiple of ``base`` (an income to the nearest 1000, say)."""

    name, family = "round", "generalisation"
    params = (
        Param("base", "number", low=0, above=True),
        Param("mode", "choice", "nearest", choices=("nearest", "down", "up")),
    )
    kinds = NUMERIC

    def sql(self, col: Column) -> str:
        x, base, mode = col.ref, self.args["base"], self.args["mode"]
        b = col.bind(base)
        if col.kind == INTEGER and isinstance(base, int):  # DuckDB's // truncates towards zero
            if mode == "down":
                return f"(CASE WHEN {x} >= 0 THEN {x} // {b} ELSE -((-{x} + {b} - 1) // {b}) END * {b})"
            if mode == "up":
                return f"(CASE WHEN {x} >= 0 THEN ({x} + {b} - 1) // {b} ELSE -((-{x}) // {b}) END * {b})"
            return f"(sign({x}) * ((abs({x}) + {col.bind(base // 2)}) // {b}) * {b})"
        y = f"CAST({x} AS DOUBLE)"
        if mode == "down":
            return f"(floor({y} / {b}) * {b})"
        if mode == "up":
            return f"(ceil({y} / {b}) * {b})"
        return f"(sign({y}) * floor(abs({y}) / {b} + 0.5) * {b})"

    def one(self, value: Any, *, kind: str, key: bytes | None) -> int | float:
        if kind == FLOAT:
            value = float(value)
        return round_to(value, self.args["base"], self.args["mode"])


class _Coding(ColumnOperator):
    kinds = NUMERIC
    _bound: str
    _above: bool

    def sql(self, col: Column) -> str:
        b = col.bind(self.args[self._bound])
        return f"(CASE WHEN {col.ref} {'>' if self._above else '<'} {b} THEN {b} ELSE {col.ref} END)"

    def one(self, value: Any, *, kind: str, key: bytes | None) -> int | float:
        bound = self.args[self._bound]
        return bound if (value > bound if self._above else value < bound) else value


@register
class TopCode(_Coding):
    """顶层编码: values above ``max`` become ``max`` (the few very rich are no longer singled out)."""

    name, family = "top_code", "generalisation"
    params = (Param("max", "number"),)
    _bound, _above = "max", True


@register
class BottomCode(_Coding):
    """底层编码: values below ``min`` become ``min``."""

    name, family = "bottom_code", "generalisation"
    params = (Param("min", "number"),)
    _bound, _above = "min", False
