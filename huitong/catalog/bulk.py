"""The batched write path's shortcuts: what registering thousands of entries at once costs
per entry, cut without changing a stored byte (tests hold it to the per-entry path).

* The cyclic garbage collector is paused (:func:`huitong.gc_pause.gc_paused`): a bulk import
  allocates a few hundred thousand containers that all stay alive, so each collection finds
  nothing yet walks the whole heap again; with 10,000 entries that was a third of the import.
* Rows go to the driver as tuples (:func:`huitong.db.rows.insert_rows`: one ``executemany``,
  on PostgreSQL ``COPY``), JSON columns as text encoded here once.
* A new entry's changes are everything it has, so its diff and the JSON of its snapshot
  and changes are built from one encoding of each field (``json.dumps``'s exact text).
"""

from __future__ import annotations

import json
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any

from huitong.db.rows import Encoded


def _c_encoder():
    """``json.dumps``'s own C encoder, made once: building one per call cost more than
    encoding a data item. (No cycle check: a snapshot is a tree.)"""
    from json import encoder

    if encoder.c_make_encoder is None:  # an interpreter without the C accelerator
        return json.dumps
    make = encoder.c_make_encoder(
        None, json.JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return lambda value: "".join(make(value, 0))


_encode = _c_encoder()
_LITERALS = {None: "null", True: "true", False: "false"}


def _dumps(value: Any) -> str:
    """``json.dumps(value)``: strings and literals straight, as the encoder itself does them,
    without building an encoder for each (a snapshot has twenty small fields)."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None or value is True or value is False:
        return _LITERALS[value]
    return _encode(value)


def encoded(value: Any) -> Encoded:
    """``json.dumps(value)``, marked as such for :func:`insert_rows`."""
    return Encoded(_dumps(value))


class SnapshotText:
    """A snapshot's JSON kept field by field: a later revision that changes a few top-level
    fields (a transition's status) re-encodes only those. Its text is ``json.dumps`` of the
    snapshot with those fields set, as a dict update would set them."""

    def __init__(self, pieces: dict[str, str]) -> None:
        self.pieces = pieces

    def json(self) -> Encoded:
        return Encoded("{" + ", ".join(self.pieces.values()) + "}")

    def with_values(self, values: dict[str, Any]) -> Encoded:
        return self.with_pieces(self.pieces_of(values))

    @staticmethod
    def pieces_of(values: dict[str, Any]) -> dict[str, str]:
        """The encoded pieces of ``values``, for :meth:`with_pieces` (many snapshots changed alike)."""
        return {key: _key(key) + _dumps(value) for key, value in values.items()}

    def with_pieces(self, pieces: dict[str, str]) -> Encoded:
        """:meth:`with_values` of the values :meth:`pieces_of` encoded."""
        return Encoded("{" + ", ".join((self.pieces | pieces).values()) + "}")


def new_revision_json(snapshot: dict) -> tuple[Encoded, Encoded, list[str]]:
    """The JSON of a new entry's snapshot and of its changes (``diff_snapshots(None,
    snapshot)`` as ``Change.as_dict`` gives them), and the changed fields in order: each
    value encoded once, for both."""
    text, changes, fields = new_revision(snapshot)
    return text.json(), changes, fields


def new_revision(snapshot: dict) -> tuple[SnapshotText, Encoded, list[str]]:
    """:func:`new_revision_json` with the snapshot's text kept as a :class:`SnapshotText`."""
    pieces, top, items = {}, [], []
    for key, value in snapshot.items():
        if key != "items":
            text = _dumps(value)
            pieces[key] = _key(key) + text
            if value is not None:  # against nothing, every field that is not None changed
                top.append((key, text))
            continue
        whole, texts = _each(value)
        pieces[key] = '"items": ' + whole
        by_name = {}  # as diff_snapshots: by name, the first one's place, the last one's value
        for item, text in zip(value, texts, strict=True):
            by_name[item["name"]] = text
        items = [(f"items[{name}]", text) for name, text in by_name.items()]
    top.sort(key=lambda kv: kv[0])  # diff_snapshots visits the fields in sorted order, items last
    changes = [_added(field) + text + "}" for field, text in top]
    changes += [_ADDED + _dumps(field) + _AFTER + text + "}" for field, text in items]
    fields = [field for field, _ in top + items]
    return SnapshotText(pieces), Encoded("[" + ", ".join(changes) + "]"), fields


_ADDED, _AFTER = '{"field": ', ', "before": null, "after": '


@lru_cache(maxsize=256)
def _key(key: str) -> str:
    return encode_basestring_ascii(key) + ": "


@lru_cache(maxsize=256)
def _added(field: str) -> str:
    return _ADDED + encode_basestring_ascii(field) + _AFTER


def _each(values: list) -> tuple[str, list[str]]:
    """A list's JSON and each element's, from one encoding: the list's text split where
    elements meet. Dicts' texts meet at "}, {"; when the split does not give one piece
    per element, that text occurs inside one too, and each is encoded on its own instead."""
    whole = _encode(values)
    if len(values) > 1 and all(v.__class__ is dict for v in values):
        pieces = whole[2:-2].split("}, {")
        if len(pieces) == len(values):
            return whole, ["{" + p + "}" for p in pieces]
    return whole, [_encode(v) for v in values]
