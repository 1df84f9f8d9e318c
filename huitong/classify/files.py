"""A department's export read for discovery before it is sent (``huitong discover FILE``): the same
connectors a load uses (CSV/TXT in UTF-8 or GBK, Excel, JSON), or Parquet, into one Arrow table of
text columns. Nothing touches the catalog or the store."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from huitong.aggregate.sources.base import ColumnBatch, guess_kind, open_source
from huitong.classify import discover
from huitong.errors import Problem, invalid

NAME_BYTES = 200  # an uploaded file's name kept as given up to this length (file systems allow 255)


def upload_name(filename: str | None) -> str:
    """A name to save an upload under in a fresh temporary folder: the client's own file name when it
    is an ordinary one, else ``upload`` with its extension (a name of ``..``, a NUL byte, a separator
    or one longer than a file system allows never reaches the file system)."""
    name = Path((filename or "").replace("\\", "/")).name
    if name in ("", ".", "..") or "\x00" in name or len(name.encode()) > NAME_BYTES:
        suffix = Path(name.replace("\x00", "")).suffix
        return "upload" + (suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", suffix) else ".csv")
    return name


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


def discover_upload(filename: str | None, data: bytes, limit: int) -> tuple[str, Any]:
    """An uploaded export checked for personal data (the API's and the console's one rule): at most
    ``limit`` bytes (give the caller's read of ``limit + 1`` bytes), saved only in a temporary folder
    while it is read, never kept. Returns the name it was read under and the :class:`Scan`."""
    name = upload_name(filename)
    if len(data) > limit:
        raise invalid(f"{name} is larger than {limit // (1024 * 1024)} MB", Problem("too large", file=name))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return name, discover.scan(read_table(path))
