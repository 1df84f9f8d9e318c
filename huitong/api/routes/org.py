"""Sign-in, tokens, regions, departments and users."""

from __future__ import annotations

from fastapi import APIRouter, Request

from huitong.access import require
from huitong.api.deps import unit
from huitong.api.schemas import DepartmentIn, LoginIn, RegionIn, RolesIn, TokenIn, TokenOut, UserIn
from huitong.catalog import service as catalog
from huitong.errors import Unauthenticated
from huitong.org import service
from huitong.org.model import AdminLevel

router = APIRouter(prefix="/api", tags=["org"])


def _token_out(t, secret: str | None = None) -> TokenOut:
    return TokenOut(
        token_id=t.token_id,
        name=t.name,
        scope=t.scope,
        expires_at=t.expires_at,
        revoked_at=t.revoked_at,
        last_used_at=t.last_used_at,
        secret=secret,
    )


def _user(u) -> dict:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "department": u.department.code,
        "department_name": u.department.name,
        "roles": sorted(u.roles),
        "active": u.active,
    }


@router.post("/auth/login", response_model=TokenOut, summary="Sign in; returns a one-day write token")
def login(body: LoginIn, request: Request) -> TokenOut:
    with unit(request) as (s, _):
        user = service.login(s, body.username, body.password)
    # The failed attempt above is recorded; a token is issued in its own transaction.
    with unit(request) as (s, _):
        actor = service.actor_for(service.get_user(s, user.username))
        token, secret = service.issue_token(s, actor, user.username, "login", scope="write", ttl_days=1)
        return _token_out(token, secret)


@router.get("/me")
def me(request: Request) -> dict:
    with unit(request) as (s, actor):
        if actor.is_public:
            raise Unauthenticated()
        return _user(service.get_user(s, actor.username)) | {"scope": actor.scope}


@router.get("/tokens", response_model=list[TokenOut])
def my_tokens(request: Request) -> list[TokenOut]:
    with unit(request) as (s, actor):
        require(actor, "token.manage")
        return [_token_out(t) for t in service.list_tokens(s, actor, actor.username)]


@router.post("/tokens", response_model=TokenOut, status_code=201)
def new_token(body: TokenIn, request: Request) -> TokenOut:
    with unit(request) as (s, actor):
        require(actor, "token.manage")
        t, secret = service.issue_token(
            s, actor, actor.username, body.name, scope=body.scope, ttl_days=body.days
        )
        return _token_out(t, secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke(token_id: str, request: Request) -> TokenOut:
    with unit(request) as (s, actor):
        return _token_out(service.revoke_token(s, actor, token_id))


@router.get("/regions")
def regions(request: Request) -> list[dict]:
    with unit(request) as (s, actor):
        require(actor, "org.read")
        return [
            {
                "division_code": r.division_code,
                "name": r.name,
                "level": r.level,
                "level_zh": AdminLevel(r.level).label_zh,
            }
            for r in service.list_regions(s)
        ]


@router.post("/regions", status_code=201)
def add_region(body: RegionIn, request: Request) -> dict:
    with unit(request) as (s, actor):
        r = service.add_region(
            s, actor, body.division_code, body.name, level=body.level, parent_code=body.parent_code
        )
        return {"division_code": r.division_code, "name": r.name, "level": r.level}


@router.get("/departments")
def departments(request: Request) -> list[dict]:
    with unit(request) as (s, actor):
        require(actor, "org.read")
        return [
            {
                "code": d.code,
                "name": d.name,
                "region": d.region.division_code,
                "region_name": d.region.name,
                "level": d.region.level,
            }
            for d in service.list_departments(s)
        ]


@router.post("/departments", status_code=201)
def add_department(body: DepartmentIn, request: Request) -> dict:
    with unit(request) as (s, actor):
        d = service.add_department(
            s, actor, body.region_code, body.name, body.code, short_name=body.short_name
        )
        return {"code": d.code, "name": d.name, "class_code": catalog.department_class(s, d)}


@router.get("/users")
def users(request: Request) -> list[dict]:
    with unit(request) as (s, actor):
        return [_user(u) for u in service.list_users(s, actor)]


@router.post("/users", status_code=201)
def add_user(body: UserIn, request: Request) -> dict:
    with unit(request) as (s, actor):
        u = service.add_user(
            s, actor, body.username, body.display_name, body.department_code, body.roles, body.password
        )
        return _user(u)


@router.put("/users/{username}/roles")
def set_roles(username: str, body: RolesIn, request: Request) -> dict:
    with unit(request) as (s, actor):
        return _user(service.set_roles(s, actor, username, body.roles))


@router.post("/users/{username}/disable")
def disable(username: str, request: Request) -> dict:
    with unit(request) as (s, actor):
        return _user(service.set_active(s, actor, username, False))
