"""Each operator's SQL gives, on generated values, what its per-value Python reference gives."""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import date, timedelta

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.deid import Plan, apply, assess
from huitong.deid.operators import kind_of, mask_text
from huitong.deid.table_ops import kept_rows, sampled
from huitong.standards import masking
from huitong.standards.idcard import make_id_number, validate_id_number

KEY = b"consumer-A-key-0123456789"
OTHER_KEY = b"consumer-B-key-0123456789"
FEW = settings(max_examples=15)


def released(values, op: dict, dtype: pa.DataType | None = None, *, key: bytes | None = KEY, **plan):
    table = pa.table({"c": pa.array(values, dtype)})
    out = apply(table, Plan.parse({"columns": {"c": op}, **plan}), key=key)
    return out.column("c").to_pylist()


def reference(values, op: dict, dtype: pa.DataType | None = None, *, key: bytes | None = KEY):
    arr = pa.array(values, dtype)
    operator = Plan.parse({"columns": {"c": op}}).columns["c"]
    return operator.reference(arr.to_pylist(), column="c", kind=kind_of(arr.type), key=key)


texts = st.lists(st.none() | st.text(max_size=12), max_size=20)
small_ints = st.lists(st.none() | st.integers(-(10**9), 10**9), max_size=20)
floats = st.lists(st.none() | st.floats(-1e9, 1e9, allow_nan=False), max_size=20)


# 抑制 suppression


def test_mask_keeps_the_ends_and_counts_characters_not_bytes():
    assert released(
        ["13812345678", "张三丰", "王", ""], {"op": "mask", "keep_prefix": 3, "keep_suffix": 4}
    ) == [
        "138****5678",
        "***",
        "*",
        "",
    ]
    assert released(["欧阳修文"], {"op": "mask", "keep_prefix": 1, "char": "＊"}) == ["欧＊＊＊"]


@FEW
@given(texts, st.integers(0, 4), st.integers(0, 4), st.sampled_from("*#＊"))
def test_mask_sql_agrees_with_the_display_rule(values, p, s, char):
    op = {"op": "mask", "keep_prefix": p, "keep_suffix": s, "char": char}
    assert released(values, op, pa.string()) == reference(values, op, pa.string())
    if char == "*":  # the display-masking registry's own rule is the reference
        assert [mask_text(v, p, s) for v in values if v is not None] == [
            masking.keep(v, p, s) for v in values if v is not None
        ]


def test_suppress_blanks_every_cell_and_keeps_the_column_type():
    table = pa.table({"c": pa.array([1, 2], pa.int32()), "d": ["x", "y"]})
    out = apply(table, Plan.parse({"columns": {"c": "suppress"}}))
    assert out.column("c").to_pylist() == [None, None]
    assert out.schema.field("c").type == pa.int32()
    assert out.column("d").to_pylist() == ["x", "y"]


def test_drop_removes_the_column_and_keeps_the_others_in_order():
    table = pa.table({"a": [1], "b": ["x"], "c": [2.5]})
    out = apply(table, Plan.parse({"direct": ["b"], "columns": {"b": "drop"}}))
    assert out.column_names == ["a", "c"]
    assert out.to_pylist() == [{"a": 1, "c": 2.5}]


# 假名化 pseudonyms


def test_pseudonym_is_the_truncated_hmac_sha256_of_the_value():
    values = ["110105199001011234", "张三", ""]
    expect = [hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest()[:20] for v in values]
    assert released(values, {"op": "pseudonym", "length": 20}) == expect
    long_key = b"k" * 100  # longer than SHA-256's block: hashed first, as RFC 2104 says
    expect = [hmac.new(long_key, v.encode(), hashlib.sha256).hexdigest()[:16] for v in values]
    assert released(values, "pseudonym", key=long_key) == expect


