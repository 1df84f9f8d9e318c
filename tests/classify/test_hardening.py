"""Adversarial checks on discovery and classification (found in review)."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest

from huitong.classify import discover
from tests.classify.test_edges import api  # noqa: F401
from tests.classify.test_service import ITEMS, _rows, _scan, city  # noqa: F401
from tests.quality.city import table


def _found(cols: dict) -> dict:
    return {f.column: f for f in discover.scan(pa.table(cols)).findings}


def test_a_category_column_of_words_beginning_with_a_surname_is_not_names():
    words = ["方法", "高中", "金额", "王国", "张力", "石油", "林业", "马路", "黄金", "周期"] * 5
    assert "类别" not in _found({"类别": words})
    # real names without a telling column name are still found
    names = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵军", "周洋", "吴敏", "黄丽"] * 5
    assert _found({"人员": names})["人员"].kind.value == "person_name"


def test_birth_dates_stored_as_timestamps_are_found_with_the_children():
    today = date.today()
    born = [datetime(today.year - 3, 1, 1), datetime(1980, 5, 6, 0, 0)] * 10
    found = _found({"出生日期": pa.array(born, pa.timestamp("us"))})
    assert found["出生日期"].kind.value == "birth_date"
    assert "minor_under_14" in found["出生日期"].classes


@pytest.mark.pg
def test_scanning_unchanged_data_again_raises_no_review(city):  # noqa: F811
    city.store.write(city.people, table(_rows(120), ITEMS))
    assert _scan(city)[1] == []
    assert _scan(city)[1] == []  # nothing changed: no new quasi-identifier combination


@pytest.mark.pg
@pytest.mark.parametrize("filename", ["a" * 300 + ".csv", "..", "."])
def test_an_upload_with_an_odd_file_name_is_not_a_500(api, filename):  # noqa: F811
    client, _, ga, _, _ = api
    r = client.post(
        "/api/classify/discover",
        files={"file": (filename, "姓名,手机\n张伟,13812345678\n".encode(), "text/csv")},
        headers=ga,
    )
    assert r.status_code in (200, 422), r.text


def test_two_columns_of_one_name_are_scanned_each_for_itself():
    t = pa.Table.from_arrays([pa.array(["13812345678"] * 5), pa.array(["x"] * 5)], names=["a", "a"])
    assert [f.kind.value for f in discover.scan(t).findings] == ["mobile"]
