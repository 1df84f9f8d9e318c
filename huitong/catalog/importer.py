"""Bulk import of catalog entries from the Excel template or JSON: all or nothing.

Every problem in the file (cell-level from the reader, database-level from the service)
is collected before anything is written; a file with any problem imports nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.access import Actor, Target, decide
from huitong.catalog import service
from huitong.catalog.model import ResourceSpec
from huitong.catalog.tables import Resource
from huitong.errors import HuitongError, Problem, invalid
from huitong.gc_pause import gc_paused
from huitong.org.tables import Department


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)


def _parse(path: Path) -> tuple[list[tuple[str | None, ResourceSpec, object]], list[Problem]]:
    name = path.name
    if path.suffix.lower() == ".json":
        from huitong.catalog.json_io import read_json_catalog

        entries = read_json_catalog(path)
        return [(code, spec, f"resources[{i}]") for i, (code, spec) in enumerate(entries)], []
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from huitong.catalog.excel_template import read_template

        parsed = read_template(path, filename=name)
        return [(r.code, r.spec, r) for r in parsed.resources], list(parsed.problems)
    raise HuitongError(f"{name}: import takes the Excel template (.xlsx) or a huitong JSON catalog (.json)")


def _locate(where: object, problem: Problem, filename: str) -> Problem:
    if isinstance(where, str):  # a JSON path; rules count items from 1, JSON arrays from 0
        field = re.sub(r"^items\[(\d+)\]", lambda m: f"items[{int(m.group(1)) - 1}]", problem.field or "")
        field_name = f"{where}.{field}" if field else where
        return Problem(problem.message, file=filename, field=field_name, value=problem.value)
    from huitong.catalog.excel_template import locate

    return locate(where, problem, filename)  # type: ignore[arg-type]


def _permission(
    actor: Actor, spec: ResourceSpec, current: Resource | None, provider: Department | None
) -> list[Problem]:
    """Refusals found up front, as problems on the provider cell: a file that mixes in
    another department's entries is refused whole, with the rows named."""
    if provider is None:
        return []  # already reported by validate
    if current is not None:
        decision = decide(
            actor, "catalog.edit", Target(department_id=current.provider_id, status=current.status)
        )
    else:
        decision = decide(actor, "catalog.create", Target(department_id=provider.id))
    if decision:
        return []
    message = f"{actor.label()} may not register or edit entries of {provider.name}: {decision.reason}"
    return [Problem(message, field="provider_code", value=spec.provider_code)]


def _problems(
    session: Session, actor: Actor, entries: list[tuple[str | None, ResourceSpec, object]], filename: str
) -> tuple[list[Problem], service.CheckedBatch]:
    """Every problem of every entry, located in the file, and the new entries' checks (which
    registering them reuses)."""
    current = {r.code: r for r in service.entries(session, [code for code, _, _ in entries if code])}
    provider_codes = {spec.provider_code for _, spec, _ in entries}
    providers = {
        d.code: d for d in session.scalars(select(Department).where(Department.code.in_(provider_codes)))
    }
    new = [i for i, (code, _, _) in enumerate(entries) if not code]
    checked = service.check_batch(session, [entries[i][1] for i in new])
    found = dict(zip(new, checked.problems, strict=True))
    problems: list[Problem] = []
    for i, (code, spec, where) in enumerate(entries):
        res = current.get(code) if code else None
        if code and res is None:
            missing = Problem(f"no catalog entry {code} to update", field="code", value=code)
            problems.append(_locate(where, missing, filename))
            continue
        own = service.validate(session, spec, res) if res is not None else found[i]
        own = own + _permission(actor, spec, res, providers.get(spec.provider_code))
        problems += [_locate(where, p, filename) for p in own]
    return problems, checked


def import_file(
    session: Session, actor: Actor, path: Path, *, submit: bool = False, publish: bool = False
) -> ImportReport:
    """Check the whole file, then write it in batches: every new entry registered, every
    named one updated, then (if asked) all submitted and published, one statement set each."""
    if not path.exists():
        raise HuitongError(f"{path}: no such file")
    with gc_paused():  # see huitong.gc_pause: reading a big file is mostly allocation
        return _import(session, actor, path, submit=submit, publish=publish)


def _import(session: Session, actor: Actor, path: Path, *, submit: bool, publish: bool) -> ImportReport:
    entries, problems = _parse(path)
    checked = None
    if not problems:
        problems, checked = _problems(session, actor, entries, path.name)
    if problems:
        raise invalid(f"{path.name}: {len(problems)} problem(s); nothing was imported", *problems)
    report = ImportReport()
    new = [spec for code, spec, _ in entries if not code]
    if len(new) == len(entries) and (submit or publish):
        # new entries only: they are moved on as they are written (what transition_many
        # next would store, without updating every row just inserted)
        then = ("submit", "publish") if publish else ("submit",)
        report.created = service.create_many(session, actor, new, action="import", checked=checked, then=then)
        report.submitted = list(report.created)
        report.published = list(report.created) if publish else []
        return report
    made = iter(service.create_many(session, actor, new, action="import", checked=checked))
    codes = []
    for code, spec, _where in entries:
        if code:
            res, _ = service.update_entry(session, actor, code, spec)
            report.updated.append(res.code)
            codes.append(res.code)
        else:
            codes.append(next(made))
            report.created.append(codes[-1])
    if submit or publish:
        touched = service.entries(session, codes)
        due = [r for r in touched if r.status in ("draft", "returned")]
        service.transition_many(session, actor, due, "submit")
        report.submitted += [r.code for r in due]
    if publish:
        due = [r for r in touched if r.status == "submitted"]
        service.transition_many(session, actor, due, "publish")
        report.published += [r.code for r in due]
    return report
