"""De-identification over HTTP: propose a release (checked at once), approve it, list and read them,
publish a differentially private figure, a resource's privacy budget; the same service functions and
permission checks as the command line."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from huitong.api.deps import current_actor, database, unit
from huitong.api.ids import DbId
from huitong.api.routes.aggregate import store_of
from huitong.deid import dicts, service

router = APIRouter(prefix="/api/deid", tags=["deid"])


class ReleaseIn(BaseModel):
    resource: str
    name: str
    plan: dict[str, Any]


class StatisticIn(BaseModel):
    resource: str
    statistic: Literal["count", "sum", "mean", "histogram"]
    epsilon: float = Field(gt=0)
    column: str | None = None
    categories: list[str] | list[int] | None = None
    lower: float | None = None
    upper: float | None = None


class BudgetIn(BaseModel):
    total: float = Field(ge=0)


@router.post("/releases", status_code=201, summary="Propose a release: applied and risk-checked at once")
def propose(request: Request, body: ReleaseIn) -> dict[str, Any]:
    store = store_of(request)
    with unit(request) as (s, actor):
        return dicts.release_dict(service.propose(s, store, actor, body.resource, body.plan, name=body.name))


@router.post("/releases/{release_id}/approve", summary="Approve a release; the last approval releases it")
def approve(request: Request, release_id: DbId) -> dict[str, Any]:
    store = store_of(request)
    actor = current_actor(request)
    return dicts.release_dict(service.approve(database(request), store, actor, release_id))


@router.get("/releases", summary="Releases the caller may see, newest first")
def releases(request: Request, resource: str | None = None) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        return [dicts.release_dict(r) for r in service.releases(s, actor, resource)]


@router.get("/releases/{release_id}", summary="One release with its risk report")
def release(request: Request, release_id: DbId) -> dict[str, Any]:
    with unit(request) as (s, actor):
        return dicts.release_dict(service.get(s, actor, release_id))


@router.post("/statistics", status_code=201, summary="Publish a differentially private figure (spends ε)")
def statistic(request: Request, body: StatisticIn) -> dict[str, Any]:
    store = store_of(request)
    with unit(request) as (s, actor):
        fig = service.publish_statistic(
            s,
            store,
            actor,
            body.resource,
            statistic=body.statistic,
            epsilon=body.epsilon,
            column=body.column,
            categories=body.categories,
            lower=body.lower,
            upper=body.upper,
        )
        return dicts.statistic_dict(fig)


@router.get("/resources/{code:path}/budget", summary="A resource's privacy budget and its published figures")
def get_budget(request: Request, code: str) -> dict[str, Any]:
    with unit(request) as (s, actor):
        row, figures = service.statistics_of(s, actor, code)
        return {
            "resource": row.resource_code,
            "total": row.total,
            "spent": row.spent,
            "figures": [dicts.statistic_dict(f) for f in figures],
        }


@router.put("/resources/{code:path}/budget", summary="Set a resource's privacy budget (the operator)")
def put_budget(request: Request, code: str, body: BudgetIn) -> dict[str, Any]:
    with unit(request) as (s, actor):
        row = service.set_budget(s, actor, code, body.total)
        return {"resource": row.resource_code, "total": row.total, "spent": row.spent}
