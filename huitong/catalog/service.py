"""Registering, reviewing and retiring catalog entries (the database side of the catalog).

Pure rules live in :mod:`huitong.catalog.rules` and :mod:`huitong.catalog.lifecycle`; this
module adds the checks that need the database (references, uniqueness), generates codes,
keeps a revision of every change and records evidence, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from operator import itemgetter

from sqlalchemy import Row, and_, func, select, update
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, decide, require
from huitong.access.roles import Role
from huitong.catalog import rules
from huitong.catalog.bulk import SnapshotText, encoded, new_revision
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
from huitong.catalog.search_service import provider_label, terms_for, terms_of
from huitong.catalog.tables import ClassNode, Counter, Resource, ResourceItem, ResourceRevision
from huitong.db.base import utcnow
from huitong.db.rows import insert_rows
from huitong.errors import HuitongError, NotFound, Problem, invalid
from huitong.gc_pause import gc_paused
from huitong.ledger.events import record_many
from huitong.org.tables import Department
from huitong.standards.store import element_grades

DEFAULT_ITEM_GRADE = Grade.general_2


def bump_counter(session: Session, name: str = "catalog", by: int = 1) -> int:
    """Advance a change counter by ``by`` and return its new value (the last number taken);
    the row lock orders concurrent writers by commit."""
    value = session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + by).returning(Counter.value)
    ).scalar()
    if value is None:
        session.add(Counter(name=name, value=by))
        session.flush()
        return by
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


def stored_form(spec: ResourceSpec) -> ResourceSpec:
    """The spec as the catalog keeps it (what :func:`spec_of` reads back): names, summary
    and tags trimmed, blank tags dropped, an empty element none."""
    return replace(
        spec,
        name=spec.name.strip(),
        summary=spec.summary.strip(),
        related_codes=list(spec.related_codes),
        also_in=list(spec.also_in),
        tags=[t.strip() for t in spec.tags if t.strip()],
        items=[_stored_item(it) for it in spec.items],
    )


def _stored_item(it: DataItem) -> DataItem:
    """``replace(it, name=it.name.strip(), element=it.element or None)`` at a third of the
    cost (an import stores a hundred thousand items): a dataclass's ``__dict__`` is its fields.
    An item already in its stored form is the item itself (nothing keeps the stored form)."""
    name = it.name.strip()
    if name is it.name and (it.element is None or it.element):
        return it
    return DataItem(**(it.__dict__ | {"name": name, "element": it.element or None}))


def _columns(stored: ResourceSpec, grades: dict[str, str]) -> tuple[dict, list[dict]]:
    """An entry's column values from its stored spec, and its items' rows in order."""
    items, top = [], Grade.general_1
    for pos, item in enumerate(stored.items, start=1):
        grade = item.grade or (Grade(grades[item.element]) if item.element in grades else DEFAULT_ITEM_GRADE)
        if grade.rank > top.rank:  # max by rank, the first of equals kept
            top = grade
        items.append(
            {
                "position": pos,
                "name": item.name,
                "name_en": item.name_en,
                "data_type": item.data_type.value,
                "length": item.length,
                "element": item.element,
                "grade": grade.value,
                "grade_explicit": item.grade is not None,
                "is_key": item.is_key,
                "required": item.required,
                "description": item.description,
            }
        )
    columns = {
        "name": stored.name,
        "name_key": rules.normalise_name(stored.name),
        "name_en": stored.name_en,
        "summary": stored.summary,
        "format_class": stored.format_class.value,
        "format_type": stored.format_type,
        "share_type": stored.share_type.value,
        "share_condition": stored.share_condition,
        "share_basis": stored.share_basis,
        "share_channel": stored.share_channel.value,
        "share_mode": stored.share_mode.value,
        "open_type": stored.open_type.value,
        "open_condition": stored.open_condition,
        "update_cycle": stored.update_cycle.value,
        "publish_date": stored.publish_date,
        "related_codes": stored.related_codes,
        "also_in": stored.also_in,
        "source_system": stored.source_system,
        "tags": stored.tags,
        "grade": top.value,  # 就高从严: a resource takes its most sensitive item's grade
    }
    return columns, items


def _snapshot(
    stored: ResourceSpec, *, code: str, status: str, grade: str, provider: str, item_grades: Sequence[str]
) -> dict:
    d = stored.to_dict()
    d.update(code=code, status=status, grade=grade, provider=provider)
    for item, item_grade in zip(d["items"], item_grades, strict=True):
        item["grade"] = item_grade
    return d


def snapshot(res: Resource) -> dict:
    """What a revision keeps of an entry."""
    return _snapshot(
        spec_of(res),
        code=res.code,
        status=res.status,
        grade=res.grade,
        provider=res.provider.name,
        item_grades=[it.grade for it in res.items],
    )


def _target(res: Resource) -> Target:
    return Target(department_id=res.provider_id, status=res.status, open_type=res.open_type)


def get(session: Session, actor: Actor, code: str) -> Resource:
    res = session.scalar(select(Resource).where(Resource.code == code.strip()))
    if res is None or not decide(actor, "catalog.read", _target(res)):
        # Not found and not visible look the same, so the catalog does not leak drafts.
        raise NotFound(f"no catalog entry {code}")
    return res


_IN_CHUNK = 500  # values per IN (...) list: well under every backend's parameter limit


def _chunks(values: Iterable) -> Iterator[list]:
    values = list(values)
    for i in range(0, len(values), _IN_CHUNK):
        yield values[i : i + _IN_CHUNK]


@dataclass
class _Lookups:
    """Everything the database checks of a batch of specs need, read in a few queries:
    checking 10,000 entries costs a handful of round trips, not tens of thousands."""

    grades: dict[str, str]
    departments: dict[str, Department]
    nodes: dict[str, ClassNode]
    codes: set[str]
    names: dict[tuple[int, str], tuple[int, str, str]]  # (provider, name key) -> (id, name, code)

    @classmethod
    def load(cls, session: Session, specs: Sequence[ResourceSpec]) -> _Lookups:
        dept_codes = {c for s in specs for c in (s.provider_code, s.authoritative_code) if c}
        departments = {
            d.code: d
            for chunk in _chunks(dept_codes)
            for d in session.scalars(select(Department).where(Department.code.in_(chunk)))
        }
        node_codes = {c for s in specs for c in (s.class_code, *s.also_in) if c}
        nodes = {
            n.code: n
            for chunk in _chunks(node_codes)
            for n in session.scalars(select(ClassNode).where(ClassNode.code.in_(chunk)))
        }
        related = {c for s in specs for c in s.related_codes}
        codes = {
            c
            for chunk in _chunks(related)
            for c in session.scalars(select(Resource.code).where(Resource.code.in_(chunk)))
        }
        providers = {departments[s.provider_code].id for s in specs if s.provider_code in departments}
        keys = {rules.normalise_name(s.name) for s in specs if s.name}
        names: dict[tuple[int, str], tuple[int, str, str]] = {}
        if providers and keys:
            for chunk in _chunks(keys):
                stmt = select(
                    Resource.provider_id, Resource.name_key, Resource.id, Resource.name, Resource.code
                )
                for pid, key, rid, name, code in session.execute(
                    stmt.where(Resource.name_key.in_(chunk), Resource.provider_id.in_(providers))
                ):
                    names[(pid, key)] = (rid, name, code)
        return cls(element_grades(session), departments, nodes, codes, names)

    def known_elements(self) -> Iterable[str]:
        return self.grades.keys() or {"-"}


def _check_db(
    ctx: _Lookups, spec: ResourceSpec, provider: Department | None, current: Resource | None
) -> tuple[list[Problem], Department | None]:
    problems: list[Problem] = []
    for n, item in enumerate(spec.items, start=1):
        floor = ctx.grades.get(item.element or "")
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
    node = ctx.nodes.get(spec.class_code) if spec.class_code else None
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
        if extra not in ctx.nodes:
            problems.append(Problem(f"no classification node {extra}", field="also_in", value=extra))
    for code in spec.related_codes:
        if code not in ctx.codes or (current is not None and code == current.code):
            problems.append(
                Problem(f"related resource {code} does not exist", field="related_codes", value=code)
            )
    authoritative = None
    if spec.authoritative_code:
        authoritative = ctx.departments.get(spec.authoritative_code)
        if authoritative is None:
            problems.append(
                Problem(
                    f"no department with code {spec.authoritative_code}",
                    field="authoritative_code",
                    value=spec.authoritative_code,
                )
            )
    if provider is not None and spec.name:
        clash = ctx.names.get((provider.id, rules.normalise_name(spec.name)))
        if clash is not None and (current is None or clash[0] != current.id):
            problems.append(
                Problem(
                    f"{provider.name} already has a resource named {clash[1]!r} ({clash[2]})",
                    field="name",
                    value=spec.name,
                )
            )
    return problems, authoritative


def _problems(
    ctx: _Lookups, spec: ResourceSpec, current: Resource | None
) -> tuple[list[Problem], Department | None]:
    provider = current.provider if current is not None else ctx.departments.get(spec.provider_code)
    problems = rules.check_spec(spec, known_elements=ctx.known_elements())
    db_problems, authoritative = _check_db(ctx, spec, provider, current)
    return problems + db_problems, authoritative


def validate(session: Session, spec: ResourceSpec, current: Resource | None = None) -> list[Problem]:
    """Every problem with a spec, pure rules and database checks together."""
    return _problems(_Lookups.load(session, [spec]), spec, current)[0]


def check_new(session: Session, specs: Sequence[ResourceSpec]) -> list[list[Problem]]:
    """Every problem with each of a batch of new entries, in order: the checks of
    :func:`validate`, and a name given twice to one provider within the batch."""
    return check_batch(session, specs).problems


@dataclass
class CheckedBatch:
    """New entries checked together, with what the checks read: registering the same specs
    (the same objects, unchanged) next in the transaction reads and checks nothing again."""

    specs: list[ResourceSpec]
    ctx: _Lookups
    problems: list[list[Problem]]

    def covers(self, specs: Sequence[ResourceSpec]) -> bool:
        return len(specs) == len(self.specs) and all(a is b for a, b in zip(specs, self.specs, strict=True))


def check_batch(session: Session, specs: Sequence[ResourceSpec]) -> CheckedBatch:
    """:func:`check_new`, keeping its lookups for :func:`create_many`."""
    specs = list(specs)
    ctx = _Lookups.load(session, specs)
    return CheckedBatch(specs, ctx, _check_new(ctx, specs))


def _check_new(ctx: _Lookups, specs: Sequence[ResourceSpec]) -> list[list[Problem]]:
    out = []
    batch: dict[tuple[int, str], str] = {}
    for spec in specs:
        problems, _ = _problems(ctx, spec, None)
        provider = ctx.departments.get(spec.provider_code)
        if provider is not None and spec.name:
            key = (provider.id, rules.normalise_name(spec.name))
            if key in batch:
                problems.append(
                    Problem(
                        f"{provider.name} already has a resource named {batch[key]!r} earlier in this batch",
                        field="name",
                        value=spec.name,
                    )
                )
            batch.setdefault(key, spec.name.strip())
        out.append(problems)
    return out


def _fill(
    res: Resource, spec: ResourceSpec, authoritative: Department | None, grades: dict[str, str]
) -> None:
    """Set an entry's fields and items from its spec (no database work)."""
    columns, items = _columns(stored_form(spec), grades)
    columns["publish_date"] = columns["publish_date"] or res.publish_date  # an edit omitting it keeps it
    for name, value in columns.items():
        setattr(res, name, value)
    res.authoritative = authoritative
    res.items.extend(ResourceItem(**row) for row in items)


