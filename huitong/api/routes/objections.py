"""Objections (异议) over HTTP: raise one (with an evidence file), list and show those the caller
sees, take a step, the overdue ones, the raiser's notices and the departments' handling; the same
service functions and permission checks as the command line."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from huitong.api.deps import unit
from huitong.api.ids import DbId
from huitong.api.routes.aggregate import store_of
from huitong.errors import Problem, invalid
from huitong.quality import objection_dicts as dicts
from huitong.quality import objections as service
from huitong.quality.objection_flow import Deadlines

router = APIRouter(prefix="/api/quality/objections", tags=["quality"])


class EvidenceIn(BaseModel):
    name: str
    content_base64: str = Field(description="the file's bytes, base64 (at most 5 MB once decoded)")


class ObjectionIn(BaseModel):
    resource: str
    reason: str
    key: dict[str, Any] | str | None = Field(None, description="the record's key values (none: the resource)")
    item: str | None = Field(None, description="one data item of the record")
    evidence: EvidenceIn | None = None
    on_behalf: str | None = Field(None, description='"citizen": raised by staff for a citizen (代居民提出)')


class StepIn(BaseModel):
    action: str
    reason: str | None = None
    correction: str | None = Field(None, description="correct: the snapshot id of the correcting version")


def _deadlines(request: Request) -> Deadlines:
    settings = request.app.state.settings
    return service.configured(settings.deadlines) if settings is not None else Deadlines()


def _evidence(body: EvidenceIn | None) -> service.Evidence | None:
    if body is None:
        return None
    if len(body.content_base64) > service.MAX_EVIDENCE * 4 // 3 + 8:
        raise invalid(
            f"the evidence file {body.name} is larger than {service.MAX_EVIDENCE // (1024 * 1024)} MB",
            Problem("too large", field="evidence", value=body.name),
        )
    try:
        content = base64.b64decode("".join(body.content_base64.split()), validate=True)  # line breaks allowed
    except (binascii.Error, ValueError):
        raise invalid(
            "evidence.content_base64 is not base64", Problem("not base64", field="evidence")
        ) from None
    return service.Evidence(body.name, content)


@router.post("", status_code=201, summary="异议提出: object to a record, one of its items, or a resource")
def raise_objection(request: Request, body: ObjectionIn) -> dict[str, Any]:
    evidence = _evidence(body.evidence)
    with unit(request) as (s, actor):
        obj = service.raise_objection(
            s,
            store_of(request),
            actor,
            body.resource,
            body.reason,
            key=body.key,
            item=body.item,
            evidence=evidence,
            on_behalf=body.on_behalf,
            deadlines=_deadlines(request),
        )
        return _dicts(s, actor, [obj])[0]


def _dicts(s, actor, found) -> list[dict[str, Any]]:
    """The objections as the caller is shown them: each record key masked unless it is the
    raiser's or the holder's (the service says which)."""
    keys = service.shown_keys(s, actor, found)
    return [dicts.objection_dict(o, key=keys[o.id], lineage=service.sees_lineage(actor, o)) for o in found]


@router.get("", summary="The objections you raised, those routed to your department, or all (operator)")
def list_objections(request: Request, resource: str | None = None, state: str | None = None) -> list[dict]:
    with unit(request) as (s, actor):
        return _dicts(s, actor, service.list_for(s, actor, resource=resource, state=state))


@router.get("/overdue", summary="Objections past their stage's working-day deadline")
def overdue(request: Request, now: datetime | None = None) -> list[dict]:
    with unit(request) as (s, actor):
        return _dicts(s, actor, service.overdue(s, actor, now))


@router.get("/notices", summary="What you were told about the objections you raised")
def notices(request: Request) -> list[dict]:
    with unit(request) as (s, actor):
        return [dicts.notice_dict(n, o) for n, o in service.notices(s, actor)]


@router.get("/departments", summary="Each department's handling: received, on time, median days to answer")
def departments(request: Request, department: str | None = None) -> list[dict]:
    with unit(request) as (s, actor):
        return [dicts.figures_dict(f) for f in service.department_figures(s, actor, department)]


@router.get("/{objection_id}", summary="One objection with its steps, evidence and what you may do")
def show(request: Request, objection_id: DbId) -> dict[str, Any]:
    with unit(request) as (s, actor):
        d = service.get(s, actor, objection_id)
        key = service.shown_keys(s, actor, [d.objection])[d.objection.id]
        return dicts.detail_dict(d, key=key, lineage=service.sees_lineage(actor, d.objection))


@router.get("/{objection_id}/evidence/{evidence_id}", summary="An evidence file")
def evidence(request: Request, objection_id: DbId, evidence_id: DbId) -> Response:
    with unit(request) as (s, actor):
        found = service.evidence_file(s, actor, objection_id, evidence_id)
        name, content = found.name, found.content
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(name)}"},
    )


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@router.post("/{objection_id}/steps", summary="Take a step: accept, flag, forward, correct, reject, …")
def step(request: Request, objection_id: DbId, body: StepIn) -> dict[str, Any]:
    with unit(request) as (s, actor):
        obj = service.take_step(
            s,
            actor,
            objection_id,
            body.action,
            reason=body.reason,
            correction=body.correction,
            store=store_of(request),
            deadlines=_deadlines(request),
        )
        return _dicts(s, actor, [obj])[0]
