"""The node's ledger keys on disk, outside the database: the Ed25519 checkpoint key and
the HMAC key for subject lookups. Created at ``huitong init``; never logged."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from huitong.ledger.keys import PRIVATE_FILE, KeyRing, generate_keys, load_keys

SUBJECT_FILE = "subject-lookup.key"


def ensure_keys(keys_dir: Path) -> tuple[KeyRing, bytes]:
    """Load the keys, generating any that do not exist yet (first start)."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    ring = load_keys(keys_dir) if (keys_dir / PRIVATE_FILE).exists() else generate_keys(keys_dir)
    subject = keys_dir / SUBJECT_FILE
    if not subject.exists():
        fd = os.open(subject, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    return ring, subject.read_bytes()
