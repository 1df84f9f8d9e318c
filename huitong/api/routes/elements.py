"""Standard data elements (数据元) and value checks."""

from __future__ import annotations

from fastapi import APIRouter, Request

from huitong.api.deps import unit
from huitong.api.schemas import CheckIn
from huitong.standards.elements import validate_value
from huitong.standards.store import as_dict, as_element, get_element, list_elements

router = APIRouter(prefix="/api/elements", tags=["standards"])


@router.get("")
def elements(request: Request) -> list[dict]:
    with unit(request) as (s, _):
        return [as_dict(e) for e in list_elements(s)]


@router.get("/{key}")
def element(key: str, request: Request) -> dict:
    with unit(request) as (s, _):
        return as_dict(get_element(s, key))


@router.post("/{key}/check", summary="Check a value against a data element")
def check(key: str, body: CheckIn, request: Request) -> dict:
    with unit(request) as (s, _):
        el = as_element(get_element(s, key))
    result = validate_value(el, body.value)
    return {
        "ok": result.ok,
        "value": result.value,
        "findings": [
            {"code": f.code, "severity": f.severity, "message": f.message, "message_zh": f.message_zh}
            for f in result.findings
        ],
    }