def _record_revisions(
    session: Session,
    actor: Actor,
    revised: Sequence[tuple[int, str, str, dict, Row | None]],
    action: str,
    reason: str | None,
) -> list[list[Change]]:
    """For each (entry id, code, status, snapshot, last revision): its next revision and its
    evidence, one statement for all."""
    revisions, evidence, out = [], [], []
    for rid, code, status, snap, last in revised:
        changes = diff_snapshots(last.snapshot if last else None, snap)
        rev = (last.rev + 1) if last else 1
        revisions.append(
            (
                rid,
                rev,
                action,
                actor.user_id,
                actor.username,
                utcnow(),
                reason,
                snap,
                [c.as_dict() for c in changes],
            )
        )
        fields = [c.field for c in changes][:50]
        evidence.append(
            (f"catalog.{action}", "resource", code, {"status": status, "fields": fields, "reason": reason})
        )
        out.append(changes)
    insert_rows(session, ResourceRevision.__table__, _REVISION_COLUMNS, revisions)
    record_many(session, actor, evidence)
    return out


def _stamp(res: Resource, change_seq: int, at) -> None:
    """What every change to an entry sets: its change number, time and analysed search terms."""
    res.change_seq = change_seq
    res.updated_at = at
    res.search_terms = terms_for(res)


