"""SearchIndex: the required matching behaviours, ranking, scope, filters, facets, paging, writes."""

from __future__ import annotations

import pytest
from conftest import make_doc

from huitong.access.actor import PUBLIC, SYSTEM, Actor
from huitong.access.roles import Role
from huitong.catalog.search import Scope, SearchIndex, fields_terms

ALL = Scope("all")


def ids(result) -> list[int]:
    return [h.id for h in result.hits]


def index_of(*docs, **kw) -> SearchIndex:
    ix = SearchIndex(**kw)
    ix.upsert(docs)
    return ix


@pytest.fixture(scope="module")
def basic():
    docs = {
        "resident": make_doc("常住人口户籍信息", summary="全省常住人口的户籍登记信息", tags=("户籍", "人口")),
        "registered": make_doc("户籍人口信息表"),
        "census": make_doc("户籍人口"),
        "license": make_doc("企业营业执照信息", summary="市场主体营业执照"),
        "apart": make_doc("营业场所登记", summary="记录营业场所，另附执照编号"),
        "cq": make_doc("重庆市公安局人口数据", provider_name="重庆市公安局"),
        "bank": make_doc("银行账户开户信息"),
        "api": make_doc("数据共享API接口目录"),
        "gb": make_doc("ＧＢ／Ｔ２２６０行政区划代码"),
    }
    return index_of(*docs.values()), {k: d.id for k, d in docs.items()}


def test_word_query_finds_words_inside_longer_names(basic):
    ix, d = basic
    assert d["resident"] in ids(ix.search("户籍", scope=ALL))


def test_pinyin_initials_of_adjacent_words(basic):
    ix, d = basic
    found = ids(ix.search("hjrk", scope=ALL))
    assert d["census"] in found and d["registered"] in found


def test_odd_fragment_matches_through_bigrams(basic):
    ix, d = basic
    assert ids(ix.search("籍信", scope=ALL)) == [d["resident"]]


def test_full_pinyin(basic):
    ix, d = basic
    found = ids(ix.search("huji", scope=ALL))
    assert {d["resident"], d["registered"], d["census"]} <= set(found)
    assert d["cq"] in ids(ix.search("chongqing", scope=ALL))
    assert d["bank"] in ids(ix.search("yinhang", scope=ALL))
    assert d["registered"] in ids(ix.search("hujirenkou", scope=ALL))  # split into known words


@pytest.mark.parametrize(
    ("query", "key"),
    [("ＡＰＩ", "api"), ("Api", "api"), ("gb", "gb"), ("ｇｂ／ｔ", "gb"), ("2260", "gb"), ("２２６０", "gb")],
)
def test_width_and_case_insensitive(basic, query, key):
    ix, d = basic
    assert d[key] in ids(ix.search(query, scope=ALL))


def test_phrase_outranks_words_far_apart(basic):
    ix, d = basic
    res = ix.search("营业执照", scope=ALL)
    scores = {h.id: h.score for h in res.hits}
    assert res.hits[0].id == d["license"]
    assert scores.get(d["apart"], 0.0) < scores[d["license"]]


def test_phrase_outranks_apart_in_same_field():
    near = make_doc("甲类登记信息", summary="本表登记企业营业执照信息和其他信息")
    apart = make_doc("乙类登记信息", summary="本表登记企业营业地点信息和执照信息")
    ix = index_of(near, apart)
    res = ix.search("营业执照", scope=ALL)
    assert [h.id for h in res.hits] == [near.id, apart.id]
    assert res.hits[0].score > res.hits[1].score


def test_bigram_only_match_scores_below_word_match():
    word = make_doc("户籍信息")
    fragment = make_doc("学籍信息")  # shares only the bigram 籍信
    ix = index_of(word, fragment)
    res = ix.search("户籍信息", scope=ALL)
    assert ids(res) == [word.id]
    res = ix.search("籍信", scope=ALL)
    assert set(ids(res)) == {word.id, fragment.id}


