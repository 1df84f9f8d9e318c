"""Chinese names made comparable (姓名比对): folded to simplified characters, read as toneless pinyin
with surnames read as surnames (单 shan, 曾 zeng), and as *fuzzy* pinyin, where the sounds speakers and
typists confuse are one (zh/z, ch/c, sh/s, n/l, f/h, -ang/-an, -eng/-en, -ing/-in): a homophone or
near-homophone typed in place of the right character (晓/小, 玮/伟) reads the same.

These per-value functions are the reference and the single-value path; :mod:`huitong.fuse.prepare`
applies them once per *distinct* value of a column.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from huitong.standards.pinyin import toneless
from huitong.standards.surnames import surname_of

# surnames whose reading as a surname differs from pypinyin's default (多音字 as 姓)
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",),
    "曾": ("zeng",),
    "解": ("xie",),
    "仇": ("qiu",),
    "区": ("ou",),
    "朴": ("piao",),
    "查": ("zha",),
    "乐": ("yue",),
    "翟": ("zhai",),
    "盖": ("ge",),
    "缪": ("miao",),
    "覃": ("qin",),
    "种": ("chong",),
    "召": ("shao",),
    "繁": ("po",),
    "秘": ("bi",),
    "员": ("yun",),
    "折": ("she",),
    "黑": ("he",),
    "尉": ("yu",),
    "长孙": ("zhang", "sun"),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "澹台": ("tan", "tai"),
    "宿": ("su",),
    "薄": ("bo",),
    "居": ("ju",),
    "过": ("guo",),
    "重": ("chong",),
    "祭": ("zhai",),
    "句": ("gou",),
    "相": ("xiang",),
    "沈": ("shen",),
    "柏": ("bai",),
    "纪": ("ji",),
}

_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("f", "h"), ("r", "l"))
_FINALS = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))
_DROP = re.compile(r"[\s·•.．・\-_'’]+")


@cache
def _opencc():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters folded to simplified (張偉 → 张伟), by OpenCC's tables."""
    return _opencc().convert(text) if text else text


def fold_name(value: str | None, *, simplify: bool = True) -> str | None:
    """A name as it is compared: NFKC (full-width letters), simplified (unless the caller converted
    a whole column at once), no spaces or the dots of minority names (阿卜杜·热合曼); None when nothing
    is left."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value)
    text = _DROP.sub("", to_simplified(text) if simplify else text)
    return text or None


@cache
def _reading(char: str) -> str:
    return toneless(char)[0].lower()


def syllables(name: str) -> tuple[str, ...]:
    """Toneless pinyin of a folded name, one syllable per character, the surname read as a surname.
    Read character by character (cached): a name is no phrase, and pypinyin's phrase segmentation
    would cost a thousand times more per name."""
    out = [_reading(c) for c in name]
    surname = surname_of(name)
    if surname and surname in SURNAME_READINGS:
        out[: len(surname)] = SURNAME_READINGS[surname]
    return tuple(out)


@cache
def fuzzy(syllable: str) -> str:
    """A syllable with the confusable sounds merged: zhang → zan, ning → lin, feng → hen."""
    for a, b in _INITIALS:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
            break
    for a, b in _FINALS:
        if syllable.endswith(a):
            syllable = syllable[: -len(a)] + b
            break
    return syllable


def name_keys(
    value: str | None, *, simplify: bool = True
) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(folded name, pinyin, fuzzy pinyin, sorted characters, surname's pinyin) of one name; the
    sorted characters are equal for a name whose given-name characters are swapped (晓明/明晓)."""
    name = fold_name(value, simplify=simplify)
    if name is None:
        return None, None, None, None, None
    syl = syllables(name)
    surname = surname_of(name) or name[:1]
    return (
        name,
        "".join(syl),
        "".join(fuzzy(s) for s in syl),
        "".join(sorted(name)),
        "".join(syl[: len(surname)]),
    )
