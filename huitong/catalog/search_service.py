"""Catalog search over the database: keeps an in-memory :class:`SearchIndex` current.

The database is the source of truth. Each write stores the entry's analysed terms
(so restarts never re-run segmentation) and a change number; before each search the
index loads only the entries whose change number is past the last one it saw, so
several server processes stay consistent without a separate search server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huitong.access import Actor
from huitong.catalog.classification import ROOT_EN
from huitong.catalog.search import ALL_FACETS, Scope, SearchDoc, SearchIndex, SearchResult, fields_terms
from huitong.catalog.tables import Resource
from huitong.db.base import Database
from huitong.org.model import Role

FACET_KEYS = tuple(ALL_FACETS)


def _facets(res: Resource) -> dict[str, Any]:
    roots = []
    for code in [res.class_code, *(res.also_in or [])]:
        root = ROOT_EN.get(code[:1])
        if root and root not in roots:
            roots.append(root)
    return {
        "department": res.provider.code,
        "level": res.provider.region.level,
        "category": tuple(roots),
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
        provider_name=f"{res.provider.region.name}{res.provider.name}",
        department_id=res.provider_id,
        status=res.status,
        open_type=res.open_type,
        facets=_facets(res),
        seq=res.change_seq,
        terms={k: tuple(v) for k, v in res.search_terms.items()} if with_terms and res.search_terms else None,
    )


def terms_for(res: Resource) -> dict[str, list[str]]:
    return {k: list(v) for k, v in fields_terms(doc_for(res, with_terms=False)).items()}


def scope_for(actor: Actor) -> Scope:
    if actor.is_system or actor.has(Role.operator):
        return Scope("all")
    if actor.is_public:
        return Scope("public")
    return Scope("member", actor.department_id)


@dataclass
class CatalogSearch:
    index: SearchIndex
    seen_seq: int = 0

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
            rows = session.scalars(select(Resource).where(Resource.change_seq > self.seen_seq)).all()
            self.index.upsert([doc_for(r) for r in rows])
            self.seen_seq = max([self.seen_seq, *(r.change_seq for r in rows)])
            return len(rows)

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
        self.refresh(session)
        return self.index.search(
            query,
            scope=scope_for(actor),
            filters=filters or {},
            facets=FACET_KEYS,
            page=page,
            per_page=per_page,
            sort=sort,
        )


def catalog_search(db: Database) -> CatalogSearch:
    """The search index that belongs to this database handle (one per process)."""
    found = getattr(db, "_catalog_search", None)
    if found is None:
        found = CatalogSearch(SearchIndex())
        db._catalog_search = found  # type: ignore[attr-defined]
    return found