@FEW
@given(texts)
def test_pseudonym_sql_agrees_and_differs_per_key(values):
    a = released(values, "pseudonym", pa.string())
    b = released(values, "pseudonym", pa.string(), key=OTHER_KEY)
    assert a == reference(values, "pseudonym", pa.string())
    assert all(x != y for x, y in zip(a, b, strict=True) if x is not None)


def test_pseudonym_of_an_integer_column_hashes_its_digits():
    assert released([42, None], "pseudonym") == [hmac.new(KEY, b"42", hashlib.sha256).hexdigest()[:16], None]


ids = st.builds(
    make_id_number,
    st.sampled_from(["110105", "330102", "440305", "650102"]),
    st.dates(date(1930, 1, 1), date(2020, 12, 31)),
    st.integers(0, 999),
)


@FEW
@given(st.lists(st.none() | ids | st.text(max_size=18), max_size=15), st.booleans())
def test_id_pseudonym_is_a_valid_id_number_and_agrees_with_its_reference(values, keep_region):
    op = {"op": "id_pseudonym", "keep_region": keep_region}
    out = released(values, op, pa.string())
    assert out == reference(values, op, pa.string())
    for value, pseudonym in zip(values, out, strict=True):
        if value is None:
            assert pseudonym is None
            continue
        assert len(pseudonym) == 18 and validate_id_number(pseudonym, today=date(2026, 1, 1)).ok
        if keep_region and value[:6].isascii() and value[:6].isdigit() and len(value) >= 6:
            assert pseudonym[:6] == value[:6]


def test_id_pseudonym_is_deterministic_per_key_and_differs_between_keys():
    values = [make_id_number("330102", date(1985, 12, 12), i) for i in range(50)]
    first = released(values, {"op": "id_pseudonym", "keep_region": True})
    assert first == released(values, {"op": "id_pseudonym", "keep_region": True})
    other = released(values, {"op": "id_pseudonym", "keep_region": True}, key=OTHER_KEY)
    assert all(a != b for a, b in zip(first, other, strict=True))
    assert not set(first) & set(values)  # no number comes out as itself
    assert {p[:6] for p in first} == {"330102"}


# 泛化 generalisation


def test_age_band_labels_with_a_top_band():
    assert released([0, 4, 5, 34, 89, 90, 103, None], {"op": "age_band", "width": 5, "top": 90}) == [
        "0-4",
        "0-4",
        "5-9",
        "30-34",
        "85-89",
        "90+",
        "90+",
        None,
    ]


@FEW
@given(st.lists(st.none() | st.dates(date(1900, 1, 1), date(2030, 12, 31)), max_size=20), st.integers(1, 12))
def test_age_band_from_birth_dates_agrees(values, width):
    op = {"op": "age_band", "width": width, "as_of": "2024-02-29"}
    assert released(values, op, pa.date32()) == reference(values, op, pa.date32())


def test_age_band_counts_whole_years_as_of_the_reference_date():
    born = [date(1990, 3, 1), date(1990, 2, 28), date(2000, 2, 29)]
    op = {"op": "age_band", "width": 1, "as_of": date(2024, 2, 28)}
    assert released(born, op) == ["33", "34", "23"]


@FEW
@given(small_ints, st.integers(1, 20), st.none() | st.integers(0, 120))
def test_age_band_from_ages_agrees(values, width, top):
    op = {"op": "age_band", "width": width} | ({"top": top} if top is not None else {})
    assert released(values, op, pa.int64()) == reference(values, op, pa.int64())


def test_division_walks_up_the_code_hierarchy():
    codes = ["110105", "330106", "33010", "abcdef", None]
    assert released(codes, {"op": "division", "level": "city"}) == ["110100", "330100", None, None, None]
    assert released(codes, {"op": "division", "level": "province"}) == ["110000", "330000", None, None, None]


@FEW
@given(
    st.lists(st.none() | st.text("0123456789a٣", max_size=7), max_size=20),
    st.sampled_from(["city", "province"]),
)
def test_division_sql_agrees(values, level):
    op = {"op": "division", "level": level}
    assert released(values, op, pa.string()) == reference(values, op, pa.string())


