"""The console's session: one signed, HttpOnly, SameSite=Lax cookie.

It holds the CSRF token, the chosen language and, once signed in, an ordinary API token
(issued at login, revoked at logout), so a page authenticates exactly as a REST call with
``Authorization: Bearer`` does: same expiry, revocation and disabled-account checks. The
signing key is derived from the node's subject-lookup key, so every server process of a
node accepts the same cookies and nothing new is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "huitong_session"
_FALLBACK_KEY = secrets.token_bytes(32)  # a database without keys (never in a real node): per process


def signing_key(request: Request) -> bytes:
    cached = getattr(request.app.state, "console_key", None)
    if cached is None:
        secret = getattr(request.app.state.db, "subject_secret", None) or _FALLBACK_KEY
        cached = hmac.new(secret, b"huitong web console session v1", hashlib.sha256).digest()
        request.app.state.console_key = cached
    return cached


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, data: dict[str, Any]) -> str:
    body = _b64(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def unsign(key: bytes, value: str | None) -> dict[str, Any] | None:
    """The cookie's content, or None when it is missing, malformed or not signed by ``key``."""
    if not value or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@dataclass
class ConsoleSession:
    data: dict[str, Any] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def load(cls, request: Request) -> ConsoleSession:
        found = getattr(request.state, "console_session", None)
        if found is None:
            found = cls(unsign(signing_key(request), request.cookies.get(COOKIE)) or {})
            request.state.console_session = found
        return found

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        if self.data.get(key) != value:
            self.data[key] = value
            self.dirty = True

    def csrf(self) -> str:
        token = self.data.get("csrf")
        if not token:
            token = secrets.token_urlsafe(24)
            self.set("csrf", token)
        return token

    def csrf_ok(self, sent: object) -> bool:
        token = self.data.get("csrf")
        return bool(token) and isinstance(sent, str) and hmac.compare_digest(token, sent)

    def sign_in(self, token_secret: str, username: str) -> None:
        """A new CSRF token too: a token planted before sign-in is useless afterwards."""
        self.set("tok", token_secret)
        self.set("user", username)
        self.set("csrf", secrets.token_urlsafe(24))

    def sign_out(self) -> None:
        for key in ("tok", "user"):
            if key in self.data:
                del self.data[key]
                self.dirty = True
        self.set("csrf", secrets.token_urlsafe(24))

    def write(self, request: Request, response: Response) -> None:
        if not self.dirty:
            return
        response.set_cookie(
            COOKIE,
            sign(signing_key(request), self.data),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
