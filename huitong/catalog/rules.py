"""The catalog's rules, checked before anything is stored (pure, no I/O).

Each rule returns :class:`Problem` values naming the field, so a form, an Excel cell
or a CLI line can all point at exactly what to fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from functools import lru_cache

from huitong.catalog.classification import CLASS_RE
from huitong.catalog.model import (
    MODES_FOR_FORMAT,
    OpenType,
    ResourceSpec,
    ShareType,
)
from huitong.errors import Problem

MAX_NAME = 200


class _Dropped(dict):
    """``str.translate`` table that drops punctuation, separators, control and symbol
    characters (categories P, Z, C, S) and keeps the rest, filled as characters are met."""

    def __missing__(self, cp: int) -> int | None:
        self[cp] = None if unicodedata.category(chr(cp))[0] in "PZCS" else cp
        return self[cp]


_DROPPED = _Dropped()


@lru_cache(maxsize=65_536)  # item names repeat across a catalog; a bulk import asks thousands of times
def normalise_name(name: str) -> str:
    """The key two names must not share within one provider: width, case, spaces and
    punctuation do not make a different resource (a frequent audit finding)."""
    text, previous = name or "", None
    while text != previous:  # dropping a spacing accent can let NFKC compose again: repeat to a fixed point
        previous = text
        text = unicodedata.normalize("NFKC", text).casefold().translate(_DROPPED)
    return text


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_spec(spec: ResourceSpec, *, known_elements: Iterable[str] = ()) -> list[Problem]:
    problems: list[Problem] = []

    def need(field: str, message: str) -> None:
        problems.append(Problem(message, field=field))

    for field, label in (
        ("name", "信息资源名称 name"),
        ("summary", "信息资源摘要 summary"),
        ("class_code", "信息资源分类 classification"),
        ("provider_code", "提供方代码 provider code"),
    ):
        if _blank(getattr(spec, field)):
            need(field, f"{label} is required")
    if spec.name and len(spec.name) > MAX_NAME:
        need("name", f"name is longer than {MAX_NAME} characters")
    if spec.name and not normalise_name(spec.name):
        need("name", "name has no letters or characters once punctuation is removed")
    if spec.class_code and not CLASS_RE.match(spec.class_code):
        need("class_code", f"{spec.class_code!r} is not a classification code")
    elif spec.class_code and len(spec.class_code) < 6:
        need("class_code", "classify down to at least 目 (6 digits, e.g. 101001)")
    for extra in spec.also_in:
        if not CLASS_RE.match(extra) or len(extra) < 3:
            problems.append(
                Problem(
                    f"{extra!r} is not a classification code (at least 类+项)", field="also_in", value=extra
                )
            )

    if spec.share_type in (ShareType.conditional, ShareType.none) and _blank(spec.share_basis):
        need("share_basis", f"{spec.share_type.label_zh} needs a recorded legal or policy basis (共享依据)")
    if spec.share_type is ShareType.conditional and _blank(spec.share_condition):
        need("share_condition", "有条件共享 needs its condition (共享条件)")
    if spec.open_type is OpenType.conditional and _blank(spec.open_condition):
        need("open_condition", "有条件开放 needs its condition (开放条件)")
    allowed = MODES_FOR_FORMAT[spec.format_class]
    if spec.share_type is not ShareType.none and spec.share_mode not in allowed:
        modes = " or ".join(f"{m.value} ({m.label_zh})" for m in sorted(allowed))
        need(
            "share_mode",
            f"a {spec.format_class.label_zh} resource is shared as {modes}, "
            f"not {spec.share_mode.value} ({spec.share_mode.label_zh})",
        )
    for code in spec.related_codes:
        if not re.match(r"^[1-3]\d{5}[0-9A-Z]*/[0-9A-Z]+$", code):
            problems.append(
                Problem(f"related code {code!r} is not a resource code", field="related_codes", value=code)
            )

    # a set (or a dict's keys) is asked as it is: a batch checks every entry against one
    known = known_elements if isinstance(known_elements, AbstractSet) else set(known_elements)
    seen: dict[str, int] = {}
    for i, item in enumerate(spec.items, start=1):
        if _blank(item.name):
            problems.append(Problem("信息项名称 data item name is required", field=f"items[{i}].name"))
            continue
        key = normalise_name(item.name)
        if key in seen:
            problems.append(
                Problem(
                    f"data item {item.name!r} repeats item {seen[key]}",
                    field=f"items[{i}].name",
                    value=item.name,
                )
            )
        seen[key] = i
        if item.length is not None and item.length <= 0:
            problems.append(
                Problem(
                    "length must be a positive number", field=f"items[{i}].length", value=str(item.length)
                )
            )
        if item.element and known and item.element not in known:
            problems.append(
                Problem(
                    f"unknown data element {item.element!r}", field=f"items[{i}].element", value=item.element
                )
            )
    if spec.format_class.value in ("database", "spreadsheet") and not spec.items:
        need("items", "structured resources (数据库, 电子表格) list their data items (信息项)")
    return problems
