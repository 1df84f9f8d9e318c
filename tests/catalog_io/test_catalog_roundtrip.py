"""Export → import gives back the same specs, for any valid spec (Excel and JSON)."""

from __future__ import annotations

import io
from datetime import date

from catalog_io_helpers import LISTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong.catalog import rules
from huitong.catalog.excel_template import read_template, write_export
from huitong.catalog.json_io import dump_json_catalog, read_json_catalog, spec_from_dict, spec_to_dict
from huitong.catalog.model import (
    MODES_FOR_FORMAT,
    DataItem,
    DataType,
    FormatClass,
    Grade,
    OpenType,
    ResourceSpec,
    ShareChannel,
    ShareMode,
    ShareType,
    UpdateCycle,
)

# CJK, Latin, digits, full-width letters and punctuation, '=' (formula lookalikes) and inner spaces
CHARS = st.sampled_from(list("人口户籍信息数据共享开放abcXYZ019ＡＢ１（）()-_·、。=+ "))


def text(max_size: int = 12):
    return st.text(CHARS, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def optional(strategy):
    return st.none() | strategy


names = text().filter(rules.normalise_name)
codes = st.from_regex(r"[1-3][0-9]{5}/[0-9]{5}", fullmatch=True)
tags = st.text(st.sampled_from(list("标签人口ab1 -")), min_size=1, max_size=6).map(str.strip).filter(bool)


@st.composite
def items(draw, min_size: int):
    item_names = draw(st.lists(names, min_size=min_size, max_size=3, unique_by=rules.normalise_name))
    return [
        DataItem(
            name=n,
            data_type=draw(st.sampled_from(DataType)),
            length=draw(optional(st.integers(1, 4000))),
            element=draw(optional(st.sampled_from(["DE00001", "DE00002", "DE09999"]))),
            grade=draw(optional(st.sampled_from(Grade))),
            name_en=draw(optional(text())),
            is_key=draw(st.booleans()),
            required=draw(st.booleans()),
            description=draw(optional(text(30))),
        )
        for n in item_names
    ]


@st.composite
def specs(draw, name=names):
    format_class = draw(st.sampled_from(FormatClass))
    share_type = draw(st.sampled_from(ShareType))
    open_type = draw(st.sampled_from(OpenType))
    modes = sorted(MODES_FOR_FORMAT[format_class]) if share_type is not ShareType.none else list(ShareMode)
    structured = format_class in (FormatClass.database, FormatClass.spreadsheet)
    spec = ResourceSpec(
        name=draw(name),
        class_code=draw(
            st.sampled_from(["101001", "101002", "201001"])
            | st.from_regex(r"[1-3][0-9]{5}[0-9A-Z]{0,2}", fullmatch=True)
        ),
        provider_code=draw(
            st.sampled_from(["11510000MB0000001X"]) | st.from_regex(r"[0-9A-Z]{6,18}", fullmatch=True)
        ),
        summary=draw(text(40)),
        format_class=format_class,
        share_type=share_type,
        share_mode=draw(st.sampled_from(modes)),
        open_type=open_type,
        update_cycle=draw(st.sampled_from(UpdateCycle)),
        format_type=draw(optional(text(6))),
        share_channel=draw(st.sampled_from(ShareChannel)),
        share_condition=draw(text() if share_type is ShareType.conditional else optional(text())),
        share_basis=draw(text() if share_type is not ShareType.unconditional else optional(text())),
        open_condition=draw(text() if open_type is OpenType.conditional else optional(text())),
        publish_date=draw(optional(st.dates(date(1990, 1, 1), date(2099, 12, 31)))),
        related_codes=draw(st.lists(codes, max_size=2)),
        also_in=draw(st.lists(st.from_regex(r"[1-3][0-9]{2}([0-9]{3})?", fullmatch=True), max_size=2)),
        source_system=draw(optional(text())),
        authoritative_code=draw(optional(st.sampled_from(["11510000MB0000002X", "123456"]))),
        tags=draw(st.lists(tags, max_size=3)),
        name_en=draw(optional(text())),
        items=draw(items(1 if structured else 0)),
    )
    assert rules.check_spec(spec) == []
    return spec


catalogs = st.lists(specs(), min_size=1, max_size=3, unique_by=lambda s: rules.normalise_name(s.name))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs)
def test_excel_export_then_import_gives_the_same_specs(catalog):
    resources = [(f"{s.class_code}/{i:05d}", s) for i, s in enumerate(catalog, start=1)]
    buffer = io.BytesIO()
    write_export(buffer, resources, **LISTS)
    buffer.seek(0)
    result = read_template(buffer, filename="export.xlsx")
    assert result.problems == []
    assert [(r.code, r.spec) for r in result.resources] == resources


@settings(max_examples=40, deadline=None)
@given(catalogs, st.booleans())
def test_json_dump_then_read_gives_the_same_specs(catalog, with_codes):
    resources = [
        (f"{s.class_code}/{i:05d}" if with_codes else None, s) for i, s in enumerate(catalog, start=1)
    ]
    assert read_json_catalog(dump_json_catalog(resources)) == resources
    assert [spec_from_dict(spec_to_dict(s)) for s in catalog] == catalog
