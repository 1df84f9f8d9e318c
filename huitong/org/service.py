"""Registering regions, departments and users; signing in with passwords and tokens.

Every function takes the acting :class:`Actor`, checks permission with the one policy,
and records what it did as evidence in the same transaction.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, decide, require
from huitong.access.roles import Role, check_role_set, parse_role
from huitong.db.base import utcnow
from huitong.errors import Conflict, NotFound, Problem, Unauthenticated, invalid
from huitong.events import DepartmentAdded, emit, merged
from huitong.ledger.events import record, record_apart
from huitong.org.model import AdminLevel, level_for_division, parse_level
from huitong.org.secrets import hash_password, new_token, parse_token, token_matches, verify_password
from huitong.org.tables import ApiToken, Department, Region, User, UserRole
from huitong.standards import validate_credit_code, validate_division_code

ORG_CODE_RE = re.compile(r"^[0-9A-Z]{2,18}$")
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")


def add_region(
    session: Session,
    actor: Actor,
    division_code: str,
    name: str,
    *,
    level: str | None = None,
    parent_code: str | None = None,
) -> Region:
    require(actor, "org.manage")
    code = division_code.strip()
    check = validate_division_code(code)
    if not check.ok:
        raise invalid(
            f"行政区划代码 {code!r}: {check.errors[0].message}",
            Problem(check.errors[0].message, field="division_code", value=code),
        )
    lv = parse_level(level) if level else level_for_division(code)
    if session.scalar(select(Region).where(Region.division_code == code)):
        raise Conflict(f"region {code} is already registered")
    parent = None
    if parent_code:
        parent = get_region(session, parent_code)
        if AdminLevel(parent.level).rank >= lv.rank:
            raise invalid(f"parent region {parent_code} ({parent.level}) is not above {lv.value}")
    region = Region(
        division_code=code, name=name.strip(), level=lv.value, parent_id=parent.id if parent else None
    )
    session.add(region)
    session.flush()
    record(session, actor, "org.region.add", "region", code, details={"name": region.name, "level": lv.value})
    return region


def get_region(session: Session, code: str) -> Region:
    region = session.scalar(select(Region).where(Region.division_code == code))
    if region is None:
        raise NotFound(f"no region with 行政区划代码 {code}")
    return region


def check_department_code(code: str) -> str:
    """A 统一社会信用代码 (checked in full) or a configured 机构代码 (letters and digits)."""
    if len(code) == 18:
        result = validate_credit_code(code)
        if not result.ok:
            raise invalid(
                f"department code {code}: {result.errors[0].message}",
                Problem(result.errors[0].message, field="code", value=code),
            )
        return "uscc"
    if ORG_CODE_RE.match(code):
        return "org"
    raise invalid(
        f"department code {code!r} is neither a 统一社会信用代码 nor a 机构代码 (2-18 letters/digits)",
        Problem("malformed department code", field="code", value=code),
    )


def add_department(
    session: Session, actor: Actor, region_code: str, name: str, code: str, *, short_name: str | None = None
) -> Department:
    require(actor, "org.manage")
    code = code.strip().upper()
    kind = check_department_code(code)
    region = get_region(session, region_code)
    if session.scalar(select(Department).where(Department.code == code)):
        raise Conflict(f"a department with code {code} is already registered")
    if session.scalar(
        select(Department).where(Department.region_id == region.id, Department.name == name.strip())
    ):
        raise Conflict(f"{region.name} already has a department named {name.strip()}")
    dept = Department(
        code=code, code_kind=kind, name=name.strip(), short_name=short_name, region_id=region.id
    )
    session.add(dept)
    session.flush()
    event = DepartmentAdded(dept.id, code, dept.name, region.division_code, region.name)
    added = emit(session, event)  # the catalog gives it its 部门 classification node
    details = merged({"name": dept.name, "region": region.division_code}, added)
    record(session, actor, event.action, "department", code, details=details)
    return dept


def get_department(session: Session, code: str) -> Department:
    dept = session.scalar(select(Department).where(Department.code == code.strip().upper()))
    if dept is None:
        raise NotFound(f"no department with code {code}")
    return dept


def list_departments(session: Session) -> list[Department]:
    return list(
        session.scalars(select(Department).join(Region).order_by(Region.division_code, Department.name))
    )


def list_regions(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).order_by(Region.division_code)))


def add_user(
    session: Session,
    actor: Actor,
    username: str,
    display_name: str,
    department_code: str,
    roles: list[str],
    password: str | None = None,
) -> User:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise invalid(
            f"username {username!r}: use 2-64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    role_set = {parse_role(r) for r in roles}
    check_role_set(role_set)
    dept = get_department(session, department_code)
    require(actor, "user.manage", Target(department_id=dept.id, roles=frozenset(role_set)))
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user {username} already exists")
    user = User(
        username=username,
        display_name=display_name.strip(),
        department_id=dept.id,
        password_hash=hash_password(password) if password else None,
    )
    user.role_rows = [UserRole(role=r.value) for r in sorted(role_set)]
    session.add(user)
    session.flush()
    record(
        session,
        actor,
        "org.user.add",
        "user",
        username,
        details={"department": dept.code, "roles": sorted(r.value for r in role_set)},
    )
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    """Every user for the operator; a department administrator's own department's users."""
    query = select(User).order_by(User.username)
    if not decide(actor, "user.read"):  # not everyone: at most the actor's own department
        require(actor, "user.read", Target(department_id=actor.department_id))
        query = query.where(User.department_id == actor.department_id)
    return list(session.scalars(query))


def set_roles(session: Session, actor: Actor, username: str, roles: list[str]) -> User:
    user = get_user(session, username)
    role_set = {parse_role(r) for r in roles}
    check_role_set(role_set)
    require(
        actor,
        "user.manage",
        Target(department_id=user.department_id, roles=frozenset(role_set | {Role(r) for r in user.roles})),
    )
    before = sorted(user.roles)
    user.role_rows = [UserRole(role=r.value) for r in sorted(role_set)]
    session.flush()
    record(
        session,
        actor,
        "org.user.roles",
        "user",
        user.username,
        details={"before": before, "after": sorted(r.value for r in role_set)},
    )
    return user


def set_password(session: Session, actor: Actor, username: str, password: str) -> None:
    user = get_user(session, username)
    if actor.user_id != user.id:
        require(
            actor,
            "user.manage",
            Target(department_id=user.department_id, roles=frozenset(Role(r) for r in user.roles)),
        )
    user.password_hash = hash_password(password)
    record(session, actor, "org.user.password", "user", user.username)


def set_active(session: Session, actor: Actor, username: str, active: bool) -> User:
    user = get_user(session, username)
    require(
        actor,
        "user.manage",
        Target(department_id=user.department_id, roles=frozenset(Role(r) for r in user.roles)),
    )
    user.active = active
    if not active:
        for token in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            token.revoked_at = utcnow()
    record(session, actor, "org.user.activate" if active else "org.user.deactivate", "user", user.username)
    return user


def actor_for(user: User, scope: str = "write") -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        department_id=user.department_id,
        roles=frozenset(Role(r) for r in user.roles),
        scope=scope,
    )


def login(session: Session, username: str, password: str) -> User:
    """Check a password; failures say nothing about which part was wrong."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    ok = user is not None and user.active and verify_password(user.password_hash, password)
    who = Actor(
        user_id=user.id if user else None,
        username=username.strip().lower()[:64],
        department_id=user.department_id if user else None,
    )
    if ok:
        record(session, who, "auth.login", "user", who.username)
    if not ok:
        record_apart(session, who, "auth.login", "user", who.username, result="denied")
        raise Unauthenticated("wrong username or password, or the account is disabled")
    return user  # type: ignore[return-value]


