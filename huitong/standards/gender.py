"""性别代码 (sex codes, GB/T 2261.1-2003): 0 未知的性别, 1 男性, 2 女性, 9 未说明的性别.

Departments write gender every which way; normalising to the code makes it joinable.
"""

from __future__ import annotations

import unicodedata

from huitong.standards.findings import CheckResult, error, not_text

GENDER_CODES = {"0": "未知的性别", "1": "男性", "2": "女性", "9": "未说明的性别"}

_ALIASES = {
    "0": "0",
    "未知": "0",
    "未知的性别": "0",
    "unknown": "0",
    "u": "0",
    "1": "1",
    "男": "1",
    "男性": "1",
    "m": "1",
    "male": "1",
    "2": "2",
    "女": "2",
    "女性": "2",
    "f": "2",
    "female": "2",
    "9": "9",
    "未说明": "9",
    "未说明的性别": "9",
}


def normalise_gender(value: str) -> CheckResult:
    """Map 男/女/男性/女性/M/F/male/female/0/1/2/9 (any case, full-width too) to the code."""
    if not isinstance(value, str):
        return not_text(value, "gender", "性别")
    key = unicodedata.normalize("NFKC", value).strip().lower()
    code = _ALIASES.get(key)
    if code is None:
        return CheckResult(
            None,
            (
                error(
                    "unknown_gender",
                    f"{value.strip()!r} is not a recognised gender (use 男/女, M/F, male/female or a GB/T 2261.1 "
                    "code 0, 1, 2, 9)",
                    f"{value.strip()!r} 不是可识别的性别（可用 男/女、M/F 或 GB/T 2261.1 代码 0、1、2、9）",
                ),
            ),
        )
    return CheckResult(code)
