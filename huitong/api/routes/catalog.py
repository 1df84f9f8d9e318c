"""Catalog entries: register, review, publish, retire, search, import and export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from huitong.api.deps import database, unit
from huitong.api.schemas import ResourceIn, ReviewIn, Transition
from huitong.catalog import service
from huitong.catalog.json_io import spec_from_dict
from huitong.catalog.model import Status
from huitong.catalog.search_service import FACET_KEYS, search_page
from huitong.catalog.tables import ClassNode
from huitong.errors import HuitongError, invalid
from huitong.quality import service as quality

router = APIRouter(prefix="/api/catalog", tags=["catalog"])


def _out(res) -> dict:
    return service.snapshot(res) | {
        "status_zh": Status(res.status).label_zh,
        "provider_code": res.provider.code,
        "return_reason": res.return_reason,
    }


def _spec(body: ResourceIn):
    return spec_from_dict(body.model_dump(mode="json"))


@router.get("/search", summary="Ranked Chinese search with facets (words, fragments, pinyin)")
def search(
    request: Request,
    q: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    sort: Annotated[str, Query(pattern="^(relevance|name|recent)$")] = "relevance",
    department: Annotated[list[str], Query()] = [],  # noqa: B006
    level: Annotated[list[str], Query()] = [],  # noqa: B006
    category: Annotated[list[str], Query()] = [],  # noqa: B006
    share_type: Annotated[list[str], Query()] = [],  # noqa: B006
    open_type: Annotated[list[str], Query()] = [],  # noqa: B006
    format: Annotated[list[str], Query()] = [],  # noqa: B006
    update_cycle: Annotated[list[str], Query()] = [],  # noqa: B006
) -> dict:
    filters = {
        k: v
        for k, v in {
            "department": department,
            "level": level,
            "category": category,
            "share_type": share_type,
            "open_type": open_type,
            "format": format,
            "update_cycle": update_cycle,
        }.items()
        if v
    }
    known = {"q", "page", "per_page", "sort", *FACET_KEYS}
    unknown = sorted(set(request.query_params) - known)
    if unknown:  # a misspelt filter must not silently return everything
        raise invalid(f"unknown search parameter {unknown[0]!r}: use q, page, per_page, sort or a facet")
    with unit(request, read_only=True) as (s, actor):
        return search_page(
            database(request), s, actor, q, filters=filters, page=page, per_page=per_page, sort=sort
        )


@router.get("/resources", summary="List entries visible to the caller")
def list_resources(
    request: Request,
    status: str | None = None,
    provider: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict]:
    with unit(request) as (s, actor):
        rows = service.list_entries(
            s, actor, status=status, provider_code=provider, limit=limit, offset=offset
        )
        return [
            {
                "code": r.code,
                "name": r.name,
                "provider": r.provider.code,
                "status": r.status,
                "share_type": r.share_type,
                "open_type": r.open_type,
            }
            for r in rows
        ]


@router.post("/resources", status_code=201, summary="Register an entry (as a draft)")
def create(body: ResourceIn, request: Request) -> dict:
    spec = _spec(body)
    with unit(request) as (s, actor):
        return _out(service.create(s, actor, spec))


@router.get("/resources/{code:path}/revisions", summary="Every revision: who, when, what changed")
def revisions(code: str, request: Request) -> list[dict]:
    with unit(request) as (s, actor):
        return [
            {
                "rev": r.rev,
                "action": r.action,
                "actor": r.actor_name,
                "at": r.at.isoformat(),
                "reason": r.reason,
                "changes": r.changes,
            }
            for r in service.revisions(s, actor, code)
        ]


@router.get("/resources/{code:path}/diff", summary="Field-level diff between two revisions")
def diff(code: str, request: Request, a: int, b: int) -> list[dict]:
    with unit(request) as (s, actor):
        return [c.as_dict() for c in service.diff(s, actor, code, a, b)]


@router.post("/resources/{code:path}/submit")
def submit(code: str, request: Request) -> dict:
    with unit(request) as (s, actor):
        return _out(service.submit(s, actor, code))


@router.post(
    "/resources/{code:path}/review", summary="Operator review: approve (publish) or return with a reason"
)
def review(code: str, body: ReviewIn, request: Request) -> dict:
    with unit(request) as (s, actor):
        return _out(service.review(s, actor, code, body.decision, body.reason))


@router.post("/resources/{code:path}/publish")
def publish(code: str, request: Request) -> dict:
    with unit(request) as (s, actor):
        return _out(service.publish(s, actor, code))


@router.post("/resources/{code:path}/return")
def return_(code: str, body: Transition, request: Request) -> dict:
    with unit(request) as (s, actor):
        return _out(service.return_entry(s, actor, code, body.reason or ""))


@router.post("/resources/{code:path}/retire")
def retire(code: str, body: Transition, request: Request) -> dict:
    with unit(request) as (s, actor):
        return _out(service.retire(s, actor, code, body.reason))


@router.get("/resources/{code:path}")
def get(code: str, request: Request) -> dict:
    with unit(request) as (s, actor):
        res = service.get(s, actor, code)
        return {**_out(res), "quality": quality.summary(s, res.code)}


@router.put("/resources/{code:path}")
def update(code: str, body: ResourceIn, request: Request) -> dict:
    spec = _spec(body)
    with unit(request) as (s, actor):
        res, changes = service.update_entry(s, actor, code, spec)
        return _out(res) | {"changes": [c.as_dict() for c in changes]}


@router.get("/classes", summary="The 基础/主题/部门 classification trees")
def classes(request: Request) -> list[dict]:
    with unit(request) as (s, _):
        return [
            {"code": n.code, "name": n.name, "parent": n.parent_code}
            for n in s.query(ClassNode).order_by(ClassNode.code)
        ]


@router.post(
    "/import",
    summary="Import the Excel template or a JSON catalog; all or nothing",
    responses={
        422: {
            "description": "Problems, as JSON; or with error_report=true the workbook with each bad cell marked"
        }
    },
)
async def import_(
    request: Request, file: UploadFile = File(...), submit: bool = False, error_report: bool = False
) -> Response:
    name = Path(file.filename or "upload").name
    if Path(name).suffix.lower() not in (".xlsx", ".xlsm", ".json"):
        raise HuitongError(f"{name}: upload the Excel template (.xlsx) or a JSON catalog (.json)")
    data = await file.read()
    return await run_in_threadpool(_import, request, name, data, submit, error_report)


def _import(request: Request, name: str, data: bytes, submit: bool, error_report: bool) -> Response:
    from huitong.catalog.error_report import write_error_report
    from huitong.catalog.importer import import_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            with unit(request) as (s, actor):
                rep = import_file(s, actor, path, submit=submit)
        except HuitongError as exc:
            if not (error_report and exc.problems and path.suffix.lower() != ".json"):
                raise
            out = write_error_report(path, exc.problems)
            return Response(
                out.read_bytes(),
                status_code=422,
                media_type=XLSX,
                headers={
                    "Content-Disposition": (  # plain name for clients that ignore filename*
                        f"attachment; filename=\"import-errors.xlsx\"; filename*=UTF-8''{quote(out.name)}"
                    ),
                    "X-Huitong-Problems": str(len(exc.problems)),
                },
            )
    return JSONResponse({"created": rep.created, "updated": rep.updated, "submitted": rep.submitted})


def _lists(s) -> dict:
    from huitong.org.service import list_departments
    from huitong.standards.store import list_elements

    return {
        "class_nodes": [(n.code, n.name) for n in s.query(ClassNode).order_by(ClassNode.code)],
        "departments": [(d.code, f"{d.region.name}{d.name}") for d in list_departments(s)],
        "elements": [(e.identifier, e.name_zh) for e in list_elements(s)],
    }


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/template", summary="The empty Excel template with drop-downs", response_class=Response)
def template(request: Request) -> Response:
    from huitong.catalog.excel_template import write_template

    with unit(request) as (s, _), tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog-template.xlsx"
        write_template(path, **_lists(s))
        data = path.read_bytes()
    return Response(
        data, media_type=XLSX, headers={"content-disposition": 'attachment; filename="catalog-template.xlsx"'}
    )


@router.get("/export", summary="Export visible entries as Excel or JSON", response_class=Response)
def export(
    request: Request,
    format: Annotated[str, Query(pattern="^(xlsx|json)$")] = "json",
    status: str | None = None,
    provider: str | None = None,
) -> Response:
    with unit(request) as (s, actor):
        rows = service.list_entries(s, actor, status=status, provider_code=provider, limit=10**9)
        entries = [(r.code, service.spec_of(r)) for r in rows]
        if format == "json":
            from huitong.catalog.json_io import dump_json_catalog

            return Response(dump_json_catalog(entries), media_type="application/json")
        from huitong.catalog.excel_template import write_export

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "catalog.xlsx"
            write_export(path, entries, **_lists(s))
            data = path.read_bytes()
    return Response(
        data, media_type=XLSX, headers={"content-disposition": 'attachment; filename="catalog.xlsx"'}
    )
