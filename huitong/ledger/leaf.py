"""What a leaf commits to, as pure functions shared by the log and the offline verifier.

A leaf is the canonical JSON of an entry's fields, with the details replaced by their
salted hash. Anyone holding an exported entry can rebuild the exact bytes and so its
RFC 9162 leaf hash; changing any field, or the details, changes the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import secrets
from collections.abc import Mapping
from typing import Any

LEAF_VERSION = 1
LEAF_FIELDS = (
    "id",
    "ts_us",
    "actor_id",
    "actor_name",
    "department_id",
    "action",
    "object_type",
    "object_id",
    "result",
    "details_hash",
)
SECRET_KEYS = frozenset({"password", "secret", "token", "password_hash", "secret_hash", "client_secret"})


def canonical_details(details: Mapping[str, Any]) -> str:
    """Sorted, compact JSON; refuses fields that must never be evidence (secrets)."""
    for key in details:
        if str(key).lower() in SECRET_KEYS:
            raise ValueError(f"refusing to record secret field {key!r} as evidence")
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


class _Salts:
    """Salts from keyed BLAKE2b over a counter (a PRF in counter mode): as unpredictable as
    ``os.urandom`` to anyone without the key, without a system call per entry. On the
    delivery path that call handed the interpreter lock away on every request, and winning
    it back cost more than the hash. A forked child draws a key of its own."""

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self._key = secrets.token_bytes(32)
        self._counter = itertools.count()

    def __call__(self) -> str:
        n = next(self._counter)  # atomic: two threads never draw the same number
        return hashlib.blake2b(n.to_bytes(8, "little"), key=self._key, digest_size=16).hexdigest()


new_salt = _Salts()


def details_hash(salt: str, details: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + details.encode("utf-8")).hexdigest()


def leaf_bytes(entry: Mapping[str, Any]) -> bytes:
    """The exact bytes hashed into the tree for one entry (a mapping with LEAF_FIELDS)."""
    return json.dumps(
        [LEAF_VERSION, *(entry[k] for k in LEAF_FIELDS)], ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def subject_key(secret: bytes, value: str) -> str:
    """A keyed hash of an ID number or credit code: stable for lookups, useless without the key."""
    normal = "".join(value.split()).upper()
    return hmac.new(secret, normal.encode("utf-8"), hashlib.sha256).hexdigest()
