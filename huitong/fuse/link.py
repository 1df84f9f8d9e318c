"""Records linked into clusters (记录链接): prepared records in, Splink trains its model without labels,
scores the blocked pairs and joins the pairs above the threshold into clusters; every input record
is in the output (a record nobody matched is its own cluster).

Runs on its own DuckDB connection (in memory, ``threads`` as configured): nothing here touches the
catalog or the store, so a file linkage (``huitong fuse link``) and a base-library run share it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from huitong.fuse import model
from huitong.fuse.comparisons import COMPARISONS, Comparison, for_roles

THRESHOLD = 0.9  # match probability a pair needs to join a cluster
REVIEW_BAND = (0.3, 0.95)  # pairs between these go to clerical review (人工复核)
U_PAIRS = 2_000_000  # random pairs that estimate u
SEED = 20261208
MIN_TRAIN = 1000  # fewer records than this cannot train a model (EM finds too few pairs)
# a key that, valid on two records and different, makes them two people: (value column, validity column)
ANCHORS = {"person": ("id_current", "id_ok"), "entity": ("credit_code", "credit_ok")}


@dataclass
class Linked:
    """What a linkage produced: ``clusters`` (unique_id, cluster_id, every record), ``pairs`` (the scored
    pairs at or above the review band's lower edge: unique_id_l, unique_id_r, match_probability,
    match_weight, and the level per comparison), the trained ``model`` (Splink's JSON settings, m and
    u per level) and counts."""

    clusters: pa.Table
    pairs: pa.Table
    model: dict[str, Any]
    comparisons: tuple[Comparison, ...]
    stats: dict[str, int] = field(default_factory=dict)
    edges: pa.Table | None = None  # every scored pair, kept and new (for the next incremental run)


def _quiet() -> None:
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)


def link(
    prepared: pa.Table,
    kind: str,
    roles: set[str],
    *,
    threshold: float = THRESHOLD,
    decisions: dict[tuple[str, str], bool] | None = None,
    trained: dict[str, Any] | None = None,
    threads: int | None = None,
    progress: Callable[[str], None] | None = None,
    changed: pa.Array | None = None,
    kept: pa.Table | None = None,
) -> Linked:
    """Link ``prepared`` (from :func:`huitong.fuse.prepare.prepare`). ``decisions`` are a steward's
    verdicts on pairs (match or not), applied over the model's; ``trained`` reuses a saved model
    instead of training again.

    Incremental (with ``trained``): ``changed`` marks the records that are new or changed since the
    last run and ``kept`` holds the last run's scored pairs between unchanged records
    (unique_id_l, unique_id_r, match_probability); only pairs touching a changed record are scored
    again (each blocking rule gains ``AND (l._changed OR r._changed)``), and clusters are formed over
    the kept pairs and the new ones together."""
    _quiet()
    from splink import DuckDBAPI, Linker

    step = progress or (lambda _label: None)
    comparisons = for_roles(kind, roles)
    present = {c for c in prepared.column_names if prepared.column(c).null_count < prepared.num_rows}
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    incremental = trained is not None and changed is not None
    if incremental:
        prepared = prepared.append_column("_changed", changed)
    try:
        con.register("fuse_input_arrow", prepared)
        con.execute("CREATE TABLE fuse_input AS SELECT * FROM fuse_input_arrow")
        con.unregister("fuse_input_arrow")
        api = DuckDBAPI(connection=con)
        table = api.register("fuse_input")
        shipped = trained is None and prepared.num_rows < MIN_TRAIN
        if shipped:  # too few records to learn from: the model trained on labelled synthetic data
            trained, comparisons = model.shipped(kind), COMPARISONS[kind]
        settings = (
            _only_changed(trained) if incremental else trained or model.settings(kind, comparisons, present)
        )
        linker = Linker(table, settings, log_level=logging.ERROR)
        skipped: list[str] = (
            [f"all: fewer than {MIN_TRAIN} records, the shipped model is used"] if shipped else []
        )
        if trained is None:
            step("prior")
            prior = model.prior_rule(kind, present)
            if prior is not None:
                _train(
                    skipped,
                    "prior",
                    lambda: linker.training.estimate_probability_two_random_records_match(
                        [prior[0]], recall=prior[1]
                    ),
                )
            step("u")
            _train(
                skipped,
                "u",
                lambda: linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED),
            )
            for block in model.training_blocks(kind, present):
                step("em")
                _train(
                    skipped,
                    "em",
                    lambda b=block: linker.training.estimate_parameters_using_expectation_maximisation(b),
                )
            p = linker._settings_obj._probability_two_random_records_match
            if not p or not 0 < p < 1:  # no pair agreed on the key: nothing says how often two are one
                skipped.append("prior: no pair agreed on the key")
            if skipped:  # what could not be learnt is not guessed: the shipped model takes over
                trained, comparisons, shipped = model.shipped(kind), COMPARISONS[kind], True
                linker = Linker(table, trained, log_level=logging.ERROR)
        step("predict")
        low = min(threshold, REVIEW_BAND[0])
        predictions = linker.inference.predict(threshold_match_probability=low)
        scored = con.sql(f"SELECT * FROM {predictions.physical_name}").arrow().read_all()
        step("cluster")
        edges = _edges(con, predictions.physical_name, kept if incremental else None)
        anchor = ANCHORS[kind] if all(c in prepared.column_names for c in ANCHORS[kind]) else None
        clusters = _cluster(api, con, table, "fuse_scored", threshold, decisions or {}, anchor)
        saved = trained if incremental or shipped else linker.misc.save_model_to_json()
        stats = {
            "records": prepared.num_rows,
            "pairs_scored": scored.num_rows,
            "pairs_kept": 0 if kept is None or not incremental else kept.num_rows,
            "changed": int(pc.sum(changed).as_py() or 0) if incremental else prepared.num_rows,
            "clusters": len(set(clusters.column("cluster_id").to_pylist())),
            "training_skipped": skipped,
        }
        return Linked(clusters, scored, saved, comparisons, stats, edges)
    finally:
        con.close()


def _train(skipped: list[str], what: str, fn: Callable[[], object]) -> None:
    """One training step; a step the data cannot support (a few hundred records, no two sharing
    an ID number: EM finds no pairs on that block) is skipped and said in the figures, and the model
    keeps Splink's starting values for what it would have estimated."""
    from splink.internals.exceptions import SplinkException

    try:
        fn()
    except (SplinkException, ValueError, ZeroDivisionError) as exc:
        skipped.append(f"{what}: {str(exc).splitlines()[0][:200]}")


