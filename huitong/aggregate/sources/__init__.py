"""Source connectors: everything the pipeline needs is ``open_source(kind, **config)``.

Built-in kinds: csv, tsv, txt, delimited (:mod:`.delimited`); excel, xlsx, xls (:mod:`.excel`);
json, ndjson, jsonl (:mod:`.json_file`); http, api (:mod:`.http_api`); sql (:mod:`.sql`).  Each
is imported on first use; other packages add kinds through the ``huitong.sources`` entry-point
group or :func:`register`.
"""

from huitong.aggregate.sources.base import (
    DEFAULT_BATCH_SIZE,
    ENTRY_POINT_GROUP,
    Column,
    ColumnBatch,
    Description,
    Row,
    SheetInfo,
    Skipped,
    Source,
    available_kinds,
    guess_kind,
    open_source,
    register,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ENTRY_POINT_GROUP",
    "Column",
    "ColumnBatch",
    "Description",
    "Row",
    "SheetInfo",
    "Skipped",
    "Source",
    "available_kinds",
    "guess_kind",
    "open_source",
    "register",
]
