"""The issue's stories end to end: an overdue request across a holiday, a revoked grant stopping a
consumer mid-stream, a webhook that fails twice and lands on the third try, and a property test
that nothing outside a live grant is ever delivered."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong import workdays as calendar
from huitong.db.base import utcnow
from huitong.errors import Forbidden, HuitongError
from huitong.share import applications as apps
from huitong.share import delivery, grants, subscriptions
from huitong.share.grants import Conditions
from huitong.share.tables import Grant, ShareRequest
from tests.share.conftest import ITEMS, PEOPLE


def test_a_request_filed_before_national_day_falls_due_after_it_and_is_then_flagged(sharing):
    rid = sharing.apply()
    filed = datetime(2026, 9, 30, 2, tzinfo=UTC)  # 10:00 Beijing time, the eve of 国庆
    with sharing.db.session() as s:
        req = s.get(ShareRequest, rid)
        req.state_since, req.due_at = filed, calendar.deadline(filed, 2)
    with sharing.db.session() as s:
        req = s.get(ShareRequest, rid)
        assert req.due_at.astimezone(calendar.CHINA).date().isoformat() == "2026-10-09"
        on_oct_8 = apps.request_dict(req, now=datetime(2026, 10, 8, 4, tzinfo=UTC))
        assert on_oct_8["overdue"] is False and on_oct_8["working_days_left"] == 1
        on_oct_12 = apps.request_dict(req, now=datetime(2026, 10, 12, 4, tzinfo=UTC))
        assert on_oct_12["overdue"] is True and on_oct_12["working_days_left"] == -2  # 10th is a 调休 workday
        assert [r.id for r in apps.list_requests(s, sharing.actor("op"), overdue_only=True)] == [rid]


def test_a_revoked_grant_stops_a_consumer_paging_through_the_data(sharing):
    gid = sharing.granted(items=["公民身份号码", "姓名"])
    first = delivery.query(sharing.db, sharing.store, sharing.actor("mz"), gid, limit=2)
    assert first["count"] == 2
    with sharing.db.session() as s:
        grants.revoke(s, sharing.actor("ga"), gid, "发现超范围使用")
    with pytest.raises(Forbidden, match="revoked"):
        delivery.query(
            sharing.db,
            sharing.store,
            sharing.actor("mz"),
            gid,
            limit=2,
            offset=2,
            snapshot_id=int(first["snapshot_id"]),
        )
    with pytest.raises(Forbidden, match="revoked"):
        delivery.verify(
            sharing.db,
            sharing.store,
            sharing.actor("mz"),
            gid,
            {"公民身份号码": PEOPLE[0][0], "姓名": "张三"},
        )


class Flaky(BaseHTTPRequestHandler):
    answers: list = []
    got: list = []

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        code = self.answers.pop(0) if self.answers else 204
        self.got.append(code)
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_webhook_that_fails_twice_is_delivered_on_the_third_try(sharing):
    Flaky.answers, Flaky.got = [500, 502], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        gid = sharing.granted()
        with sharing.db.session() as s:
            subscriptions.subscribe(s, sharing.actor("mz"), gid, f"http://127.0.0.1:{server.server_port}/h")
            assert subscriptions.on_new_version(s, sharing.code, 2, 1, {}) == 1
        now = utcnow()
        assert subscriptions.dispatch(sharing.db, now=now)["retry"] == 1
        assert subscriptions.dispatch(sharing.db, now=now + timedelta(seconds=31))["retry"] == 1
        assert (
            subscriptions.dispatch(sharing.db, now=now + timedelta(seconds=62))["retry"] == 0
        )  # backs off 60 s
        assert subscriptions.dispatch(sharing.db, now=now + timedelta(seconds=92))["delivered"] == 1
        assert Flaky.got == [500, 502, 204]
    finally:
        server.shutdown()


NAMES = [it.name for it in ITEMS]
DISTRICTS = ["330106", "330110"]


@settings(max_examples=12, suppress_health_check=list(HealthCheck), deadline=None)
@given(
    items=st.lists(st.sampled_from(NAMES), min_size=1, unique=True),
    scope=st.one_of(st.none(), st.sampled_from(DISTRICTS)),
    state=st.sampled_from(["live", "revoked", "expired"]),
    who=st.sampled_from(["mz", "mzu", "sj", "ga"]),
    wanted=st.one_of(st.none(), st.sampled_from(DISTRICTS)),
)
def test_nothing_outside_a_live_grant_is_ever_delivered(shared_sharing, items, scope, state, who, wanted):
    sh = shared_sharing
    rid = sh.apply()
    sh.act(rid, "op", "comply")
    _, gid = sh.act(
        rid,
        "ga",
        "approve",
        conditions=Conditions(
            items=items,
            row_filter={"区划代码": scope} if scope else None,
            treatments={n: "clear" for n in items},
        ),
    )
    if state == "revoked":
        with sh.db.session() as s:
            grants.revoke(s, sh.actor("ga"), gid, "测试")
    elif state == "expired":
        with sh.db.session() as s:
            s.get(Grant, gid).valid_until = utcnow() - timedelta(seconds=1)
    consumer = who in ("mz", "mzu")
    filt = {"区划代码": wanted} if wanted and "区划代码" in items else None
    try:
        page = delivery.query(sh.db, sh.store, sh.actor(who), gid, filter=filt)
    except HuitongError:
        assert not (consumer and state == "live")
        return
    assert consumer and state == "live", "delivered outside a live grant or to another department"
    for row in page["rows"]:
        assert set(row) <= set(items)
    everyone = {p[0]: p for p in PEOPLE}
    if scope and "公民身份号码" in items:
        assert all(everyone[r["公民身份号码"]][4] == scope for r in page["rows"])
    expected = [p for p in PEOPLE if (not scope or p[4] == scope) and (not filt or p[4] == wanted)]
    assert page["count"] == len(expected)
