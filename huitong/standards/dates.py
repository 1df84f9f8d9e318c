"""Dates as departments write them, normalised to ISO ``YYYY-MM-DD``.

Accepted: 2023-01-05, 2023/1/5, 2023.1.5, 2023年1月5日, 20230105, and full-width digits
(２０２３年１月５日), with surrounding whitespace.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

from huitong.standards.findings import CheckResult, error, not_text

_PATTERNS = (
    re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$"),
    re.compile(r"^(\d{4})(年)(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})()(\d{2})(\d{2})$"),
)
EXAMPLES = "2023-01-05, 2023/1/5, 2023.1.5, 2023年1月5日 or 20230105"


def parse_date(value: str) -> CheckResult:
    """Parse one date; an impossible date is an error that names the problem."""
    if not isinstance(value, str):
        return not_text(value, "date", "日期")
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    for pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            year, month, day = int(m.group(1)), int(m.group(3)), int(m.group(4))
            break
    else:
        return CheckResult(
            None,
            (
                error(
                    "format",
                    f"{value.strip()!r} is not a recognised date (expected {EXAMPLES})",
                    f"{value.strip()!r} 不是可识别的日期格式",
                ),
            ),
        )
    shown = f"{year:04d}-{month:02d}-{day:02d}"
    if not 1 <= month <= 12:
        return CheckResult(
            None,
            (
                error(
                    "invalid_date",
                    f"{shown} is not a real date: month {month} is out of range",
                    f"{shown} 不是有效日期：月份 {month} 超出范围",
                ),
            ),
        )
    if year < 1:
        return CheckResult(
            None,
            (
                error(
                    "invalid_date",
                    f"{shown} is not a real date: there is no year 0",
                    f"{shown} 不是有效日期：年份不能为0",
                ),
            ),
        )
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return CheckResult(
            None,
            (
                error(
                    "invalid_date",
                    f"{shown} is not a real date: {calendar.month_name[month]} {year} has {last} days",
                    f"{shown} 不是有效日期：{year}年{month}月只有{last}天",
                ),
            ),
        )
    return CheckResult(date(year, month, day).isoformat())