def _only_changed(trained: dict[str, Any]) -> dict[str, Any]:
    """The trained settings with each blocking rule restricted to pairs touching a changed record."""
    settings = copy.deepcopy(trained)
    rules = settings.get("blocking_rules_to_generate_predictions", [])
    settings["blocking_rules_to_generate_predictions"] = [
        {**r, "blocking_rule": f"({r['blocking_rule']}) AND (l._changed OR r._changed)"} for r in rules
    ]
    settings.pop("linker_uid", None)
    return settings


EDGE_SCHEMA = pa.schema(
    [("unique_id_l", pa.string()), ("unique_id_r", pa.string()), ("match_probability", pa.float64())]
)


def _edges(con: duckdb.DuckDBPyConnection, predictions: str, kept: pa.Table | None) -> pa.Table:
    """The pairs clustering works on (``fuse_scored``): this run's, and the kept ones of the last."""
    con.register("fuse_kept", kept if kept is not None else EDGE_SCHEMA.empty_table())
    con.execute(
        f"""CREATE OR REPLACE TABLE fuse_scored AS
        SELECT least(unique_id_l, unique_id_r) AS unique_id_l, greatest(unique_id_l, unique_id_r) AS unique_id_r,
               match_probability FROM {predictions}
        UNION ALL SELECT unique_id_l, unique_id_r, match_probability FROM fuse_kept"""
    )
    con.unregister("fuse_kept")
    return con.sql("SELECT * FROM fuse_scored").arrow().read_all()


def _cluster(
    api,
    con: duckdb.DuckDBPyConnection,
    nodes,
    predictions: str,
    threshold: float,
    decisions: dict[tuple[str, str], bool],
    anchor: tuple[str, str] | None,
) -> pa.Table:
    """Connected components (Splink's, in SQL) of the pairs at or above ``threshold``, a steward's
    decisions overriding the model either way; a cluster is named by its smallest record id."""
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    # a verdict on a record that has since left its input says nothing about this run
    present = set(con.sql("SELECT unique_id FROM fuse_input").arrow().read_all().column(0).to_pylist())
    decisions = {p: same for p, same in decisions.items() if p[0] in present and p[1] in present}
    decided = pa.table(
        {
            "a": [min(p) for p in decisions],
            "b": [max(p) for p in decisions],
            "same": list(decisions.values()),
        },
        schema=pa.schema([("a", pa.string()), ("b", pa.string()), ("same", pa.bool_())]),
    )
    con.register("fuse_decided", decided)
    con.execute(
        f"""CREATE OR REPLACE TABLE fuse_edges AS
        SELECT least(unique_id_l, unique_id_r) AS unique_id_l, greatest(unique_id_l, unique_id_r) AS unique_id_r,
               match_probability AS p
        FROM {predictions} p
        WHERE match_probability >= ?
          AND NOT EXISTS (SELECT 1 FROM fuse_decided d WHERE NOT d.same
                          AND d.a = least(p.unique_id_l, p.unique_id_r) AND d.b = greatest(p.unique_id_l, p.unique_id_r))
        UNION
        SELECT a, b, 1.0 FROM fuse_decided WHERE same""",
        [threshold],
    )
    con.unregister("fuse_decided")
    clustered = cluster_pairwise_predictions_at_threshold(
        nodes, api.register("fuse_edges", table_name="fuse_edges_input"), api, "unique_id"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE fuse_clusters AS SELECT unique_id, cluster_id FROM {clustered.physical_name}"
    )
    apart = [pair for pair, same in decisions.items() if not same]
    if anchor or apart:
        _split_anchors(con, anchor, [pair for pair, same in decisions.items() if same], apart)
    return con.sql("SELECT unique_id, cluster_id FROM fuse_clusters ORDER BY unique_id").arrow().read_all()


