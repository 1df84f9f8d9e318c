"""Mainland phone numbers: 手机号码 (mobile) and 固定电话 (landline).

Mobile: 11 digits ``1[3-9]xxxxxxxxx``, after dropping spaces, dashes and a +86/0086 prefix.
Landline: 0 + 2-3 digit area code (010 and 02x are the 2-digit ones) + 7-8 digit number, with an
optional extension; normalised to ``0571-87654321`` or ``0571-87654321-123``.
"""

from __future__ import annotations

import re
import unicodedata

from huitong.standards.findings import CheckResult, error, not_text

MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)  # ASCII digits only: ٠ (U+0660) is no phone digit
_COUNTRY = re.compile(r"^(?:\+86|0086)")
_EXTENSION = re.compile(r"(?:-|转|ext\.?|x)(\d{1,6})$", re.IGNORECASE | re.ASCII)


def _clean(value: str) -> str:
    return re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", value)).strip()


def validate_mobile(value: str) -> CheckResult:
    if not isinstance(value, str):
        return not_text(value, "mobile number", "手机号码")
    digits = _COUNTRY.sub("", _clean(value)).replace("-", "")
    if MOBILE.match(digits):
        return CheckResult(digits)
    detail = (
        f"has {len(digits)} digits, expected 11"
        if digits.isdigit() and len(digits) != 11
        else "must be 11 digits starting with 13-19"
    )
    return CheckResult(
        None,
        (
            error(
                "format",
                f"mobile number {value.strip()!r} {detail}",
                f"手机号码 {value.strip()!r} 格式错误（应为1开头、第二位3-9的11位数字）",
            ),
        ),
    )


def _landline(text: str) -> str | None:
    ext = ""
    m = _EXTENSION.search(text)
    if m and len(re.sub(r"\D", "", text[: m.start()])) >= 10:
        ext, text = m.group(1), text[: m.start()]
    digits = text.replace("-", "")
    if not (digits.isascii() and digits.isdigit()) or len(digits) < 3 or not digits.startswith("0"):
        return None
    if digits[1] == "0":  # 00 is the international prefix, never an area code
        return None
    area_len = 3 if digits[1] in "12" else 4
    area, number = digits[:area_len], digits[area_len:]
    if len(area) != area_len or not re.fullmatch(r"[1-9]\d{6,7}", number, re.ASCII):
        return None
    return f"{area}-{number}" + (f"-{ext}" if ext else "")


def validate_landline(value: str) -> CheckResult:
    if not isinstance(value, str):
        return not_text(value, "landline number", "固定电话")
    raw = _clean(value)
    had_country = bool(_COUNTRY.match(raw))
    text = _COUNTRY.sub("", raw)
    if had_country and not text.startswith("0"):
        text = "0" + text
    normal = _landline(text)
    if normal:
        return CheckResult(normal)
    return CheckResult(
        None,
        (
            error(
                "format",
                f"landline number {value.strip()!r} must be 0 + a 2-3 digit area code + a 7-8 digit number "
                "(optionally -extension), e.g. 0571-87654321",
                f"固定电话 {value.strip()!r} 格式错误（应为区号+7-8位号码，如 0571-87654321）",
            ),
        ),
    )


def validate_phone(value: str) -> CheckResult:
    """A mobile or a landline number."""
    if not isinstance(value, str):
        return not_text(value, "phone number", "联系电话")
    for check in (validate_mobile, validate_landline):
        result = check(value)
        if result.ok:
            return result
    return CheckResult(
        None,
        (
            error(
                "format",
                f"{value.strip()!r} is neither a mobile number (11 digits, 13-19...) nor a landline "
                "(area code + 7-8 digits)",
                f"{value.strip()!r} 既不是手机号码也不是固定电话",
            ),
        ),
    )
