"""Objections (异议处理) as a service: raise one, take its steps, see them, and the figures of a
department's handling. The rules of which step when and by whom are :mod:`objection_flow`'s;
this module finds who the actor is to an objection, routes it by lineage, keeps its history,
deadlines and evidence, tells the raiser, and records every step in the ledger.

Who sees an objection: its raiser (the user, or the staff of the department that raised it), the
holder department it was routed to, the operator and auditors. To anyone else it does not exist
(as the catalog hides drafts). The record's key (often a 公民身份号码) is shown as given only to
the raiser, who supplied it, and the holder, whose data it is; everyone else sees each value in
its item's default view by grade (:func:`shown_keys`), as quality samples are shown.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from huitong import workdays
from huitong.access import Actor, Target, decide, require
from huitong.access.roles import Role
from huitong.aggregate.tables import LoadRun, SourceRow
from huitong.catalog import service as catalog
from huitong.catalog.tables import Resource
from huitong.db.base import after_commit, utcnow
from huitong.errors import Conflict, Forbidden, HuitongError, NotFound, Problem, invalid
from huitong.ledger.events import record
from huitong.org.tables import Department
from huitong.quality import disputes
from huitong.quality import objection_flow as flow
from huitong.quality.objection_flow import Deadlines, Party, State
from huitong.quality.service import held_back, item_views
from huitong.quality.tables import Objection, ObjectionEvidence, ObjectionNotice, ObjectionStep
from huitong.standards.store import elements_of
from huitong.store.schema import LOAD_ID
from huitong.store.store import Store

MAX_EVIDENCE = 5 * 1024 * 1024  # bytes of one evidence file
MAX_REASON = 2000
ON_BEHALF = ("citizen",)  # for whom staff may raise one (代居民提出)
NOTIFY = {"decline": "不予受理", "correct": "已更正", "reject": "已驳回"}  # answers the raiser is told of


def configured(deadlines: Any) -> Deadlines:
    """The objection limits of the configuration's ``[deadlines]`` (``huitong.config.Deadlines``)."""
    return Deadlines(deadlines.objection_accept, deadlines.objection_answer, deadlines.objection_extended)


@dataclass(frozen=True)
class Evidence:
    name: str
    content: bytes


# ---------------------------------------------------------------- who the actor is


def _staff(actor: Actor) -> bool:
    return actor.has(Role.dept_admin) or actor.has(Role.dept_user)


def parties(actor: Actor, obj: Objection) -> list[Party]:
    """What the actor is to this objection (any of raiser, operator, holder), by identity alone:
    whether it may act as such (a read-only token) is the policy's to say."""
    out = []
    if (obj.raiser_id is not None and actor.user_id == obj.raiser_id) or (
        obj.raiser_department_id is not None
        and actor.department_id == obj.raiser_department_id
        and _staff(actor)
    ):
        out.append(Party.raiser)
    if actor.has(Role.operator) or actor.is_system:
        out.append(Party.operator)
    holders = {obj.holder_department_id, *(obj.also_routed_to or ())}
    if (actor.department_id in holders and _staff(actor)) or actor.is_system:
        out.append(Party.holder)
    return out


def _sees(actor: Actor, obj: Objection) -> bool:
    return bool(parties(actor, obj)) or bool(decide(actor, "quality.objection.read", Target()))


def _visible_clause(actor: Actor):
    """The objections the actor sees, as a WHERE clause (None: all of them)."""
    if actor.is_system or decide(actor, "quality.objection.read", Target()):
        return None  # the operator, auditors
    if actor.is_public:
        return false()
    mine = [Objection.raiser_id == actor.user_id] if actor.user_id is not None else []
    if actor.department_id is not None and _staff(actor):
        mine += [
            Objection.raiser_department_id == actor.department_id,
            Objection.holder_department_id == actor.department_id,
        ]
    return or_(*mine) if mine else false()


def _objection(session: Session, actor: Actor, objection_id: int) -> Objection:
    obj = session.get(Objection, objection_id)
    if obj is None or not _sees(actor, obj):
        raise NotFound(f"no objection {objection_id}")  # not yours looks the same as none
    return obj


