"""The provider's own view of its stored rows (the resource page's sample) marks a record under
objection, with its disputed item, and still shows it."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.web.conftest import sign_in
from tests.web.console_data import GOOD_1
from tests.web.objection_world import build


@pytest.fixture(scope="module")
def ow(tmp_path_factory):
    world = build(tmp_path_factory.mktemp("disputed-sample"))
    yield world
    world.cw.store.close()
    world.db.dispose()


def sample_rows(html: str) -> list[str]:
    table = re.search(r'<table id="sample">(.*?)</table>', html, re.S)
    assert table, "no sample rows on the page"
    return [
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", r)))
        for r in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]


def test_the_resource_page_marks_the_flagged_record_and_keeps_it(ow):
    ga = sign_in(ow.client(), "ga")
    page = f"/catalog/resource/{ow.cw.hj}"
    before = sample_rows(ga.get(page).text)
    assert not any("有异议" in r for r in before)
    oid = ow.raise_one(key=GOOD_1, item="姓名")
    ow.step("op", oid, "accept")
    assert not any("有异议" in r for r in sample_rows(ga.get(page).text))  # accepted, not yet flagged
    ow.step("op", oid, "flag")
    after = sample_rows(ga.get(page).text)
    marked = [r for r in after if "有异议" in r]
    assert len(after) == len(before) and len(marked) == 1  # marked, never left out
    assert GOOD_1 in marked[0] and "姓名" in marked[0]
