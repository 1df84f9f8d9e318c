"""Excel: title rows, merged two-row headers, notes below, dates, numbers that lost digits, .xls."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from huitong.aggregate.sources import open_source
from huitong.errors import HuitongError
from tests.aggregate.fixtures.make_xls import build as build_xls
from tests.aggregate.helpers import problems, read_all

FIXTURES = Path(__file__).parent / "fixtures"
TITLE = "杭州市民政局低保对象名单（2025年）"


def dibao_workbook(path: Path, *, extra_sheets: bool = False) -> Path:
    """The shape departments send: title, merged group header over leaf names, data, notes."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    if extra_sheets:
        empty = wb.create_sheet("封面", 0)  # an empty first sheet
        empty.sheet_state = "visible"
        hidden = wb.create_sheet("字典", 1)
        hidden["A1"] = "男"
        hidden.sheet_state = "hidden"
    ws["A1"] = TITLE
    ws.merge_cells("A1:G1")
    ws["A2"] = "序号"
    ws.merge_cells("A2:A3")
    ws["B2"] = "基本信息"
    ws.merge_cells("B2:D2")
    ws["E2"] = "联系方式"
    ws.merge_cells("E2:F2")
    ws["G2"] = "补助金额（元）"
    ws.merge_cells("G2:G3")
    for col, name in zip("BCDEF", ["姓名", "性别", "出生日期", "电话", "街道"], strict=True):
        ws[f"{col}3"] = name
    ws.append([1, "张三", "男", datetime(1990, 1, 5), 13800138000, "西湖街道", 1234.5])
    ws.append([2, "李四", "女", date(1985, 3, 7), 1.10105199001011e17, None, 800])
    ws.append([3, "王五", "女", datetime(2001, 12, 31, 8, 30), "0571-87654321", None, "#N/A"])
    ws.merge_cells("F4:F6")  # one street merged down over three residents
    ws.append([])
    ws.append(["合计", None, None, None, None, None, 2034.5])
    ws.append(["注：1. 数据截至2025年1月；2. 金额单位为元。"])
    ws.append(["制表人：赵六", None, None, "审核人：钱七", None, "填报日期：2025年1月10日"])
    wb.save(path)
    return path


def test_title_merged_header_and_notes(tmp_path):
    source = open_source("xlsx", path=dibao_workbook(tmp_path / "低保.xlsx"))
    d = source.describe()
    assert d.sheet == "名单"
    assert d.title == TITLE
    assert d.header_rows == (2, 3)
    assert d.first_data_row == 4
    assert d.names == [
        "序号",
        "基本信息/姓名",
        "基本信息/性别",
        "基本信息/出生日期",
        "联系方式/电话",
        "联系方式/街道",
        "补助金额（元）",
    ]
    # the leaf names a department would type in a mapping still find the columns
    assert d.column("姓名").name == "基本信息/姓名"
    assert d.column("电话").letter == "E"
    assert d.column("补助金额(元)").name == "补助金额（元）"  # width of the brackets ignored
    rows = read_all(source)
    assert [r.row for r in rows] == [4, 5, 6]
    assert rows[0].values == {
        "序号": 1,
        "基本信息/姓名": "张三",
        "基本信息/性别": "男",
        "基本信息/出生日期": date(1990, 1, 5),
        "联系方式/电话": 13800138000,
        "联系方式/街道": "西湖街道",
        "补助金额（元）": Decimal("1234.5"),
    }
    assert rows[2].values["基本信息/出生日期"] == datetime(2001, 12, 31, 8, 30)
    assert [s.row for s in source.skipped] == [1, 7, 8, 9, 10]
    assert [s.reason for s in source.skipped[-3:]] == [
        "total row below the table",
        "note below the table",
        "note below the table",
    ]


def test_id_number_stored_as_a_number_is_reported_at_its_cell(tmp_path):
    rows = read_all(open_source("excel", path=dibao_workbook(tmp_path / "低保.xlsx")))
    assert rows[1].values["联系方式/电话"] is None
    [problem] = rows[1].problems
    assert (problem.file, problem.sheet, problem.row, problem.column) == (
        "低保.xlsx",
        "名单",
        5,
        "E (联系方式/电话)",
    )
    assert problem.value == "1.10105199001011E+17"
    assert "more than 15 digits" in problem.message and "entered as text" in problem.message


