"""Discovery (数据资产梳理): which columns of a table hold personal data, with the evidence.

One DuckDB query over a reservoir sample of the table counts, per column, the non-empty values and
those each detector accepts (and the children among the birth dates); :func:`decide` turns the
counts into at most one finding per column.  No Python runs per value, except jieba's part-of-speech
tags over at most :data:`NAME_SAMPLE` distinct candidate names of a column.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import pyarrow as pa

from huitong.classify.detectors import (
    BY_KIND,
    DETECTORS,
    DIVISION_TABLE,
    NAME_ONLY,
    SURNAME_TABLE,
    Detector,
    birth_sql,
    id_birth_sql,
    minor_sql,
)
from huitong.classify.grading import GradePolicy
from huitong.classify.kinds import INFO, MINOR, MINOR_AGE, Kind, Strength
from huitong.standards.divisions import division_table
from huitong.standards.elements import Grade
from huitong.standards.surnames import SURNAMES
from huitong.store import duck

DEFAULT_SAMPLE = 10_000  # rows: a share estimated from this many is within ±1% (95%)
NAME_SAMPLE = 200  # distinct candidate names whose part of speech jieba is asked for
MIN_SHARE = 0.5  # of the non-empty values, without a telling column name
HINTED_SHARE = 0.2  # ... with one
MIN_CONFIDENCE = 0.3
WEIGHT = {Strength.check_digit: 1.0, Strength.pattern: 0.9, Strength.weak: 0.6, Strength.name_only: 0.5}
HINT_BONUS = {Strength.check_digit: 0.1, Strength.pattern: 0.1, Strength.weak: 0.3, Strength.name_only: 0.4}
_SKIP = (pa.types.is_binary, pa.types.is_large_binary, pa.types.is_boolean, pa.types.is_nested)


@dataclass(frozen=True)
class ColumnFinding:
    """One column that holds personal (or organisation) data: a proposal a person confirms."""

    column: str
    kind: Kind
    share: float  # of the sampled non-empty values, those the detector accepts
    confidence: float
    grade: Grade  # proposed
    evidence: str  # what the accepted values passed
    hint: bool  # the column's name suggests the kind
    sampled: int  # non-empty values looked at
    matched: int
    classes: tuple[str, ...] = ()  # GB/T 35273 Annex B classes, 14岁以下儿童 among them

    def to_dict(self) -> dict:
        info = INFO[self.kind]
        return {
            "column": self.column,
            "kind": self.kind.value,
            "kind_zh": info.label_zh,
            "share": round(self.share, 4),
            "confidence": round(self.confidence, 3),
            "grade": self.grade.value,
            "grade_zh": self.grade.label_zh,
            "evidence": self.evidence,
            "name_hint": self.hint,
            "sampled": self.sampled,
            "matched": self.matched,
            "pi_class": info.pi_class,
            "personal": info.personal,
            "sensitive": info.sensitive or MINOR in self.classes,
            "classes": list(self.classes),
        }


@dataclass(frozen=True)
class Scan:
    rows: int
    sampled_rows: int
    sample_size: int | None  # asked for; None: every row
    columns: tuple[str, ...]
    findings: tuple[ColumnFinding, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "sampled_rows": self.sampled_rows,
            "sample_size": self.sample_size,
            "columns": list(self.columns),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class Counts:
    """What the query counted for one column."""

    nonempty: int
    matched: Mapping[Kind, int]
    minors: int = 0
    name_pos_share: float | None = None  # of the distinct candidate names, those jieba tags nr


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _hinted(detector: Detector, names: Sequence[str]) -> bool:
    return any(detector.hint.search(n) for n in names if n)


def _applies(detector: Detector, arrow_type: pa.DataType, hinted: bool) -> bool:
    if detector.needs_hint and not hinted:
        return False
    numeric = (
        pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)
    )
    temporal = pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type)
    if temporal:
        return detector.kind is Kind.birth_date
    if numeric:
        return detector.kind in (
            Kind.bank_card,
            Kind.mobile,
            Kind.finance,
            Kind.division_code,
            Kind.id_number,
        )
    return True


def confidence(kind: Kind, share: float, hint: bool) -> float:
    strength = INFO[kind].strength
    return min(1.0, share * WEIGHT[strength] + (HINT_BONUS[strength] if hint else 0.0))


def decide(
    column: str,
    counts: Counts,
    hints: Mapping[Kind, bool],
    policy: GradePolicy,
) -> ColumnFinding | None:
    """The column's finding: the qualifying kind of highest confidence (earlier detectors, the more
    specific ones, win ties), or None when nothing qualifies."""
    if counts.nonempty == 0:
        return None
    best: ColumnFinding | None = None
    for detector in DETECTORS:
        kind = detector.kind
        matched = counts.matched.get(kind, 0)
        if matched == 0:
            continue
        share = matched / counts.nonempty
        hint = hints.get(kind, False)
        if kind is Kind.free_text_with_identifiers:
            qualifies = True  # one identifier in a 备注 is one too many
            conf = min(1.0, 0.6 + share + (0.1 if hint else 0.0))
        else:
            floor = HINTED_SHARE if hint else MIN_SHARE
            if kind in NAME_ONLY and kind is not Kind.finance:
                floor = min(floor, 0.1)
            qualifies = share >= floor
            conf = confidence(kind, share, hint)
            if kind is Kind.person_name and counts.name_pos_share is not None:
                # without a telling column name (the only case jieba is asked), it must read them as
                # names: words that merely begin with a surname character (方法, 高中, 金额) are not
                pos = counts.name_pos_share
                conf *= pos
        if not qualifies or conf < MIN_CONFIDENCE:
            continue
        if best is None or conf > best.confidence + 1e-9:
            classes = [INFO[kind].pi_class]
            if kind in (Kind.id_number, Kind.birth_date) and counts.minors:
                classes.append(MINOR)
            best = ColumnFinding(
                column=column,
                kind=kind,
                share=share,
                confidence=conf,
                grade=policy.proposed(kind, classes),
                evidence=detector.evidence,
                hint=hint,
                sampled=counts.nonempty,
                matched=matched,
                classes=tuple(classes),
            )
    return best


@cache
def _reference_tables() -> dict[str, pa.Table]:
    return {
        SURNAME_TABLE: pa.table({"surname": pa.array(SURNAMES, pa.string())}),
        DIVISION_TABLE: pa.table({"code": pa.array(division_table().codes(), pa.string())}),
    }


@cache
def _tagger():
    """A private jieba part-of-speech tagger (the global one stays untouched), quiet as it loads."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg.POSTokenizer(jieba.Tokenizer())


