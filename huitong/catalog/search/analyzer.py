"""Text analysis for catalog search: Chinese words, character bigrams and pinyin.

Why several token kinds for the same text:

* jieba words (search mode) give precise, well-ranked matches for known terms (户籍, 营业执照);
* character bigrams of every CJK run are the fallback for words jieba does not know and for
  fragments a user types (籍信), so recall never depends on the dictionary;
* pinyin tokens let people type ``huji`` or initials ``hjrk`` (户籍人口). They are namespaced
  (``py:`` full pinyin, ``pi:`` initials) so they can never collide with English words.

Documents and queries share :func:`normalize` (NFKC + casefold), so full-width and
half-width, upper and lower case meet. Nothing here touches the network or a database;
the only data read is jieba's bundled dictionary and ``govterms.txt`` beside this file.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from huitong.standards.pinyin import corrected, toneless

# Bump when tokenization changes: stored per-field terms made by an older version are stale.
ANALYZER_VERSION = 1

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_RUN_RE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<ascii>[a-z0-9]+)|(?P<other>[^\W_a-z0-9{_CJK}]+)")
_MIXED_RE = re.compile(r"[a-z]+|[0-9]+")

# Single-character function words: as standalone jieba words they only add noise.
STOPWORDS = frozenset("的和与及或等之了在是对为其并以于由从把被向也而且")

PINYIN_SPAN_WORDS = 4  # initials of up to this many consecutive words: 户籍+人口 -> pi:hjrk
PINYIN_WHOLE_RUN = 12  # and of the whole CJK run if it is at most this long
MAX_SUBGRAM = 4  # jieba search mode emits 2/3-grams; we also emit known 4-grams of longer words

# Query alternative weights: word matches outrank fallbacks (see QueryClause).
W_WORD, W_SUB, W_BIGRAM, W_CHAR = 1.0, 0.6, 0.5, 0.4
W_PINYIN, W_PINYIN_SEQ, W_INITIALS = 0.9, 0.8, 0.7


def normalize(text: str) -> str:
    """NFKC folds full-width forms (ＡＢＣ１２３) into ASCII; casefold handles case."""
    return unicodedata.normalize("NFKC", text).casefold()


# --- jieba, loaded once --------------------------------------------------------------------

_tokenizer = None
_tokenizer_lock = threading.Lock()


def _load_govterms(tk) -> None:
    text = resources.files(__package__).joinpath("govterms.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        tk.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)


def tokenizer():
    """A private jieba Tokenizer with the government dictionary (the global one stays untouched)."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                _load_govterms(tk)
                _tokenizer = tk
    return _tokenizer


@lru_cache(maxsize=32_768)
def cut(run: str) -> tuple[tuple[str, int, int], ...]:
    """Precise-mode words of one CJK run with their offsets (HMM off: deterministic, and
    unknown words fall to single characters, which the bigrams cover)."""
    out, pos = [], 0
    for w in tokenizer().cut(run, HMM=False):
        out.append((w, pos, pos + len(w)))
        pos += len(w)
    return tuple(out)


def _subgrams(word: str, freq) -> list[tuple[str, int]]:
    """Known 2..4-grams inside a longer word with their offsets, like jieba's search mode
    (which stops at 3-grams, so 人力资源 would be lost inside 人力资源和社会保障)."""
    out = []
    for n in range(2, min(MAX_SUBGRAM, len(word) - 1) + 1):
        for i in range(len(word) - n + 1):
            g = word[i : i + n]
            if freq.get(g):
                out.append((g, i))
    return out


# --- pinyin --------------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def word_pinyin(word: str) -> tuple[str, ...]:
    """Toneless syllables of one jieba word, one per character. pypinyin matches its phrase
    dictionary inside the word, so 银行 reads hang and 重庆 chong; cached because the words
    of a catalog repeat far more than its names do."""
    return tuple(toneless(word))


@lru_cache(maxsize=32_768)
def run_pinyin(run: str) -> tuple[str, ...]:
    """One syllable per character of a CJK run: its words' readings, then
    :data:`PINYIN_OVERRIDES` for the place names pypinyin reads wrong."""
    return corrected(run, [s for w, _, _ in cut(run) for s in word_pinyin(w)])


def _pinyin_tokens(run: str, words, freq) -> list[str]:
    syl = run_pinyin(run)
    initials = "".join(s[0] for s in syl)
    out: dict[str, None] = {}
    for w, s, e in words:
        if w in STOPWORDS:
            continue
        out["py:" + "".join(syl[s:e])] = None
        if e - s >= 2:
            out["pi:" + initials[s:e]] = None
            for g, i in _subgrams(w, freq):
                gs = s + i
                out["py:" + "".join(syl[gs : gs + len(g)])] = None
                out["pi:" + initials[gs : gs + len(g)]] = None
    for i in range(len(words)):
        for j in range(i + 2, min(i + PINYIN_SPAN_WORDS, len(words)) + 1):
            out["pi:" + initials[words[i][1] : words[j - 1][2]]] = None
    if len(run) <= PINYIN_WHOLE_RUN and len(run) >= 2:
        out["pi:" + initials] = None
    return list(out)


# --- documents -----------------------------------------------------------------------------


def runs(norm: str):
    """(kind, text) pieces of normalized text: 'cjk', 'ascii' (letters/digits) or 'other'."""
    for m in _RUN_RE.finditer(norm):
        yield m.lastgroup, m.group()


