"""公民身份号码 (citizen ID number, GB 11643-1999).

18 characters: 6-digit address code (GB/T 2260, as in force when issued) + birth date YYYYMMDD
+ 3-digit sequence (odd = male, even = female) + ISO 7064 MOD 11-2 check character (0-9 or X).
Legacy 15-digit numbers (6 + YYMMDD + 3, no check) are converted by inserting "19".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from huitong.standards.divisions import RESIDENCE_PERMIT_REGIONS, division_table, region_finding
from huitong.standards.findings import CheckResult, Finding, error, not_text, warning

WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
CHECK_CHARS = "10X98765432"
MAX_AGE_YEARS = 130
_18 = re.compile(r"^\d{17}[\dX]$", re.ASCII)  # ASCII digits: ٣ (U+0663) is no ID digit
_15 = re.compile(r"^\d{15}$", re.ASCII)


@dataclass(frozen=True)
class IdInfo:
    """What a valid ID number says; ``gender_code`` follows GB/T 2261.1 ('1' male, '2' female)."""

    region_code: str
    birth_date: date
    gender_code: str
    check: str
    sequence: str = ""  # the 3-digit 顺序码


def id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    if not re.fullmatch(r"\d{17}", first17):
        raise ValueError(f"need exactly 17 digits, got {first17!r}")
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make_id_number(region: str, birth: date, seq: int) -> str:
    """A well-formed number (for tests and demos): region + birth date + sequence + check."""
    if not re.fullmatch(r"\d{6}", region):
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"sequence must be 0-999, got {seq}")
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def _format_error(text: str) -> Finding:
    if len(text) not in (15, 18):
        detail = f"has {len(text)} characters, expected 18 (or a legacy 15-digit number)"
        detail_zh = f"长度为 {len(text)}，应为18位（或旧版15位）"
    else:
        limit = 17 if len(text) == 18 else 15
        pos, ch = next((i, c) for i, c in enumerate(text) if not (c.isdigit() and c.isascii()) or i >= limit)
        detail = f"character {ch!r} at position {pos + 1} is not allowed there"
        detail_zh = f"第 {pos + 1} 位字符 {ch!r} 不合法"
    return error("format", f"ID number {text!r} {detail}", f"公民身份号码 {text!r} {detail_zh}")


def _birth(digits: str) -> date | Finding:
    shown = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return error(
            "birth_date_invalid", f"birth date {shown} is not a real date", f"出生日期 {shown} 不是有效日期"
        )


def validate_id_number(value: str, *, today: date | None = None) -> CheckResult:
    """Check format, check character, birth date and region (as of the birth date).

    An unknown region, or one not in force on the birth date, is a warning (``unknown_region``),
    never an error; 810000/820000/830000 (港澳台居民居住证) are accepted for any birth date.
    """
    if not isinstance(value, str):
        return not_text(value, "ID number", "公民身份号码")
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", value)).upper()
    findings: list[Finding] = []
    if _15.match(text):
        first17 = text[:6] + "19" + text[6:]
        text = first17 + id_check_char(first17)
        findings.append(
            warning(
                "legacy_15_digit",
                f"legacy 15-digit number converted to {text}",
                f"旧版15位号码已转换为 {text}",
            )
        )
    elif not _18.match(text):
        return CheckResult(None, (_format_error(text),))
    today = today or date.today()
    born = _birth(text[6:14])
    if isinstance(born, Finding):
        findings.append(born)
        born = None
    elif born > today:
        findings.append(
            error(
                "birth_date_future",
                f"birth date {born.isoformat()} is in the future",
                f"出生日期 {born.isoformat()} 晚于当前日期",
            )
        )
        born = None
    elif today.year - born.year > MAX_AGE_YEARS:
        findings.append(
            warning(
                "implausible_age",
                f"birth date {born.isoformat()} means an age over {MAX_AGE_YEARS}",
                f"出生日期 {born.isoformat()} 对应年龄超过{MAX_AGE_YEARS}岁",
            )
        )
    expected = id_check_char(text[:17])
    if text[17] != expected:
        findings.append(
            error(
                "check_digit",
                f"check digit is {text[17]}, expected {expected}",
                f"校验码为 {text[17]}，应为 {expected}",
            )
        )
    region = text[:6]
    # Without a usable birth date, only a code that was never listed is worth a warning.
    if region not in RESIDENCE_PERMIT_REGIONS and (born is not None or not division_table().windows(region)):
        found = region_finding(region, born)
        if found:
            findings.append(found)
    return CheckResult(text, tuple(findings))


def parse_id_number(value: str) -> IdInfo:
    """Split a valid number into its parts; ValueError (naming the problem) if it has errors."""
    result = validate_id_number(value)
    if not result.ok or result.value is None:
        raise ValueError("; ".join(f.message for f in result.errors))
    text = result.value
    born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    return IdInfo(text[:6], born, "1" if int(text[16]) % 2 else "2", text[17], text[14:17])
