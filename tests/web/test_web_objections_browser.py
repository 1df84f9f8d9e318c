"""Objections (异议处理) in a real browser: 民政 objects to a record from its data view with an
evidence file, the operator accepts, flags and forwards, the data view marks the row disputed,
the holder is told what to fix, extends and corrects with a newer version, and 民政 reads the
notice and downloads its evidence. Plain forms only: the console has no script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.conftest import login
from tests.web.console_data import GOOD_2
from tests.web.objection_world import build, serve


@pytest.fixture(scope="module")
def ow(tmp_path_factory):
    world = build(tmp_path_factory.mktemp("objections-browser"))
    yield world
    world.cw.store.close()
    world.db.dispose()


@pytest.fixture(scope="module")
def server(ow):
    with serve(ow.app) as url:
        yield url


@pytest.fixture
def pg(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 1366, "height": 800}, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def logout(pg) -> None:
    pg.locator("#logout").click()
    expect(pg.locator("#login-link")).to_be_visible()


def take(pg, action: str, **fields) -> None:
    form = pg.locator(f"#form-{action}")
    for name, value in fields.items():
        form.locator(f"[name={name}_{action}]").fill(value)
    form.locator(f"#do-{action}").click()


def test_object_from_the_data_view_through_to_the_correction_and_the_notice(pg, ow, tmp_path):
    scan = tmp_path / "户口本.pdf"
    scan.write_bytes(b"%PDF-1.4 scan")

    # 民政 objects to 李思's name from its data view, with the scan attached
    login(pg, "mzu")
    pg.goto(f"/share/grants/{ow.clear_grant}/data")
    row = pg.locator("#granted-rows tbody tr", has_text=GOOD_2)
    expect(row.locator(".disputed")).to_have_count(0)
    row.get_by_role("button", name="提出异议").click()  # a POST form: the key is in no URL
    expect(pg).to_have_url(re.compile(r"/objections/new/prefill$"))
    expect(pg.get_by_label(re.compile("公民身份号码"))).to_have_value(GOOD_2)
    pg.get_by_label("数据项", exact=True).select_option("姓名")
    pg.get_by_role("button", name="提交异议").click()  # no reason: told what to fix
    expect(pg.locator("#error-summary")).to_be_focused()
    expect(pg.locator("#error-summary")).to_contain_text("请填写“理由”")
    pg.get_by_label("理由").fill("姓名应为李四，见户口本")
    pg.get_by_label("佐证材料（选填）").set_input_files(str(scan))
    pg.get_by_role("button", name="提交异议").click()
    expect(pg.locator("#done")).to_have_text("异议已提出，等待平台受理。")
    expect(pg.locator("#objection-state")).to_have_text("已提出")
    expect(pg.locator("#objection-holder")).to_have_text("杭州市公安局")
    oid = int(re.search(r"/objections/(\d+)", pg.url).group(1))
    logout(pg)

    # the operator accepts, flags and forwards it
    login(pg, "op")
    pg.get_by_role("link", name="异议处理").click()
    pg.get_by_role("link", name=f"异议 #{oid}").click()
    for action, state in (("accept", "已受理"), ("flag", "已标注"), ("forward", "核实中")):
        take(pg, action)
        expect(pg.locator("#objection-state")).to_have_text(state)
    logout(pg)

    # the row is still served, marked disputed
    login(pg, "mzu")
    pg.goto(f"/share/grants/{ow.clear_grant}/data")
    marker = pg.locator("#granted-rows tbody tr", has_text=GOOD_2).locator(".disputed")
    expect(marker).to_be_visible()
    expect(marker).to_have_text("有异议")
    logout(pg)

    # the holder extends (a reason is needed), then corrects with a newer version
    login(pg, "ga")
    pg.goto(f"/objections/{oid}")
    take(pg, "extend")
    expect(pg.locator("#error-summary")).to_contain_text("请填写“理由”")
    take(pg, "extend", reason="需调取原始档案")
    expect(pg.locator("#objection-state")).to_have_text("核实中（已延期）")
    fixed = ow.load_corrected(old="李思", new="李四")
    take(pg, "correct", correction=fixed, reason="已按户籍档案更正")
    expect(pg.locator("#objection-state")).to_have_text("已更正")
    expect(pg.locator("#history li")).to_have_count(6)
    expect(pg.locator("#history")).to_contain_text("需调取原始档案")
    pg.screenshot(path="/tmp/objection-detail.png", full_page=True)
    logout(pg)

    # 民政 reads the notice and downloads its evidence
    login(pg, "mzu")
    pg.get_by_role("link", name="异议处理").click()
    expect(pg.locator("#notices")).to_contain_text(f"异议 #{oid}")
    expect(pg.locator("#notices")).to_contain_text(fixed)
    pg.locator("#notices").get_by_role("link", name=f"异议 #{oid}").click()
    with pg.expect_download() as got:
        pg.get_by_role("link", name="户口本.pdf").click()
    download = got.value
    assert download.suggested_filename == "户口本.pdf"
    assert Path(download.path()).read_bytes() == b"%PDF-1.4 scan"