@lru_cache(maxsize=32_768)
def _analyze_cjk(run: str, pinyin: bool) -> tuple[str, ...]:
    if len(run) == 1:
        return (run, "py:" + run_pinyin(run)[0]) if pinyin else (run,)
    freq = tokenizer().FREQ
    words = cut(run)
    out: list[str] = []
    covered2 = set()  # start offsets of 2-char spans already emitted as jieba tokens
    for w, s, _ in words:
        if len(w) > 2:
            for g, i in _subgrams(w, freq):
                out.append(g)
                if len(g) == 2:
                    covered2.add(s + i)
        if len(w) == 1 and w in STOPWORDS:
            continue
        out.append(w)
        if len(w) == 2:
            covered2.add(s)
    out.extend(run[i : i + 2] for i in range(len(run) - 1) if i not in covered2)
    if pinyin:
        out.extend(_pinyin_tokens(run, words, freq))
    return tuple(out)


def _analyze_ascii(word: str) -> list[str]:
    parts = _MIXED_RE.findall(word)
    return [word] if len(parts) == 1 else [word, *parts]


def analyze(text: str, *, pinyin: bool = True) -> list[str]:
    """Document tokens (with repeats, for term frequency).

    CJK runs: jieba search-mode words (minus single-character stop words), every character
    bigram not already emitted as a word at the same place, the character itself for a
    one-character run, and, if ``pinyin``, ``py:``/``pi:`` tokens. ASCII runs stay whole
    (``gb2312``), plus their letter and digit parts.
    """
    if len(text) <= 32:  # item names and tags repeat across a catalog
        return list(_analyze_short(text, pinyin))
    return _analyze(text, pinyin)


@lru_cache(maxsize=32_768)
def _analyze_short(text: str, pinyin: bool) -> tuple[str, ...]:
    return tuple(_analyze(text, pinyin))


def _analyze(text: str, pinyin: bool) -> list[str]:
    out: list[str] = []
    for kind, run in runs(normalize(text)):
        if kind == "cjk":
            out.extend(_analyze_cjk(run, pinyin))
        elif kind == "ascii":
            out.extend(_analyze_ascii(run))
        else:
            out.append(run)
    return out


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alternative:
    """One way a clause can match: all ``tokens`` present (AND).

    ``kind`` is 'word', 'sub', 'bigram', 'literal', 'pinyin' or 'initials' for plain token
    sets; 'char' (any indexed bigram containing the character) and 'pyseq' (the letters
    split into known full-pinyin tokens) are expanded by the index against its vocabulary.
    """

    kind: str
    tokens: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class QueryClause:
    """One run of the query; a document must match every clause (AND), through any of its
    alternatives (OR): it is scored by the first alternative it matches, in order of weight
    (words, then sub-words, then bigrams; literal, then pinyin, then initials). ``units`` is how many words the clause has (a single
    character counts half), so fallbacks with more tokens are averaged back to the same
    scale before their weight applies."""

    text: str
    kind: str  # 'cjk', 'alpha', 'alnum' or 'other'
    alternatives: tuple[Alternative, ...]
    units: float = 1.0


@dataclass(frozen=True)
class QueryTerms:
    text: str  # normalized query, whitespace collapsed: the phrase looked for in names
    clauses: tuple[QueryClause, ...]

    def __bool__(self) -> bool:
        return bool(self.clauses)


def _bigrams(run: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))


def _pairs(word: str) -> list[str]:
    """2-character pieces covering a word: 营业执照 -> 营业, 执照; 不动产 -> 不动, 动产."""
    out = [word[i : i + 2] for i in range(0, len(word) - 1, 2)]
    if len(word) % 2:
        out.append(word[-2:])
    return out


def _cjk_clause(run: str) -> QueryClause:
    if len(run) == 1:
        return QueryClause(
            run, "cjk", (Alternative("word", (run,), W_WORD), Alternative("char", (run,), W_CHAR))
        )
    # a stopword is dropped only from a longer run: in a two-character query (表对) dropping 对
    # would leave 表, and every entry with a 表 would match a query it does not contain
    words = [w for w, _, _ in cut(run) if len(run) <= 2 or not (len(w) == 1 and w in STOPWORDS)] or [run]
    alts = [Alternative("word", tuple(dict.fromkeys(words)), W_WORD)]
    if any(len(w) > 2 for w in words):
        sub = [p for w in words for p in (_pairs(w) if len(w) > 2 else [w])]
        alts.append(Alternative("sub", tuple(dict.fromkeys(sub)), W_SUB))
    bigrams = _bigrams(run)
    if all(set(bigrams) != set(a.tokens) for a in alts):
        alts.append(Alternative("bigram", bigrams, W_BIGRAM))
    units = max(1.0, sum(1.0 if len(w) > 1 else 0.5 for w in alts[0].tokens))
    return QueryClause(run, "cjk", tuple(alts), units=units)


def _ascii_clause(word: str) -> QueryClause:
    if not word.isalpha():
        return QueryClause(word, "alnum", (Alternative("literal", (word,), W_WORD),))
    alts = [Alternative("literal", (word,), W_WORD), Alternative("pinyin", ("py:" + word,), W_PINYIN)]
    if len(word) >= 2:
        alts.append(Alternative("pyseq", (word,), W_PINYIN_SEQ))
        alts.append(Alternative("initials", ("pi:" + word,), W_INITIALS))
    return QueryClause(word, "alpha", tuple(alts))


def analyze_query(text: str) -> QueryTerms:
    """Clauses for each run of the query (see :class:`QueryClause`)."""
    norm = " ".join(normalize(text).split())
    clauses: dict[tuple[str, str], QueryClause] = {}
    for kind, run in runs(norm):
        if kind == "cjk":
            clause = _cjk_clause(run)
        elif kind == "ascii":
            clause = _ascii_clause(run)
        else:
            clause = QueryClause(run, "other", (Alternative("literal", (run,), W_WORD),))
        clauses.setdefault((clause.kind, clause.text), clause)
    return QueryTerms(norm, tuple(clauses.values()))
