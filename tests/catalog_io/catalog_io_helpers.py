"""Shared test helpers: a valid spec, the code lists, and a way to fill the template like a department."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl

from huitong.catalog.excel_template import RESOURCE_SHEET, write_template
from huitong.catalog.model import (
    DataItem,
    FormatClass,
    OpenType,
    ResourceSpec,
    ShareMode,
    ShareType,
    UpdateCycle,
)

CLASS_NODES = [("101001", "人口基本信息"), ("101002", "户籍信息"), ("201001", "综合")]
DEPARTMENTS = [("11510000MB0000001X", "省大数据中心"), ("11510000MB0000002X", "省公安厅")]
ELEMENTS = [("DE00001", "姓名"), ("DE00002", "公民身份号码")]
LISTS = {"class_nodes": CLASS_NODES, "departments": DEPARTMENTS, "elements": ELEMENTS}


def make_spec(**changes) -> ResourceSpec:
    spec = ResourceSpec(
        name="人口基本信息",
        class_code="101001",
        provider_code="11510000MB0000001X",
        summary="全省常住人口基本信息",
        format_class=FormatClass.database,
        share_type=ShareType.unconditional,
        share_mode=ShareMode.api,
        open_type=OpenType.none,
        update_cycle=UpdateCycle.daily,
        items=[
            DataItem("姓名", length=50, element="DE00001"),
            DataItem("公民身份号码", length=18, is_key=True),
        ],
    )
    return replace(spec, **changes)


def header_map(ws) -> dict[str, int]:
    """Chinese header (without * and key) → column number."""
    out = {}
    for cell in ws[1]:
        if cell.value:
            out[re.sub(r"\s*\(.*\)$", "", cell.value).lstrip("*")] = cell.column
    return out


def fill(path: Path, resources: list[dict], items: list[dict] = (), *, start: int = 2) -> Path:
    """Write the template, then type rows into it by Chinese header; a None row leaves a gap."""
    write_template(path, **LISTS)
    wb = openpyxl.load_workbook(path)
    for sheet, rows in ((wb[RESOURCE_SHEET], resources), (wb["信息项"], items)):
        cols = header_map(sheet)
        for n, row in enumerate(rows, start=start):
            for zh, value in (row or {}).items():
                sheet.cell(n, cols[zh], value)
    wb.save(path)
    return path


def good_row(**changes) -> dict:
    """One resource row as a department types it: Chinese labels, drop-down ``code name`` values.

    A 服务接口 resource, so that it needs no data items unless a test adds them."""
    row = {
        "信息资源名称": "人口基本信息",
        "信息资源分类": "101001 人口基本信息",
        "提供方代码": "11510000MB0000001X 省大数据中心",
        "信息资源摘要": "全省常住人口基本信息",
        "格式分类": "服务接口",
        "格式类型": "MySQL",
        "共享类型": "无条件共享",
        "共享方式分类": "共享平台方式",
        "共享方式类型": "接口",
        "开放类型": "不予开放",
        "更新周期": "每日",
        "发布日期": date(2023, 1, 5),
    }
    row.update(changes)
    return row


def item_row(resource: str = "人口基本信息", name: str = "姓名", **changes) -> dict:
    row = {"信息资源名称": resource, "信息项名称": name, "数据类型": "字符型", "长度": 50}
    row.update(changes)
    return row
