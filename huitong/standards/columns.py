"""The validators over whole columns: Arrow and NumPy operations that agree with the per-value
functions on every value they *certify*.

Each function takes a pyarrow string array and says, as boolean masks, which values the per-value
function (the reference, :mod:`huitong.standards.normalise` and the validators) would accept
unchanged and without an error, and which of those it would warn about. A value a kernel does not
certify is not judged here: the caller sends it to the reference, which also writes the exact
message. So a column's answer is always the reference's, computed at array speed for the values
that are clean, which in a department's export is nearly all of them. The property tests check
the agreement on generated samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huitong.standards import orgcode, uscc
from huitong.standards.divisions import DivisionTable, division_table
from huitong.standards.idcard import CHECK_CHARS, MAX_AGE_YEARS, WEIGHTS

# str.strip() removes exactly the characters for which str.isspace() holds (listed, not computed:
# a scan of every code point would cost a second at import; a test compares the two)
SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _mask(array: pa.Array) -> np.ndarray:
    """A boolean Arrow array as NumPy, null as False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


# The characters trim or to_halfwidth change anywhere in a text, as UTF-8: (lead byte, second byte,
# lowest third byte, highest third byte); a two-byte one has no third byte (None). Lead bytes are
# never continuation bytes, so a match cannot start inside another character.
_ANYWHERE = (
    (0xC2, 0xAD, None, None),  # U+00AD soft hyphen
    (0xE1, 0xA0, 0x8E, 0x8E),  # U+180E
    (0xE2, 0x80, 0x8B, 0x8D),  # U+200B-U+200D
    (0xE2, 0x81, 0xA0, 0xA0),  # U+2060
    (0xEF, 0xBB, 0xBF, 0xBF),  # U+FEFF
    (0xE3, 0x80, 0x80, 0x80),  # U+3000 ideographic space
    (0xEF, 0xBC, 0x81, 0xBF),  # U+FF01-U+FF3F
    (0xEF, 0xBD, 0x80, 0x9E),  # U+FF40-U+FF5E
)
_IS_LEAD = np.zeros(256, dtype=bool)
_IS_LEAD[[lead for lead, *_ in _ANYWHERE]] = True


