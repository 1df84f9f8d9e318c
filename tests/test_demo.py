"""The demo city a newcomer sees first: built from the Excel template, safe to re-run.

What the city holds beyond the catalog (loads, sharing) is tested in tests/demo/."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from huitong.access import PUBLIC, SYSTEM
from huitong.bootstrap import open_database
from huitong.catalog import service
from huitong.catalog.search_service import search_page
from huitong.cli.context import state
from huitong.cli.main import app
from huitong.demo.city import build_demo
from huitong.errors import HuitongError


def test_demo_builds_a_published_multi_level_catalog_and_can_be_rebuilt(tmp_path):
    target = tmp_path / "demo"
    settings = build_demo(target, people=300)
    assert (target / "sample-catalog.xlsx").exists()
    db = open_database(settings)
    try:
        with db.session() as s:
            entries = service.list_entries(s, SYSTEM, limit=1000)
            assert len(entries) >= 30 and all(e.status == "published" for e in entries)
            roots = {e.class_code[0] for e in entries}
            assert roots == {"1", "2", "3"}  # 基础, 主题 and 部门 trees
            levels = {e.provider.region.level for e in entries}
            assert {"province", "city", "county"} <= levels
            hits = search_page(db, s, PUBLIC, "hjrk")
            assert any("户籍人口" in h["name"] for h in hits["results"])
    finally:
        db.dispose()
    build_demo(target, people=300)  # a demo directory is rebuilt, not refused


def test_demo_refuses_a_data_directory_that_is_not_a_demo(tmp_path):
    precious = tmp_path / "data"
    precious.mkdir()
    (precious / "huitong.db").write_bytes(b"real data")
    with pytest.raises(HuitongError, match="not a demo"):
        build_demo(precious)
    assert (precious / "huitong.db").read_bytes() == b"real data"


def test_the_demo_command_builds_without_serving_and_says_what_to_try(tmp_path):
    target = tmp_path / "cli-demo"
    state._settings = state._db = None  # no database left over from another CLI test
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--data-dir", str(target), "--people", "300"])
    assert result.exit_code == 0, result.output
    assert "demo city ready" in result.output and "300 residents" in result.output
    assert (
        "five things to try" in result.output
        and "quality/resource" in result.output
        and "who-used" in result.output
    )
    assert (target / "sources" / "公安_常住人口.csv").exists()
