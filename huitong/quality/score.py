"""The quality score (pure): one formula for a version, a resource and a department.

- A rule over rows scores ``100 × pass ratio`` (rows passing / rows it applies to); a rule with
  nothing to check is left out. A rule about the version (freshness, row-count change, accessible) scores 100
  when it passes and 0 when it does not.
- A dimension's score is the mean of its rules' scores weighted by severity (``fail`` 2, ``warn`` 1).
- A version's score is the plain mean of the scores of the dimensions it has rules in: each
  GB/T 36344 dimension counts the same however many rules it has.
- A department's score is the mean of its resources' current scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from huitong.quality.rules import Dimension, Severity


@dataclass(frozen=True)
class Scored:
    """What the score needs of one rule's measure."""

    dimension: str
    severity: str
    ratio: float | None  # rows passing / rows checked; None for a version-level rule or no rows
    passed: bool
    over_rows: bool = True


def rule_score(m: Scored) -> float | None:
    if not m.over_rows:
        return 100.0 if m.passed else 0.0
    return None if m.ratio is None else 100.0 * m.ratio


def dimension_scores(measures: Iterable[Scored]) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for m in measures:
        s = rule_score(m)
        if s is None:
            continue
        w = Severity(m.severity).weight
        acc = sums.setdefault(m.dimension, [0.0, 0.0])
        acc[0] += w * s
        acc[1] += w
    order = [d.value for d in Dimension]
    return {d: round(sums[d][0] / sums[d][1], 2) for d in sorted(sums, key=order.index)}


def overall(dimensions: dict[str, float]) -> float | None:
    return round(sum(dimensions.values()) / len(dimensions), 2) if dimensions else None


def mean(scores: Sequence[float | None]) -> float | None:
    known = [s for s in scores if s is not None]
    return round(sum(known) / len(known), 2) if known else None
