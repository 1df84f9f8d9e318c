"""The sharing pages over HTTP (TestClient): the same parties and permissions as /api/share,
CSRF on every POST, form messages in the reader's language, and the dashboard's sharing
sections. Tests that change state file their own application first."""

from __future__ import annotations

import re

from huitong.share import applications as apps
from tests.web.conftest import csrf_of, sign_in
from tests.web.console_data import GOOD_1, application


def new_request(console, who: str = "mzu", comply: bool = True) -> int:
    with console.db.session() as s:
        rid = apps.submit(s, console.world.actor(who), application(console.hj, [])).requests[0].id
        if comply:
            apps.act(s, console.world.actor("op"), rid, "comply")
    return rid


def state_of(console, rid: int) -> str:
    with console.db.session() as s:
        return apps.get_request(s, console.world.actor("op"), rid).state


def test_another_department_cannot_see_an_application_or_grant(console, client):
    sign_in(client, "sj")  # 市场监管: neither consumer nor provider
    assert client.get(f"/share/requests/{console.pending_request}").status_code == 404
    with console.db.session() as s:
        app_id = apps.get_request(s, console.world.actor("op"), console.pending_request).application_id
    assert client.get(f"/share/applications/{app_id}").status_code == 404
    assert client.get(f"/share/grants/{console.grant}").status_code == 404
    assert client.get(f"/share/grants/{console.grant}/data").status_code == 404
    mine = client.get("/share/applications").text
    assert 'id="no-requests"' in mine
    page = client.get("/share/grants").text
    post = client.post(
        f"/share/requests/{console.pending_request}/act",
        data={"csrf": csrf_of(page), "action": "approve", "items": "姓名", "modes": "query"},
    )
    assert post.status_code == 404 and state_of(console, console.pending_request) == "provider_review"


