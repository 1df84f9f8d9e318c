"""Every file source says how many rows to expect, for the progress bar's ETA, and the estimate
changes nothing that is read."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from huitong.aggregate.sources import open_source
from tests.aggregate.helpers import read_all


def test_a_workbook_estimates_its_data_rows_below_title_and_header(tmp_path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某市居民名单（2026年）"])
    ws.append(["姓名", "身份证号"])
    for i in range(250):
        ws.append([f"居民{i}", f"33010619800101{i:04d}"])
    wb.save(tmp_path / "名单.xlsx")
    src = open_source("excel", path=str(tmp_path / "名单.xlsx"))
    assert src.estimated_rows() == 250
    assert len(read_all(src)) == 250


def test_a_json_document_counts_its_records_and_is_parsed_once(tmp_path: Path, monkeypatch):
    doc = {"code": 0, "data": {"total": 500, "list": [{"姓名": f"人{i}", "序号": i} for i in range(500)]}}
    path = tmp_path / "接口.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    src = open_source("json", path=str(path), records_path="data.list")
    reads = []
    read_text = Path.read_text
    monkeypatch.setattr(
        Path, "read_text", lambda self, *a, **k: reads.append(self) or read_text(self, *a, **k)
    )
    assert src.estimated_rows() == 500
    rows = read_all(src)
    assert [r.values["序号"] for r in rows] == list(range(500))
    assert reads.count(path) == 1


def test_ndjson_estimates_from_its_first_megabyte(tmp_path: Path):
    path = tmp_path / "事件.ndjson"
    lines = [json.dumps({"编号": i, "事项": "办件" * (i % 7)}, ensure_ascii=False) for i in range(40_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 1 << 20
    estimate = open_source("json", path=str(path), lines=True).estimated_rows()
    assert abs(estimate - 40_000) < 400
