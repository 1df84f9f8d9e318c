"""A citizen through "who used my data" (查询谁用了我的数据): the auditor finds which departments
used the citizen's record, and raises an objection to it for the citizen (代居民提出), with the
number posted, never in a URL; the holder answers it like any other."""

from __future__ import annotations

import re
from html import unescape

import pytest

from huitong.errors import HuitongError
from huitong.quality import objections as service
from huitong.share import delivery
from tests.web.conftest import csrf_of, sign_in
from tests.web.console_data import GOOD_1
from tests.web.objection_world import build


@pytest.fixture(scope="module")
def ow(tmp_path_factory):
    world = build(tmp_path_factory.mktemp("citizen"))
    yield world
    world.cw.store.close()
    world.db.dispose()


def hidden_fields(form_html: str) -> dict[str, str]:
    return {
        m.group(1): unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_html)
    }


def test_the_auditor_objects_for_the_citizen_from_who_used_my_data(ow):
    delivery.lookup(ow.db, ow.cw.store, ow.actor("mzu"), ow.clear_grant, GOOD_1)  # 民政 used the record
    aud = sign_in(ow.client(), "aud")
    token = csrf_of(aud.get("/audit/who-used").text)
    page = aud.post("/audit/who-used", data={"csrf": token, "number": GOOD_1}).text
    section = re.search(
        r'<section aria-labelledby="h-object" id="object-for-citizen">(.*?)</section>', page, re.S
    )
    assert section, "no way to object for the citizen"
    assert GOOD_1 not in "".join(re.findall(r'(?:href|action)="([^"]*)"', page))  # posted, not linked
    form = hidden_fields(section.group(1))
    assert form["resource"] == ow.cw.hj and form["key_0"] == GOOD_1 and form["on_behalf"] == "citizen"

    raise_form = aud.post("/objections/new/prefill", data=form).text
    assert 'id="on-behalf"' in raise_form and f'value="{GOOD_1}"' in raise_form
    fields = hidden_fields(raise_form) | {"key_0": GOOD_1, "reason": "居民本人反映姓名登记有误"}
    r = aud.post("/objections/new", data=fields)
    assert r.status_code == 303, r.text
    oid = int(re.search(r"/objections/(\d+)", r.headers["location"]).group(1))
    with ow.db.session() as s:
        obj = service.get(s, ow.actor("ga"), oid).objection  # routed to 公安, the holder
        assert obj.on_behalf == "citizen" and obj.key == [GOOD_1] and obj.raiser_name == "aud"
    detail = sign_in(ow.client(), "ga").get(f"/objections/{oid}").text
    assert "代居民提出" in detail


def test_on_behalf_of_someone_unknown_is_refused(ow):
    with ow.db.session() as s, pytest.raises(HuitongError, match="on_behalf"):
        service.raise_objection(s, ow.cw.store, ow.actor("aud"), ow.cw.hj, "x", on_behalf="mayor")