def issue_token(
    session: Session, actor: Actor, username: str, name: str, *, scope: str = "read", ttl_days: int = 90
) -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and never stored."""
    if scope not in ("read", "write"):
        raise invalid(f"token scope {scope!r}: use read or write")
    if not 1 <= ttl_days <= 366:
        raise invalid("token lifetime must be between 1 and 366 days")
    user = get_user(session, username)
    if actor.user_id != user.id:
        require(
            actor,
            "user.manage",
            Target(department_id=user.department_id, roles=frozenset(Role(r) for r in user.roles)),
        )
    else:
        require(actor, "token.manage")
        if scope == "write" and actor.scope != "write":
            raise invalid("a read-only token cannot issue a write token")
    fresh = new_token()
    token = ApiToken(
        token_id=fresh.token_id,
        user_id=user.id,
        name=name.strip() or "token",
        secret_hash=fresh.secret_hash,
        scope=scope,
        expires_at=utcnow() + timedelta(days=ttl_days),
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor,
        "auth.token.issue",
        "token",
        fresh.token_id,
        details={"user": user.username, "scope": scope, "ttl_days": ttl_days, "name": token.name},
    )
    return token, fresh.secret


def list_tokens(session: Session, actor: Actor, username: str) -> list[ApiToken]:
    user = get_user(session, username)
    if actor.user_id != user.id:
        require(actor, "user.manage", Target(department_id=user.department_id))
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(session: Session, actor: Actor, token_id: str) -> ApiToken:
    token = session.scalar(select(ApiToken).where(ApiToken.token_id == token_id))
    if token is None:
        raise NotFound(f"no token {token_id}")
    if actor.user_id != token.user_id:
        require(
            actor,
            "user.manage",
            Target(
                department_id=token.user.department_id, roles=frozenset(Role(r) for r in token.user.roles)
            ),
        )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    record(session, actor, "auth.token.revoke", "token", token_id)
    return token


TOUCH_EVERY = timedelta(seconds=60)


def is_stale(last_used: datetime | None, now: datetime) -> bool:
    """Whether a credential's last use is worth writing down again (not on every call: that
    would make every authenticated read a write)."""
    return last_used is None or now - last_used >= TOUCH_EVERY


def authenticate_token(session: Session, secret: str, *, touch: bool = True) -> Actor:
    token_id = parse_token(secret)
    token = session.scalar(select(ApiToken).where(ApiToken.token_id == token_id)) if token_id else None
    if token is None or not token_matches(token.secret_hash, secret):
        raise Unauthenticated("invalid token")
    now = utcnow()
    if token.revoked_at is not None:
        raise Unauthenticated("token revoked")
    if token.expires_at <= now:
        raise Unauthenticated("token expired")
    if not token.user.active:
        raise Unauthenticated("account disabled")
    if is_stale(token.last_used_at, now):
        if touch:
            token.last_used_at = now
        else:  # a read-only caller writes it down afterwards (see api.deps.current_actor)
            session.info["stale_credential"] = True
    return actor_for(token.user, token.scope)
