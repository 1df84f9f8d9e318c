"""Helpers for catalog search tests: building SearchDocs tersely."""

from __future__ import annotations

import itertools

import pytest

from huitong.catalog.search import SearchDoc

_ids = itertools.count(1)


def make_doc(
    name: str,
    *,
    id: int | None = None,
    summary: str = "",
    tags=(),
    item_names=(),
    provider_name: str = "",
    department_id: int = 1,
    status: str = "published",
    open_type: str = "unconditional",
    facets: dict | None = None,
    seq: int | None = None,
) -> SearchDoc:
    doc_id = next(_ids) if id is None else id
    return SearchDoc(
        id=doc_id,
        code=f"C{doc_id:05d}",
        name=name,
        summary=summary,
        tags=tuple(tags),
        item_names=tuple(item_names),
        provider_name=provider_name,
        department_id=department_id,
        status=status,
        open_type=open_type,
        facets=facets or {},
        seq=doc_id if seq is None else seq,
    )


@pytest.fixture
def doc():
    return make_doc
