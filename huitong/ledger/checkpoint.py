"""Signed tree heads as C2SP ``tlog-checkpoint`` bodies inside C2SP ``signed-note``s.

Using the C2SP formats (not a home-grown JSON envelope) lets any Go-ecosystem witness or
monitor (sumdb/note, transparency-dev/formats) check our checkpoints unchanged.

A checkpoint body is::

    <origin>\\n<tree size, decimal>\\n<base64 root hash>\\n[<extension line>\\n ...]

huitong writes one extension line, ``timestamp <unix seconds>`` (see ``TIMESTAMP``), so a
checkpoint says when the log signed it. C2SP discourages extension lines because monitors
cannot audit them: treat the time as the log's own claim; trusted time comes from an
RFC 3161 timestamp over the note, kept outside the checkpoint.

A signed note is the body, a blank line, then ``— <key name> <base64(key id || sig)>``
lines. The key id is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from huitong.errors import HuitongError

ED25519 = 0x01  # signed-note signature type byte
TIMESTAMP = "timestamp"  # extension line: "timestamp <unix seconds>"
MAX_SIGNATURES = 100  # the spec asks verifiers to bound work and accept at least 16
MAX_NOTE_BYTES = 1 << 20

_SIG_PREFIX = "— "  # em dash U+2014, space
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_TIMESTAMP = re.compile(r"timestamp (0|[1-9][0-9]{0,18})")
_HASH_SIZE = 32


class CheckpointError(HuitongError):
    """A note or checkpoint that is malformed or not signed by a trusted key."""

    def __init__(self, message: str):
        super().__init__(message, code="checkpoint_invalid", status=422)


# --- keys as signed-note names them ------------------------------------------------------


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte signed-note key id; it binds the name, so one key under two names differs."""
    _check_key_name(key_name)
    data = key_name.encode() + b"\n" + bytes([ED25519]) + public_key_bytes(public_key)
    return hashlib.sha256(data).digest()[:4]


