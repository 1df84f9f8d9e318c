"""Console pages over HTTP (TestClient): the same permission rules as the REST API, CSRF and
the session cookie, validation messages in the reader's language, and no tracebacks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huitong.api.app import create_app
from huitong.ledger.tables import EvidenceEntry
from huitong.web.routing import safe_next
from huitong.web.session import COOKIE, sign, unsign
from tests.web.conftest import csrf_of, sign_in
from tests.web.console_data import GOOD_1


def test_anonymous_visitors_see_only_public_content(console, client):
    home = client.get("/")
    assert home.status_code == 200 and '<html lang="zh-CN">' in home.text
    assert "户籍人口统计信息" in home.text  # published and open to the public
    assert "常住人口户籍信息" not in home.text and "出入境" not in home.text
    assert client.get(f"/catalog/resource/{console.stats}").status_code == 200
    assert client.get(f"/catalog/resource/{console.hj}").status_code == 404  # not open: same as absent
    for path in ("/audit", "/aggregate", "/audit/who-used", f"/aggregate/loads/{console.load_id}"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    assert client.get("/audit/checkpoints").status_code == 200  # public over REST as well
    assert client.get("/dashboard").status_code == 200


def test_another_department_sees_published_metadata_but_not_the_data(console, client):
    sign_in(client, "mzu")
    page = client.get(f"/catalog/resource/{console.hj}").text
    assert "常住人口户籍信息" in page and 'id="data-denied"' in page and 'id="sample"' not in page
    assert client.get(f"/catalog/resource/{console.draft}").status_code == 404
    assert client.get(f"/catalog/resource/{console.hj}/diff").status_code == 404
    # the defect: the console said 404 where the API says 403; one service answers both now
    assert client.get(f"/aggregate/loads/{console.load_id}").status_code == 403
    assert "hj" not in client.get("/aggregate").text.split('id="h-sources"')[1].split("</section>")[0]
    denied = client.get("/audit")
    assert denied.status_code == 403 and "无权访问" in denied.text
    assert client.post("/audit/who-used", data={"csrf": csrf_of(page), "number": GOOD_1}).status_code == 403


def test_the_console_and_the_api_give_one_answer_for_a_load_and_a_late_schedule(console, client):
    from datetime import timedelta

    from sqlalchemy import update

    from huitong.aggregate.tables import LoadRun, SourceRow
    from tests.test_api import token

    for who in ("mzu", "ga"):
        sign_in(client, who)
        api = client.get(f"/api/aggregate/loads/{console.load_id}", headers=token(console.world, who))
        web = client.get(f"/aggregate/loads/{console.load_id}")
        assert api.status_code == web.status_code == (403 if who == "mzu" else 200), who

    def late() -> tuple[bool, bool]:
        answer = client.get("/api/aggregate/sources", headers=token(console.world, "ga")).json()
        api = {x["name"]: x["late"] for x in answer}
        table = client.get("/aggregate").text.split('id="schedules"')[1].split("</table>")[0]
        return api["hj"], "status-late" in table

    # a daily turn three hours ago, well past the grace whatever the hour the suite runs at
    from datetime import datetime
    from zoneinfo import ZoneInfo

    turn = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=3)
    with console.db.session() as s:
        src = s.scalar(select(SourceRow).where(SourceRow.name == "hj"))
        kept, src.schedule = src.schedule, f"{turn.minute} {turn.hour} * * *"
    assert late() == (False, False)  # hj's daily load ran minutes ago
    with console.db.session() as s:  # make every hj load a week old: the schedule is now late
        src = s.scalar(select(SourceRow).where(SourceRow.name == "hj"))
        runs = {r.id: r.started_at for r in s.scalars(select(LoadRun).where(LoadRun.source_id == src.id))}
        for rid, at in runs.items():
            s.execute(update(LoadRun).where(LoadRun.id == rid).values(started_at=at - timedelta(days=7)))
    try:
        assert late() == (True, True)
    finally:
        with console.db.session() as s:
            for rid, at in runs.items():
                s.execute(update(LoadRun).where(LoadRun.id == rid).values(started_at=at))
            s.execute(update(SourceRow).where(SourceRow.name == "hj").values(schedule=kept))


def reads(console) -> list[str]:
    with console.db.session() as s:
        return list(
            s.scalars(
                select(EvidenceEntry.action).where(EvidenceEntry.action.in_(["data.read", "data.diff"]))
            )
        )


def test_the_provider_sees_versions_samples_lineage_diff_and_rejects(console, client):
    sign_in(client, "ga")
    before = reads(console)
    page = client.get(f"/catalog/resource/{console.hj}").text
    assert 'id="versions"' in page and 'id="sample"' in page and 'id="lineage"' in page
    assert "张三" in page and "一般4级" in page and "身份号码（保留前6后4位）" in page
    assert "<mark>出入境</mark>证件签发信息" in client.get("/catalog?q=出入境").text  # own draft
    diff = client.get(f"/catalog/resource/{console.hj}/diff").text
    assert "新增 0 行，删除 0 行，修改 1 行" in diff and "李思" in diff
    assert len(reads(console)) == len(before) + 2  # the sample rows and the diff are evidence
    bad = client.get(f"/catalog/resource/{console.hj}/diff?a=123")
    assert bad.status_code == 422 and "不是可选的值" in bad.text
    load = client.get(f"/aggregate/loads/{console.load_id}").text
    assert "公民身份号码" in load and "check digit" in load
    agg = client.get("/aggregate").text
    assert 'id="schedules"' in agg and "0 2 * * *" in agg
    assert client.get("/audit").status_code == 403  # administrators act, auditors look


def test_the_operator_oversees_loads_but_not_their_raw_rejected_values(console, client):
    sign_in(client, "op")
    agg = client.get("/aggregate").text
    assert 'id="schedules"' in agg and "0 2 * * *" in agg  # every department's sources and schedules
    load = client.get(f"/aggregate/loads/{console.load_id}").text
    assert "仅本部门人员可见" in load and "check digit" not in load


def test_auditors_search_open_verify_and_look_up(console, client):
    sign_in(client, "aud")
    found = client.get("/audit?action=catalog.*").text
    assert 'id="entries"' in found and "catalog.publish" in found
    entry = client.get(f"/audit/entries/{console.subject_entry}").text
    assert "checkpoint-note" in entry
    verified = client.post(f"/audit/entries/{console.subject_entry}/verify", data={"csrf": csrf_of(entry)})
    assert verified.status_code == 200 and "验证通过" in verified.text
    lookup = client.post("/audit/who-used", data={"csrf": csrf_of(entry), "number": GOOD_1})
    assert lookup.status_code == 200 and f'href="/audit/entries/{console.subject_entry}"' in lookup.text
    assert GOOD_1 not in str(lookup.url)
    bad = client.get("/audit?since=2026-13-45&until=2026-01-01")
    assert bad.status_code == 422 and "不是有效日期" in bad.text and "Traceback" not in bad.text


def test_posts_without_a_valid_csrf_token_or_from_another_site_are_refused(client):
    r = client.post("/login", data={"username": "ga", "password": "x"})
    assert r.status_code == 403 and "表单已过期" in r.text
    token = csrf_of(client.get("/login").text)
    r = client.post("/lang", data={"csrf": token, "lang": "en"}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    assert client.post("/lang", data={"csrf": token, "lang": "en"}).status_code == 303


def test_the_session_cookie_is_signed_httponly_and_samesite(console_app, client):
    client.get("/login")
    header = client.get("/login").headers.get("set-cookie") or ""
    sign_in(client, "ga")
    cookie = client.cookies.get(COOKIE)
    assert cookie and unsign(b"wrong key", cookie) is None
    fresh = TestClient(console_app, follow_redirects=False)
    r = fresh.get("/login")
    flags = r.headers["set-cookie"].lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert header == "" or "httponly" in header.lower()
    forged = TestClient(console_app, follow_redirects=False)
    forged.cookies.set(COOKIE, sign(b"x" * 32, {"tok": "htpat_forged", "user": "aud"}))
    assert forged.get("/audit").status_code == 303  # an unsigned cookie is nobody


def test_sign_out_revokes_the_token_so_an_old_cookie_is_useless(console_app, client):
    sign_in(client, "aud")
    stolen = client.cookies.get(COOKIE)
    page = client.get("/audit")
    assert page.status_code == 200
    assert client.post("/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    replay = TestClient(console_app, follow_redirects=False)
    replay.cookies.set(COOKIE, stolen)
    assert replay.get("/audit").status_code == 303


def test_login_validation_speaks_the_readers_language(client):
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"csrf": token, "username": "", "password": ""})
    assert r.status_code == 422 and "请填写“用户名”" in r.text and "请填写“密码”" in r.text
    wrong = client.post("/login", data={"csrf": token, "username": "ga", "password": "not-it-at-all"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    client.post("/lang", data={"csrf": token, "lang": "en"})
    r = client.post("/login", data={"csrf": token, "username": "", "password": ""})
    assert '<html lang="en">' in r.text and "Enter Username." in r.text
    assert client.get("/catalog?page=zero").status_code == 422


def test_errors_are_pages_not_tracebacks(console, client):
    for path, status in (
        ("/catalog/resource/999999/99999", 404),
        ("/aggregate/loads/not-a-number", 422),
        ("/no/such/page", 404),
        ("/audit/entries/abc", 422),
    ):
        r = client.get(path)
        assert r.status_code == status, path
        assert "Traceback" not in r.text and not r.text.startswith("{")
    sign_in(client, "aud")
    r = client.get("/audit/entries/abc")
    assert r.status_code == 422 and "输入有误" in r.text
    assert client.get("/api/nope").json() == {"detail": "Not Found"}  # the API keeps its JSON


def test_pages_carry_security_headers(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"


def test_next_only_ever_points_into_the_site():
    assert safe_next("/audit?x=1") == "/audit?x=1"
    for bad in ("//evil.example", "https://evil.example", "javascript:alert(1)", "/\\evil", None, ""):
        assert safe_next(bad) == "/"


@pytest.mark.pg
def test_pages_render_on_both_databases(world):
    from huitong.catalog import service as catalog
    from tests.world import spec

    with world.db.session() as s:
        code = catalog.create(s, world.actor("ga"), spec(world.police)).code
    c = TestClient(create_app(db=world.db), raise_server_exceptions=False, follow_redirects=False)
    assert c.get("/").status_code == 200 and c.get("/dashboard").status_code == 200
    sign_in(c, "ga")
    page = c.get(f"/catalog/resource/{code}")
    assert page.status_code == 200 and "常住人口户籍信息" in page.text
    assert "常住人口<mark>户籍</mark>信息" in c.get("/catalog?q=户籍").text
    for path in (
        "/dashboard",
        "/share/cart",
        "/share/applications",
        "/share/inbox",
        "/share/grants",
        "/share/recalls",
    ):
        assert c.get(path).status_code == 200, path
