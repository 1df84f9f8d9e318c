"""RFC 9162 Merkle tree hashing, proofs and their verification (pure, no I/O).

Storage keeps only *perfect* subtree hashes, addressed as ``(level, index)``: the node at
``level`` covering leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the
leaf hashes. Those nodes never change once written, so a database can store them as rows.
Any other hash (a root, or the ragged right edge of a tree whose size is not a power of
two) is folded from at most log2(n) perfect nodes, so every root and proof reads O(log n)
nodes, however big the log grows.

The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 in the decomposed form used by
transparency-dev/merkle, and accept exactly the cases its test vectors accept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

from huitong.errors import HuitongError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
MAX_SIZE = (1 << 64) - 1  # sizes and indices are uint64 in RFC 9162


class ProofError(HuitongError):
    """A proof, root or leaf that does not check out; the message says which part."""

    def __init__(self, message: str):
        super().__init__(message, code="proof_invalid", status=422)


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash; the 0x00 prefix keeps leaves and inner nodes apart."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Node(NamedTuple):
    """A perfect-subtree hash to persist: it never changes once the subtree is full."""

    level: int
    index: int
    hash: bytes


class NodeReader(Protocol):
    def node(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree at ``level`` covering leaves from ``index << level``."""
        ...


# --- appending ---------------------------------------------------------------------------


