"""The template as a department sees it, and a filled-in template importing cleanly."""

from __future__ import annotations

from datetime import date

import openpyxl
from catalog_io_helpers import LISTS, fill, good_row, item_row, make_spec
from openpyxl.utils import range_boundaries

from huitong.catalog.excel_template import (
    CODE_SHEET,
    HELP_SHEET,
    ITEM_SHEET,
    RESOURCE_SHEET,
    TEMPLATE_CELL,
    TEMPLATE_ID,
    read_template,
    write_export,
    write_template,
)
from huitong.catalog.model import DataItem, DataType, FormatClass, Grade, ShareChannel, ShareMode, UpdateCycle

RESOURCE_HEADERS = [
    "*信息资源名称 (name)",
    "英文名称 (name_en)",
    "*信息资源分类 (class_code)",
    "附加分类 (also_in)",
    "*提供方代码 (provider_code)",
    "*信息资源摘要 (summary)",
    "*格式分类 (format_class)",
    "格式类型 (format_type)",
    "*共享类型 (share_type)",
    "共享条件 (share_condition)",
    "共享依据 (share_basis)",
    "共享方式分类 (share_channel)",
    "*共享方式类型 (share_mode)",
    "*开放类型 (open_type)",
    "开放条件 (open_condition)",
    "*更新周期 (update_cycle)",
    "发布日期 (publish_date)",
    "关联资源代码 (related_codes)",
    "所属系统 (source_system)",
    "数源部门代码 (authoritative_code)",
    "标签 (tags)",
]
ITEM_HEADERS = [
    "*信息资源名称 (resource)",
    "*信息项名称 (name)",
    "英文名 (name_en)",
    "*数据类型 (data_type)",
    "长度 (length)",
    "数据元 (element)",
    "分级 (grade)",
    "是否主键 (is_key)",
    "是否必填 (required)",
    "说明 (description)",
]


def dropdowns(wb, sheet: str) -> dict[str, list[str]]:
    """Column letter → the values its list validation offers, resolved through the hidden sheet."""
    out = {}
    for dv in wb[sheet].data_validations.dataValidation:
        assert dv.type == "list"
        ref_sheet, ref = dv.formula1.split("!")
        assert ref_sheet.strip("'") == CODE_SHEET
        min_col, min_row, _, max_row = range_boundaries(ref.replace("$", ""))
        values = [wb[CODE_SHEET].cell(r, min_col).value for r in range(min_row, max_row + 1)]
        for rng in dv.sqref.ranges:
            assert rng.min_row == 2 and rng.max_row == 1048576
            out[rng.coord.split(":")[0].rstrip("0123456789")] = values
    return out


def test_template_has_the_sheets_headers_and_hidden_version(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path, **LISTS)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [HELP_SHEET, RESOURCE_SHEET, ITEM_SHEET, CODE_SHEET]
    assert wb[CODE_SHEET].sheet_state == "hidden"
    help_ws = wb[HELP_SHEET]
    assert help_ws[TEMPLATE_CELL].value == TEMPLATE_ID
    assert help_ws.column_dimensions["Z"].hidden
    text = "\n".join(str(c.value) for c in help_ws["A"] if c.value)
    assert "有条件共享" in text and "English" in text
    assert [c.value for c in wb[RESOURCE_SHEET][1]] == RESOURCE_HEADERS
    assert [c.value for c in wb[ITEM_SHEET][1]] == ITEM_HEADERS
    for name in (RESOURCE_SHEET, ITEM_SHEET):
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert ws["A1"].fill.fgColor.rgb.endswith("FCE4D6") and ws["A1"].font.bold
        assert ws.column_dimensions["A"].width == 30


def test_every_enumerated_column_has_a_drop_down(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path, **LISTS)
    wb = openpyxl.load_workbook(path)
    res = dropdowns(wb, RESOURCE_SHEET)
    assert res["I"] == ["无条件共享", "有条件共享", "不予共享"]
    assert res["N"] == ["无条件开放", "有条件开放", "不予开放"]
    assert res["P"] == [m.label_zh for m in UpdateCycle]
    assert res["G"] == [m.label_zh for m in FormatClass]
    assert res["L"] == [m.label_zh for m in ShareChannel]
    assert res["M"] == [m.label_zh for m in ShareMode]
    assert res["C"] == ["101001 人口基本信息", "101002 户籍信息", "201001 综合"]
    assert res["E"] == res["T"] == ["11510000MB0000001X 省大数据中心", "11510000MB0000002X 省公安厅"]
    assert set(res) == {"C", "E", "G", "I", "L", "M", "N", "P", "T"}
    items = dropdowns(wb, ITEM_SHEET)
    assert items["D"] == [m.label_zh for m in DataType]
    assert items["G"] == [m.label_zh for m in Grade]
    assert items["F"] == ["DE00001 姓名", "DE00002 公民身份号码"]
    assert items["H"] == items["I"] == ["是", "否"]
    assert set(items) == {"D", "F", "G", "H", "I"}


