"""Operator parameters (参数): declared once per operator, read from plain data with every mistake listed.

A plan comes from JSON or YAML written by hand, so each parameter says its type and bounds and a bad
one is a :class:`~huitong.errors.Problem` naming the column, the operator and the parameter, never
a traceback.  ``True`` is not an integer here, though Python thinks so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from huitong.errors import Problem

REQUIRED: Any = object()
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@dataclass(frozen=True)
class Param:
    """One parameter: ``kind`` is ``int``, ``number``, ``text``, ``char``, ``bool``, ``date`` or
    ``choice`` (one of ``choices``) or ``columns`` (a list of names); ``low``/``high`` bound numbers (``above`` makes ``low`` strict)."""

    name: str
    kind: str
    default: Any = REQUIRED
    low: float | None = None
    high: float | None = None
    above: bool = False
    choices: tuple[str, ...] = ()

    def read(self, raw: Any) -> tuple[Any, str | None]:
        """The parsed value, or the reason it is refused."""
        kind = self.kind
        if kind in ("int", "number"):
            ok = isinstance(raw, int) or (kind == "number" and isinstance(raw, float))
            if isinstance(raw, bool) or not ok:
                return None, f"must be {'an integer' if kind == 'int' else 'a number'}, got {raw!r}"
            if isinstance(raw, float) and (raw != raw or raw in (float("inf"), float("-inf"))):
                return None, f"must be a finite number, got {raw!r}"
            if isinstance(raw, int) and not -(2**63) <= raw < 2**63:
                return None, f"must fit in 64 bits, got {raw!r}"
            if self.low is not None and (raw <= self.low if self.above else raw < self.low):
                return None, f"must be {'above' if self.above else 'at least'} {self.low:g}, got {raw!r}"
            if self.high is not None and raw > self.high:
                return None, f"must be at most {self.high:g}, got {raw!r}"
            return raw, None
        if kind == "bool":
            return (raw, None) if isinstance(raw, bool) else (None, f"must be true or false, got {raw!r}")
        if kind == "text":
            return (raw, None) if isinstance(raw, str) and raw else (None, f"must be text, got {raw!r}")
        if kind == "char":
            if isinstance(raw, str) and len(raw) == 1:
                return raw, None
            return None, f"must be a single character, got {raw!r}"
        if kind == "choice":
            if raw in self.choices:
                return raw, None
            return None, f"must be one of {', '.join(self.choices)}, got {raw!r}"
        if kind == "columns":
            if (
                isinstance(raw, list)
                and raw
                and all(isinstance(c, str) and c for c in raw)
                and len(set(raw)) == len(raw)
            ):
                return list(raw), None
            return None, f"must be a list of distinct column names, got {raw!r}"
        if kind == "date":
            if isinstance(raw, date) and not isinstance(raw, datetime):
                return raw, None
            if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
                try:
                    return date.fromisoformat(raw), None
                except ValueError:
                    pass
            return None, f"must be a date written YYYY-MM-DD, got {raw!r}"
        raise AssertionError(kind)


def read_params(
    operator: str, spec: tuple[Param, ...], raw: Mapping[str, Any], *, column: str | None, field: str
) -> tuple[dict[str, Any], list[Problem]]:
    """``raw`` checked against ``spec``: the values (defaults filled in) and the problems, if any."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    known = {p.name: p for p in spec}
    for name in raw:
        if name not in known:
            hint = f" (it takes {', '.join(known)})" if known else " (it takes no parameters)"
            problems.append(
                _problem(f"{operator}: unknown parameter {name!r}{hint}", column, f"{field}.{name}")
            )
    for p in spec:
        if p.name not in raw:
            if p.default is REQUIRED:
                problems.append(_problem(f"{operator}: {p.name} is required", column, f"{field}.{p.name}"))
            else:
                values[p.name] = p.default
            continue
        value, reason = p.read(raw[p.name])
        if reason:
            problems.append(_problem(f"{operator}: {p.name} {reason}", column, f"{field}.{p.name}"))
        else:
            values[p.name] = value
    return values, problems


def _problem(message: str, column: str | None, field: str) -> Problem:
    return Problem(message, column=column, field=field)


class Spec:
    """An operator as plain data: its ``name`` and the parameters it was read with (column and table
    operators alike), equal by both, written back as the mapping it was read from."""

    name: ClassVar[str]

    def __init__(self, args: Mapping[str, Any] | None = None):
        self.args = dict(args or {})

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.args.items())})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.args == self.args  # type: ignore[attr-defined]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dates as ISO text, unset parameters left out) that parses back to this operator."""
        plain = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in self.args.items()}
        return {"op": self.name, **{k: v for k, v in plain.items() if v is not None}}