def _last_revisions(session: Session, ids: Sequence[int]) -> dict[int, Row]:
    """Each entry's latest revision number and snapshot (``.rev``, ``.snapshot``): the
    columns a next revision needs, not the whole revision (its changes are as large)."""
    out: dict[int, Row] = {}
    for chunk in _chunks(ids):
        latest = (
            select(ResourceRevision.resource_id, func.max(ResourceRevision.rev).label("rev"))
            .where(ResourceRevision.resource_id.in_(chunk))
            .group_by(ResourceRevision.resource_id)
            .subquery()
        )
        stmt = select(ResourceRevision.resource_id, ResourceRevision.rev, ResourceRevision.snapshot).join(
            latest,
            and_(ResourceRevision.resource_id == latest.c.resource_id, ResourceRevision.rev == latest.c.rev),
        )
        out.update((r.resource_id, r) for r in session.execute(stmt))
    return out


def _revise(
    session: Session, actor: Actor, resources: Sequence[Resource], action: str, reason: str | None = None
) -> list[list[Change]]:
    """A revision and evidence for each changed entry, with change numbers in order."""
    last_seq = bump_counter(session, by=len(resources))
    now = utcnow()
    for n, res in enumerate(resources):
        _stamp(res, last_seq - len(resources) + 1 + n, now)
    session.flush()
    last = _last_revisions(session, [r.id for r in resources])
    revised = [(r.id, r.code, r.status, snapshot(r), last.get(r.id)) for r in resources]
    return _record_revisions(session, actor, revised, action, reason)


