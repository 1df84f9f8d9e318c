"""``huitong share`` as people use it: apply, decide, list with deadlines, refusals in one line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from huitong.cli.context import state
from huitong.cli.main import app


@pytest.fixture
def run(sharing, test_database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUITONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUITONG_DATABASE_URL", test_database.url)
    runner = CliRunner()

    def invoke(*args):
        state._settings = state._db = None
        state.acting_as = None
        return runner.invoke(app, list(args))

    return invoke


def test_apply_decide_and_follow_an_application_from_the_command_line(sharing, run):
    r = run(
        "--as",
        "mz",
        "share",
        "apply",
        f"{sharing.code}:公民身份号码,姓名,住址",
        "--purpose",
        "数据校核",
        "--purpose-text",
        "低保核验",
        "--legal-basis",
        "《社会救助暂行办法》",
        "--business",
        "低保审核",
        "--mode",
        "query",
        "--mode",
        "verify",
    )
    assert r.exit_code == 0, r.output
    assert "request 1:" in r.output and "compliance review due" in r.output
    r = run("--as", "ga", "share", "act", "1", "approve")
    assert (
        r.exit_code == 1
        and "cannot approve a request that is submitted" in r.output
        and "Traceback" not in r.output
    )
    assert run("--as", "op", "share", "act", "1", "comply").exit_code == 0
    r = run(
        "--as",
        "ga",
        "share",
        "act",
        "1",
        "approve",
        "--items",
        "公民身份号码,姓名",
        "--conditions",
        '{"max_requests_per_day": 100}',
    )
    assert r.exit_code == 0, r.output
    assert "已授权" in r.output and "grant 1" in r.output
    r = run("--as", "mz", "share", "list", "--role", "consumer")
    assert "已授权" in r.output and sharing.code in r.output
    r = run("--as", "mz", "share", "grants")
    assert "公民身份号码 脱敏" in r.output and "姓名 脱敏" in r.output
    r = run("--as", "mz", "share", "show", "1")
    assert "comply" in r.output and "approve" in r.output
    r = run("--as", "ga", "share", "act", "1", "approve", "--conditions", "{not json")
    assert r.exit_code == 1 and "--conditions is not JSON" in r.output
    r = run("--as", "op", "share", "stats")
    assert r.exit_code == 0 and "公安局" in r.output