def _name_pos_share(values: Sequence[str]) -> float | None:
    """Of some candidate names, the share jieba's part-of-speech tagger reads as a personal name."""
    if not values:
        return None
    tagger = _tagger()
    hits = sum(any(w.flag == "nr" for w in tagger.cut(v)) for v in values)
    return hits / len(values)


def scan(
    table: pa.Table | pa.RecordBatchReader,
    *,
    rows: int | None = None,
    sample: int | None = DEFAULT_SAMPLE,
    labels: Mapping[str, Sequence[str]] | None = None,
    policy: GradePolicy | None = None,
    seed: int = 20240301,
) -> Scan:
    """Discover personal data in ``table``'s columns.  ``labels`` gives more names per column (the
    data item's English name, its data element) for the hints; ``sample`` rows are drawn by reservoir
    sampling (repeatable by ``seed``), or every row with ``sample=None``."""
    policy = policy or GradePolicy()
    labels = labels or {}
    if isinstance(table, pa.Table):
        rows = table.num_rows
    elif rows is None:
        raise ValueError("a stream of batches needs its row count (rows=)")
    # (position, field): a column is read by its position, so two columns of one name stay two
    columns = [(n, f) for n, f in enumerate(table.schema, 1) if not any(t(f.type) for t in _SKIP)]
    plans: list[tuple[str, dict[Kind, bool], list[Detector]]] = []
    for _, f in columns:
        names = [f.name, *labels.get(f.name, ())]
        hints = {d.kind: _hinted(d, names) for d in DETECTORS}
        plans.append((f.name, hints, [d for d in DETECTORS if _applies(d, f.type, hints[d.kind])]))
    if not plans:
        return Scan(rows, 0, sample, ())
    take = sample is not None and rows > sample
    source = (
        f"SELECT * FROM t USING SAMPLE reservoir({int(sample)} ROWS) REPEATABLE ({int(seed)})"
        if take
        else "SELECT * FROM t"
    )

    def text(position: int, f: pa.Field) -> str:
        # a timestamp is a date here (a birth date stored with a time of day), so its text is a date's
        if pa.types.is_timestamp(f.type):
            return f"CAST(CAST(#{position} AS DATE) AS VARCHAR)"
        return f"CAST(#{position} AS VARCHAR)"

    cleaned = ", ".join(f"nullif(upper(trim({text(n, f)})), '') AS c{i}" for i, (n, f) in enumerate(columns))
    aggregates = ["count(*)"]
    slots: list[tuple[int, str, Kind | None]] = []
    for i, (_, _, detectors) in enumerate(plans):
        ref = f"c{i}"
        aggregates.append(f"count({ref})")
        slots.append((i, "nonempty", None))
        for d in detectors:
            aggregates.append(f"count(*) FILTER (WHERE {d.predicate(ref)})")
            slots.append((i, "kind", d.kind))
            if d.kind is Kind.id_number:
                aggregates.append(
                    f"count(*) FILTER (WHERE {d.predicate(ref)} AND {minor_sql(id_birth_sql(ref), age=MINOR_AGE)})"
                )
                slots.append((i, "minor", Kind.id_number))
            if d.kind is Kind.birth_date:
                aggregates.append(
                    f"count(*) FILTER (WHERE {d.predicate(ref)} AND {minor_sql(birth_sql(ref), age=MINOR_AGE)})"
                )
                slots.append((i, "minor", Kind.birth_date))
    con = duck.connect({"t": table, **_reference_tables()})
    try:
        # the rows are cleaned once (a view would clean a value again for every detector that reads
        # it), and a sample is drawn once: the counts and the names jieba reads come from one sample
        con.execute(f"CREATE TEMP TABLE c AS SELECT {cleaned} FROM ({source})")
        got = con.execute(f"SELECT {', '.join(aggregates)} FROM c").fetchone()
        sampled_rows = got[0]
        per: list[dict] = [{"nonempty": 0, "matched": {}, "minors": {}} for _ in plans]
        for (i, what, kind), value in zip(slots, got[1:], strict=True):
            if what == "nonempty":
                per[i]["nonempty"] = value
            elif what == "kind":
                per[i]["matched"][kind] = value
            else:
                per[i]["minors"][kind] = value
        findings = []
        for i, (name, hints, _) in enumerate(plans):
            p = per[i]
            pos = None
            name_hits = p["matched"].get(Kind.person_name, 0)
            # jieba is asked only where the column's name does not say 姓名: its dictionary costs a
            # second to load, and a telling name is evidence enough beside the surname table
            if not hints[Kind.person_name] and p["nonempty"] and name_hits / p["nonempty"] >= HINTED_SHARE:
                pred = BY_KIND[Kind.person_name].predicate(f"c{i}")
                rows_of = (
                    "c"
                    if take
                    else f"(SELECT * FROM c USING SAMPLE reservoir({DEFAULT_SAMPLE} ROWS) REPEATABLE ({int(seed)}))"
                )
                values = con.execute(
                    f"SELECT DISTINCT c{i} FROM {rows_of} WHERE {pred} ORDER BY c{i} LIMIT {NAME_SAMPLE}"
                ).fetchall()
                pos = _name_pos_share([v for (v,) in values])
            counts = Counts(p["nonempty"], p["matched"], 0, pos)
            finding = decide(name, counts, hints, policy)
            if finding is not None and finding.kind in p["minors"]:
                counts = Counts(p["nonempty"], p["matched"], p["minors"][finding.kind], pos)
                finding = decide(name, counts, hints, policy)
            if finding is not None:
                findings.append(finding)
    finally:
        con.close()
    return Scan(rows, sampled_rows, sample, tuple(name for name, _, _ in plans), tuple(findings))
