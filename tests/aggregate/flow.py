"""A police department's person register fed by a GBK export: the setting of the worker, REST and
retention tests, built through the real services (no mocks).

The CLI, the API and the tests share one metadata database, one warehouse (``tmp/warehouse``) and
one set of ledger keys (``tmp/keys``, as in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from huitong.aggregate import registry
from huitong.aggregate.mapping import propose_mapping
from huitong.aggregate.tables import SourceRow
from huitong.catalog import service as catalog
from huitong.catalog.model import DataItem, DataType
from huitong.cli.context import console, state
from huitong.cli.main import app
from huitong.db.base import utcnow
from huitong.standards.idcard import make_id_number
from huitong.store import Store
from tests.world import World, spec

ITEMS = [
    DataItem("公民身份号码", DataType.C, 18, element="DE01001", is_key=True, required=True),
    DataItem("姓名", DataType.C, 50, element="DE01002", required=True),
    DataItem("性别", DataType.C, 1, element="DE01003"),
]


def person_id(n: int) -> str:
    return make_id_number("330106", date(1980, 1, 1) + timedelta(days=n), n % 1000)


def broken_id(n: int) -> str:
    good = person_id(n)
    return good[:-1] + ("0" if good[-1] != "0" else "1")


def write_export(path: Path, good: int, bad: int = 0, rename: dict[int, str] | None = None) -> Path:
    """A GBK export: ``good`` valid people, then ``bad`` rows with a wrong ID check character."""
    lines = ["身份证号,姓名,性别"]
    for n in range(good):
        lines.append(f"{person_id(n)},{(rename or {}).get(n, f'居民{n}')},{'男' if n % 2 else '女'}")
    for n in range(good, good + bad):
        lines.append(f"{broken_id(n)},错号{n},男")
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    return path


def add_source(
    world: World,
    name: str,
    code: str,
    path: Path,
    *,
    schedule: str | None = None,
    mapped: bool = True,
    by: str = "ga",
    kind: str = "csv",
    config: dict | None = None,
    mode: str = "upsert",
) -> None:
    actor = world.actor(by)
    with world.db.session() as s:
        registry.add_source(
            s, actor, name, code, kind, config or {"path": str(path)}, mode=mode, schedule=schedule
        )
    if mapped:
        with world.db.session() as s:
            desc = registry.describe_source(s, actor, name)
            proposal = propose_mapping([c.name for c in desc.columns], ITEMS).to_mapping()
            registry.save_mapping(s, actor, name, proposal.to_dict())


def backdate(world: World, name: str, days: int = 2) -> None:
    """As if the source had been added ``days`` ago (so its daily schedule has fired since)."""
    with world.db.session() as s:
        s.scalars(select(SourceRow).where(SourceRow.name == name)).one().created_at = utcnow() - timedelta(
            days=days
        )


@dataclass
class Flow:
    world: World
    store: Store
    code: str
    export: Path
    tmp: Path


def make_flow(
    world: World, test_database, tmp_path: Path, *, good: int = 4, bad: int = 0, mode: str = "upsert"
) -> Flow:
    """The resource is published: every department sees the entry, only the police its data."""
    with world.db.session() as s:
        code = catalog.create(s, world.actor("ga"), spec(world.police, items=ITEMS)).code
        catalog.submit(s, world.actor("ga"), code)
        catalog.review(s, world.actor("op"), code, "approve")
    export = write_export(tmp_path / "人口.csv", good, bad)
    add_source(world, "hj", code, export, mode=mode)
    return Flow(world, Store(test_database.url, tmp_path / "warehouse"), code, export, tmp_path)


def cli(monkeypatch, test_database, tmp_path: Path) -> Callable[..., object]:
    """``huitong …`` on the test's database, warehouse and keys; returns the CliRunner result."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUITONG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUITONG_DATABASE_URL", test_database.url)
    monkeypatch.setattr(console, "width", 200)  # whole table rows, as on a wide terminal
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None):
        state._settings = None
        state._db = None
        try:
            return runner.invoke(app, list(args), env=env)
        finally:
            if state._db is not None:
                state._db.dispose()
            state._db = None

    return invoke
