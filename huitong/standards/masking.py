"""Display masking (脱敏) rules, by name, so a data element can say how it is shown.

Masking keeps just enough to recognise a value (a surname, the region part of an ID) and
replaces the rest by ``*``, one per hidden character.  Values too short to keep both ends are
masked in full, so a short value never leaks whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable

COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "司徒",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "夏侯",
        "令狐",
        "端木",
        "西门",
        "南宫",
        "独孤",
        "轩辕",
        "呼延",
        "澹台",
        "公冶",
        "太史",
        "申屠",
    }
)
# Province + prefecture + county, or municipality + district: what "up to the county" keeps.
_COUNTY_PREFIX = re.compile(
    r"^(?:(?:[^省市县区]{2,8}?(?:省|自治区))?[^省市县区]{1,10}?(?:市|自治州|地区|盟)[^省市县区]{1,10}?(?:区|县|市|旗)"
    r"|[^省市县区]{2,8}?(?:省|自治区)[^省市县区]{1,10}?(?:县|市|旗))"
)


def _keep(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + (value[-tail:] if tail else "")


def _name(value: str) -> str:
    if len(value) <= 1:
        return "*" * len(value)  # a one-character name would otherwise be shown whole
    keep = 2 if value[:2] in COMPOUND_SURNAMES and len(value) > 2 else 1
    return value[:keep] + "*" * (len(value) - keep)


def _address(value: str) -> str:
    m = _COUNTY_PREFIX.match(value)
    kept = m.group(0) if m else value[:6]
    return kept + "****"


def _email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return "*" * len(value)
    return local[0] + "***@" + domain


RULES: dict[str, Callable[[str], str]] = {
    "id_number": lambda v: _keep(v, 6, 4),
    "mobile": lambda v: _keep(v, 3, 4),
    "name": _name,
    "credit_code": lambda v: _keep(v, 2, 4),
    "address": _address,
    "email": _email,
    "full": lambda v: "*" * len(v),
    "none": lambda v: v,
}


def mask(rule: str, value: str | None) -> str | None:
    """Mask ``value`` by the named rule; None stays None; an unknown rule is a ValueError."""
    try:
        fn = RULES[rule]
    except KeyError:
        raise ValueError(f"unknown masking rule {rule!r} (known: {', '.join(RULES)})") from None
    if value is None:
        return None
    return fn(str(value)) if value != "" else ""