def test_anonymous_visitors_are_sent_to_sign_in(console, client):
    for path in ("/share", "/share/cart", "/share/inbox", f"/share/grants/{console.grant}"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path


def test_only_the_provider_administrator_sees_and_takes_approve(console, client):
    rid = console.pending_request
    sign_in(client, "gau")  # police, data user: sees the inbox, may not decide
    inbox = client.get("/share/inbox").text
    assert f"/share/requests/{rid}" in inbox and "只有部门管理员可以审批" in inbox
    page = client.get(f"/share/requests/{rid}").text
    assert "待提供方审核" in page and 'id="approve-form"' not in page and 'id="form-reject"' not in page
    refused = client.post(
        f"/share/requests/{rid}/act",
        data={"csrf": csrf_of(page), "action": "reject", "reason_reject": "不行"},
    )
    assert refused.status_code == 403 and state_of(console, rid) == "provider_review"

    consumer = sign_in(type(client)(client.app, follow_redirects=False), "mzu")
    seen = consumer.get(f"/share/requests/{rid}").text
    assert 'id="approve-form"' not in seen and 'id="form-withdraw"' in seen  # the consumer may withdraw

    admin = sign_in(type(client)(client.app, follow_redirects=False), "ga")
    page = admin.get(f"/share/requests/{rid}").text
    assert 'id="approve-form"' in page and 'id="form-reject"' in page
    assert "公民身份号码" in page and "按分级默认（脱敏）" in page


def test_posts_need_the_sessions_csrf_token(console, client):
    rid = new_request(console)
    sign_in(client, "ga")
    for data in (
        {"action": "reject", "reason_reject": "x"},
        {"csrf": "forged", "action": "reject", "reason_reject": "x"},
    ):
        r = client.post(f"/share/requests/{rid}/act", data=data)
        assert r.status_code == 403 and "表单已过期" in r.text
    assert state_of(console, rid) == "provider_review"
    page = client.get(f"/catalog/resource/{console.hj}").text
    r = client.post("/share/cart/add", data={"code": console.hj}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    assert client.post(f"/share/grants/{console.grant}/revoke", data={"reason": "x"}).status_code == 403
    assert csrf_of(page)


def test_the_provider_rejects_only_with_a_reason_and_approves_within_the_grade_rules(console, client):
    rid = new_request(console)
    sign_in(client, "ga")
    page = client.get(f"/share/requests/{rid}").text
    token = csrf_of(page)
    empty = client.post(f"/share/requests/{rid}/act", data={"csrf": token, "action": "reject"})
    assert empty.status_code == 422 and "“拒绝”需要填写理由" in empty.text
    assert 'aria-invalid="true"' in empty.text and state_of(console, rid) == "provider_review"
    bad = client.post(
        f"/share/requests/{rid}/act",
        data={
            "csrf": token,
            "action": "approve",
            "valid_until": "1999-01-01",
            "max_rows_per_day": "zero",
            "filter_item": "性别",
        },
    )
    text = bad.text
    assert bad.status_code == 422
    assert "请至少授权一个信息项" in text and "请至少选择一种共享方式" in text
    assert "授权有效期须在申请的使用期限内" in text and "每日数据行数上限" in text
    assert "请填写“性别”的取值" in text
    ok = client.post(
        f"/share/requests/{rid}/act",
        data={
            "csrf": token,
            "action": "approve",
            "items": ["公民身份号码", "性别"],
            "treat_0": "pseudonym",
            "modes": "query",
            "filter_item": "性别",
            "filter_values": "男，女",
            "max_requests_per_day": "50",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == f"/share/requests/{rid}?done=approve"
    done = client.get(ok.headers["location"]).text
    assert "已同意共享，授权已生成" in done and "已授权" in done and "假名化" in done
    grant = int(re.search(r'href="/share/grants/(\d+)" id="grant-link"', done).group(1))
    g = client.get(f"/share/grants/{grant}").text
    assert "公民身份号码" in g and "假名化" in g and "性别 = 男、女" in g and "今日已用 0 / 50" in g
    assert 'id="revoke-form"' in g and 'id="view-data"' not in g  # the provider revokes, never receives


def test_the_consumer_views_masked_data_and_it_is_evidence(console, client):
    sign_in(client, "mzu")
    grants = client.get("/share/grants").text
    assert f"/share/grants/{console.grant}" in grants
    page = client.get(f"/share/grants/{console.grant}").text
    assert 'id="view-data"' in page and 'id="revoke-form"' not in page
    data = client.get(f"/share/grants/{console.grant}/data")
    assert data.status_code == 200
    masked = GOOD_1[:6] + "*" * 8 + GOOD_1[-4:]
    assert masked in data.text and GOOD_1 not in data.text
    assert (
        "张*" in data.text
        and "张三" not in data.text
        and "性别" not in data.text.split('id="granted-rows"')[1]
    )
    assert client.get(f"/share/grants/{console.grant}/data?page=x").status_code == 422


def test_a_refused_request_goes_to_negotiation_with_a_reason(console, client):
    rid = new_request(console)
    with console.db.session() as s:
        apps.act(s, console.world.actor("ga"), rid, "reject", reason="用途与数据内容不符")
    sign_in(client, "mzu")
    mine = client.get("/share/applications").text
    assert f"/share/requests/{rid}" in mine and "已拒绝" in mine
    page = client.get(f"/share/requests/{rid}").text
    assert "用途与数据内容不符" in page and 'id="form-negotiate"' in page
    token = csrf_of(page)
    missing = client.post(f"/share/requests/{rid}/act", data={"csrf": token, "action": "negotiate"})
    assert missing.status_code == 422 and "“申请协商”需要填写理由" in missing.text
    ok = client.post(
        f"/share/requests/{rid}/act",
        data={"csrf": token, "action": "negotiate", "reason_negotiate": "仅核验身份，不留存"},
    )
    assert ok.status_code == 303 and state_of(console, rid) == "negotiation"
    wrong = client.post(f"/share/requests/{rid}/act", data={"csrf": token, "action": "comply"})
    assert wrong.status_code == 409


def test_the_operator_queue_complies_and_refuses_with_a_reason(console, client):
    rid = new_request(console, comply=False)
    other = new_request(console, comply=False)
    sign_in(client, "op")
    queue = client.get("/share/queue").text
    assert f'id="comply-{rid}"' in queue and "待符合性审查" in queue
    token = csrf_of(queue)
    r = client.post(
        f"/share/requests/{rid}/act", data={"csrf": token, "action": "comply", "next": "/share/queue"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/share/queue"
    assert state_of(console, rid) == "provider_review"
    r = client.post(
        f"/share/requests/{other}/act", data={"csrf": token, "action": "refuse", "reason_refuse": ""}
    )
    assert r.status_code == 422 and "需要填写理由" in r.text
    r = client.post(
        f"/share/requests/{other}/act", data={"csrf": token, "action": "refuse", "reason_refuse": "依据不足"}
    )
    assert r.status_code == 303 and state_of(console, other) == "rejected"
    sign_in(client, "mzu")
    assert client.get("/share/queue").status_code == 403


def test_the_application_form_explains_what_to_fix(console, client):
    sign_in(client, "mzu")
    empty = client.get("/share/cart").text
    assert 'id="cart-empty"' in empty
    page = client.get(f"/catalog/resource/{console.hj}").text
    assert 'id="cart-form"' in page
    token = csrf_of(page)
    r = client.post("/share/cart/add", data={"csrf": token, "code": console.hj, "items": ["姓名"]})
    assert r.status_code == 303 and r.headers["location"] == "/share/cart"
    cart = client.get("/share/cart").text
    assert console.hj in cart and "姓名" in cart and 'id="apply-form"' in cart
    bad = client.post(
        "/share/apply",
        data={"csrf": token, "purpose": "nonsense", "use_from": "2026-05-01", "use_until": "2026-04-01"},
    )
    assert bad.status_code == 422
    for message in (
        "请填写“用途说明”",
        "请填写“申请依据”",
        "结束日期早于开始日期",
        "请至少选择一种共享方式",
        "不是可选的值",
    ):
        assert message in bad.text, message
    client.post("/lang", data={"csrf": token, "lang": "en", "next": "/"})
    en = client.post("/share/apply", data={"csrf": token, "purpose": "other"})
    assert en.status_code == 422 and "Enter What the data is used for." in en.text
    assert "Choose at least one delivery mode." in en.text
    # 公安 cannot put its own resource in a cart
    own = sign_in(type(client)(client.app, follow_redirects=False), "ga")
    page = own.get(f"/catalog/resource/{console.hj}").text
    assert 'id="cart-form"' not in page
    assert own.post("/share/cart/add", data={"csrf": csrf_of(page), "code": console.hj}).status_code == 403


def test_revoking_needs_a_reason_and_stops_delivery(console, client):
    rid = new_request(console)
    with console.db.session() as s:
        grant = apps.act(s, console.world.actor("ga"), rid, "approve").grant_id
    sign_in(client, "ga")
    page = client.get(f"/share/grants/{grant}").text
    token = csrf_of(page)
    missing = client.post(f"/share/grants/{grant}/revoke", data={"csrf": token, "reason": " "})
    assert missing.status_code == 422 and "请填写“理由”" in missing.text
    ok = client.post(f"/share/grants/{grant}/revoke", data={"csrf": token, "reason": "业务已结束"})
    assert ok.status_code == 303
    assert "已撤销" in client.get(f"/share/grants/{grant}").text
    sign_in(client, "mzu")
    refused = client.get(f"/share/grants/{grant}/data")
    assert refused.status_code == 403 and "该授权现在不能提供数据" in refused.text


def test_the_dashboard_shows_flows_decision_times_and_sleeping_data(console, client):
    sign_in(client, "aud")
    page = client.get("/dashboard").text
    flows = page.split('id="section-data_flow"')[1].split("</section>")[0]
    assert 'id="flow-diagram"' in flows and "<path" in flows and "stroke-width" in flows
    assert "杭州市公安局" in flows and "杭州市民政局" in flows and "常住人口户籍信息" in flows
    decisions = page.split('id="section-decision_time"')[1].split("</section>")[0]
    assert 'id="decision-table"' in decisions and "杭州市公安局" in decisions
    sleeping = page.split('id="section-sleeping_data"')[1].split("</section>")[0]
    assert "户籍人口统计信息" in sleeping and "最低生活保障对象信息" in sleeping
    assert "常住人口户籍信息" not in sleeping  # it has been requested
    sj = sign_in(type(client)(client.app, follow_redirects=False), "sj").get("/dashboard").text
    assert 'id="no-flows"' in sj  # 市场监管 is party to no delivery
    public = type(client)(client.app, follow_redirects=False).get("/dashboard").text
    assert 'id="section-data_flow"' not in public and 'id="section-sleeping_data"' not in public


def test_an_administrator_issues_credentials_and_sees_the_secret_once(console, client):
    sign_in(client, "mz")
    listing = client.get("/share/credentials")
    assert listing.status_code == 200 and 'id="tab-credentials"' in listing.text
    token = csrf_of(listing.text)
    empty = client.post("/share/credentials", data={"csrf": token, "name": " "})
    assert empty.status_code == 422 and "请填写“系统名称”" in empty.text
    issued = client.post("/share/credentials", data={"csrf": token, "name": "低保审核系统"})
    assert issued.status_code == 200 and "密钥只显示这一次" in issued.text
    client_id = re.search(r'id="issued-client-id">([^<]+)<', issued.text).group(1)
    secret = re.search(r'id="issued-secret">([^<]+)<', issued.text).group(1)
    assert secret.startswith("htsec_") and issued.headers["cache-control"] == "no-store"
    again = client.get("/share/credentials").text
    assert client_id in again and "低保审核系统" in again and secret not in again
    assert client.get("/api/share/grants", auth=(client_id, secret)).status_code == 200

    user = sign_in(type(client)(client.app, follow_redirects=False), "mzu")  # a data user
    assert 'id="tab-credentials"' not in user.get("/share/grants").text
    assert user.get("/share/credentials").status_code == 403
    refused = user.post("/share/credentials", data={"csrf": csrf_of(user.get("/").text), "name": "x"})
    assert refused.status_code == 403
    other = sign_in(type(client)(client.app, follow_redirects=False), "sj")  # another department
    assert client_id not in other.get("/share/credentials").text
    page = other.get("/share/credentials").text
    assert (
        other.post(f"/share/credentials/{client_id}/revoke", data={"csrf": csrf_of(page)}).status_code == 403
    )

    revoked = client.post(f"/share/credentials/{client_id}/revoke", data={"csrf": token})
    assert revoked.status_code == 303 and revoked.headers["location"] == "/share/credentials?done=cred_revoke"
    after = client.get(revoked.headers["location"]).text
    assert "凭证已吊销" in after and "已吊销" in after and f'id="revoke-{client_id}"' not in after
    assert client.get("/api/share/grants", auth=(client_id, secret)).status_code == 401


def subscription_grant(console) -> int:
    form = application(console.hj, ["姓名"])
    form.modes = ["query", "subscription"]
    with console.db.session() as s:
        rid = apps.submit(s, console.world.actor("mz"), form).requests[0].id
        apps.act(s, console.world.actor("op"), rid, "comply")
        return apps.act(s, console.world.actor("ga"), rid, "approve").grant_id


def test_the_consumer_administrator_adds_and_stops_a_subscription(console, client):
    grant = subscription_grant(console)
    sign_in(client, "mz")
    page = client.get(f"/share/grants/{grant}").text
    assert 'id="subscription-form"' in page and 'id="no-subscriptions"' in page
    token = csrf_of(page)
    bad = client.post(
        f"/share/grants/{grant}/subscriptions", data={"csrf": token, "url": "ftp://x.example/h"}
    )
    assert bad.status_code == 422 and "回调地址须是以 http:// 或 https:// 开头的完整网址" in bad.text
    ok = client.post(
        f"/share/grants/{grant}/subscriptions", data={"csrf": token, "url": "https://mz.example/hook"}
    )
    assert ok.status_code == 303 and ok.headers["location"] == f"/share/grants/{grant}?done=subscribe"
    shown = client.get(ok.headers["location"]).text
    assert "订阅已添加" in shown and "https://mz.example/hook" in shown and "生效中" in shown
    sid = int(re.search(r'id="stop-(\d+)"', shown).group(1))

    # the provider, another department and the consumer's data user may not touch it
    for who, status in (("ga", 403), ("sj", 403), ("mzu", 403)):
        other = sign_in(type(client)(client.app, follow_redirects=False), who)
        token_other = csrf_of(other.get("/share/grants").text)
        assert (
            other.post(f"/share/subscriptions/{sid}/stop", data={"csrf": token_other}).status_code == status
        )
        seen = other.get(f"/share/grants/{grant}")
        assert 'id="subscriptions"' not in seen.text
        if who == "sj":
            assert seen.status_code == 404
            r = other.post(
                f"/share/grants/{grant}/subscriptions",
                data={"csrf": token_other, "url": "https://sj.example/h"},
            )
            assert r.status_code in (403, 404)

    stopped = client.post(f"/share/subscriptions/{sid}/stop", data={"csrf": token})
    assert stopped.status_code == 303
    after = client.get(stopped.headers["location"]).text
    assert "订阅已停止" in after and "已停止" in after and f'id="stop-{sid}"' not in after
    client.post("/lang", data={"csrf": token, "lang": "en", "next": "/"})
    en = client.post(f"/share/grants/{grant}/subscriptions", data={"csrf": token, "url": "hook"})
    assert en.status_code == 422 and "must be a full address starting with http://" in en.text


def test_a_grant_without_subscription_mode_offers_no_subscription_form(console, client):
    sign_in(client, "mz")
    page = client.get(f"/share/grants/{console.grant}").text
    assert 'id="no-subscription-mode"' in page and 'id="subscription-form"' not in page
