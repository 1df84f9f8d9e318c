"""Values as departments write them → the typed values the platform compares and stores.

Pure functions, one per kind of value, behind ``normalise(value, kind)``:

=========  ===============================================  =====================
kind       accepts                                          gives
=========  ===============================================  =====================
text       any text; numbers/dates as a person reads them   ``str`` (trimmed, full-width
                                                            letters/digits made half-width)
number     "1,234.50", "１２３４", "1 234", -5, 3.25          ``Decimal``
integer    as number, but whole                             ``int``
date       2023-01-05, 2023/1/5, 2023年1月5日, 20230105,     ``datetime.date``
           2023.1.5, Excel serials (44931), date objects
datetime   a date with an optional time (10:30, 10时30分)     ``datetime.datetime``
bool       是/否, 有/无, 对/错, Y/N, yes/no, true/false, 1/0, √/×   ``bool``
gender     男/女/未知/M/F/0/1/2/9 (GB/T 2261.1)              code ``"0"/"1"/"2"/"9"``
code       the labels or codes of a given code table        the code
=========  ===============================================  =====================

Blank input (None, or text that is only spaces, NBSP, full-width or zero-width spaces) is
``None`` for every kind: whether a value is required is validation's call, not this module's.
Anything else that cannot be read raises :class:`NormaliseError`, a :class:`HuitongError` whose
problem says what is wrong with the value; the pipeline places it at the row and column with
``Row.locate``.  Every function is idempotent: normalising a normalised value gives it back.

Dates and gender reuse :mod:`huitong.standards` so a value accepted here is accepted there.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from huitong.errors import HuitongError, Problem
from huitong.standards.dates import EXAMPLES as DATE_EXAMPLES
from huitong.standards.dates import parse_date as standard_date
from huitong.standards.findings import CheckResult
from huitong.standards.gender import normalise_gender

# invisible characters that creep in from web pages and Word: removed wherever they are
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
_ZERO_WIDTH_TABLE = {ord(ch): None for ch in ZERO_WIDTH}
EXCEL_EPOCH = date(1899, 12, 30)
MAX_EXCEL_SERIAL = 2958465  # 9999-12-31
EXACT_DIGITS = 15


class NormaliseError(HuitongError):
    """A value that cannot be read as its kind; ``reason`` is a stable code, the message is for people."""

    def __init__(self, message: str, value: Any, *, kind: str, reason: str = "invalid", message_zh: str = ""):
        shown = value if value is None or isinstance(value, str) else _show(value)
        super().__init__(message, code="invalid_value", problems=[Problem(message, value=shown)], status=422)
        self.kind = kind
        self.value = value
        self.reason = reason
        self.message_zh = message_zh

    @property
    def problem(self) -> Problem:
        return self.problems[0]

    def __str__(self) -> str:
        return self.message


def _show(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _fail(kind: str, value: Any, detail: str, detail_zh: str, reason: str = "format") -> NormaliseError:
    shown = repr(value.strip()) if isinstance(value, str) else _show(value)
    return NormaliseError(
        f"{shown} {detail}", value, kind=kind, reason=reason, message_zh=f"{shown} {detail_zh}"
    )


def _from_check(kind: str, value: Any, result: CheckResult) -> str:
    if result.ok and result.value is not None:
        return result.value
    finding = result.errors[0]
    raise NormaliseError(
        finding.message, value, kind=kind, reason=finding.code, message_zh=finding.message_zh
    )


# ---------------------------------------------------------------- text


def trim(text: str) -> str:
    """Drop zero-width characters anywhere, and whitespace at both ends: ASCII spaces, tabs and
    line breaks, NBSP, the full-width space U+3000 and the other Unicode spaces."""
    return text.translate(_ZERO_WIDTH_TABLE).strip()


def is_cjk(ch: str) -> bool:
    """Chinese, Japanese and Korean characters and CJK punctuation (。、「」《》…)."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x2FDF  # radicals
        or 0x3000 <= o <= 0x303F  # CJK symbols and punctuation
        or 0x3040 <= o <= 0x30FF  # kana
        or 0x3100 <= o <= 0x31FF  # bopomofo, kanbun, kana extensions
        or 0x3200 <= o <= 0x4DBF  # enclosed CJK, compatibility, extension A
        or 0x4E00 <= o <= 0x9FFF  # unified ideographs
        or 0xAC00 <= o <= 0xD7AF  # hangul
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= o <= 0xFE4F  # CJK compatibility forms
        or 0x20000 <= o <= 0x3FFFF  # extensions B and later
    )


