"""The independent verifier: checks an evidence bundle on any machine, with no database.

It trusts nothing in the bundle but the public keys it is given (or, failing that, the
ones the bundle carries, which it says). It checks each checkpoint's signature, that
successive checkpoints are consistent (the log only grew), that every entry's leaf is
in the latest checkpoint at its position, that details match their salted hash, and, for
a complete export, that every position is present exactly once. Each failure is a
finding with the position it concerns, never an exception.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from huitong.ledger.checkpoint import Checkpoint, CheckpointError, open_note, parse_vkey
from huitong.ledger.leaf import details_hash, leaf_bytes
from huitong.ledger.merkle import ProofError, leaf_hash, verify_consistency, verify_inclusion


@dataclass(frozen=True)
class Finding:
    kind: str  # signature, consistency, inclusion, details, missing, duplicate, format
    position: int | None
    message: str

    def __str__(self) -> str:
        where = f"leaf {self.position}: " if self.position is not None else ""
        return f"[{self.kind}] {where}{self.message}"


@dataclass
class Report:
    entries_checked: int = 0
    checkpoints_checked: int = 0
    tree_size: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _unb64(items: Iterable[str]) -> list[bytes]:
    return [base64.b64decode(x) for x in items]


def verify_bundle(bundle: Mapping[str, Any], trusted_vkeys: Iterable[str] = ()) -> Report:
    report = Report()
    if bundle.get("format") != "huitong-evidence-bundle":
        report.findings.append(Finding("format", None, "not a huitong evidence bundle"))
        return report
    vkeys = list(trusted_vkeys)
    if not vkeys:
        vkeys = [k["vkey"] for k in bundle.get("public_keys", [])]
        report.notes.append("trusting the public keys inside the bundle; pass the published key to be sure")
    verifiers: dict[str, list] = {}
    for text in vkeys:
        try:
            name, key = parse_vkey(text)
        except CheckpointError as exc:
            report.findings.append(Finding("format", None, f"unusable verifier key: {exc.message}"))
            continue
        verifiers.setdefault(name, []).append(key)
    origin = bundle.get("origin")

    opened: dict[int, Checkpoint] = {}
    for note in bundle.get("checkpoints", []):
        try:
            cp = open_note(note.encode(), verifiers, origin=origin)
        except CheckpointError as exc:
            report.findings.append(Finding("signature", None, f"checkpoint rejected: {exc.message}"))
            continue
        report.checkpoints_checked += 1
        if cp.size in opened and opened[cp.size].root_hash != cp.root_hash:
            report.findings.append(
                Finding("consistency", None, f"two different roots signed for size {cp.size}")
            )
        opened[cp.size] = cp
    try:
        latest = open_note(bundle["checkpoint"].encode(), verifiers, origin=origin)
    except (CheckpointError, KeyError) as exc:
        message = exc.message if isinstance(exc, CheckpointError) else "no checkpoint"
        report.findings.append(Finding("signature", None, f"latest checkpoint rejected: {message}"))
        return report
    report.tree_size = latest.size

    for link in bundle.get("consistency", []):
        a, b = opened.get(link["from"]), opened.get(link["to"])
        if a is None or b is None:
            report.findings.append(
                Finding("consistency", None, f"no verified checkpoint for sizes {link['from']}..{link['to']}")
            )
            continue
        try:
            verify_consistency(a.size, b.size, _unb64(link["proof"]), a.root_hash, b.root_hash)
        except ProofError as exc:
            report.findings.append(
                Finding(
                    "consistency", None, f"checkpoint {a.size} is not a prefix of {b.size}: {exc.message}"
                )
            )
    sizes = sorted(opened)
    linked = {(link["from"], link["to"]) for link in bundle.get("consistency", [])}
    for a, b in zip(sizes, sizes[1:], strict=False):
        if (a, b) not in linked:
            report.findings.append(Finding("consistency", None, f"no consistency proof from {a} to {b}"))

    seen: dict[int, int] = {}
    for entry in bundle.get("entries", []):
        pos = entry.get("leaf_index")
        report.entries_checked += 1
        if not isinstance(pos, int) or not 0 <= pos < latest.size:
            report.findings.append(
                Finding("inclusion", None, f"entry {entry.get('id')} has no valid position")
            )
            continue
        if pos in seen:
            report.findings.append(
                Finding("duplicate", pos, f"entries {seen[pos]} and {entry.get('id')} share it")
            )
        seen[pos] = entry.get("id")
        try:
            leaf = leaf_hash(leaf_bytes(entry))
            verify_inclusion(leaf, pos, latest.size, _unb64(entry.get("proof", [])), latest.root_hash)
        except (ProofError, KeyError, ValueError) as exc:
            why = exc.message if isinstance(exc, ProofError) else f"malformed entry ({exc})"
            report.findings.append(
                Finding(
                    "inclusion",
                    pos,
                    f"entry {entry.get('id')} ({entry.get('action')}) does not match "
                    f"the signed tree: edited, reordered or inserted ({why})",
                )
            )
            continue
        if entry.get("purged_at"):
            continue
        if entry.get("details") is None or entry.get("salt") is None:
            report.findings.append(
                Finding("details", pos, "details missing but the entry is not marked purged")
            )
        elif details_hash(entry["salt"], entry["details"]) != entry["details_hash"]:
            report.findings.append(Finding("details", pos, f"entry {entry.get('id')}: details were changed"))
    if bundle.get("complete"):
        missing = [p for p in range(latest.size) if p not in seen]
        for p in missing[:1000]:
            report.findings.append(
                Finding("missing", p, "the signed tree has an entry here that the bundle lacks")
            )
        if len(missing) > 1000:
            report.findings.append(Finding("missing", None, f"… and {len(missing) - 1000} more positions"))
    return report
