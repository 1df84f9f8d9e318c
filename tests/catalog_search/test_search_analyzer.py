"""Analyzer: normalization, token kinds, pinyin readings, query clauses."""

from __future__ import annotations

import pytest

from huitong.catalog.search.analyzer import analyze, analyze_query, normalize, run_pinyin


def test_normalize_folds_width_and_case():
    assert normalize("ＧＢ／Ｔ　２２４０ Api") == normalize("gb/t 2240 API") == "gb/t 2240 api"


def test_document_tokens_have_words_bigrams_and_pinyin():
    toks = analyze("常住人口户籍信息")
    assert {"常住人口", "常住", "人口", "户籍", "信息"} <= set(toks)  # jieba search mode
    assert {"籍信", "口户"} <= set(toks)  # bigrams jieba did not emit
    assert {"py:huji", "pi:hj", "pi:czrkhj", "pi:czrkhjxx"} <= set(toks)
    # a bigram jieba already emitted at the same place is not counted twice
    assert toks.count("户籍") == 1


def test_pinyin_is_namespaced_and_optional():
    assert all(not t.startswith(("py:", "pi:")) for t in analyze("户籍信息", pinyin=False))
    assert "huji" not in analyze("户籍")  # English word "huji" never collides with pinyin


def test_ascii_words_and_digits_stay_whole():
    toks = analyze("GB2312 编码 2024年")
    assert {"gb2312", "gb", "2312", "2024"} <= set(toks)


def test_single_character_runs_are_kept():
    assert "税" in analyze("税")
    assert "税" in analyze("2024 税 fee")


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("重庆", "chong qing"),
        ("银行", "yin hang"),
        ("长沙", "chang sha"),
        ("长春", "chang chun"),
        ("单位", "dan wei"),
        ("行政区划", "xing zheng qu hua"),
        ("会计", "kuai ji"),
        ("单县", "shan xian"),
        ("长治市", "chang zhi shi"),
        ("朝阳区", "chao yang qu"),
    ],
)
def test_polyphones_read_as_in_government_usage(text, reading):
    assert " ".join(run_pinyin(text)) == reading


def test_query_clauses_and_fallbacks():
    q = analyze_query("营业执照")
    (clause,) = q.clauses
    kinds = [a.kind for a in clause.alternatives]
    assert kinds == ["word", "sub", "bigram"]
    assert clause.alternatives[0].tokens == ("营业执照",)
    assert clause.alternatives[2].tokens == ("营业", "业执", "执照")


def test_letters_query_tries_pinyin_after_the_literal_word():
    (clause,) = analyze_query("HJRK").clauses
    assert [(a.kind, a.tokens) for a in clause.alternatives] == [
        ("literal", ("hjrk",)),
        ("pinyin", ("py:hjrk",)),
        ("pyseq", ("hjrk",)),
        ("initials", ("pi:hjrk",)),
    ]


def test_query_text_is_normalized_and_deduplicated():
    q = analyze_query("  户籍　户籍  ＡＰＩ ")
    assert q.text == "户籍 户籍 api"
    assert [c.text for c in q.clauses] == ["户籍", "api"]
    assert not analyze_query("  ，。 ")
