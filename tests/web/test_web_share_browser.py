"""Sharing in a real browser: the issue's done-when flow. A consumer puts a resource in the
cart and applies, the operator passes the compliance review, the provider approves fewer
items than asked, the consumer sees the data masked by grade, and an auditor finds that
delivery in the ledger. Plain forms only: the console has no script."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.conftest import login
from tests.web.console_data import GOOD_1, GOOD_2


def logout(page) -> None:
    page.locator("#logout").click()
    expect(page.locator("#login-link")).to_be_visible()


def test_apply_review_approve_fewer_items_view_masked_data_and_audit_it(page, console):
    # 民政's data user finds the resource, keeps every item in the cart and applies
    login(page, "mzu")
    page.goto("/catalog?q=常住人口")
    page.locator(".hit h3 a").first.click()
    expect(page.locator("#h-apply")).to_have_text("申请共享")
    page.get_by_role("button", name="加入申请清单").click()
    expect(page.locator("#cart-table")).to_contain_text("全部信息项")
    page.get_by_role("button", name="提交申请").click()  # nothing filled in: told what to fix
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("请填写“用途说明”")
    page.get_by_label("使用用途").select_option(label="数据校核")
    page.get_by_label("用途说明").fill("低保审核时核验申请人身份")
    page.get_by_label("申请依据").fill("《社会救助暂行办法》第十一条")
    page.get_by_label("应用事项").fill("最低生活保障审核")
    page.get_by_label("查询").check()
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#done")).to_have_text("申请已提交，等待符合性审查。")
    expect(page.locator("#requests tbody tr")).to_have_count(1)
    expect(page.locator("#requests")).to_contain_text("待符合性审查")
    rid = int(page.locator("#requests tbody tr a").first.inner_text().lstrip("#"))
    page.locator("#tab-applications").click()
    expect(page.locator(f'#requests a[href="/share/requests/{rid}"]')).to_be_visible()
    logout(page)

    # the operator's queue: compliance review
    login(page, "op")
    page.get_by_role("link", name="共享交换").click()
    expect(page.locator("#queue-review")).to_contain_text(f"审核 #{rid}")
    page.locator(f"#comply-{rid}").click()
    expect(page.locator(f"#comply-{rid}")).to_have_count(0)
    logout(page)

    # the provider approves the ID number and the name only
    login(page, "ga")
    page.get_by_role("link", name="共享交换").click()
    page.locator("#tab-inbox").click()
    page.get_by_role("link", name=f"审核 #{rid}").click()
    expect(page.locator("#request-state")).to_have_text("待提供方审核")
    page.get_by_role("checkbox", name="性别").uncheck()
    page.get_by_role("button", name="同意共享").click()
    expect(page.locator("#done")).to_have_text("已同意共享，授权已生成。")
    expect(page.locator("#request-state")).to_have_text("已授权")
    expect(page.locator("#history tbody tr")).to_have_count(3)
    grant = int(re.search(r"/share/grants/(\d+)", page.locator("#grant-link").get_attribute("href")).group(1))
    logout(page)

    # the consumer sees the masked view of what was granted
    login(page, "mzu")
    page.goto("/share/grants")
    page.get_by_role("link", name=f"授权 {grant}").click()
    expect(page.locator("#grant-items tbody tr")).to_have_count(2)
    expect(page.locator("#grant-items")).to_contain_text("脱敏")
    page.locator("#view-data").click()
    table = page.locator("#granted-rows")
    expect(table.locator("thead th")).to_have_count(3)  # the two items granted, then the objection link
    expect(table.locator("tbody tr")).to_have_count(2)
    cells = table.locator("tbody td").all_inner_texts()
    for number in (GOOD_1, GOOD_2):
        assert number[:6] + "*" * 8 + number[-4:] in cells
    assert "张*" in cells and "李*" in cells and "张三" not in cells and "性别" not in table.inner_text()
    delivery = int(re.search(r"提供记录 (\d+)", page.locator("#data-summary").inner_text()).group(1))
    page.screenshot(path="/tmp/share-data.png", full_page=True)
    logout(page)

    # an auditor finds that delivery in the ledger
    login(page, "aud")
    page.get_by_role("link", name="审计").click()
    page.get_by_label("操作人", exact=True).fill("mzu")
    page.get_by_label("操作", exact=True).fill("share.deliver.query")
    page.get_by_label("对象", exact=True).fill(console.hj)  # deliveries; refusals name the grant
    page.get_by_role("button", name="检索留痕").click()
    page.locator("#entries tbody tr").first.get_by_role("link").click()  # the newest first
    expect(page.locator("main")).to_contain_text(f'"delivery": {delivery}')
    expect(page.locator("main")).to_contain_text(f'"grant": {grant}')
    # ... and verifies its inclusion proof against a checkpoint signed now
    entry_url = page.url
    page.goto("/audit/checkpoints")
    page.locator("#sign-now").click()
    page.goto(entry_url)
    page.locator("#verify").click()
    expect(page.locator("#verification")).to_contain_text("验证通过")


def test_the_dashboard_draws_the_flows_between_departments(page):
    login(page, "op")
    page.goto("/dashboard")
    expect(page.locator("#flow-diagram")).to_be_visible()
    expect(page.locator("#flow-diagram path")).to_have_count(1)  # 公安 → 民政, the heaviest: full width
    expect(page.locator("#flow-diagram path")).to_have_attribute("stroke-width", "22.0")
    expect(page.locator("#flow-table")).to_contain_text("杭州市民政局")
    expect(page.locator("#decision-table")).to_contain_text("杭州市公安局")
    expect(page.locator("#sleeping-list")).to_contain_text("户籍人口统计信息")
    page.screenshot(path="/tmp/share-dashboard.png", full_page=True)
