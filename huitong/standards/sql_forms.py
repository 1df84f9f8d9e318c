"""SQL (DuckDB) forms of the data-element validators, so a whole stored table is checked in one pass.

``valid_sql(name, column)`` is true exactly when the per-value validator of that name finds no error
*and* returns the value unchanged: a stored value is already canonical, so one the validator would
rewrite (lowercase ``x``, full-width digits, spaces, a missing dash) counts as invalid.  Warnings
(an unknown region, an unlisted entity type) never make a value invalid, so the division table is
not needed.  Digits are ASCII only, as the store writes them.

Only built-in functions are used (the locked-down connection loads no extensions), and a row is
looked at only once its format regex matches.  Check characters are where the time goes: one
``ascii(substr(...))`` per character costs ~17 ms per million rows, and ``translate`` far more, so
the characters are read as one integer instead (digits as hex digits, letters as their raw ASCII
bytes), mapped to values byte-wise, and the weighted sum is folded pairwise with shifts and masks.
DuckDB recomputes a sub-expression wherever it appears (it shares none inside CASE), so a value
used twice is bound once with a one-element ``list_transform``.
"""

from __future__ import annotations

from collections.abc import Callable

from huitong.standards import idcard, uscc
from huitong.standards.gender import GENDER_CODES

_VAR = "huitong_sql_form_"  # lambda parameters; they would shadow a column of the same name


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _let(value: str, name: str, body: str) -> str:
    """``body`` with ``value`` evaluated once and bound to ``name``."""
    return f"list_transform([{value}], lambda {_VAR}{name}: {body})[1]"


def _each(byte: int, count: int = 16) -> int:
    """``byte`` in every one of ``count`` byte fields."""
    return int.from_bytes(bytes([byte]) * count, "big")


