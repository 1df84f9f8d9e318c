"""The two keyed or seeded hashes the operators share, each as a Python reference and its SQL form.

Both use SHA-256 only, which DuckDB has built in and which does not change between versions, so a
release rebuilt next year from the same plan, seed and key is the same release.
"""

from __future__ import annotations

import hashlib
import hmac

_BLOCK = 64  # SHA-256's block size: RFC 2104 pads the key to it
UNIFORM_BITS = 52  # 13 hex digits: every value is exact in a double


def hmac_hex(key: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` (UTF-8) under ``key``, in hex: what the SQL form must equal."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """K ⊕ ipad and K ⊕ opad (RFC 2104): computed here once, so the SQL only concatenates and hashes."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_sql(text: str, inner: str, outer: str) -> str:
    """HMAC = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)) over a VARCHAR expression; ``inner``/``outer`` are the
    bound pads (BLOB).  DuckDB's ``sha256`` returns hex, so the inner digest goes back through ``unhex``."""
    return f"sha256({outer} || unhex(sha256({inner} || encode({text}))))"


def uniform(prefix: str, position: int) -> float:
    """A number in (0, 1), the same for the same ``prefix`` (seed and column) and row position."""
    digest = hashlib.sha256(f"{prefix}{position}".encode()).hexdigest()
    return (int(digest[: UNIFORM_BITS // 4], 16) + 0.5) / 2**UNIFORM_BITS


def uniform_sql(prefix: str, position: str) -> str:
    """:func:`uniform` over a bound ``prefix`` (VARCHAR) and an integer ``position`` expression."""
    digits = f"('0x' || substr(sha256({prefix} || CAST({position} AS VARCHAR)), 1, {UNIFORM_BITS // 4}))"
    return f"((CAST({digits} AS UBIGINT)::DOUBLE + 0.5) / {float(2**UNIFORM_BITS)!r})"
