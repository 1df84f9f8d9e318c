"""The column kernels agree with the per-value functions: every value they certify, the reference
accepts unchanged with the same warnings; and every canonical value the reference accepts without
an error, they certify (else a clean export would fall back to the slow path)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.standards import columns, orgcode, uscc
from huitong.standards.divisions import division_table, validate_division_code
from huitong.standards.idcard import make_id_number, validate_id_number
from huitong.standards.normalise import ZERO_WIDTH, NormaliseError, is_blank, normalise, normalise_text

TODAY = date(2026, 12, 6)


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(st.text(), st.none(), st.sampled_from(["\u3000张三", "ａ1", "x\u200b", "（1）", " "])),
        max_size=30,
    )
)
def test_clean_text_certifies_the_values_normalise_text_keeps(values):
    """Sound: nothing certified that normalise_text would change. Complete except for full-width
    punctuation, which the kernel leaves to the reference (it keeps it only in Chinese text)."""
    certified = columns.clean_text(pa.array(values, type=pa.string()))
    for value, ok in zip(values, certified, strict=True):
        keeps = value is not None and not is_blank(value) and normalise_text(value) == value
        if ok:
            assert keeps, value
        elif keeps:
            assert any(0xFF01 <= ord(ch) <= 0xFF5E for ch in value), value


def _class(chars: str) -> str:
    return "".join(f"\\x{{{ord(ch):x}}}" for ch in chars)


# The specification of clean_text as one regular expression (what the kernel ran before it read
# the UTF-8 bytes itself): a space at either end, or a zero-width, ideographic-space or
# full-width ASCII character anywhere.
_WORK = (
    f"^[{_class(columns.SPACES)}]|[{_class(columns.SPACES)}]$|[{_class(ZERO_WIDTH)}]"
    "|[\\x{3000}\\x{ff01}-\\x{ff5e}]"
)
_TRICKY = list(columns.SPACES + ZERO_WIDTH) + ["\uff01", "\uff5e", "\uff5f", "\uff00", "\u3001", "\u2061"]
_TRICKY += [
    "\u200a",
    "\u200e",
    "\u00ac",
    "\u00ae",
    "\u180d",
    "\ufefe",
    "\uff3f",
    "\uff40",
    "\uff9e",
    "张",
    "a",
    "1",
]


@settings(max_examples=400)
@given(
    st.lists(
        st.one_of(st.none(), st.text(st.sampled_from(_TRICKY), max_size=6), st.text(max_size=5)), max_size=30
    )
)
def test_clean_text_reads_the_bytes_exactly_as_the_regular_expression_specifies(values):
    array = pa.array(values, type=pa.string())
    spec = pc.and_(pc.invert(pc.match_substring_regex(array, _WORK)), pc.greater(pc.binary_length(array), 0))
    expected = pc.fill_null(spec, False).to_pylist()
    assert columns.clean_text(array).tolist() == expected
    assert columns.clean_text(array.slice(1)).tolist() == expected[1:]  # an offset into the buffers
    assert columns.clean_text(array.cast(pa.large_string())).tolist() == expected
    halves = pa.chunked_array([array.slice(0, len(values) // 2), array.slice(len(values) // 2)], pa.string())
    assert columns.clean_text(halves).tolist() == expected


def test_every_character_normalise_text_changes_anywhere_is_found_in_the_middle_of_a_text():
    changed = set(ZERO_WIDTH) | {"\u3000"} | {chr(c) for c in range(0xFF01, 0xFF5F)}
    values = [f"张{ch}三" for ch in sorted(changed)]
    assert not columns.clean_text(pa.array(values, type=pa.string())).any()
    kept = [
        f"张{chr(c)}三" for c in range(0x80, 0x10000) if chr(c) not in changed and not 0xD800 <= c < 0xE000
    ]
    assert columns.clean_text(pa.array(kept, type=pa.string())).all()


def test_the_listed_spaces_are_the_ones_str_strip_removes():
    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == columns.SPACES


def _codes(result) -> set[str]:
    return {f.code for f in result.findings}


ids = st.builds(
    make_id_number,
    st.sampled_from(
        ["330106", "330184", "330110", "330112", "110101", "999999", "810000", "000000", "330100"]
    ),
    st.dates(date(1800, 1, 1), TODAY + timedelta(days=30)),
    st.integers(0, 999),
)


@st.composite
def id_like(draw) -> str:
    number = draw(ids)
    how = draw(st.integers(0, 5))
    if how == 1:  # any one character changed
        i = draw(st.integers(0, 17))
        return number[:i] + draw(st.sampled_from("0123456789Xx ")) + number[i + 1 :]
    if how == 2:  # an impossible birth date
        return number[:10] + draw(st.sampled_from(["0230", "1301", "0001", "0431", "0000"])) + number[14:]
    if how == 3:
        return draw(st.text(alphabet="0123456789X", min_size=17, max_size=19))
    return number


@settings(max_examples=300)
@given(st.lists(id_like(), max_size=25))
def test_id_numbers_agree_with_validate_id_number(values):
    found = columns.id_numbers(pa.array(values), today=TODAY)
    for i, value in enumerate(values):
        reference = validate_id_number(value, today=TODAY)
        canonical_ok = (
            reference.ok
            and reference.value == value
            and not (_codes(reference) - {"implausible_age", "unknown_region"})
        )
        assert found.certified[i] == canonical_ok, value
        if found.certified[i]:
            assert found.implausible_age[i] == ("implausible_age" in _codes(reference)), value
            assert found.unknown_region[i] == ("unknown_region" in _codes(reference)), value


@settings(max_examples=100)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(division_table()._by_code)[:4000:7]), st.dates(date(1900, 1, 1), TODAY)
        ),
        min_size=1,
        max_size=40,
    )
)
def test_region_in_force_agrees_with_the_division_table(pairs):
    table = division_table()
    codes = np.array([int(c) for c, _ in pairs])
    on = np.array([d.year * 10000 + d.month * 100 + d.day for _, d in pairs])
    got = columns.region_in_force(codes, on)
    assert got.tolist() == [table.is_valid(c, d) for c, d in pairs]


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"1[0-9]{10}", fullmatch=True),
            st.from_regex(r"[0-9+\- ]{9,14}", fullmatch=True),
            st.from_regex(r"0[0-9]{2,3}-[0-9]{6,9}(-[0-9]{1,4})?", fullmatch=True),
            st.sampled_from(
                [
                    "+8613800138000",
                    "138-0013-8000",
                    "0571-87654321",
                    "１３８００１３８０００",
                    "1380013800٠",
                    "0086-87654321",  # 0086 is the country prefix, not an area code
                    "0012-3456789",
                ]
            ),
        ),
        max_size=25,
    ),
    st.sampled_from(["mobile", "landline", "phone"]),
)
def test_canonical_phone_numbers_agree_with_the_validators(values, name):
    """Sound, and complete for numbers without an extension (those the reference judges)."""
    from huitong.standards.elements import validator_function

    check = validator_function(name)
    for value, ok in zip(values, columns.canonical(pa.array(values, type=pa.string()), name), strict=True):
        result = check(value)
        if ok:
            assert result.ok and result.value == value and not result.findings, value
        elif value.count("-") < 2:
            assert not (result.ok and result.value == value and not result.findings), value


date_texts = st.one_of(
    st.dates(date(1, 1, 1), date(9999, 12, 31)).flatmap(
        lambda d: st.sampled_from(
            [
                d.isoformat(),
                f"{d.year:04d}/{d.month}/{d.day}",
                f"{d.year:04d}.{d.month:02d}.{d.day}",
                f"{d.year:04d}年{d.month}月{d.day}日",
                f"{d.year:04d}年{d.month}月{d.day}",
                d.strftime("%Y%m%d").zfill(8),
            ]
        )
    ),
    st.from_regex(r"[0-9]{4}[-/.年]?[0-9]{1,2}[-/.月]?[0-9]{1,2}日?", fullmatch=True),
    st.sampled_from(["２０２３-01-05", " 2023-01-05", "2023-01-05 10:30", "44931", "2023-1/5", "0000-01-01"]),
    st.text(max_size=12),
)


def _reference_date(text: str):
    try:
        return normalise(text, "date")
    except NormaliseError:
        return None


@settings(max_examples=400)
@given(st.lists(st.one_of(date_texts, st.none()), max_size=30))
def test_dates_agree_with_normalise(values):
    """Sound: a certified value is the date normalise reads. Complete: every value in one of the
    documented forms with ASCII digits and nothing around it that normalise reads is certified."""
    found = columns.dates(pa.array(values, type=pa.string()))
    for value, ok, day in zip(values, found.certified, found.days, strict=True):
        expected = None if value is None else _reference_date(value)
        if ok:
            assert expected == day.astype(date), value
        elif expected is not None:
            assert not re.fullmatch(columns._DATE_SHAPE.strip("^$"), value), value


def _accepted_as_is(result, value: str) -> bool:
    return result.ok and result.value == value and not result.findings


_TABLE_CODES = sorted(division_table()._by_code)
regions = st.one_of(
    st.sampled_from(_TABLE_CODES),  # in force, retired and re-used codes alike
    st.sampled_from(["100000", "999999", "000000", "330184", "810000", "830000"]),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
)
# Damage a department's export shows: one character replaced (by a letter the alphabet leaves out,
# lowercase, a space, a full-width digit), the value cut or stretched, or any text at all.
_REPLACEMENTS = "0123456789ABXYIOZSVax -－０９\u3000"


@st.composite
def damaged(draw, good) -> str:
    value = draw(good)
    how = draw(st.integers(0, 6))
    if how == 1:
        i = draw(st.integers(0, len(value) - 1))
        return value[:i] + draw(st.sampled_from(_REPLACEMENTS)) + value[i + 1 :]
    if how == 2:
        return value[: draw(st.integers(0, len(value)))]
    if how == 3:
        return value + draw(st.sampled_from(["0", " ", "X"]))
    if how == 4:
        return draw(st.text(alphabet=_REPLACEMENTS, min_size=len(value) - 1, max_size=len(value) + 1))
    return value


_USCC = st.text(alphabet=uscc.ALPHABET, min_size=1, max_size=1)
credit_codes = st.builds(
    lambda a, k, r, body: uscc.make_credit_code(a, k, r, body),
    st.sampled_from(sorted(uscc.AUTHORITIES)),
    _USCC,
    regions,
    st.text(alphabet=uscc.ALPHABET, min_size=8, max_size=8),
)


@settings(max_examples=400)
@given(st.lists(st.one_of(damaged(credit_codes), st.none()), max_size=25))
def test_credit_codes_agree_with_validate_credit_code(values):
    """Certified exactly when the reference accepts the value unchanged and finds nothing."""
    certified = columns.credit_codes(pa.array(values, type=pa.string()))
    for value, ok in zip(values, certified, strict=True):
        assert ok == (value is not None and _accepted_as_is(uscc.validate_credit_code(value), value)), value


org_codes = st.builds(
    lambda body: f"{body}-{orgcode.org_check_char(body)}",
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=8),
)


@settings(max_examples=400)
@given(st.lists(st.one_of(damaged(org_codes), st.none()), max_size=25))
def test_org_codes_agree_with_validate_org_code(values):
    certified = columns.org_codes(pa.array(values, type=pa.string()))
    for value, ok in zip(values, certified, strict=True):
        assert ok == (value is not None and _accepted_as_is(orgcode.validate_org_code(value), value)), value


@settings(max_examples=300)
@given(st.lists(st.one_of(damaged(regions), st.none()), max_size=30))
def test_division_codes_agree_with_validate_division_code(values):
    """In force today: certified; retired, never listed, full-width or spaced: the reference's."""
    certified = columns.division_codes(pa.array(values, type=pa.string()))
    for value, ok in zip(values, certified, strict=True):
        assert ok == (value is not None and _accepted_as_is(validate_division_code(value), value)), value


def test_every_code_the_table_lists_is_judged_as_the_reference_judges_it():
    """The whole shipped table, not a sample: each code once, as a division code and inside a
    credit code."""
    codes = [c for c in _TABLE_CODES if len(c) == 6]
    as_division = columns.division_codes(pa.array(codes))
    assert as_division.tolist() == [_accepted_as_is(validate_division_code(c), c) for c in codes]
    credit = [uscc.make_credit_code("9", "1", c, "MA2H3K4L") for c in codes]
    as_credit = columns.credit_codes(pa.array(credit))
    assert as_credit.tolist() == [_accepted_as_is(uscc.validate_credit_code(c), c) for c in credit]
    assert as_division.sum() > 3000 and not as_division.all()  # retired codes exist and are left out