# ---------------------------------------------------------------- raising


def _key_of(res: Resource, key: Mapping[str, Any] | str | None) -> list[str] | None:
    if key is None or key == {}:
        return None
    key_items = [it.name for it in res.items if it.is_key]
    if not key_items:
        raise invalid(f"{res.code} has no key data item: object to the whole resource instead")
    given = {key_items[0]: key} if isinstance(key, str) else dict(key)
    unknown = [k for k in given if k not in key_items]
    nested = [k for k, v in given.items() if k in key_items and isinstance(v, Mapping | list | tuple | set)]
    if nested:
        raise invalid(
            "a key value is one text or number",
            *[Problem("not a single value", column=k) for k in nested],
        )
    missing = [k for k in key_items if given.get(k) is None or not str(given[k]).strip()]
    if unknown or missing:
        raise invalid(
            f"give the record's whole key: {', '.join(key_items)}",
            *[
                Problem(
                    "not a key item of this resource", column=k, code="objection.not_key", params={"item": k}
                )
                for k in unknown
            ],
            *[
                Problem(
                    "the key item is required", column=k, code="objection.key_required", params={"item": k}
                )
                for k in missing
            ],
        )
    return [str(given[k]).strip() for k in key_items]


def _evidence(evidence: Evidence | None) -> Evidence | None:
    if evidence is None:
        return None
    name = (evidence.name or "evidence").strip().replace("\\", "/").rsplit("/", 1)[-1][:200] or "evidence"
    if not evidence.content:
        raise invalid(
            f"the evidence file {name} is empty",
            Problem("empty file", field="evidence", code="objection.evidence_empty", params={"name": name}),
        )
    if len(evidence.content) > MAX_EVIDENCE:
        raise invalid(
            f"the evidence file {name} is {len(evidence.content):,} bytes; at most "
            f"{MAX_EVIDENCE // (1024 * 1024)} MB may be attached",
            Problem(
                "too large",
                field="evidence",
                value=name,
                code="objection.evidence_too_large",
                params={"name": name, "mb": MAX_EVIDENCE // (1024 * 1024)},
            ),
        )
    return Evidence(name, evidence.content)


@dataclass(frozen=True)
class Route:
    """Where an objection goes and the lineage that says so."""

    department_id: int
    snapshot_id: str | None
    load_id: int | None
    found: bool | None  # whether the record is in the current version (None: not a record)


def route(session: Session, store: Store | None, res: Resource, key: list[str] | None) -> Route:
    """By lineage: the department whose load wrote the disputed row (its ``_load_id`` → the load →
    its source → the resource fed → that resource's provider); a whole resource, a row written
    without a recorded load, or one not (or no longer) stored goes to the resource's provider.
    Fused base-library records would add their fusing unit to ``also_routed_to`` here."""
    fallback = Route(res.provider_id, None, None, None if key is None else False)
    if store is None or not store.exists(res.code):
        return fallback
    try:
        version = store.version(res.code)
    except NotFound:
        return fallback
    sid = str(version.snapshot_id)
    if key is None:
        return Route(res.provider_id, sid, None, None)
    key_items = [it.name for it in res.items if it.is_key]
    table = None
    for values in dict.fromkeys((tuple(key), tuple(v.upper() for v in key))):  # as typed, then as compared
        table = store.read(
            res.code,
            snapshot_id=version.snapshot_id,
            columns=[LOAD_ID],
            filter=dict(zip(key_items, values, strict=True)),
            limit=1,
        )
        if table.num_rows:
            break
    if table is None or table.num_rows == 0:
        return Route(res.provider_id, sid, None, False)
    load = str(table.column(LOAD_ID)[0].as_py() or "")
    run = session.get(LoadRun, int(load)) if load.isdigit() and len(load) < 19 else None
    if run is None:
        return Route(res.provider_id, sid, None, True)
    fed = session.scalar(
        select(Resource.provider_id)
        .join(SourceRow, SourceRow.resource_id == Resource.id)
        .where(SourceRow.id == run.source_id)
    )
    return Route(fed or res.provider_id, sid, run.id, True)


def _due(obj: Objection, deadlines: Deadlines) -> None:
    """Fix the current stage's deadline: the operator's counts from submission, the holder's from
    forwarding (an extension keeps that start)."""
    start = obj.forwarded_at if obj.state in (State.verifying, State.extended) else obj.created_at
    d = flow.due(obj.state, start, deadlines)
    obj.due_at = d.at if d else None
    obj.due_party = d.party.value if d else None
    obj.due_provisional = bool(d and d.provisional)


def _step_row(obj: Objection, actor: Actor, action: str, source, party: Party, now: datetime, **kw):
    return ObjectionStep(
        objection_id=obj.id,
        action=action,
        source=None if source is None else str(source),
        target=obj.state,
        party=party.value,
        actor_id=actor.user_id,
        actor_name=actor.username[:64],
        department_id=actor.department_id,
        at=now,
        **kw,
    )


def raise_objection(
    session: Session,
    store: Store | None,
    actor: Actor,
    code: str,
    reason: str,
    *,
    key: Mapping[str, Any] | str | None = None,
    item: str | None = None,
    evidence: Evidence | None = None,
    on_behalf: str | None = None,
    now: datetime | None = None,
    deadlines: Deadlines | None = None,
) -> Objection:
    """异议提出: an objection to a record (``key``), one of its items (``key`` and ``item``) or the
    whole resource (neither), routed to the department whose load produced the value.
    ``on_behalf="citizen"``: staff raise it for a citizen (代居民提出) and are told for them."""
    require(actor, "quality.objection.raise", Target())
    res = catalog.get(session, actor, code)
    reason = (reason or "").strip()
    if not reason:
        raise invalid(
            "say why the data is wrong (理由)",
            Problem("a reason is required", field="reason", code="objection.reason_required"),
        )
    if len(reason) > MAX_REASON:
        raise invalid(f"the reason is at most {MAX_REASON} characters", Problem("too long", field="reason"))
    if on_behalf not in (None, "", *ON_BEHALF):
        raise invalid(
            f"on_behalf: {on_behalf!r} is not one of {', '.join(ON_BEHALF)}",
            Problem("unknown", field="on_behalf", value=str(on_behalf)),
        )
    values = _key_of(res, key)
    if item is not None:
        item = item.strip()
        if values is None:
            raise invalid(
                "an objection to a data item names its record's key too",
                Problem("name the record's key", field="key", code="objection.item_needs_key"),
            )
        if item not in {it.name for it in res.items}:
            raise invalid(
                f"{res.code} has no data item {item!r}",
                Problem("unknown item", field="item", code="objection.unknown_item", params={"item": item}),
            )
    evidence = _evidence(evidence)
    to = route(session, store, res, values)
    now = now or utcnow()
    obj = Objection(
        resource_code=res.code,
        scope="resource" if values is None else ("field" if item else "record"),
        key=values,
        item=item or None,
        reason=reason,
        state=State.submitted.value,
        raiser_id=actor.user_id,
        raiser_name=actor.username[:64],
        raiser_department_id=actor.department_id,
        on_behalf=on_behalf or None,
        holder_department_id=to.department_id,
        snapshot_id=to.snapshot_id,
        load_id=to.load_id,
        also_routed_to=[],
        created_at=now,
        updated_at=now,
    )
    _due(obj, deadlines or Deadlines())
    session.add(obj)
    session.flush()
    session.add(_step_row(obj, actor, "submit", None, Party.raiser, now, reason=reason))
    details: dict[str, Any] = {
        "resource": res.code,
        "scope": obj.scope,
        "item": obj.item,
        "holder": to.department_id,
        "snapshot": to.snapshot_id,
        "load": to.load_id,
        "record_found": to.found,
        **({"on_behalf": on_behalf} if on_behalf else {}),
    }
    if evidence is not None:
        digest = hashlib.sha256(evidence.content).hexdigest()
        session.add(
            ObjectionEvidence(
                objection_id=obj.id,
                name=evidence.name,
                size=len(evidence.content),
                sha256=digest,
                content=evidence.content,
                at=now,
            )
        )
        details["evidence"] = {"name": evidence.name, "sha256": digest}
    record(session, actor, "quality.objection.submit", "objection", str(obj.id), details=details)
    return obj


# ---------------------------------------------------------------- steps


def _party_for(actor: Actor, obj: Objection, action: str) -> Party:
    """The party the actor acts as: the one the action needs if it is that, else any it is (so the
    flow's refusal names who may)."""
    mine = parties(actor, obj)
    if not mine:  # an auditor: sees objections, never acts on them
        raise Forbidden(f"{actor.label()} may not act on objections: auditors only see them")
    wanted = [s.party for s in flow.STEPS.get(action, ())]
    return next((p for p in wanted if p in mine), mine[0])


def _policy(actor: Actor, obj: Objection, party: Party) -> None:
    if party is Party.operator:
        require(actor, "quality.objection.handle", Target())
    elif party is Party.holder:
        dept = actor.department_id if actor.department_id in (obj.also_routed_to or ()) else None
        require(actor, "quality.objection.decide", Target(department_id=dept or obj.holder_department_id))
    else:
        require(actor, "quality.objection.raise", Target())


def _correction(session: Session, store: Store | None, obj: Objection, correction: str) -> str:
    """The correcting version: a stored version of the resource, made after the objection, and not
    held back by the quality gate."""
    if store is None:
        raise HuitongError("checking a correction needs the store", status=500)
    text = correction.strip().removeprefix("snapshot:")
    version = store.version(obj.resource_code, text)  # NotFound or 422 say what is wrong
    if version.committed_at <= obj.created_at:
        raise invalid(
            f"version {version.snapshot_id} of {obj.resource_code} was made at "
            f"{version.committed_at.isoformat()}, before the objection ({obj.created_at.isoformat()}): "
            "load the corrected data first and name the new version",
            Problem(
                "not newer than the objection",
                field="correction",
                value=text,
                code="objection.correction_older",
                params={"version": str(version.snapshot_id)},
            ),
        )
    if held_back(session, obj.resource_code, version.snapshot_id):
        raise Conflict(
            f"version {version.snapshot_id} is held back by the quality gate: release it or load a corrected one"
        )
    return str(version.snapshot_id)


def take_step(
    session: Session,
    actor: Actor,
    objection_id: int,
    action: str,
    *,
    reason: str | None = None,
    correction: str | None = None,
    store: Store | None = None,
    now: datetime | None = None,
    deadlines: Deadlines | None = None,
) -> Objection:
    """One step (受理, 标注, 核实处理, 撤销标注, 归档, …), by whoever the flow says takes it."""
    obj = _objection(session, actor, objection_id)
    if reason is not None and len(reason) > MAX_REASON:
        raise invalid(f"the reason is at most {MAX_REASON} characters", Problem("too long", field="reason"))
    party = _party_for(actor, obj, action)
    source = State(obj.state)
    target = flow.step(source, action, party, reason=reason, correction=correction)
    _policy(actor, obj, party)
    now = now or utcnow()
    linked = _correction(session, store, obj, correction or "") if action == "correct" else None
    obj.state, obj.updated_at = target.value, now
    if action == "forward":
        obj.forwarded_at = now
    if action in ("correct", "reject"):
        obj.answered_at = now
        obj.answered_on_time = obj.due_at is None or now <= obj.due_at
    if linked:
        obj.correction = linked
    _due(obj, deadlines or Deadlines())
    text = (reason or "").strip() or None
    session.add(_step_row(obj, actor, action, source, party, now, reason=text, correction=linked))
    if action in NOTIFY:
        session.add(
            ObjectionNotice(objection_id=obj.id, kind=action, message=_notice(obj, action, text), at=now)
        )
    record(
        session,
        actor,
        f"quality.objection.{action}",
        "objection",
        str(obj.id),
        details={
            "resource": obj.resource_code,
            "from": source.value,
            "to": target.value,
            "party": party.value,
            **({"reason": text} if text else {}),
            **({"correction": linked} if linked else {}),
        },
    )
    if source.disputed != target.disputed:
        db = session.info.get("database")
        if db is not None:
            code = obj.resource_code
            after_commit(session, lambda: disputes.cache(db).forget(code))
    session.flush()
    return obj


def _notice(obj: Objection, action: str, reason: str | None) -> str:
    what = {"record": "the record", "field": f"the item {obj.item} of the record", "resource": "the resource"}
    head = f"objection {obj.id} to {what[obj.scope]} of {obj.resource_code}: {NOTIFY[action]} ({action})"
    if action == "correct":
        return f"{head}; corrected in version {obj.correction}"
    return f"{head}; {reason}" if reason else head


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Detail:
    objection: Objection
    steps: list[ObjectionStep]
    evidence: list[ObjectionEvidence]  # content deferred: read it with :func:`evidence_file`
    parties: list[Party]
    actions: list[str]  # what the actor may do now


def get(session: Session, actor: Actor, objection_id: int) -> Detail:
    obj = _objection(session, actor, objection_id)
    steps = list(
        session.scalars(
            select(ObjectionStep).where(ObjectionStep.objection_id == obj.id).order_by(ObjectionStep.id)
        )
    )
    files = list(
        session.scalars(
            select(ObjectionEvidence)
            .where(ObjectionEvidence.objection_id == obj.id)
            .order_by(ObjectionEvidence.id)
        )
    )
    mine = parties(actor, obj)
    possible = [a for a in flow.ACTIONS if any(a in flow.actions(obj.state, p) for p in mine)]
    return Detail(obj, steps, files, mine, possible)


def sees_lineage(actor: Actor, obj: Objection) -> bool:
    """Whether the actor is shown the lineage that routed it (the version and the load that wrote
    the row): not to one who is only its raiser, for whom a load's id would say whether a person
    is in the holder's register at all."""
    return parties(actor, obj) != [Party.raiser]


def shown_keys(
    session: Session, actor: Actor, objections: Iterable[Objection]
) -> dict[int, list[str | None]]:
    """Each objection's record key as the actor is shown it, by objection id (``[]`` for a whole
    resource): as given to its raiser and holder; to the operator, auditors and anyone else who
    reads it, each value in its key item's default view by grade (the element's mask rule; None
    when hidden, or when the item is no longer a key item of the resource). The stored key is
    unchanged. One lookup of the resources and one of their elements, whatever the number."""
    found = list(objections)
    out: dict[int, list[str | None]] = {o.id: list(o.key or []) for o in found}
    masked = [o for o in found if o.key and not {Party.raiser, Party.holder} & set(parties(actor, o))]
    if not masked:
        return out
    codes = sorted({o.resource_code for o in masked})
    resources = {r.code: r for r in session.scalars(select(Resource).where(Resource.code.in_(codes)))}
    elements = elements_of(session, {it.element for r in resources.values() for it in r.items if it.element})
    views = {code: item_views(r, elements) for code, r in resources.items()}
    key_items = {code: [it.name for it in r.items if it.is_key] for code, r in resources.items()}
    for o in masked:
        names, view = key_items.get(o.resource_code, []), views.get(o.resource_code, {})
        out[o.id] = [
            view[names[i]](value) if i < len(names) and names[i] in view else None
            for i, value in enumerate(o.key or [])
        ]
    return out


def evidence_file(session: Session, actor: Actor, objection_id: int, evidence_id: int) -> ObjectionEvidence:
    obj = _objection(session, actor, objection_id)
    found = session.get(ObjectionEvidence, evidence_id)
    if found is None or found.objection_id != obj.id:
        raise NotFound(f"objection {objection_id} has no evidence file {evidence_id}")
    return found


def list_for(
    session: Session,
    actor: Actor,
    *,
    resource: str | None = None,
    state: str | None = None,
    limit: int = 200,
) -> list[Objection]:
    """The objections the actor sees (its own, those routed to its department, or all for the
    operator and auditors), newest first."""
    q = select(Objection)
    clause = _visible_clause(actor)
    if clause is not None:
        q = q.where(clause)
    if resource:
        q = q.where(Objection.resource_code == resource.strip())
    if state:
        try:
            q = q.where(Objection.state == State(state).value)
        except ValueError:
            raise invalid(f"no objection state {state!r}: use one of {', '.join(State)}") from None
    return list(session.scalars(q.order_by(Objection.id.desc()).limit(limit)))


def overdue(session: Session, actor: Actor, now: datetime | None = None) -> list[Objection]:
    """Objections whose current stage is past due (the dashboard's list), most overdue first."""
    q = select(Objection).where(Objection.due_at.is_not(None), Objection.due_at < (now or utcnow()))
    clause = _visible_clause(actor)
    if clause is not None:
        q = q.where(clause)
    return list(session.scalars(q.order_by(Objection.due_at, Objection.id)))


def notices(session: Session, actor: Actor) -> list[tuple[ObjectionNotice, Objection]]:
    """What the actor was told as a raiser, newest first."""
    q = select(ObjectionNotice, Objection).join(Objection, Objection.id == ObjectionNotice.objection_id)
    mine = [Objection.raiser_id == actor.user_id] if actor.user_id is not None else []
    if actor.department_id is not None and _staff(actor):
        mine.append(Objection.raiser_department_id == actor.department_id)
    if not actor.is_system:
        q = q.where(or_(*mine) if mine else false())
    return [(n, o) for n, o in session.execute(q.order_by(ObjectionNotice.id.desc()))]


@dataclass(frozen=True)
class Figures:
    """A department's objection handling (异议处理情况): for the dashboard."""

    department_id: int
    code: str
    name: str
    received: int
    open: int
    overdue: int
    answered: int
    on_time: int
    on_time_rate: float | None  # answered within the deadline / answered
    median_days: float | None  # working days from forwarding to the answer


def department_figures(
    session: Session, actor: Actor, department: str | None = None, now: datetime | None = None
) -> list[Figures]:
    """Per holder department (or one, by code): objections received, open, overdue, answered, on
    time and the median working days to answer; departments with none are left out."""
    require(actor, "quality.read", Target())
    now = now or utcnow()
    q = select(Objection)
    if department:
        dept = session.scalar(select(Department).where(Department.code == department.strip()))
        if dept is None:
            raise NotFound(f"no department {department}")
        q = q.where(Objection.holder_department_id == dept.id)
    by_dept: dict[int, list[Objection]] = {}
    for obj in session.scalars(q):
        by_dept.setdefault(obj.holder_department_id, []).append(obj)
    names = {
        d.id: d for d in session.scalars(select(Department).where(Department.id.in_(list(by_dept) or [0])))
    }
    out = []
    for dept_id, objs in by_dept.items():
        answered = [o for o in objs if o.answered_at is not None]
        on_time = sum(1 for o in answered if o.answered_on_time)
        days = [
            workdays.working_days_between(o.forwarded_at, o.answered_at)
            for o in answered
            if o.forwarded_at is not None
        ]
        d = names[dept_id]
        out.append(
            Figures(
                dept_id,
                d.code,
                d.name,
                len(objs),
                sum(1 for o in objs if not State(o.state).final),
                sum(1 for o in objs if o.due_at is not None and o.due_at < now),
                len(answered),
                on_time,
                round(on_time / len(answered), 4) if answered else None,
                float(statistics.median(days)) if days else None,
            )
        )
    out.sort(key=lambda f: (-f.received, f.code))
    return out


def disputed_keys(session: Session, code: str) -> disputes.Disputes:
    """What is disputed on a resource now: its disputed record keys (with their items) and whether
    the resource as a whole is (see :mod:`huitong.quality.disputes`)."""
    return disputes.disputed_keys(session, code)
