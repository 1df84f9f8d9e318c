"""The classification pages: proposals with the undeclared column marked, a resource's findings with
confirm and override forms (CSRF, the provider's administrator only), the re-grading reviews, a file
checked before it is sent, the list of important data as CSV, and the dashboard's section."""

from __future__ import annotations

import pytest

from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.classify import service as classify
from tests.web.conftest import csrf_of, sign_in
from tests.web.console_data import GOOD_1, GOOD_2
from tests.world import spec

ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002"),
    DataItem("备注", DataType.C, 200),
]


@pytest.fixture(scope="module")
def noted(console):
    """公安's 出租房屋登记 whose 备注 (declared 一般1级) holds tenants' mobile numbers."""
    import pyarrow as pa

    ga, op = console.world.actor("ga"), console.world.actor("op")
    with console.db.session() as s:
        code = catalog.create(
            s, ga, spec(console.world.police, "出租房屋登记信息", class_code="101002", items=ITEMS)
        ).code
        catalog.submit(s, ga, code)
        catalog.publish(s, op, code)
    console.store.ensure_table(code, ITEMS)
    from datetime import date

    from huitong.standards.idcard import make_id_number

    rows = {
        "公民身份号码": [make_id_number("330106", date(1970, 1, 1 + n), n) for n in range(20)],
        "姓名": ["张三", "李四"] * 10,
        "备注": ["承租人电话13812345678", "无"] * 10,
    }
    console.store.write(code, pa.table(rows))
    with console.db.session() as s:
        classify.scan(s, console.store, ga, code)
    return code


def test_the_provider_sees_the_undeclared_column_and_confirms_it(console, client, noted):
    sign_in(client, "ga")
    overview = client.get("/classify").text
    assert 'id="classify-proposals"' in overview and 'class="undeclared"' in overview
    page = client.get(f"/classify/resource/{noted}").text
    assert "备注" in page and "含标识符的文本" in page and 'id="scan-form"' in page
    assert page.count('class="decide"') >= 1
    r = client.post(
        f"/classify/resource/{noted}/decide",
        data={"csrf": csrf_of(page), "column": "备注", "action": "confirm"},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=confirmed")
    after = client.get(r.headers["location"]).text
    assert 'id="classify-done"' in after and 'id="resource-grade">一般4级' in after
    with console.db.session(read_only=True) as s:
        res = catalog.get(s, console.world.actor("ga"), noted)
        assert next(it.grade for it in res.items if it.name == "备注") == "general_4"


def test_an_override_without_a_reason_is_refused_on_the_page(console, client, noted):
    sign_in(client, "ga")
    page = client.get(f"/classify/resource/{noted}").text
    r = client.post(
        f"/classify/resource/{noted}/decide",
        data={
            "csrf": csrf_of(page),
            "column": "姓名",
            "action": "override",
            "grade": "general_2",
            "reason": "",
        },
    )
    assert r.status_code == 422 and 'id="classify-problems"' in r.text


def test_another_department_cannot_decide_and_a_post_needs_csrf(console, client, noted):
    sign_in(client, "mz")
    page = client.get("/classify").text
    assert "出租房屋" not in page  # another department's proposals are not listed
    assert client.get(f"/classify/resource/{noted}").status_code == 403
    r = client.post(
        f"/classify/resource/{noted}/decide",
        data={"csrf": csrf_of(page), "column": "姓名", "action": "confirm"},
    )
    assert r.status_code == 403
    sign_in(client, "ga")
    r = client.post(f"/classify/resource/{noted}/scan", data={"csrf": "forged"})
    assert r.status_code == 403


def test_a_file_is_checked_before_it_is_sent(client):
    sign_in(client, "ga")
    token = csrf_of(client.get("/classify").text)
    body = f"姓名,身份证号,联系电话\n张伟,{GOOD_1},13812345678\n李娜,{GOOD_2},13912345678\n".encode("gbk")
    r = client.post(
        "/classify/discover", data={"csrf": token}, files={"file": ("出租.csv", body, "text/csv")}
    )
    assert r.status_code == 200 and 'id="discover-findings"' in r.text
    assert "公民身份号码" in r.text and "手机号码" in r.text
    bad = client.post(
        "/classify/discover", data={"csrf": token}, files={"file": ("x.doc", b"??", "text/plain")}
    )
    assert bad.status_code == 422 and 'id="classify-problems"' in bad.text


def test_the_important_list_exports_and_the_dashboard_shows_the_section(console, client, noted):
    sign_in(client, "op")
    r = client.get("/classify/important.csv")
    assert r.status_code == 200 and r.text.startswith("\ufeff资源代码")
    board = client.get("/dashboard").text
    assert "未申报的个人信息" in board or "Undeclared personal data" in board
