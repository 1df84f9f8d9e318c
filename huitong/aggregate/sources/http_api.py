"""HTTP JSON APIs: a department's interface (接口) read page by page.

Paging styles, as government APIs implement them:

* ``page``: ``?pageNo=1&pageSize=100`` …, until a page comes back short or empty;
* ``offset``: ``?offset=0&limit=100`` …, likewise;
* ``cursor``: the response carries the token for the next page (``cursor_path``, e.g.
  "data.nextCursor"), sent back as ``cursor_param``; it ends when the token is empty.  A token
  that comes back twice is an error rather than an endless loop.

Temporary failures (HTTP 5xx, 429, connection errors and timeouts) are retried with
exponential back-off, honouring ``Retry-After``; anything else is refused at once with a message
naming the request.  The token travels in a header only: it is never put in a URL, a log line or
an error message, and query parameters that look secret (key, token, secret, sign, password)
are shown as ``***``.

Incremental reads: ``since_param`` sends the last ``watermark``; after a full read the source's
``watermark`` is the greatest ``watermark_field`` value seen.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from huitong.aggregate.sources.base import DEFAULT_BATCH_SIZE, Description, Row, Source, chunked, register
from huitong.aggregate.sources.json_file import columns_of
from huitong.aggregate.sources.records import find_records, flatten, get_path, parse_path, type_name
from huitong.errors import HuitongError, Problem, invalid

log = logging.getLogger("huitong.aggregate.http")
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
SECRET_PARAM = re.compile(r"key|token|secret|sign|passw|pwd|auth", re.IGNORECASE)
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class Paging:
    """How to ask for the next page; see the module docstring."""

    style: str | None = None  # None, "page", "offset" or "cursor"
    size: int = 100
    page_param: str = "page"
    size_param: str = "size"
    first_page: int = 1
    offset_param: str = "offset"
    limit_param: str = "limit"
    cursor_param: str = "cursor"
    cursor_path: str = "next"
    total_path: str | None = None  # where the response says how many records there are, if it does

    @classmethod
    def of(cls, spec: str | dict[str, Any] | None) -> Paging:
        if spec is None or isinstance(spec, Paging):
            return spec or cls()
        if isinstance(spec, str):
            spec = {"style": spec}
        if not isinstance(spec, dict):
            raise invalid(f"paging must be 'page', 'offset', 'cursor' or a table of options, got {spec!r}")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(spec) - known)
        if unknown:
            raise invalid(
                f"unknown paging option(s) {', '.join(unknown)}; accepted: {', '.join(sorted(known))}"
            )
        paging = cls(**spec)
        if paging.style not in (None, "page", "offset", "cursor"):
            raise invalid(f"paging style must be page, offset or cursor, got {paging.style!r}")
        if not isinstance(paging.size, int) or paging.size < 1:
            raise invalid(f"paging size must be a positive whole number, got {paging.size!r}")
        return paging


def display_url(url: str, params: dict[str, Any] | None = None) -> str:
    """The URL as messages show it: parameters that look secret are masked."""
    parts = urlsplit(url)
    query = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in parts.query.split("&") if p]
    query += [(str(k), str(v)) for k, v in (params or {}).items()]
    shown = [(k, "***" if SECRET_PARAM.search(k) else v) for k, v in query]
    netloc = parts.netloc.rsplit("@", 1)[-1]  # never show user:password@
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(shown, safe="*/:"), ""))


@register("http")
@register("api")
class HttpSource(Source):
    """Records from a JSON API.

    Options: ``url``; ``method`` (GET or POST); ``params`` (query), ``body`` (JSON body for POST;
    paging parameters go in the query unless ``paging_in_body``); ``headers``; ``token`` with
    ``token_header`` ("Authorization" → "Bearer <token>", any other header carries the token
    as is); ``records_path``; ``paging`` ("page"/"offset"/"cursor" or a table of
    :class:`Paging` options); ``timeout`` (seconds); ``retries`` and ``backoff`` (first wait,
    doubling); ``max_pages`` (a guard against an API that never stops); ``since_param``,
    ``watermark``, ``watermark_field`` for incremental reads; ``name`` for messages.
    """

    kind = "http"

    def __init__(
        self,
        *,
        url: str,
        method: str = "GET",
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        paging_in_body: bool = False,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        token_header: str = "Authorization",
        records_path: str | None = None,
        paging: str | dict[str, Any] | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_pages: int = 100_000,
        since_param: str | None = None,
        watermark: Any = None,
        watermark_field: str | None = None,
        verify: bool = True,
        name: str | None = None,
    ):
        if urlsplit(url).scheme not in ("http", "https"):
            raise invalid(f"url must start with http:// or https://, got {display_url(url)!r}")
        self.method = method.upper()
        if self.method not in ("GET", "POST"):
            raise invalid(f"method must be GET or POST, got {method!r}")
        self.url = url
        self.params = dict(params or {})
        self.body = body
        self.paging_in_body = paging_in_body
        self.paging = Paging.of(paging)
        self.records_path = records_path
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_pages = max_pages
        self.since_param = since_param
        self.watermark = watermark
        self.watermark_field = watermark_field
        self.name = name or f"{self.method} {display_url(url)}"
        self._token = token
        self._headers = {"Accept": "application/json", **(headers or {})}
        if token:
            self._headers[token_header] = (
                f"Bearer {token}" if token_header.lower() == "authorization" else token
            )
        self._verify = verify
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:  # never the token
        return f"HttpSource({self.name!r})"

    # -------------------------------------------------------------- requests

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                headers=self._headers, timeout=self.timeout, verify=self._verify, follow_redirects=True
            )
        return self._client

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _fail(self, shown: str, message: str, status: int = 502) -> HuitongError:
        message = self._redact(message)
        return HuitongError(
            f"{shown}: {message}",
            code="source_failed",
            problems=[Problem(message, file=self.name)],
            status=status,
        )

    def _request(self, extra: dict[str, Any]) -> Any:
        params = dict(self.params)
        body = dict(self.body) if self.body is not None else None
        if self.paging_in_body and body is not None:
            body.update(extra)
        else:
            params.update(extra)
        shown = f"{self.method} {display_url(self.url, params)}"
        attempt = 0
        while True:
            attempt += 1
            log.debug("request %s (attempt %d)", shown, attempt)
            try:
                response = self._http().request(self.method, self.url, params=params, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self.timeout:g} s"
                response = None
            except httpx.TransportError as exc:
                problem = f"cannot connect ({type(exc).__name__})"
                response = None
            if response is not None and response.status_code not in RETRY_STATUS:
                break
            if response is not None:
                problem = f"HTTP {response.status_code} {response.reason_phrase}"
            if attempt > self.retries:
                tries = f"{attempt} attempt{'s' if attempt > 1 else ''}"
                raise self._fail(shown, f"failed after {tries}: {problem}")
            wait = self.backoff * 2 ** (attempt - 1)
            if response is not None and (after := response.headers.get("Retry-After", "")).strip().isdigit():
                wait = min(float(after), MAX_RETRY_AFTER)
            log.info("%s: %s; retrying in %.2f s", shown, problem, wait)
            time.sleep(wait)
        if response.status_code >= 400:
            hint = {
                401: " (check the token)",
                403: " (the token may not read this)",
                404: " (check the URL)",
            }.get(response.status_code, "")
            snippet = response.text[:200].strip()
            detail = f": {snippet}" if snippet and response.status_code not in (401, 403) else ""
            raise self._fail(
                shown, f"refused with HTTP {response.status_code} {response.reason_phrase}{hint}{detail}"
            )
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            snippet = response.text[:80].strip()
            raise self._fail(shown, f"the answer is {kind}, not JSON: {snippet!r}") from None

    # -------------------------------------------------------------- pages

    def _pages(self) -> Iterator[tuple[int, list[Any]]]:
        p = self.paging
        base: dict[str, Any] = {}
        if self.since_param and self.watermark is not None:
            base[self.since_param] = self.watermark
        page, offset, cursor, seen_cursors, total_read = p.first_page, 0, None, set(), 0
        path: str | tuple[str | int, ...] | None = self.records_path
        for number in range(1, self.max_pages + 1):
            extra = dict(base)
            if p.style == "page":
                extra |= {p.page_param: page, p.size_param: p.size}
            elif p.style == "offset":
                extra |= {p.offset_param: offset, p.limit_param: p.size}
            elif p.style == "cursor" and cursor is not None:
                extra[p.cursor_param] = cursor
            doc = self._request(extra)
            # the path found on the first page holds for the rest (a last page may be an empty list)
            path, records = find_records(doc, path, source=self.name)
            yield number, records
            total_read += len(records)
            if p.style is None or not records:
                return
            if p.style in ("page", "offset"):
                total = self._total(doc)
                if len(records) < p.size or (total is not None and total_read >= total):
                    return
                page, offset = page + 1, offset + len(records)
            else:
                found, token = get_path(doc, parse_path(p.cursor_path))
                if not found or token in (None, "", 0, False):
                    return
                if token in seen_cursors:
                    raise self._fail(
                        self.name, f"the API returned the cursor {token!r} twice; paging would never end"
                    )
                seen_cursors.add(token)
                cursor = token
        raise self._fail(
            self.name,
            f"stopped after {self.max_pages} pages: the API kept returning more; check the paging options",
        )

    def _total(self, doc: Any) -> int | None:
        if not self.paging.total_path:
            return None
        found, value = get_path(doc, parse_path(self.paging.total_path))
        try:
            return int(value) if found else None
        except (TypeError, ValueError):
            return None

    def _rows(self) -> Iterator[Row]:
        number = 0
        newest = self.watermark
        for page, records in self._pages():
            for item, record in enumerate(records, start=1):
                number += 1
                row = Row({}, number, self.name, key=f"page {page}, item {item}")
                if isinstance(record, dict):
                    row.values = flatten(record)
                    if self.watermark_field:
                        newest = self._newer(newest, row.values.get(self.watermark_field))
                else:
                    row.problems.append(
                        row.problem(f"the record is {type_name(record)}, not an object", value=record)
                    )
                yield row
        self.watermark = newest

    def _newer(self, current: Any, value: Any) -> Any:
        if value is None:
            return current
        if current is None:
            return value
        try:
            return value if value > current else current
        except TypeError:
            raise self._fail(
                self.name, f"{self.watermark_field} values cannot be compared: {current!r} and {value!r}"
            ) from None

    # -------------------------------------------------------------- Source

    def describe(self) -> Description:
        _, records = next(self._pages())
        sample = [flatten(r) for r in records if isinstance(r, dict)]
        return Description(kind=self.kind, source=self.name, columns=columns_of(sample))

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Row]]:
        yield from chunked(self._rows(), batch_size)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
