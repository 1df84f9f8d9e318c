"""Sharing over HTTP: applications and decisions, grants and recalls, credentials and
subscriptions. Delivery of the granted view is in :mod:`huitong.api.routes.deliver`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from huitong.api.deps import unit
from huitong.config import Deadlines
from huitong.share import applications as apps
from huitong.share import credentials, grants, subscriptions
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


def _deadlines(request: Request) -> Deadlines:
    settings = request.app.state.settings
    return settings.deadlines if settings is not None else Deadlines()


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
