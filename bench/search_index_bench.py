"""Micro-benchmark of catalog search: build time, memory and query latency at 100k entries.

    .venv/bin/python bench/search_index_bench.py [--docs 100000] [--repeat 50]

Phases: generate the corpus, analyze it (jieba + pinyin: the cost the catalog pays once per
write and stores), build the index from stored terms, run ~30 fixed queries of several
kinds (all 7 facets counted every time), then single-entry upserts (the delta path) and a
compaction. Memory is process RSS, with the analyzer dictionaries loaded before the baseline.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog_corpus import generate_resources  # noqa: E402

from huitong.catalog.search import Scope, SearchDoc, SearchIndex, analyze, fields_terms  # noqa: E402

FACET_KEYS = ("level", "category", "share_type", "open_type", "format", "update_cycle")

# (kind, query, scope, filters)
QUERIES: list[tuple[str, str, Scope, dict]] = [
    ("word", "户籍", Scope("public"), {}),
    ("word", "低保对象", Scope("public"), {}),
    ("word", "营业执照", Scope("all"), {}),
    ("word", "不动产登记", Scope("public"), {}),
    ("word", "医疗机构执业许可", Scope("public"), {}),
    ("word", "统一社会信用代码", Scope("all"), {}),
    ("word", "住房公积金 缴存", Scope("public"), {}),
    ("word", "长沙市 婚姻登记", Scope("public"), {}),
    ("word", "企业 行政处罚 2023年", Scope("all"), {}),
    ("fragment", "籍信", Scope("public"), {}),
    ("fragment", "业执", Scope("public"), {}),
    ("fragment", "记信息", Scope("all"), {}),
    ("fragment", "社保卡发", Scope("public"), {}),
    ("pinyin", "hjrk", Scope("public"), {}),
    ("pinyin", "dbdx", Scope("public"), {}),
    ("pinyin", "yyzz", Scope("all"), {}),
    ("pinyin", "huji", Scope("public"), {}),
    ("pinyin", "gjj", Scope("public"), {}),
    ("pinyin", "changsha", Scope("all"), {}),
    ("mixed", "长沙 hj", Scope("public"), {}),
    ("mixed", "cs 低保", Scope("all"), {}),
    ("mixed", "2023 不动产", Scope("public"), {}),
    ("filtered", "户籍", Scope("public"), {"share_type": ["conditional"]}),
    ("filtered", "低保", Scope("all"), {"level": ["county"], "category": ["基础"]}),
    ("filtered", "不动产", Scope("all"), {"format": ["database", "service"], "status": []}),
    ("filtered", "", Scope("public"), {"update_cycle": ["daily", "realtime"], "level": ["province"]}),
    ("member", "户籍", Scope("member", 1), {}),
    ("member", "养老保险 待遇", Scope("member", 3), {"level": ["province", "city"]}),
    ("member", "", Scope("member", 2), {}),
    ("single-char", "税", Scope("public"), {}),
]


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory (VmHWM: its peak; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def to_doc(i: int, r: dict) -> SearchDoc:
    facets = {k: r[k] for k in FACET_KEYS}
    facets["department"] = str(r["department_id"])
    return SearchDoc(
        id=i + 1,
        code=f"{430000 + r['department_id']:06d}-{i + 1:08d}",
        name=r["name"],
        summary=r["summary"],
        tags=r["tags"],
        item_names=r["item_names"],
        provider_name=r["provider_name"],
        department_id=r["department_id"],
        status=r["status"],
        open_type=r["open_type"],
        facets=facets,
        seq=i + 1,
    )


def python_bytes(index: SearchIndex) -> int:
    """Rough size of the index's Python-side structures (vocabulary, per-row strings, maps)."""
    size = sys.getsizeof(index._vocab) + sum(sys.getsizeof(k) for k in index._vocab)
    size += sys.getsizeof(index._terms) + sys.getsizeof(index._row_of) + len(index._row_of) * 64
    size += sum(sys.getsizeof(v) for v in index._char_terms.values())
    for name in ("_names", "_norm_names", "_summaries", "_codes"):
        values = getattr(index, name)
        size += sys.getsizeof(values) + sum(sys.getsizeof(v) for v in values)
    return size


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def load_in_fresh_process(path: str) -> None:
    """Child mode: what a server holding only the index costs. Streams stored terms from
    ``path`` into one upsert, the way the catalog loads them from its database."""
    analyze("户籍 huji")
    base = rss_mb()

    def stream():
        with open(path, "rb") as f:
            while True:
                try:
                    yield from pickle.load(f)
                except EOFError:
                    return

    index = SearchIndex()
    t = time.perf_counter()
    index.upsert(stream())
    took = time.perf_counter() - t
    gc.collect()
    peak = rss_mb("VmHWM")
    index.search("户籍", scope=Scope("public"))
    print(
        f"fresh process, streamed load of {len(index):,} entries: {took:.1f} s; RSS {base:.0f} MB with jieba+pypinyin "
        f"loaded -> {rss_mb():.0f} MB with the index (peak {peak:.0f} MB while building)"
    )


def snapshot_in_fresh_process(path: Path) -> None:
    """Child mode: a restarted server's cost with a saved index: load it and answer a search."""
    from huitong.catalog.search import snapshot

    base = rss_mb()
    t = time.perf_counter()
    index, _ = snapshot.load(path)
    took = time.perf_counter() - t
    t = time.perf_counter()
    analyze("户籍 huji")  # jieba's and pypinyin's dictionaries: a server's warm-up loads them too
    dictionaries = time.perf_counter() - t
    t = time.perf_counter()
    index.search("户籍", scope=Scope("public"))
    first = time.perf_counter() - t
    print(
        f"fresh process, saved index loaded: {len(index):,} entries in {took:.2f} s, analyzer dictionaries "
        f"{dictionaries:.2f} s, first search {first * 1e3:.0f} ms; RSS {base:.0f} MB before -> "
        f"{rss_mb():.0f} MB (peak {rss_mb('VmHWM'):.0f} MB)"
    )


