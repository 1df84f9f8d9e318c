"""Search-result highlighting: HTML-escaped text with ``<mark>`` around what matched.

Matching happens on normalized text (NFKC + casefold, like the index), but marks are put
on the original characters, so ``ＡＰＩ`` is shown as typed and still marked for ``api``.
Pinyin queries mark the Chinese characters whose reading they spelled (huji -> 户籍).
Every piece of the input goes through :func:`html.escape`; only our own tags are raw.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from huitong.catalog.search.analyzer import (
    PINYIN_SPAN_WORDS,
    PINYIN_WHOLE_RUN,
    QueryTerms,
    analyze_query,
    cut,
    normalize,
    run_pinyin,
    tokenizer,
)

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")


def _normalized(text: str) -> tuple[str, list[int] | None]:
    """Normalized text and, if lengths differ, the original index of each normalized char."""
    norm = (
        text.casefold() if unicodedata.is_normalized("NFKC", text) else normalize(text)
    )  # quick check first
    if len(norm) == len(text):
        return norm, None
    pieces, owner = [], []
    for i, c in enumerate(text):
        n = normalize(c)
        pieces.append(n)
        owner.extend([i] * len(n))
    return "".join(pieces), owner


def _pinyin(norm: str, letters: str, spans: list[tuple[int, int]]) -> None:
    """Mark word-aligned CJK spans whose full pinyin or initials spell ``letters``."""
    freq = None
    for m in _CJK_RUN.finditer(norm):
        run, base = m.group(), m.start()
        syl = run_pinyin(run)
        initials = "".join(s[0] for s in syl)
        words = cut(run)
        cands: list[tuple[int, int]] = []
        for i in range(len(words)):
            for j in range(i + 1, min(i + PINYIN_SPAN_WORDS, len(words)) + 1):
                cands.append((words[i][1], words[j - 1][2]))
            w, s, e = words[i]
            if e - s > 2:
                freq = freq or tokenizer().FREQ
                cands.extend(
                    (s + k, s + k + n)
                    for n in range(2, e - s)
                    for k in range(e - s - n + 1)
                    if freq.get(w[k : k + n])
                )
        if len(run) <= PINYIN_WHOLE_RUN:
            cands.append((0, len(run)))
        for s, e in cands:
            if "".join(syl[s:e]) == letters or (e - s >= 2 and initials[s:e] == letters):
                spans.append((base + s, base + e))


class _Clause(NamedTuple):
    primary: tuple[str, ...]  # the clause text and its words
    fallback: tuple[str, ...]  # sub-words and bigrams, marked only where no primary is found
    word: re.Pattern | None  # an ASCII clause, matched as a whole word


@lru_cache(maxsize=512)
def _compile(q: QueryTerms) -> tuple[tuple[_Clause, ...], tuple[str, ...]]:
    """What to look for, per clause, plus the letter clauses to try as pinyin; worked out once
    per query, not once per hit. Fallback needles only apply where the primary ones find
    nothing, so a name that matched the whole word is not sprinkled with its fragments."""
    clauses = []
    letters: list[str] = []
    for clause in q.clauses:
        if clause.kind in ("alnum", "alpha"):
            word = re.compile(rf"(?<![a-z0-9]){re.escape(clause.text)}(?![a-z0-9])")
            clauses.append(_Clause((), (), word))
            if clause.kind == "alpha":
                letters.append(clause.text)
            continue
        primary, fallback = {clause.text}, set()
        for alt in clause.alternatives:
            tokens = {t for t in alt.tokens if len(t) >= 2 or len(clause.text) == 1}
            (primary if alt.kind == "word" else fallback).update(tokens)
        clauses.append(_Clause(tuple(primary), tuple(fallback - primary), None))
    return tuple(clauses), tuple(letters)


def _find(norm: str, needles: tuple[str, ...], spans: list[tuple[int, int]]) -> bool:
    """Every occurrence of every needle, overlaps included (str.find runs in C)."""
    before = len(spans)
    for needle in needles:
        start = norm.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = norm.find(needle, start + 1)
    return len(spans) > before


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def highlight(
    text: str, query: QueryTerms | str, *, max_chars: int | None = None, pinyin: bool = True
) -> str:
    """Escaped ``text`` with merged ``<mark>`` spans; with ``max_chars``, a window around
    the first match (``…`` where cut). ``pinyin=False`` for fields not indexed by pinyin."""
    if not text:
        return ""
    q = analyze_query(query) if isinstance(query, str) else query
    clauses, letters = _compile(q)
    norm, owner = _normalized(text)
    spans: list[tuple[int, int]] = []
    for clause in clauses:
        if clause.word is not None:
            spans.extend(m.span() for m in clause.word.finditer(norm))
        elif not _find(norm, clause.primary, spans):
            _find(norm, clause.fallback, spans)
    if pinyin:
        for word in letters:
            _pinyin(norm, word, spans)
    if owner is not None:
        spans = [(owner[s], owner[e - 1] + 1) for s, e in spans]
    spans = _merge(spans)
    lo, hi = 0, len(text)
    if max_chars is not None and len(text) > max_chars:
        first = spans[0][0] if spans else 0
        lo = max(0, min(first - max_chars // 4, len(text) - max_chars))
        hi = lo + max_chars
        spans = [(max(s, lo), min(e, hi)) for s, e in spans if e > lo and s < hi]
    out = ["…"] if lo > 0 else []
    pos = lo
    for s, e in spans:
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:hi]))
    if hi < len(text):
        out.append("…")
    return "".join(out)
