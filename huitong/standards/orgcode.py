"""组织机构代码 (organisation code, GB 11714-1997): 8-character body + 1 check character.

Still matters after 2015 because it is embedded in every 统一社会信用代码 (positions 9-17).
"""

from __future__ import annotations

import re

from huitong.standards.findings import CheckResult, error, not_text

WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
BODY = re.compile(r"^[0-9A-Z]{8}$")
_FORM = re.compile(r"^([0-9A-Z]{8})-?([0-9X])$")


def _value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_check_char(body8: str) -> str:
    """The check character for an 8-character body (digits, or letters valued A=10 ... Z=35)."""
    body8 = body8.upper()
    if not BODY.match(body8):
        raise ValueError(f"organisation code body must be 8 digits or capital letters, got {body8!r}")
    c = 11 - sum(_value(ch) * w for ch, w in zip(body8, WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def validate_org_code(value: str) -> CheckResult:
    """Accept ``XXXXXXXX-C`` or ``XXXXXXXXC``; the normalised form has the dash."""
    if not isinstance(value, str):
        return not_text(value, "organisation code", "组织机构代码")
    text = value.strip().upper().replace("－", "-")
    m = _FORM.match(text)
    if not m:
        return CheckResult(
            None,
            (
                error(
                    "format",
                    f"organisation code {value.strip()!r} must be 8 digits/capital letters plus a check character "
                    "(0-9 or X), e.g. 60003734-1",
                    f"组织机构代码 {value.strip()!r} 格式错误，应为8位本体代码加1位校验码，如 60003734-1",
                ),
            ),
        )
    body, check = m.groups()
    normal = f"{body}-{check}"
    expected = org_check_char(body)
    if check != expected:
        return CheckResult(
            normal,
            (
                error(
                    "check_digit",
                    f"check character is {check}, expected {expected}",
                    f"校验码为 {check}，应为 {expected}",
                ),
            ),
        )
    return CheckResult(normal)
