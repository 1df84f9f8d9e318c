"""The base-library pages (基础库): the list with each library's last run and a run-now button, a
library's definition, runs, the model's match weights as a diverging bar chart, the review queue with
both source records side by side (masked) and a same / different form (CSRF, the operator only), its
conflicts, and one record with the source of every field; the auditor reads, nobody else sees it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select

from huitong.access import SYSTEM
from huitong.api.app import create_app
from huitong.catalog import service as catalog
from huitong.fuse import service as fuse
from huitong.fuse.tables import FusionDecision
from huitong.web.charts import NEGATIVE, POSITIVE, weight_bars
from tests.fuse.small_city import CIVIL, POLICE, TARGET, civil_only, load_and_fuse, residents
from tests.web.conftest import csrf_of, login, serving, sign_in
from tests.web.console_data import ConsoleWorld, build_console_world
from tests.world import spec

GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
]
CODE = "renkou"
MOVED = "杭州市余杭区良渚街道古墩路999号8幢808室"


@dataclass
class Fused:
    police: str  # 公安's 居民身份登记信息 (keyed by the ID number)
    civil: str  # 民政's 救助对象档案信息 (keyed by 档案编号)
    target: str  # 数据局's 人口基础库
    ids: list[str]  # every ID number in the sources: none may appear on a page
    moved: str  # the ID number of the resident 民政 has at another address (a conflict)


def _people(n: int = 36) -> list[dict]:
    out = residents(n, GIVEN)
    out[0]["姓名"] = "张伟"
    return out


def _civil(people: list[dict]) -> list[dict]:
    """Twenty of 公安's residents again (one written in traditional characters, one without an ID,
    one moved), namesakes born the same day without an ID at another address (the model is unsure of
    them), and five 民政 knows alone."""
    rows = [{"档案编号": f"DA{n + 1:04d}", **p} for n, p in enumerate(people[:20])]
    rows[0]["姓名"] = "張偉"
    rows[1]["公民身份号码"] = None
    rows[2]["住址"] = MOVED
    for n, p in enumerate(people[24:30]):
        rows.append(
            {
                **p,
                "档案编号": f"DA{n + 90:04d}",
                "公民身份号码": None,
                "住址": f"杭州市拱墅区湖墅南路{n + 5}号",
            }
        )
    return rows + civil_only(GIVEN)


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> ConsoleWorld:
    """A console world of this module's own: the base library adds a published 数据局 entry and
    resources that other modules' counts (the dashboard's departments, search hits) do not expect."""
    cw = build_console_world(tmp_path_factory.mktemp("fuse"))
    yield cw
    cw.store.close()
    cw.db.dispose()


@pytest.fixture(scope="module")
def fuse_app(console):
    app = create_app(db=console.db)
    app.state.store = console.store
    return app


@pytest.fixture(scope="module")
def fuse_server(fuse_app):
    with serving(fuse_app) as url:
        yield url


@pytest.fixture
def page(browser, fuse_server):
    context = browser.new_context(
        base_url=fuse_server, viewport={"width": 1366, "height": 800}, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def client(fuse_app) -> TestClient:
    return TestClient(fuse_app, raise_server_exceptions=False, follow_redirects=False)


@pytest.fixture(scope="module")
def fused(console) -> Fused:
    """Two departments' people, the operator's 人口库 defined over them and run once."""
    world, op = console.world, console.world.actor("op")
    ga, mz = world.actor("ga"), world.actor("mz")
    with console.db.session() as s:
        police = catalog.create(
            s,
            ga,
            spec(
                world.police,
                "居民身份登记信息",
                items=POLICE,
                summary="本市居民的身份登记信息，含姓名、身份号码、出生日期与住址。",
                tags=["居民", "身份"],
            ),
        ).code
        civil = catalog.create(
            s,
            mz,
            spec(
                world.civil,
                "救助对象档案信息",
                class_code="101004",
                items=CIVIL,
                summary="民政救助对象的档案，含档案编号、姓名、身份号码、出生日期与住址。",
                tags=["救助", "档案"],
            ),
        ).code
        # the operator's department (数据局) has no administrator in the test world: the platform creates it
        target = catalog.create(
            s,
            SYSTEM,
            spec(
                world.bureau,
                "人口基础库",
                items=TARGET,
                summary="由公安、民政的人员记录融合而成的人口基础库：一人一码，每个字段注明来源。",
                tags=["基础库"],
            ),
        ).code
        catalog.submit(s, ga, police)
        catalog.submit(s, mz, civil)
        catalog.submit(s, SYSTEM, target)
        for code in (police, civil, target):
            catalog.publish(s, op, code)
    people = _people()
    _, ids = load_and_fuse(console.db, console.store, op, CODE, police, civil, target, people, _civil(people))
    return Fused(police, civil, target, ids, people[2]["公民身份号码"])


def _no_full_id(html: str, fused: Fused) -> None:
    shown = [i for i in fused.ids if i in html]
    assert shown == [], "full ID numbers on the page"


# ---- the chart's geometry --------------------------------------------------------------------------


def test_weight_bars_diverge_from_one_zero_line():
    chart = weight_bars(
        [
            ("id_number", "exact", 6.5),
            ("id_number", "both_valid_different", -11.0),
            ("name", "exact", 5.8),
            ("name", "one_char", None),
            ("name", "else", -4.2),
        ],
        width=700,
        label_space=200,
        pad=50,
    )
    assert chart is not None and [g.comparison for g in chart.groups] == ["id_number", "name"]
    exact, different, name, unseen, other = chart.bars
    assert 250 < chart.zero < 650  # the largest negative weight leaves more room on the left
    assert different.x == pytest.approx(250, abs=0.2) and different.x + different.width == pytest.approx(
        chart.zero
    )
    assert exact.x == chart.zero and exact.x + exact.width < 650 + 0.2
    assert exact.width / different.width == pytest.approx(6.5 / 11, abs=0.01)
    assert exact.positive and not different.positive and not other.positive
    assert (exact.colour, different.colour) == (POSITIVE, NEGATIVE)
    assert unseen.weight is None and unseen.width == 0
    assert all(b.y < c.y for b, c in zip(chart.bars, chart.bars[1:], strict=False))
    assert 0 in [w for _, w in chart.ticks] and min(w for _, w in chart.ticks) == -10
    assert weight_bars([]) is None
    only = weight_bars([("gender", "exact", 1.0)])
    assert only is not None and only.bars[0].x == only.zero and only.ticks[0] == (only.zero, 0)


# ---- pages in a browser -------------------------------------------------------------------------


def test_the_operator_finds_the_library_with_its_last_run(page, fused):
    login(page, "op")
    expect(page.locator("header nav a", has_text="基础库")).to_be_visible()
    page.locator("header nav a", has_text="基础库").click()
    expect(page.locator("h1")).to_have_text("基础库")
    row = page.locator(f"#lib-{CODE}")
    expect(row).to_contain_text("人口库")
    expect(row).to_contain_text("居民身份登记信息")
    expect(row).to_contain_text("救助对象档案信息")
    expect(row.locator("td").first).to_contain_text("67")  # 36 + 31 records in
    expect(row).to_contain_text("新建")
    expect(page.locator(f"#run-{CODE}")).to_be_visible()
    page.locator(f"#run-{CODE}").click()  # nothing changed or a decision waits: either notice
    expect(page.locator("#fuse-done")).to_be_visible()
    page.locator(f"#lib-{CODE} th a").first.click()
    expect(page.locator("h1")).to_contain_text("人口库")


def test_the_model_chart_shows_weights_for_and_against(page, fused):
    login(page, "op")
    page.goto(f"/fuse/{CODE}")
    chart = page.locator("#weight-chart")
    expect(chart).to_be_visible()
    assert chart.locator("rect.weight-pos").count() >= 3
    assert chart.locator("rect.weight-neg").count() >= 1
    expect(chart).to_contain_text("公民身份号码")
    expect(chart).to_contain_text("完全一致")
    expect(page.locator("#prior-weight")).to_contain_text(re.compile(r"先验权重：-\d+\.\d\d"))
    expect(page.locator("#fuse-inputs tbody tr")).to_have_count(2)
    expect(page.locator("#fuse-inputs tbody tr").first).to_contain_text("居民身份登记信息")
    expect(page.locator("#fuse-inputs tbody tr").first).to_contain_text("公民身份号码 → 公民身份号码")
    expect(page.locator("#fuse-runs tbody tr").first).to_contain_text("op")


def test_the_review_queue_shows_both_records_masked_and_a_decision_is_kept(page, fused, console):
    login(page, "op")
    page.goto(f"/fuse/{CODE}")
    pairs = page.locator("article.pair")
    assert pairs.count() >= 2
    first = pairs.first
    expect(first.locator(".side-by-side tbody tr").first).to_contain_text("救助对象档案信息")
    expect(first).to_contain_text("姓名")
    expect(first).to_contain_text("完全一致")  # name and birth date agree
    expect(first.locator(".side-by-side")).to_contain_text("*")  # masked by grade
    _no_full_id(page.content(), fused)
    _no_full_id(page.locator("body").inner_text(), fused)
    pair_id = int(first.get_attribute("id").removeprefix("pair-"))
    first.get_by_label("不是同一人").check()
    first.get_by_label("理由（可选）").fill("出生地与户籍档案不符")
    first.get_by_role("button", name="保存决定").click()
    expect(page.locator("#fuse-done")).to_have_text("复核决定已保存，下次运行时生效。")
    expect(page.locator(f"#pair-{pair_id}")).to_have_count(0)
    with console.db.session(read_only=True) as s:
        reasons = list(s.scalars(select(FusionDecision.reason).where(FusionDecision.same.is_(False))))
    assert "出生地与户籍档案不符" in reasons


def test_the_record_page_shows_where_each_field_came_from_and_the_conflict(page, fused, console):
    with console.db.session(read_only=True) as s:
        op = console.world.actor("op")
        moved = [c for c in fuse.conflicts(s, op, CODE) if c.field == "address"]
        members = fuse.members(s, op, CODE)
    assert moved, "the moved resident's two addresses are a conflict"
    base_id = moved[0].base_id
    alone = dict(members)[f"{fused.civil}:DA0090"]
    login(page, "op")
    page.goto(f"/fuse/{CODE}")
    page.locator("#fuse-conflicts").get_by_role("link", name=base_id).click()
    expect(page.locator("h1")).to_have_text(f"基础库记录 {base_id}")
    fields = page.locator("#field-sources")
    expect(fields.locator("#field-name")).to_contain_text("居民身份登记信息")
    expect(fields.locator("#field-address")).to_contain_text("住址")
    expect(fields.locator("#field-id_number")).to_contain_text("330106")
    expect(page.locator("#members tbody tr")).to_have_count(2)
    expect(page.locator("#members")).to_contain_text("DA0003")  # 档案编号 is no personal data
    expect(page.locator("#record-conflicts")).to_contain_text("住址")
    expect(page.locator("#record-conflicts")).to_contain_text("救助对象档案信息")
    expect(page.locator("#events")).to_contain_text("新建")
    _no_full_id(page.content(), fused)
    page.goto(f"/fuse/{CODE}")  # the search box opens a record by its base id
    page.get_by_label("基础库标识").fill(alone)
    page.get_by_role("button", name="查看记录").click()
    expect(page.locator("h1")).to_have_text(f"基础库记录 {alone}")  # 民政's namesake without an ID
    expect(page.locator("#field-id_number")).to_contain_text("—")
    expect(page.locator("#members tbody tr")).to_have_count(1)


def test_the_auditor_reads_but_neither_runs_nor_decides(page, fused, client):
    login(page, "aud")
    expect(page.locator("header nav a", has_text="基础库")).to_be_visible()
    page.goto("/fuse")
    expect(page.locator(f"#lib-{CODE}")).to_contain_text("人口库")
    expect(page.locator(".run-form")).to_have_count(0)
    page.goto(f"/fuse/{CODE}")
    expect(page.locator("#weight-chart")).to_be_visible()
    expect(page.locator("#run-form")).to_have_count(0)
    expect(page.locator("form.decide-pair")).to_have_count(0)
    expect(page.locator("#review-steward-only")).to_be_visible()
    sign_in(client, "aud")
    token = csrf_of(client.get(f"/fuse/{CODE}").text)
    r = client.post(f"/fuse/{CODE}/run", data={"csrf": token})
    assert r.status_code == 403 and "无权访问" in r.text
    r = client.post(f"/fuse/{CODE}/review", data={"csrf": token, "pair": "1", "verdict": "same"})
    assert r.status_code == 403


def test_a_department_administrator_has_no_base_libraries(page, fused, client):
    login(page, "ga")
    assert "基础库" not in page.locator("header nav a").all_inner_texts()
    response = page.goto("/fuse")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("无权访问")
    sign_in(client, "ga")
    assert client.get(f"/fuse/{CODE}").status_code == 403
    assert client.get(f"/fuse/{CODE}/records/P000000001").status_code == 403


def test_a_post_needs_csrf_and_an_unknown_pair_is_refused_on_the_page(fused, client):
    sign_in(client, "op")
    r = client.post(f"/fuse/{CODE}/run", data={"csrf": "forged"})
    assert r.status_code == 403
    token = csrf_of(client.get(f"/fuse/{CODE}").text)
    r = client.post(f"/fuse/{CODE}/review", data={"csrf": token, "pair": "999999", "verdict": "same"})
    assert r.status_code == 422 and 'id="fuse-problems"' in r.text and "已不在复核队列中" in r.text
    r = client.post(f"/fuse/{CODE}/review", data={"csrf": token, "pair": "1"})
    assert r.status_code == 422 and "请选择“同一人”或“不是同一人”" in r.text
    assert client.get("/fuse/nosuch").status_code == 404
    assert client.get(f"/fuse/{CODE}/records/P999999999").status_code == 404


def test_the_pages_speak_english(page, fused):
    login(page, "op")
    page.goto("/fuse")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Base libraries")
    expect(page.get_by_role("link", name="Base libraries")).to_be_visible()
    page.goto(f"/fuse/{CODE}")
    expect(page.locator("#h-model")).to_have_text("Matching model")
    expect(page.locator("#h-review")).to_have_text("Clerical review")
    expect(page.locator("#weight-chart")).to_contain_text("ID number")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
