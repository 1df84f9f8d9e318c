"""A re-sent identical export is shown as such where a person looks: the API and the console's load
page name the load it repeats and link to it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from huitong.aggregate.pipeline import run_load
from huitong.api.app import create_app
from huitong.config import Settings
from tests.aggregate.flow import make_flow
from tests.test_api import token
from tests.web.conftest import sign_in


@pytest.fixture
def flow(world, test_database, tmp_path):
    f = make_flow(world, test_database, tmp_path, good=3)
    yield f
    f.store.close()


def test_the_console_links_a_repeated_load_to_the_load_it_repeats(flow, test_database):
    ga = flow.world.actor("ga")
    first = run_load(flow.world.db, flow.store, ga, "hj")
    again = run_load(flow.world.db, flow.store, ga, "hj")
    assert (first.status, again.status) == ("loaded", "unchanged")

    settings = Settings(data_dir=flow.tmp, database_url=test_database.url)
    client = TestClient(
        create_app(settings, db=flow.world.db), raise_server_exceptions=False, follow_redirects=False
    )
    api = client.get(f"/api/aggregate/loads/{again.load_id}", headers=token(flow.world, "ga")).json()
    assert api["status"] == "unchanged" and api["rows_in"] == first.summary.rows_in
    sign_in(client, "ga")
    page = client.get(f"/aggregate/loads/{again.load_id}").text
    assert 'id="same-input"' in page and f'href="/aggregate/loads/{first.load_id}"' in page
    assert "未重新读取" in page
    assert 'id="same-input"' not in client.get(f"/aggregate/loads/{first.load_id}").text
