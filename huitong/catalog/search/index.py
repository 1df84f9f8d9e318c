"""In-memory ranked, faceted search over catalog entries (pure: no database, no I/O).

Storage design (why it is shaped like this):

* **Postings** live in one CSR "main segment" of numpy arrays: for every term id a slice
  of ``int32`` rows (ascending), ``float32`` BM25F weights and a ``uint8`` bit set of the
  fields the term occurs in (9 bytes a posting; Python lists per term would cost ~40).
* **Single upserts are cheap** (append + tombstones): a changed entry gets a *new* row and
  its old row is only marked dead. The new postings form a small sorted "delta segment"
  (same arrays plus term ids) that queries read beside the main slice; a few deltas are
  merged into one, and when the delta outgrows ``delta_limit`` (or a quarter of the main
  segment), or dead rows pass ``dead_ratio``, a compaction merges everything into a new main
  segment with a counting-sort scatter (O(postings), no global sort), dropping dead postings
  and renumbering rows. Big loads (``bulk_docs``+) are merged directly, in chunks.
* **Scope and filters are boolean masks** kept up to date on every upsert/remove: public and
  published-or-retired per row (a member adds ``department == theirs``, one vector compare),
  and one per facet value once it has been filtered on (bounded LRU, 256).
* **Facets** are counted with ``np.bincount`` over per-row value codes (one ``int64`` column
  per value slot, 0 = none; a multi-valued facet such as category 基础+部门 has one column per
  slot, CSR-like but updatable in place). A result covering most rows is counted as cached
  totals minus its complement.

Ranking is BM25F (k1=1.2, b=0.75) with field weights, a boost when the whole query occurs
in the name, and fallback alternatives (sub-words, bigrams, pinyin) weighted below word
matches. Weights are computed when a posting is written, with the field-length averages of
that moment; the small drift after later upserts is accepted. Document frequency is the
posting count including not-yet-compacted dead rows (off by at most ``dead_ratio``).
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import numpy as np

from huitong.catalog.search.analyzer import (
    Alternative,
    QueryClause,
    QueryTerms,
    analyze,
    analyze_query,
    normalize,
    run_pinyin,
    runs,
)
from huitong.catalog.search.highlight import highlight

if TYPE_CHECKING:
    from huitong.access.actor import Actor

ALL_FACETS = ("department", "level", "category", "share_type", "open_type", "format", "update_cycle")
# Indexed fields and their BM25F weights; ``code`` lets people paste a resource code.
FIELDS = ("name", "tags", "item_names", "summary", "provider_name", "code")
FIELD_WEIGHTS = np.array([3.0, 2.0, 1.0, 1.0, 0.5, 1.0])
PINYIN_FIELDS = frozenset({"name", "tags", "provider_name"})  # short, typed-by-initials fields
K1, B = 1.2, 0.75
PHRASE_BOOST, EXACT_BOOST = 1.5, 2.0  # whole query inside the name / equal to the name
PHRASE_WINDOW = 1000  # boosts are decided among this many best-scoring matches
CHUNK = 4096  # docs encoded at a time: bounds the temporary Python lists of a big load
MAX_DELTA_PARTS = 8  # more delta segments than this are merged into one
PUBLIC_OPEN = ("unconditional", "conditional")
SHARED_STATES = ("published", "retired")
SORTS = ("relevance", "name", "recent")


@dataclass(frozen=True, kw_only=True)
class SearchDoc:
    """What the index needs of one catalog entry. ``terms`` caches :func:`fields_terms`
    (the catalog stores it, so a restart does not re-run jieba)."""

    id: int
    code: str
    name: str
    summary: str = ""
    tags: tuple[str, ...] = ()
    item_names: tuple[str, ...] = ()
    provider_name: str = ""
    department_id: int | None = None
    status: str = "draft"
    open_type: str = "none"
    facets: Mapping[str, str | tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    seq: int = 0
    terms: Mapping[str, tuple[str, ...]] | None = None

    def with_terms(self) -> SearchDoc:
        return self if self.terms is not None else replace(self, terms=fields_terms(self))


def fields_terms(doc: SearchDoc) -> dict[str, tuple[str, ...]]:
    """Analyzer output per field (pinyin only for the short fields people type initials for)."""

    def many(values: Iterable[str], pinyin: bool) -> tuple[str, ...]:
        out: list[str] = []
        for v in values:
            out += analyze(v, pinyin=pinyin)
        return tuple(out)

    return {
        "name": tuple(analyze(doc.name)),
        "tags": many(doc.tags, True),
        "item_names": many(doc.item_names, False),
        "summary": tuple(analyze(doc.summary, pinyin=False)),
        "provider_name": tuple(analyze(doc.provider_name)),
        "code": tuple(analyze(doc.code, pinyin=False)),
    }


@dataclass(frozen=True)
class Scope:
    """Which entries a searcher may see; mirrors ``access.policy._catalog_read``.

    public: published and open (unconditional/conditional); member: published or retired,
    plus any entry of their own department; all: everything (the platform operator).
    """

    kind: Literal["public", "member", "all"]
    department_id: int | None = None

    def __post_init__(self):
        if self.kind not in ("public", "member", "all"):
            raise ValueError(f"unknown scope {self.kind!r}")

    @classmethod
    def for_actor(cls, actor: Actor) -> Scope:
        from huitong.access.roles import Role

        if actor.is_public:
            return cls("public")
        if actor.is_system or actor.has(Role.operator):
            return cls("all")
        own = actor.has(Role.dept_admin) or actor.has(Role.dept_user)
        return cls("member", actor.department_id if own else None)


@dataclass(frozen=True)
class SearchHit:
    id: int
    code: str
    score: float
    name_html: str
    summary_html: str
    matched_fields: tuple[str, ...]


@dataclass(frozen=True)
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]]


class _Facet:
    """Value dictionary of one facet key and its per-row code columns (code + 1; 0 = none)."""

    __slots__ = ("values", "index", "cols", "totals")

    def __init__(self, cap: int):
        self.values: list[str] = []
        self.index: dict[str, int] = {}
        self.cols = [np.zeros(cap, np.int64)]
        self.totals: list[np.ndarray] | None = None  # bincount of each column over all rows

    def code(self, value: str) -> int:
        c = self.index.get(value)
        if c is None:
            c = self.index[value] = len(self.values)
            self.values.append(value)
        return c

    def has(self, code: int, sl: slice) -> np.ndarray:
        out = self.cols[0][sl] == code + 1
        for col in self.cols[1:]:
            out |= col[sl] == code + 1
        return out

    def count(self, rows: np.ndarray, complement: np.ndarray | None, n: int) -> np.ndarray:
        m = len(self.values) + 1
        if complement is None:
            total = np.bincount(self.cols[0].take(rows), minlength=m)
            for col in self.cols[1:]:
                total += np.bincount(col.take(rows), minlength=m)
            return total[1:]
        if self.totals is None:
            self.totals = [np.bincount(col[:n], minlength=m) for col in self.cols]
        total = sum(
            t - np.bincount(col.take(complement), minlength=m)
            for t, col in zip(self.totals, self.cols, strict=True)
        )
        return total[1:]


def _facet_values(v) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    return tuple(dict.fromkeys(str(x) for x in v))


def _is_cjk_pair(t: str) -> bool:
    return len(t) == 2 and all("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in t)


def _sort_key(norm_name: str) -> str:
    """Pinyin collation key (户籍 sorts under h), then the name itself breaks ties."""
    out = []
    for kind, run in runs(norm_name):
        out.append(" ".join(run_pinyin(run)) if kind == "cjk" else run)
    return " ".join(out)


def _check_saved(index: SearchIndex, n: int) -> None:
    """Refuse a saved state whose parts disagree (a damaged or crafted file): every row array and
    text list has ``n`` rows, the postings' offsets run from 0 to their length without going
    back, and every posting names a row that exists. Without this a bad file loads and then
    fails with an IndexError in the middle of a search."""
    kinds = {
        "_ptr": "i",
        "_prow": "i",
        "_pw": "f",
        "_pfm": "u",
        "_alive": "b",
        "_public": "b",
        "_shared": "b",
    }
    kinds |= {"_dept": "i", "_seq": "i", "_ids": "i", "_flen": "f"}
    wrong = sorted(name[1:] for name, kind in kinds.items() if getattr(index, name).dtype.kind != kind)
    if wrong:
        raise ValueError(f"a saved search index with arrays of the wrong type: {', '.join(wrong)}")
    sizes = {name: len(getattr(index, name)) for name in (*SearchIndex._ROW_ARRAYS, *SearchIndex._TEXTS[1:])}
    wrong = sorted(name[1:] for name, size in sizes.items() if size != n)
    if wrong:
        raise ValueError(
            f"a saved search index whose parts disagree on its size ({n} rows): {', '.join(wrong)}"
        )
    if index._flen.ndim != 2 or index._flen.shape[1] != len(FIELDS) or len(index._len_sum) != len(FIELDS):
        raise ValueError("a saved search index with field lengths of the wrong shape")
    ptr, npost = index._ptr, len(index._prow)
    if ptr.ndim != 1 or len(ptr) != len(index._terms) + 1 or ptr[0] != 0 or ptr[-1] != npost:
        raise ValueError("a saved search index whose postings do not match its terms")
    if np.any(np.diff(ptr) < 0) or len(index._pw) != npost or len(index._pfm) != npost:
        raise ValueError("a saved search index whose postings are out of order or of unequal length")
    if npost and (int(index._prow.min()) < 0 or int(index._prow.max()) >= n):
        raise ValueError("a saved search index with postings of rows it does not have")
    if len(set(index._ids[index._alive].tolist())) != int(index._alive.sum()):
        raise ValueError("a saved search index with an entry on two live rows")


def _check_counts(index: SearchIndex) -> None:
    n = index._n
    for key, facet in index._facets.items():
        for col in facet.cols:
            if len(col) != n or (n and (int(col.min()) < 0 or int(col.max()) > len(facet.values))):
                raise ValueError(f"a saved search index with facet {key!r} of the wrong size or values")
    if index._n_alive != int(index._alive.sum()) or index._dead != n - index._n_alive:
        raise ValueError("a saved search index whose live count disagrees with its rows")


class SearchIndex:
    """Thread-safe (one lock) search index; see the module docstring for the design."""

    def __init__(self, *, delta_limit: int = 200_000, dead_ratio: float = 0.2, bulk_docs: int = 2_000):
        """``delta_limit``: delta postings before a compaction (at least a quarter of the main
        segment, so compaction cost stays amortized O(1) per posting); ``dead_ratio``: share of
        tombstoned rows before rows are renumbered; ``bulk_docs``: an upsert this large skips
        the delta."""
        self._lock = threading.RLock()
        self._delta_limit = delta_limit
        self._dead_ratio = dead_ratio
        self._bulk_docs = bulk_docs
        self._vocab: dict[str, int] = {}
        self._terms: list[str] = []
        self._char_terms: dict[str, list[int]] = {}
        self._ptr = np.zeros(1, np.int64)
        self._prow = np.empty(0, np.int32)
        self._pw = np.empty(0, np.float32)
        self._pfm = np.empty(0, np.uint8)
        self._delta: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # sorted parts
        self._delta_n = 0
        self._cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._n = 0
        self._cap = 0
        self._alive = np.zeros(0, bool)
        self._public = np.zeros(0, bool)
        self._shared = np.zeros(0, bool)
        self._dept = np.zeros(0, np.int64)
        self._seq = np.zeros(0, np.int64)
        self._ids = np.zeros(0, np.int64)
        self._flen = np.zeros((0, len(FIELDS)), np.float32)
        self._len_sum = np.zeros(len(FIELDS))
        self._n_alive = 0
        self._dead = 0
        self._names: list[str] = []
        self._norm_names: list[str] = []
        self._summaries: list[str] = []
        self._codes: list[str] = []
        self._sort_keys: list[str | None] = []  # filled on the first sort by name
        self._row_of: dict[int, int] = {}
        self._facets: dict[str, _Facet] = {}
        self._value_masks: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self._orders: dict[str, np.ndarray] = {}  # cached row orders for sort=name/recent
        self._by_name: list[tuple[str, str, int, int]] | None = None  # (key, name, id, row), sorted
        self._max_seq = 0

    # --- size -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n_alive

    @property
    def max_seq(self) -> int:
        """Highest ``seq`` seen: the catalog resumes incremental sync from here."""
        return self._max_seq

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self._row_of

    def latest(self, k: int) -> list[tuple[int, int, str, str]]:
        """(id, seq, code, name) of the ``k`` live docs changed last, the newest first: what a
        saved copy is compared with before it is trusted."""
        with self._lock:
            rows = np.flatnonzero(self._alive[: self._n])
            if len(rows) > k:
                rows = rows[np.argpartition(self._seq[rows], len(rows) - k)[len(rows) - k :]]
            rows = rows[np.argsort(-self._seq[rows], kind="stable")]
            return [(int(self._ids[r]), int(self._seq[r]), self._codes[r], self._names[r]) for r in rows]

    def stats(self) -> dict[str, int]:
        """Sizes for monitoring: live docs, rows incl. tombstones, vocabulary, postings."""
        arrays = [
            self._ptr,
            self._prow,
            self._pw,
            self._pfm,
            self._alive,
            self._public,
            self._shared,
            self._dept,
            self._seq,
            self._ids,
            self._flen,
            *(c for f in self._facets.values() for c in f.cols),
            *self._value_masks.values(),
        ]
        return {
            "docs": self._n_alive,
            "rows": self._n,
            "dead_rows": self._dead,
            "terms": len(self._vocab),
            "postings": len(self._prow),
            "delta_postings": self._delta_n,
            "numpy_bytes": sum(a.nbytes for a in arrays),
        }

    # --- writes -----------------------------------------------------------------------------

    def upsert(self, docs: Iterable[SearchDoc]) -> None:
        """Add or replace entries (by id), streaming ``docs`` in chunks. Loads of
        ``bulk_docs`` or more are merged straight into the main segment; smaller ones become a
        delta segment. Analysis runs under the lock: pass docs ``with_terms()`` for big loads."""
        with self._lock:
            parts, count = [], 0
            try:
                for chunk in _chunks(docs, CHUNK):
                    chunk = list({d.id: d for d in chunk}.values())
                    terms = [self._field_lists(d) for d in chunk]  # may raise: before any change
                    for d in chunk:
                        self._kill(d.id)
                    parts.append(self._encode(terms, self._add_rows(chunk, terms)))
                    count += len(chunk)
            finally:  # chunks already applied are committed even if a later one was refused
                self._commit(parts, count)

    def _commit(self, parts: list, count: int) -> None:
        if not parts:
            return
        self._orders.clear()
        if count >= self._bulk_docs:
            self._compact(parts)
            parts.clear()
            if count >= 50_000:
                _trim_heap()
            return
        for p in parts:
            if len(p[0]):
                self._delta.append(p)
                self._delta_n += len(p[0])
                self._maybe_compact()

    def remove(self, ids: Iterable[int]) -> None:
        with self._lock:
            for i in ids:
                self._kill(i)
            self._maybe_compact()

    @staticmethod
    def _field_lists(doc: SearchDoc) -> list[tuple[str, ...]]:
        t = doc.terms if doc.terms is not None else fields_terms(doc)
        unknown = set(t) - set(FIELDS)
        if unknown:
            raise ValueError(f"doc {doc.id}: unknown term fields {sorted(unknown)}")
        return [tuple(t.get(f, ())) for f in FIELDS]

    def _kill(self, doc_id: int) -> None:
        row = self._row_of.pop(doc_id, None)
        if row is None:
            return
        self._alive[row] = self._public[row] = self._shared[row] = False
        self._len_sum -= self._flen[row]
        self._n_alive -= 1
        self._dead += 1

    def _grow(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = max(need, self._cap * 2, 1024)

        def grown(a: np.ndarray, fill=0) -> np.ndarray:
            out = np.full((cap, *a.shape[1:]), fill, a.dtype)
            out[: len(a)] = a
            return out

        self._alive, self._public, self._shared = grown(self._alive), grown(self._public), grown(self._shared)
        self._dept, self._seq, self._ids = grown(self._dept, -1), grown(self._seq), grown(self._ids)
        self._flen = grown(self._flen)
        for f in self._facets.values():
            f.cols = [grown(c) for c in f.cols]
        for k, m in self._value_masks.items():
            self._value_masks[k] = grown(m)
        self._cap = cap

    def _add_rows(self, chunk: list[SearchDoc], terms: list[list[tuple[str, ...]]]) -> np.ndarray:
        start, m = self._n, len(chunk)
        end = start + m
        self._grow(end)
        sl = slice(start, end)
        self._row_of.update(zip((d.id for d in chunk), range(start, end), strict=True))
        self._ids[sl] = [d.id for d in chunk]
        self._seq[sl] = [d.seq for d in chunk]
        self._dept[sl] = [-1 if d.department_id is None else d.department_id for d in chunk]
        self._alive[sl] = True
        self._public[sl] = [d.status == "published" and d.open_type in PUBLIC_OPEN for d in chunk]
        self._shared[sl] = [d.status in SHARED_STATES for d in chunk]
        self._flen[sl] = [[len(x) for x in t] for t in terms]
        self._names.extend(d.name for d in chunk)
        self._norm_names.extend(_norm_name(d.name) for d in chunk)
        self._summaries.extend(d.summary for d in chunk)
        self._codes.extend(d.code for d in chunk)
        self._sort_keys.extend([None] * m)
        self._max_seq = max(self._max_seq, max(d.seq for d in chunk))
        for key in {k for d in chunk for k in d.facets}:
            self._set_facet(key, sl, [d.facets.get(key) for d in chunk])
        self._n = end
        self._n_alive += m
        self._len_sum += self._flen[sl].sum(axis=0, dtype=np.float64)
        for (key, code), mask in self._value_masks.items():
            mask[sl] = self._facets[key].has(code, sl)
        if self._by_name is not None:  # keep the name order: a few inserts beat a re-sort
            if m > 1000:
                self._by_name = None
            else:
                for r in range(start, end):
                    bisect.insort(self._by_name, self._name_entry(r))
        return np.arange(start, end, dtype=np.int32)

    def _set_facet(self, key: str, sl: slice, raw: list) -> None:
        f = self._facets.get(key)
        if f is None:
            f = self._facets[key] = _Facet(self._cap)
        f.totals = None
        index, code = f.index, f.code
        for col in f.cols[1:]:
            col[sl] = 0
        if all(type(v) is str for v in raw):  # the usual single-valued case, kept fast
            f.cols[0][sl] = [index[v] + 1 if v in index else code(v) + 1 for v in raw]
            return
        values = [_facet_values(v) for v in raw]
        while max(map(len, values)) > len(f.cols):
            f.cols.append(np.zeros(self._cap, np.int64))
        for j, col in enumerate(f.cols):
            col[sl] = [code(vs[j]) + 1 if j < len(vs) else 0 for vs in values]

    def _encode(self, terms: list[list[tuple[str, ...]]], rows: np.ndarray):
        """Postings (term, row, weight, fields) of a chunk, sorted by term then row."""
        vocab = self._vocab
        counts = np.array([len(t) for fields in terms for t in fields], np.int64)
        tokens = list(chain.from_iterable(chain.from_iterable(terms)))
        local = dict.fromkeys(tokens)  # the chunk's distinct tokens: far fewer than tokens
        get = vocab.get
        for t in local:
            i = get(t)
            if i is None:
                i = vocab[t] = len(vocab)
                self._new_term(t, i)
            local[t] = i
        nf = len(FIELDS)
        tid = np.fromiter(map(local.__getitem__, tokens), np.int64, len(tokens))
        row = np.repeat(np.repeat(rows.astype(np.int64), nf), counts)
        fld = np.repeat(np.tile(np.arange(nf, dtype=np.int64), len(rows)), counts)
        keys, tf = np.unique((tid << 32) | (row << 3) | fld, return_counts=True)
        fld, row, tid = keys & 7, (keys >> 3) & 0x1FFFFFFF, keys >> 32
        avg = np.maximum(self._len_sum / max(self._n_alive, 1), 1.0)
        norm = (1 - B) + B * self._flen[row, fld] / avg[fld]
        contrib = FIELD_WEIGHTS[fld] * tf / norm
        pair = keys >> 3
        starts = np.flatnonzero(np.concatenate(([True], pair[1:] != pair[:-1])))
        tft = np.add.reduceat(contrib, starts)
        fm = np.bitwise_or.reduceat((1 << fld).astype(np.uint8), starts)
        return (
            tid[starts].astype(np.int32),
            row[starts].astype(np.int32),
            (tft / (K1 + tft)).astype(np.float32),
            fm,
        )

    def _new_term(self, term: str, tid: int) -> None:
        self._terms.append(term)
        if _is_cjk_pair(term):
            for c in set(term):
                self._char_terms.setdefault(c, []).append(tid)

    def _maybe_compact(self) -> None:
        if self._delta_n > max(
            self._delta_limit, len(self._prow) // 4
        ) or self._dead > self._dead_ratio * max(self._n, 1000):
            self._compact([])
            return
        # Binary-counter merging of the newest delta segments keeps their number logarithmic
        # and each posting's merge work O(log n); adjacent segments keep rows in order.
        delta = self._delta
        while len(delta) > 1 and (len(delta[-1][0]) * 2 >= len(delta[-2][0]) or len(delta) > MAX_DELTA_PARTS):
            a, b = delta[-2], delta.pop()
            parts = [tuple(np.concatenate(x) for x in zip(a, b, strict=True))]
            order = np.argsort(parts[0][0], kind="stable")  # stable: rows stay ascending per term
            keep = self._alive[parts[0][1][order]]
            delta[-1] = tuple(x[order][keep] for x in parts[0])
            self._delta_n -= len(order) - int(keep.sum())
        self._cache.clear()

    def _compact(self, extra: list) -> None:
        """Merge main + delta + ``extra`` into a new main segment; drop dead postings, and
        renumber rows when tombstones pile up."""
        main = (
            np.repeat(np.arange(len(self._ptr) - 1, dtype=np.int32), np.diff(self._ptr)),
            self._prow,
            self._pw,
            self._pfm,
        )
        parts = [main, *self._delta, *extra]
        remap = self._drop_dead_rows() if self._dead > self._dead_ratio * max(self._n, 1000) else None
        self._ptr, self._prow, self._pw, self._pfm = self._merge(parts, len(self._vocab), self._alive, remap)
        self._delta, self._delta_n = [], 0
        self._cache.clear()

    @staticmethod
    def _merge(parts, n_terms: int, alive: np.ndarray, remap: np.ndarray | None = None):
        """Counting-sort scatter of postings parts into CSR (ptr, rows, weights, fields).

        Parts come in ascending row order, so each term's rows stay sorted without a global
        sort. Dead rows are dropped (``remap``, if given, renumbers rows; -1 = dead)."""
        kept = []
        for p in parts:
            if not len(p[0]):
                continue
            keep = alive[p[1]] if remap is None else remap[p[1]] >= 0
            if not keep.all():
                p = tuple(a[keep] for a in p)
            if remap is not None:
                p = (p[0], remap[p[1]].astype(np.int32), p[2], p[3])
            kept.append(p)
        counts = [np.bincount(p[0], minlength=n_terms) for p in kept]
        ptr = np.zeros(n_terms + 1, np.int64)
        if counts:
            np.cumsum(sum(counts), out=ptr[1:])
        size = int(ptr[-1])
        prow, pw, pfm = np.empty(size, np.int32), np.empty(size, np.float32), np.empty(size, np.uint8)
        offs = ptr[:-1].copy()
        for p, c in zip(kept, counts, strict=True):
            first = np.cumsum(c) - c
            pos = offs[p[0]] + (np.arange(len(p[0])) - first[p[0]])
            prow[pos], pw[pos], pfm[pos] = p[1], p[2], p[3]
            offs += c
        return ptr, prow, pw, pfm

    def _drop_dead_rows(self) -> np.ndarray:
        """Renumber live rows densely; returns old row -> new row (-1 for dead)."""
        n = self._n
        alive = self._alive[:n].copy()
        remap = np.cumsum(alive, dtype=np.int64) - 1
        remap[~alive] = -1
        keep = np.flatnonzero(alive)
        m = len(keep)
        for name in ("_alive", "_public", "_shared", "_dept", "_seq", "_ids", "_flen"):
            a = getattr(self, name)
            a[:m] = a[keep]
            a[m:n] = -1 if name == "_dept" else 0
        for f in self._facets.values():
            for col in f.cols:
                col[:m] = col[keep]
                col[m:n] = 0
            f.totals = None
        keep_list = keep.tolist()
        for name in ("_names", "_norm_names", "_summaries", "_codes", "_sort_keys"):
            old = getattr(self, name)
            setattr(self, name, [old[i] for i in keep_list])
        self._row_of = {doc_id: int(remap[row]) for doc_id, row in self._row_of.items()}
        self._value_masks.clear()
        self._n, self._dead = m, 0
        self._orders.clear()
        self._by_name = None
        return remap

    # --- a saved copy -----------------------------------------------------------------------

    _ROW_ARRAYS = ("_alive", "_public", "_shared", "_dept", "_seq", "_ids", "_flen")
    _TEXTS = ("_terms", "_names", "_norm_names", "_summaries", "_codes")

    def state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Everything that is not derivable, as arrays and plain values (the delta merged first),
        for :mod:`huitong.catalog.search.snapshot`. Caches are left out; they refill."""
        with self._lock:
            if self._delta:
                self._compact([])
            n = self._n
            arrays: dict[str, np.ndarray] = {
                "ptr": self._ptr,
                "prow": self._prow,
                "pw": self._pw,
                "pfm": self._pfm,
                "len_sum": self._len_sum,
                **{name[1:]: getattr(self, name)[:n] for name in self._ROW_ARRAYS},
            }
            facets = {}
            for key, f in self._facets.items():
                facets[key] = {"values": list(f.values), "slots": len(f.cols)}
                for j, col in enumerate(f.cols):
                    arrays[f"facet.{key}.{j}"] = col[:n]
            plain = {
                "n": n,
                "n_alive": self._n_alive,
                "dead": self._dead,
                "max_seq": self._max_seq,
                "options": [self._delta_limit, self._dead_ratio, self._bulk_docs],
                "facets": facets,
                "texts": {name[1:]: list(getattr(self, name)) for name in self._TEXTS},
            }
            return arrays, plain

    @classmethod
    def restore(cls, arrays: Mapping[str, np.ndarray], plain: Mapping) -> SearchIndex:
        """The index :meth:`state` described; it answers every search as the original did."""
        delta_limit, dead_ratio, bulk_docs = plain["options"]
        index = cls(delta_limit=int(delta_limit), dead_ratio=float(dead_ratio), bulk_docs=int(bulk_docs))
        n = int(plain["n"])
        index._ptr, index._prow, index._pw, index._pfm = (arrays[k] for k in ("ptr", "prow", "pw", "pfm"))
        index._len_sum = np.asarray(arrays["len_sum"], dtype=np.float64)
        for name in cls._ROW_ARRAYS:
            setattr(index, name, np.array(arrays[name[1:]]))
        texts = plain["texts"]
        for name in cls._TEXTS:
            setattr(index, name, list(texts[name[1:]]))
        _check_saved(index, n)
        for tid, term in enumerate(index._terms):
            index._vocab[term] = tid
            if _is_cjk_pair(term):
                for c in set(term):
                    index._char_terms.setdefault(c, []).append(tid)
        for key, f in plain["facets"].items():
            facet = index._facets[key] = _Facet(n)
            for value in f["values"]:
                facet.code(value)
            facet.cols = [np.array(arrays[f"facet.{key}.{j}"]) for j in range(int(f["slots"]))]
        index._n = index._cap = n
        index._n_alive, index._dead, index._max_seq = (
            int(plain["n_alive"]),
            int(plain["dead"]),
            int(plain["max_seq"]),
        )
        _check_counts(index)
        index._sort_keys = [None] * n
        alive = np.flatnonzero(index._alive)
        index._row_of = dict(zip(index._ids[alive].tolist(), alive.tolist(), strict=True))
        return index

    # --- reads ------------------------------------------------------------------------------

    def _postings(self, tid: int):
        """(rows, weights, fields) of a term: its main slice plus any delta pieces."""
        cached = self._cache.get(tid)
        if cached is not None:
            return cached
        if tid < len(self._ptr) - 1:
            a, b = self._ptr[tid], self._ptr[tid + 1]
            out = (self._prow[a:b], self._pw[a:b], self._pfm[a:b])
        else:
            out = (self._prow[:0], self._pw[:0], self._pfm[:0])
        if self._delta:
            pieces = [out]
            for t, r, w, fm in self._delta:
                a, b = np.searchsorted(t, (tid, tid + 1)).tolist()
                if b > a:
                    pieces.append((r[a:b], w[a:b], fm[a:b]))
            if len(pieces) > 1:
                out = tuple(np.concatenate(x) for x in zip(*pieces, strict=True))
            self._cache[tid] = out
        return out

    def _idf(self, df: int) -> float:
        n = max(self._n_alive, 1)
        df = min(df, n)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _and(self, tids: list[int], factor: float, within: np.ndarray | None, exclude: np.ndarray | None):
        """Rows having every term (restricted to ``within``, minus ``exclude``), with summed
        idf*weight*factor. The smallest list, or ``within`` if smaller, drives."""
        lists = sorted((self._postings(t) for t in tids), key=lambda p: len(p[0]))
        if within is not None and len(within) < len(lists[0][0]):
            rows, score, rest = within, np.zeros(len(within), np.float32), lists
        else:
            rows, w, _ = lists[0]
            score, rest = w * np.float32(self._idf(len(rows)) * factor), lists[1:]
            if within is not None:
                hit, _ = _lookup(within, rows)
                rows, score = rows[hit], score[hit]
        if exclude is not None and len(exclude) and len(rows):
            hit, _ = _lookup(exclude, rows)
            rows, score = rows[~hit], score[~hit]
        for r, w, _ in rest:
            if not len(rows):
                break
            hit, idx = _lookup(r, rows)
            rows, idx = rows[hit], idx[hit]
            score = score[hit] + w[idx] * np.float32(self._idf(len(r)) * factor)
        return rows, score

    def _any(self, tids: list[int], factor: float, within: np.ndarray | None, exclude: np.ndarray | None):
        """Rows having at least one term; the best single-term score."""
        if within is not None and len(within) * 8 < self._n:
            best = np.zeros(len(within), np.float32)
            for t in tids:
                r, w, _ = self._postings(t)
                hit, idx = _lookup(r, within)
                best[hit] = np.maximum(best[hit], w[idx[hit]] * np.float32(self._idf(len(r)) * factor))
            keep = best > 0
            rows, score = within[keep], best[keep]
        else:
            dense = np.zeros(self._n, np.float32)
            for t in tids:
                r, w, _ = self._postings(t)
                if len(r):
                    dense[r] = np.maximum(dense[r], w * np.float32(self._idf(len(r)) * factor))
            rows = np.flatnonzero(dense).astype(np.int32) if within is None else within[dense[within] > 0]
            score = dense[rows]
        if exclude is not None and len(exclude) and len(rows):
            hit, _ = _lookup(exclude, rows)
            rows, score = rows[~hit], score[~hit]
        return rows, score

    def _pinyin_split(self, letters: str) -> list[int] | None:
        """Fewest known ``py:`` tokens that spell ``letters`` (hujirenkou -> huji + renkou)."""
        vocab, n = self._vocab, len(letters)
        if n > 40 or ("py:" + letters) in vocab:
            return None
        best: list[list[int] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(n):
            if best[i] is None:
                continue
            for j in range(i + 1, min(n, i + 24) + 1):
                t = vocab.get("py:" + letters[i:j])
                if t is not None and (best[j] is None or len(best[j]) > len(best[i]) + 1):
                    best[j] = [*best[i], t]
        return best[n] if best[n] and len(best[n]) > 1 else None

    def _alt_terms(self, alt: Alternative) -> list[int] | None:
        if alt.kind == "char":
            return self._char_terms.get(alt.tokens[0]) or None
        if alt.kind == "pyseq":
            return self._pinyin_split(alt.tokens[0])
        tids = [self._vocab.get(t) for t in alt.tokens]
        return None if None in tids else tids

    def _clause(self, clause: QueryClause, within: np.ndarray | None, used: list[int]):
        """Rows matching the clause. Alternatives are tried in order and a row takes the
        score of the first one it matches, so later (fallback) alternatives only look at rows
        not matched yet: for a known word the bigram fallback costs one set difference."""
        found: list[tuple[np.ndarray, np.ndarray]] = []
        matched = None
        for alt in clause.alternatives:
            tids = self._alt_terms(alt)
            if not tids:
                continue
            used.extend(tids[:64])
            if alt.kind == "char":
                r, s = self._any(tids, alt.weight * (K1 + 1), within, matched)
            else:
                r, s = self._and(tids, alt.weight * clause.units / len(tids) * (K1 + 1), within, matched)
            if not len(r):
                continue
            found.append((r, s))
            if within is not None:
                hit, _ = _lookup(r, within)
                within = within[~hit]
                if not len(within):
                    break
            else:
                matched = r if matched is None else np.sort(np.concatenate((matched, r)))
        if not found:
            return np.empty(0, np.int32), np.empty(0, np.float32)
        if len(found) == 1:
            return found[0]
        rows = np.concatenate([r for r, _ in found])
        order = np.argsort(rows, kind="stable")
        return rows[order], np.concatenate([s for _, s in found])[order]

    def _estimate(self, clause: QueryClause) -> float:
        """Rough cost of evaluating a clause unrestricted: rarest clauses go first."""
        cost = 0.0
        for alt in clause.alternatives:
            if alt.kind == "char":
                cost += 1e12
            elif alt.kind != "pyseq":
                tids = [self._vocab.get(t) for t in alt.tokens]
                if None not in tids:
                    cost += min(len(self._postings(t)[0]) for t in tids)
        return cost

    def _match(self, q: QueryTerms, mask: np.ndarray, used: list[int]):
        """Visible rows matching every clause, with summed clause scores; after the first
        (cheapest) clause the others only examine the surviving rows."""
        rows = score = None
        for c in sorted(q.clauses, key=self._estimate):
            r, s = self._clause(c, rows, used)
            if rows is None:
                keep = mask[r]
                rows, score = r[keep], s[keep]
            else:
                rows, score = r, score[np.searchsorted(rows, r)] + s
            if not len(rows):
                break
        return rows, score

    def _scope_mask(self, scope: Scope) -> np.ndarray:
        n = self._n
        if scope.kind == "public":
            return self._public[:n].copy()
        if scope.kind == "all":
            return self._alive[:n].copy()
        mask = self._shared[:n].copy()
        if scope.department_id is not None:
            mask |= self._alive[:n] & (self._dept[:n] == scope.department_id)
        return mask

    def _value_mask(self, key: str, code: int) -> np.ndarray:
        m = self._value_masks.get((key, code))
        if m is None:
            m = np.zeros(self._cap, bool)
            m[: self._n] = self._facets[key].has(code, slice(0, self._n))
            self._value_masks[(key, code)] = m
            while len(self._value_masks) > 256:
                self._value_masks.popitem(last=False)
        else:
            self._value_masks.move_to_end((key, code))
        return m[: self._n]

    def _filter(self, mask: np.ndarray, filters: Mapping[str, Sequence[str]]) -> np.ndarray:
        for key, values in filters.items():
            values = _facet_values(values)
            if not values:
                continue
            f = self._facets.get(key)
            codes = [f.index[v] for v in values if v in f.index] if f else []
            if not codes:
                return np.zeros_like(mask)
            any_of = self._value_mask(key, codes[0]).copy()
            for c in codes[1:]:
                any_of |= self._value_mask(key, c)
            mask &= any_of
        return mask

    def _facet_counts(self, rows: np.ndarray, keys: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        out: dict[str, list[tuple[str, int]]] = {}
        complement = None
        if len(rows) * 2 > self._n:  # count the few rows left out instead
            chosen = np.zeros(self._n, bool)
            chosen[rows] = True
            complement = np.flatnonzero(~chosen)
        for key in keys:
            f = self._facets.get(key)
            if f is None or not len(rows):
                out[key] = []
                continue
            counts = f.count(rows, complement, self._n)
            nz = np.flatnonzero(counts)
            pairs = [(f.values[c], n) for c, n in zip(nz.tolist(), counts[nz].tolist(), strict=True)]
            pairs.sort(key=lambda p: (-p[1], p[0]))
            out[key] = pairs
        return out

    def _order(self, sort: str) -> np.ndarray:
        """Rows (dead ones included; callers mask them out) in name or recency order, cached
        until the next write, so listing a page is a boolean gather instead of a sort."""
        cached = self._orders.get(sort)
        if cached is not None:
            return cached
        if sort == "recent":
            rows = np.arange(self._n)
            order = rows[np.lexsort((self._ids[: self._n], -self._seq[: self._n]))]
        else:
            if self._by_name is None:
                self._by_name = sorted(
                    self._name_entry(r) for r in np.flatnonzero(self._alive[: self._n]).tolist()
                )
            order = np.fromiter((e[3] for e in self._by_name), np.int64, len(self._by_name))
        self._orders[sort] = order
        return order

    def _name_entry(self, row: int) -> tuple[str, str, int, int]:
        keys, name = self._sort_keys, self._norm_names[row]
        if keys[row] is None:
            keys[row] = _sort_key(name)
        return keys[row], name, int(self._ids[row]), row

    def _boost(self, rows: np.ndarray, score: np.ndarray, phrase: str) -> np.ndarray:
        """Multiply the scores of names containing (or equal to) the whole query. Only the
        ``PHRASE_WINDOW`` best-scoring rows are checked: a fixed set for a given query, so the
        order (and paging) does not depend on which page is asked for."""
        top = (
            np.argpartition(-score, PHRASE_WINDOW - 1)[:PHRASE_WINDOW] if len(rows) > PHRASE_WINDOW else None
        )
        cand = rows if top is None else rows[top]
        names = self._norm_names
        hit = np.fromiter((phrase in names[r] for r in cand.tolist()), bool, len(cand))
        if not hit.any():
            return score
        where = np.flatnonzero(hit)
        boost = np.array(
            [EXACT_BOOST if names[r] == phrase else PHRASE_BOOST for r in cand[where].tolist()], np.float32
        )
        score = score.copy()
        score[where if top is None else top[where]] *= boost
        return score

    def search(
        self,
        query: str | QueryTerms,
        *,
        scope: Scope,
        filters: Mapping[str, Sequence[str]] = MappingProxyType({}),
        facets: Sequence[str] = ALL_FACETS,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
    ) -> SearchResult:
        """Ranked, scoped, filtered, faceted search. Filters: AND across keys, OR within a
        key; facet counts are over the filtered result (CKAN semantics). An empty query lists
        every visible entry (most recent first unless sorted by name)."""
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}")
        if page < 1 or per_page < 1:
            raise ValueError("page and per_page start at 1")
        q = query if isinstance(query, QueryTerms) else analyze_query(query)
        with self._lock:
            mask = self._filter(self._scope_mask(scope), filters)
            used: list[int] = []
            if q:
                rows, score = self._match(q, mask, used)
                if len(q.text) >= 2 and len(rows):
                    score = self._boost(rows, score, q.text)
            else:
                rows, score = np.flatnonzero(mask).astype(np.int32), None
            facet_counts = self._facet_counts(rows, facets)
            if sort == "relevance" and score is None:
                sort = "recent"
            if sort == "relevance":
                picked = _top(-score.astype(np.float64), self._ids[rows], page * per_page)
            else:
                order = self._order(sort)
                chosen = np.zeros(self._n, bool)
                chosen[rows] = True
                top_rows = order[chosen[order]][: page * per_page]
                picked = np.searchsorted(rows, top_rows)
            picked = picked[(page - 1) * per_page :]
            hit_rows = rows[picked]
            fields = self._matched_fields(hit_rows, used)
            hits = [
                SearchHit(
                    id=int(self._ids[r]),
                    code=self._codes[r],
                    score=float(score[i]) if score is not None else 0.0,
                    name_html=highlight(self._names[r], q),
                    summary_html=highlight(self._summaries[r], q, max_chars=160, pinyin=False),
                    matched_fields=fields[j],
                )
                for j, (i, r) in enumerate(zip(picked.tolist(), hit_rows.tolist(), strict=True))
            ]
        return SearchResult(total=len(rows), page=page, per_page=per_page, hits=hits, facets=facet_counts)

    def _matched_fields(self, rows: np.ndarray, used: list[int]) -> list[tuple[str, ...]]:
        bits = np.zeros(len(rows), np.uint8)
        if len(rows):
            for t in dict.fromkeys(used):
                r, _, fm = self._postings(t)
                if not len(r):
                    continue
                idx = np.minimum(np.searchsorted(r, rows), len(r) - 1)
                bits |= np.where(r[idx] == rows, fm[idx], 0).astype(np.uint8)
        return [tuple(f for k, f in enumerate(FIELDS) if b >> k & 1) for b in bits.tolist()]


def _norm_name(name: str) -> str:
    norm = " ".join(normalize(name).split())
    return name if norm == name else norm  # share the string when nothing changed


def _trim_heap() -> None:
    """Hand the merge's freed temporaries back to the OS. glibc keeps freed heap memory (and
    numpy's big arrays end up there once its mmap threshold adapts), so without this a
    100k-entry load leaves ~200 MB of garbage in RSS. No-op where glibc is absent."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _lookup(hay: np.ndarray, needles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``needles`` are in sorted ``hay``, and where."""
    if not len(hay):
        return np.zeros(len(needles), bool), np.zeros(len(needles), np.intp)
    idx = np.searchsorted(hay, needles)
    np.minimum(idx, len(hay) - 1, out=idx)
    return hay[idx] == needles, idx


def _chunks(items: Iterable, size: int):
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _top(primary: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k smallest (primary, id) pairs, in order: a total order, so pages
    concatenate to exactly the full ranked list."""
    n = len(primary)
    if k >= n:
        return np.lexsort((ids, primary))
    kth = np.partition(primary, k - 1)[k - 1]
    cand = np.flatnonzero(primary <= kth)
    return cand[np.lexsort((ids[cand], primary[cand]))][:k]
