"""What a consumer sees of each data item: the value, a masked value, a keyed pseudonym, or nothing.

The default follows the item's 分类分级 grade (GB/T 43697 levels; see the guide's grade-to-control
table); a grant can set a treatment per item, within limits (a 核心 item is never released in
clear through sharing). Masks are the display conventions of Chinese platforms, named per data
element (``id_number`` keeps 6 + 4, ``mobile`` 3 + 4, ``name`` the surname) or written as
``keep:P:S`` (keep P leading and S trailing characters). Pseudonyms are HMAC-SHA256 under a key
derived per consumer department, so one consumer can join its extracts but two consumers
cannot join theirs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from huitong.standards.elements import Grade


class Treatment(StrEnum):
    clear = "clear"  # 明文
    mask = "mask"  # 脱敏显示
    pseudonym = "pseudonym"  # 假名化
    hidden = "hidden"  # 不提供

    @property
    def label_zh(self) -> str:
        return {"clear": "明文", "mask": "脱敏", "pseudonym": "假名化", "hidden": "不提供"}[self.value]


MASK_CHAR = "*"
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "澹台",
        "南宫",
        "西门",
        "独孤",
        "呼延",
        "闻人",
        "万俟",
        "赫连",
        "申屠",
        "公冶",
        "太史",
        "钟离",
        "宗政",
        "濮阳",
        "单于",
        "第五",
    ]
)


def keep(text: str, prefix: int, suffix: int) -> str:
    """Keep ``prefix`` leading and ``suffix`` trailing characters, star the rest; a value too short
    to hide anything is starred whole, so masking never reveals a short value in full."""
    n = len(text)
    if n <= prefix + suffix:
        return MASK_CHAR * n
    return text[:prefix] + MASK_CHAR * (n - prefix - suffix) + (text[n - suffix :] if suffix else "")


def mask_name(text: str) -> str:
    surname = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:surname] + MASK_CHAR * max(len(text) - surname, 1)


def mask_address(text: str) -> str:
    """Keep the administrative part (up to the last 省/市/区/县/旗 in the first 12 characters)."""
    cut = 0
    for m in re.finditer(r"[省市区县旗州盟]", text[:12]):
        cut = m.end()
    cut = cut or min(6, len(text) // 2)
    return text[:cut] + MASK_CHAR * max(len(text) - cut, 1)


def mask_email(text: str) -> str:
    local, at, domain = text.partition("@")
    if not at:
        return keep(text, 1, 0)
    return (local[:1] + MASK_CHAR * 3) + "@" + domain


NAMED_RULES: dict[str, Callable[[str], str]] = {
    "id_number": lambda t: keep(t, 6, 4),
    "mobile": lambda t: keep(t, 3, 4),
    "phone": lambda t: keep(t, 3, 4),
    "name": mask_name,
    "address": mask_address,
    "email": mask_email,
    "default": lambda t: keep(t, 1, 1),
}
_KEEP = re.compile(r"keep:(\d{1,2}):(\d{1,2})")


def mask_function(rule: str | None) -> Callable[[str], str]:
    """The mask for a rule name (``none`` or empty: the default, keep the first and last)."""
    if not rule or rule == "none":
        return NAMED_RULES["default"]
    if rule in NAMED_RULES:
        return NAMED_RULES[rule]
    m = _KEEP.fullmatch(rule)
    if m:
        p, s = int(m.group(1)), int(m.group(2))
        return lambda t: keep(t, p, s)
    raise ValueError(f"mask rule {rule!r}: use one of {', '.join(NAMED_RULES)} or keep:P:S")


def default_treatment(grade: Grade | str, mask_rule: str | None) -> Treatment:
    g = Grade(grade)
    if g == Grade.core:
        return Treatment.hidden
    if g in (Grade.general_1, Grade.general_2):
        return Treatment.clear
    if g == Grade.general_3 and (not mask_rule or mask_rule == "none"):
        return Treatment.clear  # 一般3级 without a display rule: audited, shown
    return Treatment.mask


def check_treatment(item: str, grade: Grade | str, treatment: Treatment | str) -> Treatment:
    """A grant's treatment for an item, or ValueError when the grade forbids it."""
    t = Treatment(treatment)
    if Grade(grade) == Grade.core and t == Treatment.clear:
        raise ValueError(f"{item} is graded 核心 (core): it is never released in clear through sharing")
    return t


@dataclass(frozen=True)
class ItemView:
    """How one data item appears to one consumer."""

    name: str
    treatment: Treatment
    mask_rule: str | None = None


def pseudonym_key(platform_secret: bytes, consumer: str) -> bytes:
    return hmac.new(platform_secret, b"huitong-pseudonym:" + consumer.encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, value: str) -> str:
    digest = hmac.new(key, value.encode(), hashlib.sha256).digest()[:15]
    return "P" + base64.b32encode(digest).decode().rstrip("=")


def render(view: ItemView, values: Iterable, key: bytes | None = None) -> list:
    """The column as this consumer sees it (None stays None; non-text values are shown as text
    when masked or pseudonymised, never partially numeric)."""
    if view.treatment == Treatment.clear:
        return list(values)
    if view.treatment == Treatment.hidden:
        return [None for _ in values]
    if view.treatment == Treatment.pseudonym:
        if key is None:
            raise ValueError("a pseudonym needs the consumer's key")
        return [None if v is None else pseudonym(key, str(v)) for v in values]
    fn = mask_function(view.mask_rule)
    return [None if v is None else fn(str(v)) for v in values]
