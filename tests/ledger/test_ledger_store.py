"""The ledger in the metadata database, on SQLite and PostgreSQL: sequencing, proofs,
checkpoints, every kind of tampering, purges, "who used my data" and group commit."""

from __future__ import annotations

import base64
import copy
import threading
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from huitong.access import SYSTEM, Actor
from huitong.access.roles import Role
from huitong.db.base import utcnow
from huitong.errors import Forbidden
from huitong.ledger import service
from huitong.ledger.checkpoint import open_note, vkey
from huitong.ledger.events import entry_values, record, record_apart
from huitong.ledger.leaf import leaf_bytes
from huitong.ledger.log import entry_fields, head, sequencer
from huitong.ledger.merkle import MemoryNodeStore, leaf_hash, verify_consistency, verify_inclusion
from huitong.ledger.tables import EvidenceEntry, LedgerCheckpoint, LedgerNode
from huitong.ledger.verify import verify_bundle
from huitong.ledger.writer import writer_for

AUDITOR = Actor(user_id=None, username="auditor", roles=frozenset({Role.auditor}))
OPERATOR = Actor(user_id=None, username="op", roles=frozenset({Role.operator}))
ADMIN = Actor(user_id=None, username="ga", roles=frozenset({Role.dept_admin}))


def add(db, n: int, action: str = "catalog.update", **details) -> list[int]:
    ids = []
    with db.session() as s:
        for i in range(n):
            e = record(s, SYSTEM, action, "resource", f"101001/{i:05d}", details={"n": i, **details})
            s.flush()
            ids.append(e.id)
    return ids


def kinds(report) -> set[tuple[str, int | None]]:
    return {(f.kind, f.position) for f in report.findings}


def test_entries_join_the_tree_and_proofs_verify_against_signed_checkpoints(db):
    ids = add(db, 37)
    first = service.sign_checkpoint(db)
    add(db, 20)
    second = service.sign_checkpoint(db)
    assert (first.size, second.size) == (37, 57)
    verifiers = db.ledger_keys.verifiers(db.ledger_origin)
    cp1 = open_note(first.note.encode(), verifiers)
    cp2 = open_note(second.note.encode(), verifiers)
    with db.session() as s:
        got = service.inclusion(s, AUDITOR, ids[5])
        entry = s.get(EvidenceEntry, ids[5])
        leaf = leaf_hash(leaf_bytes(got["entry"]))
        verify_inclusion(
            leaf, entry.leaf_index, 57, [base64.b64decode(p) for p in got["proof"]], cp2.root_hash
        )
        link = service.consistency(s, AUDITOR, 37, 57)
        verify_consistency(37, 57, [base64.b64decode(p) for p in link["proof"]], cp1.root_hash, cp2.root_hash)
    assert service.verify_database(db).ok


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6))
@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_stored_tree_always_equals_the_tree_of_its_leaves(db, batches):
    seq = sequencer(db)
    for n in batches:
        add(db, n)
        seq.integrate()
        with db.session() as s:
            leaves = [
                leaf_hash(leaf_bytes(entry_fields(e)))
                for e in s.scalars(select(EvidenceEntry).order_by(EvidenceEntry.leaf_index))
            ]
            h = head(s)
        assert h.size == len(leaves) and h.root == MemoryNodeStore(leaves).root()


def test_database_tampering_of_every_kind_is_found_with_its_position(db):
    ids = add(db, 40)
    service.sign_checkpoint(db)
    assert service.verify_database(db).ok
    with db.session() as s:
        s.execute(update(EvidenceEntry).where(EvidenceEntry.id == ids[3]).values(actor_name="nobody"))
        s.execute(update(EvidenceEntry).where(EvidenceEntry.id == ids[8]).values(details='{"n":999}'))
        s.execute(delete(EvidenceEntry).where(EvidenceEntry.id == ids[12]))
    found = kinds(service.verify_database(db))
    assert ("inclusion", 3) in found and ("details", 8) in found and ("missing", 12) in found


