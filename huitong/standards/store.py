"""The stored data-element registry: seeded from the built-ins, extended locally."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.access import Actor, require
from huitong.errors import Conflict, NotFound
from huitong.ledger.events import record
from huitong.standards.elements import BUILTIN_ELEMENTS, DataElement
from huitong.standards.tables import DataElementRow


def _row(el: DataElement, builtin: bool) -> DataElementRow:
    return DataElementRow(
        identifier=el.identifier,
        name_zh=el.name_zh,
        name_en=el.name_en,
        data_type=el.data_type,
        length=el.length,
        value_domain=el.value_domain,
        pattern=el.pattern,
        validator=el.validator,
        default_grade=str(el.default_grade),
        mask_rule=el.mask_rule,
        description=el.description,
        builtin=builtin,
    )


def seed_elements(session: Session) -> int:
    """Insert built-in elements that are missing; returns how many were added."""
    have = set(session.scalars(select(DataElementRow.identifier)))
    added = 0
    for el in BUILTIN_ELEMENTS:
        if el.identifier not in have:
            session.add(_row(el, builtin=True))
            added += 1
    return added


def list_elements(session: Session) -> list[DataElementRow]:
    return list(session.scalars(select(DataElementRow).order_by(DataElementRow.identifier)))


def elements_of(session: Session, identifiers) -> dict[str, DataElement]:
    """Only the named elements, as DataElements (for per-request paths that need a handful)."""
    wanted = sorted({i for i in identifiers if i})
    if not wanted:
        return {}
    rows = session.scalars(select(DataElementRow).where(DataElementRow.identifier.in_(wanted)))
    return {row.identifier: as_element(row) for row in rows}


def subject_items(session: Session, items) -> list[str]:
    """The names of the items (anything with ``name`` and ``element``) whose data element
    identifies a data subject: the one rule for whose reads answer "who used my data"."""
    items = list(items)
    elements = elements_of(session, (it.element for it in items))
    return [it.name for it in items if it.element in elements and elements[it.element].identifies_subject]


def get_element(session: Session, key: str) -> DataElementRow:
    row = session.get(DataElementRow, key) or session.scalar(
        select(DataElementRow).where(DataElementRow.name_zh == key)
    )
    if row is None:
        raise NotFound(f"no data element {key!r} (use an identifier such as DE01001 or its Chinese name)")
    return row


def element_grades(session: Session) -> dict[str, str]:
    return {k: g for k, g in session.execute(select(DataElementRow.identifier, DataElementRow.default_grade))}


def add_element(session: Session, actor: Actor, element: DataElement) -> DataElementRow:
    require(actor, "org.manage")
    if session.get(DataElementRow, element.identifier):
        raise Conflict(f"data element {element.identifier} already exists")
    if session.scalar(select(DataElementRow).where(DataElementRow.name_zh == element.name_zh)):
        raise Conflict(f"a data element named {element.name_zh} already exists")
    row = _row(element, builtin=False)
    session.add(row)
    record(
        session,
        actor,
        "standards.element.add",
        "data_element",
        element.identifier,
        details={"name_zh": element.name_zh},
    )
    return row


def as_element(row: DataElementRow) -> DataElement:
    from huitong.standards.elements import Grade

    return DataElement(
        identifier=row.identifier,
        name_zh=row.name_zh,
        name_en=row.name_en,
        data_type=row.data_type,
        length=row.length,
        value_domain=row.value_domain,
        pattern=row.pattern,
        validator=row.validator,
        default_grade=Grade(row.default_grade),
        mask_rule=row.mask_rule,
        description=row.description or "",
    )


PUBLIC_FIELDS = (
    "identifier",
    "name_zh",
    "name_en",
    "data_type",
    "length",
    "value_domain",
    "pattern",
    "validator",
    "default_grade",
    "mask_rule",
    "description",
)


def as_dict(row: DataElementRow) -> dict:
    """A data element as the API and ``huitong element show --json`` give it."""
    return {k: getattr(row, k) for k in PUBLIC_FIELDS}
