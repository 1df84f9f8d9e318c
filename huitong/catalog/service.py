"""Registering, reviewing and retiring catalog entries (the database side of the catalog).

Pure rules live in :mod:`huitong.catalog.rules` and :mod:`huitong.catalog.lifecycle`; this
module adds the checks that need the database (references, uniqueness), generates codes,
keeps a revision of every change and records evidence, all in the caller's transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, decide, require
from huitong.access.roles import Role
from huitong.catalog import rules
from huitong.catalog.classification import make_code
from huitong.catalog.lifecycle import next_status
from huitong.catalog.model import (
    DataItem,
    DataType,
    FormatClass,
    Grade,
    OpenType,
    ResourceSpec,
    ShareChannel,
    ShareMode,
    ShareType,
    Status,
    UpdateCycle,
)
from huitong.catalog.revisions import Change, diff_snapshots
from huitong.catalog.tables import ClassNode, Counter, Resource, ResourceItem, ResourceRevision
from huitong.db.base import utcnow
from huitong.errors import HuitongError, NotFound, Problem, invalid
from huitong.ledger.events import record
from huitong.org.tables import Department
from huitong.standards.store import element_grades

DEFAULT_ITEM_GRADE = Grade.general_2


def bump_counter(session: Session, name: str = "catalog") -> int:
    """Next change number; the row lock orders concurrent writers by commit."""
    value = session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    ).scalar()
    if value is None:
        session.add(Counter(name=name, value=1))
        session.flush()
        return 1
    return int(value)


def spec_of(res: Resource) -> ResourceSpec:
    return ResourceSpec(
        name=res.name,
        class_code=res.class_code,
        provider_code=res.provider.code,
        summary=res.summary,
        format_class=FormatClass(res.format_class),
        share_type=ShareType(res.share_type),
        share_mode=ShareMode(res.share_mode),
        open_type=OpenType(res.open_type),
        update_cycle=UpdateCycle(res.update_cycle),
        format_type=res.format_type,
        share_channel=ShareChannel(res.share_channel),
        share_condition=res.share_condition,
        share_basis=res.share_basis,
        open_condition=res.open_condition,
        publish_date=res.publish_date,
        related_codes=list(res.related_codes or []),
        also_in=list(res.also_in or []),
        source_system=res.source_system,
        authoritative_code=res.authoritative.code if res.authoritative else None,
        tags=list(res.tags or []),
        name_en=res.name_en,
        items=[
            DataItem(
                name=it.name,
                data_type=DataType(it.data_type),
                length=it.length,
                element=it.element,
                grade=Grade(it.grade) if it.grade_explicit else None,
                name_en=it.name_en,
                is_key=it.is_key,
                required=it.required,
                description=it.description,
            )
            for it in res.items
        ],
    )


def snapshot(res: Resource) -> dict:
    d = spec_of(res).to_dict()
    d.update(code=res.code, status=res.status, grade=res.grade, provider=res.provider.name)
    for stored, item in zip(res.items, d["items"], strict=True):
        item["grade"] = stored.grade
    return d


def _target(res: Resource) -> Target:
    return Target(department_id=res.provider_id, status=res.status, open_type=res.open_type)


def get(session: Session, actor: Actor, code: str) -> Resource:
    res = session.scalar(select(Resource).where(Resource.code == code.strip()))
    if res is None or not decide(actor, "catalog.read", _target(res)):
        # Not found and not visible look the same, so the catalog does not leak drafts.
        raise NotFound(f"no catalog entry {code}")
    return res


def _check_db(
    session: Session, spec: ResourceSpec, provider: Department | None, current: Resource | None
) -> tuple[list[Problem], Department | None]:
    problems: list[Problem] = []
    defaults = element_grades(session)
    for n, item in enumerate(spec.items, start=1):
        floor = defaults.get(item.element or "")
        if item.grade is not None and floor and item.grade.rank < Grade(floor).rank:
            problems.append(
                Problem(
                    f"{item.name}: grade {item.grade.value} is below its data element {item.element}'s "
                    f"{floor} (就高从严: an item may be graded stricter than its element, never looser)",
                    field=f"items[{n}].grade",
                    value=item.grade.value,
                )
            )
    if provider is None:
        problems.append(
            Problem(
                f"no department with code {spec.provider_code}",
                field="provider_code",
                value=spec.provider_code,
            )
        )
    node = session.get(ClassNode, spec.class_code) if spec.class_code else None
    if spec.class_code and node is None:
        problems.append(
            Problem(f"no classification node {spec.class_code}", field="class_code", value=spec.class_code)
        )
    elif (
        node is not None
        and node.department_id is not None
        and provider is not None
        and node.department_id != provider.id
    ):
        problems.append(
            Problem(
                f"{spec.class_code} is another department's 部门 node",
                field="class_code",
                value=spec.class_code,
            )
        )
    for extra in spec.also_in:
        if session.get(ClassNode, extra) is None:
            problems.append(Problem(f"no classification node {extra}", field="also_in", value=extra))
    if spec.related_codes:
        found = set(session.scalars(select(Resource.code).where(Resource.code.in_(spec.related_codes))))
        for code in spec.related_codes:
            if code not in found or (current is not None and code == current.code):
                problems.append(
                    Problem(f"related resource {code} does not exist", field="related_codes", value=code)
                )
    authoritative = None
    if spec.authoritative_code:
        authoritative = session.scalar(select(Department).where(Department.code == spec.authoritative_code))
        if authoritative is None:
            problems.append(
                Problem(
                    f"no department with code {spec.authoritative_code}",
                    field="authoritative_code",
                    value=spec.authoritative_code,
                )
            )
    if provider is not None and spec.name:
        key = rules.normalise_name(spec.name)
        clash = session.scalar(
            select(Resource).where(Resource.provider_id == provider.id, Resource.name_key == key)
        )
        if clash is not None and (current is None or clash.id != current.id):
            problems.append(
                Problem(
                    f"{provider.name} already has a resource named {clash.name!r} ({clash.code})",
                    field="name",
                    value=spec.name,
                )
            )
    return problems, authoritative


def validate(session: Session, spec: ResourceSpec, current: Resource | None = None) -> list[Problem]:
    """Every problem with a spec, pure rules and database checks together."""
    grades = element_grades(session)
    problems = rules.check_spec(spec, known_elements=grades.keys() or {"-"})
    provider = session.scalar(select(Department).where(Department.code == spec.provider_code))
    db_problems, _ = _check_db(session, spec, provider, current)
    return problems + db_problems


def _apply(session: Session, res: Resource, spec: ResourceSpec, authoritative: Department | None) -> None:
    with session.no_autoflush:  # the row is half-built until every field is set
        grades = element_grades(session)
    res.name = spec.name.strip()
    res.name_key = rules.normalise_name(spec.name)
    res.name_en = spec.name_en
    res.summary = spec.summary.strip()
    res.format_class = spec.format_class.value
    res.format_type = spec.format_type
    res.share_type = spec.share_type.value
    res.share_condition = spec.share_condition
    res.share_basis = spec.share_basis
    res.share_channel = spec.share_channel.value
    res.share_mode = spec.share_mode.value
    res.open_type = spec.open_type.value
    res.open_condition = spec.open_condition
    res.update_cycle = spec.update_cycle.value
    res.publish_date = (
        spec.publish_date or res.publish_date
    )  # set by publishing; an edit omitting it keeps it
    res.related_codes = list(spec.related_codes)
    res.also_in = list(spec.also_in)
    res.source_system = spec.source_system
    res.authoritative_id = authoritative.id if authoritative else None
    res.tags = [t.strip() for t in spec.tags if t.strip()]
    res.items = []
    session.flush()
    top = Grade.general_1
    for pos, item in enumerate(spec.items, start=1):
        grade = item.grade or (Grade(grades[item.element]) if item.element in grades else DEFAULT_ITEM_GRADE)
        top = max(top, grade, key=lambda g: g.rank)
        res.items.append(
            ResourceItem(
                position=pos,
                name=item.name.strip(),
                name_en=item.name_en,
                data_type=item.data_type.value,
                length=item.length,
                element=item.element or None,
                grade=grade.value,
                grade_explicit=item.grade is not None,
                is_key=item.is_key,
                required=item.required,
                description=item.description,
            )
        )
    res.grade = top.value  # 就高从严: a resource takes its most sensitive item's grade


def _revise(
    session: Session, actor: Actor, res: Resource, action: str, reason: str | None = None
) -> list[Change]:
    from huitong.catalog.search_service import terms_for

    res.change_seq = bump_counter(session)
    res.updated_at = utcnow()
    session.flush()
    session.refresh(res)
    res.search_terms = terms_for(res)
    last = session.scalar(
        select(ResourceRevision)
        .where(ResourceRevision.resource_id == res.id)
        .order_by(ResourceRevision.rev.desc())
        .limit(1)
    )
    snap = snapshot(res)
    changes = diff_snapshots(last.snapshot if last else None, snap)
    session.add(
        ResourceRevision(
            resource_id=res.id,
            rev=(last.rev + 1) if last else 1,
            action=action,
            actor_id=actor.user_id,
            actor_name=actor.username,
            reason=reason,
            snapshot=snap,
            changes=[c.as_dict() for c in changes],
        )
    )
    record(
        session,
        actor,
        f"catalog.{action}",
        "resource",
        res.code,
        details={"status": res.status, "fields": [c.field for c in changes][:50], "reason": reason},
    )
    session.flush()
    return changes


def create(session: Session, actor: Actor, spec: ResourceSpec, *, action: str = "create") -> Resource:
    provider = session.scalar(select(Department).where(Department.code == spec.provider_code))
    if provider is not None:
        require(actor, "catalog.create", Target(department_id=provider.id))
    elif not actor.is_system:
        require(actor, "catalog.create", Target(department_id=-1))
    problems = rules.check_spec(spec, known_elements=element_grades(session).keys() or {"-"})
    db_problems, authoritative = _check_db(session, spec, provider, None)
    if problems or db_problems:
        raise invalid(
            f"catalog entry {spec.name!r} has {len(problems + db_problems)} problem(s)",
            *(problems + db_problems),
        )
    bump_counter(session)  # serialise code generation with other writers
    seq = (
        session.scalar(select(func.max(Resource.seq_no)).where(Resource.class_code == spec.class_code)) or 0
    ) + 1
    res = Resource(
        code=make_code(spec.class_code, seq),
        class_code=spec.class_code,
        seq_no=seq,
        provider_id=provider.id,
        status=Status.draft.value,
        created_by=actor.user_id,
        change_seq=0,
        grade=Grade.general_1.value,
    )  # type: ignore[union-attr]
    session.add(res)
    _apply(session, res, spec, authoritative)
    _revise(session, actor, res, action)
    return res


def update_entry(
    session: Session, actor: Actor, code: str, spec: ResourceSpec
) -> tuple[Resource, list[Change]]:
    res = get(session, actor, code)
    require(actor, "catalog.edit", _target(res))
    if spec.provider_code != res.provider.code:
        raise invalid(
            f"{code} belongs to {res.provider.code}; an entry cannot move to another provider",
            Problem("provider cannot change", field="provider_code", value=spec.provider_code),
        )
    if spec.class_code != res.class_code:
        raise invalid(
            f"{code} is classified under {res.class_code}; the 前段码 is part of its code and cannot "
            "change (retire it and register a new entry)",
            Problem("classification cannot change", field="class_code", value=spec.class_code),
        )
    problems = rules.check_spec(spec, known_elements=element_grades(session).keys() or {"-"})
    db_problems, authoritative = _check_db(session, spec, res.provider, res)
    if problems or db_problems:
        raise invalid(
            f"catalog entry {code} has {len(problems + db_problems)} problem(s)", *(problems + db_problems)
        )
    before = snapshot(res)
    _apply(session, res, spec, authoritative)
    session.flush()
    if snapshot(res) == before:
        return res, []  # nothing changed: no revision, no evidence of a change that did not happen
    if res.status == Status.published.value and not (actor.is_system or actor.has(Role.operator)):
        # A department's change to a published entry goes back to the operator before the
        # public sees it (e.g. 有条件 turned 无条件 must be reviewed like the original was).
        res.status = Status.submitted.value
    changes = _revise(session, actor, res, "update")
    return res, changes


def _transition(
    session: Session, actor: Actor, code: str, action: str, permission: str, reason: str | None = None
) -> Resource:
    res = get(session, actor, code)
    require(actor, permission, _target(res))
    new = next_status(Status(res.status), action)
    if action == "return" and not (reason and reason.strip()):
        raise invalid(
            "returning an entry needs a reason the department can act on",
            Problem("reason is required", field="reason"),
        )
    if action == "submit":
        problems = validate(session, spec_of(res), res)
        if problems:
            raise invalid(f"{code} cannot be submitted: {len(problems)} problem(s)", *problems)
    res.status = new.value
    res.return_reason = reason.strip() if action == "return" and reason else None
    if action == "publish" and res.publish_date is None:
        res.publish_date = date.today()
    _revise(session, actor, res, action, reason)
    return res


def submit(session: Session, actor: Actor, code: str) -> Resource:
    return _transition(session, actor, code, "submit", "catalog.submit")


def publish(session: Session, actor: Actor, code: str) -> Resource:
    return _transition(session, actor, code, "publish", "catalog.review")


def return_entry(session: Session, actor: Actor, code: str, reason: str) -> Resource:
    return _transition(session, actor, code, "return", "catalog.review", reason)


def retire(session: Session, actor: Actor, code: str, reason: str | None = None) -> Resource:
    return _transition(session, actor, code, "retire", "catalog.retire", reason)


def review(session: Session, actor: Actor, code: str, decision: str, reason: str | None = None) -> Resource:
    if decision == "approve":
        return publish(session, actor, code)
    if decision == "return":
        return return_entry(session, actor, code, reason or "")
    raise HuitongError(f"review decision {decision!r}: use approve or return")


def list_entries(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    provider_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Resource]:
    stmt = select(Resource).order_by(Resource.code)
    if status:
        stmt = stmt.where(Resource.status == Status.parse(status, "status").value)
    if provider_code:
        stmt = stmt.join(Department, Resource.provider_id == Department.id).where(
            Department.code == provider_code.strip().upper()
        )
    rows = session.scalars(stmt)
    visible = [r for r in rows if decide(actor, "catalog.read", _target(r))]
    return visible[offset : offset + limit]


def revisions(session: Session, actor: Actor, code: str) -> list[ResourceRevision]:
    res = get(session, actor, code)
    return list(
        session.scalars(
            select(ResourceRevision)
            .where(ResourceRevision.resource_id == res.id)
            .order_by(ResourceRevision.rev)
        )
    )


def diff(session: Session, actor: Actor, code: str, rev_a: int, rev_b: int) -> list[Change]:
    revs = {r.rev: r for r in revisions(session, actor, code)}
    for rev in (rev_a, rev_b):
        if rev not in revs:
            raise NotFound(f"{code} has no revision {rev} (it has 1..{max(revs)})")
    return diff_snapshots(revs[rev_a].snapshot, revs[rev_b].snapshot)


def department_class(session: Session, dept: Department) -> str:
    """The 部门 classification node the catalog gave the department when it joined."""
    node = session.scalar(select(ClassNode).where(ClassNode.department_id == dept.id))
    if node is None:
        raise NotFound(f"department {dept.code} has no 部门 classification node")
    return node.code