def test_empty_code_lists_leave_the_column_without_a_drop_down(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path, class_nodes=[], departments=[], elements=[])
    wb = openpyxl.load_workbook(path)
    assert "C" not in dropdowns(wb, RESOURCE_SHEET) and "F" not in dropdowns(wb, ITEM_SHEET)
    assert read_template(path).problems == []


def test_export_adds_the_code_column_and_fills_it(tmp_path):
    path = tmp_path / "e.xlsx"
    write_export(path, [("101001/00001", make_spec())], **LISTS)
    wb = openpyxl.load_workbook(path)
    ws = wb[RESOURCE_SHEET]
    assert ws["A1"].value == "资源代码 (code)" and ws["A2"].value == "101001/00001"
    assert ws["D2"].value == "101001 人口基本信息"  # written as the drop-down shows it
    assert [c.value for c in wb[ITEM_SHEET]["B"][1:]] == ["姓名", "公民身份号码"]
    assert dropdowns(wb, RESOURCE_SHEET)["J"] == ["无条件共享", "有条件共享", "不予共享"]


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    path = tmp_path / "e.xlsx"
    write_export(path, [("101001/00001", make_spec(name='=HYPERLINK("x")'))], **LISTS)
    ws = openpyxl.load_workbook(path)[RESOURCE_SHEET]
    assert ws["B2"].data_type == "s"
    assert read_template(path).resources[0].spec.name == '=HYPERLINK("x")'


def test_a_filled_template_imports(tmp_path):
    rows = [
        good_row(
            **{
                "信息资源名称": "  人口基本信息 ",
                "格式分类": "数据库",
                "附加分类": "201；202 ;",
                "标签": "人口；户籍",
                "关联资源代码": "１０１００２/00001",
                "数源部门代码": "11510000MB0000002X",
            }
        ),
        None,  # a gap: spreadsheet users leave them
        {"信息资源名称": " ", "标签": None},  # only whitespace: empty too
        good_row(
            **{
                "信息资源名称": "户籍迁移记录",
                "信息资源分类": "１０１００２",
                "格式分类": "电子表格",
                "共享类型": "有条件共享",
                "共享条件": "仅用于户籍业务",
                "共享依据": "户口登记条例",
                "共享方式类型": "文件",
                "开放类型": "3",
                "更新周期": "每月",
                "发布日期": "2023年1月5日",
            }
        ),
    ]
    items = [
        item_row(),
        item_row(
            name="公民身份号码",
            数据类型="C",
            长度="18",
            数据元="DE00002 公民身份号码",
            分级="一般3级",
            是否主键="是",
        ),
        None,
        item_row("户籍迁移记录 ", "迁入日期", 数据类型="日期型", 长度=None, 是否必填="是", 说明="迁入当日"),
    ]
    result = read_template(fill(tmp_path / "filled.xlsx", rows, items))
    assert result.problems == []
    first, second = result.resources
    assert (first.row, second.row, first.code) == (2, 5, None)
    assert first.spec == make_spec(
        format_type="MySQL",
        publish_date=date(2023, 1, 5),
        also_in=["201", "202"],
        tags=["人口", "户籍"],
        related_codes=["101002/00001"],
        authoritative_code="11510000MB0000002X",
        items=[
            DataItem("姓名", DataType.C, 50),
            DataItem("公民身份号码", DataType.C, 18, "DE00002", Grade.general_3, is_key=True),
        ],
    )
    assert first.item_rows == {1: 2, 2: 3}
    assert second.spec.class_code == "101002" and second.spec.share_condition == "仅用于户籍业务"
    assert second.spec.items == [DataItem("迁入日期", DataType.D, required=True, description="迁入当日")]
    assert second.item_rows == {1: 5}


def test_reordered_columns_and_extra_columns_still_read(tmp_path):
    path = tmp_path / "t.xlsx"
    write_export(path, [("101001/00001", make_spec())], **LISTS)
    wb = openpyxl.load_workbook(path)
    ws = wb[RESOURCE_SHEET]
    ws.move_range("A1:A2", cols=30)  # the code column moved to the far right
    ws.cell(1, 1, "备注")
    wb.save(path)
    result = read_template(path)
    assert result.problems == [] and result.resources[0].code == "101001/00001"
    assert result.resources[0].columns["code"] == "AE 资源代码"


def test_a_prefilled_template_has_no_code_column_and_reads_back(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path, resources=[(None, make_spec())], **LISTS)
    assert openpyxl.load_workbook(path)[RESOURCE_SHEET]["A1"].value == "*信息资源名称 (name)"
    [imported] = read_template(path).resources
    assert (imported.code, imported.spec) == (None, make_spec())


def test_instructions_and_code_sheets_may_be_deleted(tmp_path):
    path = fill(tmp_path / "t.xlsx", [good_row()])
    wb = openpyxl.load_workbook(path)
    del wb[HELP_SHEET], wb[CODE_SHEET]
    wb.save(path)
    assert len(read_template(path).resources) == 1
