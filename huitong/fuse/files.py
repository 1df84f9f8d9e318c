"""Plain files linked without the catalog (``huitong fuse link FILE... --spec SPEC``): how accuracy is
measured on labelled data, and how a department tries linkage on its own exports. Each file is read
whole (CSV UTF-8/GBK, Excel, JSON, Parquet), its columns named by the spec, records prepared and
linked together; the answer holds every input record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from huitong.aggregate.files import read_table
from huitong.errors import Problem, invalid
from huitong.fuse.link import THRESHOLD, Linked, link
from huitong.fuse.prepare import Where, prepare
from huitong.fuse.spec import Spec


def _unique_ids(prepared: list[tuple[str, pa.Table]]) -> None:
    """A record id must name one record across all files, or the output could not say which."""
    ids = pa.table(
        {
            "unique_id": pa.chunked_array([t.column("unique_id") for _, t in prepared]),
            "file": pa.chunked_array([pa.repeat(pa.scalar(f, pa.string()), t.num_rows) for f, t in prepared]),
        }
    )
    grouped = ids.group_by("unique_id").aggregate([("file", "list")])
    twice = grouped.filter(pc.greater(pc.list_value_length(grouped.column("file_list")), 1))
    if twice.num_rows:
        problems = [
            Problem(
                f"record_id {v!r} appears {len(files)} times (in {', '.join(sorted(set(files)))})",
                file=files[0],
                value=v,
            )
            for v, files in zip(
                twice.column("unique_id").to_pylist()[:50],
                twice.column("file_list").to_pylist()[:50],
                strict=True,
            )
        ]
        raise invalid(f"record ids must be unique across the files ({twice.num_rows} are not)", *problems)


def link_files(
    paths: Sequence[Path],
    spec: Spec,
    *,
    threshold: float = THRESHOLD,
    progress: Callable[[str], None] | None = None,
) -> Linked:
    if not paths:
        raise invalid("name at least one file to link", Problem("no files"))
    step = progress or (lambda _label: None)
    prepared = []
    for path in paths:
        step(f"read {path.name}")
        table = read_table(path)
        spec.check_columns(table.column_names, str(path))
        # a spreadsheet or CSV shows its first record under the header row; JSON and Parquet count records
        first = 2 if path.suffix.lower() in (".csv", ".txt", ".tsv", ".xlsx", ".xls") else 1
        prepared.append((str(path), prepare(table, spec, source=path.stem, where=Where(path.name, first))))
    _unique_ids(prepared)
    records = pa.concat_tables([t for _, t in prepared])
    return link(records, spec.kind, set(spec.columns), threshold=threshold, progress=step)


def write_clusters(linked: Linked, out: Path) -> int:
    """``record_id,cluster_id`` as CSV (UTF-8), one line per input record; the number written."""
    import pyarrow.csv as pacsv

    table = linked.clusters.rename_columns(["record_id", "cluster_id"])
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    pacsv.write_csv(table, partial)
    partial.replace(out)  # a reader never sees half a file
    return table.num_rows