def _changed_anywhere(values: pa.Array) -> np.ndarray:
    """Which strings hold a character of ``_ANYWHERE``: one NumPy pass over the UTF-8 bytes (a
    regular expression per value took five times as long)."""
    n = len(values)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.large_string())
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(values.buffers()[1], dtype=width)[values.offset : values.offset + n + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    if end == start:
        return out
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[start:end]
    at = np.flatnonzero(_IS_LEAD[data])
    if not len(at):
        return out
    padded = np.concatenate([data, np.zeros(2, np.uint8)])
    b0, b1, b2 = data[at], padded[at + 1], padded[at + 2]
    hit = np.zeros(len(at), dtype=bool)
    for lead, second, low, high in _ANYWHERE:
        here = (b0 == lead) & (b1 == second)
        if low is not None:
            here &= (b2 >= low) & (b2 <= high)
        hit |= here
    rows = np.searchsorted(offsets, at[hit] + start, "right") - 1
    out[rows] = True
    return out


def clean_text(values: pa.Array) -> np.ndarray:
    """Which strings ``normalise_text`` gives back unchanged and not blank: no space at either end,
    no zero-width character, nothing full-width. Null and empty strings are not certified."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.large_string())
    ends = pc.equal(pc.binary_length(pc.utf8_trim(values, SPACES)), pc.binary_length(values))
    kept = _mask(pc.and_(ends, pc.greater(pc.binary_length(values), 0)))
    return kept & ~_changed_anywhere(values)


def lengths(values: pa.Array) -> np.ndarray:
    """Characters per string (null as 0)."""
    return np.asarray(pc.fill_null(pc.utf8_length(values), 0).to_numpy(zero_copy_only=False))


@dataclass(frozen=True)
class IdColumn:
    """An ID-number column judged: ``certified`` values pass unchanged with no error;
    ``implausible_age`` and ``unknown_region`` are the warnings among them. ``kind`` sorts the
    numbers whose only error is the check character by what the reference says of them (the
    character found, the one expected, the two warnings), -1 for every other value."""

    certified: np.ndarray
    implausible_age: np.ndarray
    unknown_region: np.ndarray
    kind: np.ndarray


def _of_width(values: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose strings are ``width`` bytes long, and those bytes (one row each), gathered
    straight from the UTF-8 buffer: no regular expression, no copy of the column."""
    size, raw = _windows(values, width)
    rows = np.flatnonzero(size == width)
    return rows, raw[rows]


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    return days[np.clip(month, 0, 12)] + ((month == 2) & leap)


def _yyyymmdd(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def region_in_force(codes: np.ndarray, on: np.ndarray, table: DivisionTable | None = None) -> np.ndarray:
    """Whether each 6-digit region code (as an int) was in force on each date (YYYYMMDD int), as
    ``DivisionTable.is_valid`` answers it: dates before the first list count as its date."""
    table = table or division_table()
    on = np.maximum(on, _yyyymmdd(table.first_list) if table.first_list > date.min else 0)
    distinct, where = np.unique(codes, return_inverse=True)
    windows = [table.windows(f"{c:06d}") for c in distinct]
    width = max((len(w) for w in windows), default=0)
    if width == 0:
        return np.zeros(len(codes), dtype=bool)
    starts = np.full((len(distinct), width), 99999999, dtype=np.int64)  # an absent window never holds
    ends = np.zeros((len(distinct), width), dtype=np.int64)
    for i, ws in enumerate(windows):
        for j, w in enumerate(ws):
            starts[i, j] = _yyyymmdd(w.valid_from) if w.valid_from > date.min else 0
            ends[i, j] = _yyyymmdd(w.valid_to) if w.valid_to else 99999999
    day = on[:, None]
    return ((starts[where] <= day) & (day <= ends[where])).any(axis=1)


def id_numbers(values: pa.Array, *, today: date | None = None) -> IdColumn:
    """公民身份号码 as ``validate_id_number`` judges them, for the canonical form (17 ASCII digits
    and a digit or X): check character (MOD 11-2), a real birth date not in the future, and the
    warnings for an age over 130 and a region not in force on the birth date. A 15-digit number,
    a lowercase x, full-width digits or spaces are left to the reference (it converts them)."""
    n = len(values)
    today = today or date.today()
    certified = np.zeros(n, dtype=bool)
    implausible = np.zeros(n, dtype=bool)
    unknown = np.zeros(n, dtype=bool)
    kind = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return IdColumn(certified, implausible, unknown, kind)
    sized, raw = _of_width(values, 18)  # 17 ASCII digits and a digit or X: 18 bytes
    digit = (raw >= 48) & (raw <= 57)
    formed = digit[:, :17].all(axis=1) & (digit[:, 17] | (raw[:, 17] == 88))
    shaped, raw = sized[formed], raw[formed]
    if len(shaped) == 0:
        return IdColumn(certified, implausible, unknown, kind)
    digits = raw[:, :17].astype(np.int64) - 48
    expected = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)[
        (digits * np.array(WEIGHTS)).sum(axis=1) % 11
    ]
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    born = year * 10000 + month * 100 + day
    real = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= _days_in_month(year, month))
    dated = real & (born <= _yyyymmdd(today))
    ok = (raw[:, 17] == expected) & dated
    region = digits[:, 0] * 100000 + digits[:, 1] * 10000 + digits[:, 2] * 1000
    region += digits[:, 3] * 100 + digits[:, 4] * 10 + digits[:, 5]
    old = today.year - year > MAX_AGE_YEARS
    elsewhere = ~region_in_force(region, np.where(real, born, 0))
    certified[shaped] = ok
    implausible[shaped] = ok & old
    unknown[shaped] = ok & elsewhere
    wrong_check = dated & ~ok
    code = raw[:, 17].astype(np.int64) * 256 + expected.astype(np.int64) + old * 65536 + elsewhere * 131072
    kind[shaped] = np.where(wrong_check, code, -1)
    return IdColumn(certified, implausible, unknown, kind)


