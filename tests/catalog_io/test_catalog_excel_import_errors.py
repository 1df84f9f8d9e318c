"""Each kind of bad workbook points at the exact cell (or refuses the file with a clear reason)."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from catalog_io_helpers import LISTS, fill, good_row, item_row, make_spec

from huitong.catalog.excel_template import (
    HELP_SHEET,
    ITEM_SHEET,
    RESOURCE_SHEET,
    TEMPLATE_CELL,
    locate,
    read_template,
    write_export,
    write_template,
)
from huitong.errors import HuitongError, Problem


def cells(result) -> list[tuple[str, int, str | None]]:
    return [(p.sheet, p.row, p.column) for p in result.problems]


def read_rows(tmp_path, rows, items=()):
    return read_template(fill(tmp_path / "f.xlsx", rows, items), filename="部门目录.xlsx")


def test_problems_carry_file_sheet_row_column_and_value(tmp_path):
    result = read_rows(tmp_path, [good_row(共享类型="随便共享")])
    [p] = result.problems
    assert p == Problem(
        p.message,
        field="share_type",
        file="部门目录.xlsx",
        sheet=RESOURCE_SHEET,
        row=2,
        column="I 共享类型",
        value="随便共享",
    )
    assert "无条件共享" in p.message  # says what is allowed
    assert str(p).startswith("部门目录.xlsx, sheet 信息资源, row 2, column I 共享类型")
    assert result.resources == []


def test_blank_required_cells(tmp_path):
    result = read_rows(
        tmp_path,
        [good_row(), good_row(信息资源名称="另一资源", 信息资源摘要="  ", 共享类型=None)],
        [item_row(数据类型=None)],
    )
    assert cells(result) == [
        (RESOURCE_SHEET, 3, "F 信息资源摘要"),
        (RESOURCE_SHEET, 3, "I 共享类型"),
        (ITEM_SHEET, 2, "D 数据类型"),
    ]
    assert all("required" in p.message for p in result.problems)
    assert result.resources == []  # row 2 lost its only item's type, row 3 is incomplete


def test_a_bad_enum_does_not_cause_follow_on_problems(tmp_path):
    # with 共享类型 unreadable, nobody can tell whether 共享依据 was needed
    result = read_rows(tmp_path, [good_row(共享类型="有条件", 共享方式类型="文件")])
    assert cells(result) == [(RESOURCE_SHEET, 2, "I 共享类型")]


@pytest.mark.parametrize(
    "text", ["2023-01-05", "2023/1/5", "2023年1月5日", "20230105", " 2023-1-5 ", "２０２３-０１-０５"]
)
def test_date_spellings_are_accepted(tmp_path, text):
    result = read_rows(tmp_path, [good_row(发布日期=text)])
    assert result.problems == [] and result.resources[0].spec.publish_date.isoformat() == "2023-01-05"


@pytest.mark.parametrize("text", ["2023-13-05", "明年", "2023-02-30", "5/1/2023"])
def test_bad_date(tmp_path, text):
    result = read_rows(tmp_path, [good_row(发布日期=text)])
    assert cells(result) == [(RESOURCE_SHEET, 2, "Q 发布日期")]
    assert result.problems[0].value == text


def test_enum_accepts_label_english_value_and_code(tmp_path):
    rows = [
        good_row(信息资源名称=f"资源{i}", 共享类型=v, 共享条件="c", 共享依据="b")
        for i, v in enumerate(["有条件共享", "conditional", "2"])
    ]
    result = read_rows(tmp_path, rows)
    assert result.problems == [] and {r.spec.share_type.value for r in result.resources} == {"conditional"}


def test_bad_class_code_format(tmp_path):
    result = read_rows(
        tmp_path, [good_row(信息资源分类="4010AB"), good_row(信息资源名称="二", 信息资源分类="101")]
    )
    assert cells(result) == [(RESOURCE_SHEET, 2, "C 信息资源分类"), (RESOURCE_SHEET, 3, "C 信息资源分类")]
    assert "6 digits" in result.problems[1].message


def test_conditional_sharing_needs_condition_and_basis_on_their_cells(tmp_path):
    result = read_rows(tmp_path, [good_row(共享类型="有条件共享")])
    assert cells(result) == [(RESOURCE_SHEET, 2, "J 共享条件"), (RESOURCE_SHEET, 2, "K 共享依据")]
    assert [p.field for p in result.problems] == ["share_condition", "share_basis"]


def test_format_and_share_mode_must_fit(tmp_path):
    result = read_rows(tmp_path, [good_row(格式分类="电子文件", 共享方式类型="数据库")])
    assert cells(result) == [(RESOURCE_SHEET, 2, "M 共享方式类型")]


def test_structured_resource_without_items(tmp_path):
    result = read_rows(tmp_path, [good_row(格式分类="数据库")])
    assert cells(result) == [(RESOURCE_SHEET, 2, "A 信息资源名称")] and result.problems[0].field == "items"


def test_item_naming_no_resource(tmp_path):
    result = read_rows(tmp_path, [good_row()], [item_row(), item_row("人口信息", "性别")])
    assert cells(result) == [(ITEM_SHEET, 3, "A 信息资源名称")]
    assert result.problems[0].value == "人口信息"
    assert len(result.resources) == 1  # the resource itself is fine


def test_item_length_not_a_number_and_not_positive(tmp_path):
    items = [
        item_row(),
        item_row(name="性别", 长度="两位"),
        item_row(name="民族", 长度=0),
        item_row(name="姓名 "),
    ]
    result = read_rows(tmp_path, [good_row()], items)
    assert cells(result) == [
        (ITEM_SHEET, 3, "E 长度"),
        (ITEM_SHEET, 4, "E 长度"),
        (ITEM_SHEET, 5, "B 信息项名称"),
    ]
    assert "repeats item 1" in result.problems[2].message


def test_duplicate_names_differing_only_in_spaces_punctuation_or_width(tmp_path):
    rows = [
        good_row(信息资源名称="人口基本信息（常住）"),
        good_row(信息资源名称="人口 基本信息(常住)"),
        good_row(信息资源名称="人口基本信息常住。"),
        good_row(信息资源名称="人口基本信息２"),
    ]
    result = read_rows(tmp_path, rows, [item_row("人口基本信息（常住）"), item_row("人口基本信息2")])
    assert cells(result) == [(RESOURCE_SHEET, 3, "A 信息资源名称"), (RESOURCE_SHEET, 4, "A 信息资源名称")]
    assert "row 2" in result.problems[0].message
    assert [r.row for r in result.resources] == [2, 5]  # items link by the normalised name too


def test_bad_bool_and_malformed_code(tmp_path):
    path = tmp_path / "e.xlsx"
    write_export(path, [("101001/00001", make_spec())], **LISTS)
    wb = openpyxl.load_workbook(path)
    wb[RESOURCE_SHEET]["A2"] = "ABC"
    wb[ITEM_SHEET]["H2"] = "也许"
    wb.save(path)
    result = read_template(path)
    assert cells(result) == [(RESOURCE_SHEET, 2, "A 资源代码"), (ITEM_SHEET, 2, "H 是否主键")]


def test_full_width_codes_and_stray_whitespace_are_normalised(tmp_path):
    result = read_rows(
        tmp_path,
        [good_row(提供方代码="\u3000１１５１００００ＭＢ００００００１Ｘ ", 格式类型=" MySQL\n")],
        [item_row(" 人口基本信息", " 姓名 ", 数据元=" ＤＥ００００１ ")],
    )
    assert result.problems == []
    spec = result.resources[0].spec
    assert (spec.provider_code, spec.format_type, spec.items[0].element) == (
        "11510000MB0000001X",
        "MySQL",
        "DE00001",
    )


def test_locate_maps_service_problems_onto_cells(tmp_path):
    result = read_rows(tmp_path, [good_row()], [item_row(), item_row(name="性别")])
    imported = result.resources[0]
    p = locate(imported, Problem("unknown provider", field="provider_code", value="x"), "a.xlsx")
    assert (p.file, p.sheet, p.row, p.column, p.value) == ("a.xlsx", RESOURCE_SHEET, 2, "E 提供方代码", "x")
    p = locate(imported, Problem("unknown data element", field="items[2].element"), "a.xlsx")
    assert (p.sheet, p.row, p.column) == (ITEM_SHEET, 3, "F 数据元")
    p = locate(imported, Problem("name already in the catalog", field="name"))
    assert (p.sheet, p.row, p.column) == (RESOURCE_SHEET, 2, "A 信息资源名称")


def test_locate_follows_the_export_layout(tmp_path):
    path = tmp_path / "e.xlsx"
    write_export(path, [("101001/00001", make_spec())], **LISTS)
    imported = read_template(path).resources[0]
    assert locate(imported, Problem("x", field="share_basis")).column == "L 共享依据"
    assert locate(imported, Problem("x", field="code")).column == "A 资源代码"


# ------------------------------------------------------------------ files that are not the template


def test_a_random_workbook_is_the_wrong_template(tmp_path):
    path = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "年龄"])
    wb.save(path)
    with pytest.raises(HuitongError) as err:
        read_template(path)
    assert "not the huitong catalog template" in str(err.value)
    assert [(p.sheet, p.message.split(":")[0]) for p in err.value.problems] == [
        (RESOURCE_SHEET, "missing sheet 信息资源"),
        (ITEM_SHEET, "missing sheet 信息项"),
    ]


def test_each_missing_header_is_named(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path, **LISTS)
    wb = openpyxl.load_workbook(path)
    ws = wb[RESOURCE_SHEET]
    ws["K1"] = "依据"
    ws["A1"] = "名称"
    wb[ITEM_SHEET].delete_cols(5)
    wb.save(path)
    with pytest.raises(HuitongError) as err:
        read_template(path)
    assert [(p.sheet, p.row, p.field) for p in err.value.problems] == [
        (RESOURCE_SHEET, 1, "name"),
        (RESOURCE_SHEET, 1, "share_basis"),
        (ITEM_SHEET, 1, "length"),
    ]
    assert "共享依据" in err.value.problems[1].message


def test_headers_without_the_english_key_are_still_recognised(tmp_path):
    path = fill(tmp_path / "t.xlsx", [good_row()], [item_row()])
    wb = openpyxl.load_workbook(path)
    wb[RESOURCE_SHEET]["K1"] = "共享依据"
    wb[RESOURCE_SHEET]["A1"] = "* 信息资源名称"
    wb.save(path)
    assert read_template(path).problems == []


def test_a_newer_template_version_is_refused(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path, **LISTS)
    wb = openpyxl.load_workbook(path)
    wb[HELP_SHEET][TEMPLATE_CELL] = "huitong-catalog-template v2"
    wb.save(path)
    with pytest.raises(HuitongError) as err:
        read_template(path)
    assert "v2" in err.value.problems[0].message


def _corrupt(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path, **LISTS)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _broken_xml(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path, **LISTS)
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(
                info, b"<worksheet><sheetData><row" if info.filename.endswith("sheet2.xml") else data
            )
    return path


def _csv(tmp_path):
    path = tmp_path / "目录.xlsx"
    path.write_text("信息资源名称,信息资源分类\n人口基本信息,101001\n", encoding="utf-8")
    return path


def _empty(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize("make", [_corrupt, _broken_xml, _csv, _empty])
def test_unreadable_files_give_a_clear_error(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(HuitongError) as err:
        read_template(path, filename="上传.xlsx")
    assert err.value.status == 422
    assert str(err.value).startswith("上传.xlsx is not a readable Excel workbook (.xlsx)")
    assert err.value.problems[0].file == "上传.xlsx"


def test_reads_from_a_file_object(tmp_path):
    path = fill(tmp_path / "t.xlsx", [good_row()], [item_row()])
    result = read_template(io.BytesIO(path.read_bytes()), filename="upload.xlsx")
    assert result.problems == [] and len(result.resources) == 1
