"""C2SP tlog-checkpoint / signed-note: known answers from other implementations, round trips, tampering."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from huitong.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    add_signature,
    key_id,
    open_note,
    open_signed_note,
    parse_vkey,
    sign_note,
    vkey,
)
from huitong.ledger.merkle import EMPTY_ROOT, leaf_hash

# golang.org/x/mod/sumdb/note (package doc and note_test.go): a key pair and the exact note it signs.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = (
    b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
# Same doc: "EnochRoot" is GenerateKey with an all-zero random source, i.e. the all-zero seed.
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# A real Go checksum database checkpoint and its public key (transparency-dev/formats log tests).
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = (
    "go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n"
    "— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n"
).encode()

# The example note of C2SP signed-note.md: its text has an empty line; the spec gives no key for it.
C2SP_NOTE = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
    "— quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
).encode()

ORIGIN = "huitong.example/ledger"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
ROOT = leaf_hash(b"root")


def _peter_key() -> Ed25519PrivateKey:
    raw = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert raw[0] == 0x01
    return Ed25519PrivateKey.from_private_bytes(raw[1:])


# --- known answers -----------------------------------------------------------------------


def test_sign_note_reproduces_go_sumdb_note_byte_for_byte():
    key = _peter_key()
    assert vkey("PeterNeumann", key.public_key()) == PETER_VKEY
    assert key_id("PeterNeumann", key.public_key()).hex() == "c74f20a3"
    assert sign_note(PETER_TEXT, "PeterNeumann", key) == PETER_TEXT + b"\n" + PETER_SIG.encode()


def test_second_signature_reproduces_go_doubly_signed_note():
    enoch = Ed25519PrivateKey.from_private_bytes(bytes(32))
    assert vkey("EnochRoot", enoch.public_key()) == ENOCH_VKEY
    signed = add_signature(sign_note(PETER_TEXT, "PeterNeumann", _peter_key()), "EnochRoot", enoch)
    assert signed == PETER_TEXT + b"\n" + PETER_SIG.encode() + ENOCH_SIG.encode()
    opened = open_signed_note(signed, dict([parse_vkey(PETER_VKEY), parse_vkey(ENOCH_VKEY)]))
    assert [s.key_name for s in opened.verified] == ["PeterNeumann", "EnochRoot"]


def test_real_sumdb_checkpoint_opens():
    name, public_key = parse_vkey(SUMDB_VKEY)
    checkpoint = open_note(SUMDB_NOTE, {name: public_key}, origin="go.sum database tree")
    assert checkpoint.size == 6476701
    assert base64.b64encode(checkpoint.root_hash) == b"mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk="
    assert checkpoint.extensions == () and checkpoint.timestamp is None
    assert checkpoint.body() == SUMDB_NOTE.split(b"\n\n")[0] + b"\n"
    with pytest.raises(CheckpointError, match="bad signature from trusted key sum.golang.org"):
        open_note(SUMDB_NOTE.replace(b"6476701", b"6476702"), {name: public_key})


@pytest.mark.parametrize(
    "text",
    [
        PETER_VKEY,
        ENOCH_VKEY,
        SUMDB_VKEY,
        # the signed-note example key, as a third-party implementation (go.thesmos.sh) quotes it
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        # transparency-dev/formats: its base64 contains a '+'
        "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
    ],
)
def test_vkeys_of_other_implementations_round_trip(text):
    name, public_key = parse_vkey(text)
    assert vkey(name, public_key) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("example.com/foo", "malformed verifier key"),
        ("example.com/foo+530d903a", "malformed verifier key"),
        ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
        ("example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "malformed verifier key"),
        ("a b+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "malformed verifier key"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k!", "malformed verifier key"),
        (
            "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
            "unsupported signature type",
        ),
        ("a+00000000+AQI=", "32 bytes"),
    ],
)
def test_bad_vkeys_are_refused(text, message):
    with pytest.raises(CheckpointError, match=message):
        parse_vkey(text)


def test_c2sp_example_note_splits_at_the_last_blank_line():
    """No key is published for it, so it must be refused, naming the unknown key."""
    with pytest.raises(CheckpointError, match=r"unknown key: quasimodo.example/salvatore\+367ba04b"):
        open_signed_note(C2SP_NOTE, {"quasimodo.example/salvatore": KEY.public_key()})


# --- round trips -------------------------------------------------------------------------


def test_round_trip_with_timestamp_and_extensions():
    checkpoint = Checkpoint.at(ORIGIN, 12345, ROOT, 1763892000, ["region 330100"])
    body = checkpoint.body()
    assert body == (
        f"{ORIGIN}\n12345\n{base64.b64encode(ROOT).decode()}\ntimestamp 1763892000\nregion 330100\n".encode()
    )
    note = sign_note(body, ORIGIN, KEY)
    assert note.startswith(body + b"\n\xe2\x80\x94 " + ORIGIN.encode() + b" ")  # em dash, space
    opened = open_note(note, {ORIGIN: KEY.public_key()}, origin=ORIGIN)
    assert opened == checkpoint and opened.timestamp == 1763892000
    assert Checkpoint.parse(body) == checkpoint


def test_empty_tree_checkpoint():
    checkpoint = Checkpoint(ORIGIN, 0, EMPTY_ROOT)
    assert open_note(sign_note(checkpoint.body(), ORIGIN, KEY), {ORIGIN: KEY.public_key()}) == checkpoint


def test_rotation_old_and_new_keys_verify_and_unknown_signatures_are_ignored():
    verifiers = {ORIGIN: [KEY.public_key(), OTHER.public_key()]}
    old = sign_note(Checkpoint(ORIGIN, 5, ROOT).body(), ORIGIN, KEY)
    new = sign_note(Checkpoint(ORIGIN, 9, ROOT).body(), ORIGIN, OTHER)
    assert open_note(old, verifiers).size == 5
    assert open_note(new, verifiers).size == 9
    cosigned = add_signature(new, "witness.example/w1", KEY)  # a witness we do not know
    opened = open_signed_note(cosigned, {ORIGIN: OTHER.public_key()})
    assert [s.key_name for s in opened.unverified] == ["witness.example/w1"]
    assert open_note(cosigned, {ORIGIN: OTHER.public_key()}).size == 9


# --- tampering and malformed input -------------------------------------------------------


def _signed(size=7, root=ROOT, origin=ORIGIN, extensions=()) -> bytes:
    return sign_note(Checkpoint(origin, size, root, extensions).body(), ORIGIN, KEY)


def _verifiers():
    return {ORIGIN: KEY.public_key()}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"\n7\n", b"\n8\n"),  # size
        (base64.b64encode(ROOT)[:8], base64.b64encode(leaf_hash(b"x"))[:8]),  # root
        (ORIGIN.encode(), b"huitong.example/other"),  # origin (body only: replace once)
    ],
)
def test_changed_body_is_rejected(old, new):
    note = _signed().replace(old, new, 1)
    with pytest.raises(CheckpointError, match="bad signature from trusted key"):
        open_note(note, _verifiers())


def test_every_signature_byte_matters():
    note = _signed()
    text, sig_line = note.rsplit(b"\n\n", 1)
    name, b64 = sig_line.decode().rstrip("\n").split(" ")[1:]
    sig = base64.b64decode(b64)
    for i in range(len(sig)):
        flipped = bytearray(sig)
        flipped[i] ^= 0x01
        bad = text + b"\n\n" + f"— {name} {base64.b64encode(bytes(flipped)).decode()}\n".encode()
        expected = "not signed by any trusted key" if i < 4 else "bad signature"
        with pytest.raises(CheckpointError, match=expected):
            open_note(bad, _verifiers())


def test_wrong_origin_and_unknown_key_are_rejected():
    with pytest.raises(CheckpointError, match="expected 'huitong.example/other'"):
        open_note(_signed(), _verifiers(), origin="huitong.example/other")
    with pytest.raises(CheckpointError, match="not signed by any trusted key"):
        open_note(_signed(), {ORIGIN: OTHER.public_key()})
    with pytest.raises(CheckpointError, match="not signed by any trusted key"):
        open_note(_signed(), {"someone.else": KEY.public_key()})


def _body_note(body: bytes) -> bytes:
    """Sign an arbitrary body, bypassing Checkpoint, to test the parser behind a valid signature."""
    return (
        body
        + b"\n"
        + f"— {ORIGIN} ".encode()
        + base64.b64encode(key_id(ORIGIN, KEY.public_key()) + KEY.sign(body))
        + b"\n"
    )


ROOT_B64 = base64.b64encode(ROOT)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"o\n07\n" + ROOT_B64 + b"\n", "not canonical decimal"),
        (b"o\n+7\n" + ROOT_B64 + b"\n", "not canonical decimal"),
        (b"o\n7 \n" + ROOT_B64 + b"\n", "not canonical decimal"),
        (b"o\n-1\n" + ROOT_B64 + b"\n", "not canonical decimal"),
        ("o\n٧\n".encode() + ROOT_B64 + b"\n", "not canonical decimal"),  # Arabic-Indic seven
        (b"o\n18446744073709551616\n" + ROOT_B64 + b"\n", "not canonical decimal"),
        (b"o\n7\n" + ROOT_B64.rstrip(b"=") + b"\n", "not canonical base64"),
        (b"o\n7\n" + base64.b64encode(ROOT[:31]) + b"\n", "root hash is 31 bytes"),
        (b"o\n7\n", "want origin, size and root hash lines"),
        (b"\n7\n" + ROOT_B64 + b"\n", "origin must be one non-empty line"),
    ],
)
def test_malformed_bodies_are_rejected_even_when_signed(body, message):
    with pytest.raises(CheckpointError, match=message):
        open_note(_body_note(body), _verifiers())


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (b"o\n7\nroot\n", "no blank line"),
        (b"o\n7\nroot\n\n", "no signature lines"),
        (b"o\n7\nroot\n\n- o AAAA\n", "must start with an em dash"),
        ("o\n7\nroot\n\n— o AAAA".encode(), "lacks a newline"),
        ("o\n7\nroot\n\n— o AAAAAA==\n".encode(), "too short"),
        ("o\n7\nroot\n\n— o not-base64\n".encode(), "not base64"),
        ("o\n7\nroot\n\n— a+b AAAAAAAA\n".encode(), "key name"),
        ("o\n7\r\nroot\n\n— o AAAAAAAA\n".encode(), "control characters"),
        (b"o\n7\n\xff\n\n\xe2\x80\x94 o AAAAAAAA\n", "not UTF-8"),
    ],
)
def test_malformed_notes_are_rejected(note, message):
    with pytest.raises(CheckpointError, match=message):
        open_note(note, _verifiers())


def test_too_many_signatures_are_refused():
    note = _signed()
    extra = "".join(f"— w{i}.example AAAAAAAA\n" for i in range(100)).encode()
    with pytest.raises(CheckpointError, match="more than 100 signatures"):
        open_note(note + extra, _verifiers())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": ""},
        {"origin": "a\nb"},
        {"size": -1},
        {"size": 1 << 64},
        {"size": True},
        {"root_hash": b"\x00" * 31},
        {"extensions": ("",)},
        {"extensions": ("— fake signature",)},
        {"extensions": ("two\nlines",)},
    ],
)
def test_checkpoint_refuses_unencodable_values(kwargs):
    args = {"origin": ORIGIN, "size": 1, "root_hash": ROOT, **kwargs}
    with pytest.raises(CheckpointError):
        Checkpoint(**args)


def test_sign_note_refuses_bad_names_and_text():
    with pytest.raises(CheckpointError, match="key name"):
        sign_note(b"text\n", "bad name", KEY)
    with pytest.raises(CheckpointError, match="control characters"):
        sign_note(b"a\rb\n", ORIGIN, KEY)
