"""A de-identification plan (去标识化方案): which columns identify people and what is done to each.

GB/T 37964 §识别标识 → §处理标识: direct identifiers (直接标识符: name, ID number, phone) must each be
removed, masked or pseudonymised; quasi-identifiers (准标识符: age, sex, region) are what k-anonymity
is measured over; sensitive attributes (敏感属性) what l-diversity is.  Parsed all-or-nothing from
plain data, every mistake listed with its column, operator and parameter.

    direct: [姓名, 公民身份号码]
    quasi: [年龄, 性别, 住址代码]
    sensitive: [诊断]
    k: 5
    l: 2
    columns:
      姓名: drop
      公民身份号码: {op: id_pseudonym, keep_region: true}
      年龄: {op: age_band, width: 5, top: 90}
      住址代码: {op: division, level: city}
    table:
      - {op: sample, fraction: 0.5, seed: 7}
      - suppress_rows            # k and quasi-identifiers from the plan
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from huitong.deid.operators import REGISTRY, ColumnOperator, parse_operator
from huitong.deid.table_ops import SuppressRows, TableOperator, parse_table_operator
from huitong.errors import Problem, invalid

_KEYS = ("direct", "quasi", "sensitive", "columns", "table", "k", "l")


@dataclass(frozen=True)
class Plan:
    direct: tuple[str, ...] = ()
    quasi: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    columns: Mapping[str, ColumnOperator] = field(default_factory=dict)
    table: tuple[TableOperator, ...] = ()
    k: int | None = None
    l: int | None = None  # noqa: E741  (the l of l-diversity)

    @classmethod
    def parse(cls, raw: Any) -> Plan:
        """The plan in ``raw`` (a mapping, as from JSON or YAML), or a HuitongError listing every problem."""
        if not isinstance(raw, Mapping):
            raise invalid("a de-identification plan must be a mapping", Problem(f"got {type(raw).__name__}"))
        problems: list[Problem] = []
        for key in raw:
            if key not in _KEYS:
                problems.append(_p(f"unknown key {key!r} (a plan has {', '.join(_KEYS)})", field=str(key)))
        roles = {name: _names(raw, name, problems) for name in ("direct", "quasi", "sensitive")}
        seen: dict[str, str] = {}
        for role, names in roles.items():
            for name in names:
                if name in seen:
                    problems.append(_p(f"is listed as both {seen[name]} and {role}", column=name, field=role))
                seen.setdefault(name, role)
        k = _target(raw, "k", 2, problems)
        l = _target(raw, "l", 1, problems)  # noqa: E741
        if l is not None and not roles["sensitive"]:
            problems.append(_p("an l-diversity target needs sensitive attributes to measure", field="l"))
        columns: dict[str, ColumnOperator] = {}
        raw_columns = raw.get("columns", {})
        if not isinstance(raw_columns, Mapping):
            problems.append(_p("columns must map column names to operators", field="columns"))
            raw_columns = {}
        for name, spec in raw_columns.items():
            op, found = parse_operator(spec, column=str(name))
            problems += found
            if op is not None:
                columns[str(name)] = op
        hiding = sorted(n for n, c in REGISTRY.items() if c.hides_identity)
        for name in roles["direct"]:
            op = columns.get(name)
            if name not in raw_columns:
                problems.append(
                    _p(
                        f"a direct identifier needs an operator: one of {', '.join(hiding)}",
                        column=name,
                        field="direct",
                    )
                )
            elif op is not None and not op.hides_identity:
                problems.append(
                    _p(
                        f"{op.name} does not remove a direct identifier; use one of {', '.join(hiding)}",
                        column=name,
                        field=f"columns.{name}.op",
                    )
                )
        table: list[TableOperator] = []
        raw_table = raw.get("table", [])
        if not isinstance(raw_table, list):
            problems.append(_p("table must be a list of table operators", field="table"))
            raw_table = []
        for i, spec in enumerate(raw_table):
            op, found = parse_table_operator(spec, i)
            problems += found
            if isinstance(op, SuppressRows):
                if op.args["k"] is None and k is None and "k" not in raw:
                    problems.append(
                        _p("suppress_rows needs k (its own or the plan's)", field=f"table[{i}].k")
                    )
                if op.args["columns"] is None and not roles["quasi"] and "quasi" not in raw:
                    problems.append(
                        _p(
                            "suppress_rows needs columns (its own or the plan's quasi)",
                            field=f"table[{i}].columns",
                        )
                    )
            if op is not None:
                table.append(op)
        if problems:
            raise invalid(f"the de-identification plan has {len(problems)} problem(s)", *problems)
        return cls(
            tuple(roles["direct"]),
            tuple(roles["quasi"]),
            tuple(roles["sensitive"]),
            columns,
            tuple(table),
            k,
            l,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`parse` reads back to an equal plan."""
        out: dict[str, Any] = {
            "direct": list(self.direct),
            "quasi": list(self.quasi),
            "sensitive": list(self.sensitive),
            "columns": {name: op.to_dict() for name, op in self.columns.items()},
            "table": [op.to_dict() for op in self.table],
        }
        return out | {t: v for t, v in (("k", self.k), ("l", self.l)) if v is not None}

    def named_columns(self) -> list[tuple[str, str]]:
        """Every column the plan names, with where (for checking them against a table)."""
        named = [(c, role) for role in ("direct", "quasi", "sensitive") for c in getattr(self, role)]
        named += [(c, f"columns.{c}") for c in self.columns]
        for i, op in enumerate(self.table):
            named += [(c, f"table[{i}].columns") for c in op.args.get("columns") or ()]
        return named


def _p(message: str, *, column: str | None = None, field: str | None = None) -> Problem:
    return Problem(message, column=column, field=field)


def _names(raw: Mapping, key: str, problems: list[Problem]) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(_p(f"{key} must be a list of column names, got {value!r}", field=key))
        return []
    for name in {v for v in value if value.count(v) > 1}:
        problems.append(_p(f"is listed twice in {key}", column=name, field=key))
    return list(dict.fromkeys(value))


def _target(raw: Mapping, key: str, low: int, problems: list[Problem]) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        problems.append(_p(f"{key} must be an integer of at least {low}, got {value!r}", field=key))
        return None
    return value
