"""Differentially private published statistics (差分隐私): counts, sums, means and histograms.

GB/T 37964 lists differential privacy among the de-identification models; huitong uses it for figures
published from personal microdata (open portal, reports), where k-anonymity does not protect aggregates
against differencing. Every noisy figure comes from OpenDP (no hand-rolled noise), so the privacy proof
is OpenDP's.

Privacy unit: **one record per person** (``contributions=1``). Callers must reduce the data to at most
one record per person before a release; if a person has several records, the real ε is a multiple.

The ε each release spends is charged against a :class:`Budget` (隐私预算), a pure ledger: the database
keeps the spends, this module only decides whether a charge fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import opendp.prelude as dp
import pyarrow as pa
import pyarrow.compute as pc

from huitong.errors import HuitongError, Problem, invalid

dp.enable_features("contrib")

ALPHA = 0.05  # accuracy is stated as the half-width of a 95% interval
PRIVACY_UNIT = "one record per person"
# A declared (not data-derived) cap on records in a sum, so OpenDP's float sum does not fall back to its
# default limit of 2^20 records, beyond which it silently sums a random subset. Its cost, a relaxation of
# the sensitivity, is about 1e-5 of the bound.
MAX_SUM_RECORDS = 2**31

_NEIGHBOURS = dp.symmetric_distance()  # datasets differing by one person's record (added or removed)


@dataclass(frozen=True)
class Release:
    """One published statistic and what it cost: keep it with the figure so readers can judge it.

    ``accuracy`` is the half-width of the 95% interval around the true value (per cell for a
    histogram); ``None`` where OpenDP gives no closed form (a mean, a ratio of two noisy figures).
    Noisy counts are unbiased and so may come out negative for tiny groups; clip only for display.
    """

    statistic: str
    value: Any
    epsilon: float
    mechanism: str
    scale: float | None
    accuracy: float | None
    alpha: float = ALPHA
    other: int | None = None  # histogram only: people whose value is not a declared category
    parts: tuple[Release, ...] = ()
    privacy_unit: str = PRIVACY_UNIT

    def to_dict(self) -> dict:
        out: dict[str, Any] = {
            "statistic": self.statistic,
            "value": dict(self.value) if isinstance(self.value, dict) else self.value,
            "epsilon": self.epsilon,
            "mechanism": self.mechanism,
            "scale": self.scale,
            "accuracy": self.accuracy,
            "alpha": self.alpha,
            "privacy_unit": self.privacy_unit,
        }
        if self.other is not None:
            out["other"] = self.other
        if self.parts:
            out["parts"] = [p.to_dict() for p in self.parts]
        return out


# ---- the privacy budget -------------------------------------------------------------------------------


class BudgetExhausted(HuitongError):
    """A release would spend more ε than the budget has left; nothing was released."""

    def __init__(self, message: str, problems: list[Problem]):
        super().__init__(message, code="budget_exhausted", problems=problems, status=409)


def _dec(x: float) -> Decimal:
    # ε is written by people as 0.1, 0.25: add them as written, so 0.1 + 0.2 + 0.7 fits a budget of 1.
    return Decimal(repr(float(x)))


@dataclass(frozen=True)
class Budget:
    """A privacy-loss budget: ``total`` ε allowed, ``spent`` so far. Immutable; ``charge`` returns a new one."""

    total: float
    spent: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        for name in ("total", "spent"):
            v = getattr(self, name)
            if not _is_number(v) or not math.isfinite(v) or v < 0:
                problems.append(
                    Problem(
                        "must be a finite number, 0 or more",
                        field=name,
                        value=repr(v),
                        code="deid.budget_value",
                        params={"field": name},
                    )
                )
        if not problems and self.spent > self.total:
            problems.append(
                Problem(
                    f"spent {self.spent!r} is more than the total {self.total!r}",
                    field="spent",
                    params={"spent": self.spent, "total": self.total},
                )
            )
        if problems:
            raise invalid("invalid privacy budget", *problems)

    @property
    def remaining(self) -> float:
        return float(_dec(self.total) - _dec(self.spent))

    def charge(self, epsilon: float) -> Budget:
        """The budget after spending ``epsilon``; refused (409) when it would exceed ``total``."""
        _check_epsilon(epsilon)
        after = _dec(self.spent) + _dec(epsilon)
        if after > _dec(self.total):
            remaining = self.remaining
            raise BudgetExhausted(
                f"privacy budget exhausted: ε {float(epsilon)!r} asked, {remaining!r} of {self.total!r} remaining",
                [
                    Problem(
                        "more than the remaining budget",
                        field="epsilon",
                        value=repr(float(epsilon)),
                        code="deid.budget_exhausted",
                        params={"asked": float(epsilon), "remaining": remaining, "total": self.total},
                    )
                ],
            )
        return Budget(self.total, float(after))


# ---- the releases -------------------------------------------------------------------------------------


def count(values: Any, *, epsilon: float) -> Release:
    """How many records (people) there are, nulls included; filter the column first for a conditional count."""
    eps = _check_epsilon(epsilon)
    present = np.ones(_length(values), dtype=bool)  # one entry per record: only the records' number matters
    meas, scale = _count_measurement(eps)
    return Release(
        "count",
        int(_invoke(meas, present)),
        eps,
        "discrete_laplace",
        scale,
        _discrete_accuracy(scale),
    )


def sum(values: Any, *, lower: float, upper: float, epsilon: float) -> Release:
    """The sum of a numeric column, each value clamped to ``[lower, upper]``; nulls are left out.

    The bounds are public and must be chosen without looking at the data (a value range from the data
    element's definition, e.g. age 0-120): they set the noise, and values outside are clamped.
    """
    eps = _check_epsilon(epsilon)
    lo, hi = _check_bounds(lower, upper)
    data = _numeric(values)
    meas, scale = _sum_measurement(eps, lo, hi)
    value = float(_invoke(meas, data))
    return Release("sum", value, eps, "laplace", scale, _continuous_accuracy(scale))


def mean(values: Any, *, lower: float, upper: float, epsilon: float) -> Release:
    """The mean of the non-null values, as a noisy sum over a noisy count, each spending half of ``epsilon``.

    The ratio has no closed-form interval, so ``accuracy`` is ``None``; the two parts carry theirs.
    """
    eps = _check_epsilon(epsilon)
    lo, hi = _check_bounds(lower, upper)
    data = _numeric(values)
    meas, (sum_scale, count_scale) = _mean_measurement(eps, lo, hi)
    noisy_sum, noisy_count = _invoke(meas, data)
    half = eps / 2
    parts = (
        Release("sum", float(noisy_sum), half, "laplace", sum_scale, _continuous_accuracy(sum_scale)),
        Release(
            "count", int(noisy_count), half, "discrete_laplace", count_scale, _discrete_accuracy(count_scale)
        ),
    )
    # post-processing: a mean outside the bounds (a small noisy count) is pulled back into them
    value = min(max(float(noisy_sum) / max(int(noisy_count), 1), lo), hi)
    return Release("mean", value, eps, "laplace+discrete_laplace", None, None, parts=parts)


def histogram(values: Any, *, categories: Sequence[str] | Sequence[int], epsilon: float) -> Release:
    """Counts per declared category, plus ``other`` for everyone else (nulls and undeclared values).

    Categories must be declared up front (from the code list of the data element): taking them from the
    data would publish which values occur, without noise.
    """
    eps = _check_epsilon(epsilon)
    cats, kind = _check_categories(categories)
    column = _column(values)
    data = _categorical(column, cats, kind)
    meas, scale = _histogram_measurement(eps, cats, kind)
    counts = [int(c) for c in _invoke(meas, data)]
    return Release(
        "histogram",
        dict(zip(cats, counts[:-1], strict=True)),
        eps,
        "discrete_laplace",
        scale,
        _discrete_accuracy(scale),
        other=counts[-1],
    )


# ---- the OpenDP measurements, built once per parameter set (the scale search takes ~50 ms) ------------


@lru_cache(maxsize=256)
def _count_measurement(eps: float) -> tuple[dp.Measurement, float]:
    space = dp.vector_domain(dp.atom_domain(T=bool)), _NEIGHBOURS

    def make(scale: float) -> dp.Measurement:
        return space >> dp.t.then_count(TO="i64") >> dp.m.then_laplace(scale=scale)

    return _calibrate(make, eps)


def _float_sum(lo: float, hi: float):
    space = dp.vector_domain(dp.atom_domain(T=float, nan=True)), _NEIGHBOURS
    try:
        return (
            space
            >> dp.t.then_drop_null()
            >> dp.t.then_clamp((lo, hi))
            >> dp.t.make_bounded_float_checked_sum(MAX_SUM_RECORDS, (lo, hi))
        )
    except (dp.OpenDPException, OverflowError) as e:  # bounds so wide the sum could overflow
        detail = str(e).strip().splitlines()[-1].strip() if str(e).strip() else type(e).__name__
        raise invalid(
            "invalid bounds",
            Problem(
                f"too wide to sum safely ({detail}); declare tighter bounds",
                field="upper",
                value=repr(hi),
                code="deid.bound",
            ),
        ) from None


@lru_cache(maxsize=256)
def _sum_measurement(eps: float, lo: float, hi: float) -> tuple[dp.Measurement, float]:
    summed = _float_sum(lo, hi)
    return _calibrate(lambda scale: summed >> dp.m.then_laplace(scale=scale), eps)


@lru_cache(maxsize=256)
def _mean_measurement(eps: float, lo: float, hi: float) -> tuple[dp.Measurement, tuple[float, float]]:
    space = dp.vector_domain(dp.atom_domain(T=float, nan=True)), _NEIGHBOURS
    summed = _float_sum(lo, hi)
    counted = space >> dp.t.then_drop_null() >> dp.t.then_count(TO="i64")
    sum_meas, sum_scale = _calibrate(lambda scale: summed >> dp.m.then_laplace(scale=scale), eps / 2)
    count_meas, count_scale = _calibrate(lambda scale: counted >> dp.m.then_laplace(scale=scale), eps / 2)
    both = dp.c.make_composition([sum_meas, count_meas])
    if both.map(1) > eps:  # pragma: no cover - OpenDP's own accounting, checked rather than assumed
        raise HuitongError("the mean's two parts spend more than ε", code="dp_failed", status=500)
    return both, (sum_scale, count_scale)


@lru_cache(maxsize=256)
def _histogram_measurement(eps: float, cats: tuple, kind: str) -> tuple[dp.Measurement, float]:
    space = dp.vector_domain(dp.atom_domain(T=kind)), _NEIGHBOURS
    counted = space >> dp.t.then_count_by_categories(categories=list(cats), null_category=True, TOA="i64")
    return _calibrate(lambda scale: counted >> dp.m.then_laplace(scale=scale), eps)


def _calibrate(make, eps: float) -> tuple[dp.Measurement, float]:
    """The smallest noise scale OpenDP proves spends at most ``eps`` for one person's record; an ε or
    bounds OpenDP cannot calibrate (an ε so small the scale overflows, bounds so wide the sum might)
    are a clear 422."""
    try:
        scale = dp.binary_search_param(make, d_in=1, d_out=eps)
        return make(scale), float(scale)
    except (dp.OpenDPException, OverflowError) as e:
        detail = str(e).strip().splitlines()[-1].strip() if str(e).strip() else type(e).__name__
        raise invalid(
            "the figure cannot be calibrated to this epsilon and these bounds",
            Problem(
                f"OpenDP cannot calibrate the noise: {detail}; use a larger epsilon or tighter bounds",
                field="epsilon",
                value=repr(eps),
            ),
        ) from None


def _invoke(meas: dp.Measurement, data: Any) -> Any:
    try:
        return meas(data)
    except dp.OpenDPException as e:  # pragma: no cover - inputs are checked before they get here
        raise HuitongError(f"differentially private release failed: {e}", code="dp_failed") from e


def _finite_accuracy(value: float) -> float:
    # a scale so small the 95% half-width underflows comes back as -inf (or nan): it is 0
    return value if math.isfinite(value) and value > 0 else 0.0


def _discrete_accuracy(scale: float) -> float:
    return _finite_accuracy(float(dp.discrete_laplacian_scale_to_accuracy(scale, ALPHA)))


def _continuous_accuracy(scale: float) -> float:
    return _finite_accuracy(float(dp.laplacian_scale_to_accuracy(scale, ALPHA)))


# ---- input checks: a bad argument is a clear 422 naming the field ------------------------------------


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)


def _check_epsilon(epsilon: Any) -> float:
    if not _is_number(epsilon) or not math.isfinite(epsilon) or epsilon <= 0:
        raise invalid(
            "invalid epsilon",
            Problem(
                "must be a finite number greater than 0",
                field="epsilon",
                value=repr(epsilon),
                code="deid.epsilon",
            ),
        )
    return float(epsilon)


def _check_bounds(lower: Any, upper: Any) -> tuple[float, float]:
    problems = [
        Problem("must be a finite number", field=name, value=repr(v), code="deid.bound")
        for name, v in (("lower", lower), ("upper", upper))
        if not _is_number(v) or not math.isfinite(v)
    ]
    if not problems and not lower < upper:
        problems.append(
            Problem(
                f"lower {lower!r} must be less than upper {upper!r}",
                field="upper",
                value=repr(upper),
                params={"lower": lower, "upper": upper},
            )
        )
    if problems:
        raise invalid("invalid bounds", *problems)
    return float(lower), float(upper)


def _check_categories(categories: Any) -> tuple[tuple, str]:
    def bad(message: str, code: str) -> HuitongError:
        return invalid("invalid categories", Problem(message, field="categories", code=code))

    if isinstance(categories, str | bytes) or not isinstance(categories, Sequence | np.ndarray):
        raise bad("declare the categories as a list", "deid.categories_type")
    cats = tuple(c.item() if isinstance(c, np.generic) else c for c in categories)
    if not cats:
        raise bad("declare at least one category", "deid.categories_empty")
    if all(isinstance(c, str) for c in cats):
        kind = "String"
    elif all(isinstance(c, int) and not isinstance(c, bool) for c in cats):
        kind = "i64"
    else:
        raise bad("categories must be all text or all whole numbers", "deid.categories_type")
    i64 = np.iinfo(np.int64)
    if kind == "i64" and not all(i64.min <= c <= i64.max for c in cats):
        raise bad("whole-number categories must fit in 64 bits", "deid.categories_range")
    seen: set = set()
    dupes = [c for c in cats if c in seen or seen.add(c)]
    if dupes:
        raise invalid(
            "invalid categories",
            Problem(
                f"declared more than once: {dupes[0]!r}",
                field="categories",
                value=repr(dupes[0]),
            ),
        )
    return cats, kind


def _length(values: Any) -> int:
    if isinstance(values, pa.Array | pa.ChunkedArray | list | tuple):
        return len(values)
    return len(_column(values))


def _column(values: Any) -> pa.Array:
    """A pyarrow array, NumPy array or list as one pyarrow array (no copy where the types allow)."""
    try:
        if isinstance(values, pa.ChunkedArray):
            return values.combine_chunks()
        if isinstance(values, pa.Array):
            return values
        if isinstance(values, np.ndarray):
            if values.ndim != 1:
                raise TypeError("a column must be one-dimensional")
            return pa.array(values)
        if isinstance(values, list | tuple):
            return pa.array(values)
    except (pa.ArrowException, TypeError, ValueError) as e:
        raise invalid("invalid values", Problem(str(e), field="values")) from e
    raise invalid(
        "invalid values",
        Problem(
            f"expected a pyarrow array, NumPy array or list, got {type(values).__name__}",
            field="values",
        ),
    )


def _numeric(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim == 1:
        return _writable(values)  # already what OpenDP takes: handed over without a copy
    column = _column(values)
    t = column.type
    if not (
        pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_null(t)
    ):
        raise invalid(
            "invalid values",
            Problem(f"must be numbers, got {t}", field="values"),
        )
    # nulls become NaN, which OpenDP drops
    return _writable(pc.cast(column, pa.float64(), safe=False).to_numpy(zero_copy_only=False))


def _writable(a: np.ndarray) -> np.ndarray:
    # OpenDP reads NumPy memory through ctypes, which refuses read-only views (pyarrow's zero-copy ones)
    return a if a.flags.writeable and a.flags.c_contiguous else np.array(a)


def _categorical(column: pa.Array, cats: tuple, kind: str) -> Any:
    t = column.type
    if pa.types.is_dictionary(t):
        column = column.dictionary_decode()
        t = column.type
    if kind == "String":
        if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)):
            raise _kind_mismatch(t, "text")
        # nulls go to "other": fill them with a value that is not a category
        sentinel = "\x00null"
        while sentinel in cats:
            sentinel += "\x00"
        return pc.fill_null(pc.cast(column, pa.string()), sentinel).to_pylist()  # OpenDP takes text as a list
    if not (pa.types.is_integer(t) or pa.types.is_null(t)):
        raise _kind_mismatch(t, "whole numbers")
    sentinel_int = min(cats) - 1 if min(cats) > np.iinfo(np.int64).min else max(cats) + 1
    try:
        as_i64 = pc.cast(column, pa.int64())
    except pa.ArrowInvalid as e:  # an unsigned value beyond 64 signed bits
        raise invalid("invalid values", Problem(str(e), field="values")) from None
    return _writable(pc.fill_null(as_i64, sentinel_int).to_numpy(zero_copy_only=False))


def _kind_mismatch(t: pa.DataType, kind: str) -> HuitongError:
    return invalid(
        "invalid values",
        Problem(
            f"the categories are {kind} but the values are {t}",
            field="values",
        ),
    )


__all__ = [
    "ALPHA",
    "MAX_SUM_RECORDS",
    "PRIVACY_UNIT",
    "Budget",
    "BudgetExhausted",
    "Release",
    "count",
    "histogram",
    "mean",
    "sum",
]
