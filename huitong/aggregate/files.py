"""A file read whole into one Arrow table of text columns, through the same connectors a load uses
(CSV/TXT in UTF-8 or GBK, Excel, JSON), or Parquet: for the commands that look at a department's
export without loading it (``huitong discover``, ``huitong fuse link``). Nothing touches the catalog
or the store."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from huitong.aggregate.sources.base import ColumnBatch, guess_kind, open_source
from huitong.errors import Problem, invalid


def read_table(path: Path) -> pa.Table:
    if not path.exists():
        raise invalid(f"{path} does not exist", Problem("no such file", file=str(path)))
    if path.suffix.lower() == ".parquet":
        try:
            return pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise invalid(f"{path}: not a readable Parquet file", Problem(str(exc), file=str(path))) from None
    with open_source(guess_kind(str(path)), path=str(path)) as source:
        names = [c.name for c in source.describe().columns]
        parts: list[pa.Table] = []
        for batch in source.load_batches():
            if isinstance(batch, ColumnBatch):
                cols = {n: batch.column(n) for n in names}
                parts.append(
                    pa.table(
                        {
                            n: c if c is not None else pa.nulls(len(batch), pa.string())
                            for n, c in cols.items()
                        }
                    )
                )
            elif batch:
                parts.append(
                    pa.table(
                        {
                            n: pa.array(
                                [None if r.values.get(n) is None else str(r.values.get(n)) for r in batch],
                                pa.string(),
                            )
                            for n in names
                        }
                    )
                )
    if not parts:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    return pa.concat_tables([p.cast(pa.schema([(n, pa.string()) for n in names])) for p in parts])
