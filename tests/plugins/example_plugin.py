"""An example plugin, as another package would write it; the tests install it and docs/plugins.md
walks through it hook by hook. It brings a source kind, a validator for a local data element, a
mask rule, an event listener, a console page and a dashboard section."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from fastapi import Request

from huitong.aggregate.sources import Column, Description, Row, Source
from huitong.aggregate.sources.base import chunked
from huitong.events import VersionLoaded
from huitong.plugins import hookimpl
from huitong.standards.findings import CheckResult, error
from huitong.web.nav import NavItem
from huitong.web.pages import ConsolePage
from huitong.web.pages.dashboard import Section
from huitong.web.routing import console_router, page

TEMPLATES = Path(__file__).parent / "example_templates"
heard: list[VersionLoaded] = []  # what the listener heard, for the tests to read


# -- huitong_sources: a source kind ---------------------------------------------------------


class InlineSource(Source):
    """Rows given in the source's configuration (``records: [{...}, ...]``)."""

    def __init__(self, *, records: list[dict], label: str = "inline"):
        self.records, self.label = records, label

    def describe(self) -> Description:
        names = list(dict.fromkeys(k for r in self.records for k in r))
        return Description(self.kind, self.label, tuple(Column(n, i, (n,)) for i, n in enumerate(names, 1)))

    def batches(self, batch_size: int = 1000) -> Iterator[list[Row]]:
        yield from chunked((Row(dict(r), i, self.label) for i, r in enumerate(self.records, 1)), batch_size)


@hookimpl
def huitong_sources():
    return [("inline", InlineSource, {})]


# -- huitong_validators: a local data element's own check ----------------------------------

_LICENCE = re.compile(r"浙(?:食|药)许\d{8}")


def licence_number(text: str) -> CheckResult:
    """A (made-up) provincial food or drug licence number: 浙食许 + eight digits."""
    if _LICENCE.fullmatch(text):
        return CheckResult(text)
    return CheckResult(
        text, (error("licence", f"{text!r} is not a licence number", f"{text!r} 不是许可证编号"),)
    )


@hookimpl
def huitong_validators():
    return {"zj_licence": licence_number}


# -- huitong_mask_rules: a display mask -----------------------------------------------------


@hookimpl
def huitong_mask_rules():
    return {"last4": lambda v: "*" * max(len(v) - 4, 0) + v[-4:] if len(v) > 4 else "*" * len(v)}


# -- huitong_event: react to what happens elsewhere -----------------------------------------


@hookimpl
def huitong_event(session, event):
    if isinstance(event, VersionLoaded):
        heard.append(event)
        return {"example_plugin": "heard"}  # lands in the load's evidence entry
    return None


# -- huitong_console_pages, huitong_dashboard_sections, huitong_messages --------------------

router = console_router()


@router.get("/example")
def example_page(request: Request):
    with page(request) as ctx:
        return ctx.render("example/index.html", area="example", versions=len(heard))


@hookimpl
def huitong_console_pages():
    return [ConsolePage(router, NavItem("example", "/example", "example.nav", 90), TEMPLATES)]


@hookimpl
def huitong_dashboard_sections():
    return [
        Section("example", "example.section", "example.html", lambda ctx: {"n": len(heard)}, 90, TEMPLATES)
    ]


@hookimpl
def huitong_messages(lang):
    return {
        "zh": {"example.nav": "示例", "example.section": "示例插件", "example.heard": "已收到 {n} 个新版本"},
        "en": {
            "example.nav": "Example",
            "example.section": "Example plugin",
            "example.heard": "{n} new versions heard",
        },
    }[lang]