SPLIT_ROUNDS = 4  # how far along a chain of unanchored records an anchor's label travels


def _split_anchors(
    con: duckdb.DuckDBPyConnection,
    anchor: tuple[str, str] | None,
    same: list[tuple[str, str]],
    apart: list[tuple[str, str]],
) -> None:
    """Cannot-link (不可合并): a cluster that joined records of two different anchors (two valid ID
    numbers, two valid credit codes) through records that hold none is split, and so is a cluster
    that holds both records of a pair a steward said are two (a third record can bridge them). Each
    anchored record keeps its anchor (a record of such a pair without one is its own); every other
    record takes the label of the neighbour it matches best, travelling along the cluster's edges for
    a few rounds; the rest stay together. A steward's "same" is an edge of probability 1, so it wins."""
    value, ok = (f'i."{anchor[0]}"', f'i."{anchor[1]}"') if anchor else ("NULL", "FALSE")
    con.register(
        "fuse_apart",
        pa.table(
            {"a": [a for a, _ in apart], "b": [b for _, b in apart]},
            schema=pa.schema([("a", pa.string()), ("b", pa.string())]),
        ),
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE fuse_label AS
        WITH apart AS (
            SELECT ca.cluster_id, p.a, p.b FROM fuse_apart p
            JOIN fuse_clusters ca ON ca.unique_id = p.a JOIN fuse_clusters cb ON cb.unique_id = p.b
            WHERE ca.cluster_id = cb.cluster_id),
        conflicted AS (
            SELECT c.cluster_id FROM fuse_clusters c JOIN fuse_input i USING (unique_id)
            WHERE {ok} GROUP BY c.cluster_id HAVING count(DISTINCT {value}) > 1
            UNION SELECT cluster_id FROM apart)
        SELECT c.unique_id, c.cluster_id,
               CASE WHEN {ok} THEN CAST({value} AS VARCHAR)
                    WHEN c.unique_id IN (SELECT a FROM apart UNION SELECT b FROM apart) THEN 'record:' || c.unique_id
               END AS label
        FROM fuse_clusters c JOIN conflicted USING (cluster_id) JOIN fuse_input i USING (unique_id)"""
    )
    con.unregister("fuse_apart")
    if same:  # a steward said two anchored records are one person: their anchors are one label
        labels = dict(
            con.execute("SELECT unique_id, label FROM fuse_label WHERE label IS NOT NULL").fetchall()
        )
        parent: dict[str, str] = {}

        def root(x: str) -> str:
            while parent.get(x, x) != x:
                x = parent[x]
            return x

        for a, b in same:
            la, lb = labels.get(a), labels.get(b)
            if la and lb and root(la) != root(lb):
                ra, rb = sorted((root(la), root(lb)))
                parent[rb] = ra
        mapping = [(k, root(k)) for k in parent]
        if mapping:
            con.register(
                "fuse_relabel", pa.table({"old": [m[0] for m in mapping], "new": [m[1] for m in mapping]})
            )
            con.execute(
                "UPDATE fuse_label SET label = r.new FROM fuse_relabel r WHERE fuse_label.label = r.old"
            )
            con.unregister("fuse_relabel")
    for _ in range(SPLIT_ROUNDS):
        con.execute(
            """CREATE OR REPLACE TEMP TABLE fuse_label AS
            WITH e AS (SELECT unique_id_l AS a, unique_id_r AS b, p FROM fuse_edges
                       UNION ALL SELECT unique_id_r, unique_id_l, p FROM fuse_edges),
            offer AS (
                SELECT e.a AS unique_id, arg_max(n.label, e.p) AS label
                FROM e JOIN fuse_label n ON n.unique_id = e.b
                WHERE n.label IS NOT NULL GROUP BY e.a)
            SELECT l.unique_id, l.cluster_id, coalesce(l.label, o.label) AS label
            FROM fuse_label l LEFT JOIN offer o USING (unique_id)"""
        )
    con.execute(
        """UPDATE fuse_clusters SET cluster_id = s.new_id
        FROM (SELECT unique_id, min(unique_id) OVER (PARTITION BY cluster_id, label) AS new_id FROM fuse_label) s
        WHERE fuse_clusters.unique_id = s.unique_id"""
    )