# Validators whose canonical form a regular expression certifies: ``validate_mobile`` gives an
# 11-digit 1[3-9]… number back unchanged, ``validate_landline`` an area code (3 digits for 010 and
# 02x, else 4), a dash and 7-8 digits; ``validate_phone`` accepts either.
_MOBILE = r"1[3-9][0-9]{9}"
_LANDLINE = r"0[12][0-9]-[1-9][0-9]{6,7}|0[3-9][0-9]{2}-[1-9][0-9]{6,7}"
CANONICAL = {
    "mobile": f"^(?:{_MOBILE})$",
    "landline": f"^(?:{_LANDLINE})$",
    "phone": f"^(?:{_MOBILE}|{_LANDLINE})$",
}


def canonical(values: pa.Array, validator: str) -> np.ndarray | None:
    """Which values are in the validator's canonical form (accepted unchanged, no finding), or None
    for a validator without a column kernel."""
    checked = CHECKED.get(validator)
    if checked is not None:
        return checked(values)
    pattern = CANONICAL.get(validator)
    if pattern is None:
        return None
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    return _mask(pc.match_substring_regex(values, pattern))


def _table_of(chars: str) -> np.ndarray:
    """Byte -> position in ``chars`` (-1 for any other byte), to read ASCII codes as numbers."""
    table = np.full(256, -1, dtype=np.int64)
    table[np.frombuffer(chars.encode("ascii"), dtype=np.uint8)] = np.arange(len(chars))
    return table


_DIGITS = _table_of("0123456789")
_ORG_BODY = _table_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # A=10 ... Z=35, as GB 11714 values them
_USCC = _table_of(uscc.ALPHABET)


def _number(digits: np.ndarray) -> np.ndarray:
    """Rows of digit values (0-9) read as one decimal number each."""
    return digits @ (10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64))


def _org_check(body: np.ndarray) -> np.ndarray:
    """The GB 11714 check character (as a byte) of rows of 8 body values."""
    c = 11 - (body @ np.array(orgcode.WEIGHTS, dtype=np.int64)) % 11
    return np.frombuffer(b"0123456789X0", dtype=np.uint8)[c]


@lru_cache(maxsize=4)
def _codes(table: DivisionTable) -> tuple[np.ndarray, np.ndarray]:
    """Every code the table lists (any window), and those in force today, as sorted ints."""
    listed, current = [], []
    for code in table._by_code:
        if len(code) == 6 and code.isascii() and code.isdigit():
            listed.append(int(code))
            if table.is_valid(code):
                current.append(int(code))
    return np.array(sorted(listed), dtype=np.int64), np.array(sorted(current), dtype=np.int64)


def _certified(values: pa.Array, rows: np.ndarray, ok: np.ndarray) -> np.ndarray:
    certified = np.zeros(len(values), dtype=bool)
    certified[rows[ok]] = True
    return certified


def division_codes(values: pa.Array, table: DivisionTable | None = None) -> np.ndarray:
    """行政区划代码 that ``validate_division_code`` accepts unchanged without a warning: six ASCII
    digits naming a code in force today. Other digits, spaces and retired codes go to the reference."""
    rows, raw = _of_width(values, 6)
    digits = _DIGITS[raw]
    formed = (digits >= 0).all(axis=1)
    _, current = _codes(table or division_table())
    ok = formed & np.isin(_number(np.where(digits >= 0, digits, 0)), current)
    return _certified(values, rows, ok)


