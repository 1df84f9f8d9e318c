"""Delivery of the granted view over HTTP (数据服务): filtered queries, key lookups,
verification (数据核验), batch extracts and change sets, for people and consumer systems.

Lookups and verifications are the calls made most, and a route is found by trying each in
turn, so these routes come first in the application. Those two run on the event loop as plain
Starlette endpoints (:data:`HOT_ROUTES`): the body is checked here, with the same error shape,
the answer is written without FastAPI's encoding layer, and only the evidence's group commit is
awaited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.routing import Route

from huitong.access import Actor
from huitong.api.deps import bearer, current_actor, database, record_use
from huitong.api.routes.aggregate import store_of
from huitong.errors import Problem, invalid
from huitong.share import delivery

router = APIRouter(prefix="/api/share", tags=["deliver"])


class VerifyIn(BaseModel):
    values: dict[str, Any] = Field(
        description="the key item(s) and the items to compare, e.g. 公民身份号码 and 姓名"
    )


class VerifyOut(BaseModel):
    result: str = Field(description="match, no_match or not_found")
    items: dict[str, str] = Field(description="per compared item: match or no_match")
    snapshot_id: str = Field(description="the version answered from")
    disputed: bool = Field(False, description="present and true when the record is under objection (异议)")
    evidence: int = Field(description="the ledger entry recording this verification")


class RecordOut(BaseModel):
    grant: int
    resource: str
    snapshot_id: str
    found: bool
    rows: list[dict[str, Any]] = Field(
        description="the record as granted and masked, or none; _disputed when under objection (异议)"
    )
    quality: dict[str, Any] = Field(description="score, open_objections and resource_disputed")
    evidence: int


class QueryIn(BaseModel):
    filter: dict[str, Any] | None = None
    limit: int = 100
    offset: int = 0
    snapshot_id: int | None = None


def _extracts(request: Request) -> Path:
    settings = request.app.state.settings
    base = Path(settings.data_dir) if settings is not None else Path("huitong-data")
    return base / "extracts"


def _verify_values(body: bytes) -> dict[str, Any]:
    """The ``values`` of a verification request, or a 422 naming what is wrong."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid("the request body is not valid", Problem(f"not JSON: {exc}", field="body")) from None
    values = parsed.get("values") if isinstance(parsed, dict) else None
    if not isinstance(values, dict):
        raise invalid(
            "the request body is not valid",
            Problem(
                'give {"values": {item: value, ...}} with the key and the items to compare', field="values"
            ),
        )
    return values


def _caller(request: Request, grant_id: int) -> tuple[Actor, delivery.GrantNow | None]:
    """Who is asking, and for a consumer system also the grant's state, read together."""
    presented = bearer(request)
    if presented is None or presented[0] != "basic":
        return current_actor(request), None
    db = database(request)
    client_id, _, secret = presented[1].partition(":")
    actor, stale, now = delivery.caller_and_grant(db, client_id, secret, grant_id)
    if stale:
        record_use(db, presented)
    return actor, now


async def serve_lookup(request: Request) -> JSONResponse:
    p = request.path_params
    grant_id = int(p["grant_id"])
    actor, now = _caller(request, grant_id)
    answer, ticket = delivery.lookup_start(
        database(request), store_of(request), actor, grant_id, p["key"], now
    )
    return JSONResponse(answer | {"evidence": await ticket.wait()})


async def serve_verify(request: Request) -> JSONResponse:
    values = _verify_values(await request.body())
    grant_id = int(request.path_params["grant_id"])
    actor, now = _caller(request, grant_id)
    answer, ticket = delivery.verify_start(database(request), store_of(request), actor, grant_id, values, now)
    return JSONResponse(answer | {"evidence": await ticket.wait()})


# The two as plain Starlette routes, placed before every other route by the application:
# FastAPI's parameter solving and its extra middleware layer cost about as much as the
# verification itself. The documented routes below answer the same (they call these) and give
# the OpenAPI document its entries; a grant id that is not a number falls through to them (422).
HOT_ROUTES = [
    Route(f"{router.prefix}/grants/{{grant_id:int}}/records/{{key}}", serve_lookup, methods=["GET"]),
    Route(f"{router.prefix}/grants/{{grant_id:int}}/verify", serve_verify, methods=["POST"]),
]


@router.get(
    "/grants/{grant_id}/records/{key}",
    summary="The record with this key (e.g. an ID number)",
    response_model=RecordOut,
)
async def lookup(request: Request, grant_id: int, key: str) -> JSONResponse:
    return await serve_lookup(request)


@router.post(
    "/grants/{grant_id}/verify",
    summary="数据核验: match / no_match / not_found, never the data",
    response_model=VerifyOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": VerifyIn.model_json_schema()}},
        }
    },
)
async def verify(request: Request, grant_id: int) -> JSONResponse:
    return await serve_verify(request)


@router.post(
    "/grants/{grant_id}/query", summary="A filtered page of the granted view (JSON, or CSV with ?format=csv)"
)
def query(
    request: Request,
    grant_id: int,
    body: QueryIn,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
):
    actor = current_actor(request)
    page = delivery.query(
        database(request),
        store_of(request),
        actor,
        grant_id,
        filter=body.filter,
        limit=body.limit,
        offset=body.offset,
        snapshot_id=body.snapshot_id,
    )
    if format == "csv":
        return PlainTextResponse(
            "".join(delivery.csv_text(page["rows"])), media_type="text/csv; charset=utf-8"
        )
    return page


@router.post(
    "/grants/{grant_id}/batches",
    status_code=201,
    summary="A batch extract (CSV or Parquet) with a signed manifest",
)
def make_batch(
    request: Request, grant_id: int, format: Annotated[str, Query(pattern="^(csv|parquet)$")] = "csv"
) -> dict:
    actor = current_actor(request)
    return delivery.batch(
        database(request), store_of(request), actor, grant_id, _extracts(request), fmt=format
    )


@router.get("/batches/{delivery_id}", summary="Download a batch extract (while the grant allows it)")
def download(request: Request, delivery_id: int):
    actor = current_actor(request)
    path, d = delivery.open_extract(database(request), actor, delivery_id, _extracts(request))
    media = "text/csv; charset=utf-8" if path.suffix == ".csv" else "application/vnd.apache.parquet"
    return FileResponse(
        path, media_type=media, filename=path.name, headers={"X-Checksum-SHA256": d.checksum or ""}
    )


@router.get("/grants/{grant_id}/changes", summary="The change set between two versions, as granted")
def changes(request: Request, grant_id: int, first: int, second: int | None = None) -> dict:
    actor = current_actor(request)
    return delivery.changes(database(request), store_of(request), actor, grant_id, first, second)
