"""``huitong share`` as people use it: apply, decide, list with deadlines, refusals in one line."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from huitong import workdays as calendar
from huitong.cli.context import state
from huitong.cli.main import app
from huitong.db.base import utcnow
from huitong.share.tables import ShareRequest
from tests.share.conftest import PEOPLE


@pytest.fixture
def run(sharing, test_database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUITONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUITONG_DATABASE_URL", test_database.url)
    runner = CliRunner()

    def invoke(*args):
        if state._db is not None:
            state._db.dispose()
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


APPLY = [
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
    "--mode",
    "batch",
]


def test_cart_decisions_delivery_and_recall_from_the_command_line(sharing, run, tmp_path):
    zhang_id, _, _, _, _ = PEOPLE[0]
    cart_file = tmp_path / "data" / "carts" / "mz.json"
    # the cart: two resources, kept per user; a failed submit keeps it
    r = run("--as", "mz", "share", "cart", "add", sharing.code, "--items", "公民身份号码,姓名,区划代码")
    assert r.exit_code == 0 and "1 resource(s) in the cart" in r.output, r.output
    assert run("--as", "mz", "share", "cart", "add", sharing.open_code).exit_code == 0
    r = run("--as", "mz", "share", "cart", "add", sharing.code, "--items", "姓名,身高")
    assert r.exit_code == 1 and "--items: not data items" in r.output and "身高" in r.output
    r = run("--as", "mz", "share", "cart", "list")
    assert sharing.code in r.output and sharing.open_code in r.output and "all items" in r.output
    assert "the cart is empty" in run("--as", "ga", "share", "cart", "list").output  # per user
    r = run("--as", "mz", "share", "cart", "submit", *APPLY[:1], "胡说", *APPLY[2:])
    assert r.exit_code == 1 and "purpose '胡说'" in r.output and cart_file.exists()
    r = run("--as", "mz", "share", "cart", "submit", *APPLY)
    assert r.exit_code == 0, r.output
    assert "application 1" in r.output and "request 1:" in r.output and "request 2:" in r.output
    assert not cart_file.exists()
    r = run("--as", "mz", "share", "cart", "submit", *APPLY)
    assert r.exit_code == 1 and "the cart is empty" in r.output

    # decisions: review, then approve with conditions (bad arguments are named)
    r = run("--as", "op", "share", "review", "1", "approve")
    assert r.exit_code == 1 and "use comply or refuse" in r.output
    r = run("--as", "op", "share", "review", "1", "comply")
    assert r.exit_code == 0 and "待提供方审核" in r.output, r.output
    r = run("--as", "ga", "share", "approve", "1", "--treatment", "姓名")
    assert r.exit_code == 1 and "--treatment '姓名': write item=value" in r.output
    r = run("--as", "ga", "share", "approve", "1", "--treatment", "姓名=blur")
    assert r.exit_code == 1 and "--treatment 姓名=blur: give one of clear, mask" in r.output
    r = run("--as", "ga", "share", "approve", "1", "--until", "明年")
    assert r.exit_code == 1 and "--until '明年'" in r.output
    r = run(
        "--as",
        "ga",
        "share",
        "approve",
        "1",
        "--items",
        "公民身份号码,姓名,区划代码",
        "--treatment",
        "姓名=mask",
        "--treatment",
        "区划代码=clear",
        "--row-filter",
        "区划代码=330106",
        "--max-requests",
        "50",
    )
    assert r.exit_code == 0 and "已授权" in r.output and "grant 1" in r.output, r.output
    r = run("--as", "mz", "share", "grant", "1")
    assert r.exit_code == 0, r.output
    assert "姓名" in r.output and "脱敏 (mask)" in r.output and "明文 (clear)" in r.output
    assert "区划代码 = 330106" in r.output and "requests 50 per day" in r.output and "active" in r.output
    assert "民政局" in r.output and "公安局" in r.output
    assert "公民身份号码 脱敏" in run("--as", "mz", "share", "grant").output

    # delivery: only the granted rows, masked; verification; a batch extract with its manifest
    r = run("--as", "mz", "deliver", "query", "1")
    assert r.exit_code == 0, r.output
    assert "张*" in r.output and "欧阳**" in r.output and "李" not in r.output and "张三" not in r.output
    r = run("--as", "mz", "deliver", "query", "1", "--filter", "区划代码=330106", "--format", "json")
    page = json.loads(r.stdout)
    assert page["count"] == 2 and page["rows"][0]["姓名"] == "张*"
    r = run("--as", "mz", "deliver", "query", "1", "--filter", "姓名=张三")
    assert r.exit_code == 1 and "cannot be filtered on" in r.output
    r = run("--as", "mz", "deliver", "query", "1", "--filter", "区划代码")
    assert r.exit_code == 1 and "--filter '区划代码': write item=value" in r.output
    r = run("--as", "mz", "deliver", "verify", "1", f"公民身份号码={zhang_id}", "姓名=张三")
    assert r.exit_code == 0 and r.output.startswith("match") and "姓名: match" in r.output, r.output
    r = run("--as", "mz", "deliver", "verify", "1", f"公民身份号码={zhang_id}", "姓名=张四")
    assert r.output.startswith("no_match") and "姓名: no_match" in r.output
    out = tmp_path / "people.csv"
    r = run("--as", "mz", "deliver", "export", "1", "--out", str(out))
    assert r.exit_code == 0, r.output
    manifest = json.loads(r.stdout)
    assert manifest["rows"] == 2 and manifest["columns"]["姓名"] == "mask" and "signature" in manifest
    assert hashlib.sha256(out.read_bytes()).hexdigest() == manifest["sha256"]
    assert "张*" in out.read_text(encoding="utf-8")

    # revocation stops delivery and recalls the extract
    r = run("--as", "ga", "share", "revoke", "1", "--reason", "用途已结束")
    assert r.exit_code == 0 and "recall 1 opened for 1 extract(s)" in r.output, r.output
    r = run("--as", "mz", "deliver", "query", "1")
    assert r.exit_code == 1 and "was revoked" in r.output and "Traceback" not in r.output
    r = run("--as", "mz", "share", "recall")
    assert r.exit_code == 0 and "用途已结束" in r.output and "open" in r.output, r.output
    r = run("--as", "mz", "share", "recall", "ack", "1", "--note", "已删除")
    assert r.exit_code == 0 and "recall 1 acknowledged" in r.output
    assert "acknowledged" in run("--as", "mz", "share", "recall").output

    # overdue: request 2 (the unconditional resource) still waits for the operator
    with sharing.db.session() as s:
        req = s.get(ShareRequest, 2)
        req.due_at = utcnow() - timedelta(days=10)
        late = calendar.working_days_between(req.due_at, utcnow())
    r = run("--as", "op", "share", "overdue")
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if sharing.open_code in line)
    assert re.search(rf"\b{late}\b", row) and "待符合性审查" in row and "comply" in row
    assert "no request is overdue" in run("--as", "op", "share", "overdue", "--role", "provider").output
