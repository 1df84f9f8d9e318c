"""Differentially private statistics: noisy figures are near the truth, cost what they say, and refuse bad input.

OpenDP's noise cannot be seeded, so statistical checks use bounds a correct mechanism breaks with a
probability far below 1e-6.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.deid import dp
from huitong.errors import HuitongError


def draws(make, n=200):
    return np.array([make().value for _ in range(n)], dtype=float)


# ---- count -------------------------------------------------------------------------------------------


def test_noisy_count_averages_to_the_true_count_and_its_stated_interval_holds():
    people = np.arange(500)
    first = dp.count(people, epsilon=1.0)
    values = draws(lambda: dp.count(people, epsilon=1.0))
    sd = math.sqrt(2) * first.scale  # a Laplace variable's standard deviation
    assert abs(values.mean() - 500) < 6 * sd / math.sqrt(len(values))
    # the published 95% half-width covers the truth about 95% of the time
    assert np.mean(np.abs(values - 500) <= first.accuracy) >= 0.88
    assert first.mechanism == "discrete_laplace" and first.epsilon == 1.0
    assert float(first.value).is_integer()


def test_smaller_epsilon_means_more_noise():
    people = list(range(300))
    loose, strict = dp.count(people, epsilon=1.0), dp.count(people, epsilon=0.1)
    assert strict.scale == pytest.approx(10 * loose.scale, rel=1e-3)
    assert strict.accuracy > 5 * loose.accuracy
    assert (
        draws(lambda: dp.count(people, epsilon=0.1), 100).std()
        > draws(lambda: dp.count(people, epsilon=1.0), 100).std()
    )


def test_count_counts_records_including_nulls_from_any_column_form():
    for column in ([None] * 1000, pa.array(["a", None] * 500), pa.chunked_array([["x"] * 600, ["y"] * 400])):
        release = dp.count(column, epsilon=2.0)
        assert abs(release.value - 1000) <= 5 * release.accuracy


# ---- sum and mean ------------------------------------------------------------------------------------


def test_sum_clamps_values_outside_the_declared_bounds():
    # 100 people, half with absurd highs, half with absurd lows: the sum is as if they sat on the bounds
    wild = np.array([1e12, -1e12] * 50)
    release = dp.sum(wild, lower=0, upper=10, epsilon=1.0)
    assert abs(release.value - 500) <= 5 * release.accuracy
    assert release.value <= 10 * len(wild) + 5 * release.accuracy
    assert release.scale == pytest.approx(10, rel=1e-3)  # noise set by the bounds, not by the data


def test_sum_is_the_same_figure_for_a_list_numpy_and_pyarrow_column_and_skips_nulls():
    data = [1.0, 2.0, None, 4.0] * 250  # true sum 1750 over the non-null values
    for column in (data, pa.array(data), np.array(data, dtype=float), pa.array([1, 2, None, 4] * 250)):
        release = dp.sum(column, lower=0, upper=5, epsilon=1.0)
        assert abs(release.value - 1750) <= 5 * release.accuracy


def test_mean_splits_epsilon_between_a_noisy_sum_and_count():
    ages = np.full(2000, 40.0)
    release = dp.mean(ages, lower=0, upper=120, epsilon=1.0)
    assert abs(release.value - 40) < 2
    assert [p.statistic for p in release.parts] == ["sum", "count"]
    assert sum(p.epsilon for p in release.parts) == pytest.approx(1.0)
    assert release.accuracy is None
    assert 0 <= dp.mean([], lower=0, upper=120, epsilon=1.0).value <= 120  # no data: still within bounds


# ---- histogram ---------------------------------------------------------------------------------------


def test_histogram_has_exactly_the_declared_categories_plus_other():
    values = pa.array(["男"] * 300 + ["女"] * 200 + ["未知"] * 50 + [None] * 50)
    release = dp.histogram(values, categories=["男", "女"], epsilon=1.0)
    assert list(release.value) == ["男", "女"]  # "未知" is never named: it was not declared
    assert abs(release.value["男"] - 300) <= 5 * release.accuracy
    assert abs(release.value["女"] - 200) <= 5 * release.accuracy
    assert abs(release.other - 100) <= 5 * release.accuracy  # undeclared values and nulls
    out = json.loads(json.dumps(release.to_dict(), ensure_ascii=False))
    assert set(out["value"]) == {"男", "女"} and "other" in out


def test_histogram_over_integer_codes():
    codes = np.array([1] * 100 + [2] * 100 + [9] * 100)
    release = dp.histogram(codes, categories=[1, 2, 3], epsilon=1.0)
    assert list(release.value) == [1, 2, 3]
    assert abs(release.value[3]) <= 5 * release.accuracy
    assert abs(release.other - 100) <= 5 * release.accuracy


# ---- the budget --------------------------------------------------------------------------------------


def test_budget_refuses_a_charge_beyond_the_total_and_says_what_is_left():
    budget = dp.Budget(total=1.0).charge(0.7)
    with pytest.raises(dp.BudgetExhausted) as exc:
        budget.charge(0.5)
    err = exc.value
    assert err.status == 409 and err.code == "budget_exhausted"
    assert "0.3" in str(err) and "0.5" in str(err)
    assert err.problems[0].params["remaining"] == pytest.approx(0.3)
    assert budget.spent == 0.7  # a refused charge spends nothing


def test_budget_adds_epsilons_as_written():
    budget = dp.Budget(1.0)
    for eps in (0.1, 0.2, 0.7):  # in binary floats these add to just over 1
        budget = budget.charge(eps)
    assert budget.spent == 1.0 and budget.remaining == 0.0


@pytest.mark.parametrize("bad", [0, -0.5, math.nan, math.inf, "1", None, True])
def test_bad_epsilon_is_refused_naming_the_field(bad):
    for call in (
        lambda: dp.count([1, 2], epsilon=bad),
        lambda: dp.sum([1.0], lower=0, upper=1, epsilon=bad),
        lambda: dp.histogram(["a"], categories=["a"], epsilon=bad),
        lambda: dp.Budget(1.0).charge(bad),
    ):
        with pytest.raises(HuitongError) as exc:
            call()
        assert exc.value.status == 422 and exc.value.problems[0].field == "epsilon"


@pytest.mark.parametrize(
    ("lower", "upper", "field"),
    [(5, 5, "upper"), (10, 0, "upper"), (-math.inf, 1, "lower"), (0, math.nan, "upper"), (None, 1, "lower")],
)
def test_bad_bounds_are_refused_naming_the_field(lower, upper, field):
    with pytest.raises(HuitongError) as exc:
        dp.sum([1.0], lower=lower, upper=upper, epsilon=1.0)
    assert exc.value.status == 422 and exc.value.problems[0].field == field


@pytest.mark.parametrize(
    ("categories", "values", "field", "word"),
    [
        ([], ["a"], "categories", "at least one"),
        (["a", "a"], ["a"], "categories", "more than once"),
        (["a", 1], ["a"], "categories", "all text"),
        ("ab", ["a"], "categories", "list"),
        (["1", "2"], [1, 2], "values", "text"),
        ([1, 2], ["1"], "values", "whole numbers"),
    ],
)
def test_bad_categories_are_refused_clearly(categories, values, field, word):
    with pytest.raises(HuitongError) as exc:
        dp.histogram(values, categories=categories, epsilon=1.0)
    assert exc.value.problems[0].field == field and word in str(exc.value)


def test_non_numeric_values_and_bad_budgets_are_refused():
    with pytest.raises(HuitongError, match="must be numbers"):
        dp.sum(["张三"], lower=0, upper=1, epsilon=1.0)
    with pytest.raises(HuitongError, match="expected a pyarrow array"):
        dp.sum({"a": 1}, lower=0, upper=1, epsilon=1.0)
    with pytest.raises(HuitongError) as exc:
        dp.Budget(total=1.0, spent=2.0)
    assert exc.value.problems[0].field == "spent"
    with pytest.raises(HuitongError):
        dp.Budget(total=-1.0)


cents = st.integers(min_value=1, max_value=300)


@settings(max_examples=200, deadline=None)
@given(total=st.integers(min_value=0, max_value=1000), asks=st.lists(cents, max_size=30))
def test_budget_refuses_exactly_when_the_running_sum_would_exceed_the_total(total, asks):
    budget, accepted = dp.Budget(total / 100), Fraction(0)
    for ask in asks:
        would_exceed = accepted + Fraction(ask, 100) > Fraction(total, 100)
        try:
            budget = budget.charge(ask / 100)
            refused = False
        except dp.BudgetExhausted:
            refused = True
        assert refused == would_exceed
        if not refused:
            accepted += Fraction(ask, 100)
        assert budget.spent <= budget.total
        assert Fraction(budget.spent) == pytest.approx(accepted, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    total=st.floats(min_value=0, max_value=1e6),
    asks=st.lists(st.floats(min_value=1e-300, max_value=1e6), max_size=20),
)
def test_budget_never_goes_over_for_any_floats(total, asks):
    budget = dp.Budget(total)
    for ask in asks:
        try:
            budget = budget.charge(ask)
        except dp.BudgetExhausted as e:
            assert e.problems[0].params["remaining"] == budget.remaining
        assert budget.spent <= budget.total and budget.remaining >= 0