def org_codes(values: pa.Array) -> np.ndarray:
    """组织机构代码 that ``validate_org_code`` accepts unchanged: ``XXXXXXXX-C`` with capital letters
    or digits, a dash and the right check character. Without the dash (the reference adds it),
    lowercase or full-width, a value goes to the reference."""
    rows, raw = _of_width(values, 10)
    body = _ORG_BODY[raw[:, :8]]
    formed = (body >= 0).all(axis=1) & (raw[:, 8] == ord("-"))
    ok = formed & (raw[:, 9] == _org_check(np.where(body >= 0, body, 0)))
    return _certified(values, rows, ok)


def _authorities() -> np.ndarray:
    """[authority byte, entity-type byte] -> whether the pair draws no finding: a known authority
    whose list of types (if it has one) holds the type."""
    allowed = np.zeros((256, 256), dtype=bool)
    for authority, (_, kinds) in uscc.AUTHORITIES.items():
        if kinds:
            allowed[ord(authority), [ord(k) for k in kinds]] = True
        else:
            allowed[ord(authority), :] = True
    return allowed


_ALLOWED = _authorities()
_NATIONAL = int(uscc.NATIONAL_REGION)


def credit_codes(values: pa.Array, table: DivisionTable | None = None) -> np.ndarray:
    """统一社会信用代码 that ``validate_credit_code`` accepts unchanged and without a finding: 18
    characters of the code's alphabet, a known registration authority and entity type, a region
    the table lists (or 100000), the embedded organisation code's check and the final MOD 31 check.
    Lowercase, spaces, full-width forms and every value with a warning go to the reference."""
    rows, raw = _of_width(values, 18)
    index = _USCC[raw]
    formed = (index >= 0).all(axis=1)
    index = np.where(index >= 0, index, 0)
    region_digits = _DIGITS[raw[:, 2:8]]
    region = _number(np.where(region_digits >= 0, region_digits, 0))
    listed, _ = _codes(table or division_table())
    region_ok = (region_digits >= 0).all(axis=1) & ((region == _NATIONAL) | np.isin(region, listed))
    body = _ORG_BODY[raw[:, 8:16]]
    org_ok = (body >= 0).all(axis=1) & (raw[:, 16] == _org_check(np.where(body >= 0, body, 0)))
    final = (31 - (index[:, :17] @ np.array(uscc.WEIGHTS, dtype=np.int64)) % 31) % 31
    ok = formed & _ALLOWED[raw[:, 0], raw[:, 1]] & region_ok & org_ok & (index[:, 17] == final)
    return _certified(values, rows, ok)


CHECKED = {"credit_code": credit_codes, "org_code": org_codes, "division_code": division_codes}
# The pattern an element with one of these validators may carry that every certified value
# matches (the shipped 行政区划代码 element: six digits), so the kernel still applies.
IMPLIED_PATTERNS = {"division_code": r"\d{6}"}


# The text forms of :func:`huitong.standards.dates.parse_date` with ASCII digits and nothing
# around them, as one regular expression: the specification the byte kernel below follows (the
# property test holds the two together).
_DATE_SHAPE = (
    r"^(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}|[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}"
    r"|[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日?|[0-9]{8})$"
)
_NIAN, _YUE, _RI = ("年".encode(), "月".encode(), "日".encode())
_DATE_BYTES = 17  # the longest form: 2023年12月31日


