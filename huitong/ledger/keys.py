"""The ledger's Ed25519 signing key, kept as PEM files in one directory.

::

    ledger-signing.key                 current private key, PKCS#8 PEM, mode 0600
    ledger-signing.pub                 its public key
    ledger-signing-<fingerprint>.pub   retired public keys, kept so old checkpoints verify

Rotation retires the public key (never the private one: it is deleted) with the time it
stopped signing. Public key files carry that validity as RFC 7468 explanatory text above
the PEM block, so each file is self-describing and still loads with any PEM reader::

    Fingerprint: 1f2e3d4c5b6a7988
    Valid-From: 2026-11-23T10:00:00Z
    Valid-Until: 2027-05-01T00:00:00Z

The fingerprint is the first 8 bytes of SHA-256 of the raw 32-byte public key, in hex;
unlike the signed-note key id it does not depend on the log's name. No repr, str or error
message here ever contains key material.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from huitong.errors import HuitongError

PRIVATE_FILE = "ledger-signing.key"
PUBLIC_FILE = "ledger-signing.pub"
RETIRED_PATTERN = "ledger-signing-*.pub"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class LedgerKeyError(HuitongError):
    """The key directory is missing, unsafe or inconsistent; the message says how to fix it."""

    def __init__(self, message: str, status: int = 500):
        super().__init__(message, code="ledger_key", status=status)


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


class SigningKey:
    """The current private key; shows only its fingerprint, so it is safe to log or print."""

    __slots__ = ("_private_key", "fingerprint", "valid_from")

    def __init__(self, private_key: Ed25519PrivateKey, valid_from: datetime):
        self._private_key = private_key
        self.fingerprint = fingerprint(private_key.public_key())
        self.valid_from = valid_from

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self._private_key

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        return self._private_key.sign(data)

    def __repr__(self) -> str:
        return f"SigningKey(fingerprint={self.fingerprint!r}, valid_from={_fmt(self.valid_from)!r})"

    __str__ = __repr__

    def __reduce__(self):  # keep the private key out of pickles, caches and task queues
        raise TypeError("a SigningKey cannot be pickled")


@dataclass(frozen=True)
class PublicKeyRecord:
    """A public key and when it signed: ``valid_from <= t < valid_until`` (open if current)."""

    fingerprint: str
    public_key: Ed25519PublicKey = field(repr=False, compare=False)
    valid_from: datetime
    valid_until: datetime | None = None

    def valid_at(self, when: datetime | int) -> bool:
        """Was this key the signing key at ``when`` (a datetime or unix seconds)?"""
        t = _as_datetime(when)
        return self.valid_from <= t and (self.valid_until is None or t < self.valid_until)

    def pem(self) -> bytes:
        lines = [f"Fingerprint: {self.fingerprint}", f"Valid-From: {_fmt(self.valid_from)}"]
        if self.valid_until is not None:
            lines.append(f"Valid-Until: {_fmt(self.valid_until)}")
        spki = self.public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        return "\n".join(lines).encode() + b"\n" + spki


@dataclass(frozen=True)
class KeyRing:
    """The signing key plus every public key it ever used, current first, then newest retired."""

    signing: SigningKey
    public_keys: tuple[PublicKeyRecord, ...]

    @property
    def current(self) -> PublicKeyRecord:
        return self.public_keys[0]

    def verifiers(self, key_name: str) -> dict[str, list[Ed25519PublicKey]]:
        """The mapping ``checkpoint.open_note`` takes: all keys, so old checkpoints verify."""
        return {key_name: [r.public_key for r in self.public_keys]}

    def record(self, public_key: Ed25519PublicKey) -> PublicKeyRecord | None:
        fp = fingerprint(public_key)
        return next((r for r in self.public_keys if r.fingerprint == fp), None)


def generate_keys(directory: str | os.PathLike[str], *, now: datetime | None = None) -> KeyRing:
    """Create the first signing key; refuses to replace an existing one (use rotate_keys)."""
    path = Path(directory)
    if (path / PRIVATE_FILE).exists():
        raise LedgerKeyError(f"{path / PRIVATE_FILE} already exists; use rotation to replace it", status=409)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_current(path, Ed25519PrivateKey.generate(), _now(now))
    return load_keys(path)


def load_keys(directory: str | os.PathLike[str]) -> KeyRing:
    path = Path(directory)
    key_file, pub_file = path / PRIVATE_FILE, path / PUBLIC_FILE
    if not key_file.exists():
        raise LedgerKeyError(f"no ledger signing key at {key_file}; generate one first", status=404)
    mode = key_file.stat().st_mode & 0o777
    if os.name == "posix" and mode & 0o077:
        raise LedgerKeyError(f"{key_file} is readable by other users (mode {mode:o}); chmod 600 it")
    try:
        private_key = load_pem_private_key(key_file.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise LedgerKeyError(f"{key_file} is not an unencrypted PEM private key") from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise LedgerKeyError(f"{key_file} is not an Ed25519 key")
    current = _read_public(pub_file)
    if current.fingerprint != fingerprint(private_key.public_key()) or current.valid_until is not None:
        raise LedgerKeyError(
            f"{pub_file} does not belong to {key_file} (an interrupted rotation?); restore both from backup"
        )
    retired = []
    for file in sorted(path.glob(RETIRED_PATTERN)):
        r = _read_public(file)
        if file.name != f"ledger-signing-{r.fingerprint}.pub" or r.valid_until is None:
            raise LedgerKeyError(f"{file} is not a retired key named by its fingerprint with a Valid-Until")
        if r.fingerprint != current.fingerprint:
            retired.append(r)
    retired.sort(key=lambda r: r.valid_from, reverse=True)
    return KeyRing(SigningKey(private_key, current.valid_from), (current, *retired))


def rotate_keys(directory: str | os.PathLike[str], *, now: datetime | None = None) -> KeyRing:
    """Retire the current key at ``now`` and start signing with a fresh one."""
    path = Path(directory)
    old = load_keys(path)
    when = _now(now)
    if when <= old.current.valid_from:
        raise LedgerKeyError("rotation time must be after the current key's Valid-From", status=409)
    retired = PublicKeyRecord(old.current.fingerprint, old.current.public_key, old.current.valid_from, when)
    _atomic_write(path / f"ledger-signing-{retired.fingerprint}.pub", retired.pem(), 0o644)
    _write_current(path, Ed25519PrivateKey.generate(), when)
    return load_keys(path)


def _write_current(path: Path, private_key: Ed25519PrivateKey, valid_from: datetime) -> None:
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    record = PublicKeyRecord(fingerprint(private_key.public_key()), private_key.public_key(), valid_from)
    _atomic_write(path / PRIVATE_FILE, pem, 0o600)
    _atomic_write(path / PUBLIC_FILE, record.pem(), 0o644)


def _read_public(file: Path) -> PublicKeyRecord:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise LedgerKeyError(f"missing public key file {file}", status=404) from None
    try:
        public_key = load_pem_public_key(data)
    except (ValueError, TypeError):
        raise LedgerKeyError(f"{file} is not a PEM public key") from None
    if not isinstance(public_key, Ed25519PublicKey):
        raise LedgerKeyError(f"{file} is not an Ed25519 public key")
    headers = _headers(data.split(b"-----BEGIN", 1)[0].decode("utf-8", "replace").splitlines())
    try:
        valid_from = _parse_time(headers["valid-from"])
        until = headers.get("valid-until")
        valid_until = _parse_time(until) if until else None
    except (KeyError, ValueError):
        raise LedgerKeyError(f"{file} lacks a valid 'Valid-From: YYYY-MM-DDTHH:MM:SSZ' line") from None
    fp = fingerprint(public_key)
    if headers.get("fingerprint", fp) != fp:
        raise LedgerKeyError(f"{file}: the Fingerprint line does not match the key")
    return PublicKeyRecord(fp, public_key, valid_from, valid_until)


def _headers(lines: Iterable[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def _atomic_write(target: Path, data: bytes, mode: int) -> None:
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed it; never widened for the key
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _now(now: datetime | None) -> datetime:
    return _as_datetime(now or datetime.now(UTC)).replace(microsecond=0)


def _as_datetime(when: datetime | int) -> datetime:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("use a timezone-aware datetime")
        return when.astimezone(UTC)
    return datetime.fromtimestamp(when, UTC)


def _fmt(t: datetime) -> str:
    return t.astimezone(UTC).strftime(_TIME_FORMAT)


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
