"""A console world of its own for the objection pages: objections flag records and the walk loads a
correcting version, which the shared console world's other tests must not see. 民政's waiting
request is approved with the ID number in clear, so its data view links each row's key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from huitong.aggregate.pipeline import run_load
from huitong.api.app import create_app
from huitong.quality import objections as service
from huitong.share import applications as apps
from huitong.share.grants import Conditions
from tests.web.conftest import serving
from tests.web.console_data import EXPORT, ConsoleWorld, build_console_world


@dataclass
class ObjectionWorld:
    cw: ConsoleWorld
    tmp: Path
    app: object
    clear_grant: int  # 民政's grant on hj showing the ID number in clear

    @property
    def db(self):
        return self.cw.db

    def actor(self, name: str):
        return self.cw.world.actor(name)

    def client(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)

    def load_corrected(self, old: str, new: str) -> str:
        """A correcting version of hj through the pipeline (the current export with ``old`` fixed to
        ``new``); its snapshot id."""
        (self.tmp / "人口.csv").write_bytes(EXPORT.replace("李四", "李思").replace(old, new).encode("gbk"))
        return str(run_load(self.db, self.cw.store, self.actor("ga"), "hj").snapshot_id)

    def raise_one(self, who: str = "mzu", key: str | None = None, reason: str = "姓名登记有误", **kw) -> int:
        with self.db.session() as s:
            obj = service.raise_objection(
                s, self.cw.store, self.actor(who), self.cw.hj, reason, key=key, **kw
            )
            return obj.id

    def step(self, who: str, oid: int, action: str, **kw) -> str:
        with self.db.session() as s:
            return service.take_step(s, self.actor(who), oid, action, store=self.cw.store, **kw).state


def build(tmp: Path) -> ObjectionWorld:
    cw = build_console_world(tmp)
    with cw.db.session() as s:
        req = apps.act(
            s,
            cw.world.actor("ga"),
            cw.pending_request,
            "approve",
            conditions=Conditions(treatments={"公民身份号码": "clear"}, max_requests_per_day=1000),
        )
        grant = req.grant_id
    app = create_app(db=cw.db)
    app.state.store = cw.store
    return ObjectionWorld(cw, tmp, app, grant)


def serve(app):
    """The app served on a free port (conftest's ``serving``), for this world's browser test."""
    return serving(app)
