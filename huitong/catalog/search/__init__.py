"""Catalog search (目录检索): Chinese-aware ranked, scoped, faceted search, in memory.

``analyzer`` turns text into jieba words, character bigrams and namespaced pinyin tokens;
``index`` keeps numpy postings and answers :meth:`SearchIndex.search`; ``highlight`` marks
what matched. Pure: no database and no I/O beyond the bundled dictionaries.
"""

from huitong.catalog.search.analyzer import ANALYZER_VERSION, QueryTerms, analyze, analyze_query, normalize
from huitong.catalog.search.highlight import highlight
from huitong.catalog.search.index import (
    ALL_FACETS,
    FIELD_WEIGHTS,
    FIELDS,
    Scope,
    SearchDoc,
    SearchHit,
    SearchIndex,
    SearchResult,
    fields_terms,
)

__all__ = [
    "ALL_FACETS",
    "ANALYZER_VERSION",
    "FIELDS",
    "FIELD_WEIGHTS",
    "QueryTerms",
    "Scope",
    "SearchDoc",
    "SearchHit",
    "SearchIndex",
    "SearchResult",
    "analyze",
    "analyze_query",
    "fields_terms",
    "highlight",
    "normalize",
]
