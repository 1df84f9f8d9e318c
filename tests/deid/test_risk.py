"""Every figure of the risk report equals a brute-force count over the records."""

from __future__ import annotations

from collections import Counter, defaultdict

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.deid import assess
from huitong.errors import HuitongError


def brute(rows: list[dict], quasi: list[str], k: int, sensitive: list[str], l: int | None):  # noqa: E741
    sizes = Counter(tuple(r[q] for q in quasi) for r in rows)
    values = defaultdict(lambda: defaultdict(set))
    for r in rows:
        for s in sensitive:
            values[tuple(r[q] for q in quasi)][s].add(r[s])  # None is a value too
    below = sum(n for n in sizes.values() if n < k)
    diversity = {c: {s: len(values[c][s]) for s in sensitive} for c in sizes}
    failing = [
        c for c, n in sizes.items() if n < k or (l is not None and any(d < l for d in diversity[c].values()))
    ]
    failing.sort(key=lambda c: (sizes[c], tuple((v is None, v) for v in c)))
    return sizes, below, diversity, failing


columns = st.sampled_from([["1", "2", None], [0, 1, 2, None], ["a", "b", "c", "d"]])


@st.composite
def tables(draw):
    domains = draw(st.lists(columns, min_size=1, max_size=3))
    n = draw(st.integers(0, 40))
    quasi = [f"q{i}" for i in range(len(domains))]
    rows = [{q: draw(st.sampled_from(d)) for q, d in zip(quasi, domains, strict=True)} for _ in range(n)]
    for r in rows:
        r["s"] = draw(st.sampled_from(["x", "y", None]))
    return rows, quasi


@settings(max_examples=40)
@given(tables(), st.integers(2, 4), st.none() | st.integers(1, 3), st.integers(0, 5))
def test_every_figure_matches_a_brute_force_count(drawn, k, l, limit):  # noqa: E741
    rows, quasi = drawn
    schema = {q: type(next((r[q] for r in rows if r[q] is not None), "")) for q in quasi}
    table = pa.table(
        {
            **{
                q: pa.array([r[q] for r in rows], pa.int64() if schema[q] is int else pa.string())
                for q in quasi
            },
            "s": pa.array([r["s"] for r in rows], pa.string()),
        }
    )
    sensitive = ["s"] if l is not None else []
    report = assess(table, quasi, k=k, sensitive=sensitive, l=l, limit=limit)
    sizes, below, diversity, failing = brute(rows, quasi, k, sensitive, l)
    n = len(rows)
    assert report.records == n and report.classes == len(sizes)
    assert report.records_below_k == below
    if n == 0:
        assert report.passes and report.k_achieved is None and report.failing == []
        return
    assert report.k_achieved == min(sizes.values())
    assert report.share_below_k == report.share_at_risk == below / n
    assert report.max_risk == 1 / min(sizes.values())
    assert report.average_risk == len(sizes) / n
    assert report.share_at_risk == sum(1 for r in rows if 1 / sizes[tuple(r[q] for q in quasi)] > 1 / k) / n
    if l is not None:
        assert report.l_achieved == {"s": min(d["s"] for d in diversity.values())}
    assert report.failing_count == len(failing)
    assert [(tuple(c.values.values()), c.size) for c in report.failing] == [
        (c, sizes[c]) for c in failing[:limit]
    ]
    for c in report.failing:
        assert c.diversity == diversity[tuple(c.values.values())]
    assert report.passes == (not failing)


def test_an_empty_table_passes_with_no_classes():
    report = assess(pa.table({"a": pa.array([], pa.string())}), ["a"], k=5)
    assert report.passes and report.records == report.classes == 0
    assert report.to_dict()["passes"] is True and report.to_dict()["k_achieved"] is None


def test_failing_classes_come_smallest_first_with_their_values():
    table = pa.table(
        {"区划": ["110100"] * 5 + ["110200"] * 2 + [None], "性别": ["1"] * 5 + ["2"] * 2 + ["1"]}
    )
    report = assess(table, ["区划", "性别"], k=3)
    assert not report.passes and report.k_achieved == 1
    assert [(c.values, c.size) for c in report.failing] == [
        ({"区划": None, "性别": "1"}, 1),
        ({"区划": "110200", "性别": "2"}, 2),
    ]
    assert report.records_below_k == 3 and report.share_below_k == 3 / 8
    assert report.to_dict()["failing"][0]["values"] == {"区划": None, "性别": "1"}


def test_l_diversity_fails_a_class_whose_members_share_one_diagnosis():
    table = pa.table({"q": ["a"] * 3 + ["b"] * 3, "诊断": ["流感", "流感", "流感", "流感", "肺炎", None]})
    report = assess(table, ["q"], k=3, sensitive=["诊断"], l=2)
    assert report.k_achieved == 3 and report.l_achieved == {"诊断": 1}
    assert not report.passes
    assert [(c.values, c.diversity) for c in report.failing] == [({"q": "a"}, {"诊断": 1})]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quasi": [], "k": 2}, "quasi"),
        ({"quasi": ["nope"], "k": 2}, "quasi"),
        ({"quasi": ["q"], "k": 1}, "k"),
        ({"quasi": ["q"], "k": 2, "l": 2}, "l"),
        ({"quasi": ["q"], "k": 2, "sensitive": ["q"]}, "sensitive"),
        ({"quasi": ["q"], "k": 2, "limit": -1}, "limit"),
    ],
)
def test_bad_arguments_are_refused_naming_the_argument(kwargs, field):
    quasi = kwargs.pop("quasi")
    with pytest.raises(HuitongError) as info:
        assess(pa.table({"q": ["a"]}), quasi, **kwargs)
    assert field in {p.field for p in info.value.problems}