def _located(i: int, problem: Problem) -> Problem:
    return replace(problem, field=f"entries[{i}].{problem.field}" if problem.field else f"entries[{i}]")


def create(session: Session, actor: Actor, spec: ResourceSpec, *, action: str = "create") -> Resource:
    (code,) = create_many(session, actor, [spec], action=action)
    return session.scalars(select(Resource).where(Resource.code == code)).one()


def entries(session: Session, codes: Sequence[str]) -> list[Resource]:
    """Entries by code, in the order given (codes not found are left out); no access check,
    for callers that have just written them."""
    found = {
        r.code: r
        for chunk in _chunks(codes)
        for r in session.scalars(select(Resource).where(Resource.code.in_(chunk)))
    }
    return [found[c] for c in codes if c in found]


def create_many(
    session: Session,
    actor: Actor,
    specs: Sequence[ResourceSpec],
    *,
    action: str = "create",
    checked: CheckedBatch | None = None,
    then: Sequence[str] = (),
) -> list[str]:
    """Register new entries in the caller's transaction, all or none, and return their codes
    in order: the same permission check, rules, codes, revision and evidence for each as one
    at a time, in a few statements for the whole batch (bulk import registers thousands a
    second). ``checked``: these specs' :func:`check_batch`, when the caller already has it.
    ``then``: lifecycle actions (``submit``, ``publish``) to move the new entries through
    next, checked, revised and recorded exactly as :func:`transition_many` after this call
    would, but written with the entries (no update of rows just inserted)."""
    specs = list(specs)
    if not specs:
        return []
    with gc_paused():
        return _create_many(session, actor, specs, action, checked, tuple(then))