def _fullwidth_alnum(o: int) -> bool:
    return 0xFF10 <= o <= 0xFF19 or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A


def _alnum(ch: str) -> bool:
    return (ch.isascii() and ch.isalnum()) or _fullwidth_alnum(ord(ch))


def to_halfwidth(text: str) -> str:
    """Full-width letters and digits (ＡＢＣ１２３) → ABC123, U+3000 → space, and full-width
    punctuation → ASCII only inside Latin text: next to a letter or digit and not to a CJK
    character.

    "（０５７１）８７６５４３２１" becomes "(0571)87654321", but "张三，李四" and "杭州市（本级）" keep
    their Chinese punctuation: unlike NFKC, no Chinese character or Chinese-text punctuation is
    ever changed, and each character maps to exactly one character.
    """
    if text.isascii():
        return text
    chars = list(text)
    out = []
    for i, ch in enumerate(chars):
        o = ord(ch)
        if o == 0x3000:
            out.append(" ")
        elif _fullwidth_alnum(o):
            out.append(chr(o - 0xFEE0))
        elif 0xFF01 <= o <= 0xFF5E:
            near = [c for c in (chars[i - 1] if i else "", chars[i + 1] if i + 1 < len(chars) else "") if c]
            # the ideographic space is about to become a plain space: it is no Chinese context
            # (deciding on what stays the same keeps the function idempotent)
            in_latin = any(_alnum(c) for c in near) and not any(is_cjk(c) and c != "\u3000" for c in near)
            out.append(chr(o - 0xFEE0) if in_latin else ch)
        else:
            out.append(ch)
    return "".join(out)


def normalise_text(value: Any) -> str | None:
    """Trimmed text with full-width letters and digits made half-width.

    Numbers become the digits a person reads (13800138000, not 13800138000.0); a float of 16
    or more digits is refused because its last digits are already lost (an ID number that went
    through Excel as a number).
    """
    if isinstance(value, str):
        text = to_halfwidth(trim(value))
        return text or None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail("text", value, "is not a finite number", "不是有限数值")
        if value.is_integer():
            if abs(value) >= 10**EXACT_DIGITS:
                raise _fail(
                    "text",
                    value,
                    f"is a number of more than {EXACT_DIGITS} digits stored as floating point: its last digits "
                    "are lost (ID and account numbers must be kept as text)",
                    f"超过{EXACT_DIGITS}位的数值已丢失末尾数字（身份证号等须以文本保存）",
                    reason="digits_lost",
                )
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _fail("text", value, "is not a finite number", "不是有限数值")
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.isoformat(" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise _fail(
        "text", value, f"cannot be used as text ({type(value).__name__})", "不能作为文本", reason="type"
    )


# ---------------------------------------------------------------- numbers

_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?")
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_MINUS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-"})


def parse_number(value: Any) -> Decimal:
    """A number as ``Decimal``: "1,234.50" → Decimal("1234.50"), "１２３４" → 1234, "1 234" → 1234.

    Thousands separators (comma or space) must separate groups of three digits, so "1,23"
    (a decimal comma?) is refused rather than read as 123.
    """
    if isinstance(value, bool):
        raise _fail("number", value, "is true/false, not a number", "是布尔值，不是数值", reason="type")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail("number", value, "is not a finite number", "不是有限数值")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _fail("number", value, "is not a finite number", "不是有限数值")
        return value
    if not isinstance(value, str):
        raise _fail("number", value, f"is not a number ({type(value).__name__})", "不是数值", reason="type")
    text = unicodedata.normalize("NFKC", trim(value)).translate(_MINUS).strip()
    compact = _SPACES.sub(" ", text)
    if _PLAIN.fullmatch(compact):
        number = compact
    elif _GROUPED.fullmatch(compact):
        number = compact.replace(",", "").replace(" ", "")
    else:
        stray = next((ch for ch in compact if not (ch.isdigit() or ch in "+-., eE")), None)
        if stray is not None:
            detail, detail_zh = f"is not a number: unexpected {stray!r}", f"不是数值：含有 {stray!r}"
        elif "," in compact or " " in compact:
            detail = "is not a number: thousands separators must separate groups of three digits (1,234.50)"
            detail_zh = "不是数值：千分位分隔符应每三位一组（如 1,234.50）"
        else:
            detail, detail_zh = "is not a number", "不是数值"
        raise _fail("number", value, detail, detail_zh)
    try:
        return Decimal(number)
    except InvalidOperation:
        raise _fail("number", value, "is not a number", "不是数值") from None


