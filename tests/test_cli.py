"""The command line as a person uses it: one clear line on errors, non-zero exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from huitong.cli.context import state
from huitong.cli.main import app


@pytest.fixture
def run(test_database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUITONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUITONG_DATABASE_URL", test_database.url)
    runner = CliRunner()

    def invoke(*args, env=None):
        state._settings = None
        state._db = None
        result = runner.invoke(app, list(args), env=env)
        return result

    return invoke


def test_help_lists_every_command_group(run):
    out = run("--help").output
    for group in ("init", "org", "user", "token", "element", "catalog", "serve", "demo"):
        assert group in out


def test_init_then_register_a_city_and_users(run):
    assert run("init").exit_code == 0
    assert run("org", "region", "add", "330000", "浙江省").exit_code == 0
    assert run("org", "region", "add", "330100", "杭州市", "--parent", "330000").exit_code == 0
    r = run("org", "dept", "add", "330100", "公安局", "GAJ0001")
    assert r.exit_code == 0 and "307001" in r.output
    r = run("user", "add", "ga", "GAJ0001", "--role", "dept_admin", "--password", "long enough pw")
    assert r.exit_code == 0, r.output
    out = run("user", "list").output
    assert "ga" in out and "dept_admin" in out
    assert run("org", "dept", "add", "330100", "民政局", "MZJ0001").exit_code == 0
    assert (
        run("user", "add", "mz", "MZJ0001", "--role", "dept_user", "--password", "long enough pw").exit_code
        == 0
    )
    out = run("--as", "ga", "user", "list").output  # 公安's administrator: 公安's users only
    assert "ga" in out and "mz" not in out
    r = run("--as", "mz", "user", "list")  # a department user lists nobody
    assert r.exit_code == 1 and "may not user.read" in r.output and "Traceback" not in r.output


def test_errors_are_one_clear_line_and_exit_non_zero(run):
    run("init")
    r = run("org", "region", "add", "33", "坏代码")
    assert r.exit_code == 1
    assert "error:" in r.output and "Traceback" not in r.output
    r = run("org", "dept", "add", "999999", "公安局", "GAJ0001")
    assert r.exit_code == 1 and "no region" in r.output


def test_element_show_gives_the_definition_and_code_table(run):
    run("init")
    r = run("element", "show", "性别")
    assert r.exit_code == 0, r.output
    assert "DE01003" in r.output and "gender" in r.output and "女性" in r.output  # the code table
    doc = json.loads(run("element", "show", "DE01001", "--json").output)
    assert (
        doc["name_zh"] == "公民身份号码"
        and doc["validator"] == "id_number"
        and doc["mask_rule"] == "id_number"
    )
    r = run("element", "show", "不存在")
    assert r.exit_code == 1 and "no data element" in r.output and "Traceback" not in r.output


def test_element_check_validates_id_numbers(run):
    run("init")
    assert run("element", "check", "公民身份号码", "11010519491231002X").exit_code == 0
    r = run("element", "check", "公民身份号码", "110105194912310021")
    assert r.exit_code == 1 and "check" in r.output.lower()


def test_catalog_add_submit_publish_search_show(run, tmp_path):
    run("init")
    run("org", "region", "add", "330100", "杭州市")
    run("org", "dept", "add", "330100", "公安局", "GAJ0001")
    run("user", "add", "ga", "GAJ0001", "--role", "dept_admin")
    doc = {
        "name": "常住人口户籍信息",
        "class_code": "101002",
        "provider_code": "GAJ0001",
        "summary": "常住人口户籍登记信息",
        "format_class": "database",
        "share_type": "unconditional",
        "share_mode": "api",
        "open_type": "unconditional",
        "update_cycle": "daily",
        "items": [{"name": "公民身份号码", "element": "DE01001", "length": 18}],
    }
    f = tmp_path / "res.json"
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = run("--as", "ga", "catalog", "add", str(f))
    assert r.exit_code == 0 and "101002/00001" in r.output, r.output
    assert run("--as", "ga", "catalog", "publish", "101002/00001").exit_code == 1  # not the operator
    assert run("--as", "ga", "catalog", "submit", "101002/00001").exit_code == 0
    assert run("catalog", "review", "101002/00001", "approve").exit_code == 0
    r = run("catalog", "search", "czrk")  # 常住人口 by its pinyin initials
    assert "101002/00001" in r.output
    r = run("catalog", "show", "101002/00001")
    assert "常住人口户籍信息" in r.output and "公民身份号码" in r.output
    r = run("catalog", "history", "101002/00001")
    assert "create" in r.output and "publish" in r.output


def test_source_ingest_and_data_from_the_command_line(run, tmp_path):
    from datetime import date

    from huitong.standards.idcard import make_id_number

    run("init")
    run("org", "region", "add", "330100", "杭州市")
    run("org", "dept", "add", "330100", "公安局", "GAJ0001")
    run("user", "add", "ga", "GAJ0001", "--role", "dept_admin")
    doc = {
        "name": "常住人口信息",
        "class_code": "101002",
        "provider_code": "GAJ0001",
        "summary": "常住人口",
        "format_class": "database",
        "share_type": "unconditional",
        "share_mode": "api",
        "open_type": "none",
        "update_cycle": "daily",
        "items": [
            {"name": "公民身份号码", "element": "DE01001", "length": 18, "is_key": True},
            {"name": "姓名", "length": 50},
        ],
    }
    (tmp_path / "res.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    run("--as", "ga", "catalog", "add", str(tmp_path / "res.json"))
    ok = make_id_number("330106", date(1990, 5, 1), 7)
    bad = ok[:-1] + ("1" if ok[-1] != "1" else "2")
    (tmp_path / "p.csv").write_bytes(f"身份证号,姓名\n{ok},张三\n{bad},李四\n".encode("gbk"))
    r = run("--as", "ga", "source", "add", "p", "101002/00001", "csv", "-o", f"path={tmp_path / 'p.csv'}")
    assert r.exit_code == 0, r.output
    r = run("--as", "ga", "ingest", "map", "p", "--save")
    assert r.exit_code == 0 and "公民身份号码 ← 身份证号" in r.output, r.output
    r = run("--as", "ga", "ingest", "run", "p")
    assert r.exit_code == 0 and "2 rows in, 1 stored, 1 rejected" in r.output, r.output
    r = run("--as", "ga", "ingest", "rejects", "1")
    assert bad in r.output and "3" in r.output
    r = run("--as", "ga", "data", "show", "101002/00001")
    assert "张三" in r.output and "李四" not in r.output
    assert run("--as", "ga", "data", "versions", "101002/00001").exit_code == 0