def _create_many(
    session: Session,
    actor: Actor,
    specs: list[ResourceSpec],
    action: str,
    checked: CheckedBatch | None,
    then: tuple[str, ...],
) -> list[str]:
    ctx = checked.ctx if checked is not None and checked.covers(specs) else _Lookups.load(session, specs)
    for spec in specs:
        provider = ctx.departments.get(spec.provider_code)
        if provider is not None:
            require(actor, "catalog.create", Target(department_id=provider.id))
        elif not actor.is_system:
            require(actor, "catalog.create", Target(department_id=-1))
    found = checked.problems if checked is not None and checked.ctx is ctx else _check_new(ctx, specs)
    if len(specs) == 1 and found[0]:
        raise invalid(f"catalog entry {specs[0].name!r} has {len(found[0])} problem(s)", *found[0])
    if any(found):
        bad = sum(1 for f in found if f)
        raise invalid(
            f"{bad} of {len(specs)} catalog entries have problems; none was registered",
            *(_located(i, p) for i, f in enumerate(found) for p in f),
        )
    n = len(specs)
    last_seq = bump_counter(session, by=n * (1 + len(then)))  # also serialises code generation
    taken = dict(
        session.execute(
            select(Resource.class_code, func.max(Resource.seq_no))
            .where(Resource.class_code.in_({s.class_code for s in specs}))
            .group_by(Resource.class_code)
        ).all()
    )
    seqs, codes = [], []
    for spec in specs:
        seq = taken.get(spec.class_code, 0) + 1
        taken[spec.class_code] = seq
        seqs.append(seq)
        codes.append(make_code(spec.class_code, seq))
    stored = [stored_form(spec) for spec in specs]
    now = utcnow()
    moves = _moves(ctx, actor, specs, stored, codes, then)
    status = moves[-1].status if moves else Status.draft.value
    publish_date = next((m.publish_date for m in moves if m.publish_date), None)
    first_seq = last_seq - n * (1 + len(then)) + 1
    stamped = moves[-1].at if moves else now
    ids, items, snaps = [], [], []

    def entry_rows():  # made as they are sent: PostgreSQL stores the first while the rest are made
        for i, (spec, st) in enumerate(zip(specs, stored, strict=True)):
            provider = ctx.departments[spec.provider_code]
            authoritative = ctx.departments.get(spec.authoritative_code or "")
            columns, item_rows = _columns(st, ctx.grades)
            terms = terms_of(
                code=codes[i],
                name=st.name,
                summary=st.summary,
                tags=st.tags,
                item_names=[it["name"] for it in item_rows],
                provider_name=provider_label(provider),
            )
            row = columns | {
                "code": codes[i],
                "class_code": spec.class_code,
                "seq_no": seqs[i],
                "provider_id": provider.id,
                "authoritative_id": authoritative.id if authoritative else None,
                "status": status,
                "created_by": actor.user_id,
                "created_at": now,
                "updated_at": stamped,
                "change_seq": first_seq + n * len(then) + i,
                "search_terms": encoded(terms),
            }
            if publish_date is not None and row["publish_date"] is None:
                row["publish_date"] = publish_date
            for key in ("related_codes", "also_in", "tags"):
                row[key] = encoded(row[key])
            items.append(item_rows)
            snaps.append(
                _snapshot(
                    st,
                    code=codes[i],
                    status=Status.draft.value,
                    grade=columns["grade"],
                    provider=provider.name,
                    item_grades=[it["grade"] for it in item_rows],
                )
            )
            assert len(row) == len(_RESOURCE_COLUMNS), "every column _columns gives is written"
            yield tuple(row[k] for k in _RESOURCE_COLUMNS)

    insert_rows(session, Resource.__table__, _RESOURCE_COLUMNS, entry_rows())
    for chunk in _chunks(codes):  # no RETURNING, whose batches SQLAlchemy splices in quadratic time
        id_of = dict(
            session.execute(select(Resource.code, Resource.id).where(Resource.code.in_(chunk))).all()
        )
        ids += [id_of[code] for code in chunk]  # codes are unique
    insert_rows(
        session,
        ResourceItem.__table__,
        ("resource_id", *_ITEM_COLUMNS),
        ((rid, *_item_values(row)) for rid, its in zip(ids, items, strict=True) for row in its),
    )
    _record_new(session, actor, list(zip(ids, codes, snaps, strict=True)), action, moves)
    return codes


@dataclass
class _Move:
    """One lifecycle action applied to a whole new batch (see ``create_many(then=…)``)."""

    action: str
    before: str
    status: str
    publish_date: date | None  # what an entry without a publish date gets, None: unchanged
    at: object  # the time its revisions stamp the entries with


