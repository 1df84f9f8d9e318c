"""Table-level operators: 数据抽样 (``sample``) and 记录抑制 (``suppress_rows``, the records of
equivalence classes smaller than k dropped, 等价类 as in :mod:`huitong.deid.risk`).

Sampling happens before any column operator (micro-aggregation groups the sampled rows);
suppression after them all, since the classes that count are those of the released values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from huitong.deid._hashing import uniform, uniform_sql
from huitong.deid.params import Param, Spec, read_params
from huitong.errors import Problem
from huitong.store.duck import quote


class TableOperator(Spec):
    name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()


def sample_prefix(seed: int) -> str:
    return f"sample:{seed}:"


def sampled(position: int, fraction: float, seed: int) -> bool:
    """The reference: whether the row at ``position`` is in the sample."""
    return uniform(sample_prefix(seed), position) < fraction


class Sample(TableOperator):
    """数据抽样: each record kept with probability ``fraction``, decided by a hash of (seed, row), so
    the same seed draws the same sample."""

    name = "sample"
    params = (Param("fraction", "number", low=0, high=1, above=True), Param("seed", "int"))

    def where(self, bind, position: str) -> str:
        return f"{uniform_sql(bind(sample_prefix(self.args['seed'])), position)} < {bind(float(self.args['fraction']))}"


class SuppressRows(TableOperator):
    """记录抑制: records whose quasi-identifier combination occurs fewer than ``k`` times are dropped
    (NULL is a value of its own).  ``k`` and ``columns`` default to the plan's k and quasi-identifiers."""

    name = "suppress_rows"
    params = (Param("k", "int", None, low=2), Param("columns", "columns", None))

    def qualify(self, columns: Sequence[str], k: int, bind) -> str:
        part = ", ".join(quote(c) for c in columns)
        return f"count(*) OVER (PARTITION BY {part}) >= {bind(k)}"


def kept_rows(rows: Sequence[tuple], k: int) -> list[bool]:
    """The reference: which records (tuples of their quasi values) :class:`SuppressRows` keeps."""
    sizes = Counter(rows)
    return [sizes[r] >= k for r in rows]


TABLE_OPERATORS: dict[str, type[TableOperator]] = {c.name: c for c in (Sample, SuppressRows)}


def parse_table_operator(raw: Any, index: int) -> tuple[TableOperator | None, list[Problem]]:
    field = f"table[{index}]"
    if isinstance(raw, str):
        raw = {"op": raw}
    if not isinstance(raw, Mapping) or not isinstance(raw.get("op"), str):
        return None, [Problem(f"give a mapping with 'op' (got {raw!r})", field=field)]
    cls = TABLE_OPERATORS.get(raw["op"])
    if cls is None:
        known = ", ".join(TABLE_OPERATORS)
        return None, [
            Problem(
                f"unknown table operator {raw['op']!r} (known: {known})",
                field=f"{field}.op",
            )
        ]
    args, problems = read_params(
        cls.name, cls.params, {k: v for k, v in raw.items() if k != "op"}, column=None, field=field
    )
    return (None, problems) if problems else (cls(args), [])
