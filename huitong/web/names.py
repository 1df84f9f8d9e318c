"""The names pages show beside ids and codes: departments with their region, resources by code."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.catalog.tables import Resource
from huitong.org.tables import Department


def department_names(session: Session) -> dict[int, str]:
    return {d.id: f"{d.region.name}{d.name}" for d in session.scalars(select(Department))}


def resource_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return dict(session.execute(select(Resource.code, Resource.name).where(Resource.code.in_(wanted))).all())
