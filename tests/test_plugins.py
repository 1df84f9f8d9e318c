"""The plugin hooks, through an example plugin installed as another package's would be: each hook
changes what a user sees (a source kind, a validator, a mask, an event listener, a console page and
a dashboard section), and uninstalling it takes each away again."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huitong import plugins
from huitong.aggregate.pipeline import run_load
from huitong.aggregate.sources import available_kinds, open_source
from huitong.api.app import create_app
from huitong.errors import HuitongError
from huitong.ledger.tables import EvidenceEntry
from huitong.share.treatments import ItemView, Treatment, render
from huitong.standards.elements import DataElement, validate_value
from huitong.standards.masking import mask
from tests.aggregate.flow import make_flow
from tests.plugins import example_plugin
from tests.web.conftest import csrf_of, sign_in


@pytest.fixture
def example():
    plugins.register(example_plugin, name="example")
    example_plugin.heard.clear()
    yield example_plugin
    plugins.unregister(example_plugin)
    example_plugin.heard.clear()


def test_a_plugin_source_kind_opens_like_a_builtin(example):
    assert "inline" in available_kinds()
    source = open_source("inline", records=[{"姓名": "张三"}, {"姓名": "李四"}])
    assert source.describe().names == ["姓名"] and sum(len(b) for b in source.batches()) == 2


def test_without_the_plugin_its_kind_validator_and_rule_are_unknown():
    assert "inline" not in available_kinds()
    with pytest.raises(HuitongError, match="unknown source kind 'inline'"):
        open_source("inline", records=[])
    with pytest.raises(ValueError, match="unknown validator 'zj_licence'"):
        DataElement("LE00001", "食品经营许可证编号", "food_licence", validator="zj_licence")
    with pytest.raises(ValueError, match="unknown masking rule 'last4'"):
        mask("last4", "13812345678")


def test_a_local_data_element_brings_its_own_validator(example):
    el = DataElement(
        "LE00001", "食品经营许可证编号", "food_licence", validator="zj_licence", mask_rule="last4"
    )
    assert validate_value(el, "浙食许12345678").ok
    bad = validate_value(el, "浙食许123")
    assert not bad.ok and bad.codes == ("licence",)
    assert el.identifies_subject is False  # a licence names no person


def test_a_plugin_mask_rule_masks_in_every_view(example):
    assert mask("last4", "13812345678") == "*******5678"
    assert render(ItemView("电话", Treatment.mask, "last4"), ["13812345678", "123"]) == ["*******5678", "***"]


def test_a_listener_hears_a_loaded_version_and_adds_to_its_evidence(example, world, test_database, tmp_path):
    flow = make_flow(world, test_database, tmp_path)
    try:
        result = run_load(world.db, flow.store, world.actor("ga"), "hj")
    finally:
        flow.store.close()
    assert [(e.resource, str(e.snapshot_id)) for e in example.heard] == [(flow.code, str(result.snapshot_id))]
    with world.db.session() as s:
        entry = s.scalars(select(EvidenceEntry).where(EvidenceEntry.action == "aggregate.load")).one()
    assert json.loads(entry.details)["example_plugin"] == "heard"


def test_a_plugin_page_section_and_words_appear_in_the_console(example, world):
    client = TestClient(create_app(db=world.db), raise_server_exceptions=False, follow_redirects=False)
    sign_in(client, "ga")
    home = client.get("/example")
    assert home.status_code == 200 and 'id="example-heard"' in home.text and "已收到 0 个新版本" in home.text
    assert 'href="/example"' in home.text and ">示例<" in home.text  # its nav entry, in Chinese
    dash = client.get("/dashboard").text
    assert 'id="section-example"' in dash and "示例插件" in dash
    assert client.post("/lang", data={"csrf": csrf_of(dash), "lang": "en"}).status_code == 303
    assert "0 new versions heard" in client.get("/example").text


class _Rogue:
    """A badly behaved plugin: it raises on a new version, or tries to rewrite the evidence."""

    def __init__(self, mode: str):
        self.mode = mode

    @plugins.hookimpl
    def huitong_event(self, session, event):
        from huitong.events import VersionLoaded

        if isinstance(event, VersionLoaded):
            if self.mode == "raise":
                raise RuntimeError("listener bug")
            return {"status": "forged", "rows_in": 0}
        return None


@pytest.fixture
def rogue(request):
    plugin = _Rogue(request.param)
    plugins.register(plugin, name=f"rogue-{request.param}")
    yield plugin
    plugins.unregister(plugin)


@pytest.mark.parametrize("rogue", ["raise"], indirect=True)
def test_a_listener_that_fails_on_a_stored_version_cannot_hide_the_load(
    rogue, world, test_database, tmp_path
):
    flow = make_flow(world, test_database, tmp_path)
    try:
        result = run_load(world.db, flow.store, world.actor("ga"), "hj")
        assert result.status == "loaded" and flow.store.version(flow.code).rows == 4
    finally:
        flow.store.close()
    with world.db.session() as s:
        entry = s.scalars(select(EvidenceEntry).where(EvidenceEntry.action == "aggregate.load")).one()
        from huitong.aggregate.tables import LoadRun

        run = s.get(LoadRun, result.load_id)
    details = json.loads(entry.details)
    assert run.status == "loaded" and run.snapshot_id == str(result.snapshot_id)
    assert details["status"] == "loaded" and details["listener_failed"] == "RuntimeError: listener bug"


@pytest.mark.parametrize("rogue", ["forge"], indirect=True)
def test_a_listener_adds_to_the_evidence_but_cannot_rewrite_it(rogue, world, test_database, tmp_path):
    flow = make_flow(world, test_database, tmp_path)
    try:
        run_load(world.db, flow.store, world.actor("ga"), "hj")
    finally:
        flow.store.close()
    with world.db.session() as s:
        entry = s.scalars(select(EvidenceEntry).where(EvidenceEntry.action == "aggregate.load")).one()
    details = json.loads(entry.details)
    assert details["status"] == "loaded" and details["rows_in"] == 4


class _Shadow:
    @plugins.hookimpl
    def huitong_validators(self):
        return {"id_number": lambda text: None, "other_check": lambda text: None}

    @plugins.hookimpl
    def huitong_sources(self):
        return [("csv", object, {})]


def test_a_plugin_cannot_replace_a_builtin_validator_or_source_kind():
    shadow = _Shadow()
    plugins.register(shadow, name="shadow")
    try:
        with pytest.raises(ValueError, match="redefines the built-in validator 'id_number'"):
            DataElement("LE00002", "其他", "other", validator="other_check")
        with pytest.raises(HuitongError, match="redefines the built-in source kind 'csv'"):
            available_kinds()
    finally:
        plugins.unregister(shadow)


def test_an_uninstalled_plugins_template_is_not_served_from_the_cache(example, world):
    from huitong.web.render import env

    assert "example/index.html" in env.get_template("example/index.html").filename
    plugins.unregister(example)
    try:
        with pytest.raises(Exception, match="example/index.html"):
            env.get_template("example/index.html")
    finally:
        plugins.register(example, name="example")
