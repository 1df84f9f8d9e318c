"""Sharing over HTTP: applications and decisions, grants and recalls, credentials, subscriptions,
and delivery of the granted view (query, lookup, verification, batch, change sets)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel, Field

from huitong.api.deps import current_actor, database, unit
from huitong.api.routes.aggregate import store_of
from huitong.config import Deadlines
from huitong.share import applications as apps
from huitong.share import credentials, delivery, grants, subscriptions
from huitong.share.tables import Recall

router = APIRouter(prefix="/api/share", tags=["share"])


class ApplicationIn(BaseModel):
    resources: dict[str, list[str]] = Field(description="resource code → data item names (empty: all)")
    purpose: str = Field(
        description="administrative_basis 行政依据, work_reference 工作参考, data_verification "
        "数据校核, business_collaboration 业务协同, other 其他"
    )
    purpose_text: str
    legal_basis: str
    business: str
    use_from: date
    use_until: date
    modes: list[str] = ["query"]


class ConditionsIn(BaseModel):
    items: list[str] | None = None
    treatments: dict[str, str] = {}
    row_filter: dict[str, Any] | None = None
    valid_until: date | None = None
    modes: list[str] | None = None
    max_requests_per_day: int | None = None
    max_rows_per_day: int | None = None
    note: str | None = None


class ActionIn(BaseModel):
    action: str = Field(description="comply, refuse, approve, reject, negotiate, escalate, close, withdraw")
    reason: str | None = None
    conditions: ConditionsIn | None = None


class ReasonIn(BaseModel):
    reason: str


class NoteIn(BaseModel):
    note: str | None = None


class SubscriptionIn(BaseModel):
    url: str


class CredentialIn(BaseModel):
    name: str


class VerifyIn(BaseModel):
    values: dict[str, Any] = Field(
        description="the key item(s) and the items to compare, e.g. 身份证号 and 姓名"
    )


class QueryIn(BaseModel):
    filter: dict[str, Any] | None = None
    limit: int = 100
    offset: int = 0
    snapshot_id: int | None = None


def _deadlines(request: Request) -> Deadlines:
    settings = request.app.state.settings
    return settings.deadlines if settings is not None else Deadlines()


def _extracts(request: Request) -> Path:
    settings = request.app.state.settings
    base = Path(settings.data_dir) if settings is not None else Path("huitong-data")
    return base / "extracts"


# ---------------------------------------------------------------- applications and decisions


@router.post(
    "/applications", status_code=201, summary="Submit an application (共享申请) for one or more resources"
)
def submit(request: Request, body: ApplicationIn) -> dict:
    form = apps.ApplicationForm(**body.model_dump())
    with unit(request) as (s, actor):
        app = apps.submit(s, actor, form, _deadlines(request))
        return {"id": app.id, "requests": [apps.request_dict(r, actor) for r in app.requests]}


@router.get("/applications/{application_id}", summary="An application with its requested resources")
def application(request: Request, application_id: int) -> dict:
    with unit(request) as (s, actor):
        app = apps.get_application(s, actor, application_id)
        return {
            "id": app.id,
            "consumer_id": app.consumer_id,
            "applicant": app.applicant_name,
            "purpose": app.purpose,
            "purpose_text": app.purpose_text,
            "legal_basis": app.legal_basis,
            "business": app.business,
            "use_from": app.use_from.isoformat(),
            "use_until": app.use_until.isoformat(),
            "modes": app.modes,
            "submitted_at": app.submitted_at.isoformat(),
            "requests": [apps.request_dict(r, actor) for r in app.requests if apps.can_read(actor, r)],
        }


@router.get(
    "/requests", summary="Requested resources: mine (consumer), my inbox (provider), or all (operator)"
)
def requests(
    request: Request,
    role: Annotated[str, Query(pattern="^(consumer|provider|operator|any)$")] = "any",
    state: str | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict]:
    with unit(request) as (s, actor):
        return [
            apps.request_dict(r, actor)
            for r in apps.list_requests(s, actor, role=role, state=state, overdue_only=overdue, limit=limit)
        ]


@router.get("/requests/{request_id}", summary="One requested resource with its history of decisions")
def request_detail(request: Request, request_id: int) -> dict:
    with unit(request) as (s, actor):
        req = apps.get_request(s, actor, request_id)
        return apps.request_dict(req, actor) | {
            "history": [
                {
                    "action": t.action,
                    "from": t.from_state,
                    "to": t.to_state,
                    "party": t.party,
                    "by": t.actor_name,
                    "at": t.at.isoformat(),
                    "reason": t.reason,
                    "working_days": t.working_days,
                    "overdue": t.overdue,
                }
                for t in apps.transitions(s, req)
            ]
        }


@router.post(
    "/requests/{request_id}/actions",
    summary="Take a step: comply, refuse, approve (with conditions), "
    "reject (with reason), negotiate, escalate, close, withdraw",
)
def act(request: Request, request_id: int, body: ActionIn) -> dict:
    conds = grants.Conditions(**body.conditions.model_dump()) if body.conditions else None
    with unit(request) as (s, actor):
        req = apps.act(
            s,
            actor,
            request_id,
            body.action,
            reason=body.reason,
            conditions=conds,
            deadlines=_deadlines(request),
        )
        return apps.request_dict(req, actor)


@router.get("/stats", summary="Per provider department: received, median decision time, overdue (考核)")
def stats(request: Request) -> list[dict]:
    with unit(request) as (s, actor):
        return apps.department_stats(s, actor)


# ---------------------------------------------------------------- grants and recalls


@router.get("/grants", summary="Grants the caller is party to")
def list_grants(
    request: Request, role: Annotated[str, Query(pattern="^(consumer|provider|any)$")] = "any"
) -> list[dict]:
    with unit(request) as (s, actor):
        return [grants.grant_dict(g) for g in grants.list_grants(s, actor, role=role)]


@router.get("/grants/{grant_id}", summary="One grant")
def grant(request: Request, grant_id: int) -> dict:
    with unit(request) as (s, actor):
        return grants.grant_dict(grants.get_grant(s, actor, grant_id))


@router.post("/grants/{grant_id}/revoke", summary="Revoke a grant now; held extracts are recalled (数据召回)")
def revoke(request: Request, grant_id: int, body: ReasonIn) -> dict:
    with unit(request) as (s, actor):
        return grants.grant_dict(grants.revoke(s, actor, grant_id, body.reason))


def _recall(r: Recall) -> dict:
    return {
        "id": r.id,
        "grant": r.grant_id,
        "consumer_id": r.consumer_id,
        "reason": r.reason,
        "batches": r.batches,
        "status": r.status,
        "created_at": r.created_at.isoformat(),
        "acknowledged_at": r.acknowledged_at.isoformat() if r.acknowledged_at else None,
        "acknowledged_by": r.acknowledged_by,
        "note": r.note,
    }


@router.get("/recalls", summary="Recalls the caller is party to, open ones first")
def recalls(
    request: Request, status: Annotated[str | None, Query(pattern="^(open|acknowledged)$")] = None
) -> list[dict]:
    with unit(request) as (s, actor):
        return [
            _recall(r)
            for r in sorted(grants.recalls(s, actor, status=status), key=lambda r: r.status != "open")
        ]


@router.post("/recalls/{recall_id}/ack", summary="The consumer confirms it deleted the recalled extracts")
def ack(request: Request, recall_id: int, body: NoteIn) -> dict:
    with unit(request) as (s, actor):
        return _recall(grants.acknowledge_recall(s, actor, recall_id, body.note))


# ---------------------------------------------------------------- credentials and subscriptions


@router.post(
    "/credentials",
    status_code=201,
    summary="Application credentials for a consumer system (secret shown once)",
)
def create_credential(request: Request, body: CredentialIn) -> dict:
    with unit(request) as (s, actor):
        cred, secret = credentials.create(s, actor, body.name)
        return {
            "client_id": cred.client_id,
            "secret": secret,
            "name": cred.name,
            "department_id": cred.department_id,
        }


@router.get("/credentials", summary="The department's application credentials (no secrets)")
def list_credentials(request: Request) -> list[dict]:
    with unit(request) as (s, actor):
        return [
            {
                "client_id": c.client_id,
                "name": c.name,
                "created_at": c.created_at.isoformat(),
                "revoked": c.revoked_at is not None,
                "last_used_at": c.last_used_at.isoformat() if c.last_used_at else None,
            }
            for c in credentials.list_credentials(s, actor)
        ]


@router.delete("/credentials/{client_id}", summary="Revoke application credentials")
def revoke_credential(request: Request, client_id: str) -> dict:
    with unit(request) as (s, actor):
        c = credentials.revoke(s, actor, client_id)
        return {"client_id": c.client_id, "revoked": True}


@router.post(
    "/grants/{grant_id}/subscriptions", status_code=201, summary="Subscribe a webhook to new versions"
)
def subscribe(request: Request, grant_id: int, body: SubscriptionIn) -> dict:
    with unit(request) as (s, actor):
        sub = subscriptions.subscribe(s, actor, grant_id, body.url)
        return {"id": sub.id, "grant": sub.grant_id, "url": sub.url, "active": sub.active}


@router.delete("/subscriptions/{subscription_id}", summary="Stop a subscription")
def unsubscribe(request: Request, subscription_id: int) -> dict:
    with unit(request) as (s, actor):
        sub = subscriptions.unsubscribe(s, actor, subscription_id)
        return {"id": sub.id, "active": sub.active}


# ---------------------------------------------------------------- delivery


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


@router.get("/grants/{grant_id}/records/{key}", summary="The record with this key (e.g. an ID number)")
async def lookup(request: Request, grant_id: int, key: str) -> dict:
    # Keyed calls run on the event loop: their reads are single indexed lookups and the answer
    # comes from memory; only the evidence's group commit is awaited, holding no thread.
    db = database(request)
    with db.read_connection() as conn:  # one connection for the credentials and the grant
        actor = current_actor(request, conn)
        answer, ticket = delivery.lookup_start(db, store_of(request), actor, grant_id, key, conn)
    return answer | {"evidence": await ticket.wait()}


@router.post("/grants/{grant_id}/verify", summary="数据核验: match / no_match / not_found, never the data")
async def verify(request: Request, grant_id: int, body: VerifyIn) -> dict:
    db = database(request)
    with db.read_connection() as conn:
        actor = current_actor(request, conn)
        answer, ticket = delivery.verify_start(db, store_of(request), actor, grant_id, body.values, conn)
    return answer | {"evidence": await ticket.wait()}


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
