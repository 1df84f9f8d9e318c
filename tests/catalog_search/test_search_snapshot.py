"""A search index saved and loaded answers every search as the one it was saved from, and keeps
doing so through later writes; a damaged or foreign file is refused, never half-used."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong.access.actor import PUBLIC, SYSTEM, Actor
from huitong.catalog.search import Scope, SearchDoc, SearchIndex, snapshot
from tests.catalog_search.test_search_properties import PIECES, docs

QUERIES = ["", "户籍", "登记", "hj", "数据", "人口信息", "API", "表"]
SCOPES = [Scope.for_actor(PUBLIC), Scope.for_actor(SYSTEM), Scope.for_actor(Actor(1, "u", 2, frozenset()))]


def answers(ix: SearchIndex) -> list:
    out = []
    for q in QUERIES:
        for scope in SCOPES:
            for sort in ("relevance", "name", "recent"):
                r = ix.search(q, scope=scope, per_page=1000, sort=sort, filters={})
                out.append((r.total, [(h.id, round(h.score, 5), h.name_html) for h in r.hits], r.facets))
            r = ix.search(q, scope=scope, per_page=1000, filters={"level": ["city"], "category": ["基础"]})
            out.append((r.total, [h.id for h in r.hits], r.facets))
    return out


ops = st.lists(
    st.tuples(
        st.booleans(),
        st.integers(1, 30),
        st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map("".join),
    ),
    max_size=12,
)


def apply(ix: SearchIndex, corpus: list[SearchDoc], todo, start: int) -> None:
    for seq, (remove, doc_id, name) in enumerate(todo, start=start):
        if remove:
            ix.remove([doc_id])
        else:
            base = corpus[(doc_id - 1) % len(corpus)]
            ix.upsert([SearchDoc(**{**base.__dict__, "id": doc_id, "name": name, "seq": seq, "terms": None})])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs(), ops, ops)
def test_a_loaded_index_answers_as_the_saved_one(tmp_path_factory, corpus, before, after):
    ix = SearchIndex(delta_limit=20, dead_ratio=0.1, bulk_docs=6)
    ix.upsert(corpus)
    apply(ix, corpus, before, 100)
    path = tmp_path_factory.mktemp("ix") / "catalog.npz"
    snapshot.save(ix, path, {"seen_seq": ix.max_seq})
    loaded, meta = snapshot.load(path)
    assert meta == {"seen_seq": ix.max_seq} and len(loaded) == len(ix) and loaded.max_seq == ix.max_seq
    assert answers(loaded) == answers(ix)
    apply(ix, corpus, after, 200)
    apply(loaded, corpus, after, 200)
    assert answers(loaded) == answers(ix)


def _doc(i: int = 1, name: str = "户籍人口信息", facets: dict | None = None) -> SearchDoc:
    return SearchDoc(
        id=i,
        code=f"C{i}",
        name=name,
        summary="",
        department_id=1,
        status="published",
        open_type="unconditional",
        facets=facets or {},
        seq=i,
    )


def test_a_damaged_or_foreign_file_is_refused(tmp_path):
    ix = SearchIndex()
    ix.upsert([_doc(1, "户籍人口信息")])
    path = tmp_path / "catalog.npz"
    snapshot.save(ix, path, {})
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(snapshot.SnapshotError, match="catalog.npz"):
        snapshot.load(path)
    np.savez(path, header=np.frombuffer(b'{"format": "other/9"}', np.uint8))
    with pytest.raises(snapshot.SnapshotError, match="other/9"):
        snapshot.load(path)
    with pytest.raises(snapshot.SnapshotError):
        snapshot.load(tmp_path / "missing.npz")
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def _altered(path, change) -> None:
    """Rewrite the saved file with one array changed, its header kept (a crafted file)."""
    with np.load(path, allow_pickle=False) as z:
        parts = {k: z[k] for k in z.files}
    change(parts)
    with open(path, "wb") as f:
        np.savez(f, **parts)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.update({"a.alive": p["a.alive"][:-1]}),  # fewer live flags than rows
        lambda p: p.update({"a.prow": p["a.prow"] + 1000}),  # postings of rows it does not have
        lambda p: p.update({"a.ptr": p["a.ptr"][::-1].copy()}),  # offsets going back
        lambda p: p.update({"a.pw": p["a.pw"][:-1]}),  # weights shorter than postings
        lambda p: p.update({"a.flen": p["a.flen"].reshape(-1)}),  # field lengths flattened
        lambda p: p.update({k: v[:-1] for k, v in p.items() if k.startswith("a.facet.")}),
        lambda p: p.update({k: v + 50 for k, v in p.items() if k.startswith("a.facet.")}),  # unknown values
        lambda p: p.update({"a.alive": np.zeros_like(p["a.alive"])}),  # live count disagrees
    ],
    ids=["alive", "prow", "ptr", "pw", "flen", "facet-size", "facet-values", "live-count"],
)
def test_a_file_whose_parts_disagree_is_refused_before_any_search(tmp_path, change):
    """A file altered so its arrays disagree must not load and then fail inside a search."""
    ix = SearchIndex()
    ix.upsert(
        [
            _doc(i, name, {"level": "city", "category": ("基础",)})
            for i, name in enumerate(["户籍人口信息", "低保对象名单", "企业登记信息"], start=1)
        ]
    )
    path = tmp_path / "catalog.npz"
    snapshot.save(ix, path, {})
    snapshot.load(path)[0].search("户籍", scope=Scope.for_actor(SYSTEM), filters={})  # the good copy works
    _altered(path, change)
    with pytest.raises(snapshot.SnapshotError, match="catalog.npz"):
        snapshot.load(path)


def test_two_saves_at_once_leave_one_whole_copy(tmp_path):
    """Two threads saving beside one database must not write into one temporary file."""
    import threading

    ix = SearchIndex()
    ix.upsert([_doc(i, f"人口信息{i}") for i in range(1, 2000)])
    path = tmp_path / "catalog.npz"
    errors: list[BaseException] = []

    def save() -> None:
        try:
            for _ in range(3):
                snapshot.save(ix, path, {"seen_seq": 1999})
        except BaseException as exc:  # noqa: BLE001 - the test reports it below
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    loaded, meta = snapshot.load(path)
    assert len(loaded) == 1999 and meta == {"seen_seq": 1999}
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    "change",
    [
        lambda h: h["plain"].update({"facets": []}),
        lambda h: h["plain"].update({"options": "x"}),
        lambda h: h.pop("meta"),
        lambda h: h.update({"meta": [1]}),
    ],
    ids=["facets-list", "options", "no-meta", "meta-list"],
)
def test_a_header_of_the_wrong_shape_is_refused(tmp_path, change):
    import json

    ix = SearchIndex()
    ix.upsert([_doc(1, "户籍", {"level": "city"})])
    path = tmp_path / "catalog.npz"
    snapshot.save(ix, path, {"seen_seq": 1})

    def rewrite(parts):
        header = json.loads(parts["header"].tobytes().decode("utf-8"))
        change(header)
        parts["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), np.uint8)

    _altered(path, rewrite)
    with pytest.raises(snapshot.SnapshotError, match="catalog.npz"):
        snapshot.load(path)
