"""The ledger over HTTP: the published key and checkpoints, proofs, queries, bundles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from huitong.access import require
from huitong.api.deps import database, unit
from huitong.errors import NotFound
from huitong.ledger import service
from huitong.ledger.verify import verify_bundle

router = APIRouter(prefix="/api/ledger", tags=["ledger"])


@router.get("/public-keys", summary="Verifier keys (signed-note vkeys) of every key that signed checkpoints")
def public_keys(request: Request) -> list[dict]:
    return service.public_keys(database(request))


@router.get("/checkpoint", response_class=PlainTextResponse, summary="The latest signed tree head (C2SP)")
def checkpoint(request: Request) -> str:
    with unit(request) as (s, _):
        cp = service.latest_checkpoint(s)
    if cp is None:
        raise NotFound("no checkpoint has been signed yet")
    return cp.note


@router.post("/checkpoint", response_class=PlainTextResponse, summary="Sequence pending entries and sign now")
def sign(request: Request) -> str:
    with unit(request) as (s, actor):
        require(actor, "audit.checkpoint")
    return service.sign_checkpoint(database(request)).note


@router.get("/checkpoints", summary="Signed checkpoints, newest first")
def checkpoints(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict]:
    with unit(request) as (s, _):
        return [
            {"size": c.size, "at": c.at.isoformat(), "note": c.note} for c in service.checkpoints(s, limit)
        ]


@router.get("/entries", summary="Who did what to which object, when (auditors)")
def entries(
    request: Request,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    department_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict]:
    q = service.EntryQuery(object_type, object_id, actor, department_id, action, since, until, limit, offset)
    with unit(request) as (s, who):
        return [service.entry_dict(e) for e in service.search(s, who, q)]


@router.get("/entries/{entry_id}/proof", summary="Inclusion proof of an entry in a signed checkpoint")
def proof(request: Request, entry_id: int, size: int | None = None) -> dict:
    with unit(request) as (s, actor):
        return service.inclusion(s, actor, entry_id, size)


@router.get("/consistency", summary="Consistency proof between two signed checkpoints")
def consistency(
    request: Request, first: Annotated[int, Query(alias="from")], second: Annotated[int, Query(alias="to")]
):
    with unit(request) as (s, actor):
        return service.consistency(s, actor, first, second)


@router.get(
    "/who-used", summary="查询谁用了我的数据: accesses to records keyed by an ID number or credit code"
)
def who_used(request: Request, number: str) -> list[dict]:
    with unit(request) as (s, actor):
        return [
            {k: v for k, v in service.entry_dict(e).items() if k not in ("salt",)}
            for e in service.who_used(s, actor, number)
        ]


@router.get("/export", summary="An evidence bundle: entries, proofs, checkpoints and keys")
def export(request: Request) -> dict:
    with unit(request) as (_, actor):
        pass
    return service.export_bundle(database(request), actor)


@router.post("/verify", summary="Verify an evidence bundle (anyone may; nothing is stored)")
def verify(request: Request, bundle: dict) -> dict:
    report = verify_bundle(bundle, [k["vkey"] for k in service.public_keys(database(request))])
    return {
        "ok": report.ok,
        "entries_checked": report.entries_checked,
        "checkpoints_checked": report.checkpoints_checked,
        "tree_size": report.tree_size,
        "findings": [{"kind": f.kind, "position": f.position, "message": f.message} for f in report.findings],
    }
