"""Display masking (脱敏) rules: the one registry every view, export and delivery mode uses.

Masking keeps just enough to recognise a value (a surname, the region part of an ID) and
replaces the rest by ``*``. A value too short to keep both ends is starred in full, so a short
value (a one-character name, a four-digit number) never leaks whole. A rule is named by a data
element (``id_number`` keeps 6 + 4, ``mobile`` 3 + 4, ``name`` the surname) or written as
``keep:P:S`` (keep P leading and S trailing characters). ``none`` means the element needs no
display mask: its values are shown as they are. Plugins add rules through the
``huitong_mask_rules`` hook.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from huitong.standards.surnames import COMPOUND_SURNAMES

MASK_CHAR = "*"
# Province + prefecture + county, or municipality + district: what "up to the county" keeps.
_COUNTY_PREFIX = re.compile(
    r"^(?:(?:[^省市县区]{2,8}?(?:省|自治区))?[^省市县区]{1,10}?(?:市|自治州|地区|盟)[^省市县区]{1,10}?(?:区|县|市|旗)"
    r"|[^省市县区]{2,8}?(?:省|自治区)[^省市县区]{1,10}?(?:县|市|旗))"
)
_KEEP = re.compile(r"keep:(\d{1,2}):(\d{1,2})")


def keep(text: str, prefix: int, suffix: int) -> str:
    """Keep ``prefix`` leading and ``suffix`` trailing characters and star the rest; a value too
    short to hide anything is starred whole."""
    n = len(text)
    if n <= prefix + suffix:
        return MASK_CHAR * n
    return text[:prefix] + MASK_CHAR * (n - prefix - suffix) + (text[n - suffix :] if suffix else "")


def mask_name(text: str) -> str:
    """The surname (two characters for a compound surname), the given name starred."""
    if len(text) <= 1:
        return MASK_CHAR * len(text)  # a one-character name would otherwise be shown whole
    surname = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:surname] + MASK_CHAR * (len(text) - surname)


def mask_address(text: str) -> str:
    """Up to the county (区/县); the rest is four stars whatever its length, so the length of the
    street part is not shown either."""
    m = _COUNTY_PREFIX.match(text)
    # no recognisable region: hide at least four characters, so a short address never shows whole
    kept = m.group(0) if m else text[: max(0, min(6, len(text) - 4))]
    return kept + MASK_CHAR * 4


def mask_email(text: str) -> str:
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return MASK_CHAR * len(text)
    return local[0] + MASK_CHAR * 3 + "@" + domain


RULES: dict[str, Callable[[str], str]] = {
    "id_number": lambda v: keep(v, 6, 4),
    "mobile": lambda v: keep(v, 3, 4),
    "phone": lambda v: keep(v, 3, 4),
    "name": mask_name,
    "credit_code": lambda v: keep(v, 2, 4),
    "address": mask_address,
    "email": mask_email,
    "default": lambda v: keep(v, 1, 1),
    "full": lambda v: MASK_CHAR * len(v),
    "none": lambda v: v,
}


def plugin_rules() -> dict[str, Callable[[str], str]]:
    """Rules plugins bring (``huitong_mask_rules``); a built-in name cannot be replaced."""
    from huitong import plugins  # plugins load on first use of a rule that is not built in

    return plugins.additions(plugins.hook().huitong_mask_rules(), RULES, "mask rule")


def rule_function(rule: str) -> Callable[[str], str]:
    """The function behind a rule name or ``keep:P:S``; an unknown rule is a ValueError naming
    the known ones."""
    fn = RULES.get(rule)
    if fn is not None:
        return fn
    m = _KEEP.fullmatch(rule or "")
    if m:
        p, s = int(m.group(1)), int(m.group(2))
        return lambda v: keep(v, p, s)
    fn = plugin_rules().get(rule)
    if fn is not None:
        return fn
    raise ValueError(f"unknown masking rule {rule!r} (known: {', '.join(RULES)}, or keep:P:S)")


def is_rule(rule: str) -> bool:
    try:
        rule_function(rule)
    except ValueError:
        return False
    return True


def mask(rule: str, value: str | None) -> str | None:
    """Mask ``value`` by the named rule; None stays None and "" stays ""."""
    fn = rule_function(rule)
    if value is None:
        return None
    return fn(str(value)) if value != "" else ""


def default_view(grade: str, mask_rule: str | None) -> str:
    """How a value of this 分类分级 grade is shown where no grant says otherwise: ``hidden`` (核心),
    ``clear`` (一般1-2级, and 一般3级 without a display rule) or ``mask``. The one rule behind
    sharing's default treatments and every console view of stored values (quality samples too)."""
    if grade == "core":
        return "hidden"
    if grade in ("general_1", "general_2"):
        return "clear"
    if grade == "general_3" and (not mask_rule or mask_rule == "none"):
        return "clear"  # 一般3级 without a display rule: audited, shown
    return "mask"


def show(grade: str, mask_rule: str | None, value: str | None) -> str | None:
    """``value`` as :func:`default_view` shows it: itself, masked (the element's rule, or ``default``
    when it has none) or None."""
    view = default_view(grade, mask_rule)
    if view == "hidden" or value is None:
        return None
    if view == "clear":
        return value
    return mask(mask_rule if mask_rule and mask_rule != "none" else "default", value)
