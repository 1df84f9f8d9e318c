"""Every word the console shows comes from a catalog per language (``locales/<lang>.json``).

Flat keys (``nav.catalog``) with ``str.format`` placeholders; Chinese is the default. A
missing key shows the key itself at run time, and the tests fail on it, so a page never
mixes languages silently.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

log = logging.getLogger("huitong.web")

LANGUAGES = ("zh", "en")
DEFAULT_LANG = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
LOCALES = Path(__file__).parent / "locales"


@cache
def catalog(lang: str) -> dict[str, str]:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def pick(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANG


def plugin_messages(lang: str) -> dict[str, str]:
    from huitong import plugins

    return plugins.collected(plugins.hook().huitong_messages(lang=lang), "translation")


class Translator:
    """``t(key, **params)`` in one language; ``label(kind, value)`` for vocabulary values."""

    def __init__(self, lang: str | None):
        self.lang = pick(lang)
        self.messages = catalog(self.lang)
        extra = plugin_messages(self.lang)
        if extra:
            self.messages = extra | self.messages  # a plugin adds words; it does not change ours

    def __call__(self, key: str, **params: object) -> str:
        text = self.messages.get(key)
        if text is None:
            log.warning("missing %s translation for %r", self.lang, key)
            return key
        return text.format(**params) if params else text

    def problem(self, problem) -> str:
        """A service's problem in this language, by its code; its own message when it has none."""
        key = f"problem.{problem.code}" if getattr(problem, "code", None) else None
        if key is None or key not in self.messages:
            return problem.message
        return self.messages[key].format(**dict(problem.params or {}))

    def label(self, kind: str, value: object) -> str:
        """A vocabulary value (``share_type``/``conditional``) in words; unknown values as they are."""
        if value is None or value == "":
            return ""
        return self.messages.get(f"enum.{kind}.{value}", str(value))

    def has(self, key: str) -> bool:
        return key in self.messages
