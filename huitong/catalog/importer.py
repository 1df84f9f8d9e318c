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
    session: Session, actor: Actor, spec: ResourceSpec, current: Resource | None
) -> list[Problem]:
    """Refusals found up front, as problems on the provider cell: a file that mixes in
    another department's entries is refused whole, with the rows named."""
    provider = session.scalar(select(Department).where(Department.code == spec.provider_code))
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


def import_file(
    session: Session, actor: Actor, path: Path, *, submit: bool = False, publish: bool = False
) -> ImportReport:
    if not path.exists():
        raise HuitongError(f"{path}: no such file")
    entries, problems = _parse(path)
    if not problems:
        for code, spec, where in entries:
            current = session.scalar(select(Resource).where(Resource.code == code)) if code else None
            if code and current is None:
                problems.append(
                    _locate(
                        where,
                        Problem(f"no catalog entry {code} to update", field="code", value=code),
                        path.name,
                    )
                )
                continue
            problems += [_locate(where, p, path.name) for p in service.validate(session, spec, current)]
            problems += [_locate(where, p, path.name) for p in _permission(session, actor, spec, current)]
    if problems:
        raise invalid(f"{path.name}: {len(problems)} problem(s); nothing was imported", *problems)
    report = ImportReport()
    for code, spec, _where in entries:
        if code:
            res, _ = service.update_entry(session, actor, code, spec)
            report.updated.append(res.code)
        else:
            res = service.create(session, actor, spec, action="import")
            report.created.append(res.code)
        if submit or publish:
            if res.status in ("draft", "returned"):
                service.submit(session, actor, res.code)
                report.submitted.append(res.code)
            if publish and res.status == "submitted":
                service.publish(session, actor, res.code)
                report.published.append(res.code)
    return report