@FEW
@given(
    st.lists(st.none() | st.dates(date(1000, 1, 1), date(9999, 12, 31)), max_size=20),
    st.sampled_from(["month", "year"]),
)
def test_date_to_month_or_year_agrees(values, level):
    op = {"op": "date", "level": level}
    assert released(values, op, pa.date32()) == reference(values, op, pa.date32())
    text = [None if v is None else v.isoformat() for v in values] + ["2021-02-29", "2021-1-05", "0000-01-01"]
    assert released(text, op, pa.string()) == reference(text, op, pa.string())


def test_date_of_text_keeps_real_iso_dates_only():
    assert released(["2020-02-29", "2021-02-29", "2021/01/01"], {"op": "date", "level": "month"}) == [
        "2020-02",
        None,
        None,
    ]


def test_round_to_a_base():
    assert released([1234, 1500, -1500, 2499, None], {"op": "round", "base": 1000}) == [
        1000,
        2000,
        -2000,
        2000,
        None,
    ]
    assert released([1234, -1], {"op": "round", "base": 1000, "mode": "down"}) == [1000, -1000]
    assert released([1234, -1], {"op": "round", "base": 1000, "mode": "up"}) == [2000, 0]


@FEW
@given(
    st.lists(st.none() | st.integers(-(10**12), 10**12), max_size=20),
    st.integers(1, 1000),
    st.sampled_from(["nearest", "down", "up"]),
)
def test_round_integers_agrees(values, base, mode):
    op = {"op": "round", "base": base, "mode": mode}
    assert released(values, op, pa.int64()) == reference(values, op, pa.int64())


@FEW
@given(floats, st.sampled_from([0.5, 3, 100, 2.5]), st.sampled_from(["nearest", "down", "up"]))
def test_round_floats_agrees(values, base, mode):
    op = {"op": "round", "base": base, "mode": mode}
    assert released(values, op, pa.float64()) == reference(values, op, pa.float64())


def test_top_and_bottom_coding_keep_nulls():
    assert released([5, 150, None], {"op": "top_code", "max": 100}) == [5, 100, None]
    assert released([5, 150, None], {"op": "bottom_code", "min": 10}) == [10, 150, None]


@FEW
@given(small_ints, st.integers(-100, 100), st.sampled_from(["top_code", "bottom_code"]))
def test_top_and_bottom_coding_agree(values, bound, name):
    op = {"op": name, "max" if name == "top_code" else "min": bound}
    assert released(values, op, pa.int64()) == reference(values, op, pa.int64())


# 随机化 randomisation


@FEW
@given(floats, st.sampled_from(["laplace", "uniform"]), st.integers(0, 2**31))
def test_noise_agrees_with_its_reference_and_is_rebuilt_from_its_seed(values, distribution, seed):
    op = {"op": "noise", "scale": 10, "distribution": distribution, "seed": seed}
    out = released(values, op, pa.float64())
    for got, want in zip(out, reference(values, op, pa.float64()), strict=True):
        assert got == want or math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-9)


def test_noise_differs_by_seed_and_by_row_and_uniform_noise_stays_within_its_scale():
    values = [100.0] * 200
    a = released(values, {"op": "noise", "scale": 5, "distribution": "uniform", "seed": 1})
    b = released(values, {"op": "noise", "scale": 5, "distribution": "uniform", "seed": 2})
    assert a == released(values, {"op": "noise", "scale": 5, "distribution": "uniform", "seed": 1})
    assert a != b and len(set(a)) == 200
    assert all(95 < x < 105 for x in a)
    laplace = released(list(range(2000)), {"op": "noise", "scale": 1, "seed": 7})
    assert abs(sum(x - i for i, x in enumerate(laplace)) / 2000) < 0.2  # centred on the value


