"""A published resource of 公安 with one stored version, for the tests that read stored data."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem
from huitong.store import Store
from tests.world import World, spec


def published(
    world: World, url: str, tmp_path: Path, items: list[DataItem], rows: pa.Table
) -> tuple[Store, str]:
    """The entry created, submitted and approved, its table made and ``rows`` written as a version."""
    with world.db.session() as s:
        code = catalog.create(s, world.actor("ga"), spec(world.police, items=items)).code
        catalog.submit(s, world.actor("ga"), code)
        catalog.review(s, world.actor("op"), code, "approve")
    store = Store(url, tmp_path / "warehouse")
    store.ensure_table(code, items)
    store.write(code, rows)
    return store, code
