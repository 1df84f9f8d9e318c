"""Adversarial checks on differentially private figures (found in review): a bad argument is a clear
422 naming the field, never a 500."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from huitong.deid import dp
from huitong.errors import HuitongError


@pytest.mark.parametrize("epsilon", [1e-300, 5e-324, 1e-20])
def test_a_vanishing_epsilon_is_a_clear_error(epsilon):
    with pytest.raises(HuitongError) as err:
        dp.count([1, 2, 3], epsilon=epsilon)
    assert err.value.status == 422


@pytest.mark.parametrize("fn", [dp.sum, dp.mean])
def test_bounds_too_wide_to_calibrate_are_a_clear_error(fn):
    with pytest.raises(HuitongError) as err:
        fn(pa.array([1.0, 2.0]), lower=-1e308, upper=1e308, epsilon=0.1)
    assert err.value.status == 422


def test_a_category_beyond_64_bits_is_a_clear_error():
    with pytest.raises(HuitongError) as err:
        dp.histogram(pa.array([1, 2]), categories=[2**70], epsilon=0.1)
    assert err.value.status == 422


def test_values_beyond_64_bits_are_a_clear_error():
    with pytest.raises(HuitongError) as err:
        dp.histogram(pa.array([2**64 - 1], pa.uint64()), categories=[1], epsilon=0.1)
    assert err.value.status == 422


def test_the_accuracy_of_a_large_epsilon_is_a_number():
    r = dp.count([1, 2, 3], epsilon=1000)
    assert r.accuracy is not None and math.isfinite(r.accuracy) and r.accuracy >= 0
