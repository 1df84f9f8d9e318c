"""HTTP JSON APIs against a server run by the test: paging styles, retries, refusals, secrets."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from huitong.aggregate.sources import open_source
from huitong.errors import HuitongError
from tests.aggregate.helpers import problems, read_all

TOKEN = "htk_s3cret-Token-value"
PEOPLE = [{"id": i, "name": f"居民{i}", "updated": f"2025-01-{i:02d}T08:00:00"} for i in range(1, 26)]


def ok(body):
    return 200, {}, body


def test_page_and_size_paging_with_records_path(api):
    @api.route("/people")
    def people(req):
        page, size = int(req.query["pageNo"]), int(req.query["pageSize"])
        chunk = PEOPLE[(page - 1) * size : page * size]
        return ok({"code": 0, "data": {"total": len(PEOPLE), "list": chunk}})

    source = open_source(
        "http",
        url=api.url("/people"),
        records_path="data.list",
        paging={"style": "page", "page_param": "pageNo", "size_param": "pageSize", "size": 10},
    )
    rows = read_all(source, batch_size=7)
    assert [r.values["id"] for r in rows] == list(range(1, 26))
    assert [(r.row, r.key) for r in rows][-1] == (25, "page 3, item 5")
    assert [req.query["pageNo"] for req in api.seen] == ["1", "2", "3"]
    assert rows[0].file == f"GET {api.base}/people"


def test_offset_and_limit_paging_stops_on_the_total(api):
    @api.route("/items")
    def items(req):
        offset, limit = int(req.query["offset"]), int(req.query["limit"])
        return ok({"total": 20, "rows": PEOPLE[:20][offset : offset + limit]})

    source = open_source(
        "api", url=api.url("/items"), paging={"style": "offset", "size": 10, "total_path": "total"}
    )
    rows = read_all(source)
    assert len(rows) == 20
    # 20 records in pages of 10: the total says there is no third page to ask for
    assert [req.query["offset"] for req in api.seen] == ["0", "10"]


def test_offset_paging_without_total_ends_on_an_empty_page(api):
    api.route("/items")(lambda req: ok(PEOPLE[:20][int(req.query["offset"]) : int(req.query["offset"]) + 10]))
    rows = read_all(open_source("http", url=api.url("/items"), paging={"style": "offset", "size": 10}))
    assert len(rows) == 20
    assert [req.query["offset"] for req in api.seen] == ["0", "10", "20"]


def test_cursor_paging(api):
    @api.route("/feed")
    def feed(req):
        start = int(req.query.get("cursor", "0"))
        nxt = start + 10 if start + 10 < len(PEOPLE) else None
        return ok(
            {"data": {"items": PEOPLE[start : start + 10], "nextCursor": None if nxt is None else str(nxt)}}
        )

    source = open_source(
        "http",
        url=api.url("/feed"),
        records_path="data.items",
        paging={"style": "cursor", "cursor_path": "data.nextCursor"},
    )
    rows = read_all(source)
    assert [r.values["id"] for r in rows] == list(range(1, 26))
    assert [req.query.get("cursor") for req in api.seen] == [None, "10", "20"]


def test_a_cursor_that_repeats_is_an_error_not_a_loop(api):
    api.route("/loop")(lambda req: ok({"items": [{"a": 1}], "next": "abc"}))
    with pytest.raises(HuitongError) as caught:
        read_all(open_source("http", url=api.url("/loop"), paging="cursor"))
    assert "the API returned the cursor 'abc' twice" in caught.value.message
    assert [req.query.get("cursor") for req in api.seen] == [None, "abc"]


def test_500_then_success_is_retried(api):
    calls = []

    @api.route("/flaky")
    def flaky(req):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return 500, {}, {"error": "数据库连接失败"}
        return ok([{"id": 1}, {"id": 2}])

    rows = read_all(open_source("http", url=api.url("/flaky"), backoff=0.05))
    assert [r.values for r in rows] == [{"id": 1}, {"id": 2}]
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.05  # it waited before trying again


def test_429_honours_retry_after(api):
    calls = []

    @api.route("/busy")
    def busy(req):
        calls.append(1)
        return (429, {"Retry-After": "0"}, {"error": "too many"}) if len(calls) < 3 else ok([{"a": 1}])

    assert len(read_all(open_source("http", url=api.url("/busy"), backoff=5))) == 1  # Retry-After: 0 wins
    assert len(calls) == 3


def test_retries_run_out(api):
    api.route("/down")(lambda req: (503, {}, "maintenance"))
    with pytest.raises(HuitongError) as caught:
        read_all(open_source("http", url=api.url("/down"), retries=2, backoff=0.01))
    assert (
        caught.value.message == f"GET {api.base}/down: failed after 3 attempts: HTTP 503 Service Unavailable"
    )
    assert caught.value.code == "source_failed"
    assert len(api.seen) == 3


def test_timeout_is_retried_then_reported(api):
    def slow(req):
        time.sleep(0.5)
        return ok([])

    api.route("/slow")(slow)
    with pytest.raises(HuitongError) as caught:
        read_all(open_source("http", url=api.url("/slow"), timeout=0.1, retries=1, backoff=0.01))
    assert caught.value.message.endswith("failed after 2 attempts: no answer within 0.1 s")


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once the socket is closed
    with pytest.raises(HuitongError, match=r"failed after 1 attempt: cannot connect \(ConnectError\)"):
        read_all(open_source("http", url=f"http://127.0.0.1:{port}/x", retries=0))


def test_401_is_refused_at_once_and_the_token_never_shows(api, caplog):
    caplog.set_level(logging.DEBUG)

    @api.route("/secure")
    def secure(req):
        if req.headers.get("authorization") != "Bearer right-token":
            return 401, {}, {"error": f"invalid token {req.headers.get('authorization')}"}
        return ok([{"a": 1}])

    source = open_source("http", url=api.url("/secure"), token=TOKEN, retries=3)
    with pytest.raises(HuitongError) as caught:
        read_all(source)
    err = caught.value
    assert err.message == f"GET {api.base}/secure: refused with HTTP 401 Unauthorized (check the token)"
    assert len(api.seen) == 1  # a 4xx is not retried
    assert api.seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    for text in (str(err), repr(err.problems), repr(source), caplog.text):
        assert TOKEN not in text
    assert read_all(open_source("http", url=api.url("/secure"), token="right-token"))[0].values == {"a": 1}


def test_header_token_and_masked_secret_parameters(api):
    @api.route("/k")
    def keyed(req):
        if req.headers.get("x-api-key") != TOKEN:
            return 403, {}, "forbidden"
        return 404, {}, {"msg": "接口不存在"}

    with pytest.raises(HuitongError) as caught:
        read_all(
            open_source(
                "http",
                url=api.url("/k"),
                token=TOKEN,
                token_header="X-Api-Key",
                params={"appKey": "k-123", "q": "1"},
            )
        )
    assert caught.value.message == (
        f'GET {api.base}/k?appKey=***&q=1: refused with HTTP 404 Not Found (check the URL): {{"msg": "接口不存在"}}'
    )
    assert api.seen[0].query["appKey"] == "k-123"  # masked in messages only


def test_non_json_answer(api):
    api.route("/html")(lambda req: (200, {}, "<html><body>系统维护中</body></html>"))
    with pytest.raises(HuitongError) as caught:
        read_all(open_source("http", url=api.url("/html")))
    assert caught.value.message == (
        f"GET {api.base}/html: the answer is text/html, not JSON: '<html><body>系统维护中</body></html>'"
    )


def test_post_with_paging_in_the_body(api):
    @api.route("/query")
    def query(req):
        page = req.body["page"]
        assert req.body["district"] == "西湖区"
        return ok({"records": PEOPLE[(page - 1) * 10 : page * 10]})

    source = open_source(
        "http",
        url=api.url("/query"),
        method="POST",
        body={"district": "西湖区"},
        paging_in_body=True,
        paging={"style": "page", "size": 10},
    )
    assert len(read_all(source)) == 25


def test_incremental_reads_with_a_watermark(api):
    @api.route("/changes")
    def changes(req):
        since = req.query.get("updatedAfter", "")
        return ok([p for p in PEOPLE if p["updated"] > since])

    first = open_source(
        "http", url=api.url("/changes"), since_param="updatedAfter", watermark_field="updated"
    )
    assert len(read_all(first)) == 25
    assert first.watermark == "2025-01-25T08:00:00"
    assert "updatedAfter" not in api.seen[0].query

    PEOPLE.append({"id": 26, "name": "新居民", "updated": "2025-02-01T09:00:00"})
    try:
        again = open_source(
            "http",
            url=api.url("/changes"),
            since_param="updatedAfter",
            watermark_field="updated",
            watermark=first.watermark,
        )
        rows = read_all(again)
    finally:
        PEOPLE.pop()
    assert [r.values["id"] for r in rows] == [26]
    assert again.watermark == "2025-02-01T09:00:00"
    assert api.seen[-1].query["updatedAfter"] == "2025-01-25T08:00:00"


def test_describe_reads_one_page_and_records_that_are_not_objects_are_reported(api):
    api.route("/m")(lambda req: ok({"data": [{"id": 1, "addr": {"city": "杭州"}}, "oops"]}))
    source = open_source("http", url=api.url("/m"))
    assert source.describe().names == ["id", "addr.city"]
    assert len(api.seen) == 1
    rows = read_all(source)
    assert problems(rows) == [(2, None, "the record is text, not an object (page 1, item 2)")]


def test_bad_configuration_is_refused_before_any_request():
    with pytest.raises(HuitongError, match="url must start with http:// or https://"):
        open_source("http", url="ftp://example.org/x")
    with pytest.raises(HuitongError, match="paging style must be page, offset or cursor"):
        open_source("http", url="http://127.0.0.1/x", paging="pages")
    with pytest.raises(HuitongError, match="unknown paging option"):
        open_source("http", url="http://127.0.0.1/x", paging={"style": "page", "pagesize": 10})