def test_rewritten_tree_or_checkpoint_is_found(db):
    add(db, 16)
    service.sign_checkpoint(db)
    with db.session() as s:  # rewrite a stored node so the tree no longer matches what was signed
        s.execute(update(LedgerNode).where(LedgerNode.level == 0, LedgerNode.idx == 2).values(hash=bytes(32)))
    found = kinds(service.verify_database(db))
    assert ("inclusion", 2) in found and any(k == "consistency" for k, _ in found)
    with db.session() as s:
        s.execute(
            update(LedgerNode).where(LedgerNode.level == 0, LedgerNode.idx == 2).values(hash=b"\1" * 32)
        )
        cp = s.scalar(select(LedgerCheckpoint))
        s.execute(
            update(LedgerCheckpoint)
            .where(LedgerCheckpoint.id == cp.id)
            .values(note=cp.note.replace("\n16\n", "\n15\n"))
        )
    assert any(k == "signature" for k, _ in kinds(service.verify_database(db)))


def test_bundle_verifies_offline_and_reports_each_kind_of_tampering(db):
    add(db, 30)
    service.sign_checkpoint(db)
    add(db, 10)
    bundle = service.export_bundle(db, AUDITOR)
    published = [k["vkey"] for k in service.public_keys(db)]
    assert verify_bundle(bundle, published).ok
    by_pos = {e["leaf_index"]: e for e in bundle["entries"]}

    edited = copy.deepcopy(bundle)
    next(e for e in edited["entries"] if e["leaf_index"] == 4)["object_id"] = "101001/99999"
    assert ("inclusion", 4) in kinds(verify_bundle(edited, published))

    changed = copy.deepcopy(bundle)
    next(e for e in changed["entries"] if e["leaf_index"] == 6)["details"] = '{"n":6,"extra":1}'
    assert ("details", 6) in kinds(verify_bundle(changed, published))

    removed = copy.deepcopy(bundle)
    removed["entries"] = [e for e in removed["entries"] if e["leaf_index"] != 9]
    assert ("missing", 9) in kinds(verify_bundle(removed, published))

    reordered = copy.deepcopy(bundle)
    a = next(e for e in reordered["entries"] if e["leaf_index"] == 10)
    b = next(e for e in reordered["entries"] if e["leaf_index"] == 11)
    a["leaf_index"], b["leaf_index"] = 11, 10
    assert {("inclusion", 10), ("inclusion", 11)} <= kinds(verify_bundle(reordered, published))

    inserted = copy.deepcopy(bundle)
    fake = dict(by_pos[2], id=10_000, action="share.delivery", leaf_index=2)
    inserted["entries"].append(fake)
    found = kinds(verify_bundle(inserted, published))
    assert ("duplicate", 2) in found and ("inclusion", 2) in found

    rewritten = copy.deepcopy(bundle)
    rewritten["checkpoint"] = rewritten["checkpoint"].replace(f"\n{rewritten['signed_size']}\n", "\n1\n", 1)
    assert any(k == "signature" for k, _ in kinds(verify_bundle(rewritten, published)))

    impostor = vkey(db.ledger_origin, Ed25519PrivateKey.generate().public_key())
    assert {f.kind for f in verify_bundle(bundle, [impostor]).findings} == {"signature"}
    assert {f.kind for f in verify_bundle(bundle, ["not a key"]).findings} >= {"format"}


def test_purge_removes_details_but_the_tree_still_verifies(db):
    add(db, 5, name="张三")
    service.sign_checkpoint(db)
    with db.session() as s, pytest.raises(Forbidden):
        service.purge(s, AUDITOR, utcnow() + timedelta(seconds=-0.001))
    with db.session() as s:
        n = service.purge(s, OPERATOR, utcnow())
    assert n == 5
    with db.session() as s:
        assert all(
            e.details is None
            for e in s.scalars(select(EvidenceEntry).where(EvidenceEntry.purged_at.is_not(None)))
        )
        assert s.scalar(select(EvidenceEntry).where(EvidenceEntry.action == "audit.purge")) is not None
    service.sign_checkpoint(db)
    assert service.verify_database(db).ok
    assert verify_bundle(service.export_bundle(db, AUDITOR)).ok


def test_who_used_my_data_finds_accesses_without_storing_the_number(db):
    number = "11010519491231002X"
    with db.session() as s:
        record(
            s,
            Actor(user_id=None, username="mz", department_id=None),
            "share.query",
            "resource",
            "101002/00001",
            details={"purpose": "低保审核", "rows": 1},
            subjects=[number],
        )
        record(s, SYSTEM, "share.query", "resource", "101002/00001", subjects=["110105194912310037"])
    with db.session() as s:
        rows = service.who_used(s, AUDITOR, number.lower())  # case and spaces do not matter
        assert [r.actor_name for r in rows] == ["mz"] and "低保审核" in rows[0].details
        with pytest.raises(Forbidden):
            service.who_used(s, ADMIN, number)
    with db.session() as s:
        texts = [e.details or "" for e in s.scalars(select(EvidenceEntry))]
        ids = [e.object_id or "" for e in s.scalars(select(EvidenceEntry))]
    assert not any(number in t for t in texts + ids)
    with db.session() as s:
        assert s.scalar(select(EvidenceEntry).where(EvidenceEntry.action == "audit.who_used")) is not None


