"""Catalog search over the database: keeps an in-memory :class:`SearchIndex` current.

The database is the source of truth. Each write stores the entry's analysed terms
(so restarts never re-run segmentation) and a change number; before each search the
index loads only the entries whose change number is past the last one it saw, so
several server processes stay consistent without a separate search server.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huitong.access import Actor
from huitong.catalog.classification import ROOT_EN
from huitong.catalog.search import ALL_FACETS, Scope, SearchDoc, SearchIndex, SearchResult, fields_terms
from huitong.catalog.search import snapshot as snapshots
from huitong.catalog.search.analyzer import analyze_query
from huitong.catalog.tables import Resource
from huitong.db.base import Database
from huitong.errors import Problem, invalid
from huitong.org.tables import Department, Region

log = logging.getLogger("huitong.catalog")

FACET_KEYS = tuple(ALL_FACETS)


def _categories(class_code: str, also_in: list[str] | None) -> tuple[str, ...]:
    """The 基础/主题/部门 trees an entry is classified in, by the first digit of each code."""
    roots = (ROOT_EN.get(code[:1]) for code in [class_code, *(also_in or [])])
    return tuple(dict.fromkeys(r for r in roots if r))


def _facets(res: Resource) -> dict[str, Any]:
    return {
        "department": res.provider.code,
        "level": res.provider.region.level,
        "category": _categories(res.class_code, res.also_in),
        "share_type": res.share_type,
        "open_type": res.open_type,
        "format": res.format_class,
        "update_cycle": res.update_cycle,
    }


def doc_for(res: Resource, *, with_terms: bool = True) -> SearchDoc:
    return SearchDoc(
        id=res.id,
        code=res.code,
        name=res.name,
        summary=res.summary,
        tags=tuple(res.tags or ()),
        item_names=tuple(it.name for it in res.items),
        provider_name=provider_label(res.provider),
        department_id=res.provider_id,
        status=res.status,
        open_type=res.open_type,
        facets=_facets(res),
        seq=res.change_seq,
        terms={k: tuple(v) for k, v in res.search_terms.items()} if with_terms and res.search_terms else None,
    )


_CHUNK = 25_000  # fewer, larger merges: a cold start of 100k entries is 4 merges, not 20
_DOC_COLUMNS = (
    Resource.id,
    Resource.code,
    Resource.name,
    Resource.summary,
    Resource.class_code,
    Resource.also_in,
    Resource.provider_id,
    Resource.status,
    Resource.share_type,
    Resource.open_type,
    Resource.format_class,
    Resource.update_cycle,
    Resource.change_seq,
    Resource.search_terms,
    Department.code.label("provider_code"),
    Department.name.label("provider_dept"),
    Region.name.label("region_name"),
    Region.level.label("region_level"),
)


def _doc_from_row(session: Session, row) -> SearchDoc:
    """A search document from plain columns: the stored terms make the entry's items and
    tags unnecessary, so a cold start reads one row per entry and analyses nothing."""
    if not row.search_terms:  # written before terms were stored: analyse it once, the slow way
        return doc_for(session.get(Resource, row.id))
    return SearchDoc(
        id=row.id,
        code=row.code,
        name=row.name,
        summary=row.summary,
        provider_name=f"{row.region_name}{row.provider_dept}",
        department_id=row.provider_id,
        status=row.status,
        open_type=row.open_type,
        seq=row.change_seq,
        facets={
            "department": row.provider_code,
            "level": row.region_level,
            "category": _categories(row.class_code, row.also_in),
            "share_type": row.share_type,
            "open_type": row.open_type,
            "format": row.format_class,
            "update_cycle": row.update_cycle,
        },
        terms={k: tuple(v) for k, v in row.search_terms.items()},
    )


def provider_label(dept: Department) -> str:
    """How the index names a provider: its region, then its name (长沙市公安局)."""
    return f"{dept.region.name}{dept.name}"


def terms_of(
    *, code: str, name: str, summary: str, tags: Any, item_names: Any, provider_name: str
) -> dict[str, list[str]]:
    """The analysed terms the catalog stores with an entry, from the fields searched."""
    doc = SearchDoc(
        id=0,
        code=code,
        name=name,
        summary=summary,
        tags=tuple(tags),
        item_names=tuple(item_names),
        provider_name=provider_name,
    )
    return {k: list(v) for k, v in fields_terms(doc).items()}


def terms_for(res: Resource) -> dict[str, list[str]]:
    return terms_of(
        code=res.code,
        name=res.name,
        summary=res.summary,
        tags=res.tags or (),
        item_names=[it.name for it in res.items],
        provider_name=provider_label(res.provider),
    )


_TAIL = 256  # a saved copy's last changes compared with the database's before it is used


def _disagreement(session: Session, index: SearchIndex, seen: int, count: int, latest: int) -> str | None:
    """Why a saved copy (read up to change ``seen``, ``count`` entries then) is not this catalog's
    as it is now; None when it is."""
    if latest < seen:
        return f"it was saved at change {seen} and the catalog is back at {latest}"
    if session.scalar(select(func.count()).select_from(Resource)) < count:
        return f"it counted {count} entries and the catalog has fewer"
    tail = {doc[0]: doc for doc in index.latest(_TAIL)}
    if not tail:
        return None if count == 0 else "it holds no entries"
    low = min(doc[1] for doc in tail.values())
    window = session.execute(
        select(Resource.id, Resource.change_seq, Resource.code, Resource.name).where(
            Resource.change_seq.between(low, seen)
        )
    ).all()
    for row in window:
        if tail.get(row.id) != tuple(row):
            return f"entry {row.code} at change {row.change_seq} is not in it as the database has it"
    missing = sorted(set(tail) - {row.id for row in window})  # at most _TAIL: one IN list
    for row in session.execute(select(Resource.code, Resource.change_seq).where(Resource.id.in_(missing))):
        if row.change_seq <= seen:
            return f"entry {row.code} is at change {row.change_seq} in the database, older than the copy's"
    if len(missing) > len(session.execute(select(Resource.id).where(Resource.id.in_(missing))).all()):
        return "it holds entries the database does not have"
    return None


SAVE_AFTER = 1_000  # entries loaded from the database since the saved copy that make it worth saving again


@dataclass
class CatalogSearch:
    """The index and how far it has read the catalog. With a ``snapshot`` path, a cold start
    loads the saved copy (checked against the database) and then only what changed after it."""

    index: SearchIndex
    seen_seq: int = 0
    snapshot: Path | None = None
    saved_seq: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def refresh(self, session: Session) -> int:
        """Load entries changed since the last refresh; returns how many were loaded."""
        latest = session.scalar(select(func.max(Resource.change_seq))) or 0
        if latest <= self.seen_seq:
            return 0
        with self._lock:
            if latest <= self.seen_seq:
                return 0
            if self.seen_seq == 0 and self.snapshot is not None and self.snapshot.exists():
                self._load_snapshot(session, latest)
            loaded = 0
            stmt = (
                select(*_DOC_COLUMNS)
                .join(Department, Resource.provider_id == Department.id)
                .join(Region, Department.region_id == Region.id)
                .where(Resource.change_seq > self.seen_seq)
                .order_by(Resource.change_seq)
                .execution_options(yield_per=_CHUNK)
            )
            if self.seen_seq == 0:  # cold start without a saved copy: one build, not a merge per chunk
                docs = [_doc_from_row(session, row) for row in session.execute(stmt)]
                self.index.upsert(docs)
                self.seen_seq = docs[-1].seq if docs else 0
                return len(docs)
            for chunk in session.execute(stmt).partitions():
                docs = [_doc_from_row(session, row) for row in chunk]
                self.index.upsert(docs)
                self.seen_seq = max(self.seen_seq, docs[-1].seq)
                loaded += len(docs)
            return loaded

    def _load_snapshot(self, session: Session, latest: int) -> None:
        """Use the saved copy only if it was saved from this catalog as it is now. The catalog's
        change number must not have gone back, the entries it counted must still be there
        (entries are never deleted), and its last ``_TAIL`` changes must be the database's:
        every entry the database last changed up to the copy's change number is in the copy
        with the same number, code and name, and every entry of the copy's tail that the
        database does not show with that number was changed after it. A copy from another
        catalog with the same codes, or saved before the database was restored from a backup
        and changed again, fails that comparison and the index is built from the database."""
        try:
            index, meta = snapshots.load(self.snapshot)
            seen, count = int(meta["seen_seq"]), int(meta["count"])
        except (snapshots.SnapshotError, KeyError, TypeError, ValueError) as exc:
            log.warning("the saved search index is not used (%s); building it from the database", exc)
            return
        problem = _disagreement(session, index, seen, count, latest)
        if problem:
            log.warning("the saved search index is not used (%s); building it from the database", problem)
            return
        self.index, self.seen_seq, self.saved_seq = index, seen, seen

    def save(self, session: Session, *, force: bool = False) -> bool:
        """Save the index beside the database if it has read enough since the last copy (or
        ``force`` and anything at all); returns whether it wrote one."""
        if self.snapshot is None:
            return False
        self.refresh(session)
        with self._lock:
            fresh = self.seen_seq - self.saved_seq
            if self.seen_seq == 0 or fresh <= 0 or (not force and fresh < SAVE_AFTER and self.saved_seq):
                return False
            meta = {
                "seen_seq": self.seen_seq,
                "count": session.scalar(select(func.count()).select_from(Resource)),
            }
            snapshots.save(self.index, self.snapshot, meta)
            self.saved_seq = self.seen_seq
            return True

    def search(
        self,
        session: Session,
        actor: Actor,
        query: str,
        *,
        filters: dict[str, list[str]] | None = None,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
    ) -> SearchResult:
        unknown = sorted(set(filters or {}) - set(FACET_KEYS))
        if unknown:
            raise invalid(
                f"unknown search filter {unknown[0]!r}: use one of {', '.join(FACET_KEYS)}",
                Problem("unknown filter", field=unknown[0]),
            )
        if sort not in ("relevance", "name", "recent"):
            raise invalid(f"sort {sort!r}: use relevance, name or recent", Problem("bad sort", field="sort"))
        self.refresh(session)
        return self.index.search(
            query,
            scope=Scope.for_actor(actor),
            filters=filters or {},
            facets=FACET_KEYS,
            page=page,
            per_page=per_page,
            sort=sort,
        )


def save_search(db: Database) -> bool:
    """At shutdown: save the index if it learned anything since its copy (no-op without one)."""
    search = catalog_search(db)
    if search.snapshot is None:
        return False
    try:
        with db.session(read_only=True) as session:
            return search.save(session, force=True)
    except Exception:  # shutting down must not fail over a cache
        log.exception("saving the catalog search index at shutdown failed")
        return False


def catalog_search(db: Database) -> CatalogSearch:
    """The search index that belongs to this database handle (one per process)."""
    return db.parts.get(CatalogSearch, lambda: CatalogSearch(SearchIndex()))


def warm(db: Database, *, then=None, snapshot: Path | None = None) -> threading.Thread:
    """Load the search index in the background, so a restarted server's first search does not
    wait for it; a search that comes sooner waits for this load instead of starting its own.
    With ``snapshot`` (a file beside the database) the saved copy is loaded and brought up to
    date, which takes seconds where building from the database takes 15–30 s at 100,000
    entries, and a new copy is saved when the old one was missing or far behind. ``then()``
    runs once it is loaded."""
    search = catalog_search(db)
    if snapshot is not None:
        search.snapshot = snapshot

    def load() -> None:
        try:
            with db.session(read_only=True) as session:
                search.refresh(session)
                try:
                    search.save(session)
                except OSError:  # a read-only or full disk: searching still works
                    log.exception("saving the catalog search index failed")
            analyze_query("户籍")  # load the segmenter's dictionaries now, not in the first search
        except Exception:  # the first search loads it instead, and says what is wrong
            log.exception("loading the catalog search index at start failed")
            return
        if then is not None:
            then()

    thread = threading.Thread(target=load, name="huitong-search-warm", daemon=True)
    thread.start()
    return thread


CATEGORY_ZH = {"base": "基础", "theme": "主题", "department": "部门"}
ENUM_FACETS = {
    "share_type": "ShareType",
    "open_type": "OpenType",
    "format": "FormatClass",
    "update_cycle": "UpdateCycle",
}


def facet_label(key: str, value: str, dept_names: dict[str, str]) -> str:
    """The Chinese label a person reads beside a facet value (the value stays the code)."""
    from huitong.catalog.model import LABELS
    from huitong.org.model import LEVEL_ZH, AdminLevel

    if key == "department":
        return dept_names.get(value, value)
    if key == "level":
        return LEVEL_ZH[AdminLevel(value)] if value in AdminLevel._value2member_map_ else value
    if key == "category":
        return CATEGORY_ZH.get(value, value)
    if key in ENUM_FACETS:
        return LABELS[ENUM_FACETS[key]].get(value, value)
    return value


def search_page(
    db: Database,
    session: Session,
    actor: Actor,
    query: str,
    *,
    filters: dict[str, list[str]] | None = None,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
) -> dict[str, Any]:
    """One page of results as the CLI and API show it: each hit with the entry's key
    attributes, each facet value with its label."""
    from huitong.catalog.model import LABELS, Status

    result = catalog_search(db).search(
        session, actor, query, filters=filters, page=page, per_page=per_page, sort=sort
    )
    # Plain columns, not ORM entities: a page needs a dozen attributes, not each entry's items.
    rows = {
        r.code: r
        for r in session.execute(
            select(*(c for c in _DOC_COLUMNS if c is not Resource.search_terms), Resource.grade)
            .join(Department, Resource.provider_id == Department.id)
            .join(Region, Department.region_id == Region.id)
            .where(Resource.code.in_([h.code for h in result.hits]))
        )
    }
    dept_names = {}
    if result.facets.get("department"):
        wanted = [v for v, _ in result.facets["department"]]
        dept_names = {
            code: f"{region}{name}"
            for code, name, region in session.execute(
                select(Department.code, Department.name, Region.name)
                .join(Region, Department.region_id == Region.id)
                .where(Department.code.in_(wanted))
            )
        }
    hits = []
    for h in result.hits:
        r = rows.get(h.code)
        if r is None:  # removed between the index refresh and this read
            continue
        hits.append(
            {
                "code": h.code,
                "score": round(h.score, 4),
                "name": r.name,
                "name_html": h.name_html,
                "summary_html": h.summary_html,
                "matched": list(h.matched_fields),
                "provider_code": r.provider_code,
                "provider_name": f"{r.region_name}{r.provider_dept}",
                "status": r.status,
                "status_zh": Status(r.status).label_zh,
                "share_type": r.share_type,
                "share_type_zh": LABELS["ShareType"].get(r.share_type, r.share_type),
                "open_type": r.open_type,
                "open_type_zh": LABELS["OpenType"].get(r.open_type, r.open_type),
                "update_cycle": r.update_cycle,
                "grade": r.grade,
            }
        )
    return {
        "query": query,
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "results": hits,
        "facets": {
            key: [
                {"value": v, "count": n, "label": facet_label(key, v, dept_names)}
                for v, n in result.facets.get(key, [])
            ]
            for key in FACET_KEYS
        },
    }
