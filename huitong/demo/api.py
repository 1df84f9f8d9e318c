"""公安's 流动人口 system as the small JSON API the demo serves itself while it loads: paged, behind
a token, answering in the envelope such systems use ({"code": 0, "data": {"items": [...]}})."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from huitong.demo.sources import SourcePlan

PATH = "/api/ldrk/v1/records"


def _handler(items: list[dict], token: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            if url.path != PATH:
                return self._send(404, {"code": 404, "msg": "无此接口"})
            if self.headers.get("Authorization") != f"Bearer {token}":
                return self._send(401, {"code": 401, "msg": "令牌无效"})
            query = parse_qs(url.query)
            page, size = int(query.get("page", ["1"])[0]), min(int(query.get("size", ["100"])[0]), 500)
            chunk = items[(page - 1) * size : page * size]
            self._send(200, {"code": 0, "msg": "成功", "data": {"total": len(items), "items": chunk}})

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def migrant_api(json_file: Path) -> Iterator[SourcePlan]:
    """Serve the records of 公安's 流动人口 JSON export as a paged API on a free local port, for as
    long as the block runs, and say how to load from it (an ``api`` source with a token)."""
    items = json.loads(json_file.read_text(encoding="utf-8"))["data"]["items"]
    token = secrets.token_urlsafe(16)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(items, token))
    thread = threading.Thread(target=server.serve_forever, name="demo-api", daemon=True)
    thread.start()
    try:
        yield SourcePlan(
            "ga-ldrk-api",
            "ga",
            "流动人口居住登记信息",
            "api",
            {
                "url": f"http://127.0.0.1:{server.server_port}{PATH}",
                "token": token,
                "records_path": "data.items",
                "paging": {"style": "page", "size": 200, "total_path": "data.total"},
            },
            mode="upsert",
        )
    finally:
        server.shutdown()
        server.server_close()
