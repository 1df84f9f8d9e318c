"""存 store: each catalog resource's rows in a versioned Apache Iceberg table, queried through DuckDB.

``Store`` is the one entry point (see :mod:`huitong.store.store`); ``schema`` maps data items to
columns, ``hashing`` gives rows their identity, ``diff`` compares versions and ``duck`` is the
locked-down DuckDB that runs user SQL.
"""

from huitong.store.diff import Diff
from huitong.store.schema import LOAD_ID, ROW_HASH, StoredColumn, table_name
from huitong.store.store import Mode, Store, TableInfo, Version, query

__all__ = [
    "LOAD_ID",
    "ROW_HASH",
    "StoredColumn",
    "Diff",
    "Mode",
    "Store",
    "TableInfo",
    "Version",
    "query",
    "table_name",
]
