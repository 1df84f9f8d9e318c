"""Linkage accuracy: counted scores against a reference that lists every pair, and the edge cases."""

from itertools import combinations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.fuse.accuracy import accuracy


def _tables(clusters, people, int_ids=False, order=None):
    ids = list(range(len(people)))
    order = order if order is not None else ids
    predicted = pa.table(
        {
            "record_id": [i if int_ids else f"r{i}" for i in order],
            "cluster_id": [clusters[i] for i in order],
        }
    )
    truth = pa.table({"record_id": [f"r{i}" if not int_ids else str(i) for i in ids], "person_id": people})
    return predicted, truth


def _reference(clusters, people):
    """Every score by definition, listing the pairs and the sets."""
    n = len(people)
    pairs = list(combinations(range(n), 2))
    same_c = {(i, j) for i, j in pairs if clusters[i] == clusters[j]}
    same_p = {(i, j) for i, j in pairs if people[i] == people[j]}
    tp = len(same_c & same_p)
    precision = tp / len(same_c) if same_c else 1.0
    recall = tp / len(same_p) if same_p else 1.0
    b_p = sum(
        sum(1 for j in range(n) if clusters[j] == clusters[i] and people[j] == people[i])
        / sum(1 for j in range(n) if clusters[j] == clusters[i])
        for i in range(n)
    ) / max(n, 1)
    b_r = sum(
        sum(1 for j in range(n) if clusters[j] == clusters[i] and people[j] == people[i])
        / sum(1 for j in range(n) if people[j] == people[i])
        for i in range(n)
    ) / max(n, 1)
    exact = 0
    for person in set(people):
        mine = {i for i in range(n) if people[i] == person}
        cs = {clusters[i] for i in mine}
        if len(cs) == 1 and {i for i in range(n) if clusters[i] in cs} == mine:
            exact += 1
    return {
        "true_positive_pairs": tp,
        "predicted_pairs": len(same_c),
        "true_pairs": len(same_p),
        "precision": precision,
        "recall": recall,
        "bcubed_precision": b_p if n else 1.0,
        "bcubed_recall": b_r if n else 1.0,
        "exact_clusters": exact,
        "predicted_clusters": len(set(clusters)),
        "true_people": len(set(people)),
    }


@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=30),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_counts_agree_with_listing_every_pair(labels, int_ids, rnd):
    clusters = [c for c, _ in labels]
    people = [f"p{p}" for _, p in labels]
    order = list(range(len(labels)))
    rnd.shuffle(order)
    got = accuracy(*_tables(clusters, people, int_ids, order)).to_dict()
    for key, value in _reference(clusters, people).items():
        assert got[key] == pytest.approx(value), key
    assert got["records"] == len(labels)


def test_perfect_linkage_scores_one():
    got = accuracy(*_tables([7, 7, 7, 8, 8, 9], ["a", "a", "a", "b", "b", "c"]))
    assert (got.precision, got.recall, got.f1) == (1.0, 1.0, 1.0)
    assert (got.bcubed_precision, got.bcubed_recall, got.exact_cluster_share) == (1.0, 1.0, 1.0)
    assert (got.true_pairs, got.predicted_singletons, got.true_singletons) == (4, 1, 1)


def test_all_singletons_claim_nothing_and_find_nothing():
    got = accuracy(*_tables([0, 1, 2, 3], ["a", "a", "b", "b"]))
    assert (got.precision, got.recall, got.f1) == (1.0, 0.0, 0.0)  # no predicted pairs: precision 1.0
    assert got.bcubed_precision == 1.0 and got.bcubed_recall == 0.5
    assert got.exact_clusters == 0 and got.predicted_singletons == 4


def test_one_over_merge():
    got = accuracy(*_tables([1, 1, 1, 1, 2], ["a", "a", "b", "b", "c"]))
    assert (got.true_positive_pairs, got.predicted_pairs, got.true_pairs) == (2, 6, 2)
    assert got.precision == pytest.approx(1 / 3) and got.recall == 1.0
    assert got.exact_clusters == 1 and got.exact_cluster_share == pytest.approx(1 / 3)
    assert got.bcubed_precision == pytest.approx((4 * 0.5 + 1) / 5)


def test_no_true_pairs_recall_is_one():
    got = accuracy(*_tables([1, 1, 2], ["a", "b", "c"]))
    assert (got.recall, got.precision, got.true_singletons) == (1.0, 0.0, 3)


def test_a_missing_record_is_an_error():
    predicted, truth = _tables([1, 1, 2], ["a", "a", "b"])
    with pytest.raises(ValueError, match=r"1 of 3 records are missing from predicted, e.g. 'r2'"):
        accuracy(predicted.slice(0, 2), truth)


def test_repeated_and_unknown_records_are_errors():
    predicted, truth = _tables([1, 1, 2], ["a", "a", "b"])
    twice = pa.concat_tables([predicted, predicted.slice(0, 1)])
    with pytest.raises(ValueError, match="repeats 1 ids, e.g. 'r0'"):
        accuracy(twice, truth)
    extra = pa.concat_tables([predicted, pa.table({"record_id": ["zz"], "cluster_id": [5]})])
    with pytest.raises(ValueError, match="1 predicted records are not in truth, e.g. 'zz'"):
        accuracy(extra, truth)
    with pytest.raises(ValueError, match="no column 'cluster_id'"):
        accuracy(predicted.drop_columns(["cluster_id"]), truth)


def test_to_dict_is_plain_numbers():
    d = accuracy(*_tables([1, 1], ["a", "a"])).to_dict()
    assert all(type(v) in (int, float) for v in d.values())
