"""Bulk import through the Excel template and JSON, all or nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from huitong.access import SYSTEM
from huitong.api.app import create_app
from huitong.catalog import service
from huitong.catalog.error_report import REPORT_SHEET
from huitong.catalog.excel_template import RESOURCE_SHEET, write_template
from huitong.catalog.importer import import_file
from huitong.catalog.json_io import dump_json_catalog
from huitong.catalog.tables import ClassNode, Resource
from huitong.cli.context import state
from huitong.cli.main import app
from huitong.errors import HuitongError
from huitong.org import service as org
from tests.world import credit_code, spec

UNKNOWN_DEPT = credit_code("330100", 99999999)


def lists(s) -> dict:
    return {
        "class_nodes": [(n.code, n.name) for n in s.query(ClassNode).order_by(ClassNode.code)],
        "departments": [(d.code, d.name) for d in org.list_departments(s)],
        "elements": [
            ("DE01001", "公民身份号码"),
            ("DE01002", "姓名"),
            ("DE01003", "性别"),
            ("DE03002", "住址"),
        ],
    }


def filled(world, path, specs):
    with world.db.session() as s:
        write_template(path, resources=[(None, sp) for sp in specs], **lists(s))
    return path


def header_column(ws, text: str) -> int:
    return next(c.column for c in ws[1] if c.value and text in str(c.value))


def count(world) -> int:
    with world.db.session() as s:
        return s.query(Resource).count()


def three_specs(world):
    return [
        spec(world.police, "常住人口户籍信息"),
        spec(world.police, "流动人口登记信息"),
        spec(world.civil, "婚姻登记信息", class_code="101001"),
    ]


def test_a_good_workbook_imports_every_entry(world, tmp_path):
    path = filled(world, tmp_path / "目录.xlsx", three_specs(world))
    with world.db.session() as s:
        report = import_file(s, SYSTEM, path, publish=True)
    assert len(report.created) == 3 and report.published == report.created
    with world.db.session() as s:
        names = {r.name for r in service.list_entries(s, SYSTEM, status="published")}
    assert names == {"常住人口户籍信息", "流动人口登记信息", "婚姻登记信息"}


def test_one_bad_row_imports_nothing_and_points_at_the_cell(world, tmp_path):
    path = filled(world, tmp_path / "目录.xlsx", three_specs(world))
    wb = openpyxl.load_workbook(path)
    ws = wb[RESOURCE_SHEET]
    col = header_column(ws, "提供方代码")
    ws.cell(3, col, UNKNOWN_DEPT)  # the second entry names a department nobody registered
    wb.save(path)
    with pytest.raises(HuitongError) as exc, world.db.session() as s:
        import_file(s, world.actor("op"), path)
    [problem] = [p for p in exc.value.problems if p.value == UNKNOWN_DEPT]
    assert (problem.file, problem.sheet, problem.row) == ("目录.xlsx", RESOURCE_SHEET, 3)
    assert problem.column and problem.column.startswith(openpyxl.utils.get_column_letter(col))
    assert "nothing was imported" in exc.value.message
    assert count(world) == 0


def test_a_department_cannot_import_into_another_departments_catalog(world, tmp_path):
    path = filled(world, tmp_path / "目录.xlsx", three_specs(world))  # includes a 民政 entry
    with pytest.raises(HuitongError, match="may not"), world.db.session() as s:
        import_file(s, world.actor("ga"), path)
    assert count(world) == 0


def test_a_workbook_that_is_not_the_template_is_refused_clearly(world, tmp_path):
    path = tmp_path / "随便.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "年龄"])
    wb.save(path)
    with pytest.raises(HuitongError, match="template"), world.db.session() as s:
        import_file(s, SYSTEM, path)


def test_json_round_trip_updates_entries_by_code(world, tmp_path):
    with world.db.session() as s:
        res = service.create(s, world.actor("ga"), spec(world.police))
        code = res.code
    path = tmp_path / "catalog.json"
    changed = spec(world.police, summary="更新后的摘要：本市常住人口户籍登记信息。")
    path.write_text(dump_json_catalog([(code, changed)]), encoding="utf-8")
    with world.db.session() as s:
        report = import_file(s, world.actor("ga"), path)
    assert report.updated == [code] and report.created == []
    with world.db.session() as s:
        assert service.get(s, SYSTEM, code).summary.startswith("更新后的摘要")


def test_cli_writes_a_workbook_marking_each_bad_cell(world, test_database, tmp_path, monkeypatch):
    path = filled(world, tmp_path / "部门目录.xlsx", three_specs(world))
    wb = openpyxl.load_workbook(path)
    ws = wb[RESOURCE_SHEET]
    ws.cell(2, header_column(ws, "提供方代码"), UNKNOWN_DEPT)
    wb.save(path)
    monkeypatch.setenv("HUITONG_DATABASE_URL", test_database.url)
    monkeypatch.setenv("HUITONG_DATA_DIR", str(tmp_path / "data"))
    state._settings = state._db = None
    result = CliRunner().invoke(app, ["catalog", "import", str(path)])
    assert result.exit_code == 1
    assert "部门目录.errors.xlsx" in result.output and "row 2" in result.output
    marked = openpyxl.load_workbook(tmp_path / "部门目录.errors.xlsx")
    assert marked.sheetnames[0] == REPORT_SHEET
    cell = marked[RESOURCE_SHEET].cell(2, header_column(marked[RESOURCE_SHEET], "提供方代码"))
    assert cell.fill.start_color.rgb.endswith("FFC7CE") and UNKNOWN_DEPT in cell.comment.text
    listing = [row for row in marked[REPORT_SHEET].iter_rows(min_row=2, values_only=True)]
    assert (RESOURCE_SHEET, 2) in [(r[0], r[1]) for r in listing]
    assert count(world) == 0


def test_api_import_reports_problems_as_json_or_as_the_marked_workbook(world, tmp_path):
    path = filled(world, tmp_path / "目录.xlsx", three_specs(world))
    wb = openpyxl.load_workbook(path)
    ws = wb[RESOURCE_SHEET]
    ws.cell(4, header_column(ws, "提供方代码"), UNKNOWN_DEPT)
    wb.save(path)
    client = TestClient(create_app(db=world.db), raise_server_exceptions=False)
    with world.db.session() as s:
        _, secret = org.issue_token(s, world.actor("op"), "op", "t", scope="write")
    auth = {"Authorization": f"Bearer {secret}"}
    files = {"file": ("目录.xlsx", path.read_bytes())}
    r = client.post("/api/catalog/import", files=files, headers=auth)
    assert r.status_code == 422
    assert any(p.get("row") == 4 and p.get("sheet") == RESOURCE_SHEET for p in r.json()["problems"])
    r = client.post("/api/catalog/import", params={"error_report": "true"}, files=files, headers=auth)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    marked = openpyxl.load_workbook(io.BytesIO(r.content))
    assert marked.sheetnames[0] == REPORT_SHEET and int(r.headers["x-huitong-problems"]) >= 1
    ok = filled(world, tmp_path / "ok.xlsx", three_specs(world)[:2])  # 公安's own entries, by 公安's admin
    with world.db.session() as s:
        _, secret = org.issue_token(s, world.actor("ga"), "ga", "t", scope="write")
    files = {"file": ("ok.xlsx", ok.read_bytes())}
    r = client.post("/api/catalog/import", files=files, headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200, r.text
    assert len(r.json()["created"]) == 2
    assert json.loads(r.content)["created"][0].count("/") == 1
