"""JSON documents and NDJSON lines: records paths, line numbers, bad lines."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from huitong.aggregate.sources import open_source
from huitong.errors import HuitongError
from tests.aggregate.helpers import problems, read_all, values

PEOPLE = [
    {
        "name": "张三",
        "gender": "男",
        "amount": 1234.50,
        "address": {"district": "西湖区", "street": "文三路"},
    },
    {"name": "李四", "gender": "女", "amount": 800},
]


def test_array_of_objects_with_line_numbers(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PEOPLE, ensure_ascii=False, indent=2), encoding="utf-8")
    source = open_source("json", path=path)
    d = source.describe()
    assert d.names == ["name", "gender", "amount", "address.district", "address.street"]
    assert d.column("street").name == "address.street"
    rows = read_all(source)
    assert [(r.row, r.key) for r in rows] == [(2, "record 1"), (11, "record 2")]
    assert rows[0].values == {
        "name": "张三",
        "gender": "男",
        "amount": Decimal("1234.5"),
        "address.district": "西湖区",
        "address.street": "文三路",
    }
    assert rows[1].values["amount"] == 800


def test_decimals_keep_their_digits(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('[{"amount": 1234.50, "rate": 0.1}]', encoding="utf-8")
    assert read_all(open_source("json", path=path))[0].values == {
        "amount": Decimal("1234.50"),
        "rate": Decimal("0.1"),
    }


def test_records_path_into_an_api_style_envelope(tmp_path):
    doc = {"code": 0, "msg": "成功", "data": {"total": 2, "items": PEOPLE}}
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    rows = read_all(open_source("json", path=path, records_path="data.items"))
    assert [r.values["name"] for r in rows] == ["张三", "李四"]
    assert [r.key for r in rows] == ["record 1 in data.items", "record 2 in data.items"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(lines[r.row - 1].strip() == "{" for r in rows)  # the line where each record starts
    # with only one list of records in the document it is found without a path, and said so
    auto = open_source("json", path=path)
    assert [r.values["name"] for r in read_all(auto)] == ["张三", "李四"]
    assert auto.describe().notes == ("records found at 'data.items'",)


def test_wrong_or_ambiguous_records_path(tmp_path):
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"data": {"items": PEOPLE, "others": PEOPLE}}), encoding="utf-8")
    with pytest.raises(HuitongError) as caught:
        open_source("json", path=path).describe()
    assert caught.value.message == (
        "e.json: several lists of records found ('data.items', 'data.others'); set records_path"
    )
    with pytest.raises(HuitongError) as caught:
        open_source("json", path=path, records_path="data.list").describe()
    assert caught.value.message == (
        "e.json: records path 'data.list' not found: 'data' has no 'list'; "
        "lists of records are at 'data.items', 'data.others'"
    )
    with pytest.raises(HuitongError, match="leads to an object, not a list of records"):
        open_source("json", path=path, records_path="data").describe()


def test_index_in_records_path(tmp_path):
    path = tmp_path / "i.json"
    path.write_text(
        json.dumps({"result": [{"rows": [{"a": 1}]}, {"rows": [{"a": 2}, {"a": 3}]}]}), encoding="utf-8"
    )
    for records_path in ("result[1].rows", "result.1.rows"):
        rows = read_all(open_source("json", path=path, records_path=records_path))
        assert values(rows) == [{"a": 2}, {"a": 3}]


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"a": 1},\n  {"a": 2,,}\n]\n', encoding="utf-8")
    with pytest.raises(HuitongError) as caught:
        read_all(open_source("json", path=path))
    assert (
        caught.value.message
        == "bad.json: not valid JSON at line 3, column 11: Expecting property name enclosed in double quotes"
    )
    assert caught.value.problems[0].row == 3


def test_ndjson_given_as_json_gets_a_hint(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    with pytest.raises(HuitongError, match="read it as kind 'ndjson'"):
        open_source("json", path=path).describe()


def test_records_that_are_not_objects(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text('[{"a": 1},\n 42,\n {"a": 3}]', encoding="utf-8")
    rows = read_all(open_source("json", path=path))
    assert [r.row for r in rows] == [1, 2, 3]
    assert problems(rows) == [(2, None, "record 2 is a number, not an object")]


def test_minified_json_tells_records_apart_by_number(tmp_path):
    path = tmp_path / "min.json"
    path.write_text(json.dumps([{"a": i} for i in range(3)]), encoding="utf-8")
    rows = read_all(open_source("json", path=path))
    assert [(r.row, r.key) for r in rows] == [(1, "record 1"), (1, "record 2"), (1, "record 3")]
    assert rows[2].problem("bad", "a").message == "bad (record 3)"


def test_ndjson_with_a_bad_line_keeps_reading(tmp_path):
    path = tmp_path / "p.ndjson"
    path.write_text(
        '{"name": "张三", "amount": 1.50}\n\n{"name": "李四", "amount": 2}\n{"name": "王五", amount: 3}\n[1, 2]\n{"name": "赵六"}\n',
        encoding="utf-8",
    )
    source = open_source("ndjson", path=path)
    assert source.describe().names == ["name", "amount"]
    rows = read_all(source)
    assert [r.row for r in rows] == [1, 3, 4, 5, 6]
    assert [r.values.get("name") for r in rows] == ["张三", "李四", None, None, "赵六"]
    assert problems(rows) == [
        (4, None, "line 4 is not valid JSON: Expecting property name enclosed in double quotes at column 16"),
        (5, None, "line 5 is a list, not an object"),
    ]
    assert rows[2].problems[0].value == '{"name": "王五", amount: 3}'


def test_jsonl_extension_means_lines(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    assert values(read_all(open_source("json", path=path))) == [{"a": 1}, {"a": 2}]


def test_gbk_json_is_read(tmp_path):
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps([{"姓名": "张三"}], ensure_ascii=False).encode("gbk"))
    source = open_source("json", path=path)
    assert values(read_all(source)) == [{"姓名": "张三"}]
    assert source.describe().encoding == "gb18030"


def test_no_records_anywhere(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"code": 500, "msg": "系统繁忙"}', encoding="utf-8")
    with pytest.raises(HuitongError, match="no list of records found in the JSON document; set records_path"):
        open_source("json", path=path).describe()
