"""What a grade allows (分级管控): the guide's §4.4 table, a huitong design synthesis of GB/T 39477,
GB/T 35273, GB/T 43697 and provincial rules, kept as data so a province can change it.

Sharing and releases ask :func:`controls_for` and refuse, with the reason, what the grade does not
allow: a 核心 resource is never bulk-exported or released; 重要 data leaves only as statistics, and
its release plans need the operator's approval as well as the provider's.
"""

from __future__ import annotations

from dataclasses import dataclass

from huitong.errors import HuitongError, Problem
from huitong.standards.elements import Grade


@dataclass(frozen=True)
class Controls:
    share_default: str  # the catalog's 共享类型 a grade suggests: unconditional, conditional, none
    open_default: str  # 开放类型: unconditional, conditional, none
    masked: bool  # shown masked unless a grant says otherwise
    bulk_export: bool  # batch extracts (批量导出) allowed under a grant
    microdata_release: bool  # a de-identified record-level release may be opened
    statistics_release: bool  # aggregated / differentially private figures may be published
    release_approvers: tuple[str, ...]  # who approves a release plan: provider, operator
    min_k: int = 2  # the least k-anonymity a record-level release may have


CONTROLS: dict[Grade, Controls] = {
    Grade.core: Controls("none", "none", True, False, False, False, ("provider", "operator")),
    Grade.important: Controls("conditional", "none", True, True, False, True, ("provider", "operator")),
    Grade.general_4: Controls("conditional", "conditional", True, True, True, True, ("provider",), min_k=5),
    Grade.general_3: Controls("conditional", "conditional", True, True, True, True, ("provider",), min_k=3),
    Grade.general_2: Controls("unconditional", "unconditional", False, True, True, True, ("provider",)),
    Grade.general_1: Controls("unconditional", "unconditional", False, True, True, True, ("provider",)),
}


def controls_for(grade: Grade | str) -> Controls:
    return CONTROLS[Grade(grade)]


def refused(message: str, message_zh: str, *, field: str | None = None) -> HuitongError:
    """A request the grade's controls do not allow (HTTP 409), saying which control."""
    return HuitongError(
        message,
        code="grade_controls",
        status=409,
        problems=[Problem(message_zh, field=field)],
    )


def check_grant(grade: Grade | str, modes: list[str]) -> None:
    g = Grade(grade)
    if "batch" in modes and not controls_for(g).bulk_export:
        raise refused(
            f"a resource graded {g.value} is never bulk-exported: grant query, lookup or verification instead",
            f"{g.label_zh}数据不得批量导出",
            field="modes",
        )


def check_release(grade: Grade | str, kind: str) -> None:
    """``kind`` is ``microdata`` (a de-identified record-level release) or ``statistics``."""
    g, c = Grade(grade), controls_for(grade)
    allowed = c.microdata_release if kind == "microdata" else c.statistics_release
    if not allowed:
        what = "a de-identified record-level release" if kind == "microdata" else "published statistics"
        raise refused(
            f"a resource graded {g.value} allows no {what}"
            + (" (重要数据: derived statistics only)" if g is Grade.important else ""),
            f"{g.label_zh}数据不得" + ("开放明细数据" if kind == "microdata" else "发布统计数据"),
        )
