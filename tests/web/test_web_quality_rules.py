"""Editing a resource's quality rules in the console: the rule file as text, checked (what would
change, nothing kept) or saved whole; every mistake shown with its line, nothing kept on error;
only the provider's administrator (or the operator) may; CSRF on every POST."""

from __future__ import annotations

import html
import re

import pytest

from huitong.quality import service as quality
from huitong.quality.rules import KINDS
from tests.web.conftest import csrf_of, sign_in

RULES = """resource: {code}
rules:
  - {{name: 姓名完整, kind: not_null, column: 姓名, threshold: 0.99}}
  - {{name: 性别代码, kind: in_code_table, column: 性别}}
"""


@pytest.fixture
def relief(console):
    """民政's 低保 resource with two rules of its own, the same before every test."""
    with console.db.session() as s:
        quality.import_rules(s, console.world.actor("mz"), RULES.format(code=console.relief), prune=True)
    return console.relief


def stored(console, code: str) -> str:
    with console.db.session(read_only=True) as s:
        return quality.export_rules(s, console.world.actor("op"), code)


def textarea(page: str) -> str:
    found = re.search(r'<textarea id="f-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no rule text on the page"
    return html.unescape(found.group(1))


def rows(page: str) -> dict[str, list[str]]:
    """The rules table as a user reads it: each rule's name and its cells."""
    table = re.search(r'<table id="rules-table">(.*?)</table>', page, re.S)
    out = {}
    for name, cells in re.findall(r'<tr><th scope="row">([^<]+?)</th>(.*?)</tr>', table.group(1), re.S):
        out[name.strip()] = [
            html.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
    return out


def post(client, code: str, text: str, action: str, page: str):
    return client.post(
        f"/quality/resource/{code}/rules", data={"csrf": csrf_of(page), "text": text, "action": action}
    )


def test_the_provider_changes_a_threshold_and_saves(console, client, relief):
    sign_in(client, "mz")
    scorecard = client.get(f"/quality/resource/{relief}").text
    assert f'href="/quality/resource/{relief}/rules" id="edit-rules"' in scorecard
    page = client.get(f"/quality/resource/{relief}/rules").text
    text = textarea(page)
    assert "threshold: 0.99" in text and rows(page)["姓名完整"] == [
        "not_null",
        "完整性",
        "警告",
        "0.99",
        "姓名",
    ]
    r = post(client, relief, text.replace("threshold: 0.99", "threshold: 0.95"), "save", page)
    assert r.status_code == 303
    after = client.get(r.headers["location"]).text
    assert "规则已保存：新增 0 条，修改 1 条，删除 0 条。" in after
    assert rows(after)["姓名完整"][3] == "0.95" and "threshold: 0.95" in textarea(after)
    assert set(rows(after)) == {"姓名完整", "性别代码"}
    # recorded like the CLI's import, under the console's own file name
    sign_in(client, "aud")
    audit = client.get("/audit", params={"action": "quality.rules.import", "actor": "mz"}).text
    assert f"console/{relief}.yaml" in audit


def test_a_file_with_mistakes_is_shown_with_its_lines_and_nothing_is_kept(console, client, relief):
    before = stored(console, relief)
    sign_in(client, "mz")
    page = client.get(f"/quality/resource/{relief}/rules").text
    lines = (
        textarea(page).replace("kind: not_null", "kind: notnull").replace("threshold: 1.0", "threshold: 1.5")
    )
    bad_kind = next(i for i, ln in enumerate(lines.splitlines(), 1) if "notnull" in ln)
    bad_threshold = next(i for i, ln in enumerate(lines.splitlines(), 1) if "1.5" in ln)
    r = post(client, relief, lines, "save", page)
    assert r.status_code == 422
    shown = html.unescape(r.text)
    assert f"第 {bad_kind} 行" in shown and "unknown rule kind 'notnull'" in shown
    assert f"第 {bad_threshold} 行" in shown and "threshold must be a number from 0 to 1" in shown
    assert "未保存任何规则" in shown and textarea(r.text) == lines  # the text as typed
    assert stored(console, relief) == before

    # a column the resource lacks, in English this time
    client.post("/lang", data={"csrf": csrf_of(page), "lang": "en"})
    page = client.get(f"/quality/resource/{relief}/rules").text
    text = textarea(page).replace("- 性别", "- 年龄")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "name: 性别代码" in ln)
    r = post(client, relief, text, "save", page)
    shown = html.unescape(r.text)
    assert r.status_code == 422 and f"line {line}" in shown and "has no data item '年龄'" in shown
    assert "The rule file has mistakes; no rule was kept." in shown
    assert stored(console, relief) == before


def test_check_shows_what_would_change_and_keeps_nothing(console, client, relief):
    before = stored(console, relief)
    sign_in(client, "mz")
    page = client.get(f"/quality/resource/{relief}/rules").text
    text = f"""resource: {relief}
gate: true
rules:
  - {{name: 姓名完整, kind: not_null, column: 姓名, threshold: 0.95, severity: fail}}
  - {{name: 住址完整, kind: not_null, column: 住址}}
"""
    r = post(client, relief, text, "check", page)
    assert r.status_code == 200
    plan = html.unescape(re.search(r'<section aria-labelledby="h-plan".*?</section>', r.text, re.S).group(0))
    assert "新增: <strong>住址完整</strong>" in plan
    assert re.search(r"修改: <strong>姓名完整</strong>.*threshold</span> 0.99 → 0.95", plan, re.S)
    assert "severity</span> warn → fail" in plan
    assert "删除: <strong>性别代码</strong>" in plan and "未设置 → 开启" in plan and "尚未保存" in plan
    assert textarea(r.text) == text and stored(console, relief) == before
    assert set(rows(r.text)) == {"姓名完整", "性别代码"}  # the table is still what is kept

    same = post(client, relief, textarea(page), "check", page)
    assert "不改变任何规则" in same.text


def test_the_page_explains_every_rule_kind(client, relief):
    sign_in(client, "op")  # the operator keeps every department's rules
    page = client.get(f"/quality/resource/{relief}/rules").text
    table = re.search(r'<table id="rule-kinds">.*?</table>', page, re.S).group(0)
    for name, kind in KINDS.items():
        assert f'<span class="code">{name}</span> {kind.label_zh}' in table
    assert "regex" in table and "max_change" in table


def test_another_department_and_data_users_are_refused(console, client, relief):
    before = stored(console, relief)
    sign_in(client, "ga")
    assert 'id="edit-rules"' not in client.get(f"/quality/resource/{relief}").text
    assert client.get(f"/quality/resource/{relief}/rules").status_code == 403
    token = csrf_of(client.get("/quality").text)
    r = client.post(
        f"/quality/resource/{relief}/rules", data={"csrf": token, "text": "rules: []", "action": "save"}
    )
    assert r.status_code == 403
    sign_in(client, "mzu")  # 民政's data user: may measure, not keep the rules
    assert client.get(f"/quality/resource/{relief}/rules").status_code == 403
    assert stored(console, relief) == before


def test_no_csrf_no_change(console, client, relief):
    before = stored(console, relief)
    sign_in(client, "mz")
    r = client.post(
        f"/quality/resource/{relief}/rules",
        data={"text": f"resource: {relief}\nrules: []\n", "action": "save"},
    )
    assert r.status_code == 403 and stored(console, relief) == before


def test_anonymous_visitors_are_sent_to_sign_in(client, relief):
    r = client.get(f"/quality/resource/{relief}/rules")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_file_for_another_resource_is_refused_on_this_page(console, client, relief):
    before = stored(console, relief)
    sign_in(client, "op")
    page = client.get(f"/quality/resource/{relief}/rules").text
    text = f"resource: {console.stats}\nrules:\n  - {{name: 按时更新, kind: freshness}}\n"
    r = post(client, relief, text, "save", page)
    assert r.status_code == 422 and f"this file keeps the rules of {relief}" in html.unescape(r.text)
    assert stored(console, relief) == before and "按时更新" not in stored(console, console.stats)
