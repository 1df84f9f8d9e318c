"""Classification over HTTP: scan a stored resource, its findings, confirm or override a proposal,
the re-grading reviews, discovery of an uploaded file, and the list of important data (重要数据目录);
the same service functions and permission checks as the command line."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel, Field

from huitong.api.deps import current_actor, unit
from huitong.api.ids import DbId
from huitong.api.routes.aggregate import store_of
from huitong.classify import dicts, service
from huitong.classify import discover as finder
from huitong.classify.files import discover_upload
from huitong.errors import Forbidden

router = APIRouter(prefix="/api/classify", tags=["classify"])
UPLOAD_LIMIT = 50 * 1024 * 1024


class ScanIn(BaseModel):
    resource: str
    snapshot_id: int | None = Field(default=None, ge=0, le=2**63 - 1)
    sample: int | None = Field(default=finder.DEFAULT_SAMPLE, ge=1, le=100_000_000)


class DecisionIn(BaseModel):
    action: Literal["confirm", "override"]
    grade: str | None = None
    reason: str | None = None


class CloseIn(BaseModel):
    note: str


@router.post("/scans", status_code=201, summary="Scan a version for personal data (proposals follow)")
def scan(request: Request, body: ScanIn) -> dict[str, Any]:
    store = store_of(request)
    with unit(request) as (s, actor):
        done = service.scan(s, store, actor, body.resource, body.snapshot_id, sample=body.sample)
        return {
            "scan": dicts.scan_dict(done.scan),
            "columns": [dicts.column_dict(c) for c in done.columns],
            "reviews": [dicts.review_dict(r) for r in done.reviews],
        }


@router.get("/resources/{code:path}/columns", summary="A resource's findings and the decision on each")
def columns(request: Request, code: str) -> dict[str, Any]:
    with unit(request) as (s, actor):
        cols = service.columns_of(s, actor, code)
        return {
            "describes": service.describes(cols),
            "columns": [dicts.column_dict(c) for c in cols],
            "scans": [dicts.scan_dict(x) for x in service.scans_of(s, actor, code)],
        }


@router.post("/resources/{code:path}/columns/{column}", summary="Confirm or override a proposal")
def decide(request: Request, code: str, column: str, body: DecisionIn) -> dict[str, Any]:
    with unit(request) as (s, actor):
        col = service.decide_column(
            s, actor, code, column, action=body.action, grade=body.grade, reason=body.reason
        )
        return dicts.column_dict(col)


@router.get("/proposals", summary="Every proposal awaiting a decision; undeclared ones marked")
def proposals(request: Request) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        return [dicts.column_dict(c) for c in service.proposals(s, actor)]


@router.get("/reviews", summary="Re-grading review tasks (动态更新)")
def reviews(
    request: Request, status: Annotated[Literal["open", "closed", "all"], Query()] = "open"
) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        return [
            dicts.review_dict(r)
            for r in service.reviews(s, actor, status=None if status == "all" else status)
        ]


@router.post("/reviews/{review_id}/close", summary="Close a review task with a note")
def close(request: Request, review_id: DbId, body: CloseIn) -> dict[str, Any]:
    with unit(request) as (s, actor):
        return dicts.review_dict(service.close_review(s, actor, review_id, body.note))


@router.get("/important", summary="重要数据目录: resources graded 重要 or 核心")
def important(request: Request) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        return [dicts.important_dict(e) for e in service.important_data(s, actor)]


@router.post("/discover", summary="Find the personal data in an uploaded file (nothing is stored)")
async def discover(request: Request, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    if current_actor(request).is_public:  # a service for departments, not the public
        raise Forbidden("sign in to check a file for personal data")
    name, found = discover_upload(file.filename, await file.read(UPLOAD_LIMIT + 1), UPLOAD_LIMIT)
    return {"file": name, **found.to_dict()}
