"""Editing a resource's rules in a real browser: from the scorecard to the editor, a mistake shown
with its line, a check, then the save."""

from __future__ import annotations

from playwright.sync_api import expect

from huitong.quality import service as quality
from tests.web.conftest import login


def test_the_provider_writes_checks_and_saves_a_rule(page, console):
    code = console.stats
    try:
        login(page, "ga")
        page.goto(f"/quality/resource/{code}")
        page.get_by_role("link", name="编辑规则").click()
        expect(page.locator("h1")).to_contain_text("质量规则")
        expect(page.locator("#rules-none")).to_be_visible()
        editor = page.get_by_label("规则文件（YAML）")
        expect(editor).to_have_value(f"resource: {code}\nrules: []\n")

        editor.fill(f"resource: {code}\nrules:\n  - {{name: 按时更新, kind: fresh}}\n")
        page.get_by_role("button", name="保存规则").click()
        expect(page.locator("#rules-problems")).to_contain_text("第 3 行")
        expect(page.locator("#rules-problems")).to_contain_text("unknown rule kind 'fresh'")
        expect(editor).to_have_value(f"resource: {code}\nrules:\n  - {{name: 按时更新, kind: fresh}}\n")

        editor.fill(
            f"resource: {code}\nrules:\n  - {{name: 按时更新, kind: freshness}}\n"
            "  - {name: 姓名完整, kind: not_null, column: 姓名, threshold: 0.98}\n"
        )
        page.get_by_role("button", name="检查（不保存）").click()
        expect(page.locator("#rules-plan .plan-added")).to_have_count(2)
        expect(page.locator("#rules-none")).to_be_visible()  # nothing kept yet

        page.get_by_role("button", name="保存规则").click()
        expect(page.locator("#rules-saved")).to_have_text(
            "规则已保存：新增 2 条，修改 0 条，删除 0 条。下次检测按新规则进行。"
        )
        expect(page.locator("#rules-table tbody tr")).to_have_count(2)
        expect(page.locator("#rules-table")).to_contain_text("0.98")
        page.screenshot(path="/tmp/quality-rules.png", full_page=True)
    finally:  # the console world is shared: leave stats without rules again
        with console.db.session() as s:
            quality.import_rules(s, console.world.actor("ga"), f"resource: {code}\nrules: []\n", prune=True)
