"""姓氏: the shipped table of Chinese surnames (``data/surnames.txt``), single and compound (复姓).

One list for everything that reads a name's first characters: the display mask keeps a compound
surname whole, and discovery counts a column as personal names when its values begin with one.
"""

from __future__ import annotations

from importlib import resources


def _load() -> tuple[str, ...]:
    text = resources.files("huitong.standards").joinpath("data/surnames.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


SURNAMES: tuple[str, ...] = _load()
SINGLE_SURNAMES = frozenset(s for s in SURNAMES if len(s) == 1)
COMPOUND_SURNAMES = frozenset(s for s in SURNAMES if len(s) == 2)


def surname_of(name: str) -> str | None:
    """The surname a name begins with (a compound one first), or None."""
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    if name[:1] in SINGLE_SURNAMES:
        return name[:1]
    return None