def test_exact_name_phrase_bonus():
    exact = make_doc("低保对象名单")
    longer = make_doc("低保对象名单和低保对象的家庭成员信息")
    ix = index_of(exact, longer)
    assert ids(ix.search("低保对象名单", scope=ALL))[0] == exact.id


def test_single_character_query():
    ix = index_of(make_doc("车辆登记信息"), make_doc("税收完税证明"), make_doc("人口信息"))
    assert len(ix.search("税", scope=ALL).hits) == 1
    assert len(ix.search("车", scope=ALL).hits) == 1


def test_multi_clause_queries_are_and():
    a = make_doc("长沙市婚姻登记信息")
    b = make_doc("株洲市婚姻登记信息")
    c = make_doc("长沙市低保对象名单")
    ix = index_of(a, b, c)
    assert ids(ix.search("长沙 婚姻登记", scope=ALL)) == [a.id]
    assert ids(ix.search("cs 低保", scope=ALL)) == [c.id]
    assert ids(ix.search("长沙 不存在的词", scope=ALL)) == []


def test_matched_fields_and_code_search():
    d = make_doc("户籍信息", summary="无", tags=("户籍",), item_names=("户籍地址",))
    ix = index_of(d)
    (hit,) = ix.search("户籍", scope=ALL).hits
    assert set(hit.matched_fields) == {"name", "tags", "item_names"}
    (hit,) = ix.search(d.code, scope=ALL).hits
    assert hit.id == d.id and "code" in hit.matched_fields


# --- scope -----------------------------------------------------------------------------------

SCOPED = [
    make_doc("户籍草稿甲", id=9001, department_id=1, status="draft", open_type="unconditional"),
    make_doc("户籍已发布开放", id=9002, department_id=2, status="published", open_type="conditional"),
    make_doc("户籍已发布不开放", id=9003, department_id=2, status="published", open_type="none"),
    make_doc("户籍已下线", id=9004, department_id=3, status="retired", open_type="unconditional"),
    make_doc("户籍待审核", id=9005, department_id=3, status="submitted", open_type="unconditional"),
]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (Scope("public"), {9002}),
        (Scope("member", 1), {9001, 9002, 9003, 9004}),
        (Scope("member", 3), {9002, 9003, 9004, 9005}),
        (Scope("member", None), {9002, 9003, 9004}),
        (Scope("all"), {9001, 9002, 9003, 9004, 9005}),
    ],
)
@pytest.mark.parametrize("query", ["户籍", ""])
def test_scope(scope, expected, query):
    ix = index_of(*SCOPED)
    res = ix.search(query, scope=scope)
    assert set(ids(res)) == expected and res.total == len(expected)


def test_scope_for_actor():
    assert Scope.for_actor(PUBLIC) == Scope("public")
    assert Scope.for_actor(SYSTEM) == Scope("all")
    op = Actor(user_id=1, username="op", roles=frozenset({Role.operator}))
    assert Scope.for_actor(op) == Scope("all")
    admin = Actor(user_id=2, username="a", department_id=7, roles=frozenset({Role.dept_admin}))
    assert Scope.for_actor(admin) == Scope("member", 7)
    auditor = Actor(user_id=3, username="b", department_id=7, roles=frozenset({Role.auditor}))
    assert Scope.for_actor(auditor) == Scope("member", None)
    with pytest.raises(ValueError):
        Scope("everyone")  # type: ignore[arg-type]


# --- filters and facets ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def faceted():
    spec = [
        ("province", ("基础", "部门"), "database", "conditional"),
        ("province", ("部门",), "file", "unconditional"),
        ("city", ("主题", "部门"), "database", "unconditional"),
        ("city", ("部门",), "service", "conditional"),
        ("county", ("基础", "主题", "部门"), "database", "none"),
    ]
    docs = [
        make_doc(
            f"人口数据{i}",
            id=8000 + i,
            facets={"level": lv, "category": cat, "format": fmt, "share_type": share},
        )
        for i, (lv, cat, fmt, share) in enumerate(spec)
    ]
    return index_of(*docs)


