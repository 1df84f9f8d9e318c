"""What a consumer sees of each data item: the value, a masked value, a keyed pseudonym, or nothing.

The default follows the item's 分类分级 grade (GB/T 43697 levels; see the guide's grade-to-control
table); a grant can set a treatment per item, within limits (a 核心 item is never released in
clear through sharing). Masks come from the one rule registry in :mod:`huitong.standards.masking`;
an item whose element has no display rule (``none``) and that a grant asks to mask gets the
``default`` rule (first and last character kept). Pseudonyms are HMAC-SHA256 under a key derived
per consumer department, so one consumer can join its extracts but two consumers cannot join
theirs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from huitong.encoding import text
from huitong.standards.elements import Grade
from huitong.standards.masking import default_view, rule_function


class Treatment(StrEnum):
    clear = "clear"  # 明文
    mask = "mask"  # 脱敏显示
    pseudonym = "pseudonym"  # 假名化
    hidden = "hidden"  # 不提供

    @property
    def label_zh(self) -> str:
        return {"clear": "明文", "mask": "脱敏", "pseudonym": "假名化", "hidden": "不提供"}[self.value]


def mask_function(rule: str | None):
    """The mask a ``mask`` treatment applies: the element's rule, or ``default`` when it has none."""
    return rule_function(rule if rule and rule != "none" else "default")


def default_treatment(grade: Grade | str, mask_rule: str | None) -> Treatment:
    return Treatment(default_view(Grade(grade).value, mask_rule))


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
        return [None if v is None else pseudonym(key, v if type(v) is str else text(v)) for v in values]
    fn = mask_function(view.mask_rule)
    return [None if v is None else fn(v if type(v) is str else text(v)) for v in values]
