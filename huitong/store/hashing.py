"""Row hashes and content hashes: what makes reloads idempotent and diffs cheap.

A row's hash covers its non-null values *with their column names*, in name order: each value is
written as ``<name length>:<name>:<value length>:<value>`` (self-delimiting, so no two rows can
encode alike) after casting to text the same way for every load (the values are already cast to the
stored types, so ``1.5`` is always ``1.5000000000`` in a 数值型 column).  Because null values are left
out, adding an item to a resource does not change the hashes of rows that leave it empty.

The hash is SHA-256 (computed in DuckDB, vectorised: a Python loop is a few times slower), kept as its first
32 hex digits: 128 bits, far beyond any chance collision in a table, and this is an identity, not a
signature.  A *content hash* is the SHA-256 of a set of rows' hashes in sorted order, so it does not
depend on row order.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huitong.store import duck

HASH_HEX = 32
HASH_SLICE_ROWS = 250_000  # rows encoded at once: bounds the memory of hashing a large table


def _as_bytes(values: pa.ChunkedArray) -> pa.ChunkedArray:
    t = values.type
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return pc.cast(values, pa.large_binary())
    return pc.cast(pc.cast(values, pa.large_string()), pa.large_binary())


def encode_rows(data: pa.Table) -> pa.ChunkedArray:
    """Each row's canonical bytes (see the module doc)."""
    parts = []
    for name in sorted(data.column_names):
        raw = name.encode()
        prefix = pa.scalar(f"{len(raw)}:".encode() + raw, pa.large_binary())
        values = _as_bytes(data.column(name))
        lengths = pc.cast(pc.cast(pc.binary_length(values), pa.large_string()), pa.large_binary())
        encoded = pc.binary_join_element_wise(prefix, lengths, values, pa.scalar(b":", pa.large_binary()))
        parts.append(pc.fill_null(encoded, pa.scalar(b"", pa.large_binary())))
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, pa.scalar(b"", pa.large_binary()))


def _reference_hashes(data: pa.Table) -> pa.ChunkedArray:
    """The hashes of one slice from :func:`encode_rows` (the reference, and the path for binary
    columns)."""
    encoded = pa.table({"e": encode_rows(data)})
    con = duck.scratch({"rows": encoded})
    try:
        out = con.sql(f"SELECT substr(sha256(e), 1, {HASH_HEX}) AS h FROM rows").to_arrow_table()
    finally:
        con.close()
    return out.column("h")


def _is_binary(t: pa.DataType) -> bool:
    return pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)


def _fused_hashes(data: pa.Table) -> pa.ChunkedArray:
    """The same hashes with the encoding done in the one DuckDB statement that hashes (one pass
    over the rows on every core, where the Arrow encoding makes five arrays per column). Values
    are cast to text by Arrow first, exactly as :func:`encode_rows` casts them; the columns go in
    as c0, c1, … and their names as parameters, so nothing from the catalog is spliced into SQL."""
    names = sorted(data.column_names)
    texts = {}
    for i, name in enumerate(names):
        column = data.column(name)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            column = pc.cast(column, pa.large_string())
        texts[f"c{i}"] = column
    # One concat over every piece (it skips nulls, so a null value drops its name, length and
    # colon with it): a fifth faster than joining each column's pieces with || first.
    parts = [
        f"CASE WHEN c{i} IS NOT NULL THEN ${i + 1} END, strlen(c{i}), CASE WHEN c{i} IS NOT NULL THEN ':' END, c{i}"
        for i in range(len(names))
    ]
    prefixes = [f"{len(name.encode())}:{name}:" for name in names]
    con = duck.scratch({"rows": pa.table(texts)})
    try:
        sql = f"SELECT substr(sha256(concat({', '.join(parts)})), 1, {HASH_HEX}) AS h FROM rows"
        out = con.sql(sql, params=prefixes).to_arrow_table()
    finally:
        con.close()
    return out.column("h")


def row_hashes(data: pa.Table) -> pa.ChunkedArray:
    """One hash per row, as 32 hex digits, in row order; a slice at a time, so the encoded rows
    of a table of millions never sit in memory at once."""
    if data.num_rows == 0:
        return pa.chunked_array([pa.array([], pa.large_string())])
    fused = data.num_columns > 0 and not any(_is_binary(f.type) for f in data.schema)
    chunks = []
    for start in range(0, data.num_rows, HASH_SLICE_ROWS):
        part = data.slice(start, HASH_SLICE_ROWS)
        hashes = _fused_hashes(part) if fused else _reference_hashes(part)
        chunks.extend(pc.cast(hashes, pa.large_string()).chunks)
    return pa.chunked_array(chunks, pa.large_string())


def fixed_width(hashes: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Row hashes as a NumPy array of 32-byte strings (a copy: 32 bytes a row, no offsets), which
    is what a load written in parts keeps of each row for its content hash."""
    values = hashes.combine_chunks() if isinstance(hashes, pa.ChunkedArray) else hashes
    values = values.cast(pa.large_string())
    n = len(values)
    if n == 0:
        return np.empty(0, dtype=f"S{HASH_HEX}")
    if values.null_count:
        raise ValueError("a row hash is missing")
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset : values.offset + n + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    if end - start != HASH_HEX * n:
        raise ValueError(f"row hashes must be {HASH_HEX} characters each")
    raw = np.frombuffer(values.buffers()[2], dtype=np.uint8)[start:end]
    return raw.view(f"S{HASH_HEX}").copy()


def sorted_digest(hashes: np.ndarray) -> str:
    """The content hash of :func:`fixed_width` hashes; sorts them in place (NumPy sorts the
    fixed-width strings fast, and a stable sort merges runs already sorted in a few passes)."""
    hashes.sort(kind="stable")
    return hashlib.sha256(hashes.tobytes()).hexdigest()


def content_hash(hashes: pa.ChunkedArray | pa.Array) -> str:
    """The hash of a multiset of row hashes (order does not matter): SHA-256 of them sorted and
    concatenated.  Every row hash is exactly 32 ASCII characters, so the concatenation is
    unambiguous."""
    return sorted_digest(fixed_width(hashes))


def key_hashes(data: pa.Table, key: list[str]) -> np.ndarray:
    """One 64-bit hash per row of the key columns (DuckDB's ``hash``), sorted: equal keys have
    equal hashes, so a load whose hashes are all distinct has no repeated key, and only a load
    with two equal hashes needs its keys compared (see ``VersionWriter``)."""
    if data.num_rows == 0:
        return np.empty(0, np.uint64)
    con = duck.scratch({"keys": data.select(key)})
    try:
        cols = ", ".join(duck.quote(k) for k in key)
        got = con.sql(f"SELECT hash({cols}) AS h FROM keys").to_arrow_table()
    finally:
        con.close()
    out = np.array(got.column("h").to_numpy(), dtype=np.uint64)  # a copy: Arrow's buffer is read-only
    out.sort()
    return out


def all_distinct(runs: list[np.ndarray]) -> bool:
    """Whether sorted runs of hashes hold no value twice (a stable sort merges them)."""
    if not runs:
        return True
    merged = np.concatenate(runs)
    merged.sort(kind="stable")
    return not bool((merged[1:] == merged[:-1]).any())
