"""What a fusion (多源融合) generator hands back, and how it is written to disk.

Each department keeps its own column names and formats; a spec (role → column) says which column
plays which role, so one linkage run can read them all.  ``truth`` labels every record with its
person (or entity), and ``errors`` names the noise applied to it, to explain a miss.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv


@dataclass(frozen=True)
class Generated:
    """Department tables with their specs, the true labels and each record's noise."""

    tables: dict[str, pa.Table]
    specs: dict[str, dict[str, str]]
    truth: pa.Table  # record_id, person_id (an entity's id for 法人 data)
    errors: pa.Table  # record_id, kinds ("a;b", empty for a clean record)
    roles: tuple[str, ...]  # the combined file's columns, in order
    stem: str = "people"  # the combined file is <stem>.csv
    encodings: dict[str, str] = field(default_factory=dict)  # department → file encoding (utf-8 if absent)

    def error_counts(self) -> Counter[str]:
        """How many records carry each noise kind."""
        counts: Counter[str] = Counter()
        for kinds in self.errors.column("kinds").to_pylist():
            if kinds:
                counts.update(kinds.split(";"))
        return counts

    def combined(self) -> pa.Table:
        """All departments in one table with the role names as columns (each keeps its own formats)."""
        parts = []
        for dept, table in self.tables.items():
            spec, n = self.specs[dept], table.num_rows
            cols = {
                role: table.column(spec[role]) if role in spec else pa.nulls(n, pa.string())
                for role in self.roles
            }
            cols["source"] = pa.array([dept] * n, pa.string())
            parts.append(pa.table(cols))
        return pa.concat_tables(parts)


class Builder:
    """Rows per department as plain lists (cheap to append), turned into Arrow once."""

    def __init__(self, columns: dict[str, list[str]]) -> None:
        self.columns = columns
        self.rows: dict[str, list[list[str | None]]] = {d: [[] for _ in cols] for d, cols in columns.items()}
        self.record_ids: list[str] = []
        self.owners: list[str] = []
        self.kinds: list[str] = []

    def add(self, dept: str, values: list[str | None], owner: str, kinds: list[str]) -> None:
        for col, value in zip(self.rows[dept], values, strict=True):
            col.append(value)
        self.record_ids.append(values[0])
        self.owners.append(owner)
        self.kinds.append(";".join(dict.fromkeys(kinds)))

    def tables(self) -> dict[str, pa.Table]:
        return {
            d: pa.table({c: pa.array(v, pa.string()) for c, v in zip(self.columns[d], cols, strict=True)})
            for d, cols in self.rows.items()
        }

    def truth(self, owner_role: str = "person_id") -> pa.Table:
        return pa.table(
            {
                "record_id": pa.array(self.record_ids, pa.string()),
                owner_role: pa.array(self.owners, pa.string()),
            }
        )

    def errors(self) -> pa.Table:
        return pa.table(
            {"record_id": pa.array(self.record_ids, pa.string()), "kinds": pa.array(self.kinds, pa.string())}
        )


def _csv(table: pa.Table, path: Path, encoding: str = "utf-8") -> Path:
    buf = io.BytesIO()
    pacsv.write_csv(table, buf)
    data = buf.getvalue()
    path.write_bytes(data if encoding == "utf-8" else data.decode("utf-8").encode(encoding))
    return path


def _json(obj: object, path: Path) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write(generated: Generated, out_dir: str | Path, one_file: bool = True) -> list[Path]:
    """Write the records, their spec(s), ``truth.csv`` and ``errors.csv``; returns the paths written.

    ``one_file``: one ``<stem>.csv`` with the role names as columns and ``spec.json``; otherwise one
    ``<department>.csv`` per department in its own columns and encoding, each with ``spec-<department>.json``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    if one_file:
        paths.append(_csv(generated.combined(), out / f"{generated.stem}.csv"))
        paths.append(_json({role: role for role in generated.roles}, out / "spec.json"))
    else:
        for dept, table in generated.tables.items():
            paths.append(_csv(table, out / f"{dept}.csv", generated.encodings.get(dept, "utf-8")))
            paths.append(_json(generated.specs[dept], out / f"spec-{dept}.json"))
    paths.append(_csv(generated.truth, out / "truth.csv"))
    paths.append(_csv(generated.errors, out / "errors.csv"))
    return paths
