"""The connector registry: open_source, plugins, option checking, and what every source hands over."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

from huitong.aggregate.sources import (
    Column,
    Description,
    Row,
    Source,
    available_kinds,
    guess_kind,
    open_source,
    register,
)
from huitong.aggregate.sources import base as registry
from huitong.errors import HuitongError
from tests.aggregate.helpers import read_all


class MemorySource(Source):
    """A plugin as another package would write it."""

    def __init__(self, *, records: list[dict], label: str = "memory"):
        self.records = records
        self.label = label

    def describe(self) -> Description:
        names = list(dict.fromkeys(k for r in self.records for k in r))
        return Description(self.kind, self.label, tuple(Column(n, i, (n,)) for i, n in enumerate(names, 1)))

    def batches(self, batch_size: int = 1000) -> Iterator[list[Row]]:
        rows = (Row(dict(r), i, self.label) for i, r in enumerate(self.records, 1))
        yield from registry.chunked(rows, batch_size)


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_builtin_kinds_are_available_without_importing_them_all():
    kinds = available_kinds()
    for kind in ("csv", "tsv", "txt", "xlsx", "xls", "excel", "json", "ndjson", "http", "sql"):
        assert kind in kinds


def test_unknown_kind_lists_what_exists():
    with pytest.raises(HuitongError) as caught:
        open_source("parquet", path="x.parquet")
    assert caught.value.message.startswith("unknown source kind 'parquet'; available: api, csv, delimited")


def test_misspelt_and_missing_options_are_refused_before_reading(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(HuitongError) as caught:
        open_source("csv", path=path, delimeter=";")
    assert caught.value.message == (
        "csv source: unknown option(s) 'delimeter'; accepted: delimiter, encoding, header_row, header_rows, "
        "name, path, quotechar"
    )
    with pytest.raises(HuitongError, match="sql source: missing required option\\(s\\) 'url'"):
        open_source("sql", table="t")


def test_a_registered_plugin_is_opened_like_a_builtin(clean_registry):
    register("memory")(MemorySource)
    source = open_source("memory", records=[{"a": 1}, {"a": 2, "b": 3}, {"a": 4}])
    assert source.kind == "memory"
    assert source.describe().names == ["a", "b"]
    batches = list(source.batches(batch_size=2))
    assert [[r.row for r in b] for b in batches] == [[1, 2], [3]]
    with pytest.raises(HuitongError, match="unknown option\\(s\\) 'recs'"):
        open_source("memory", recs=[])


def test_an_entry_point_plugin_is_loaded_on_first_use(clean_registry, monkeypatch):
    ep = EntryPoint(name="demo", value=f"{__name__}:MemorySource", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [ep] if group == registry.ENTRY_POINT_GROUP else []
    )
    assert "demo" in available_kinds()
    source = open_source("demo", records=[{"x": "y"}], label="插件")
    assert [r.values for r in read_all(source)] == [{"x": "y"}]
    assert source.kind == "demo"


def test_a_plugin_without_batches_is_refused(clean_registry):
    class Broken:
        def __init__(self):
            pass

        def describe(self):
            return None

    register("broken")(Broken)
    with pytest.raises(HuitongError, match="source plugin 'broken' does not provide batches\\(\\)"):
        open_source("broken")


@pytest.mark.parametrize(
    ("name", "kind"),
    [("低保.CSV", "csv"), ("x.tsv", "tsv"), ("导出.txt", "txt"), ("a.xlsx", "xlsx"), ("b.xlsm", "xlsx"),
     ("c.xls", "xls"), ("d.json", "json"), ("e.ndjson", "ndjson"), ("f.jsonl", "ndjson")],
)  # fmt: skip
def test_kind_from_file_name(name, kind):
    assert guess_kind(name) == kind


def test_kind_from_unknown_file_name():
    with pytest.raises(HuitongError, match="cannot tell the file type from its name"):
        guess_kind("data.dbf")


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_batch_size_must_be_positive(tmp_path, size):
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(HuitongError, match="batch_size must be a positive whole number"):
        list(open_source("csv", path=path).batches(batch_size=size))


def test_sources_are_context_managers(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with open_source("csv", path=path) as source:
        assert [r.values for r in source.rows()] == [{"a": "1", "b": "2"}]