def _moves(
    ctx: _Lookups,
    actor: Actor,
    specs: list[ResourceSpec],
    stored: list[ResourceSpec],
    codes: list[str],
    then: tuple[str, ...],
) -> list[_Move]:
    """What :func:`_transition_many` checks for each action of ``then``, in its order
    (every permission and transition first, then a submission's rules), for new drafts
    (``specs``, checked with ``ctx`` and found without problems; ``stored``, their stored forms)."""
    moves, current = [], Status.draft
    for action in then:
        if action not in ("submit", "publish"):
            raise HuitongError(f"create_many moves new entries by submit or publish, not {action!r}")
        new = current
        for st in stored:
            target = Target(
                department_id=ctx.departments[st.provider_code].id,
                status=current.value,
                open_type=st.open_type.value,
            )
            require(actor, PERMISSION_OF[action], target)
            new = next_status(current, action)
        if action == "submit":
            for spec, st, code in zip(specs, stored, codes, strict=True):
                if st == spec:  # stored as given: the same checks on the same values, just passed
                    continue
                problems, _ = _problems(ctx, st, None)  # as the stored entry, which holds no name yet
                if problems:
                    raise invalid(f"{code} cannot be submitted: {len(problems)} problem(s)", *problems)
        today = date.today() if action == "publish" else None
        moves.append(_Move(action, current.value, new.value, today, utcnow()))
        current = new
    return moves


_RESOURCE_COLUMNS = tuple(c.name for c in Resource.__table__.columns if c.name not in ("id", "return_reason"))
_ITEM_COLUMNS = tuple(
    c.name for c in ResourceItem.__table__.columns if c.name not in ("id", "resource_id")
)  # the keys of _columns' item rows
_item_values = itemgetter(*_ITEM_COLUMNS)  # an item row's values in _ITEM_COLUMNS order


def _record_new(
    session: Session, actor: Actor, new: Sequence[tuple[int, str, dict]], action: str, moves: Sequence[_Move]
) -> None:
    """:func:`_record_revisions` for entries that have no revision yet (drafts, no reason),
    their diffs and JSON made in one pass (see :func:`bulk.new_revision_json`) as the rows
    are sent; then, for each of ``moves``, the revision and evidence its transition makes
    (only the status changes, and the publish date if there was none)."""
    evidence, texts = [], []

    def revision_rows():
        for rid, code, snap in new:
            text, changes_json, fields_changed = new_revision(snap)
            details = {"status": Status.draft.value, "fields": fields_changed[:50], "reason": None}
            evidence.append((f"catalog.{action}", "resource", code, details))
            if moves:
                texts.append(text)
            yield (rid, 1, action, actor.user_id, actor.username, utcnow(), None, text.json(), changes_json)
        for rev, move in enumerate(moves, start=2):
            # a move changes every entry alike: its status, and a publish date where there was
            # none; so the two forms of its changes are made once, not once per entry
            status = Change("status", move.before, move.status)
            dated = None
            if move.publish_date is not None:
                dated = _MoveForm(move, [Change("publish_date", None, move.publish_date.isoformat()), status])
            undated = _MoveForm(move, [status])
            for (rid, code, snap), text in zip(new, texts, strict=True):
                form = undated
                if dated is not None and snap["publish_date"] is None:
                    snap["publish_date"] = move.publish_date.isoformat()
                    form = dated
                snap["status"] = move.status
                evidence.append(form.evidence(code))
                changed = text.with_pieces(form.pieces)
                changes_json = form.changes_json
                yield (
                    rid,
                    rev,
                    move.action,
                    actor.user_id,
                    actor.username,
                    utcnow(),
                    None,
                    changed,
                    changes_json,
                )

    insert_rows(session, ResourceRevision.__table__, _REVISION_COLUMNS, revision_rows())
    record_many(session, actor, evidence)


class _MoveForm:
    """What one form of a move's changes writes for every entry it moves: the changes'
    JSON, the snapshot's changed fields encoded, the evidence's action and details."""

    def __init__(self, move: _Move, changes: list[Change]) -> None:
        self.changes_json = encoded([c.as_dict() for c in changes])
        self.pieces = SnapshotText.pieces_of({c.field: c.after for c in changes})
        self.action = f"catalog.{move.action}"
        self.details = {"status": move.status, "fields": [c.field for c in changes], "reason": None}

    def evidence(self, code: str) -> tuple:
        return (self.action, "resource", code, self.details)


