"""The search index saved to a file, so a restarted server is ready in seconds.

A cold start otherwise reads and decodes every entry's stored terms and builds the postings again
(about 30 s at 100,000 entries). The file is one ``.npz`` of plain arrays, read with
``allow_pickle=False`` (a file in the data directory can never run code), with the texts packed
as UTF-8 and a JSON header. It is written to a temporary name and renamed, so a crash leaves the
previous copy or none. What it was saved from (the catalog's change number, the entry count up
to it) is in the header: the caller checks it against the database before trusting the copy,
and loads only what changed after it.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

import numpy as np

from huitong.catalog.search.index import SearchIndex

FORMAT = "huitong.search-index/1"


class SnapshotError(Exception):
    """The file is missing, damaged, of another format, or disagrees with itself."""


def _pack(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    joined = "".join(texts)
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum([len(t) for t in texts], out=offsets[1:])
    return np.frombuffer(joined.encode("utf-8"), np.uint8), offsets


def _unpack(data: np.ndarray, offsets: np.ndarray) -> list[str]:
    joined = data.tobytes().decode("utf-8")
    if len(joined) != int(offsets[-1]):
        raise SnapshotError("a packed text does not match its offsets")
    bounds = offsets.tolist()
    return [joined[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def save(index: SearchIndex, path: Path, meta: dict[str, Any]) -> None:
    """Write ``index`` and ``meta`` (JSON-able) to ``path`` atomically."""
    arrays, plain = index.state()
    texts = plain.pop("texts")
    out = {f"a.{k}": v for k, v in arrays.items()}
    for name, values in texts.items():
        out[f"t.{name}.data"], out[f"t.{name}.offsets"] = _pack(values)
    header = {"format": FORMAT, "meta": meta, "plain": plain, "texts": sorted(texts)}
    out["header"] = np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **out)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load(path: Path) -> tuple[SearchIndex, dict[str, Any]]:
    """The index saved at ``path`` and its ``meta``; :class:`SnapshotError` if it cannot be used."""
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(z["header"].tobytes().decode("utf-8"))
            if header.get("format") != FORMAT:
                raise SnapshotError(f"{path.name}: format {header.get('format')!r}, expected {FORMAT}")
            arrays = {k[2:]: z[k] for k in z.files if k.startswith("a.")}
            texts = {name: _unpack(z[f"t.{name}.data"], z[f"t.{name}.offsets"]) for name in header["texts"]}
    except SnapshotError:
        raise
    except Exception as exc:  # a cut or altered file fails in zip, zlib, numpy or json: all mean "rebuild"
        raise SnapshotError(f"{path.name}: {type(exc).__name__}: {exc}") from None
    try:  # a header of the right format but the wrong shape fails in any of these
        index = SearchIndex.restore(arrays, {**header["plain"], "texts": texts})
        meta = header["meta"]
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise SnapshotError(f"{path.name}: {type(exc).__name__}: {exc}") from None
    if not isinstance(meta, dict):
        raise SnapshotError(f"{path.name}: its header has no meta")
    return index, meta
