"""Tree building, proof generation against a straight RFC 9162 reference, and tamper properties."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryNodeStore,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

MAX = 300
LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(MAX)]
STORE = MemoryNodeStore(LEAVES)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- a straight transcription of RFC 9162 §2.1, recursive, to check the fast code against ---


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


@functools.cache
def ref_root(start: int, end: int) -> bytes:
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return LEAVES[start]
    k = _split(n)
    return node_hash(ref_root(start, start + k), ref_root(start + k, end))


def ref_path(m: int, start: int, end: int) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return ref_path(m, start, start + k) + [ref_root(start + k, end)]
    return ref_path(m - k, start + k, end) + [ref_root(start, start + k)]


def ref_subproof(m: int, start: int, end: int, complete: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [ref_root(start, end)]
    k = _split(n)
    if m <= k:
        return ref_subproof(m, start, start + k, complete) + [ref_root(start + k, end)]
    return ref_subproof(m - k, start + k, end, False) + [ref_root(start, start + k)]


def _shape(index: int, size: int) -> list[bool]:
    """Which side each proof hash goes on; equal shapes give equal computations."""
    inner = (index ^ (size - 1)).bit_length()
    return [bool((index >> i) & 1) for i in range(inner)] + [True] * (index >> inner).bit_count()


def _flip(b: bytes, pos: int, mask: int) -> bytes:
    out = bytearray(b)
    out[pos % len(out)] ^= mask
    return bytes(out)


# --- building ---------------------------------------------------------------------------


def test_roots_match_reference_at_every_size():
    for size in range(MAX + 1):
        assert root(STORE, size) == ref_root(0, size), size


def test_compact_range_emits_each_perfect_node_once():
    cr = CompactRange()
    nodes = cr.extend(LEAVES[:100])
    assert len(nodes) == 2 * 100 - (100).bit_count()  # every perfect subtree, no more
    assert {(n.level, n.index) for n in nodes} == {(lvl, i) for lvl in range(7) for i in range(100 >> lvl)}
    for n in nodes:
        assert n.hash == ref_root(n.index << n.level, (n.index + 1) << n.level)
    assert cr.root() == ref_root(0, 100)
    assert len(cr.border()) == (100).bit_count()


def test_compact_range_resumes_from_stored_nodes():
    for size in (0, 1, 7, 64, 100, 255):
        cr = CompactRange.from_reader(STORE, size)
        assert cr.root() == ref_root(0, size)
        new = cr.extend(LEAVES[size : size + 40])
        assert cr.root() == ref_root(0, size + 40)
        for n in new:
            assert STORE.node(n.level, n.index) == n.hash


def test_append_rejects_bad_leaf_and_store_reports_missing_nodes():
    with pytest.raises(ProofError, match="leaf hash must be 32 bytes"):
        CompactRange().append(b"short")
    with pytest.raises(KeyError):
        STORE.node(0, MAX)
    with pytest.raises(KeyError):
        STORE.node(9, 0)  # 512 leaves: not complete yet


# --- proof generation ---------------------------------------------------------------------


def test_proofs_match_reference_exhaustively_for_small_trees():
    for size in range(1, 70):
        for index in range(size):
            assert inclusion_proof(STORE, index, size) == ref_path(index, 0, size), (index, size)
        for size1 in range(1, size):
            want = ref_subproof(size1, 0, size, True)
            assert consistency_proof(STORE, size1, size) == want, (size1, size)


def test_generation_rejects_impossible_requests():
    with pytest.raises(ProofError, match="outside a tree of size 5"):
        inclusion_proof(STORE, 5, 5)
    with pytest.raises(ProofError, match="smaller size"):
        consistency_proof(STORE, 6, 5)
    assert consistency_proof(STORE, 0, 5) == []
    assert consistency_proof(STORE, 5, 5) == []


class CountingReader:
    """Fake perfect-node hashes, so huge trees cost nothing to 'store'; counts reads."""

    def __init__(self) -> None:
        self.reads = 0

    def node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return leaf_hash(level.to_bytes(1, "big") + index.to_bytes(8, "big"))


@pytest.mark.parametrize("size", [10_000_000, 2**40 + 12345, 2**63 + 1])
def test_proofs_read_only_logarithmically_many_nodes(size):
    height = (size - 1).bit_length()  # ceil(log2(size))
    for index in (0, size // 3, size - 2, size - 1):
        reader = CountingReader()
        proof = inclusion_proof(reader, index, size)
        assert len(proof) <= height
        assert reader.reads <= 2 * height + 1
    for size1 in (1, size // 7, size - 1):
        reader = CountingReader()
        consistency_proof(reader, size1, size)
        assert reader.reads <= 3 * height + 1


# --- verification properties --------------------------------------------------------------


@SETTINGS
@given(data=st.data(), size=st.integers(1, MAX))
def test_inclusion_proofs_verify_and_tampering_is_caught(data, size):
    index = data.draw(st.integers(0, size - 1), label="index")
    leaf, top = LEAVES[index], ref_root(0, size)
    proof = inclusion_proof(STORE, index, size)
    verify_inclusion(leaf, index, size, proof, top)
    assert root_from_inclusion(leaf, index, size, proof) == top

    pos = data.draw(st.integers(0, 31), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")
    with pytest.raises(ProofError):
        verify_inclusion(_flip(leaf, pos, mask), index, size, proof, top)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, proof, _flip(top, pos, mask))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1), label="element")
        bad = [*proof[:k], _flip(proof[k], pos, mask), *proof[k + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, bad, top)
        with pytest.raises(ProofError, match="wrong inclusion proof length"):
            verify_inclusion(leaf, index, size, proof[:-1], top)
    with pytest.raises(ProofError, match="wrong inclusion proof length"):
        verify_inclusion(leaf, index, size, [*proof, leaf], top)

    other = data.draw(st.integers(0, MAX), label="wrong index")
    if other != index:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, other, size, proof, top)

    wrong_size = data.draw(st.integers(0, 2 * MAX), label="wrong size")
    if wrong_size != size:
        try:
            verify_inclusion(leaf, index, wrong_size, proof, top)
        except ProofError:
            pass
        else:  # an inclusion proof does not pin the size if the hashing is literally the same
            assert _shape(index, wrong_size) == _shape(index, size)


@SETTINGS
@given(data=st.data(), size2=st.integers(1, MAX))
def test_consistency_proofs_verify_and_tampering_is_caught(data, size2):
    size1 = data.draw(st.integers(1, size2), label="size1")
    root1, root2 = ref_root(0, size1), ref_root(0, size2)
    proof = consistency_proof(STORE, size1, size2)
    verify_consistency(size1, size2, proof, root1, root2)

    pos = data.draw(st.integers(0, 31), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, _flip(root1, pos, mask), root2)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, root1, _flip(root2, pos, mask))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1), label="element")
        bad = [*proof[:k], _flip(proof[k], pos, mask), *proof[k + 1 :]]
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, bad, root1, root2)
    if size1 < size2:  # a different history for the old part must not pass
        forged = ref_root(0, size1 - 1) if size1 > 1 else EMPTY_ROOT
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, proof, forged, root2)


def test_verification_error_messages_name_the_problem():
    proof = inclusion_proof(STORE, 3, 10)
    top = ref_root(0, 10)
    with pytest.raises(ProofError, match="outside a tree of size 10"):
        verify_inclusion(LEAVES[3], 10, 10, proof, top)
    with pytest.raises(ProofError, match="proof hash 1 must be 32 bytes, got 31"):
        verify_inclusion(LEAVES[3], 3, 10, [proof[0], proof[1][:31], *proof[2:]], top)
    with pytest.raises(ProofError, match="root hash must be 32 bytes"):
        verify_inclusion(LEAVES[3], 3, 10, proof, b"")
    with pytest.raises(ProofError, match="does not lead to the root of size 10"):
        verify_inclusion(LEAVES[4], 3, 10, proof, top)
    cproof = consistency_proof(STORE, 3, 10)
    with pytest.raises(ProofError, match="a log cannot shrink"):
        verify_consistency(10, 3, cproof, top, ref_root(0, 3))
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 10, cproof, EMPTY_ROOT, top)
    with pytest.raises(ProofError, match="does not lead to root1 of size 3"):
        verify_consistency(3, 10, cproof, ref_root(0, 2), top)
    with pytest.raises(ProofError, match="does not lead to root2 of size 10"):
        verify_consistency(3, 10, cproof, ref_root(0, 3), ref_root(0, 9))
    with pytest.raises(ProofError, match="wrong consistency proof length"):
        verify_consistency(3, 10, cproof[:-1], ref_root(0, 3), top)
    with pytest.raises(ProofError) as info:
        verify_consistency(3, 10, [], ref_root(0, 3), top)
    assert info.value.code == "proof_invalid" and info.value.status == 422
