"""行政区划代码 table: vintage, windows, successors, names."""

import re
from datetime import date

from huitong.standards import division_table, divisions, validate_division_code


def test_vintage_is_recorded():
    table = division_table()
    assert re.fullmatch(r"\d{4}-\d{2}", table.vintage)
    assert table.vintage >= "2021-12"
    assert divisions.VINTAGE == table.vintage == table.VINTAGE
    assert 5000 < len(table) < 9000


def test_lookups_respect_windows():
    table = division_table()
    assert table.lookup("330184", date(1999, 6, 1)).name == "余杭市"
    assert table.lookup("330184", date(2005, 6, 1)) is None
    assert table.lookup("330103", date(2015, 1, 1)).name == "下城区"
    assert not table.is_valid("330103")
    assert table.is_valid("330103", date(2015, 1, 1))
    assert table.is_valid("330113", date(2022, 1, 1))
    assert not table.is_valid("330113", date(2015, 1, 1))
    assert table.lookup("999999") is None


def test_dates_before_the_first_list_use_the_first_list():
    table = division_table()
    assert table.first_list == date(1980, 1, 1)
    assert table.lookup("330121", date(1970, 1, 1)).name == "萧山县"
    assert table.is_valid("110101", date(1950, 1, 1))
    assert "330113" not in table.codes_at(date(1970, 1, 1))


def test_division_fields():
    row = division_table().lookup("330113", date(2022, 6, 1))
    assert (row.level, row.province_code, row.prefecture_code) == ("county", "330000", "330100")
    assert row.valid_to is None
    assert division_table().lookup("330100").level == "prefecture"
    assert division_table().lookup("330000").prefecture_code is None


def test_successor_chains():
    table = division_table()
    assert table.successors("330184") == ["330110"]  # 余杭市 -> 余杭区 (2001)
    assert table.successors("330103") == ["330105"]  # 下城区 merged into 拱墅区 (2021)
    assert table.successors("330110") == []


def test_names_path():
    table = division_table()
    assert table.names_path("330113", date(2022, 6, 1)) == ["浙江省", "杭州市", "临平区"]
    assert table.names_path("110101") == ["北京市", "东城区"]
    assert table.names_path("330000") == ["浙江省"]
    assert table.names_path("330113", date(2015, 1, 1)) == []


def test_codes_at():
    codes_2015 = division_table().codes_at(date(2015, 6, 1))
    codes_2022 = division_table().codes_at(date(2022, 6, 1))
    assert "330103" in codes_2015 and "330103" not in codes_2022
    assert "330113" in codes_2022 and "330113" not in codes_2015
    assert codes_2022 == sorted(codes_2022)
    assert 3000 < len(codes_2022) < 3600


def test_hong_kong_macau_taiwan_are_province_level_for_any_date():
    table = division_table()
    for code in ("810000", "820000", "830000"):
        assert table.is_valid(code) and table.is_valid(code, date(1950, 1, 1))
        assert table.lookup(code).level == "province"
        assert validate_division_code(code).findings == ()


def test_validate_division_code():
    assert validate_division_code(" 330106 ").value == "330106"
    assert validate_division_code("33010").codes == ("format",)
    assert validate_division_code("33O106").codes == ("format",)
    unknown = validate_division_code("999999")
    assert unknown.ok and unknown.warnings[0].code == "unknown_region"
    assert "vintage" in unknown.warnings[0].message


def test_abolished_code_is_a_warning_today_but_fine_on_its_date():
    now = validate_division_code("330103")
    assert now.ok and [f.code for f in now.warnings] == ["unknown_region"]
    assert "330105" in now.warnings[0].message  # names the successor
    assert validate_division_code("330103", on=date(2015, 1, 1)).findings == ()


def test_reused_code_has_several_windows():
    table = division_table()
    reused = [c for c in table.codes_at(date(2021, 12, 31)) if len(table.windows(c)) > 1]
    assert reused, "the 民政部 lists re-use codes; the table must keep each window"
    code = reused[0]
    first, second = table.windows(code)[:2]
    assert first.valid_to < second.valid_from
