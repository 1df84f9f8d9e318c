"""Property tests: scope agrees with the access policy, facets and filters with brute force,
2-character queries with plain substring search, incremental writes with a fresh build."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.access.actor import PUBLIC, SYSTEM, Actor
from huitong.access.policy import Target, decide
from huitong.access.roles import Role
from huitong.catalog.search import ALL_FACETS, Scope, SearchDoc, SearchIndex, normalize

FAST = settings(max_examples=60, deadline=None)
PIECES = [
    "户籍",
    "人口",
    "信息",
    "常住",
    "营业",
    "执照",
    "低保",
    "对象",
    "名单",
    "不动产",
    "登记",
    "长沙",
    "重庆",
    "银行",
    "统一社会信用代码",
    "表",
    "数据",
    "<b>",
    "API",
    "２０２４",
]
STATUSES = ["draft", "submitted", "returned", "published", "retired"]
OPEN = ["unconditional", "conditional", "none"]
LEVELS = ["province", "city", "county"]
CATEGORIES = [("部门",), ("基础", "部门"), ("主题", "部门"), ("基础", "主题", "部门")]
FORMATS = ["database", "spreadsheet", "service"]

text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join)


@st.composite
def docs(draw, max_size=25):
    n = draw(st.integers(1, max_size))
    out = []
    for i in range(n):
        out.append(
            SearchDoc(
                id=i + 1,
                code=f"C{i + 1}",
                name=draw(text),
                summary=draw(st.one_of(st.just(""), text)),
                tags=tuple(draw(st.lists(text, max_size=2))),
                item_names=tuple(draw(st.lists(text, max_size=3))),
                provider_name=draw(st.sampled_from(["公安厅", "民政局", ""])),
                department_id=draw(st.integers(1, 4)),
                status=draw(st.sampled_from(STATUSES)),
                open_type=draw(st.sampled_from(OPEN)),
                facets={
                    "level": draw(st.sampled_from(LEVELS)),
                    "category": draw(st.sampled_from(CATEGORIES)),
                    "format": draw(st.sampled_from(FORMATS)),
                    "department": str(i % 4),
                },
                seq=draw(st.integers(0, 50)),
            )
        )
    return out


actors = st.one_of(
    st.sampled_from([PUBLIC, SYSTEM]),
    st.builds(
        lambda d, r: Actor(user_id=1, username="u", department_id=d, roles=frozenset(r)),
        st.one_of(st.none(), st.integers(1, 4)),
        st.sets(st.sampled_from(list(Role)), max_size=2),
    ),
)
filters = st.dictionaries(
    st.sampled_from(["level", "category", "format"]),
    st.lists(st.sampled_from(LEVELS + ["基础", "主题", "部门"] + FORMATS), max_size=2),
    max_size=2,
)


def facet_values(doc: SearchDoc, key: str) -> tuple[str, ...]:
    v = doc.facets.get(key)
    return () if v is None else (v,) if isinstance(v, str) else tuple(v)


def passes(doc: SearchDoc, flt: dict) -> bool:
    return all(not vals or set(vals) & set(facet_values(doc, key)) for key, vals in flt.items())


def brute_facets(hits: list[SearchDoc]) -> dict:
    out = {}
    for key in ALL_FACETS:
        counts: dict[str, int] = {}
        for d in hits:
            for v in facet_values(d, key):
                counts[v] = counts.get(v, 0) + 1
        out[key] = sorted(counts.items(), key=lambda p: (-p[1], p[0]))
    return out


def fields_text(doc: SearchDoc) -> list[str]:
    return [
        normalize(t) for t in (doc.name, doc.summary, *doc.tags, *doc.item_names, doc.provider_name, doc.code)
    ]


@FAST
@given(
    docs(), actors, filters, st.sampled_from(["", "户籍", "hjrk", "cs", "信用代码", "籍信", "api", "2024"])
)
def test_scope_filters_and_facets_match_brute_force(corpus, actor, flt, query):
    ix = SearchIndex()
    ix.upsert(corpus)
    res = ix.search(query, scope=Scope.for_actor(actor), filters=flt, per_page=1000)
    by_id = {d.id: d for d in corpus}
    hits = [by_id[h.id] for h in res.hits]
    assert res.total == len(hits) == len({d.id for d in hits})
    for d in hits:
        assert decide(actor, "catalog.read", Target(d.department_id, d.status, d.open_type))
        assert passes(d, flt)
    assert res.facets == brute_facets(hits)
    if query == "":
        visible = {
            d.id
            for d in corpus
            if decide(actor, "catalog.read", Target(d.department_id, d.status, d.open_type))
            and passes(d, flt)
        }
        assert {d.id for d in hits} == visible


@FAST
@given(docs(), st.data())
def test_two_character_queries_equal_substring_search(corpus, data):
    ix = SearchIndex()
    ix.upsert(corpus)
    source = data.draw(st.sampled_from(corpus)).name
    cjk = [
        source[i : i + 2]
        for i in range(len(source) - 1)
        if all("\u4e00" <= c <= "\u9fff" for c in source[i : i + 2])
    ]
    if not cjk:
        return
    word = data.draw(st.sampled_from(cjk))
    expected = {d.id for d in corpus if any(word in t for t in fields_text(d))}
    res = ix.search(word, scope=Scope("all"), per_page=1000)
    assert {h.id for h in res.hits} == expected


@settings(max_examples=25, deadline=None)
@given(
    docs(max_size=12), st.lists(st.tuples(st.booleans(), st.integers(1, 12), text), min_size=1, max_size=30)
)
def test_incremental_writes_match_a_fresh_build(corpus, ops):
    ix = SearchIndex(delta_limit=20, dead_ratio=0.1, bulk_docs=6)
    ix.upsert(corpus)
    live = {d.id: d for d in corpus}
    for seq, (remove, doc_id, name) in enumerate(ops, start=100):
        if remove:
            ix.remove([doc_id])
            live.pop(doc_id, None)
        else:
            base = live.get(doc_id) or corpus[0]
            d = SearchDoc(**{**base.__dict__, "id": doc_id, "name": name, "seq": seq, "terms": None})
            ix.upsert([d])
            live[doc_id] = d
    fresh = SearchIndex()
    fresh.upsert(live.values())
    assert len(ix) == len(fresh) == len(live)
    for q in ["", "户籍", "登记", "hj", "数据"]:
        a = ix.search(q, scope=Scope("all"), per_page=1000)
        b = fresh.search(q, scope=Scope("all"), per_page=1000)
        assert sorted(h.id for h in a.hits) == sorted(h.id for h in b.hits)
        assert a.facets == b.facets
