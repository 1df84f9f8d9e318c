"""The trained model made readable (模型参数): for each comparison level its m probability (how often
the same person's two records agree this way), u probability (how often two different people's do)
and match weight log2(m/u), the evidence the level adds; and the prior. A reviewer reads these to
judge whether the thresholds are sound; the console draws them as a bar chart."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LevelWeight:
    comparison: str
    level: str
    m: float | None
    u: float | None

    @property
    def weight(self) -> float | None:
        if not self.m or not self.u:
            return None
        return math.log2(self.m / self.u)

    def to_dict(self) -> dict:
        return {
            "comparison": self.comparison,
            "level": self.level,
            "m": self.m,
            "u": self.u,
            "weight": self.weight,
        }


def prior_weight(model: dict) -> float | None:
    p = model.get("probability_two_random_records_match")
    return math.log2(p / (1 - p)) if p and 0 < p < 1 else None


def level_weights(model: dict) -> list[LevelWeight]:
    """Every non-null level of every comparison, in the model's order (the null level says nothing:
    its weight is 0 by construction)."""
    out = []
    for comparison in model.get("comparisons", []):
        name = comparison.get("output_column_name", "?")
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            sql = level.get("sql_condition", "?")
            label = "else" if sql.strip().upper() == "ELSE" else level.get("label_for_charts") or sql
            out.append(LevelWeight(name, label, level.get("m_probability"), level.get("u_probability")))
    return out