def _fold(x: str, fields: int, width: int, radix: int, *, first_low: bool = False) -> str:
    """Σ f_k·radix^(fields-1-k) over the ``width``-bit fields f_0 (leftmost) ... of ``x`` (with
    ``first_low``, Σ f_k·radix^k): adjacent fields merge pairwise, log2(fields) steps of five
    operations each.  The caller makes sure every merged field still fits its doubled width."""
    bits, level = fields * width, 0
    while width < bits:
        mask = sum(((1 << width) - 1) << (2 * width * i) for i in range(bits // (2 * width)))
        a, factor = f"{_VAR}f{level}", radix ** (1 << level)
        left, right = f"(({a} >> {width}) & {mask})", f"({a} & {mask})"
        x = _let(
            x, f"f{level}", f"{left} + {right} * {factor}" if first_low else f"{left} * {factor} + {right}"
        )
        width, level = 2 * width, level + 1
    return x


def _checked(v: str, pattern: str, rest: str) -> str:
    """NULL for NULL, false unless ``v`` fully matches ``pattern``, else ``rest`` (never NULL there)."""
    return (
        f"(CASE WHEN {v} IS NULL THEN NULL WHEN regexp_full_match({v}, {_literal(pattern)}) "
        f"THEN {rest} ELSE false END)"
    )


def _id_number(v: str) -> str:
    """公民身份号码: 17 digits + MOD 11-2 check (0-9, X); birth date real, year >= 1, not after today.

    The weights are 2^(17-k) mod 11, so the sum is the first 16 digits read in base 2, folded from
    their reading as hex digits, then doubled twice with the 17th digit."""
    first16 = _fold(f"('0x' || substr({v}, 1, 16))::UBIGINT", 16, 4, 2)
    total = f"(({first16})::BIGINT * 2 + ascii(substr({v}, 17, 1)) - 48) * 2"
    return _checked(
        v,
        r"[0-9]{17}[0-9X]",
        f"substr({v}, 7, 4) <> '0000'"
        f" AND coalesce(try_strptime(substr({v}, 7, 8), '%Y%m%d') <= current_date, false)"
        f" AND substr({_literal(idcard.CHECK_CHARS)}, ({total}) % 11 + 1, 1) = substr({v}, 18, 1)",
    )


def _org_values(x: str, count: int) -> str:
    """GB 11714 values of ``count`` ASCII bytes of digits and capitals: '0' = 0 ... 'A' = 10 ... 'Z' = 35."""
    return f"({x} - {_each(0x30, count)} - (({x} >> 6) & {_each(1, count)}) * 7)"


_ORG_CHECK = "0X987654321"  # org_check_char by total % 11 (11 - total % 11, with 10 -> X, 11 -> 0)


def _org_check(values: str) -> str:
    """The GB 11714 check character for a UBIGINT of 8 byte-wide values; the weights 3 7 9 10 5 8 4 2
    are 2^(8-k) mod 11, so the sum is the values read in base 2, doubled."""
    return f"substr('{_ORG_CHECK}', ({_fold(values, 8, 8, 2)})::BIGINT * 2 % 11 + 1, 1)"


def _bytes(v: str, start: int, count: int, kind: str) -> str:
    return f"encode(substr({v}, {start}, {count}))::BIT::{kind}"


def _org_code(v: str) -> str:
    """组织机构代码 in its stored form ``XXXXXXXX-C``: body of digits/capitals, GB 11714 check."""
    values = _let(_bytes(v, 1, 8, "UBIGINT"), "x", _org_values(f"{_VAR}x", 8))
    return _checked(v, r"[0-9A-Z]{8}-[0-9X]", f"{_org_check(values)} = substr({v}, 10, 1)")


_GAPS = sorted(set(map(chr, range(ord("A"), ord(uscc.ALPHABET[-1])))) - set(uscc.ALPHABET))  # I O S V


def _credit_code(v: str) -> str:
    """统一社会信用代码: 18 characters of the 31-letter alphabet, a known 登记管理部门码 first, digits
    in the region (positions 3-8), the embedded organisation code's check (position 17) and the MOD 31
    check.  An unknown entity type or region only warns.

    The first 16 characters are read as 16 bytes at once; a character's alphabet index is its GB 11714
    value less the letters skipped below it, counted byte-wise with ``byte + (127 - gap)`` carrying into
    bit 7.  The weights are 3^k mod 31, so the sum is the indexes read in base 3, first one lowest."""
    x, o = f"{_VAR}x", f"{_VAR}o"
    skipped = " + ".join(f"((({x} + {_each(127 - ord(c))}) >> 7) & {_each(1)})" for c in _GAPS)
    # the low 8 bytes are positions 9-16, the organisation code's body
    body = f"({o} & {(1 << 64) - 1})::UBIGINT"
    alphabet = _literal(uscc.ALPHABET)
    first16 = _fold(f"{o} - ({skipped})", 16, 8, 3, first_low=True)
    total = f"({first16})::BIGINT + (strpos({alphabet}, substr({v}, 17, 1)) - 1) * {uscc.WEIGHTS[16]}"
    checks = (
        f"{_org_check(body)} = substr({v}, 17, 1)"
        f" AND substr({alphabet}, (31 - ({total}) % 31) % 31 + 1, 1) = substr({v}, 18, 1)"
    )
    return _checked(
        v,
        f"[{''.join(uscc.AUTHORITIES)}][{uscc.ALPHABET}][0-9]{{6}}[{uscc.ALPHABET}]{{10}}",
        _let(_bytes(v, 1, 16, "UHUGEINT"), "x", _let(_org_values(x, 16), "o", checks)),
    )


def _gender(v: str) -> str:
    """性别代码: one of the GB/T 2261.1 codes (男/M/male are input forms, not stored ones)."""
    return f"({v} IN ({', '.join(_literal(c) for c in GENDER_CODES)}))"


_MOBILE = r"1[3-9][0-9]{9}"
# area code 0 + 1x/2x (3 digits) or 0 + [3-9]xx (4 digits), a 7-8 digit number, an optional extension
_LANDLINE = r"0(?:[12][0-9]|[3-9][0-9]{2})-[1-9][0-9]{6,7}(?:-[0-9]{1,6})?"
_EMAIL = r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}"  # the validator lowercases ASCII


def _pattern(pattern: str) -> Callable[[str], str]:
    return lambda v: f"regexp_full_match({v}, {_literal(pattern)})"


def _date(v: str) -> str:
    """日期 stored as ISO ``YYYY-MM-DD``, a real date in years 1-9999."""
    return _checked(
        v, r"[0-9]{4}-[0-9]{2}-[0-9]{2}", f"substr({v}, 1, 4) <> '0000' AND try_cast({v} AS DATE) IS NOT NULL"
    )


_FORMS: dict[str, Callable[[str], str]] = {
    "id_number": _id_number,
    "credit_code": _credit_code,
    "org_code": _org_code,
    "gender": _gender,
    "mobile": _pattern(_MOBILE),
    "landline": _pattern(_LANDLINE),
    "phone": _pattern(f"{_MOBILE}|{_LANDLINE}"),  # a stored landline never passes as a mobile
    "division_code": _pattern(r"[0-9]{6}"),  # 行政区划代码: a code missing from the table only warns
    "email": _pattern(_EMAIL),
    "date": _date,
}

SQL_VALIDATORS: frozenset[str] = frozenset(_FORMS)


def valid_sql(validator: str, column: str) -> str | None:
    """A DuckDB boolean SQL expression over ``column`` (an already-quoted SQL expression of type VARCHAR
    holding a *stored* value) that is true iff the value is valid; NULL when the value is NULL.  None
    when the validator has no SQL form (a plugin's, say): check those per value instead.  ``column``
    appears several times in the expression, so give a column reference, not a costly expression."""
    form = _FORMS.get(validator)
    return form(column) if form else None