def _windows(values: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each string's length in bytes (-1 for null) and the ``width`` bytes from its start: one
    row per value, copied from the UTF-8 buffer in one gather. Bytes past a string's length are
    the next string's (or zero): read them only through :func:`_at`, which checks the length."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.large_string())
    n = len(values)
    kind = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(values.buffers()[1], dtype=kind)[values.offset : values.offset + n + 1]
    size = np.diff(offsets).astype(np.int64)
    if values.null_count:
        size = np.where(_mask(pc.is_valid(values)), size, -1)
    data = values.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    padded = np.concatenate([data, np.zeros(width, np.uint8)])
    return size, np.lib.stride_tricks.sliding_window_view(padded, width)[offsets[:-1]]


def _at(raw: np.ndarray, size: np.ndarray, column: np.ndarray | int) -> np.ndarray:
    """Each row's byte at its own column, 0 past the string's end."""
    byte = raw[np.arange(len(raw)), np.minimum(column, raw.shape[1] - 1)]
    return np.where(column < size, byte, 0)


def _is_bytes(raw: np.ndarray, size: np.ndarray, column: np.ndarray | int, expected: bytes) -> np.ndarray:
    ok = size >= column + len(expected)
    for i, byte in enumerate(expected):
        ok &= _at(raw, size, column + i) == byte
    return ok


def _one_or_two_digits(raw, size, first) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The number of one or two digits starting at ``first``: whether there is one, its value,
    and how many digits it has (read greedily, as the regular expression reads it)."""
    a = _DIGITS[_at(raw, size, first)]
    b = _DIGITS[_at(raw, size, first + 1)]
    two = b >= 0
    return a >= 0, np.where(two, a * 10 + b, a), 1 + two


@dataclass(frozen=True)
class DateColumn:
    """A date column judged: ``certified`` values are real dates the reference reads the same way
    without a finding; ``days`` holds them (``NaT`` elsewhere)."""

    certified: np.ndarray
    days: np.ndarray  # datetime64[D]


def dates(values: pa.Array) -> DateColumn:
    """Dates as ``normalise(value, "date")`` reads text (2023-01-05, 2023/1/5, 2023.1.5,
    2023年1月5日, 20230105), for values in one of those forms with ASCII digits: month 1-12, a day
    the month has, a year from 1. Full-width digits, spaces, times of day, Excel serials and
    anything impossible are left to the reference (it converts them, or writes the message).
    The forms are read from the bytes (``_DATE_SHAPE`` says which), not by regular expressions."""
    n = len(values)
    certified = np.zeros(n, dtype=bool)
    days = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if n == 0:
        return DateColumn(certified, days)
    size, raw = _windows(values, _DATE_BYTES)
    head = _DIGITS[raw[:, :8]]  # the shortest form has 8 bytes, so these are the value's own
    long_enough = size >= 8
    year = _number(np.maximum(head[:, :4], 0))
    year_ok = long_enough & (head[:, :4] >= 0).all(axis=1)
    eight = (size == 8) & (head >= 0).all(axis=1)
    # 2023-1-5, 2023/1/5, 2023.1.5 (one separator, twice); 2023年1月5日 (年, 月, and 日 or nothing)
    sep = raw[:, 4]
    plain = (sep == ord("-")) | (sep == ord("/")) | (sep == ord("."))
    nian = _is_bytes(raw, size, 4, _NIAN)
    m_first = np.where(nian, 4 + len(_NIAN), 5)
    m_ok, month, m_len = _one_or_two_digits(raw, size, m_first)
    after_m = m_first + m_len
    plain &= _at(raw, size, after_m) == sep
    nian &= _is_bytes(raw, size, after_m, _YUE)
    d_first = after_m + np.where(nian, len(_YUE), 1)
    d_ok, day, d_len = _one_or_two_digits(raw, size, d_first)
    end = d_first + d_len
    ends = (size == end) | (nian & (size == end + len(_RI)) & _is_bytes(raw, size, end, _RI))
    shaped = year_ok & (eight | ((plain | nian) & m_ok & d_ok & ends))
    month = np.where(eight, head[:, 4] * 10 + head[:, 5], month)
    day = np.where(eight, head[:, 6] * 10 + head[:, 7], day)
    real = shaped & (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    real &= day <= _days_in_month(year, month)
    keep = np.flatnonzero(real)
    year, month, day = year[keep], month[keep], day[keep]
    first = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1).astype(
        "timedelta64[M]"
    )
    days[keep] = first.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    certified[keep] = True
    return DateColumn(certified, days)
