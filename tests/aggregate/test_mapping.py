"""Mappings: saved documents, proposals from names, pinyin and sample values, and applying them."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong.aggregate.mapping import (
    ItemOptions,
    Mapping,
    apply_mapping,
    check_columns,
    check_items,
    closest_column,
    name_key,
    pinyin_forms,
    propose_mapping,
    recognise_samples,
    stem,
)
from huitong.aggregate.sources import Column
from huitong.catalog.model import DataItem, DataType
from huitong.errors import HuitongError
from huitong.standards.idcard import make_id_number
from huitong.standards.uscc import make_credit_code

# A resource as a 民政/市场监管 catalog declares it.
ITEMS = [
    DataItem("姓名", element="DE01002", length=50, required=True),
    DataItem("公民身份号码", element="DE01001", length=18, is_key=True),
    DataItem("性别", element="DE01003"),
    DataItem("出生日期", DataType.D, element="DE01004"),
    DataItem("联系电话", element="DE04003"),
    DataItem("户籍地址", element="DE03002"),
    DataItem("统一社会信用代码", element="DE02001"),
]
# Headers as a department's GBK CSV has them.
DEPARTMENT_HEADERS = ["序号", "姓名", "身份证号", "性别", "出生日期", "联系电话", "户籍地址", "社会信用代码"]

IDS = [make_id_number("330106", date(1985, 3, d), 10 + d) for d in range(1, 6)]
CREDIT = [make_credit_code("9", "1", "330106", body) for body in ("MA2H3K4L", "60003734", "MA27X3L1")]


def by_item(proposals) -> dict[str, tuple[str | None, float, str]]:
    return {p.item: (p.column, p.score, p.method) for p in proposals}


# ---------------------------------------------------------------- documents


def test_document_round_trip():
    mapping = Mapping(
        {"身份证号": "公民身份号码", "XM": "姓名", "婚姻状况": "婚姻状况", "登记日期": "登记日期"},
        options={
            "婚姻状况": ItemOptions(codes={"10": "未婚", "20": "已婚"}),
            "登记日期": ItemOptions(date_format="%d/%m/%Y"),
        },
        version=3,
        resource="330100-00001",
        note="confirmed by 王科长",
    )
    doc = mapping.to_dict()
    assert doc["version"] == 3
    assert doc["columns"]["XM"] == "姓名"
    assert doc["options"] == {
        "婚姻状况": {"codes": {"10": "未婚", "20": "已婚"}},
        "登记日期": {"date_format": "%d/%m/%Y"},
    }
    assert Mapping.from_dict(json.loads(json.dumps(doc))) == mapping
    text = mapping.to_json()
    assert "身份证号" in text  # readable, not \\u escapes
    assert Mapping.from_json(text) == mapping
    assert mapping.column_for("姓名") == "XM"
    assert mapping.item_for("身份证号") == "公民身份号码"
    assert mapping.column_for("性别") is None
    assert mapping.options_for("姓名") == ItemOptions()


def test_minimal_document_defaults_to_version_1():
    mapping = Mapping.from_dict({"columns": {"姓名": "姓名"}})
    assert mapping.version == 1
    assert mapping.options == {}
    assert mapping.to_dict() == {"version": 1, "columns": {"姓名": "姓名"}}


def test_next_version_keeps_content():
    first = Mapping({"姓名": "姓名"}, resource="R1")
    second = first.next_version({"XM": "姓名"})
    assert (second.version, second.columns, second.resource) == (2, {"XM": "姓名"}, "R1")
    assert first.next_version().columns == {"姓名": "姓名"}


def _fields(exc: HuitongError) -> list[str | None]:
    return [p.field for p in exc.problems]


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ({"version": 1, "colums": {"姓名": "姓名"}}, "colums", "did you mean 'columns'"),
        ({"version": 0, "columns": {"姓名": "姓名"}}, "version", "whole number from 1"),
        ({"version": "2", "columns": {"姓名": "姓名"}}, "version", "whole number"),
        ({"version": True, "columns": {"姓名": "姓名"}}, "version", "whole number"),
        ({"version": 1}, "columns", "missing"),
        ({"columns": ["姓名", "性别"]}, "columns", "got a list"),
        ({"columns": {"姓名": None}}, "columns.姓名", "must map to an item name"),
        ({"columns": {"姓名": ""}}, "columns.姓名", "must map to an item name"),
        ({"columns": {"XM": "姓名", "名字": "姓名"}}, "columns.名字", "fed by two columns"),
        (
            {"columns": {"姓名": "姓名"}, "options": {"性别": {"kind": "gender"}}},
            "options.性别",
            "no column maps",
        ),
        (
            {"columns": {"姓名": "姓名"}, "options": {"姓名": {"trim": True}}},
            "options.姓名.trim",
            "unknown option",
        ),
        (
            {"columns": {"年龄": "年龄"}, "options": {"年龄": {"kind": "int"}}},
            "options.年龄.kind",
            "unknown kind",
        ),
        (
            {"columns": {"婚姻": "婚姻"}, "options": {"婚姻": {"kind": "code"}}},
            "options.婚姻.codes",
            "needs a code",
        ),
        ({"columns": {"婚姻": "婚姻"}, "options": {"婚姻": {"codes": {}}}}, "options.婚姻.codes", "empty"),
        (
            {"columns": {"婚姻": "婚姻"}, "options": {"婚姻": {"codes": {"10": 1}}}},
            "options.婚姻.codes",
            "of text",
        ),
        (
            {"columns": {"日期": "日期"}, "options": {"日期": {"date_format": "%Y-%m"}}},
            "options.日期.date_format",
            "day",
        ),
        (
            {"columns": {"日期": "日期"}, "options": {"日期": {"date_format": "dd/mm/yyyy"}}},
            "options.日期.date_format",
            "needs a year",
        ),
        ({"columns": {"日期": "日期"}, "options": {"日期": "%d/%m/%Y"}}, "options.日期", "must be an object"),
        ({"columns": {"姓名": "姓名"}, "options": []}, "options", "must be an object"),
        ({"columns": {"姓名": "姓名"}, "resource": 17}, "resource", "resource code"),
        ({"columns": {"姓名": "姓名"}, "note": ["x"]}, "note", "must be text"),
    ],
)
def test_bad_documents_name_the_field(doc, field, words):
    with pytest.raises(HuitongError) as caught:
        Mapping.from_dict(doc)
    assert caught.value.status == 422
    assert field in _fields(caught.value), caught.value.problems
    problem = next(p for p in caught.value.problems if p.field == field)
    assert words in problem.message


def test_every_fault_is_reported_at_once():
    with pytest.raises(HuitongError) as caught:
        Mapping.from_dict({"version": -1, "columns": {"A": 5, "B": "姓名"}, "extra": 1})
    assert set(_fields(caught.value)) == {"version", "columns.A", "extra"}
    assert "3 problem(s)" in caught.value.message


@pytest.mark.parametrize("doc", [[], "columns", None, 3])
def test_document_must_be_an_object(doc):
    with pytest.raises(HuitongError, match="must be a JSON object"):
        Mapping.from_dict(doc)


def test_json_syntax_error_says_where():
    with pytest.raises(HuitongError, match=r"not JSON: .* line 2, column"):
        Mapping.from_json('{"columns":\n  {"姓名": }}')


def test_constructor_refuses_the_same_faults():
    with pytest.raises(HuitongError, match="fed by two columns"):
        Mapping({"XM": "姓名", "姓名": "姓名"})
    with pytest.raises(HuitongError, match="version"):
        Mapping({"姓名": "姓名"}, version=0)


# ---------------------------------------------------------------- applying and checking


def test_apply_mapping():
    mapping = Mapping({"XM": "姓名", "SFZH": "公民身份号码", "电话": "联系电话"})
    values = {"序号": 1, "XM": " 张三 ", "SFZH": IDS[0], "备注": "x"}
    assert apply_mapping(values, mapping) == {"姓名": " 张三 ", "公民身份号码": IDS[0], "联系电话": None}


def test_check_columns_resolves_leaf_and_loose_names():
    columns = [
        Column("序号", 1, ("序号",), "A"),
        Column("基本信息/姓名", 2, ("基本信息", "姓名"), "B"),
        Column("身份证号", 3, ("身份证号",), "C"),
        Column("联系 电话", 4, ("联系 电话",), "D"),
    ]
    mapping = Mapping({"姓名": "姓名", "身份证号": "公民身份号码", "联系电话": "联系电话"}, version=4)
    resolved = check_columns(mapping, columns)
    assert resolved.columns == {"基本信息/姓名": "姓名", "身份证号": "公民身份号码", "联系 电话": "联系电话"}
    assert resolved.version == 4
    assert check_columns(mapping, [c.name for c in columns]).columns == resolved.columns


def test_missing_column_is_named_with_the_closest():
    mapping = Mapping({"身份证号": "公民身份号码", "姓名": "姓名"})
    with pytest.raises(HuitongError) as caught:
        check_columns(mapping, ["序号", "姓名", "身份证号码", "性别"], source="民政局名单.csv")
    assert caught.value.message == "民政局名单.csv: mapped column(s) not found in the source: '身份证号'"
    (problem,) = caught.value.problems
    assert problem.column == "身份证号"
    assert problem.field == "公民身份号码"
    assert problem.file == "民政局名单.csv"
    assert "did you mean '身份证号码'?" in problem.message
    assert "'序号', '姓名', '身份证号码', '性别'" in problem.message


def test_ambiguous_leaf_is_refused():
    columns = ["法定代表人/姓名", "经办人/姓名"]
    with pytest.raises(HuitongError, match="ambiguous"):
        check_columns(Mapping({"姓名": "姓名"}), columns)
    assert check_columns(Mapping({"经办人/姓名": "姓名"}), columns).columns == {"经办人/姓名": "姓名"}


def test_two_names_for_one_column_are_refused():
    with pytest.raises(HuitongError, match="same source column"):
        check_columns(Mapping({"基本信息/姓名": "姓名", "姓名": "名字"}), ["基本信息/姓名"])


def test_closest_column():
    assert closest_column("身份证号", ["序号", "身份证号码"]) == "身份证号码"
    assert closest_column("姓名", ["基本信息/姓名", "性别"]) == "基本信息/姓名"
    assert closest_column("户籍地址", ["户籍地址（详细）", "性别"]) == "户籍地址（详细）"
    assert closest_column("统一社会信用代码", ["序号", "性别"]) is None


def test_check_items():
    check_items(Mapping({"XM": "姓名", "SFZH": "公民身份号码"}), ITEMS)
    with pytest.raises(HuitongError) as caught:
        check_items(Mapping({"XM": "姓 名", "SFZH": "公民身份号"}), ITEMS)
    messages = [p.message for p in caught.value.problems]
    assert any("'姓 名', which is not an item" in m and "did you mean '姓名'" in m for m in messages)
    assert any("did you mean '公民身份号码'" in m for m in messages)
    assert "required item '姓名' is not mapped to any column" in messages
    assert "key item '公民身份号码' is not mapped to any column" in messages
    with pytest.raises(HuitongError, match="unknown data element 'DE99001'"):
        check_items(Mapping({"A": "甲"}), [DataItem("甲", element="DE99001")])


# ---------------------------------------------------------------- names


def test_name_key_and_stem():
    assert name_key("＊姓　名（必填）") == "姓名"
    assert name_key("出生日期(YYYY-MM-DD)") == "出生日期"
    assert name_key("ＳＦＺＨ") == "sfzh"
    assert name_key("(备注)") == "备注"
    assert stem(name_key("身份证号码")) == stem(name_key("身份证号")) == "身份证"
    assert stem("名称") == "名称"  # never down to nothing


def test_pinyin_forms():
    assert pinyin_forms("身份证号") == ("shenfenzhenghao", "sfzh")
    assert pinyin_forms("姓名") == ("xingming", "xm")


# ---------------------------------------------------------------- proposals


def test_department_headers_are_proposed():
    proposals = propose_mapping(DEPARTMENT_HEADERS, ITEMS)
    got = by_item(proposals)
    assert got["姓名"] == ("姓名", 1.0, "exact")
    assert got["公民身份号码"][0] == "身份证号"
    assert got["公民身份号码"][2] in ("synonym", "element")
    assert got["性别"] == ("性别", 1.0, "exact")
    assert got["出生日期"] == ("出生日期", 1.0, "exact")
    assert got["联系电话"] == ("联系电话", 1.0, "exact")
    assert got["户籍地址"] == ("户籍地址", 1.0, "exact")
    assert got["统一社会信用代码"][:1] == ("社会信用代码",)
    assert got["统一社会信用代码"][2] == "synonym"
    assert proposals.unmatched_columns == ("序号",)
    assert proposals.unmatched_items == ()
    assert [p.item for p in proposals] == [i.name for i in ITEMS]
    reason = next(p.reason for p in proposals if p.item == "统一社会信用代码")
    assert reason == "社会信用代码 is a usual name for 统一社会信用代码"


def test_proposal_to_mapping_and_report():
    proposals = propose_mapping(DEPARTMENT_HEADERS, ITEMS)
    mapping = proposals.to_mapping()
    assert mapping.columns["身份证号"] == "公民身份号码"
    assert "序号" not in mapping.columns
    assert len(mapping.columns) == len(ITEMS)
    assert set(proposals.to_mapping(min_score=0.99).columns.values()) == {
        "姓名",
        "性别",
        "出生日期",
        "联系电话",
        "户籍地址",
    }
    report = proposals.report()
    assert "公民身份号码 ← 身份证号" in report
    assert report.endswith("columns not used: 序号")


@pytest.mark.parametrize(
    ("column", "item", "method"),
    [
        ("sfzh", "身份证号", "initials"),
        ("SFZH", "身份证号", "initials"),
        ("SFZHM", "身份证号", "initials"),  # initials of the synonym 身份证号码
        ("shenfenzhenghao", "身份证号", "pinyin"),
        ("xm", "姓名", "initials"),
        ("XM", "姓名", "initials"),
        ("XING_MING", "姓名", "pinyin"),
        ("xingming", "姓名", "pinyin"),
        ("csrq", "出生日期", "initials"),
        ("LXDH", "联系电话", "initials"),
        ("TYSHXYDM", "统一社会信用代码", "initials"),
        ("xb", "性别", "initials"),
    ],
)
def test_pinyin_and_initials(column, item, method):
    items = [
        DataItem("身份证号", element="DE01001"),
        DataItem("姓名", element="DE01002"),
        DataItem("性别", element="DE01003"),
        DataItem("出生日期", DataType.D, element="DE01004"),
        DataItem("联系电话", element="DE04003"),
        DataItem("统一社会信用代码", element="DE02001"),
    ]
    proposals = propose_mapping(["序号", column, "备注"], items)
    (proposal,) = [p for p in proposals if p.column is not None]
    assert (proposal.item, proposal.method) == (item, method)
    assert 0.5 <= proposal.score < 0.9
    assert column in proposal.reason and ("pinyin" in proposal.reason)
    assert set(proposals.unmatched_columns) == {"序号", "备注"}


def test_pinyin_reason_names_the_chinese():
    (p,) = [p for p in propose_mapping(["SFZHM"], [DataItem("公民身份号码", element="DE01001")]) if p.column]
    assert p.reason == "SFZHM is the pinyin initials of 身份证号码, a name for 公民身份号码"


@pytest.mark.parametrize(
    ("column", "item"),
    [
        ("证件号码", "公民身份号码"),
        ("身份证号码", "公民身份号码"),
        ("信用代码", "统一社会信用代码"),
        ("手机号", "联系电话"),
        ("电话号码", "联系电话"),
        ("出生年月", "出生日期"),
        ("住址", "户籍地址"),
        ("区划代码", "行政区划代码"),
        ("行政区划", "行政区划代码"),
        ("法人代表", "法定代表人"),
        ("企业名称", "单位名称"),
    ],
)
def test_synonyms(column, item):
    items = [DataItem(n) for n in ("公民身份号码", "统一社会信用代码", "联系电话", "出生日期", "户籍地址")]
    items += [DataItem("行政区划代码"), DataItem("法定代表人"), DataItem("单位名称")]
    got = by_item(propose_mapping(["序号", column], items))
    assert got[item][0] == column
    assert got[item][1] >= 0.8
    assert sum(1 for c, _, _ in got.values() if c) == 1


def test_normalised_and_suffix_matches():
    items = [DataItem("姓名"), DataItem("身份证号码"), DataItem("性别")]
    got = by_item(propose_mapping(["*姓　名", "身份证号", "性别（必填）"], items))
    assert got["姓名"] == ("*姓　名", 0.95, "normalised")
    assert got["身份证号码"] == ("身份证号", 0.9, "stem")
    assert got["性别"] == ("性别（必填）", 0.95, "normalised")


def test_item_matched_by_leaf_of_merged_header():
    columns = ["序号", "基本信息/姓名", "基本信息/身份证号", "联系方式/联系电话", "联系方式/住址"]
    proposals = propose_mapping(columns, ITEMS)
    got = by_item(proposals)
    assert got["姓名"] == ("基本信息/姓名", 0.97, "leaf")
    assert got["联系电话"] == ("联系方式/联系电话", 0.97, "leaf")
    assert got["公民身份号码"][0] == "基本信息/身份证号"
    assert got["户籍地址"][0] == "联系方式/住址"
    reason = next(p.reason for p in proposals if p.item == "姓名")
    assert reason == "leaf 姓名 of merged header 基本信息/姓名: exact name 姓名"
    # Column objects work too: their path gives the leaf
    cols = [Column("基本信息/姓名", 1, ("基本信息", "姓名"), "A")]
    assert by_item(propose_mapping(cols, ITEMS))["姓名"] == ("基本信息/姓名", 0.97, "leaf")


def test_same_leaf_twice_is_flagged():
    proposals = propose_mapping(["法定代表人/姓名", "经办人/姓名"], [DataItem("姓名")])
    (p,) = proposals
    assert p.column == "法定代表人/姓名"
    assert p.alternatives == ("经办人/姓名",)
    assert "also fits 经办人/姓名, check" in p.reason
    assert proposals.unmatched_columns == ("经办人/姓名",)


def test_exact_match_is_never_traded_away():
    items = [DataItem("联系电话", element="DE04003"), DataItem("手机号码", element="DE04001")]
    got = by_item(propose_mapping(["手机号", "联系电话"], items))
    assert got["联系电话"] == ("联系电话", 1.0, "exact")
    assert got["手机号码"] == ("手机号", 0.9, "stem")


def test_english_names():
    items = [DataItem("公民身份号码", element="DE01001"), DataItem("姓名", name_en="person_name")]
    got = by_item(propose_mapping(["CITIZEN_ID", "PersonName"], items))
    assert got["公民身份号码"][0] == "CITIZEN_ID"
    assert got["姓名"] == ("PersonName", 0.9, "english")


def test_sample_values_propose_items():
    columns = ["序号", "字段1", "字段2", "字段3", "字段4", "字段5", "字段6"]
    samples = {
        "序号": [1, 2, 3, 4, 5],
        "字段1": IDS,
        "字段2": ["男", "女", "男", "女", "男"],
        "字段3": ["13800138000", "139 1234 5678", "0571-87654321", "15012345678", "18612345678"],
        "字段4": ["1985-03-01", "1985/3/2", "1985年3月3日", "19850304", date(1985, 3, 5)],
        "字段5": CREDIT,
        "字段6": ["张三", "李四", "王五", None, ""],
    }
    proposals = propose_mapping(columns, ITEMS, samples=samples)
    got = by_item(proposals)
    assert got["公民身份号码"][0] == "字段1"
    assert got["性别"][0] == "字段2"
    assert got["联系电话"][0] == "字段3"
    assert got["出生日期"][0] == "字段4"
    assert got["统一社会信用代码"][0] == "字段5"
    assert {got[i][2] for i in ("公民身份号码", "性别", "联系电话", "出生日期", "统一社会信用代码")} == {
        "sample"
    }
    assert got["姓名"][0] is None  # names have no pattern
    assert set(proposals.unmatched_columns) == {"序号", "字段6"}
    reason = next(p.reason for p in proposals if p.item == "公民身份号码")
    assert reason == "5 of 5 sample values are valid ID numbers (公民身份号码, DE01001)"


def test_samples_that_agree_raise_the_score_and_contradicting_ones_lower_it():
    items = [DataItem("公民身份号码", element="DE01001")]
    plain = by_item(propose_mapping(["证件号码"], items))["公民身份号码"]
    agree = by_item(propose_mapping(["证件号码"], items, samples={"证件号码": IDS}))["公民身份号码"]
    passports = ["E12345678", "E87654321", "G11223344"]
    proposals = propose_mapping(["证件号码"], items, samples={"证件号码": passports})
    contra = by_item(proposals)["公民身份号码"]
    assert agree[1] > plain[1] > contra[1]
    assert "5 of 5 sample values are valid ID numbers" in proposals_reason(items, IDS)
    assert "but only 0 of 3 sample values fit 公民身份号码" in proposals[0].reason


def proposals_reason(items, ids) -> str:
    return propose_mapping(["证件号码"], items, samples={"证件号码": ids})[0].reason


def test_recognise_samples_is_careful():
    assert recognise_samples(["1", "2", "1", "2"]) == []  # a 序号 or code column, not genders
    assert [m.pattern for m in recognise_samples(["男", "女", "1"])] == ["gender"]
    assert recognise_samples([None, "", "  "]) == []
    assert recognise_samples(["330106", "110101"])[0].pattern == "division_code"
    assert all(m.pattern != "division_code" for m in recognise_samples(["999999", "998877"]))
    mixed = recognise_samples(IDS[:3] + ["not an id"])
    assert mixed == []  # 3 of 4 is below the 80% needed
    assert recognise_samples([1.10105199001011e17]) == []  # an ID number Excel turned into a float


def test_nothing_below_min_score():
    proposals = propose_mapping(["备注", "序号"], ITEMS)
    assert all(p.column is None and p.score == 0.0 for p in proposals)
    assert proposals.unmatched_items == tuple(i.name for i in ITEMS)
    assert proposals[0].reason == "no column matches 姓名"


def test_duplicate_column_names_are_considered_once():
    proposals = propose_mapping(["姓名", "姓名"], [DataItem("姓名")])
    assert proposals[0].column == "姓名"
    assert proposals.unmatched_columns == ()


NAMES = [
    "姓名",
    "公民身份号码",
    "性别",
    "出生日期",
    "联系电话",
    "户籍地址",
    "统一社会信用代码",
    "单位名称",
    "法定代表人",
    "行政区划代码",
    "民族",
    "婚姻状况",
    "登记日期",
    "注册资本",
]
RENAMES = [
    "身份证号",
    "SFZHM",
    "xm",
    "手机号",
    "出生年月",
    "住址",
    "信用代码",
    "企业名称",
    "法人代表",
    "区划",
    "序号",
]


@settings(max_examples=60, deadline=None)
@given(
    kept=st.sets(st.sampled_from(NAMES), min_size=1),
    renamed=st.lists(st.sampled_from(RENAMES), max_size=6, unique=True),
    noise=st.lists(st.text(min_size=1, max_size=6), max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
def test_exact_names_survive_shuffling_and_renaming(kept, renamed, noise, seed):
    items = [DataItem(n) for n in NAMES]
    columns = list(kept) + renamed + [n for n in noise if n not in NAMES]
    random.Random(seed).shuffle(columns)
    got = by_item(propose_mapping(columns, items))
    for name in kept:
        assert got[name] == (name, 1.0, "exact")
    assigned = [c for c, _, _ in got.values() if c is not None]
    assert len(assigned) == len(set(assigned))  # one column feeds at most one item


def test_a_longer_header_containing_the_name():
    items = [DataItem("公民身份号码", element="DE01001"), DataItem("单位名称")]
    proposals = propose_mapping(["申请人身份证号码", "单位地址"], items)
    got = by_item(proposals)
    assert got["公民身份号码"][0] == "申请人身份证号码"
    assert got["公民身份号码"][2] == "contains"
    assert got["单位名称"][0] is None  # 单位 alone is too common to count
    assert proposals.unmatched_columns == ("单位地址",)
