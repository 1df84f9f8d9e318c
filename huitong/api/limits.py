"""Request bodies have a size limit, checked before they are read, not after.

An objection's evidence may be 5 MB; without a limit at the edge a client could send 500 MB of
JSON and the server would read and parse all of it before the service said "too large". This
pure ASGI layer answers 413 from the ``Content-Length`` header alone, and stops a body sent
without one (chunked) as soon as it passes the limit. Limits are per path prefix, the longest
prefix wins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException

MB = 1024 * 1024
DEFAULT_LIMIT = 64 * MB  # catalog workbooks are the largest bodies the API takes
LIMITS = {
    "/api/quality/objections": 8 * MB,  # 5 MB of evidence, base64 in JSON
    "/objections": 6 * MB,  # the console's form: 5 MB of evidence, multipart
    "/api/classify/discover": 51 * MB,  # a department's export, checked before it is sent
    "/api/quality/rules": 2 * MB,  # a rule file is text a person keeps in version control
    "/quality/resource": 2 * MB,  # ... and the console's editor of it
}


class _TooLarge(HTTPException):
    """An HTTP error, so a framework that reads the body and wraps what goes wrong (FastAPI turns
    other errors into 400) passes it through as the 413 it is."""

    def __init__(self, limit: int):
        super().__init__(413, _message(limit))


class BodyLimit:
    def __init__(self, app, limits: Mapping[str, int] | None = None, default: int = DEFAULT_LIMIT):
        self.app = app
        self.limits = sorted((limits if limits is not None else LIMITS).items(), key=lambda kv: -len(kv[0]))
        self.default = default

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            return await _refuse(send, limit)
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracked(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await _refuse(send, limit)


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _message(limit: int) -> str:
    return f"the request body is larger than the {limit // MB} MB this address takes"


async def _refuse(send, limit: int) -> None:
    body = json.dumps({"error": "too_large", "message": _message(limit)}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