def test_group_commit_batches_concurrent_appends_and_loses_none(db):
    writer = writer_for(db)
    got: list[int] = []
    lock = threading.Lock()

    def worker(k: int) -> None:
        for i in range(100):
            entry_id = writer.append(entry_values(SYSTEM, "share.delivery", "grant", str(k), "ok", {"i": i}))
            with lock:
                got.append(entry_id)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 800
    assert writer.commits < 800  # callers shared commits
    service.sign_checkpoint(db)
    with db.session() as s:
        assert service.stats(s) == {"entries": 800, "sequenced": 800, "pending": 0}
        recent = service.EntryQuery(
            action="share.delivery", since=utcnow() - timedelta(minutes=5), limit=1000
        )
        assert len(service.search(s, AUDITOR, recent)) == 800  # bulk-written times compare like any other
        later = service.EntryQuery(action="share.delivery", since=utcnow() + timedelta(minutes=5))
        assert service.search(s, AUDITOR, later) == []
    assert service.verify_database(db).ok


def test_a_refusal_recorded_apart_survives_the_callers_rollback(db):
    with pytest.raises(RuntimeError), db.session() as s:
        record_apart(s, ADMIN, "catalog.publish", "resource", "101001/00001", details={"why": "not operator"})
        record(s, ADMIN, "catalog.edit", "resource", "101001/00001")
        raise RuntimeError("the action failed")
    with db.session() as s:
        actions = [e.action for e in s.scalars(select(EvidenceEntry))]
    assert actions == ["catalog.publish"]


def test_only_auditors_read_the_ledger(db):
    add(db, 3)
    service.sign_checkpoint(db)
    with db.session() as s:
        for who in (OPERATOR, ADMIN):
            with pytest.raises(Forbidden):
                service.search(s, who, service.EntryQuery())
        rows = service.search(s, AUDITOR, service.EntryQuery(action="catalog.*"))
        assert len(rows) == 3


def test_a_ticket_tells_an_event_loop_when_its_entry_is_durable(db):
    """Keyed deliveries await their evidence on the event loop: ``wait()`` returns the entry id
    only after the batch committed, and the entry is then in the database."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from huitong.access import SYSTEM
    from huitong.ledger.events import entry_values
    from huitong.ledger.tables import EvidenceEntry
    from huitong.ledger.writer import writer_for

    async def main() -> list[int]:
        tickets = [
            writer_for(db).submit(entry_values(SYSTEM, "test.async", "thing", str(i), "ok", {"i": i}))
            for i in range(50)
        ]
        return list(await asyncio.gather(*(t.wait() for t in tickets)))

    # In a thread of its own: a browser test's Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        ids = pool.submit(lambda: asyncio.run(main())).result()
    assert len(set(ids)) == 50
    with db.session() as s:
        assert s.query(EvidenceEntry).filter(EvidenceEntry.action == "test.async").count() == 50


def test_the_sequencer_refuses_to_extend_a_tree_whose_stored_nodes_no_longer_give_the_head(db):
    # the defect: with one stored node overwritten, a restarted sequencer rebuilt its right border
    # from the stored nodes and extended the tree without comparing the root with the stored head
    from huitong.ledger.log import RootMismatch, Sequencer

    add(db, 12)  # border of a 12-leaf tree: the perfect subtrees (3, 0) and (2, 2)
    sequencer(db).integrate()
    with db.session() as s:
        before = head(s)
        s.execute(update(LedgerNode).where(LedgerNode.level == 2, LedgerNode.idx == 2).values(hash=bytes(32)))
    add(db, 3)
    with pytest.raises(RootMismatch, match=r"root hash mismatch at tree size 12.*level 2, index 2") as e:
        Sequencer(db).integrate()  # a new process: nothing trusted in memory
    assert e.value.position == (2, 2)
    with db.session() as s:
        assert head(s) == before  # nothing was extended
        assert s.scalar(select(EvidenceEntry.id).where(EvidenceEntry.leaf_index.is_(None)).limit(1))