def test_excel_error_cells_are_reported(tmp_path):
    rows = read_all(open_source("xlsx", path=dibao_workbook(tmp_path / "e.xlsx")))
    assert problems(rows)[-1] == (6, "G (补助金额（元）)", "the cell holds the Excel error #N/A")
    assert rows[2].values["联系方式/电话"] == "0571-87654321"


def test_merged_cells_in_the_data_apply_to_every_row(tmp_path):
    path = dibao_workbook(tmp_path / "m.xlsx")
    streets = [r.values["联系方式/街道"] for r in read_all(open_source("xlsx", path=path))]
    assert streets == ["西湖街道"] * 3
    unfilled = [
        r.values["联系方式/街道"] for r in read_all(open_source("xlsx", path=path, fill_merged=False))
    ]
    assert unfilled == ["西湖街道", None, None]


def test_sheets_are_listed_and_the_first_visible_sheet_with_data_is_read(tmp_path):
    path = dibao_workbook(tmp_path / "s.xlsx", extra_sheets=True)
    d = open_source("xlsx", path=path).describe()
    assert [(s.name, s.index, s.hidden) for s in d.sheets] == [
        ("封面", 0, False),
        ("字典", 1, True),
        ("名单", 2, False),
    ]
    assert d.sheets[0].rows == 0
    assert d.sheet == "名单"
    assert open_source("xlsx", path=path, sheet="字典", header_row=0).describe().sheet == "字典"
    assert open_source("xlsx", path=path, sheet=2).describe().sheet == "名单"
    with pytest.raises(HuitongError) as caught:
        open_source("xlsx", path=path, sheet="明细").describe()
    assert caught.value.message == "s.xlsx: there is no sheet '明细'; the sheets are '封面', '字典', '名单'"
    with pytest.raises(HuitongError, match="no sheet number 5"):
        open_source("xlsx", path=path, sheet=5).describe()


