"""Applications (共享申请) and the decisions on each requested resource.

Each step checks the state machine (``states``), who the actor is to this request (operator,
provider or consumer), and records the transition with its working-day timing and a ledger
entry in the same transaction, so a decision and its evidence commit together. Approval
creates the grant in that transaction too: there is never an approved request without its grant.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong import workdays as calendar
from huitong.access import Actor, Target, decide, require
from huitong.access.roles import Role
from huitong.aggregate.tables import LoadRun
from huitong.catalog.tables import Resource
from huitong.config import Deadlines
from huitong.db.base import utcnow
from huitong.errors import Conflict, Forbidden, NotFound, Problem, invalid
from huitong.ledger.events import record
from huitong.org.tables import Department
from huitong.share.grants import Conditions, create_grant, default_conditions
from huitong.share.states import Party, State, TransitionError, allowed_actions, check, target
from huitong.share.tables import ShareApplication, ShareRequest, ShareTransition

PURPOSES = {
    "administrative_basis": "行政依据",
    "work_reference": "工作参考",
    "data_verification": "数据校核",
    "business_collaboration": "业务协同",
    "other": "其他",
}
MODES = ("query", "verify", "batch", "subscription")
MAX_USE_DAYS = 3 * 366


@dataclass
class ApplicationForm:
    """What a consumer fills in; ``resources`` maps a resource code to the item names it needs
    (an empty list asks for every item)."""

    resources: dict[str, list[str]]
    purpose: str
    purpose_text: str
    legal_basis: str
    business: str
    use_from: date
    use_until: date
    modes: list[str] = field(default_factory=lambda: ["query"])


def _purpose(value: str) -> str:
    text = (value or "").strip()
    for key, label in PURPOSES.items():
        if text in (key, label):
            return key
    listed = ", ".join(f"{k} ({v})" for k, v in PURPOSES.items())
    raise invalid(f"purpose {text!r}: use one of {listed}", Problem("unknown purpose", field="purpose"))


def cart_problems(resources) -> list[Problem]:
    if resources:
        return []
    return [
        Problem("put at least one resource in the application", field="resources", code="share.empty_cart")
    ]


def period_problems(use_from: date, use_until: date) -> list[Problem]:
    """The period of use: it ends after it starts, and lasts at most :data:`MAX_USE_DAYS`."""
    if use_until < use_from:
        return [
            Problem("the period of use ends before it starts", field="use_until", code="share.period_order")
        ]
    if (use_until - use_from).days > MAX_USE_DAYS:
        return [
            Problem(
                "a period of use longer than three years is not granted",
                field="use_until",
                code="share.period_long",
                params={"days": MAX_USE_DAYS},
            )
        ]
    return []


def mode_problems(modes) -> list[Problem]:
    bad = [m for m in modes if m not in MODES]
    if not bad and modes:
        return []
    return [
        Problem(
            f"delivery modes: choose from {', '.join(MODES)}",
            field="modes",
            code="share.no_modes",
            params={"modes": ", ".join(MODES)},
        )
    ]


def _check_form(form: ApplicationForm) -> list[Problem]:
    """Every rule an application must meet; the console asks the same functions for the parts
    it could read, so a form shows all its problems at once."""
    problems = cart_problems(form.resources)
    for name in ("purpose_text", "legal_basis", "business"):
        if not str(getattr(form, name) or "").strip():
            problems.append(Problem("required", field=name))
    problems += period_problems(form.use_from, form.use_until)
    problems += mode_problems(form.modes)
    return problems


def _on_platform(session: Session, code: str) -> bool:
    return (
        session.scalar(
            select(LoadRun.id).where(
                LoadRun.resource_code == code, LoadRun.status.in_(("loaded", "unchanged"))
            )
        )
        is not None
    )


def _due(start: datetime, days: int) -> tuple[datetime, bool]:
    due = calendar.deadline(start, days)
    return due, not calendar.known_year(due.year)


def _step_days(state: State, req: ShareRequest, deadlines: Deadlines) -> int | None:
    if state == State.submitted:
        return deadlines.operator_review
    if state == State.provider_review:
        return (
            deadlines.provider_review_on_platform
            if req.on_platform
            else deadlines.provider_review_off_platform
        )
    if state == State.negotiation:
        return deadlines.negotiation
    if state == State.coordination:
        return deadlines.coordination
    return None


def submit(
    session: Session, actor: Actor, form: ApplicationForm, deadlines: Deadlines | None = None
) -> ShareApplication:
    """File one application; every resource in it starts its own compliance review."""
    deadlines = deadlines or Deadlines()
    problems = _check_form(form)
    purpose = _purpose(form.purpose)
    resources: list[tuple[Resource, list[str]]] = []
    for code, wanted in form.resources.items():
        res = session.scalar(select(Resource).where(Resource.code == code.strip()))
        if res is None or res.status != "published":
            problems.append(
                Problem("no published catalog entry with this code", field="resources", value=code)
            )
            continue
        require(actor, "share.apply", Target(department_id=res.provider_id))
        names = [it.name for it in res.items]
        items = list(dict.fromkeys(wanted)) if wanted else names
        unknown = [n for n in items if n not in names]
        if unknown:
            problems.append(
                Problem(f"not data items of {res.code}: {', '.join(unknown)}", field="items", value=code)
            )
        resources.append((res, items))
    if problems:
        raise invalid("the application is not complete", *problems)
    if not resources:
        raise invalid("put at least one resource in the application")
    app = ShareApplication(
        consumer_id=actor.department_id,
        applicant_id=actor.user_id,
        applicant_name=actor.username,
        purpose=purpose,
        purpose_text=form.purpose_text.strip(),
        legal_basis=form.legal_basis.strip(),
        business=form.business.strip(),
        use_from=form.use_from,
        use_until=form.use_until,
        modes=list(dict.fromkeys(form.modes)),
    )
    session.add(app)
    session.flush()
    now = utcnow()
    for res, items in resources:
        req = ShareRequest(
            application_id=app.id,
            resource_id=res.id,
            resource_code=res.code,
            provider_id=res.provider_id,
            consumer_id=actor.department_id,
            items=items,
            state=State.submitted.value,
            state_since=now,
            on_platform=_on_platform(session, res.code),
        )
        req.due_at, req.due_provisional = _due(now, deadlines.operator_review)
        session.add(req)
        session.flush()
        session.add(
            ShareTransition(
                request_id=req.id,
                action="submit",
                from_state=None,
                to_state=State.submitted.value,
                party=Party.consumer.value,
                actor_id=actor.user_id,
                actor_name=actor.username,
                at=now,
            )
        )
        record(
            session,
            actor,
            "share.submit",
            "share_request",
            str(req.id),
            details={
                "application": app.id,
                "resource": res.code,
                "items": items,
                "purpose": purpose,
                "modes": app.modes,
                "due": req.due_at.isoformat(),
            },
        )
    return app


def parties(actor: Actor, req: ShareRequest) -> set[Party]:
    """Who the actor is to this request (a department can be more than one in tests, never in life)."""
    out: set[Party] = set()
    if actor.is_system or actor.has(Role.operator):
        out.add(Party.operator)
    member = actor.has(Role.dept_admin) or actor.has(Role.dept_user)
    if actor.department_id == req.provider_id and actor.has(Role.dept_admin):
        out.add(Party.provider)
    if actor.department_id == req.consumer_id and member:
        out.add(Party.consumer)
    if actor.is_system:
        out |= {Party.provider, Party.consumer}
    return out


def can_read(actor: Actor, req: ShareRequest) -> bool:
    return bool(
        decide(actor, "share.read", Target(department_id=req.consumer_id))
        or decide(actor, "share.read", Target(department_id=req.provider_id))
    )


def get_request(session: Session, actor: Actor, request_id: int) -> ShareRequest:
    req = session.get(ShareRequest, request_id)
    if req is None or not can_read(actor, req):
        raise NotFound(f"no share request {request_id}")
    return req


def get_application(session: Session, actor: Actor, application_id: int) -> ShareApplication:
    app = session.get(ShareApplication, application_id)
    if app is None or not any(can_read(actor, r) for r in app.requests):
        raise NotFound(f"no application {application_id}")
    return app


def act(
    session: Session,
    actor: Actor,
    request_id: int,
    action: str,
    *,
    reason: str | None = None,
    conditions: Conditions | None = None,
    deadlines: Deadlines | None = None,
) -> ShareRequest:
    """Take one step on a requested resource; illegal steps are refused with what is possible."""
    deadlines = deadlines or Deadlines()
    require(actor, "share.decide")
    req = session.get(ShareRequest, request_id, with_for_update=True)
    if req is None or not can_read(actor, req):
        raise NotFound(f"no share request {request_id}")
    source = State(req.state)
    who = parties(actor, req)
    try:
        step = check(action, source, who, reason)
    except TransitionError as exc:
        if exc.kind == "party":
            raise Forbidden(str(exc)) from exc
        if exc.kind == "state":
            raise Conflict(str(exc)) from exc
        raise invalid(str(exc), Problem(str(exc), field="reason")) from exc
    res = session.get(Resource, req.resource_id)
    new = target(action, source, res.share_type)
    now = utcnow()
    spent = calendar.working_days_between(req.state_since, now)
    overdue = req.due_at is not None and now > req.due_at
    grant = None
    if new == State.granted:
        conds = conditions if (conditions is not None and action == "approve") else None
        conds = conds or default_conditions(req, res)
        grant = create_grant(session, actor, req, res, conds)
        req.conditions = conds.as_dict()
        req.grant_id = grant.id
    if step.needs_reason or (reason and reason.strip()):
        req.reason = (reason or "").strip() or req.reason
    req.state, req.state_since = new.value, now
    days = _step_days(new, req, deadlines)
    if days is None:
        req.due_at, req.due_provisional = None, False
    else:
        req.due_at, req.due_provisional = _due(now, days)
    if new.final or new == State.rejected:
        req.decided_at = now
    session.add(
        ShareTransition(
            request_id=req.id,
            action=action,
            from_state=source.value,
            to_state=new.value,
            party=step.party.value,
            actor_id=actor.user_id,
            actor_name=actor.username,
            at=now,
            reason=(reason or "").strip() or None,
            working_days=spent,
            overdue=overdue,
        )
    )
    details: dict[str, Any] = {
        "resource": req.resource_code,
        "from": source.value,
        "to": new.value,
        "party": step.party.value,
        "working_days": spent,
        "overdue": overdue,
    }
    if reason:
        details["reason"] = reason.strip()
    if grant is not None:
        details["grant"] = grant.id
        details["conditions"] = req.conditions
    record(session, actor, f"share.{action}", "share_request", str(req.id), details=details)
    return req


def transitions(session: Session, req: ShareRequest) -> list[ShareTransition]:
    return list(
        session.scalars(
            select(ShareTransition).where(ShareTransition.request_id == req.id).order_by(ShareTransition.id)
        )
    )


def list_requests(
    session: Session,
    actor: Actor,
    *,
    role: str = "any",
    state: str | None = None,
    overdue_only: bool = False,
    limit: int = 200,
) -> list[ShareRequest]:
    """``role``: ``consumer`` (my applications), ``provider`` (my inbox), ``operator`` (all) or
    ``any`` (whatever the actor may see)."""
    stmt = select(ShareRequest).order_by(ShareRequest.id.desc()).limit(limit)
    if role == "consumer":
        stmt = stmt.where(ShareRequest.consumer_id == actor.department_id)
    elif role == "provider":
        stmt = stmt.where(ShareRequest.provider_id == actor.department_id)
    elif role not in ("operator", "any"):
        raise invalid("role: use consumer, provider, operator or any")
    if state:
        try:
            stmt = stmt.where(ShareRequest.state == State(state).value)
        except ValueError:
            raise invalid(f"state {state!r}: use one of {', '.join(s.value for s in State)}") from None
    if overdue_only:
        stmt = stmt.where(ShareRequest.due_at.is_not(None), ShareRequest.due_at < utcnow())
    return [r for r in session.scalars(stmt) if can_read(actor, r)]


def request_dict(
    req: ShareRequest, actor: Actor | None = None, now: datetime | None = None
) -> dict[str, Any]:
    now = now or utcnow()
    state = State(req.state)
    out: dict[str, Any] = {
        "id": req.id,
        "application": req.application_id,
        "resource": req.resource_code,
        "provider_id": req.provider_id,
        "consumer_id": req.consumer_id,
        "items": req.items,
        "state": state.value,
        "state_zh": state.label_zh,
        "since": req.state_since.isoformat(),
        "due": req.due_at.isoformat() if req.due_at else None,
        "due_provisional": req.due_provisional,
        "overdue": bool(req.due_at and now > req.due_at),
        "working_days_left": calendar.working_days_between(now, req.due_at) if req.due_at else None,
        "reason": req.reason,
        "conditions": req.conditions,
        "grant": req.grant_id,
        "purpose": req.application.purpose,
        "purpose_zh": PURPOSES.get(req.application.purpose),
    }
    if actor is not None:
        out["actions"] = allowed_actions(state, parties(actor, req))
    return out


def department_stats(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Per provider department: requests received, median working days to decide, overdue now
    and decided late (考核 figures). The operator and auditors see all; others their own."""
    wide = actor.has(Role.operator) or actor.has(Role.auditor) or actor.is_system
    if not wide and actor.department_id is None:
        raise Forbidden("sign in as department staff, the operator or an auditor")
    now = utcnow()
    reqs = list(session.scalars(select(ShareRequest)))
    decisions = list(
        session.scalars(
            select(ShareTransition).where(
                ShareTransition.party == Party.provider.value,
                ShareTransition.action.in_(("approve", "reject")),
            )
        )
    )
    by_req = {r.id: r for r in reqs}
    names = {d.id: d.name for d in session.scalars(select(Department))}
    stats: dict[int, dict[str, Any]] = {}
    for r in reqs:
        if not wide and r.provider_id != actor.department_id:
            continue
        s = stats.setdefault(
            r.provider_id,
            {
                "department_id": r.provider_id,
                "department": names.get(r.provider_id),
                "received": 0,
                "decided": 0,
                "overdue_now": 0,
                "decided_late": 0,
                "days": [],
            },
        )
        s["received"] += 1
        if r.due_at and now > r.due_at and not State(r.state).final:
            s["overdue_now"] += 1
    for t in decisions:
        r = by_req.get(t.request_id)
        if r is None or r.provider_id not in stats:
            continue
        s = stats[r.provider_id]
        s["decided"] += 1
        s["days"].append(t.working_days or 0)
        s["decided_late"] += int(t.overdue)
    out = []
    for s in stats.values():
        days = s.pop("days")
        s["median_decision_days"] = statistics.median(days) if days else None
        out.append(s)
    return sorted(out, key=lambda s: (-s["received"], s["department_id"]))
