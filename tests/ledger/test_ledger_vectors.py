"""The transparency-dev/merkle test vectors (copied into ./vectors, Apache-2.0) and reference tree."""

from __future__ import annotations

import base64
import filecmp
import hashlib
import json
from pathlib import Path

import pytest

from huitong.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parent / "vectors"
SHARED = Path(__file__).resolve().parents[2].parent / "shared/guide/ledger-vectors"
INCLUSION = sorted(VECTORS.glob("inclusion/*/*.json")) + sorted(VECTORS.glob("inclusion/*/*/*.json"))
CONSISTENCY = sorted(VECTORS.glob("consistency/*/*.json"))
REFERENCE = json.loads((VECTORS / "reference-tree.json").read_text())
LEAVES = [bytes.fromhex(x) for x in REFERENCE["leaf_inputs_hex"]]
ROOTS = [bytes.fromhex(x) for x in REFERENCE["root_hashes_hex_by_size"]]


def _b64(x: str | None) -> bytes:
    return base64.b64decode(x or "")


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _name(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def _reference_store() -> MemoryNodeStore:
    return MemoryNodeStore(leaf_hash(x) for x in LEAVES)


def test_vector_counts():
    """Guards against a glob that silently finds nothing; 196 cases, 12 to accept."""
    cases = [_load(p) for p in INCLUSION + CONSISTENCY]
    assert (len(INCLUSION), len(CONSISTENCY)) == (98, 98)
    assert sum(not c["wantErr"] for c in cases) == 12


def test_copy_matches_shared_original():
    if not SHARED.is_dir():
        pytest.skip("shared/guide/ledger-vectors is not checked out beside the repo")
    for original in SHARED.rglob("*"):
        if original.is_file():
            copy = VECTORS / original.relative_to(SHARED)
            assert copy.is_file() and filecmp.cmp(original, copy, shallow=False), copy


@pytest.mark.parametrize("path", INCLUSION, ids=_name)
def test_inclusion_vector(path):
    case = _load(path)
    args = (
        _b64(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=_name)
def test_consistency_vector(path):
    case = _load(path)
    args = (
        case["size1"],
        case["size2"],
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root1"]),
        _b64(case["root2"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_happy_path_proofs_are_what_we_generate():
    """The accepted vectors come from the reference tree: our generator must emit the same bytes."""
    store = _reference_store()
    seen = 0
    for path in INCLUSION + CONSISTENCY:
        case = _load(path)
        if case["wantErr"] or case.get("treeSize", case.get("size2", 0)) > len(LEAVES):
            continue
        want = [_b64(p) for p in case["proof"] or []]
        if "leafIdx" in case:
            if _b64(case["root"]) != ROOTS[case["treeSize"]]:
                continue  # single-entry vectors use a leaf of their own
            assert inclusion_proof(store, case["leafIdx"], case["treeSize"]) == want, path
        else:
            assert consistency_proof(store, case["size1"], case["size2"]) == want, path
        seen += 1
    assert seen == 11


def test_rfc6962_hash_vectors():
    """From transparency-dev/merkle rfc6962/rfc6962_test.go."""
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert (
        node_hash(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


def test_reference_tree_roots_at_every_size():
    assert len(ROOTS) == 9
    store = MemoryNodeStore()
    assert store.root() == ROOTS[0] == hashlib.sha256(b"").digest()
    for n, data in enumerate(LEAVES, start=1):
        store.append(leaf_hash(data))
        assert store.root() == ROOTS[n], n
    full = _reference_store()
    for n in range(9):
        assert root(full, n) == ROOTS[n], n


def _hd(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


# From transparency-dev/merkle testonly/reference_test.go (the RFC 6962 reference proofs).
REF_INCLUSION = {
    (0, 1): [],
    (0, 2): _hd("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    (1, 2): _hd("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    (2, 3): _hd("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    (1, 5): _hd(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ),
    (0, 8): _hd(
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ),
    (5, 8): _hd(
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ),
}
REF_CONSISTENCY = {
    (1, 1): [],
    (1, 8): REF_INCLUSION[(0, 8)],
    (2, 5): _hd(
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ),
    (6, 8): _hd(
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ),
}


def test_reference_proofs_are_generated_exactly():
    store = _reference_store()
    for (index, size), want in REF_INCLUSION.items():
        assert inclusion_proof(store, index, size) == want, (index, size)
    for (size1, size2), want in REF_CONSISTENCY.items():
        assert consistency_proof(store, size1, size2) == want, (size1, size2)


def test_every_generated_proof_on_the_reference_tree_verifies():
    store = _reference_store()
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(store, index, size)
            verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])
        for size1 in range(1, size + 1):
            verify_consistency(size1, size, consistency_proof(store, size1, size), ROOTS[size1], ROOTS[size])
