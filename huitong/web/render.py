"""Jinja2 templates with autoescaping, and the helpers every page template gets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    FunctionLoader,
    StrictUndefined,
    select_autoescape,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse

from huitong.access import PUBLIC, Actor
from huitong.web import nav
from huitong.web.i18n import HTML_LANG, LANGUAGES, Translator
from huitong.web.session import ConsoleSession

BEIJING = ZoneInfo("Asia/Shanghai")
TEMPLATES = Path(__file__).parent / "templates"


def _when(value: datetime | str | None) -> str:
    """Times are stored as naive UTC; shown to the second, marked UTC."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def _beijing(value: datetime | None) -> str:
    """Deadlines end at 23:59:59 Beijing time, so they are shown in Beijing time (UTC+8)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") + " (UTC+8)"


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _plugin_template_path(name: str) -> Path | None:
    from huitong import plugins
    from huitong.web.pages import plugin_pages

    sections = plugins.flattened(plugins.hook().huitong_dashboard_sections())
    for folder in [p.templates for p in plugin_pages()] + [s.templates for s in sections]:
        path = folder / name if folder else None
        if path is not None and path.is_file():
            return path
    return None


def _plugin_template(name: str) -> tuple[str, str, object] | None:
    """A template from a plugin page's folder (built-in templates win). It stays cached only while
    the same plugin still provides the same, unchanged file."""
    path = _plugin_template_path(name)
    if path is None:
        return None
    mtime = path.stat().st_mtime

    def uptodate() -> bool:
        now = _plugin_template_path(name)
        return now == path and now.stat().st_mtime == mtime

    return path.read_text(encoding="utf-8"), str(path), uptodate


env = Environment(
    loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FunctionLoader(_plugin_template)]),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["when"] = _when
env.filters["number"] = _number
env.filters["beijing"] = _beijing


def render(
    request: Request,
    template: str,
    *,
    actor: Actor = PUBLIC,
    area: str | None = None,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    web = ConsoleSession.load(request)
    t = Translator(web.get("lang"))
    context = {
        "t": t,
        "label": t.label,
        "lang": t.lang,
        "html_lang": HTML_LANG[t.lang],
        "languages": LANGUAGES,
        "csrf": web.csrf(),
        "actor": actor,
        "user": None if actor.is_public else actor.username,
        "nav": nav.items_for(actor),
        "area": area,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **values,
    }
    html = env.get_template(template).render(context)
    return HTMLResponse(html, status_code=status)
