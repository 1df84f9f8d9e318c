"""Base libraries over HTTP (基础库, 多源融合): define, run, status, the model's weights, the review
queue and verdicts, conflicts, one record with the source of every field; the same service functions
and permission checks as the command line."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from huitong.api.deps import current_actor, database, unit
from huitong.api.routes.aggregate import store_of
from huitong.errors import Problem, invalid
from huitong.fuse import dicts, service
from huitong.fuse.definition import parse_definition
from huitong.fuse.views import displayer, key_displayer
from huitong.fuse.weights import level_weights, prior_weight

router = APIRouter(prefix="/api/fuse", tags=["fuse"])


class DecisionIn(BaseModel):
    pair: int | None = Field(default=None, ge=1, le=2**62)  # the pair's id in the review queue
    record_a: str | None = Field(default=None, min_length=1, max_length=200)
    record_b: str | None = Field(default=None, min_length=1, max_length=200)
    same: bool
    reason: str | None = Field(default=None, max_length=2000)


@router.get("", summary="Base libraries with their last run")
def fusions(request: Request) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        return [service.summary(s, actor, f.code) for f in service.fusions(s, actor)]


@router.put("/{code}", summary="Create or replace a base library's definition")
def define(request: Request, code: str, body: dict[str, Any]) -> dict[str, Any]:
    with unit(request) as (s, actor):
        row = service.define(s, actor, parse_definition({**body, "code": code}, where="body"))
        return service.summary(s, actor, row.code)


@router.get("/{code}", summary="One base library: definition and last run")
def summary(request: Request, code: str) -> dict[str, Any]:
    with unit(request) as (s, actor):
        return {**service.summary(s, actor, code), "definition": service.get(s, actor, code).definition}


@router.post("/{code}/runs", status_code=201, summary="Run it: fuse the inputs' current versions")
def run(request: Request, code: str, retrain: bool = False) -> dict[str, Any]:
    done = service.run(database(request), store_of(request), current_actor(request), code, retrain=retrain)
    return dicts.run_dict(done.run, done.unchanged)


@router.get("/{code}/runs", summary="Its runs, newest first")
def runs(request: Request, code: str) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        return [dicts.run_dict(r) for r in service.runs(s, actor, code)]


@router.get("/{code}/model", summary="The trained model: m, u and match weight per comparison level")
def model(request: Request, code: str) -> dict[str, Any]:
    with unit(request) as (s, actor):
        trained = service.get(s, actor, code).model or {}
        return {
            "trained": bool(trained),
            "prior_weight": prior_weight(trained),
            "levels": [lv.to_dict() for lv in level_weights(trained)],
        }


def _keys(s, actor, code: str):
    return key_displayer(s, service.definition_of(service.get(s, actor, code)))


@router.get("/{code}/review", summary="Pairs the model is unsure of (人工复核), record keys masked")
def review_queue(request: Request, code: str, limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        pairs = service.review_queue(s, actor, code, limit=limit)
        key = _keys(s, actor, code)
        return [dicts.pair_dict(p, key) for p in pairs]


@router.post(
    "/{code}/review",
    status_code=201,
    summary="A verdict on a pair (by its id in the queue), applied at every later run",
)
def decide(request: Request, code: str, body: DecisionIn) -> dict[str, Any]:
    with unit(request) as (s, actor):
        if body.pair is not None:
            decided = service.decide_pair(s, actor, code, body.pair, body.same, body.reason)
        elif body.record_a and body.record_b:
            decided = service.decide(s, actor, code, body.record_a, body.record_b, body.same, body.reason)
        else:
            raise invalid(
                "name the pair: its id in the review queue, or both record keys",
                Problem("no pair", field="pair"),
            )
        return dicts.decision_dict(decided, _keys(s, actor, code))


@router.get("/{code}/conflicts", summary="Fields whose sources disagree (多源校核), values masked by grade")
def conflicts(request: Request, code: str, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    with unit(request) as (s, actor):
        rows = service.conflicts(s, actor, code, limit=limit)
        show = displayer(s, service.get(s, actor, code))
        key = _keys(s, actor, code)
        return [dicts.conflict_dict(c, show, key) for c in rows]


@router.get("/{code}/records/{base_id}", summary="One record with the source of every field (masked)")
def explain(request: Request, code: str, base_id: str) -> dict[str, Any]:
    store = store_of(request)
    with unit(request) as (s, actor):
        e = service.explain(s, store, actor, code, base_id)
        row = service.get(s, actor, code)
        return dicts.explained_dict(e, displayer(s, row), key_displayer(s, service.definition_of(row)))


@router.post(
    "/{code}/conflicts/{base_id}/{field}/objections",
    status_code=201,
    summary="Send a conflict back: an objection on each disagreeing source record",
)
def object_to_conflict(request: Request, code: str, base_id: str, field: str) -> list[dict[str, Any]]:
    store = store_of(request)
    with unit(request) as (s, actor):
        raised = service.object_to_conflict(s, store, actor, code, base_id, field)
        return [
            {"id": o.id, "resource": o.resource_code, "item": o.item, "holder": o.holder_department_id}
            for o in raised
        ]
