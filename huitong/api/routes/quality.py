"""Data quality over HTTP: rules (import a rule file, list, export), runs, results with their
samples, scorecards and the departments ranked, and releasing a held-back version; the same
service functions and permission checks as the command line."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from huitong.api.deps import database, unit
from huitong.api.ids import DbId
from huitong.api.routes.aggregate import store_of
from huitong.quality import dicts, service

router = APIRouter(prefix="/api/quality", tags=["quality"])


class RuleFileIn(BaseModel):
    text: str  # the YAML or JSON of a rule file
    filename: str = "rules.yaml"  # .json is read as JSON; named in every problem
    prune: bool = False


class RunIn(BaseModel):
    resource: str
    snapshot_id: str | None = None


@router.post("/rules", summary="Keep a rule file's rules (all or nothing; mistakes with their lines)")
def import_rules(request: Request, body: RuleFileIn) -> dict[str, Any]:
    with unit(request) as (s, actor):
        return service.import_rules(s, actor, body.text, body.filename, prune=body.prune).as_dict()


@router.get("/rules", summary="The rules that apply to a resource, or every rule")
def list_rules(request: Request, resource: str | None = None) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        return [dicts.rule_dict(r) for r in service.rules_of(s, actor, resource)]


@router.get("/rules/export", summary="A resource's own rules as a YAML rule file")
def export_rules(request: Request, resource: str) -> Response:
    with unit(request) as (s, actor):
        text = service.export_rules(s, actor, resource)
    return Response(text, media_type="application/yaml; charset=utf-8")


@router.post("/runs", status_code=201, summary="Measure a version (the current one by default)")
def run(request: Request, body: RunIn) -> dict[str, Any]:
    store = store_of(request)
    with unit(request) as (s, actor):
        return dicts.run_dict(service.run(s, store, actor, body.resource, body.snapshot_id))


@router.get("/runs/{run_id}", summary="A run's measures, worst first (samples for the provider)")
def get_run(request: Request, run_id: DbId) -> dict[str, Any]:
    with unit(request) as (s, actor):
        qrun, metrics, samples = service.get_run(s, actor, run_id)
        return {**dicts.run_dict(qrun), "rules": [dicts.metric_dict(m, samples) for m in metrics]}


@router.get("/resources/{code:path}/runs", summary="A resource's latest runs, newest first")
def runs(
    request: Request, code: str, limit: Annotated[int, Query(ge=1, le=200)] = 30
) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        return [dicts.run_dict(r) for r in service.runs(s, actor, code, limit)]


@router.get("/resources/{code:path}/scorecard", summary="Score per dimension, worst rules first, trend")
def scorecard(request: Request, code: str) -> dict[str, Any]:
    with unit(request) as (s, actor):
        return dicts.scorecard_dict(service.scorecard(s, actor, code))


@router.post(
    "/resources/{code:path}/versions/{snapshot_id}/release",
    summary="Make a version held back by the quality gate current after all",
)
def release(request: Request, code: str, snapshot_id: str) -> dict[str, Any]:
    with unit(request) as (_, actor):
        pass  # the token's use is committed before the store moves
    return dicts.run_dict(service.release(database(request), store_of(request), actor, code, snapshot_id))


@router.get("/departments", summary="Departments ranked by the quality of their current data")
def departments(request: Request) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        return [dicts.department_dict(d) for d in service.departments(s, actor)]
