"""The JSON form: plain English values, and strict reading with JSON paths in every problem."""

from __future__ import annotations

import json
from datetime import date

import pytest
from catalog_io_helpers import make_spec

from huitong.catalog.json_io import dump_json_catalog, read_json_catalog, spec_from_dict, spec_to_dict
from huitong.catalog.model import Grade
from huitong.errors import HuitongError


def doc(*resources) -> str:
    return json.dumps(
        {"format": "huitong-catalog", "version": 1, "resources": list(resources)}, ensure_ascii=False
    )


def fields_of(err) -> list[str]:
    return [p.field for p in err.value.problems]


def test_spec_to_dict_uses_english_values_and_iso_dates():
    d = spec_to_dict(make_spec(publish_date=date(2023, 1, 5)))
    assert d["share_type"] == "unconditional" and d["format_class"] == "database"
    assert d["publish_date"] == "2023-01-05"
    assert d["items"][0] == {
        "name": "姓名",
        "data_type": "C",
        "length": 50,
        "element": "DE00001",
        "grade": None,
        "name_en": None,
        "is_key": False,
        "required": False,
        "description": None,
    }
    json.dumps(d)  # plain JSON types only
    assert spec_from_dict(d) == make_spec(publish_date=date(2023, 1, 5))


def test_optional_keys_may_be_left_out_and_labels_are_accepted():
    spec = spec_from_dict(
        {
            "name": "人口",
            "class_code": "101001",
            "provider_code": "P1",
            "summary": "s",
            "format_class": "服务接口",
            "share_type": "1",
            "share_mode": "api",
            "open_type": "none",
            "update_cycle": "每日",
            "items": [{"name": "姓名", "grade": "core"}],
        }
    )
    assert spec.share_type.value == "unconditional" and spec.tags == [] and spec.items[0].grade is Grade.core


def test_unknown_keys_are_refused():
    d = spec_to_dict(make_spec())
    d["share_bassis"] = "typo"
    d["items"][1]["lenght"] = 3
    with pytest.raises(HuitongError) as err:
        spec_from_dict(d, where="resources[4]")
    assert fields_of(err) == ["resources[4].share_bassis", "resources[4].items[1].lenght"]
    assert "share_basis" in err.value.problems[0].message  # lists the keys it knows


def test_every_problem_names_its_json_path():
    d = spec_to_dict(make_spec())
    del d["summary"]
    d.update(share_type="sometimes", publish_date="05/01/2023", tags="a;b", related_codes=["101001/00001", 7])
    d["items"][0].update(data_type="X", length="18", is_key="yes")
    d["items"][1] = "姓名"
    with pytest.raises(HuitongError) as err:
        spec_from_dict(d)
    assert fields_of(err) == [
        "summary",
        "share_type",
        "publish_date",
        "related_codes[1]",
        "tags",
        "items[0].data_type",
        "items[0].length",
        "items[0].is_key",
        "items[1]",
    ]
    assert err.value.status == 422


def test_required_values_must_not_be_null():
    d = spec_to_dict(make_spec())
    d.update(name=None, tags=None, share_channel=None, source_system=None)
    d["items"][0]["data_type"] = None
    with pytest.raises(HuitongError) as err:
        spec_from_dict(d)
    assert fields_of(err) == ["name", "share_channel", "tags", "items[0].data_type"]


def test_catalog_document_round_trips_with_codes():
    resources = [("101001/00001", make_spec()), (None, make_spec(name="户籍信息", items=[]))]
    text = dump_json_catalog(resources)
    assert "人口基本信息" in text and text.startswith('{\n  "format": "huitong-catalog"')
    assert read_json_catalog(text) == resources
    assert "code" not in json.loads(text)["resources"][1]


def test_catalog_document_from_a_file(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(dump_json_catalog([("101001/00001", make_spec())]), encoding="utf-8-sig")
    assert read_json_catalog(path)[0][0] == "101001/00001"
    assert read_json_catalog(str(path))[0][1] == make_spec()


def test_problems_in_a_document_name_the_resource():
    good = {"code": "101001/00001", **spec_to_dict(make_spec())}
    bad = spec_to_dict(make_spec(name="二"))
    bad["items"][0]["data_type"] = "字符"
    with pytest.raises(HuitongError) as err:
        read_json_catalog(doc(good, good, bad))
    assert fields_of(err) == ["resources[2].items[0].data_type"]


@pytest.mark.parametrize(
    "text, field",
    [
        ('{"format": "other", "version": 1, "resources": []}', "format"),
        ('{"format": "huitong-catalog", "version": 2, "resources": []}', "version"),
        ('{"format": "huitong-catalog", "version": 1, "resources": {}}', "resources"),
        ('{"format": "huitong-catalog", "version": 1, "resources": [], "extra": 1}', "extra"),
        ('{"format": "huitong-catalog", "version": 1, "resources": [3]}', "resources[0]"),
        ("[]", "$"),
    ],
)
def test_document_shape_is_checked(text, field):
    with pytest.raises(HuitongError) as err:
        read_json_catalog(text)
    assert fields_of(err) == [field]


def test_broken_json_says_where():
    with pytest.raises(HuitongError) as err:
        read_json_catalog('{"format": "huitong-catalog",\n "version": 1,,}')
    assert "line 2" in str(err.value) and err.value.problems[0].row == 2


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(HuitongError, match="cannot read"):
        read_json_catalog(tmp_path / "nope.json")
