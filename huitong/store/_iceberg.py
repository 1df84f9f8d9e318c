"""Every pyiceberg name the store uses, in one private module: the one seam to upgrade.

pyiceberg is pinned (``pyproject.toml``); the store builds its own one-snapshot-per-load commits
from pyiceberg's snapshot producers, so a new pyiceberg release is checked here first
(``tests/store/test_iceberg_seam.py`` writes, overwrites and reads through exactly these calls).
Data files are written with the public ``write_file`` and ``WriteTask`` (not the private
``_dataframe_to_data_files``); huitong's tables are unpartitioned.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pyarrow as pa
import pyiceberg
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import (
    CommitFailedException,
    NamespaceAlreadyExistsError,
    NoSuchTableError,
    TableAlreadyExistsError,
    ValidationException,
)
from pyiceberg.expressions import AlwaysTrue, And, BooleanExpression, EqualTo, In, IsNull
from pyiceberg.expressions.visitors import bind
from pyiceberg.io.pyarrow import ArrowScan, bin_pack_arrow_table, pyarrow_to_schema, write_file
from pyiceberg.manifest import DataFile
from pyiceberg.schema import Schema
from pyiceberg.table import FileScanTask, Table, TableProperties, WriteTask
from pyiceberg.table.metadata import TableMetadata
from pyiceberg.table.snapshots import Snapshot
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    IcebergType,
    LongType,
    NestedField,
    PrimitiveType,
    StringType,
    TimestampType,
)
from pyiceberg.utils.properties import property_as_int

MAIN_BRANCH = "main"  # the branch whose head is a table's current version

PINNED = "0.12.0"
if pyiceberg.__version__ != PINNED:  # the store's commits are built on this release's producers
    raise ImportError(
        f"huitong's store is built and tested on pyiceberg {PINNED}, found {pyiceberg.__version__}: "
        "install the pinned version (make install)"
    )


def data_files(metadata: TableMetadata, data: pa.Table, io, write_uuid: uuid.UUID) -> Iterator[DataFile]:
    """Write ``data`` as Parquet files of the table's target size; the files to add to a snapshot."""
    if not metadata.spec().is_unpartitioned():
        raise ValueError("huitong's tables are unpartitioned")
    target = property_as_int(
        metadata.properties,
        TableProperties.WRITE_TARGET_FILE_SIZE_BYTES,
        TableProperties.WRITE_TARGET_FILE_SIZE_BYTES_DEFAULT,
    )
    schema = pyarrow_to_schema(
        data.schema, name_mapping=metadata.schema().name_mapping, format_version=metadata.format_version
    )
    tasks = (
        WriteTask(write_uuid=write_uuid, task_id=i, record_batches=batches, schema=schema)
        for i, batches in enumerate(bin_pack_arrow_table(data, target))
    )
    for data_file in write_file(io=io, table_metadata=metadata, tasks=tasks):
        # pyiceberg sets this when a manifest is read; a file read back before its commit needs it
        data_file.spec_id = metadata.default_spec_id
        yield data_file


__all__ = [
    "MAIN_BRANCH", "AlwaysTrue", "And", "ArrowScan", "BinaryType", "BooleanExpression", "BooleanType", "CommitFailedException", "DataFile",
    "DateType", "DecimalType", "DoubleType", "EqualTo", "FileScanTask", "IcebergType", "In", "IsNull", "LongType",
    "NamespaceAlreadyExistsError", "NestedField", "NoSuchTableError", "PrimitiveType", "Schema", "Snapshot",
    "SqlCatalog", "StringType", "Table", "TableAlreadyExistsError", "TimestampType", "ValidationException", "bind",
    "data_files",
]  # fmt: skip