def measure_snapshot(index: SearchIndex) -> None:
    """Save the built index as a server does (catalog/search/snapshot.py) and load it elsewhere."""
    from huitong.catalog.search import snapshot

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.npz"
        t = time.perf_counter()
        snapshot.save(index, path, {"seen_seq": index.max_seq})
        print(f"saved index: {time.perf_counter() - t:.2f} s, {path.stat().st_size / 2**20:.0f} MB on disk")
        subprocess.run([sys.executable, __file__, "--from-snapshot", str(path)], check=True)


def measure_fresh_process(docs: list[SearchDoc]) -> None:
    with tempfile.NamedTemporaryFile(suffix=".pickle") as f:
        for i in range(0, len(docs), 5000):
            pickle.dump(docs[i : i + 5000], f)
        f.flush()
        subprocess.run([sys.executable, __file__, "--load", f.name], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--load", help=argparse.SUPPRESS)
    ap.add_argument("--from-snapshot", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load:
        load_in_fresh_process(args.load)
        return
    if args.from_snapshot:
        snapshot_in_fresh_process(Path(args.from_snapshot))
        return

    analyze("户籍 huji")  # load jieba and pypinyin before the memory baseline
    base = rss_mb()
    t = time.perf_counter()
    docs = [to_doc(i, r) for i, r in enumerate(generate_resources(args.docs))]
    print(f"corpus: {len(docs)} entries generated in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    docs = [replace(d, terms=fields_terms(d)) for d in docs]
    took = time.perf_counter() - t
    postings = sum(len(v) for d in docs for v in d.terms.values())
    print(
        f"analyze: {took:.1f} s ({took / len(docs) * 1e3:.2f} ms/entry, {postings / len(docs):.0f} tokens/entry)"
    )
    with_terms = rss_mb()

    gc.collect()
    t = time.perf_counter()
    index = SearchIndex()
    index.upsert(docs)
    build = time.perf_counter() - t
    after_build = rss_mb()
    sample = random.Random(1).sample(docs, 1000)
    measure_fresh_process(docs)
    del docs
    measure_snapshot(index)
    gc.collect()
    st = index.stats()
    print(f"build from stored terms: {build:.1f} s; {st['postings']:,} postings, {st['terms']:,} terms")
    print(
        f"index memory: numpy {st['numpy_bytes'] / 2**20:.0f} MB + Python structures "
        f"~{python_bytes(index) / 2**20:.0f} MB"
    )
    print(
        f"this process RSS: {base:.0f} MB with jieba+pypinyin, {with_terms:.0f} MB with the analyzed corpus, "
        f"{after_build:.0f} MB after the build"
    )

    by_kind: dict[str, list[float]] = {}
    everything: list[float] = []
    print(f"\nqueries ({args.repeat} runs each, all 7 facets):")
    print(f"  {'kind':<12} {'query':<22} {'scope':<10} {'hits':>7} {'p50 ms':>7} {'p95 ms':>7}  top hit")
    for kind, q, scope, filters in QUERIES:
        for _ in range(3):
            res = index.search(q, scope=scope, filters=filters)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            res = index.search(q, scope=scope, filters=filters)
            times.append((time.perf_counter() - t) * 1e3)
        by_kind.setdefault(kind, []).extend(times)
        everything.extend(times)
        top = res.hits[0].name_html if res.hits else "-"
        label = scope.kind + (f":{scope.department_id}" if scope.department_id else "")
        print(
            f"  {kind:<12} {q or '(empty)':<22} {label:<10} {res.total:>7} {pct(times, 50):>7.2f} "
            f"{pct(times, 95):>7.2f}  {top}"
        )
    print(f"\n  {'kind':<12} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for kind, times in [*by_kind.items(), ("OVERALL", everything)]:
        print(f"  {kind:<12} {pct(times, 50):>7.2f} {pct(times, 95):>7.2f} {pct(times, 99):>7.2f}")

    times = []
    for i, d in enumerate(sample):
        changed = replace(d, name=d.name + "（修订）", seq=10**7 + i, terms=None)
        t = time.perf_counter()
        index.upsert([changed])
        times.append((time.perf_counter() - t) * 1e3)
    print(
        f"\nsingle upserts (analyze + delta, {len(times)}): p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms"
    )
    times = []
    for _kind, q, scope, filters in QUERIES:
        for _ in range(10):
            t = time.perf_counter()
            index.search(q, scope=scope, filters=filters)
            times.append((time.perf_counter() - t) * 1e3)
    print(
        f"queries with a {index._delta_n:,}-posting delta: p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms"
    )
    t = time.perf_counter()
    with index._lock:
        index._compact([])
    print(f"compaction: {(time.perf_counter() - t) * 1e3:.0f} ms; RSS now {rss_mb():.0f} MB")
    t = time.perf_counter()
    index.search("", scope=Scope("all"), sort="name")
    first = time.perf_counter() - t
    t = time.perf_counter()
    index.search("", scope=Scope("all"), sort="name")
    cached = time.perf_counter() - t
    index.upsert([replace(sample[0], name="安全生产许可信息", seq=10**8, terms=None)])
    t = time.perf_counter()
    index.search("", scope=Scope("all"), sort="name")
    print(
        f"sort by name: first {first * 1e3:.0f} ms (pinyin keys), then {cached * 1e3:.1f} ms, "
        f"after an upsert {(time.perf_counter() - t) * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
