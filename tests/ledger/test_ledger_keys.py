"""Signing key files: generation, permissions, rotation, and keys staying out of reprs."""

from __future__ import annotations

import logging
import os
import pickle
import stat
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from huitong.ledger.checkpoint import Checkpoint, open_note, sign_note
from huitong.ledger.keys import (
    PRIVATE_FILE,
    PUBLIC_FILE,
    LedgerKeyError,
    fingerprint,
    generate_keys,
    load_keys,
    rotate_keys,
)
from huitong.ledger.merkle import leaf_hash

ORIGIN = "huitong.example/ledger"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 6, 1, tzinfo=UTC)
T2 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _raw_private(ring) -> bytes:
    return ring.signing.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


@posix_only
def test_generate_writes_private_key_0600_and_loads_back(tmp_path):
    d = tmp_path / "keys"
    ring = generate_keys(d, now=T0)
    assert stat.S_IMODE((d / PRIVATE_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert (d / PUBLIC_FILE).read_text().startswith(f"Fingerprint: {ring.signing.fingerprint}\n")
    again = load_keys(d)
    assert _raw_private(again) == _raw_private(ring)
    assert again.current.valid_from == T0 and again.current.valid_until is None
    assert sorted(p.name for p in d.iterdir()) == [PRIVATE_FILE, PUBLIC_FILE]


def test_generate_refuses_to_overwrite(tmp_path):
    generate_keys(tmp_path, now=T0)
    with pytest.raises(LedgerKeyError, match="already exists") as info:
        generate_keys(tmp_path)
    assert info.value.status == 409


def test_rotation_keeps_old_public_keys_so_old_checkpoints_verify(tmp_path):
    first = generate_keys(tmp_path, now=T0)
    old_note = sign_note(
        Checkpoint.at(ORIGIN, 3, leaf_hash(b"a"), int(T0.timestamp())).body(),
        ORIGIN,
        first.signing.private_key,
    )
    second = rotate_keys(tmp_path, now=T1)
    third = rotate_keys(tmp_path, now=T2)
    assert len({first.signing.fingerprint, second.signing.fingerprint, third.signing.fingerprint}) == 3
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    assert (tmp_path / f"ledger-signing-{first.signing.fingerprint}.pub").is_file()

    ring = load_keys(tmp_path)
    assert [r.fingerprint for r in ring.public_keys] == [
        third.signing.fingerprint,
        second.signing.fingerprint,
        first.signing.fingerprint,
    ]
    assert [(r.valid_from, r.valid_until) for r in ring.public_keys] == [(T2, None), (T1, T2), (T0, T1)]

    checkpoint = open_note(old_note, ring.verifiers(ORIGIN))
    signer = ring.record(first.signing.public_key)
    assert signer is not None and signer.valid_at(checkpoint.timestamp)
    assert not signer.valid_at(T2) and ring.current.valid_at(T2)
    new_note = sign_note(Checkpoint(ORIGIN, 4, leaf_hash(b"b")).body(), ORIGIN, ring.signing.private_key)
    assert open_note(new_note, ring.verifiers(ORIGIN)).size == 4


def test_rotation_time_must_move_forward(tmp_path):
    generate_keys(tmp_path, now=T1)
    with pytest.raises(LedgerKeyError, match="must be after"):
        rotate_keys(tmp_path, now=T0)


def test_keys_never_appear_in_repr_str_logs_or_pickles(tmp_path, caplog):
    ring = generate_keys(tmp_path, now=T0)
    pem = (tmp_path / PRIVATE_FILE).read_text()
    secret_b64 = "".join(pem.splitlines()[1:-1])
    public_b64 = "".join((tmp_path / PUBLIC_FILE).read_text().split("-----")[2].split())
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("ring %s %r %s", ring, ring, ring.signing)
    shown = repr(ring) + str(ring) + repr(ring.signing) + str(ring.signing) + caplog.text
    assert ring.signing.fingerprint in shown
    for secret in (secret_b64, public_b64, _raw_private(ring).hex()):
        assert secret not in shown
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(ring.signing)


@posix_only
def test_load_refuses_a_private_key_others_can_read(tmp_path):
    generate_keys(tmp_path, now=T0)
    os.chmod(tmp_path / PRIVATE_FILE, 0o644)
    with pytest.raises(LedgerKeyError, match="chmod 600"):
        load_keys(tmp_path)


def test_load_explains_missing_and_mismatched_files(tmp_path):
    with pytest.raises(LedgerKeyError, match="generate one first") as info:
        load_keys(tmp_path)
    assert info.value.status == 404
    generate_keys(tmp_path / "a", now=T0)
    generate_keys(tmp_path / "b", now=T0)
    (tmp_path / "a" / PUBLIC_FILE).write_bytes((tmp_path / "b" / PUBLIC_FILE).read_bytes())
    with pytest.raises(LedgerKeyError, match="interrupted rotation"):
        load_keys(tmp_path / "a")
    (tmp_path / "b" / PUBLIC_FILE).unlink()
    with pytest.raises(LedgerKeyError, match="missing public key file"):
        load_keys(tmp_path / "b")


def test_load_refuses_a_corrupt_or_misnamed_file(tmp_path):
    ring = generate_keys(tmp_path, now=T0)
    rotate_keys(tmp_path, now=T1)
    retired = tmp_path / f"ledger-signing-{ring.signing.fingerprint}.pub"
    retired.rename(tmp_path / "ledger-signing-0000000000000000.pub")
    with pytest.raises(LedgerKeyError, match="named by its fingerprint"):
        load_keys(tmp_path)
    (tmp_path / "ledger-signing-0000000000000000.pub").unlink()
    key = tmp_path / PRIVATE_FILE
    key.write_text("not a key")
    with pytest.raises(LedgerKeyError, match="not an unencrypted PEM private key") as info:
        load_keys(tmp_path)
    assert "not a key" not in str(info.value)


def test_fingerprint_is_independent_of_the_log_name(tmp_path):
    ring = generate_keys(tmp_path, now=T0)
    assert fingerprint(ring.signing.public_key) == ring.signing.fingerprint
    assert len(ring.signing.fingerprint) == 16
    assert ring.verifiers("a.example/x")["a.example/x"][0] == ring.signing.public_key