def test_filters_and_across_keys_or_within(faceted):
    res = faceted.search("人口", scope=ALL, filters={"level": ["province", "city"], "format": ["database"]})
    assert set(ids(res)) == {8000, 8002}
    res = faceted.search("", scope=ALL, filters={"category": ["基础"]})
    assert set(ids(res)) == {8000, 8004}
    assert (
        faceted.search("", scope=ALL, filters={"category": ["基础"], "level": []}).total == 2
    )  # empty = no filter
    assert faceted.search("", scope=ALL, filters={"level": ["nowhere"]}).total == 0
    assert faceted.search("", scope=ALL, filters={"unknown_key": ["x"]}).total == 0


def test_facet_counts_follow_the_filtered_results(faceted):
    res = faceted.search("人口", scope=ALL, filters={"format": ["database"]})
    assert res.facets["level"] == [("city", 1), ("county", 1), ("province", 1)]
    assert res.facets["category"] == [("部门", 3), ("主题", 2), ("基础", 2)]  # ties: by value
    assert res.facets["format"] == [("database", 3)]
    assert res.facets["update_cycle"] == []
    res = faceted.search("人口", scope=ALL, facets=["share_type"])
    assert res.facets == {"share_type": [("conditional", 2), ("unconditional", 2), ("none", 1)]}


# --- paging and sorting ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def many():
    docs = [
        make_doc(f"{city}户籍人口信息{n}", id=7000 + i, seq=(i * 37) % 101, summary="户籍" * (i % 4))
        for i, (city, n) in enumerate(
            (c, n) for c in ("长沙", "株洲", "湘潭", "衡阳", "重庆") for n in range(9)
        )
    ]
    return index_of(*docs)


@pytest.mark.parametrize("sort", ["relevance", "name", "recent"])
@pytest.mark.parametrize("query", ["户籍", "", "hjrk"])
def test_pages_concatenate_to_the_full_list(many, sort, query):
    full = many.search(query, scope=ALL, sort=sort, per_page=1000)
    pages = []
    for page in range(1, 14):  # the last two pages are partly and wholly empty
        res = many.search(query, scope=ALL, sort=sort, page=page, per_page=4)
        assert res.total == full.total
        pages.extend(ids(res))
    assert pages == ids(full) and len(set(pages)) == full.total == 45


def test_sorts(many):
    recent = many.search("", scope=ALL, per_page=1000).hits
    seqs = [many._seq[many._row_of[h.id]] for h in recent]
    assert seqs == sorted(seqs, reverse=True)
    names = [h.name_html for h in many.search("户籍", scope=ALL, sort="name", per_page=1000).hits]
    cities = [n[:2] for n in names]
    assert cities == sorted(
        cities, key=["长沙", "重庆", "衡阳", "湘潭", "株洲"].index
    )  # chang chong heng xiang zhu
    with pytest.raises(ValueError):
        many.search("", scope=ALL, sort="score")
    with pytest.raises(ValueError):
        many.search("", scope=ALL, page=0)


# --- writes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bulk", [True, False])
def test_upsert_replaces_and_remove_forgets(bulk):
    ix = SearchIndex(bulk_docs=1 if bulk else 10_000)
    ix.upsert([make_doc("低保对象名单", id=1, seq=1), make_doc("婚姻登记信息", id=2, seq=2)])
    ix.upsert([make_doc("不动产登记信息", id=1, seq=3)])
    assert len(ix) == 2 and ix.max_seq == 3
    assert ids(ix.search("低保", scope=ALL)) == []
    assert ids(ix.search("dbdx", scope=ALL)) == []
    assert ids(ix.search("不动产", scope=ALL)) == [1]
    assert set(ids(ix.search("登记", scope=ALL))) == {1, 2}
    ix.remove([2, 404])
    assert len(ix) == 1 and 2 not in ix
    assert ids(ix.search("登记", scope=ALL)) == [1]
    assert ix.search("", scope=ALL).total == 1