def test_plain_header_and_extra_cells_without_header(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号"])
    ws.append(["张三", "330102199001011234"])
    ws.append(["李四", "33010219850307002X", "多出来的"])
    # even a program writing the exact integer stores a double in the sheet XML: digits are lost
    ws.append(["王五", 110105199001011234])
    wb.save(tmp_path / "p.xlsx")
    rows = read_all(open_source("xlsx", path=tmp_path / "p.xlsx"))
    assert [r.row for r in rows] == [2, 3, 4]
    assert [(row, column) for row, column, _ in problems(rows)] == [(3, "C (no header)"), (4, "B (身份证号)")]
    assert problems(rows)[0][2] == (
        "row 3 has 3 values but the header (row 1) has 2 columns; value(s) '多出来的' have no column"
    )
    assert rows[0].values["身份证号"] == "330102199001011234" and rows[0].ok


def test_ambiguous_leaf_name_must_be_given_in_full(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["C1"] = "申请人", "联系人"
    ws.merge_cells("A1:B1")
    ws.merge_cells("C1:D1")
    for col, name in zip("ABCD", ["姓名", "电话", "姓名", "电话"], strict=True):
        ws[f"{col}2"] = name
    ws.append(["张三", "138", "李四", "139"])
    wb.save(tmp_path / "a.xlsx")
    d = open_source("xlsx", path=tmp_path / "a.xlsx").describe()
    assert d.names == ["申请人/姓名", "申请人/电话", "联系人/姓名", "联系人/电话"]
    with pytest.raises(HuitongError) as caught:
        d.column("电话")
    assert (
        caught.value.message
        == "a.xlsx: column name '电话' is ambiguous: '申请人/电话', '联系人/电话'; use the full name"
    )
    with pytest.raises(HuitongError, match="no column '地址'; the columns are '申请人/姓名'"):
        d.column("地址")


def test_header_rows_option_without_merges(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["基本信息", None, "联系方式"])
    ws.append(["姓名", "性别", "电话"])
    ws.append(["张三", "男", "138"])
    wb.save(tmp_path / "h.xlsx")
    source = open_source("xlsx", path=tmp_path / "h.xlsx", header_rows=2)
    assert source.describe().names == ["基本信息/姓名", "基本信息/性别", "联系方式/电话"]
    assert read_all(source)[0].values["基本信息/性别"] == "男"


def test_files_that_are_not_workbooks_get_a_clear_message(tmp_path):
    html = tmp_path / "导出.xls"
    html.write_text("<html><body><table><tr><td>姓名</td></tr></table></body></html>", encoding="utf-8")
    with pytest.raises(HuitongError) as caught:
        open_source("xls", path=html).describe()
    assert "a web page (HTML/XML) saved with an Excel name" in caught.value.message
    assert caught.value.problems[0].file == "导出.xls"

    ods = tmp_path / "x.xlsx"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(HuitongError, match=r"an OpenDocument spreadsheet \(.ods\), not an Excel workbook"):
        open_source("xlsx", path=ods).describe()

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(HuitongError, match="the workbook is damaged"):
        open_source("xlsx", path=broken).describe()

    text = tmp_path / "t.xls"
    text.write_text("姓名,性别\n张三,男\n", encoding="utf-8")
    with pytest.raises(HuitongError, match="not an Excel workbook; if it is a text export, read it as csv"):
        open_source("xls", path=text).describe()


def test_every_sheet_empty(tmp_path):
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(HuitongError, match=r"every sheet is empty \('Sheet'\)"):
        open_source("xlsx", path=tmp_path / "empty.xlsx").describe()


# ---------------------------------------------------------------- .xls (BIFF8)


def test_xls_fixture_is_reproducible():
    assert (FIXTURES / "dibao.xls").read_bytes() == build_xls()


def test_xls_title_merged_header_dates_and_bad_cells():
    source = open_source("xls", path=FIXTURES / "dibao.xls")
    d = source.describe()
    assert [(s.name, s.rows) for s in d.sheets] == [("名单", 9), ("说明", 1)]
    assert d.sheet == "名单" and d.title == TITLE and d.header_rows == (2, 3)
    assert d.names == ["序号", "基本信息/姓名", "基本信息/性别", "联系方式/电话", "联系方式/地址", "出生日期"]
    rows = read_all(source)
    assert [r.row for r in rows] == [4, 5, 6]
    assert rows[0].values == {
        "序号": 1,
        "基本信息/姓名": "张三",
        "基本信息/性别": "男",
        "联系方式/电话": 13800138000,
        "联系方式/地址": "西湖区",
        "出生日期": date(1990, 1, 5),
    }
    assert rows[2].values["出生日期"] == date(2001, 12, 31)
    assert [(p.sheet, p.row, p.column, p.value) for r in rows for p in r.problems] == [
        ("名单", 5, "D (联系方式/电话)", "1.10105199001011E+17"),
        ("名单", 6, "D (联系方式/电话)", "#N/A"),
    ]
    assert [(s.row, s.reason) for s in source.skipped] == [
        (1, "title or text above the table"),
        (7, "blank"),
        (8, "note below the table"),
        (9, "note below the table"),
    ]


def test_xls_other_sheet_by_name():
    source = open_source("xls", path=FIXTURES / "dibao.xls", sheet="说明", header_row=0)
    rows = read_all(source)
    assert [(r.sheet, r.row, r.values) for r in rows] == [("说明", 1, {"A列": "本表由区民政局填报"})]


def test_damaged_xls(tmp_path):
    path = tmp_path / "bad.xls"
    path.write_bytes((FIXTURES / "dibao.xls").read_bytes()[:1500])
    with pytest.raises(HuitongError) as caught:
        open_source("xls", path=path).describe()
    assert caught.value.message.startswith("bad.xls: not a readable .xls workbook or the file is damaged")


def test_a_header_cell_merged_only_for_width_is_one_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "性别", "备注", None])
    ws.merge_cells("C1:D1")  # a wide remarks column, not a group over sub-headers
    ws.append(["张三", "男", "低保边缘户", None])
    ws.append(["李四", "女", None, None])
    wb.save(tmp_path / "w.xlsx")
    source = open_source("xlsx", path=tmp_path / "w.xlsx")
    d = source.describe()
    assert d.header_rows == (1,)
    assert d.names == ["姓名", "性别", "备注", "备注(2)"]
    rows = read_all(source)
    assert [(r.row, r.values["姓名"], r.values["备注"]) for r in rows] == [
        (2, "张三", "低保边缘户"),
        (3, "李四", None),
    ]
