"""Highlighting: escaping is never skipped, marks land on the original characters."""

from __future__ import annotations

import html
import re

from conftest import make_doc
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.catalog.search import Scope, SearchIndex, highlight


def test_script_in_a_name_is_escaped():
    ix = SearchIndex()
    ix.upsert([make_doc('<script>alert("x")</script>户籍信息', summary="<img src=x onerror=alert(1)> 户籍")])
    (hit,) = ix.search("户籍", scope=Scope("all")).hits
    assert hit.name_html == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<mark>户籍</mark>信息"
    assert "<img" not in hit.summary_html and "&lt;img" in hit.summary_html


def test_query_text_is_never_echoed_raw():
    out = highlight("a<b>c 户籍", "<b> 户籍")
    assert "<b>" not in out and out.count("<mark>") >= 1


def test_marks_merge_overlaps():
    assert highlight("常住人口户籍信息", "户籍信") == "常住人口<mark>户籍信</mark>息"
    assert highlight("户籍户籍", "户籍") == "<mark>户籍户籍</mark>"


def test_pinyin_marks_the_chinese_characters():
    assert highlight("常住人口户籍信息", "huji") == "常住人口<mark>户籍</mark>信息"
    assert highlight("户籍人口信息表", "hjrk") == "<mark>户籍人口</mark>信息表"
    assert highlight("户籍人口信息表", "hjrk", pinyin=False) == "户籍人口信息表"


def test_width_folded_matches_keep_the_original_text():
    assert highlight("ＡＰＩ接口与api", "Api") == "<mark>ＡＰＩ</mark>接口与<mark>api</mark>"
    assert highlight("rapid 接口", "api") == "rapid 接口"  # whole ASCII words only
    assert highlight("ﬁle 数据", "file") == "<mark>ﬁle</mark> 数据"  # NFKC expands the ligature


def test_snippet_window():
    text = "甲" * 100 + "户籍" + "乙" * 100
    out = highlight(text, "户籍", max_chars=40)
    assert out.startswith("…") and out.endswith("…") and "<mark>户籍</mark>" in out
    assert len(html.unescape(re.sub("</?mark>", "", out))) == 42


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("<>&\"'户籍信息abc AＢ１")), max_size=30),
    st.sampled_from(["户籍", "ab", "信", "hj", "<>", "户籍信息"]),
)
def test_stripping_marks_gives_back_the_text(text, query):
    out = highlight(text, query)
    assert html.unescape(re.sub("</?mark>", "", out)) == text
    assert re.sub("</?mark>", "", out).count("<") == 0
