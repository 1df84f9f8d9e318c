"""留痕 ledger: a tamper-evident, append-only log of platform events (RFC 9162 Merkle tree).

This package is the pure core: tree hashing and proofs (``merkle``), signed tree heads as
C2SP checkpoints (``checkpoint``) and the Ed25519 signing key files (``keys``). Storage of
the perfect-subtree nodes belongs to the database layer, behind ``merkle.NodeReader``.
"""

from huitong.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_note,
    open_signed_note,
    parse_vkey,
    sign_note,
    vkey,
)
from huitong.ledger.keys import KeyRing, LedgerKeyError, SigningKey, generate_keys, load_keys, rotate_keys
from huitong.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryNodeStore,
    Node,
    NodeReader,
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

__all__ = [
    "EMPTY_ROOT",
    "Checkpoint",
    "CheckpointError",
    "CompactRange",
    "KeyRing",
    "LedgerKeyError",
    "MemoryNodeStore",
    "Node",
    "NodeReader",
    "ProofError",
    "SigningKey",
    "consistency_proof",
    "generate_keys",
    "inclusion_proof",
    "leaf_hash",
    "load_keys",
    "node_hash",
    "open_note",
    "open_signed_note",
    "parse_vkey",
    "root",
    "root_from_inclusion",
    "rotate_keys",
    "sign_note",
    "verify_consistency",
    "verify_inclusion",
    "vkey",
]
