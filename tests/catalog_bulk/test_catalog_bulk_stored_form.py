"""A stored form reuses the items that need no change, and an entry already in its stored
form is its own stored form (so a batch that submits it need not check it twice)."""

from __future__ import annotations

from huitong.catalog import service
from huitong.catalog.model import DataItem, DataType
from tests.world import spec


def test_the_stored_form_reuses_only_items_already_stored_and_is_its_own_stored_form():
    ready = DataItem("姓名", DataType.C, 18, element="DE01001")
    padded, blank = DataItem(" 性别 ", DataType.C), DataItem("民族", DataType.C, element="")
    assert service._stored_item(ready) is ready
    assert service._stored_item(padded) == DataItem("性别", DataType.C) and padded.name == " 性别 "
    assert service._stored_item(blank).element is None and blank.element == ""
    given_spec = spec("X", name=" 户籍 ", tags=[" 人口", ""], items=[ready, padded, blank])
    stored = service.stored_form(given_spec)
    assert stored != given_spec  # so an import re-checks it as stored before submitting it
    assert service.stored_form(stored) == stored  # what is stored already needs no change
    assert spec("X", items=[ready]) == service.stored_form(spec("X", items=[ready]))
