"""Odd inputs a department's export really contains end in a clear answer, never a traceback or a
failed load: a file of blank lines, a broken character from a JSON escape, a value longer than a
CSV reader's default limit, a byte-order mark where a chunk of the file starts. Each is checked
through a real load, and where the columnar reader is involved, against the row-by-row reader."""

from __future__ import annotations

import json

import pytest

from huitong.aggregate import loads, registry
from huitong.aggregate.pipeline import run_load
from huitong.aggregate.sources import ColumnBatch, open_source
from huitong.errors import HuitongError
from tests.aggregate.flow import add_source, make_flow, person_id


@pytest.fixture
def flow(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path, good=3)
    yield f
    f.store.close()


def _rows(source) -> list:
    out = []
    for batch in source.load_batches(4):
        out += [batch.row(i) for i in range(len(batch))] if isinstance(batch, ColumnBatch) else list(batch)
    return out


def _json_load(flow, wrap=lambda body: body, extra: dict | None = None):
    """Load three people from JSON, the second with a ``\\ud800`` escape for a name; the result
    and its rejects."""
    export = flow.tmp / "人口.json"
    people = [{"身份证号": person_id(n), "姓名": f"居民{n}", "性别": "男", **(extra or {})} for n in range(3)]
    body = json.dumps(people, ensure_ascii=True).replace("居民1".encode("unicode_escape").decode(), "\\ud800")
    export.write_text(wrap(body), encoding="utf-8")
    add_source(flow.world, "hj-json", flow.code, export, kind="json")
    ga = flow.world.actor("ga")
    result = run_load(flow.world.db, flow.store, ga, "hj-json")
    with flow.world.db.session() as s:
        total, rejected = loads.rejects(s, ga, result.load_id)
    return result, total, rejected


@pytest.mark.parametrize("data", [b"\r\n\r\n", b"\n", b"   \n\n", "\ufeff\n\n".encode(), b"\t\n \n"])
def test_a_file_of_blank_lines_has_no_rows_and_says_it_has_no_header(tmp_path, data):
    path = tmp_path / "空.csv"
    path.write_bytes(data)
    assert _rows(open_source("csv", path=str(path))) == list(open_source("csv", path=str(path)).rows()) == []


def test_a_load_of_a_file_of_blank_lines_fails_with_a_message_and_keeps_the_version(flow):
    ga = flow.world.actor("ga")
    first = run_load(flow.world.db, flow.store, ga, "hj")
    assert first.status == "loaded"
    flow.export.write_bytes(b"\r\n\r\n\r\n")
    try:
        second = run_load(flow.world.db, flow.store, ga, "hj")
    except HuitongError as exc:  # the mapped columns are gone: said before a row is read
        assert "身份证号" in exc.message
    else:
        assert second.status in ("failed", "aborted") and second.message
    assert flow.store.read(flow.code).num_rows == 3  # nothing lost


def test_a_broken_character_from_a_json_escape_rejects_its_row_and_the_rest_load(flow):
    """``"\\ud800"`` in JSON decodes to a lone surrogate, which no database or Parquet file can
    hold: the row is rejected with the value shown escaped, the other rows are stored."""
    result, total, rejected = _json_load(flow)
    assert result.status == "loaded" and result.summary.rows_rejected == 1
    assert total == 1 and rejected[0].value == "\\ud800"
    assert "U+D800" in rejected[0].reason
    assert "'\\ud800' holds a broken character" in rejected[0].reason  # escaped once, as stored
    names = sorted(flow.store.read(flow.code).column("姓名").to_pylist())
    assert names == ["居民0", "居民2"]


def test_a_value_longer_than_the_csv_modules_default_limit_reads_the_same_both_ways(tmp_path):
    long = "备注" * 70_000  # 140,000 characters: over the csv module's 131,072
    path = tmp_path / "长.csv"
    path.write_bytes(f"编号,说明\n1,{long}\n2,短\n".encode())
    rows = list(open_source("csv", path=str(path)).rows())
    assert [r.values["说明"] for r in rows] == [long, "短"] and not any(r.problems for r in rows)
    assert [r.values for r in _rows(open_source("csv", path=str(path)))] == [r.values for r in rows]


