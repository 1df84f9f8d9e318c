"""随机化 randomisation: values perturbed so a single record no longer says exactly what it held,
while totals and means stay close (GB/T 37964 §随机化技术): 噪声添加 and 微聚集.

Noise is drawn from SHA-256 of (seed, column, row position), not from a random generator, so the
same plan and seed rebuild the same release.  Anyone holding the plan can therefore subtract the
noise again: keep a plan with a seed as private as a key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from huitong.deid._hashing import uniform, uniform_sql
from huitong.deid.operators import NUMERIC, Column, ColumnOperator, register
from huitong.deid.params import Param


def noise_prefix(seed: int | str, column: str) -> str:
    """Two columns under one seed get independent noise."""
    return f"noise:{seed}:{column}:"


def draw(u: float, scale: float, distribution: str) -> float:
    """Noise from a uniform ``u`` in (0, 1): Laplace(0, scale) by its inverse CDF, or uniform on
    (-scale, scale)."""
    if distribution == "uniform":
        return scale * (2 * u - 1)
    d = u - 0.5
    return -(1 if d > 0 else -1 if d < 0 else 0) * scale * math.log(1 - 2 * abs(d))


@register
class Noise(ColumnOperator):
    """噪声添加: value + noise (``laplace`` or ``uniform``, of ``scale``), as DOUBLE."""

    name, family = "noise", "randomisation"
    params = (
        Param("scale", "number", low=0, above=True),
        Param("distribution", "choice", "laplace", choices=("laplace", "uniform")),
        Param("seed", "int"),
    )
    kinds = NUMERIC

    def sql(self, col: Column) -> str:
        scale = col.bind(float(self.args["scale"]))
        u = col.let(uniform_sql(col.bind(noise_prefix(self.args["seed"], col.name)), col.position))
        if self.args["distribution"] == "uniform":
            noise = f"{scale} * (2 * {u} - 1)"
        else:
            noise = f"-sign({u} - 0.5) * {scale} * ln(1 - 2 * abs({u} - 0.5))"
        return f"(CAST({col.ref} AS DOUBLE) + {noise})"

    def reference(self, values: Sequence[Any], *, column: str, kind: str, key: bytes | None = None) -> list:
        prefix, scale = noise_prefix(self.args["seed"], column), float(self.args["scale"])
        return [
            None if v is None else float(v) + draw(uniform(prefix, i), scale, self.args["distribution"])
            for i, v in enumerate(values)
        ]


def micro_groups(values: Sequence[Any], k: int) -> list[int | None]:
    """Each value's group: non-NULL values in order (ties by row), k to a group, the last few joined
    to the group before so that every group has at least k (when there are k at all)."""
    order = sorted((i for i, v in enumerate(values) if v is not None), key=lambda i: (values[i], i))
    groups = max(len(order) // k, 1)
    out: list[int | None] = [None] * len(values)
    for rank, i in enumerate(order):
        out[i] = min(rank // k, groups - 1)
    return out


@register
class MicroAggregate(ColumnOperator):
    """微聚集: sorted by the column, each run of ``k`` consecutive values replaced by its mean, so every
    released value is shared by at least k records."""

    name, family = "micro_aggregate", "randomisation"
    params = (Param("k", "int", low=2),)
    kinds = NUMERIC

    def sql(self, col: Column) -> str:
        x, k = col.ref, col.bind(self.args["k"])
        rank = col.let(
            f"CASE WHEN {x} IS NOT NULL THEN row_number() OVER (ORDER BY {x} NULLS LAST, {col.position}) END"
        )
        group = col.let(f"least(({rank} - 1) // {k}, greatest(count({x}) OVER () // {k}, 1) - 1)")
        return f"(CASE WHEN {x} IS NOT NULL THEN avg({x}) OVER (PARTITION BY {group}) END)"

    def reference(self, values: Sequence[Any], *, column: str, kind: str, key: bytes | None = None) -> list:
        groups = micro_groups(values, self.args["k"])
        members: dict[int, list] = {}
        for v, g in zip(values, groups, strict=True):
            if g is not None:
                members.setdefault(g, []).append(v)
        return [None if g is None else sum(members[g]) / len(members[g]) for g in groups]
