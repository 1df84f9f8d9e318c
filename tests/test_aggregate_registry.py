"""Configured sources: owned by the provider's administrator, secrets never shown."""

from __future__ import annotations

import pytest

from huitong.access import SYSTEM
from huitong.aggregate import registry
from huitong.catalog import service as catalog
from huitong.errors import Conflict, Forbidden, HuitongError
from huitong.ledger.events import EvidenceEntry
from tests.world import spec


def resource(world) -> str:
    with world.db.session() as s:
        return catalog.create(s, world.actor("ga"), spec(world.police)).code


def test_a_source_belongs_to_the_providers_administrator(world, tmp_path):
    code = resource(world)
    csv = tmp_path / "户籍.csv"
    csv.write_text("身份证号,姓名\n", encoding="utf-8")
    with pytest.raises(Forbidden), world.db.session() as s:
        registry.add_source(s, world.actor("mz"), "hj", code, "csv", {"path": str(csv)})
    with world.db.session() as s:
        row = registry.add_source(
            s, world.actor("ga"), "hj", code, "csv", {"path": str(csv)}, schedule="0 2 * * *"
        )
        assert row.kind == "csv" and registry.resource_of(s, row).code == code
    with world.db.session() as s, pytest.raises(Conflict):
        registry.add_source(s, world.actor("ga"), "hj", code, "csv", {"path": str(csv)})


def test_bad_kind_mode_schedule_and_options_are_refused_clearly(world, tmp_path):
    code = resource(world)
    cases = [
        ({"kind": "ftp", "config": {}}, "source kind 'ftp'"),
        ({"kind": "csv", "config": {"path": "x.csv"}, "mode": "merge"}, "load mode 'merge'"),
        ({"kind": "csv", "config": {"path": "x.csv"}, "schedule": "every night"}, "not a cron expression"),
        ({"kind": "csv", "config": {"pth": "x.csv"}}, "pth"),
    ]
    for kwargs, message in cases:
        with world.db.session() as s, pytest.raises(HuitongError, match=message):
            registry.add_source(s, SYSTEM, "s1", code, **kwargs)


def test_secrets_are_redacted_in_what_is_shown_and_recorded(world):
    code = resource(world)
    config = {"url": "mysql+pymysql://etl:s3cret-pw@10.0.0.5/hj", "table": "people"}
    with world.db.session() as s:
        registry.add_source(s, world.actor("ga"), "legacy", code, "sql", config)
    shown = registry.redact(config)
    assert "s3cret-pw" not in shown["url"] and shown["table"] == "people"
    assert registry.redact({"url": "https://api.example.cn/x", "token": "abc123"})["token"] == "***"
    with world.db.session() as s:
        texts = [e.details or "" for e in s.query(EvidenceEntry)]
    assert not any("s3cret-pw" in t for t in texts)
