"""Stable base-library identifiers (一人一码) across runs: a cluster keeps the id its records had
before, so a consumer holding ``P000000042`` still finds the same person after the next run.

Between two runs a cluster may take in records of several earlier ids (a **merge**: the oldest id
survives, the others are recorded as merged into it) or an earlier id's records may fall into several
clusters (a **split**: the cluster holding most of them keeps the id, the rest get new ones). Both
are returned as events, never a silent renumbering. Computed in DuckDB over the membership tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class Event:
    kind: str  # created, merged, split, retired
    base_id: str
    others: tuple[str, ...] = ()  # merged: the ids merged into base_id; split: the new ids split off


@dataclass(frozen=True)
class Assigned:
    members: pa.Table  # record_key, base_id
    events: tuple[Event, ...]
    next_seq: int


def base_id(prefix: str, seq: int) -> str:
    return f"{prefix}{seq:09d}"


def assign(clusters: pa.Table, previous: pa.Table, *, prefix: str, next_seq: int) -> Assigned:
    """``clusters`` (record_key, cluster_id) of this run, ``previous`` (record_key, base_id) of the last;
    every cluster gets a base id. Ids are compared as strings, so the oldest is the smallest."""
    con = duckdb.connect()
    try:
        con.register("now_", clusters.select(["record_key", "cluster_id"]))
        con.register("before_", previous.select(["record_key", "base_id"]))
        # for each (cluster, earlier id): how many of the cluster's records had that id
        overlap = (
            con.sql(
                """SELECT n.cluster_id, b.base_id, count(*) AS shared
               FROM now_ n JOIN before_ b USING (record_key)
               GROUP BY ALL"""
            )
            .arrow()
            .read_all()
        )
        sizes = con.sql("SELECT cluster_id, count(*) AS size FROM now_ GROUP BY ALL").arrow().read_all()
    finally:
        con.close()
    by_cluster: dict[str, list[tuple[str, int]]] = {}
    for c, b, n in zip(
        *(overlap.column(k).to_pylist() for k in ("cluster_id", "base_id", "shared")), strict=True
    ):
        by_cluster.setdefault(c, []).append((b, n))
    # an earlier id goes to the cluster holding most of its records (ties: the smallest cluster id)
    holder: dict[str, tuple[int, str]] = {}
    for c, ids in by_cluster.items():
        for b, n in ids:
            best = holder.get(b)
            if best is None or (n, _neg(c)) > (best[0], _neg(best[1])):
                holder[b] = (n, c)
    events: list[Event] = []
    names: dict[str, str] = {}
    seq = next_seq
    split_from: dict[str, list[str]] = {}
    for c in sorted(sizes.column("cluster_id").to_pylist()):
        kept = sorted(b for b, _ in by_cluster.get(c, []) if holder[b][1] == c)
        if kept:
            names[c] = kept[0]
            if len(kept) > 1:
                events.append(Event("merged", kept[0], tuple(kept[1:])))
            continue
        seq += 1
        names[c] = base_id(prefix, seq)
        earlier = sorted(b for b, _ in by_cluster.get(c, []))
        if earlier:  # its records had ids that went to other clusters: split off
            for b in earlier:
                split_from.setdefault(b, []).append(names[c])
        else:
            events.append(Event("created", names[c]))
    events += [Event("split", b, tuple(new)) for b, new in sorted(split_from.items())]
    gone = (
        set(previous.column("base_id").to_pylist())
        - set(names.values())
        - {b for e in events for b in e.others}
    )
    events += [Event("retired", b) for b in sorted(gone)]  # every record of it left the inputs
    ids = clusters.column("cluster_id").to_pylist()
    members = pa.table(
        {
            "record_key": clusters.column("record_key"),
            "base_id": pa.array([names[c] for c in ids], pa.string()),
        }
    )
    return Assigned(members, tuple(events), seq)


def _neg(text: str) -> tuple[int, ...]:
    """A key that sorts strings in reverse, so ``max`` prefers the smaller one on a tie."""
    return tuple(-ord(ch) for ch in text) + (0,)