_REVISION_COLUMNS = (
    "resource_id",
    "rev",
    "action",
    "actor_id",
    "actor_name",
    "at",
    "reason",
    "snapshot",
    "changes",
)


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
    ctx = _Lookups.load(session, [spec])
    problems, authoritative = _problems(ctx, spec, res)
    if problems:
        raise invalid(f"catalog entry {code} has {len(problems)} problem(s)", *problems)
    before = snapshot(res)
    res.items = []
    session.flush()  # the old items go before the new ones take their positions
    _fill(res, spec, authoritative, ctx.grades)
    session.flush()
    if snapshot(res) == before:
        return res, []  # nothing changed: no revision, no evidence of a change that did not happen
    if res.status == Status.published.value and not (actor.is_system or actor.has(Role.operator)):
        # A department's change to a published entry goes back to the operator before the
        # public sees it (e.g. 有条件 turned 无条件 must be reviewed like the original was).
        res.status = Status.submitted.value
    (changes,) = _revise(session, actor, [res], "update")
    return res, changes


def raise_grades(
    session: Session, actor: Actor, code: str, grades: Mapping[str, Grade], *, reason: str
) -> tuple[Resource, list[Change]]:
    """Stricter grades for some items (分级 from evidence: a confirmed classification finding).

    Only raises: an item already graded as strictly or more keeps its grade.  Unlike an edit, a
    published entry stays published, since more protection needs no review; a lower grade goes
    through :func:`update_entry` and back to the operator."""
    res = get(session, actor, code)
    require(actor, "catalog.edit", _target(res))
    spec = spec_of(res)
    current = {it.name: Grade(it.grade) for it in res.items}
    unknown = [n for n in grades if n not in current]
    if unknown:
        raise invalid(
            f"{code} has no data item {unknown[0]!r}",
            *(Problem("no such data item", field="items", value=n) for n in unknown),
        )
    raised = {n: g for n, g in grades.items() if g.rank > current[n].rank}
    if not raised:
        return res, []
    spec.items = [replace(it, grade=raised[it.name]) if it.name in raised else it for it in spec.items]
    ctx = _Lookups.load(session, [spec])
    problems, authoritative = _problems(ctx, spec, res)
    if problems:
        raise invalid(f"catalog entry {code} has {len(problems)} problem(s)", *problems)
    res.items = []
    session.flush()
    _fill(res, spec, authoritative, ctx.grades)
    session.flush()
    (changes,) = _revise(session, actor, [res], "grade", reason)
    return res, changes


PERMISSION_OF = {
    "submit": "catalog.submit",
    "publish": "catalog.review",
    "return": "catalog.review",
    "retire": "catalog.retire",
}


def transition_many(
    session: Session, actor: Actor, resources: Sequence[Resource], action: str, reason: str | None = None
) -> list[Resource]:
    """Move entries through the lifecycle together, all or none, each checked, revised and
    recorded as if moved alone."""
    resources = list(resources)
    if not resources:
        return []
    with gc_paused():
        return _transition_many(session, actor, resources, action, reason)


def _transition_many(
    session: Session, actor: Actor, resources: list[Resource], action: str, reason: str | None
) -> list[Resource]:
    news = []
    for res in resources:
        require(actor, PERMISSION_OF[action], _target(res))
        news.append(next_status(Status(res.status), action))
    if action == "return" and not (reason and reason.strip()):
        raise invalid(
            "returning an entry needs a reason the department can act on",
            Problem("reason is required", field="reason"),
        )
    if action == "submit":
        specs = [spec_of(r) for r in resources]
        ctx = _Lookups.load(session, specs)
        for res, spec in zip(resources, specs, strict=True):
            problems, _ = _problems(ctx, spec, res)
            if problems:
                raise invalid(f"{res.code} cannot be submitted: {len(problems)} problem(s)", *problems)
    today = date.today()
    for res, new in zip(resources, news, strict=True):
        res.status = new.value
        res.return_reason = reason.strip() if action == "return" and reason else None
        if action == "publish" and res.publish_date is None:
            res.publish_date = today
    _revise(session, actor, resources, action, reason)
    return resources


def _transition(
    session: Session, actor: Actor, code: str, action: str, reason: str | None = None
) -> Resource:
    return transition_many(session, actor, [get(session, actor, code)], action, reason)[0]


def submit(session: Session, actor: Actor, code: str) -> Resource:
    return _transition(session, actor, code, "submit")


def publish(session: Session, actor: Actor, code: str) -> Resource:
    return _transition(session, actor, code, "publish")


def return_entry(session: Session, actor: Actor, code: str, reason: str) -> Resource:
    return _transition(session, actor, code, "return", reason)


def retire(session: Session, actor: Actor, code: str, reason: str | None = None) -> Resource:
    return _transition(session, actor, code, "retire", reason)


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
