"""Pinyin (拼音) readings for matching Chinese names, one helper for the catalog's search and the
aggregation's column matching, with the corrections pypinyin needs for government text."""

from __future__ import annotations

from collections.abc import Sequence

# pypinyin gets these wrong in government text (place names mostly); applied on whole runs.
PINYIN_OVERRIDES: dict[str, tuple[str, ...]] = {
    "长垣": ("chang", "yuan"),
    "长治": ("chang", "zhi"),
    "朝阳": ("chao", "yang"),
    "单县": ("shan", "xian"),
    "郫都": ("pi", "du"),
    "河长": ("he", "zhang"),
    "林长": ("lin", "zhang"),
}


def toneless(text: str) -> list[str]:
    """One toneless syllable per character (a non-Chinese character stands for itself)."""
    from pypinyin import Style, lazy_pinyin

    syl = lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: list(chars))
    if len(syl) != len(text):  # defensive: keep one entry per character
        syl = [lazy_pinyin(c, errors=lambda chars: list(chars))[0] for c in text]
    return syl


def corrected(text: str, syllables: Sequence[str]) -> tuple[str, ...]:
    """``syllables`` (one per character of ``text``) with :data:`PINYIN_OVERRIDES` applied."""
    out = list(syllables)
    for phrase, reading in PINYIN_OVERRIDES.items():
        start = text.find(phrase)
        while start >= 0:
            out[start : start + len(phrase)] = reading
            start = text.find(phrase, start + 1)
    return tuple(out)


def reading(text: str) -> tuple[str, ...]:
    """The corrected toneless reading of a name: 朝阳区 → chao, yang, qu."""
    return corrected(text, toneless(text))
