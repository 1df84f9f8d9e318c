"""Setting up a data directory: the database schema, the seed trees and registries."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from huitong.catalog.classification import default_tree
from huitong.catalog.tables import ClassNode, Counter
from huitong.config import Settings
from huitong.db.base import Database
from huitong.db.migrate import upgrade
from huitong.errors import HuitongError
from huitong.standards.store import seed_elements


def seed(session: Session) -> dict[str, int]:
    have = set(session.scalars(select(ClassNode.code)))
    added = 0
    for node in default_tree():
        if node.code not in have:
            session.add(ClassNode(code=node.code, name=node.name, parent_code=node.parent))
            session.flush()
            added += 1
    if session.get(Counter, "catalog") is None:
        session.add(Counter(name="catalog", value=0))
    return {"class_nodes": added, "data_elements": seed_elements(session)}


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Open the metadata database, applying migrations and seeds (safe to repeat)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.metadata_url)
    if migrate:
        try:
            upgrade(db.engine)
        except Exception as exc:  # a clear line instead of a driver traceback
            raise HuitongError(
                f"cannot prepare the metadata database ({db.engine.url.render_as_string()}): "
                f"{type(exc).__name__}: {str(exc).splitlines()[0]}",
                code="database",
            ) from exc
        with db.session() as session:
            seed(session)
    from huitong.ledger.setup import ensure_keys

    db.ledger_keys, db.subject_secret = ensure_keys(settings.keys_dir)
    db.ledger_origin = settings.node_id
    if settings.grading_policy:  # read now, so a mistake in it stops the start with its key named
        from huitong.classify.grading import GradePolicy, load_policy

        db.parts.put(GradePolicy, load_policy(Path(settings.grading_policy)))
    return db