def vkey(key_name: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key string ``<name>+<hex key id>+<base64(0x01 || key)>`` to hand out."""
    raw = bytes([ED25519]) + public_key_bytes(public_key)
    return f"{key_name}+{key_id(key_name, public_key).hex()}+{base64.b64encode(raw).decode()}"


def parse_vkey(text: str) -> tuple[str, Ed25519PublicKey]:
    """Read a verifier key string, checking its key id; returns ``(key name, public key)``."""
    name, _, rest = text.strip().partition("+")
    hex_id, _, b64 = rest.partition("+")  # base64 may itself contain "+": split twice only
    try:
        raw = _b64decode(b64)
        want_id = bytes.fromhex(hex_id)
    except ValueError:
        raise CheckpointError("malformed verifier key: bad hex key id or base64 key") from None
    if len(hex_id) != 8 or len(want_id) != 4 or not _valid_name(name) or not raw:
        raise CheckpointError("malformed verifier key: want <name>+<8 hex digits>+<base64 key>")
    if raw[0] != ED25519:
        raise CheckpointError(f"verifier key {name}: unsupported signature type {raw[0]:#04x}")
    if len(raw) != 33:
        raise CheckpointError(f"verifier key {name}: an Ed25519 key is 32 bytes, got {len(raw) - 1}")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public_key) != want_id:
        raise CheckpointError(f"verifier key {name}: key id {hex_id} does not match the key")
    return name, public_key


# --- the checkpoint body -----------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log (origin), how many leaves, and their Merkle root."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "extensions", tuple(self.extensions))
        if not self.origin or not _valid_line(self.origin):
            raise CheckpointError("checkpoint origin must be one non-empty line without control characters")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 <= self.size < 1 << 64:
            raise CheckpointError(f"checkpoint size must be an integer in 0..2**64-1, got {self.size!r}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != _HASH_SIZE:
            raise CheckpointError(f"checkpoint root hash must be {_HASH_SIZE} bytes")
        for line in self.extensions:
            if not line or not _valid_line(line) or line.startswith("—"):
                raise CheckpointError(
                    "checkpoint extension lines must be non-empty, one line, no control characters, "
                    "and must not start with an em dash"
                )

    @classmethod
    def at(
        cls, origin: str, size: int, root_hash: bytes, timestamp: int, extensions: Iterable[str] = ()
    ) -> Checkpoint:
        """A checkpoint carrying huitong's ``timestamp <unix seconds>`` extension line first."""
        if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
            raise CheckpointError(f"checkpoint timestamp must be a non-negative integer, got {timestamp!r}")
        return cls(origin, size, root_hash, (f"{TIMESTAMP} {timestamp}", *extensions))

    @property
    def timestamp(self) -> int | None:
        """Unix seconds from the first ``timestamp`` extension line, if there is one."""
        for line in self.extensions:
            m = _TIMESTAMP.fullmatch(line)
            if m:
                return int(m.group(1))
        return None

    def body(self) -> bytes:
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines).encode()

    @classmethod
    def parse(cls, body: bytes) -> Checkpoint:
        """Parse a body strictly: canonical size and base64, so one tree head has one encoding."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckpointError("malformed checkpoint: not UTF-8") from None
        if not text.endswith("\n"):
            raise CheckpointError("malformed checkpoint: the body must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("malformed checkpoint: want origin, size and root hash lines")
        origin, size, root_b64, *extensions = lines
        if not _SIZE.fullmatch(size) or int(size) >= 1 << 64:
            raise CheckpointError(
                f"malformed checkpoint: tree size {size[:30]!r} is not canonical decimal (no sign, "
                "no leading zeros, at most 2**64-1)"
            )
        try:
            root_hash = _b64decode(root_b64)
        except ValueError:
            raise CheckpointError("malformed checkpoint: root hash is not canonical base64") from None
        if len(root_hash) != _HASH_SIZE:
            raise CheckpointError(f"malformed checkpoint: root hash is {len(root_hash)} bytes, want 32")
        try:
            return cls(origin, int(size), root_hash, tuple(extensions))
        except CheckpointError as e:
            raise CheckpointError(f"malformed checkpoint: {e.message}") from None


# --- signed notes ------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    key_name: str
    key_id: bytes
    public_key: Ed25519PublicKey | None  # None: from a key we do not know (kept, not verified)


@dataclass(frozen=True)
class OpenedNote:
    text: bytes
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def sign_note(body: bytes, key_name: str, private_key: Ed25519PrivateKey) -> bytes:
    """Sign ``body`` as a signed note with one Ed25519 signature line."""
    _check_text(body)
    return add_signature(body + b"\n", key_name, private_key)


def add_signature(note: bytes, key_name: str, private_key: Ed25519PrivateKey) -> bytes:
    """Append one more signature line (e.g. the next key during a rotation) to a note.

    ``note`` is either a signed note or ``body + b"\\n"`` (the body and the blank line).
    """
    text, sigs = _split(note) if not note.endswith(b"\n\n") else (note[:-1], b"")
    _check_text(text)
    kid = key_id(key_name, private_key.public_key())
    line = f"{_SIG_PREFIX}{key_name} {base64.b64encode(kid + private_key.sign(text)).decode()}\n"
    return text + b"\n" + sigs + line.encode()


VerifierKeys = Mapping[str, Ed25519PublicKey | Iterable[Ed25519PublicKey]]


def open_signed_note(note: bytes, verifiers: VerifierKeys) -> OpenedNote:
    """Check a note's signatures as signed-note requires.

    ``verifiers`` maps a key name to its public key, or to several (current and retired keys).
    Signatures from unknown (name, key id) pairs are ignored; a known key whose signature
    fails rejects the whole note; at least one known key must have signed.
    """
    known = _index(verifiers)
    if len(note) > MAX_NOTE_BYTES:
        raise CheckpointError(f"malformed note: larger than {MAX_NOTE_BYTES} bytes")
    text, sigs = _split(note)
    _check_text(text)
    lines = sigs.decode("utf-8").split("\n")[:-1]
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    verified: dict[tuple[str, bytes], NoteSignature] = {}
    unverified: dict[tuple[str, bytes], NoteSignature] = {}
    for line in lines:
        name, sig = _parse_sig_line(line)
        kid, sig = sig[:4], sig[4:]
        public_key = known.get((name, kid))
        if public_key is None:
            unverified.setdefault((name, kid), NoteSignature(name, kid, None))
            continue
        try:
            if len(sig) != 64:
                raise InvalidSignature
            public_key.verify(sig, text)
        except InvalidSignature:
            raise CheckpointError(f"bad signature from trusted key {name}+{kid.hex()}") from None
        verified.setdefault((name, kid), NoteSignature(name, kid, public_key))
    if not verified:
        seen = ", ".join(f"{n}+{k.hex()}" for n, k in unverified) or "none"
        raise CheckpointError(f"note is not signed by any trusted key (signed by unknown key: {seen})")
    return OpenedNote(text, tuple(verified.values()), tuple(unverified.values()))


def open_note(note: bytes, verifiers: VerifierKeys, *, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint and parse it; pass ``origin`` to insist on one log."""
    checkpoint = Checkpoint.parse(open_signed_note(note, verifiers).text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for log {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


def _index(verifiers: VerifierKeys) -> dict[tuple[str, bytes], Ed25519PublicKey]:
    known: dict[tuple[str, bytes], Ed25519PublicKey] = {}
    for name, keys in verifiers.items():
        for public_key in [keys] if isinstance(keys, Ed25519PublicKey) else keys:
            kid = key_id(name, public_key)
            other = known.setdefault((name, kid), public_key)
            if public_key_bytes(other) != public_key_bytes(public_key):
                raise CheckpointError(f"two trusted keys share the name and key id {name}+{kid.hex()}")
    return known


def _split(note: bytes) -> tuple[bytes, bytes]:
    """Split at the last blank line into (text with its final newline, signature lines)."""
    split = note.rfind(b"\n\n")
    if split < 0:
        raise CheckpointError("malformed note: no blank line before the signatures")
    text, sigs = note[: split + 1], note[split + 2 :]
    if not sigs or not sigs.endswith(b"\n"):
        raise CheckpointError("malformed note: no signature lines, or the last one lacks a newline")
    _check_text(sigs)
    return text, sigs


def _parse_sig_line(line: str) -> tuple[str, bytes]:
    if not line.startswith(_SIG_PREFIX):
        raise CheckpointError("malformed note: a signature line must start with an em dash and a space")
    name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
    if not _valid_name(name):
        raise CheckpointError("malformed note: a signature key name is empty or has spaces or '+'")
    try:
        sig = _b64decode(b64)
    except ValueError:
        raise CheckpointError(f"malformed note: signature from {name} is not base64") from None
    if len(sig) < 5:
        raise CheckpointError(f"malformed note: signature from {name} is too short")
    return name, sig


def _check_text(text: bytes) -> None:
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError("malformed note: not UTF-8") from None
    if any(ch < " " and ch != "\n" for ch in decoded):
        raise CheckpointError("malformed note: control characters other than newline")
    if not decoded.endswith("\n"):
        raise CheckpointError("malformed note: the text must end with a newline")


def _b64decode(text: str) -> bytes:
    """Strict standard base64: padded, no stray characters, canonical trailing bits."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise ValueError(str(e)) from None
    if base64.b64encode(raw).decode() != text:
        raise ValueError("non-canonical base64")
    return raw


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name) and _valid_line(name)


def _check_key_name(name: str) -> None:
    if not _valid_name(name):
        raise CheckpointError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _valid_line(line: str) -> bool:
    return isinstance(line, str) and not any(ch < " " or ch == "\x7f" for ch in line)