def test_upsert_changes_scope_and_facets():
    ix = index_of(make_doc("户籍", id=1, status="draft", facets={"level": "city"}))
    assert ix.search("户籍", scope=Scope("public")).total == 0
    ix.upsert([make_doc("户籍", id=1, status="published", facets={"level": "county"})])
    res = ix.search("户籍", scope=Scope("public"))
    assert res.total == 1 and res.facets["level"] == [("county", 1)]


def test_stored_terms_are_used_and_checked():
    d = make_doc("户籍人口")
    stored = d.with_terms()
    assert stored.terms == fields_terms(d)
    ix = index_of(stored)
    assert ids(ix.search("hjrk", scope=ALL)) == [d.id]
    bad = make_doc("x")
    with pytest.raises(ValueError):
        SearchIndex().upsert([type(bad)(**{**bad.__dict__, "terms": {"title": ("x",)}})])


def test_compaction_keeps_results():
    """Many small writes (delta segments, merges, compactions, row renumbering) must agree
    with one index built in a single load."""
    live = {}
    ix = SearchIndex(delta_limit=50, dead_ratio=0.05, bulk_docs=10_000)
    words = ["户籍", "低保", "营业执照", "不动产", "婚姻登记", "公积金"]
    for step in range(240):
        doc_id = step * 7 % 53
        if step % 5 == 4:
            ix.remove([doc_id])
            live.pop(doc_id, None)
        else:
            d = make_doc(
                f"{words[step % 6]}{words[step * 3 % 6]}信息{step}",
                id=doc_id,
                seq=step,
                status="published" if step % 3 else "draft",
            )
            ix.upsert([d])
            live[doc_id] = d
    fresh = index_of(*live.values())
    assert len(ix) == len(fresh) == len(live)
    assert ix.stats()["dead_rows"] < ix.stats()["rows"]
    for q in ["", *words, "hj", "信息"]:
        for scope in (ALL, Scope("public"), Scope("member", 1)):
            a = ix.search(q, scope=scope, per_page=1000)
            b = fresh.search(q, scope=scope, per_page=1000)
            assert sorted(ids(a)) == sorted(ids(b)) and a.facets == b.facets


def test_name_order_follows_writes():
    ix = index_of(make_doc("户籍信息", id=1), make_doc("重庆数据", id=2), make_doc("长沙数据", id=3))
    assert ids(ix.search("", scope=ALL, sort="name")) == [3, 2, 1]  # chang, chong, hu
    ix.upsert([make_doc("安全生产", id=4)])
    ix.upsert([make_doc("证照目录", id=3)])  # 长沙 renamed: moves to the end (zheng)
    ix.remove([2])
    assert ids(ix.search("", scope=ALL, sort="name")) == [4, 1, 3]
    assert ids(ix.search("", scope=ALL)) == [4, 3, 1]  # empty query: most recent first


def test_concurrent_reads_and_writes():
    import threading

    ix = SearchIndex(delta_limit=100, bulk_docs=50)
    ix.upsert([make_doc(f"户籍信息{i}", id=i) for i in range(100)])
    errors: list[BaseException] = []

    def reader():
        try:
            for _ in range(100):
                res = ix.search("户籍", scope=ALL, per_page=5)
                assert res.total >= 100 and len(res.hits) == 5
        except BaseException as e:  # reported below
            errors.append(e)

    def writer():
        for i in range(100, 300):
            ix.upsert([make_doc(f"户籍人口{i}", id=i)])
            if i % 3 == 0:
                ix.remove([i - 50])

    threads = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
