"""The quality pages: departments ranked, a resource's scorecard with its dimension chart and trend,
the worst rules first, failing rows (masked) for the provider only, measuring now behind CSRF."""

from __future__ import annotations

import re

import pytest

from huitong.quality import service as quality
from tests.web.conftest import csrf_of, sign_in

RULES = """resource: {code}
rules:
  - {{name: 姓名规范, kind: pattern, column: 姓名, regex: "张三|李四|王五", severity: fail}}
  - {{name: 性别代码, kind: in_code_table, column: 性别}}
  - {{name: 身份证号有效, kind: valid, column: 公民身份号码}}
  - {{name: 按时更新, kind: freshness}}
"""


@pytest.fixture(scope="module")
def measured(console):
    """hj's rules and one run of its current version (no gate: the console's other tests keep loading)."""
    ga = console.world.actor("ga")
    with console.db.session() as s:
        quality.import_rules(s, ga, RULES.format(code=console.hj), "hj.yaml")
    with console.db.session() as s:
        return quality.run(s, console.store, ga, console.hj).id


def test_the_provider_sees_its_scorecard_and_failing_rows(console, client, measured):
    sign_in(client, "ga")
    page = client.get(f"/quality/resource/{console.hj}").text
    assert 'id="chart-dimensions"' in page and 'id="chart-trend"' in page and "<polyline" in page
    rows = re.findall(r'<tr><th scope="row">([^<]+) <span class="small">', page)
    assert rows[0].strip() == "姓名规范"  # a failing fail rule first
    assert "李思" not in page and 'class="sample"' in page  # the failing row, masked (李*)
    assert 'id="run-form"' in page
    r = client.post(f"/quality/resource/{console.hj}/run", data={"csrf": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"].endswith("done=run")
    again = client.get(r.headers["location"]).text
    assert again.count('<tr><td class="num">') >= 2  # two runs listed


def test_others_see_the_figures_not_the_rows_and_cannot_measure(console, client, measured):
    sign_in(client, "mz")
    page = client.get(f"/quality/resource/{console.hj}").text
    assert 'id="quality-score"' in page and 'class="sample"' not in page and 'id="run-form"' not in page
    token = csrf_of(client.get("/quality").text)
    assert client.post(f"/quality/resource/{console.hj}/run", data={"csrf": token}).status_code == 403
    assert client.post(f"/quality/resource/{console.hj}/run", data={}).status_code == 403  # no CSRF


def test_the_ranking_and_the_dashboard_section_in_both_languages(console, client, measured):
    sign_in(client, "op")
    zh = client.get("/quality").text
    assert "各部门数据质量得分" in zh and "公安局" in zh
    assert 'id="section-quality"' in client.get("/dashboard").text
    client.post("/lang", data={"csrf": csrf_of(zh), "lang": "en"})
    en = client.get("/quality").text
    assert "Departments by quality score" in en
    assert client.get("/quality", follow_redirects=False).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client):
    r = client.get("/quality")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
