"""Linkage accuracy (融合准确率) on labelled data: predicted clusters of records against the true people.

Three views, because each hides a different failure: pairwise precision/recall/F1 over the record
pairs put in one cluster (dominated by big clusters, so a single wrong merge of two large people
shows); B-cubed, the same per record and averaged (every record counts once); and the share of
people found exactly — their records form one predicted cluster holding nothing else.

Everything is counted from the sizes of the (cluster, person) cells, never by listing pairs, so
millions of records cost one sort.  Ids are compared as text, so an integer and a string id
that print alike are the same.  Conventions: with no true pairs (every person has one record)
recall is 1.0, nothing was there to find; with no predicted pairs precision is 1.0, nothing was
claimed wrongly; an F1 whose precision and recall are both 0 is 0; no records at all score 1.0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Accuracy:
    """The scores and the counts behind them."""

    records: int
    predicted_clusters: int
    true_people: int
    predicted_singletons: int  # clusters of one record
    true_singletons: int  # people with one record
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int  # same predicted cluster and same person
    precision: float
    recall: float
    f1: float
    exact_clusters: int  # people whose records are exactly one predicted cluster
    exact_cluster_share: float  # of true people
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _pairs(sizes: np.ndarray) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def _column(table: pa.Table, name: str, what: str) -> pa.Array:
    if name not in table.column_names:
        raise ValueError(f"{what} has no column {name!r} (columns: {', '.join(table.column_names)})")
    col = table.column(name).combine_chunks()
    if col.null_count:
        raise ValueError(f"{what}.{name} has {col.null_count} empty values; every record needs one")
    return pc.cast(col, pa.string())


def _unique(ids: pa.Array, what: str) -> None:
    if pc.count_distinct(ids).as_py() != len(ids):
        counts = pc.value_counts(ids)
        dup = counts.filter(pc.greater(counts.field("counts"), 1))
        raise ValueError(f"{what}.record_id repeats {len(dup)} ids, e.g. {dup[0]['values'].as_py()!r}")


def _codes(ids: pa.Array) -> tuple[np.ndarray, int]:
    enc = pc.dictionary_encode(ids)
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), len(enc.dictionary)


def _labels(predicted: pa.Table, truth: pa.Table) -> tuple[np.ndarray, int, np.ndarray, int]:
    """Cluster and person codes per truth record (predicted rows matched by record id)."""
    truth_ids = _column(truth, "record_id", "truth")
    pred_ids = _column(predicted, "record_id", "predicted")
    _unique(truth_ids, "truth")
    _unique(pred_ids, "predicted")
    pos = pc.index_in(truth_ids, value_set=pred_ids)
    if pos.null_count:
        missing = truth_ids.filter(pc.is_null(pos))
        raise ValueError(
            f"{len(missing)} of {len(truth_ids)} records are missing from predicted, "
            f"e.g. {missing[0].as_py()!r}; every record needs a cluster_id"
        )
    if len(pred_ids) > len(truth_ids):
        extra = pred_ids.filter(pc.invert(pc.is_in(pred_ids, value_set=truth_ids)))
        raise ValueError(f"{len(extra)} predicted records are not in truth, e.g. {extra[0].as_py()!r}")
    clusters, n_clusters = _codes(_column(predicted, "cluster_id", "predicted").take(pos))
    people, n_people = _codes(_column(truth, "person_id", "truth"))
    return clusters, n_clusters, people, n_people


def accuracy(predicted: pa.Table, truth: pa.Table) -> Accuracy:
    """Score ``predicted`` (record_id, cluster_id) against ``truth`` (record_id, person_id).

    Every truth record must be in ``predicted`` exactly once, and no other (ValueError naming how
    many and one example otherwise).
    """
    clusters, n_clusters, people, n_people = _labels(predicted, truth)
    n = len(people)
    if n == 0:
        return Accuracy(0, 0, 0, 0, 0, 0, 0, 0, 1.0, 1.0, 1.0, 0, 1.0, 1.0, 1.0, 1.0)
    cluster_size = np.bincount(clusters, minlength=n_clusters)
    person_size = np.bincount(people, minlength=n_people)
    cells, cell_size = np.unique(clusters * n_people + people, return_counts=True)
    cell_cluster, cell_person = cells // n_people, cells % n_people
    in_cluster, of_person = cluster_size[cell_cluster], person_size[cell_person]

    tp, pred_pairs, true_pairs = _pairs(cell_size), _pairs(cluster_size), _pairs(person_size)
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    # B-cubed: a record's precision is |its cluster ∩ its person| / |its cluster|; a cell holds
    # cell_size such records.
    weight = cell_size.astype(np.float64) ** 2
    b_precision = float((weight / in_cluster).sum() / n)
    b_recall = float((weight / of_person).sum() / n)
    exact = int(((cell_size == in_cluster) & (cell_size == of_person)).sum())
    return Accuracy(
        records=n,
        predicted_clusters=n_clusters,
        true_people=n_people,
        predicted_singletons=int((cluster_size == 1).sum()),
        true_singletons=int((person_size == 1).sum()),
        predicted_pairs=pred_pairs,
        true_pairs=true_pairs,
        true_positive_pairs=tp,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        exact_clusters=exact,
        exact_cluster_share=exact / n_people,
        bcubed_precision=b_precision,
        bcubed_recall=b_recall,
        bcubed_f1=_f1(b_precision, b_recall),
    )


def read_truth(path) -> pa.Table:
    """A labelled file (CSV, Excel, JSON or Parquet) with ``record_id`` and ``person_id`` columns."""
    from pathlib import Path

    from huitong.aggregate.files import read_table
    from huitong.errors import Problem, invalid

    table = read_table(Path(path))
    missing = [c for c in ("record_id", "person_id") if c not in table.column_names]
    if missing:
        raise invalid(
            f"{path}: a truth file needs the columns record_id and person_id",
            *(Problem(f"no column {c!r}", file=str(path), column=c) for c in missing),
        )
    return table.select(["record_id", "person_id"])
