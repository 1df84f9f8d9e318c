"""The translation catalogs: both languages have every key, every key a template or page
module names exists, and vocabulary labels agree with the domain's own Chinese labels."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from huitong.catalog.model import LABELS
from huitong.org.model import LEVEL_ZH
from huitong.share.applications import MODES, PURPOSES
from huitong.share.states import ACTIONS, State
from huitong.share.treatments import Treatment
from huitong.standards.masking import RULES
from huitong.web import i18n, nav
from huitong.web.console import PAGES
from huitong.web.i18n import Translator, catalog

WEB = Path(i18n.__file__).parent
# t("key") and ctx.t("key"); form labels ("field", "label.key"); nav and dashboard titles.
LITERAL = re.compile(r"""\bt\(\s*["']([a-z_][\w.]*)["']""")
FORM_LABEL = re.compile(
    r"""\.(?:text|integer|optional_integer|day|choice)\(\s*["'][\w]+["']\s*,\s*["']([a-z_][\w.]*)["']"""
)
NAV_LABEL = re.compile(r"""NavItem\(\s*["']\w+["']\s*,\s*["'][^"']*["']\s*,\s*["']([a-z_][\w.]*)["']""")
SECTION_TITLE = re.compile(r"""Section\(\s*["']\w+["']\s*,\s*["']([a-z_][\w.]*)["']""")
LABEL_KIND = re.compile(r"""\blabel\(\s*["']([a-z_]+)["']""")


def used_keys(text: str) -> set[str]:
    return (
        set(LITERAL.findall(text))
        | set(FORM_LABEL.findall(text))
        | {
            *NAV_LABEL.findall(text),
            *SECTION_TITLE.findall(text),
        }
    )


def sources() -> list[Path]:
    return [*WEB.rglob("*.html"), *WEB.rglob("*.py")]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders():
    zh, en = catalog("zh"), catalog("en")
    assert sorted(set(zh) ^ set(en)) == []
    for key in zh:
        assert zh[key].strip() and en[key].strip(), key
        assert placeholders(zh[key]) == placeholders(en[key]), key


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(WEB).as_posix())
def test_every_key_a_template_or_module_uses_is_in_the_catalog(path):
    missing = sorted(k for k in used_keys(path.read_text(encoding="utf-8")) if k not in catalog("zh"))
    assert missing == [], f"{path.name} uses keys missing from locales/zh.json and en.json"


def test_the_scanner_finds_keys_so_the_test_above_can_fail():
    text = (
        '{{ t("nope.missing") }} form.text("q", "nope.label") NavItem("x", "/x", "nope.nav", 1) '
        'Section("s", "nope.section", "s.html")'
    )
    assert used_keys(text) == {"nope.missing", "nope.label", "nope.nav", "nope.section"}


def test_every_vocabulary_kind_a_template_labels_exists():
    kinds = {k.split(".")[1] for k in catalog("zh") if k.startswith("enum.")}
    used = {kind for p in sources() for kind in LABEL_KIND.findall(p.read_text(encoding="utf-8"))}
    assert used and used <= kinds


def test_chinese_vocabulary_matches_the_domain_labels():
    zh, en = catalog("zh"), catalog("en")
    kinds = {
        "ShareType": "share_type",
        "OpenType": "open_type",
        "UpdateCycle": "update_cycle",
        "FormatClass": "format",
        "ShareMode": "share_mode",
        "Status": "status",
        "DataType": "data_type",
        "Grade": "grade",
    }
    for cls, kind in kinds.items():
        for value, label in LABELS[cls].items():
            assert zh[f"enum.{kind}.{value}"] == label
            assert f"enum.{kind}.{value}" in en
    for level, label in LEVEL_ZH.items():
        assert zh[f"enum.level.{level.value}"] == label
    assert {f"enum.mask_rule.{r}" for r in RULES} <= set(zh)
    for state in State:
        assert zh[f"enum.share_state.{state.value}"] == state.label_zh
    for purpose, label in PURPOSES.items():
        assert zh[f"enum.purpose.{purpose}"] == label
    for treatment in Treatment:
        assert zh[f"enum.treatment.{treatment.value}"] == treatment.label_zh
    for action in ACTIONS:
        assert f"enum.share_action.{action}" in zh
    assert {f"enum.delivery_mode.{m}" for m in MODES} <= set(zh)


def test_nav_and_error_titles_are_translated():
    for name in PAGES:
        __import__(f"huitong.web.pages.{name}")
    for item in nav.all_items():
        assert Translator("en").has(item.label) and Translator("zh").has(item.label)
    for status in (400, 403, 404, 409, 422, 500):
        assert Translator("en").has(f"error.{status}")


def test_translator_defaults_to_chinese_and_shows_a_missing_key_as_itself():
    assert Translator(None).lang == "zh" and Translator("fr").lang == "zh"
    assert Translator("en")("nav.catalog") == "Catalog" and Translator("zh")("nav.catalog") == "资源目录"
    assert Translator("en")("no.such.key") == "no.such.key"
    assert Translator("en").label("share_type", "conditional") == "Conditional sharing"
    assert Translator("zh").label("share_type", "made-up") == "made-up"


PROBLEM_CODE = re.compile(r'code="([a-z_]+\.[a-z_.]+)"')


def test_every_problem_code_a_service_gives_is_translated_in_both_languages():
    # a Problem's code is dotted (package.rule); an error's own code is not (not_found)
    codes = {
        c for path in WEB.parent.rglob("*.py") for c in PROBLEM_CODE.findall(path.read_text(encoding="utf-8"))
    }
    assert {"share.period_order", "share.empty_cart"} <= codes  # the scanner finds them
    for lang in ("zh", "en"):
        missing = sorted(c for c in codes if f"problem.{c}" not in catalog(lang))
        assert missing == [], f"{lang}: problem codes without a translation"


def test_a_coded_problem_reads_in_the_readers_language_and_an_uncoded_one_as_written():
    from huitong.errors import Problem

    coded = Problem("the period of use ends before it starts", field="use_until", code="share.period_order")
    assert Translator("zh").problem(coded) == catalog("zh")["problem.share.period_order"]
    assert Translator("en").problem(coded) == "The period of use ends before it starts."
    assert Translator("zh").problem(Problem("something else")) == "something else"