def parse_integer(value: Any) -> int:
    """A whole number: "1,234" → 1234, 3.0 → 3; 2.5 is refused."""
    number = parse_number(value)
    if number != number.to_integral_value():
        raise _fail("integer", value, "is not a whole number", "不是整数", reason="not_integer")
    return int(number)


# ---------------------------------------------------------------- booleans

_TRUE = {"是", "对", "有", "真", "y", "yes", "true", "t", "1", "√", "✓", "✔"}
_FALSE = {"否", "不是", "错", "无", "没有", "假", "n", "no", "false", "f", "0", "×", "✗", "✘"}


def parse_bool(value: Any) -> bool:
    """是/否, 有/无, 对/错, Y/N, yes/no, true/false, T/F, 1/0, √/× (any case, full-width too)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
        if value in (0, 1):
            return bool(value)
    elif isinstance(value, str):
        key = unicodedata.normalize("NFKC", trim(value)).casefold()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    raise _fail(
        "bool",
        value,
        "is not yes/no (use 是/否, Y/N, true/false or 1/0)",
        "不是“是/否”值（可用 是/否、Y/N、1/0）",
    )


# ---------------------------------------------------------------- dates

_SERIAL_TEXT = re.compile(r"\d{5}(\.\d+)?")
_TIME = re.compile(
    r"(?P<date>.*?\d日?)(?:[T ]+|(?<=日))"
    r"(?P<h>\d{1,2})[:时](?P<m>\d{1,2})(?:[:分](?P<s>\d{1,2})(?:\.(?P<f>\d{1,6}))?秒?|分)?"
)


def from_excel_serial(serial: float | Decimal | int) -> datetime:
    """An Excel (1900 date system) serial as a datetime: 44931 → 2023-01-05, 44931.5 → noon.

    Excel counts the non-existent 1900-02-29 as day 60; that serial is refused, and serials
    before it are shifted accordingly."""
    whole = math.floor(serial)
    if not 1 <= whole <= MAX_EXCEL_SERIAL or whole == 60:
        raise ValueError(serial)
    base = EXCEL_EPOCH if whole > 60 else EXCEL_EPOCH + timedelta(days=1)
    seconds = round((Decimal(str(serial)) - whole) * 86400)
    return datetime.combine(base + timedelta(days=whole), time()) + timedelta(seconds=seconds)


def _serial(kind: str, value: Any) -> datetime:
    try:
        return from_excel_serial(value)
    except ValueError:
        if math.floor(value) == 60:
            raise _fail(
                kind,
                value,
                "is not a date: Excel's day 60 is 1900-02-29, which never existed",
                "不是日期：1900-02-29 不存在",
            ) from None
        raise _fail(
            kind,
            value,
            f"is not a date: as an Excel date serial it is out of range (1-{MAX_EXCEL_SERIAL})",
            "不是有效的Excel日期序列值",
        ) from None


def _numeric_date(kind: str, value: int | float | Decimal) -> datetime:
    """A number in a date column: 20230105 typed as a number, or an Excel serial."""
    if not math.isfinite(value):
        raise _fail(kind, value, "is not a date", "不是日期")
    if value == int(value) and 10_000_000 <= abs(value) <= 99_999_999:
        return datetime.combine(_text_date(kind, str(int(value))), time())
    return _serial(kind, value)


def _text_date(kind: str, text: str) -> date:
    return date.fromisoformat(_from_check(kind, text, standard_date(text)))


def parse_date(value: Any) -> date:
    """A date: the formats of :mod:`huitong.standards.dates` plus Excel serials and date objects.
    A time of day, if any, is dropped (use kind datetime to keep it)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _fail("date", value, f"is not a date ({type(value).__name__})", "不是日期", reason="type")
    if not isinstance(value, str):
        return _numeric_date("date", value).date()
    text = unicodedata.normalize("NFKC", trim(value))
    if _SERIAL_TEXT.fullmatch(text):
        return _serial("date", Decimal(text)).date()
    m = _TIME.fullmatch(text)
    if m:
        _clock("date", value, m)  # a date with an impossible time is still refused
        text = m.group("date")
    return _text_date("date", text)


def _clock(kind: str, value: Any, m: re.Match[str]) -> time:
    h, mi, s = int(m.group("h")), int(m.group("m")), int(m.group("s") or 0)
    micro = int((m.group("f") or "0").ljust(6, "0"))
    if h > 23 or mi > 59 or s > 59:
        raise _fail(
            kind,
            value,
            f"has an impossible time of day {h:02d}:{mi:02d}:{s:02d}",
            "时间不存在",
            reason="invalid_time",
        )
    return time(h, mi, s, micro)