class CompactRange:
    """The right border of a tree: one perfect subtree per set bit of ``size``.

    Appending a leaf yields the perfect nodes it completes (the leaf itself, then every
    parent it fills), so N appends cost N leaf writes plus fewer than N node hashes, and
    the state stays O(log n). A writer resumes after a restart with ``from_reader``.
    """

    __slots__ = ("_border", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._border: list[bytes] = []  # biggest (leftmost) subtree first

    @classmethod
    def from_reader(cls, reader: NodeReader, size: int) -> CompactRange:
        _check_size(size)
        cr = cls()
        cr._size = size
        cr._border = [reader.node(level, index) for level, index in _perfect_cover(0, size)]
        return cr

    @property
    def size(self) -> int:
        return self._size

    def border(self) -> list[Node]:
        """The perfect subtrees that make up the tree, left to right."""
        return [
            Node(level, index, h)
            for (level, index), h in zip(_perfect_cover(0, self._size), self._border, strict=True)
        ]

    def append(self, leaf: bytes) -> list[Node]:
        """Add one leaf hash; return the new perfect nodes, leaf first, to persist."""
        _check_hash(leaf, "leaf hash")
        if self._size >= MAX_SIZE:
            raise ProofError("the tree is full (2**64 - 1 leaves)")
        index, h = self._size, leaf
        out = [Node(0, index, h)]
        level = 0
        while index & 1:  # this leaf completes the subtree to its left: merge upwards
            h = node_hash(self._border.pop(), h)
            level += 1
            index >>= 1
            out.append(Node(level, index, h))
        self._border.append(h)
        self._size += 1
        return out

    def extend(self, leaves: Iterable[bytes]) -> list[Node]:
        out: list[Node] = []
        for leaf in leaves:
            out.extend(self.append(leaf))
        return out

    def root(self) -> bytes:
        return _fold(self._border)


class MemoryNodeStore:
    """Every perfect node in lists; for tests, tools and a verifier's own copy of a log."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = []
        self._range = CompactRange()
        self.extend(leaves)

    @property
    def size(self) -> int:
        return self._range.size

    def node(self, level: int, index: int) -> bytes:
        try:
            if index < 0 or level < 0:
                raise IndexError
            return self._levels[level][index]
        except IndexError:
            raise KeyError(f"no complete node at level {level}, index {index}") from None

    def append(self, leaf: bytes) -> int:
        """Add one leaf hash and return its index."""
        index = self._range.size
        for level, i, h in self._range.append(leaf):
            if level == len(self._levels):
                self._levels.append([])
            assert len(self._levels[level]) == i
            self._levels[level].append(h)
        return index

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self, size: int | None = None) -> bytes:
        return root(self, self.size if size is None else size)


# --- reading roots and proofs ------------------------------------------------------------


def root(reader: NodeReader, size: int) -> bytes:
    """Root hash of the tree's first ``size`` leaves (at most log2(size) node reads)."""
    _check_size(size)
    return _range_hash(reader, 0, size)


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """Audit path of leaf ``index`` in the tree of ``size`` leaves, leaf side first."""
    _check_size(size)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    return _path(reader, 0, index, size)


def consistency_proof(reader: NodeReader, size1: int, size2: int) -> list[bytes]:
    """Proof that the tree of ``size1`` leaves is a prefix of the tree of ``size2`` leaves."""
    _check_size(size2)
    if not 0 <= size1 <= size2:
        raise ProofError(f"cannot prove consistency from size {size1} to smaller size {size2}")
    if size1 == 0 or size1 == size2:
        return []
    # The biggest perfect subtree ending at size1; its path to the size2 root is the proof.
    level = _trailing_zeros(size1)
    index = (size1 - 1) >> level
    proof = _path(reader, level, index, size2)
    if index:  # when size1 is a power of two the verifier already has this node: root1
        proof.insert(0, reader.node(level, index))
    return proof


def _path(reader: NodeReader, level: int, index: int, size: int) -> list[bytes]:
    """Siblings from node ``(level, index)`` up to the root of a tree of ``size`` leaves."""
    last = (size - 1) >> level
    inner = (index ^ last).bit_length()  # below this height the path may have right siblings
    proof = []
    for i in range(inner):
        start = ((index >> i) ^ 1) << (level + i)
        proof.append(_range_hash(reader, start, min(start + (1 << (level + i)), size)))
    for i in range(inner, last.bit_length()):  # above it, siblings are only full left ones
        if (index >> i) & 1:
            proof.append(reader.node(level + i, (index >> i) ^ 1))
    return proof


def _range_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """Hash of the RFC subtree over leaves [start, end); ``start`` is aligned to its width."""
    if start == end:
        return EMPTY_ROOT
    return _fold([reader.node(level, index) for level, index in _perfect_cover(start, end)])


def _perfect_cover(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees, biggest first, that tile [start, end) the way RFC 9162 splits."""
    out = []
    n = end - start
    while n:
        level = n.bit_length() - 1
        out.append((level, start >> level))
        start += 1 << level
        n -= 1 << level
    return out


def _fold(hashes: Sequence[bytes]) -> bytes:
    if not hashes:
        return EMPTY_ROOT
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = node_hash(left, h)
    return h


# --- verification ------------------------------------------------------------------------


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index``; raises if it cannot imply one."""
    _check_hash(leaf, "leaf hash")
    _check_size(size)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    if len(proof) != inner + border:
        raise ProofError(
            f"wrong inclusion proof length: {len(proof)} hashes, want {inner + border} "
            f"for leaf {index} in a tree of size {size}"
        )
    for n, p in enumerate(proof):
        _check_hash(p, f"proof hash {n}")
    h = _chain_inner(leaf, proof[:inner], index)
    return _chain_border_right(h, proof[inner:])


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless ``proof`` shows ``leaf`` at ``index`` under ``root``."""
    _check_hash(root, "root hash")
    if root_from_inclusion(leaf, index, size, proof) != root:
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root of size {size}")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Raise ProofError unless ``proof`` shows tree ``size1`` (``root1``) is a prefix of ``size2``."""
    _check_size(size2)
    if not 0 <= size1 <= size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}: a log cannot shrink")
    if size1 == 0:
        raise ProofError("consistency from the empty tree proves nothing; it is refused")
    if size1 == size2:
        if proof:
            raise ProofError(f"sizes are equal ({size1}) but the consistency proof is not empty")
        if root1 != root2:
            raise ProofError(f"sizes are equal ({size1}) but the roots differ")
        return
    if not proof:
        raise ProofError(f"empty consistency proof from size {size1} to {size2}")
    _check_hash(root1, "root1")
    _check_hash(root2, "root2")
    for n, p in enumerate(proof):
        _check_hash(p, f"proof hash {n}")

    # The proof is the path of the biggest perfect subtree ending at size1 (its seed).
    shift = _trailing_zeros(size1)
    index = (size1 - 1) >> shift
    last = (size2 - 1) >> shift
    inner = (index ^ last).bit_length()
    border = (index >> inner).bit_count()
    seed, rest = (root1, proof) if index == 0 else (proof[0], proof[1:])
    want = inner + border + (0 if index == 0 else 1)
    if len(proof) != want:
        raise ProofError(
            f"wrong consistency proof length: {len(proof)} hashes, want {want} from size {size1} to {size2}"
        )
    # Old root: only left siblings count; new root: all of them.
    h1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], index), rest[inner:])
    if h1 != root1:
        raise ProofError(f"consistency proof does not lead to root1 of size {size1}")
    h2 = _chain_border_right(_chain_inner(seed, rest[:inner], index), rest[inner:])
    if h2 != root2:
        raise ProofError(f"consistency proof does not lead to root2 of size {size2}")


def _chain_inner(h: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, p in enumerate(proof):
        h = node_hash(p, h) if (index >> i) & 1 else node_hash(h, p)
    return h


def _chain_inner_right(h: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, p in enumerate(proof):
        if (index >> i) & 1:
            h = node_hash(p, h)
    return h


def _chain_border_right(h: bytes, proof: Sequence[bytes]) -> bytes:
    for p in proof:
        h = node_hash(p, h)
    return h


def _trailing_zeros(n: int) -> int:
    return (n & -n).bit_length() - 1


def _check_hash(h: bytes, what: str) -> None:
    if not isinstance(h, bytes | bytearray) or len(h) != HASH_SIZE:
        size = len(h) if isinstance(h, bytes | bytearray) else type(h).__name__
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, got {size}")


def _check_size(size: int) -> None:
    if not 0 <= size <= MAX_SIZE:
        raise ProofError(f"tree size {size} is outside 0..2**64-1")