@FEW
@given(st.lists(st.none() | st.integers(-50, 50), max_size=30), st.integers(2, 5))
def test_micro_aggregate_agrees_and_every_value_is_shared_by_k_records(values, k):
    op = {"op": "micro_aggregate", "k": k}
    out = released(values, op, pa.int64())
    for got, want in zip(out, reference(values, op, pa.int64()), strict=True):
        assert (got is None and want is None) or math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
    present = [v for v in values if v is not None]
    if len(present) >= k:
        for v in {round(x, 9) for x in out if x is not None}:
            assert sum(1 for x in out if x is not None and round(x, 9) == v) >= k


def test_micro_aggregate_groups_consecutive_sorted_values():
    assert released([9, 1, 2, 8, 3, 7, 100], {"op": "micro_aggregate", "k": 3}) == [
        31.0,
        2.0,
        2.0,
        31.0,
        2.0,
        31.0,
        31.0,
    ]


# table operators


def test_sample_is_reproducible_and_matches_its_reference():
    table = pa.table({"i": list(range(1000))})
    plan = Plan.parse({"table": [{"op": "sample", "fraction": 0.3, "seed": 11}]})
    out = apply(table, plan).column("i").to_pylist()
    assert out == apply(table, plan).column("i").to_pylist()
    assert out == [i for i in range(1000) if sampled(i, 0.3, 11)]
    assert 240 < len(out) < 360
    other = apply(table, Plan.parse({"table": [{"op": "sample", "fraction": 0.3, "seed": 12}]}))
    assert other.column("i").to_pylist() != out


@FEW
@given(
    st.lists(st.tuples(st.sampled_from(["1", "2", None]), st.integers(0, 2)), max_size=40), st.integers(2, 4)
)
def test_suppress_rows_drops_small_classes_and_keeps_row_order(rows, k):
    table = pa.table(
        {
            "g": [r[0] for r in rows],
            "a": pa.array([r[1] for r in rows], pa.int64()),
            "i": list(range(len(rows))),
        }
    )
    plan = Plan.parse({"quasi": ["g", "a"], "k": k, "table": ["suppress_rows"]})
    out = apply(table, plan)
    keep = kept_rows(rows, k)
    assert out.column("i").to_pylist() == [i for i in range(len(rows)) if keep[i]]
    assert assess(out, ["g", "a"], k=k).passes


def test_a_whole_plan_releases_a_k_anonymous_table_in_input_order():
    n = 300
    table = pa.table(
        {
            "姓名": [f"张{i}" for i in range(n)],
            "公民身份号码": [
                make_id_number("330102", date(1950, 1, 1) + timedelta(days=37 * i), i % 1000)
                for i in range(n)
            ],
            "年龄": [20 + i % 60 for i in range(n)],
            "性别": ["1" if i % 3 else "2" for i in range(n)],
            "收入": [1000.0 + 13 * i for i in range(n)],
            "行": list(range(n)),
        }
    )
    plan = Plan.parse(
        {
            "direct": ["姓名", "公民身份号码"],
            "quasi": ["年龄", "性别"],
            "k": 5,
            "columns": {
                "姓名": "drop",
                "公民身份号码": {"op": "id_pseudonym", "keep_region": True},
                "年龄": {"op": "age_band", "width": 10},
                "收入": {"op": "micro_aggregate", "k": 5},
            },
            "table": ["suppress_rows"],
        }
    )
    out = apply(table, plan, key=KEY)
    assert out.column_names == ["公民身份号码", "年龄", "性别", "收入", "行"]
    rows = out.column("行").to_pylist()
    assert rows == sorted(rows)
    assert assess(out, ["年龄", "性别"], k=5).passes


@pytest.mark.parametrize("dtype", [pa.large_string(), pa.string_view()])
def test_other_arrow_string_types_are_text(dtype):
    assert released(["abcd"], {"op": "mask", "keep_prefix": 1}, dtype) == ["a***"]