def parse_datetime(value: Any) -> datetime:
    """A date and time: "2023-01-05 10:30", "2023/1/5 10:30:15", "2023年1月5日10时30分",
    ISO 8601 with "T" (and an offset, kept), Excel serials with a fraction, or a date (midnight)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _fail(
            "datetime",
            value,
            f"is not a date and time ({type(value).__name__})",
            "不是日期时间",
            reason="type",
        )
    if not isinstance(value, str):
        return _numeric_date("datetime", value)
    text = unicodedata.normalize("NFKC", trim(value))
    if _SERIAL_TEXT.fullmatch(text):
        return _serial("datetime", Decimal(text))
    m = _TIME.fullmatch(text)
    if m:
        return datetime.combine(_text_date("datetime", m.group("date")), _clock("datetime", value, m))
    try:
        return datetime.combine(_text_date("datetime", text), time())
    except NormaliseError as exc:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            if exc.reason != "format":
                raise
            raise _fail(
                "datetime",
                value,
                f"is not a recognised date and time (expected e.g. 2023-01-05 10:30, or a date: {DATE_EXAMPLES})",
                "不是可识别的日期时间格式",
            ) from None


# ---------------------------------------------------------------- codes


def parse_gender(value: Any) -> str:
    """The GB/T 2261.1 code ("1" 男, "2" 女, "0" 未知, "9" 未说明) via huitong.standards.gender."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        value = str(value)
    elif isinstance(value, float) and value.is_integer():
        value = str(int(value))
    return _from_check("gender", value, normalise_gender(value))


def map_code(value: Any, codes: Mapping[str, str]) -> str:
    """The code for a label or code of ``codes`` (code → label), e.g. {"10": "未婚", "20": "已婚"}:
    "已婚" → "20", "20" → "20".  Width, case and spaces are ignored."""
    if not codes:
        raise NormaliseError("no code table given for kind 'code'", value, kind="code", reason="config")

    def key(text: str) -> str:
        return re.sub(r"\s", "", unicodedata.normalize("NFKC", trim(text))).casefold()

    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        wanted = key(value)
        for code, label in codes.items():
            if wanted in (key(code), key(label)):
                return code
    allowed = ", ".join(f"{code} {label}" for code, label in list(codes.items())[:10])
    more = " …" if len(codes) > 10 else ""
    raise _fail(
        "code", value, f"is not one of the codes ({allowed}{more})", "不在代码表中", reason="unknown_code"
    )


# ---------------------------------------------------------------- dispatcher

KINDS: dict[str, Callable[..., Any]] = {
    "text": normalise_text,
    "number": parse_number,
    "decimal": parse_number,
    "integer": parse_integer,
    "date": parse_date,
    "datetime": parse_datetime,
    "bool": parse_bool,
    "boolean": parse_bool,
    "gender": parse_gender,
    "code": map_code,
}

# The catalog's data-element types (字符型 C, 数值型 N, 日期型 D, 日期时间型 T, 逻辑型 L) → kinds.
KIND_FOR_TYPE = {"C": "text", "N": "number", "D": "date", "T": "datetime", "L": "bool"}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not trim(value))


_SURROGATE = re.compile("[\ud800-\udfff]")  # from a JSON escape such as "\\ud800"


def escape_surrogates(text: str) -> str:
    """``text`` with any lone surrogate written as its escape (\\ud800), so it can be shown and stored."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def normalise(value: Any, kind: str, **options: Any) -> Any:
    """``value`` as ``kind`` (see the table in the module docstring); None when blank.

    ``options`` go to the kind's function (``codes=`` for kind "code")."""
    try:
        function = KINDS[kind]
    except KeyError:
        raise HuitongError(
            f"unknown value kind {kind!r}; kinds: {', '.join(sorted(KINDS))}", code="invalid", status=422
        ) from None
    if is_blank(value):
        return None
    if isinstance(value, str) and not value.isascii() and (bad := _SURROGATE.search(value)):
        shown = repr(value.strip())  # repr writes the surrogate as its escape, once
        code = f"U+{ord(bad.group()):04X}"
        raise NormaliseError(
            f"{shown} holds a broken character (a lone UTF-16 surrogate {code}) that no text can store",
            escape_surrogates(value),  # what is kept with the reject: storable text
            kind=kind,
            reason="broken_text",
            message_zh=f"{shown} 含有无法存储的损坏字符（孤立的 UTF-16 代理项 {code}）",
        )
    return function(value, **options)
