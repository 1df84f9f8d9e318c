"""Passwords (argon2) and API tokens (prefixed, checksummed, hashed at rest).

Tokens look like ``htpat_<id>_<secret><crc>``: the fixed prefix and CRC32 tail let secret
scanners recognise a leaked token without a database. Only a SHA-256 of the secret is
stored: tokens are 160 bits of randomness, so a slow hash adds nothing but latency.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from huitong.errors import invalid

TOKEN_PREFIX = "htpat_"
_ALPHABET = string.ascii_letters + string.digits
_hasher = PasswordHasher()

MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise invalid(f"password too short: at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _b62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_ALPHABET[r])
    return "".join(reversed(out))


@dataclass(frozen=True)
class NewToken:
    token_id: str
    secret: str  # shown once, never stored
    secret_hash: str


def new_token() -> NewToken:
    token_id = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    body = "".join(secrets.choice(_ALPHABET) for _ in range(28))
    payload = f"{token_id}_{body}"
    crc = _b62(zlib.crc32(payload.encode()), 6)
    secret = f"{TOKEN_PREFIX}{payload}{crc}"
    return NewToken(token_id=token_id, secret=secret, secret_hash=hash_token(secret))


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(secret: str) -> str | None:
    """The token id of a well-formed token, or None (bad prefix, shape or checksum)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    rest = secret[len(TOKEN_PREFIX) :]
    if len(rest) != 10 + 1 + 28 + 6 or rest[10] != "_":
        return None
    payload, crc = rest[:-6], rest[-6:]
    if _b62(zlib.crc32(payload.encode()), 6) != crc:
        return None
    return payload[:10]


def token_matches(stored_hash: str, secret: str) -> bool:
    return hmac.compare_digest(stored_hash, hash_token(secret))
