"""Applying a plan: one DuckDB SELECT over the registered Arrow table gives the release (发布数据).

The order is fixed, whatever the plan lists first: sampling, then every column operator, then
record suppression (over the released values, so the k reached is the release's own).  Rows keep
their input order.  Everything the plan names is checked against the table first, with every
problem listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from huitong.deid.operators import POSITION, Column, Sql, kind_of
from huitong.deid.plan import Plan
from huitong.deid.pseudonym import MIN_KEY_BYTES
from huitong.deid.table_ops import Sample, SuppressRows
from huitong.errors import Problem, invalid
from huitong.store.duck import connect, quote

_INPUT = "deid_input"


def apply(table: pa.Table, plan: Plan | Mapping[str, Any], *, key: bytes | None = None) -> pa.Table:
    """``table`` de-identified by ``plan`` (a :class:`Plan`, or plain data for :meth:`Plan.parse`);
    ``key`` (at least 16 bytes) keys the pseudonyms, and is never part of the plan so that a plan
    can be shown and reviewed."""
    if not isinstance(plan, Plan):
        plan = Plan.parse(plan)
    sql, params = build(table, plan, key=key)
    positions = pa.array(np.arange(table.num_rows, dtype=np.int64))
    con = connect({_INPUT: table.append_column(POSITION, positions)})
    try:
        return con.sql(sql, params=params).to_arrow_table()
    except duckdb.Error as exc:  # a value the operators cannot take (an overflow, say): still no traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise invalid("applying the de-identification plan failed", Problem(first)) from exc
    finally:
        con.close()


def check(table: pa.Table, plan: Plan, key: bytes | None) -> list[Problem]:
    """Everything wrong with applying ``plan`` to ``table``: columns it lacks, operators that do not fit
    a column's type, a missing key."""
    names = set(table.column_names)
    problems = []
    if POSITION in names:
        problems.append(Problem(f"the column name {POSITION} is reserved", column=POSITION))
    for column, where in plan.named_columns():
        if column not in names:
            problems.append(
                Problem(
                    "the plan names a column the table does not have",
                    column=column,
                    field=where,
                    code="deid.column",
                )
            )
    for column, op in plan.columns.items():
        if column not in names:
            continue
        dtype = table.schema.field(column).type
        kind = kind_of(dtype)
        if kind not in op.kinds:
            problems.append(
                Problem(
                    f"{op.name} applies to {' or '.join(sorted(op.kinds))} columns, not {dtype}",
                    column=column,
                    field=f"columns.{column}.op",
                )
            )
        elif reason := op.check(kind):
            problems.append(Problem(f"{op.name}: {reason}", column=column, field=f"columns.{column}"))
    keyed = [c for c, op in plan.columns.items() if op.needs_key]
    if keyed and (not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_BYTES):
        problems.append(
            Problem(
                f"pseudonyms need a key of at least {MIN_KEY_BYTES} bytes, given at apply time (not in the plan)",
                column=keyed[0],
                field="key",
            )
        )
    for i, op in enumerate(plan.table):
        if isinstance(op, SuppressRows):
            for c in op.args["columns"] or plan.quasi:
                if c in plan.columns and plan.columns[c].name == "drop":
                    problems.append(
                        Problem(
                            "suppress_rows groups by a column the plan drops",
                            column=c,
                            field=f"table[{i}]",
                        )
                    )
    return problems


def build(table: pa.Table, plan: Plan, *, key: bytes | None = None) -> tuple[str, dict]:
    """The SELECT and its parameters (for :func:`apply`, and to show what would run)."""
    problems = check(table, plan, key)
    if problems:
        raise invalid(f"the plan cannot be applied to this table ({len(problems)} problem(s))", *problems)
    sql = Sql()
    samples = [op.where(sql.bind, POSITION) for op in plan.table if isinstance(op, Sample)]
    outputs = [POSITION]
    for name in table.column_names:
        op = plan.columns.get(name)
        if op is None:
            outputs.append(quote(name))
            continue
        expr = op.sql(Column(name, kind_of(table.schema.field(name).type), sql, bytes(key or b"")))
        if expr is not None:
            outputs.append(f"{expr} AS {quote(name)}")
    ctes = [f"l0 AS (SELECT * FROM {_INPUT}{' WHERE ' + ' AND '.join(samples) if samples else ''})"]
    for i, layer in enumerate(sql.layers):
        lets = ", ".join(f"{expr} AS {alias}" for alias, expr in layer)
        ctes.append(f"l{i + 1} AS (SELECT *, {lets} FROM l{i})")
    ctes.append(f"r0 AS (SELECT {', '.join(outputs)} FROM l{len(sql.layers)})")
    suppressions = [op for op in plan.table if isinstance(op, SuppressRows)]
    for i, op in enumerate(suppressions):
        qualify = op.qualify(op.args["columns"] or plan.quasi, op.args["k"] or plan.k, sql.bind)
        ctes.append(f"r{i + 1} AS (SELECT * FROM r{i} QUALIFY {qualify})")
    last = f"r{len(suppressions)}"
    return (
        f"WITH {', '.join(ctes)} SELECT * EXCLUDE ({POSITION}) FROM {last} ORDER BY {POSITION}",
        sql.params,
    )