def test_a_byte_order_mark_inside_the_file_is_kept_as_the_row_reader_keeps_it(tmp_path):
    """A BOM is stripped at the start of a file only; one at the start of a later line (two
    exports pasted together) is a character of that line, whether the line is read by Arrow in a
    chunk of its own or by the row reader."""
    path = tmp_path / "拼接.csv"
    lines = [
        "编号,姓名",
        *(f"{i},张{i}" for i in range(8)),
        "\ufeff9,李四",
        *(f"{i},王{i}" for i in range(10, 14)),
    ]
    path.write_bytes("\n".join(lines).encode("utf-8"))
    reference = list(open_source("csv", path=str(path)).rows())
    for size in (1, 4, 8):
        got = []
        for batch in open_source("csv", path=str(path)).load_batches(size):
            got += (
                [batch.row(i) for i in range(len(batch))] if isinstance(batch, ColumnBatch) else list(batch)
            )
        assert [(r.row, r.values) for r in got] == [(r.row, r.values) for r in reference], size
    assert registry  # the registry module backs add_source above


def test_a_repeated_header_is_never_renamed_onto_another_columns_name(tmp_path):
    path = tmp_path / "重名.csv"
    path.write_bytes("姓名,姓名(2),姓名,姓名\n张三,李四,王五,赵六\n".encode())
    source = open_source("csv", path=str(path))
    rows = list(source.rows())
    assert rows[0].values == {"姓名": "张三", "姓名(2)": "李四", "姓名(3)": "王五", "姓名(4)": "赵六"}


def test_bytes_or_a_broken_character_among_text_values_are_judged_as_the_reference_judges_them():
    """A database BLOB read into a text item, or a lone surrogate: the columnar validator must not
    certify through Arrow what the per-row validator rejects."""
    import pyarrow as pa

    from huitong.aggregate.columnar import ColumnarValidator
    from huitong.aggregate.mapping import Mapping
    from huitong.aggregate.sources import Column, Row
    from huitong.aggregate.validate import validate_all
    from huitong.catalog.model import DataItem
    from huitong.store.schema import columns_for

    items = [DataItem("编号", length=4, is_key=True), DataItem("说明", length=20)]
    mapping = Mapping({"编号": "编号", "说明": "说明"})
    cols = [Column("编号", 1, ("编号",), "A"), Column("说明", 2, ("说明",), "B")]
    schema = pa.schema([(c.name, c.arrow_type) for c in columns_for(items)])
    values = [("1", "正常"), ("2", b"\xe6\xad\xa3"), ("3", "坏\ud800字"), ("4", "也正常")]
    rows = [Row({"编号": a, "说明": b}, n + 2, file="t.csv") for n, (a, b) in enumerate(values)]
    reference = validate_all(rows, mapping, items, columns=cols, file="t.csv")
    checked = ColumnarValidator(mapping, items, columns=cols, file="t.csv", schema=schema).check_batch(rows)
    assert checked.rejects == reference.rejects
    assert checked.table.to_pylist() == pa.Table.from_pylist(reference.records, schema=schema).to_pylist()
    assert [r.row for r in reference.rejects][-1] == 4 and "\\ud800" in reference.rejects[-1].value


def test_a_broken_character_in_a_json_name_is_stored_escaped_and_the_load_finishes(flow):
    """In the name of the records' array: the reject's place names it escaped."""
    result, _, rejected = _json_load(flow, lambda body: '{"rec\\ud800": ' + body + "}")
    assert result.status == "loaded" and result.summary.rows_rejected == 1
    assert "rec\\ud800" in rejected[0].reason


def test_a_broken_character_in_a_new_columns_name_does_not_break_the_load(flow):
    result, _, _ = _json_load(flow, lambda body: body.replace('"X"', '"\\ud800"'), extra={"X": "1"})
    assert result.status == "loaded" and flow.store.read(flow.code).num_rows == 2  # 居民1 is broken text
