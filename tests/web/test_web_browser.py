"""The console in a real browser (Debian's Chromium, headless, through Playwright): signing
in as each role, Chinese search with highlighting, the language switch, a resource page,
the audit pages and their refusal, the verify button, form messages and the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import login

ROLES = {  # who: which areas the navigation offers
    "op": {"资源目录", "共享交换", "数据质量", "分类分级", "基础库", "异议处理", "治理驾驶舱"},
    "ga": {"资源目录", "数据归集", "共享交换", "数据质量", "分类分级", "异议处理", "治理驾驶舱"},
    "mzu": {"资源目录", "数据归集", "共享交换", "数据质量", "分类分级", "异议处理", "治理驾驶舱"},
    "aud": {"资源目录", "共享交换", "审计", "数据质量", "分类分级", "基础库", "异议处理", "治理驾驶舱"},
}


def test_each_role_signs_in_sees_its_navigation_and_signs_out(page):
    for username, areas in ROLES.items():
        login(page, username)
        expect(page.locator(".who")).to_have_text(f"当前用户：{username}")
        links = set(page.locator("header nav a").all_inner_texts())
        assert links == areas, username
        page.locator("#logout").click()
        expect(page.locator("#login-link")).to_be_visible()
    assert set(page.locator("header nav a").all_inner_texts()) == {"资源目录", "治理驾驶舱"}


def test_chinese_search_highlights_matches_and_narrows_by_facet(page):
    login(page, "ga")
    page.get_by_label("检索词").fill("户籍")
    page.get_by_role("button", name="检索", exact=True).click()
    expect(page.locator("#results-heading")).to_have_text(re.compile(r"共 [23] 条结果"))
    marks = page.locator(".hit h3 mark").all_inner_texts()
    assert marks and all(m == "户籍" for m in marks)
    page.get_by_label("检索词").fill("hjrk")
    page.keyboard.press("Enter")
    expect(page.locator(".hit h3 mark").first).to_have_text("户籍人口")
    page.goto("/catalog?q=信息")
    before = page.locator(".hit").count()
    page.get_by_label(re.compile("^无条件共享")).check()
    page.get_by_role("button", name="应用筛选").click()
    expect(page.locator(".hit")).to_have_count(1)
    assert before > 1 and "share_type=unconditional" in page.url


def test_the_language_switches_to_english_and_back(page):
    page.goto("/catalog?q=户籍")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Catalog search")
    assert "q=%E6%88%B7%E7%B1%8D" in page.url or "q=户籍" in page.url  # stays on the same search
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("资源目录检索")


def test_a_resource_page_shows_items_versions_samples_and_a_diff(page, console):
    login(page, "ga")
    page.goto("/catalog?q=常住人口")
    page.locator(".hit h3 a").first.click()
    expect(page.locator("h1")).to_have_text("常住人口户籍信息")
    items = page.locator("#items tbody tr")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text("一般4级")
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    expect(page.locator("#sample")).to_contain_text("李思")
    expect(page.locator("#lineage tbody tr")).to_have_count(2)
    page.locator("#diff-link").click()
    page.get_by_role("button", name="比较").click()
    expect(page.locator("#diff-counts")).to_have_text("新增 0 行，删除 0 行，修改 1 行。")
    expect(page.locator(".diff-changed ins")).to_have_text("李思")


def test_an_auditor_searches_opens_and_verifies_an_entry(page, console):
    login(page, "aud")
    page.get_by_role("link", name="审计").click()
    page.get_by_label("操作", exact=True).fill("data.query")
    page.get_by_role("button", name="检索留痕").click()
    rows = page.locator("#entries tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(f"留痕条目 {console.subject_entry}")
    page.locator("#verify").click()
    expect(page.locator("#verification")).to_contain_text("验证通过")
    expect(page.locator("#verification")).to_be_focused()


def test_a_non_auditor_is_refused_the_audit_pages(page):
    login(page, "mzu")
    response = page.goto("/audit")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("无权访问")
    page.goto("/audit/who-used")
    expect(page.locator("h1")).to_have_text("无权访问")


def test_forms_explain_what_to_fix_in_the_readers_language(page):
    page.goto("/login")
    page.locator("#login-form button[type=submit]").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("请填写“用户名”")
    expect(page.locator("#f-password")).to_have_attribute("aria-invalid", "true")
    page.locator("#lang-switch").click()
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_contain_text("Enter Password.")
    page.get_by_label("Username").fill("ga")
    page.get_by_label("Password").fill("wrong-password-here")
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_contain_text("Wrong username or password")
    page.locator("#lang-switch").click()
    login(page, "aud")
    page.goto("/audit/who-used")
    page.get_by_label("公民身份号码或统一社会信用代码").fill("12345")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#e-number")).to_contain_text("18 位")


@pytest.mark.parametrize("path", ["/", "/dashboard"])
def test_the_keyboard_reaches_the_skip_link_first_and_it_jumps_to_the_content(page, path):
    page.goto(path)
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_the_dashboard_draws_charts_and_the_sharing_sections(page):
    login(page, "ga")
    page.goto("/dashboard")
    expect(page.locator("#chart-department tbody tr")).to_have_count(2)
    expect(page.locator("#chart-share_type rect").first).to_have_attribute("width", "100.0")
    expect(page.locator("#section-sleeping_data #sleeping-list")).to_be_visible()
    expect(page.locator(".placeholder")).to_have_count(0)
    expect(page.locator("#section-late_loads")).to_be_visible()
