"""Migrations: applied from nothing to head on both databases, repeatable, matching the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from huitong.bootstrap import seed
from huitong.db.base import Database
from huitong.db.migrate import current_revision, head_revision, upgrade
from huitong.tables import metadata


def test_upgrade_to_head_is_repeatable_and_matches_the_models(test_database):
    db = Database(test_database.url)
    upgrade(db.engine)
    upgrade(db.engine)  # a second run changes nothing
    assert current_revision(db.engine) == head_revision()
    tables = set(inspect(db.engine).get_table_names())
    assert {"resource", "department", "app_user", "api_token", "evidence_entry", "data_element"} <= tables
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    with db.session() as s:
        first = seed(s)
    with db.session() as s:
        again = seed(s)
    assert first["class_nodes"] > 20 and first["data_elements"] >= 15
    assert again == {"class_nodes": 0, "data_elements": 0}
    db.dispose()
