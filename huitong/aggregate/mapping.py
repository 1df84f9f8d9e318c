"""Mappings: which source column feeds which data item (信息项) of a catalog resource.

Pure functions, no database and no I/O:

* :class:`Mapping` is a saved, versioned mapping ``source column → item name`` with per-item
  :class:`ItemOptions` (a code table for value mapping, a date format hint, a value kind), and its
  JSON document form (:meth:`Mapping.to_dict` / :meth:`Mapping.from_dict`).  A bad document is
  refused with one :class:`~huitong.errors.Problem` per fault, each naming the field.
* :func:`propose_mapping` suggests a mapping for a new source from the column names (exact,
  normalised, synonyms of real department headers, pinyin and pinyin initials, the leaf of a merged
  Excel header, the items' English names) and, when given, sample values that validate as a
  standard data element (ID numbers, credit codes, phones, dates, genders ...).
* :func:`apply_mapping` turns one row's values into ``{item: value}``; :func:`check_columns` and
  :func:`check_items` refuse, before any row is read, a mapping whose columns are not in the source
  (suggesting the closest) or whose items are not in the resource.

Assignment of columns to items is *greedy by score* rather than a maximum-weight (Hungarian)
assignment: the pair with the highest score is fixed first, then the next among what is left, ties
broken by item order and then column order.  A person checking a proposal expects an exact header
match never to be traded away for two middling matches elsewhere, and greedy guarantees exactly
that (a maximum-total assignment does not); it also keeps every decision explainable pair by pair.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as Lookup
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from huitong.aggregate.sources.base import Column
from huitong.catalog.model import DataItem
from huitong.errors import HuitongError, Problem, invalid
from huitong.standards.elements import ELEMENTS_BY_ID, DataElement, validator_function
from huitong.standards.normalise import KINDS, NormaliseError, normalise_text
from huitong.standards.pinyin import reading

DOCUMENT_KEYS = ("version", "resource", "columns", "options", "note")
OPTION_KEYS = ("codes", "date_format", "kind")
DEFAULT_MIN_SCORE = 0.5
MAX_SAMPLES = 50  # sample values looked at per column

# ---------------------------------------------------------------- the saved mapping


@dataclass(frozen=True)
class ItemOptions:
    """How one item's values are read, beyond its data type.

    ``codes`` is a code table (code → label, e.g. ``{"10": "未婚", "20": "已婚"}``): labels and
    codes are both accepted and the code is kept.  ``date_format`` is a :func:`~datetime.strptime`
    format tried first for text dates (``%d/%m/%Y`` for a department that writes day first; the
    usual 2023-01-05 / 2023年1月5日 / 20230105 forms need no hint).  ``kind`` overrides the kind
    the data type implies (a key of :data:`huitong.standards.normalise.KINDS`, e.g. ``integer``).
    """

    codes: dict[str, str] | None = None
    date_format: str | None = None
    kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.codes is not None:
            out["codes"] = dict(self.codes)
        if self.date_format is not None:
            out["date_format"] = self.date_format
        if self.kind is not None:
            out["kind"] = self.kind
        return out

    @property
    def empty(self) -> bool:
        return not self.to_dict()


@dataclass(frozen=True)
class Mapping:
    """A confirmed mapping of a source's columns onto a resource's data items.

    ``columns`` maps the source column name (the key of :attr:`Row.values`, e.g. "身份证号" or
    "基本信息/姓名") to the item name; one column feeds at most one item and one item is fed by
    at most one column.  ``version`` counts confirmed revisions (1, 2, ...).
    """

    columns: dict[str, str]
    options: dict[str, ItemOptions] = field(default_factory=dict)
    version: int = 1
    resource: str | None = None  # the resource's code, when known
    note: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", dict(self.columns))
        object.__setattr__(self, "options", dict(self.options))
        problems = _mapping_problems(self)
        if problems:
            raise invalid("mapping is not valid", *problems)

    # -- lookups

    @property
    def items(self) -> list[str]:
        """The mapped item names, in column order."""
        return list(self.columns.values())

    def column_for(self, item: str) -> str | None:
        return next((col for col, it in self.columns.items() if it == item), None)

    def item_for(self, column: str) -> str | None:
        return self.columns.get(column)

    def options_for(self, item: str) -> ItemOptions:
        return self.options.get(item) or ItemOptions()

    def next_version(
        self,
        columns: dict[str, str] | None = None,
        *,
        options: dict[str, ItemOptions] | None = None,
        note: str | None = None,
    ) -> Mapping:
        """The next revision (version + 1), with whatever is given replaced."""
        return Mapping(
            self.columns if columns is None else columns,
            self.options if options is None else options,
            self.version + 1,
            self.resource,
            self.note if note is None else note,
        )

    # -- documents

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"version": self.version}
        if self.resource is not None:
            doc["resource"] = self.resource
        doc["columns"] = dict(self.columns)
        options = {item: opts.to_dict() for item, opts in self.options.items() if not opts.empty}
        if options:
            doc["options"] = options
        if self.note is not None:
            doc["note"] = self.note
        return doc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, doc: Any) -> Mapping:
        """A mapping from its document; every fault is reported, each with its field path."""
        if not isinstance(doc, dict):
            raise invalid(
                f"a mapping document must be a JSON object, got {_type_name(doc)}",
                Problem(f"expected an object, got {_type_name(doc)}"),
            )
        problems: list[Problem] = []
        for key in doc:
            if key not in DOCUMENT_KEYS:
                hint = _closest_text(str(key), DOCUMENT_KEYS)
                problems.append(
                    Problem(
                        f"unknown key {key!r}"
                        + (f"; did you mean {hint!r}?" if hint else "")
                        + f" (keys: {', '.join(DOCUMENT_KEYS)})",
                        field=str(key),
                    )
                )
        version = doc.get("version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            problems.append(
                Problem(f"version must be a whole number from 1, got {version!r}", field="version")
            )
            version = 1
        resource = doc.get("resource")
        if resource is not None and (not isinstance(resource, str) or not resource.strip()):
            problems.append(Problem(f"resource must be a resource code, got {resource!r}", field="resource"))
            resource = None
        note = doc.get("note")
        if note is not None and not isinstance(note, str):
            problems.append(Problem(f"note must be text, got {_type_name(note)}", field="note"))
            note = None
        columns: dict[str, str] = {}
        raw_columns = doc.get("columns")
        if raw_columns is None:
            problems.append(
                Problem("missing: the columns to map ({source column: item name})", field="columns")
            )
        elif not isinstance(raw_columns, dict):
            problems.append(
                Problem(
                    f"columns must be an object {{source column: item name}}, got {_type_name(raw_columns)}",
                    field="columns",
                )
            )
        else:
            for column, item in raw_columns.items():
                if not isinstance(item, str) or not item.strip():
                    problems.append(
                        Problem(
                            f"column {column!r} must map to an item name, got {item!r}",
                            field=f"columns.{column}",
                            value=None if item is None else str(item),
                        )
                    )
                    continue
                columns[column] = item
        options: dict[str, ItemOptions] = {}
        raw_options = doc.get("options", {})
        if not isinstance(raw_options, dict):
            problems.append(
                Problem(
                    f"options must be an object {{item name: options}}, got {_type_name(raw_options)}",
                    field="options",
                )
            )
        else:
            for item, raw in raw_options.items():
                parsed = _parse_options(item, raw, problems)
                if parsed is not None:
                    options[item] = parsed
        if not problems:
            try:
                return cls(columns, options, version, resource, note)
            except HuitongError as exc:
                problems.extend(exc.problems)
        raise invalid(f"mapping document is not valid ({len(problems)} problem(s))", *problems)

    @classmethod
    def from_json(cls, text: str | bytes) -> Mapping:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise invalid(
                f"mapping document is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                Problem(f"{exc.msg} at line {exc.lineno}, column {exc.colno}"),
            ) from None
        return cls.from_dict(doc)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _parse_options(item: str, raw: Any, problems: list[Problem]) -> ItemOptions | None:
    where = f"options.{item}"
    if not isinstance(raw, dict):
        problems.append(
            Problem(f"options for {item!r} must be an object, got {_type_name(raw)}", field=where)
        )
        return None
    for key in raw:
        if key not in OPTION_KEYS:
            problems.append(
                Problem(f"unknown option {key!r} (options: {', '.join(OPTION_KEYS)})", field=f"{where}.{key}")
            )
    codes = raw.get("codes")
    if codes is not None and (
        not isinstance(codes, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in codes.items())
    ):
        problems.append(Problem("codes must be an object {code: label} of text", field=f"{where}.codes"))
        codes = None
    date_format = raw.get("date_format")
    if date_format is not None and not isinstance(date_format, str):
        problems.append(
            Problem(f"date_format must be text, got {_type_name(date_format)}", field=f"{where}.date_format")
        )
        date_format = None
    kind = raw.get("kind")
    if kind is not None and not isinstance(kind, str):
        problems.append(Problem(f"kind must be text, got {_type_name(kind)}", field=f"{where}.kind"))
        kind = None
    return ItemOptions(codes=codes, date_format=date_format, kind=kind)


def _check_date_format(fmt: str) -> str | None:
    """Why a strptime format is unusable, or None."""
    if not re.search(r"%[Yy]", fmt) or not re.search(r"%[mbB]", fmt) or "%d" not in fmt:
        return "needs a year (%Y), a month (%m) and a day (%d), e.g. %d/%m/%Y"
    sample = date(2023, 11, 25)
    try:
        parsed = datetime.strptime(sample.strftime(fmt), fmt).date()
    except ValueError as exc:
        return f"is not a usable date format ({exc})"
    if parsed != sample:
        return "does not read back the dates it writes"
    return None


def _mapping_problems(mapping: Mapping) -> list[Problem]:
    problems: list[Problem] = []
    version = mapping.version
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.append(Problem(f"version must be a whole number from 1, got {version!r}", field="version"))
    seen: dict[str, str] = {}
    for column, item in mapping.columns.items():
        if not isinstance(column, str) or not column.strip():
            problems.append(Problem(f"a source column name must be text, got {column!r}", field="columns"))
            continue
        if not isinstance(item, str) or not item.strip():
            problems.append(Problem(f"column {column!r} must map to an item name", field=f"columns.{column}"))
            continue
        if item in seen:
            problems.append(
                Problem(
                    f"item {item!r} is fed by two columns, {seen[item]!r} and {column!r}; "
                    "an item takes exactly one column",
                    field=f"columns.{column}",
                    value=item,
                )
            )
        else:
            seen[item] = column
    for item, opts in mapping.options.items():
        where = f"options.{item}"
        if not isinstance(opts, ItemOptions):
            problems.append(Problem("options must be ItemOptions", field=where))
            continue
        if item not in seen:
            problems.append(
                Problem(f"options are given for {item!r}, but no column maps to that item", field=where)
            )
        if opts.codes is not None and not opts.codes:
            problems.append(Problem("the code table is empty", field=f"{where}.codes"))
        if opts.kind is not None and opts.kind not in KINDS:
            problems.append(
                Problem(
                    f"unknown kind {opts.kind!r} (kinds: {', '.join(sorted(KINDS))})",
                    field=f"{where}.kind",
                    value=opts.kind,
                )
            )
        if opts.kind == "code" and not opts.codes:
            problems.append(Problem("kind 'code' needs a code table (codes)", field=f"{where}.codes"))
        if opts.date_format is not None:
            why = _check_date_format(opts.date_format)
            if why:
                problems.append(
                    Problem(
                        f"date_format {opts.date_format!r} {why}",
                        field=f"{where}.date_format",
                        value=opts.date_format,
                    )
                )
    return problems


# ---------------------------------------------------------------- applying and checking


def apply_mapping(row_values: Lookup[str, Any], mapping: Mapping) -> dict[str, Any]:
    """``{item name: raw value}`` for one row.  A column the row lacks (a JSON record that omits a
    key) gives None, i.e. a blank value; misspelt columns are caught once, up front, by
    :func:`check_columns`."""
    return {item: row_values.get(column) for column, item in mapping.columns.items()}


def _column_names(columns: Iterable[str | Column]) -> list[tuple[str, str]]:
    """(name, leaf) for each column."""
    out = []
    for col in columns:
        if isinstance(col, Column):
            out.append((col.name, col.leaf))
        else:
            out.append((col, _leaf(col)))
    return out


def _leaf(name: str) -> str:
    """The last part of a merged header's name: "基本信息/姓名" → "姓名"."""
    return name.rsplit("/", 1)[-1].strip() if "/" in name else name


def _find_column(column: str, names: list[tuple[str, str]]) -> list[str]:
    """Source columns a mapped name fits: by leaf, then loosely by whole name, then loosely by leaf."""
    key = name_key(column)
    for by_leaf, loose in ((True, False), (False, True), (True, True)):
        found = [
            n
            for n, leaf in names
            if (name_key(leaf if by_leaf else n) == key if loose else (leaf if by_leaf else n) == column)
        ]
        if found:
            return found
    return []


def check_columns(mapping: Mapping, columns: Iterable[str | Column], *, source: str | None = None) -> Mapping:
    """The mapping with every column resolved to the source's exact column name, or an error that
    names each missing column and suggests the closest one.

    A mapped name is found as it is, else as the leaf of a merged header ("姓名" for
    "基本信息/姓名"), else ignoring width, case, spaces and punctuation; a name that fits several
    columns is refused as ambiguous rather than guessed.
    """
    names = _column_names(columns)
    exact = {name for name, _ in names}
    resolved: dict[str, str] = {}
    problems: list[Problem] = []
    for column, item in mapping.columns.items():
        if column in exact:
            resolved[column] = item
            continue
        found = _find_column(column, names)
        if len(found) == 1 and found[0] in resolved:
            problems.append(
                Problem(
                    f"column {column!r} (for item {item!r}) is the same source column as the one mapped to "
                    f"{resolved[found[0]]!r} ({found[0]!r}); name the columns in full",
                    file=source,
                    column=column,
                    field=item,
                )
            )
        elif len(found) == 1:
            resolved[found[0]] = item
        elif found:
            problems.append(
                Problem(
                    f"column {column!r} (for item {item!r}) is ambiguous: it fits "
                    + ", ".join(repr(n) for n in found)
                    + "; use the full name",
                    file=source,
                    column=column,
                    field=item,
                )
            )
        else:
            hint = closest_column(column, [n for n, _ in names])
            problems.append(
                Problem(
                    f"column {column!r} (for item {item!r}) is not in the source"
                    + (f"; did you mean {hint!r}?" if hint else "")
                    + f" (columns: {', '.join(repr(n) for n, _ in names) or 'none'})",
                    file=source,
                    column=column,
                    field=item,
                )
            )
    if problems:
        missing = ", ".join(repr(p.column) for p in problems)
        where = f"{source}: " if source else ""
        raise invalid(f"{where}mapped column(s) not found in the source: {missing}", *problems)
    return Mapping(resolved, mapping.options, mapping.version, mapping.resource, mapping.note)


def check_items(
    mapping: Mapping,
    items: Sequence[DataItem],
    elements: Lookup[str, DataElement] | None = None,
) -> None:
    """Refuse a mapping that cannot work for these items: an item name the resource does not have
    (with the closest name), a required or key item that no column feeds (every row would be
    rejected), an item's data element that is unknown."""
    elements = ELEMENTS_BY_ID if elements is None else elements
    names = [it.name for it in items]
    problems: list[Problem] = []
    for column, item in mapping.columns.items():
        if item not in names:
            hint = _closest_text(item, names)
            problems.append(
                Problem(
                    f"column {column!r} maps to {item!r}, which is not an item of the resource"
                    + (f"; did you mean {hint!r}?" if hint else "")
                    + f" (items: {', '.join(names)})",
                    column=column,
                    field=item,
                )
            )
    mapped = set(mapping.columns.values())
    for it in items:
        if (it.required or it.is_key) and it.name not in mapped:
            what = "key" if it.is_key else "required"
            problems.append(Problem(f"{what} item {it.name!r} is not mapped to any column", field=it.name))
        if it.element and it.element not in elements:
            problems.append(
                Problem(f"item {it.name!r} refers to unknown data element {it.element!r}", field=it.name)
            )
    if problems:
        raise invalid("mapping does not fit the resource's items", *problems)


def closest_column(name: str, columns: Sequence[str]) -> str | None:
    """The source column most like ``name`` (by loose spelling, leaf, then similarity), or None."""
    key = name_key(name)
    for col in columns:
        if name_key(col) == key or name_key(_leaf(col)) == key:
            return col
    stemmed = stem(key)
    for col in columns:
        if stem(name_key(_leaf(col))) == stemmed:
            return col
    return _closest_text(name, columns)


def _closest_text(name: str, choices: Sequence[str]) -> str | None:
    keys = {name_key(c): c for c in choices}
    found = difflib.get_close_matches(name_key(name), list(keys), n=1, cutoff=0.5)
    return keys[found[0]] if found else None


# ---------------------------------------------------------------- names


_BRACKETED = re.compile(r"[(\[【<《{][^)\]】>》}]*[)\]】>》}]")
# Suffixes that name the same thing with or without them: 身份证号 = 身份证号码 = 身份证.
SUFFIXES = ("号码", "代码", "编码", "编号", "名称", "号", "码")


@lru_cache(maxsize=4096)
def name_key(text: str) -> str:
    """A header compared loosely: width and case folded; annotations in brackets ("（必填）",
    "(YYYY-MM-DD)"), spaces ("姓  名"), markers ("*姓名") and punctuation dropped."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    bare = _BRACKETED.sub("", text)
    if any(ch.isalnum() for ch in bare):
        text = bare
    return "".join(ch for ch in text if ch.isalnum())


@lru_cache(maxsize=4096)
def stem(key: str) -> str:
    """A name key without one of :data:`SUFFIXES` (never down to nothing)."""
    for suffix in SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


# Column names departments really use for the same thing.  The first of each group is the
# standard name; matching goes through name_key and stem, so 身份证号/身份证号码/身份证 all hit.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    (
        "公民身份号码",
        "身份证号",
        "身份证号码",
        "证件号码",
        "证件号",
        "身份证件号码",
        "居民身份证号码",
        "公民身份证号",
    ),
    ("统一社会信用代码", "信用代码", "社会信用代码", "统一代码", "社会统一信用代码", "统一信用代码"),
    ("组织机构代码", "机构代码", "组织代码"),
    ("姓名", "名字", "人员姓名", "个人姓名"),
    ("单位名称", "名称", "企业名称", "机构名称", "组织名称", "单位", "主体名称"),
    ("法定代表人", "法人代表", "法定代表人姓名", "法人姓名", "法人"),
    ("性别", "性别代码"),
    ("出生日期", "出生年月", "出生年月日", "生日"),
    ("联系电话", "手机号", "手机号码", "电话号码", "电话", "手机", "移动电话", "联系方式", "联系号码"),
    ("固定电话", "座机", "办公电话"),
    (
        "住址",
        "地址",
        "户籍地址",
        "户籍地",
        "家庭住址",
        "居住地址",
        "现住址",
        "联系地址",
        "通讯地址",
        "详细地址",
    ),
    ("行政区划代码", "行政区划", "区划代码", "区划", "行政区代码", "所属区划", "区划编码"),
    ("电子邮箱", "邮箱", "电子邮件", "email", "e-mail", "邮件地址"),
    ("民族", "民族代码"),
    ("注册资本", "注册资金"),
)


def _synonym_names(name: str) -> list[str]:
    key = name_key(name)
    keys = {key, stem(key)}
    for group in SYNONYMS:
        if keys & {k for n in group for k in (name_key(n), stem(name_key(n)))}:
            return [n for n in group if name_key(n) != key]
    return []


@lru_cache(maxsize=4096)
def pinyin_forms(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a Chinese name, lower case, non-Chinese characters kept as they
    are: 身份证号 → ("shenfenzhenghao", "sfzh")."""
    syllables = reading(name_key(name))
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def _ascii_key(text: str) -> str | None:
    """Lower-case letters and digits of a romanised column name ("SFZH_M" → "sfzhm"), or None if
    the name has anything but ASCII letters, digits and separators."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text or not text.isascii():
        return None
    key = "".join(ch for ch in text.casefold() if ch.isalnum())
    return key if any(ch.isalpha() for ch in key) else None


# ---------------------------------------------------------------- sample values

# What a column's sample values can be recognised as, and the element validators that accept
# such values; the weight is how strongly it points at one item.
SAMPLE_PATTERNS: tuple[tuple[str, str, frozenset[str], float], ...] = (
    ("id_number", "ID numbers", frozenset({"id_number"}), 0.75),
    ("credit_code", "credit codes", frozenset({"credit_code"}), 0.75),
    ("org_code", "organisation codes", frozenset({"org_code"}), 0.7),
    ("mobile", "mobile numbers", frozenset({"mobile", "phone"}), 0.7),
    ("landline", "landline numbers", frozenset({"landline", "phone"}), 0.65),
    ("email", "email addresses", frozenset({"email"}), 0.7),
    ("gender", "genders", frozenset({"gender"}), 0.65),
    ("division_code", "division codes", frozenset({"division_code"}), 0.6),
    ("date", "dates", frozenset({"date"}), 0.55),
)
SAMPLE_SHARE = 0.8  # at least this share of the non-blank samples must validate


@dataclass(frozen=True)
class SampleMatch:
    pattern: str
    label: str
    valid: int
    total: int
    accepts: frozenset[str]
    weight: float

    @property
    def share(self) -> float:
        return self.valid / self.total if self.total else 0.0

    def describe(self) -> str:
        return f"{self.valid} of {self.total} sample values are valid {self.label}"


def _sample_texts(values: Sequence[object]) -> list[str]:
    """The non-blank samples as text (dates from a spreadsheet as ISO dates)."""
    texts: list[str] = []
    for value in list(values)[:MAX_SAMPLES]:
        if isinstance(value, date | datetime):
            texts.append(value.isoformat()[:10])
            continue
        try:
            text = normalise_text(value)
        except NormaliseError:
            texts.append("\x00")  # unreadable: counts as a sample that fits no pattern
            continue
        if text:
            texts.append(text)
    return texts


def recognise_samples(values: Sequence[object]) -> list[SampleMatch]:
    """The standard patterns that at least :data:`SAMPLE_SHARE` of the samples fit, best first.

    Pure digit codes 0/1/2/9 are not taken as genders (a 序号 column counts 1, 2 too): at least
    half of the samples must be written as words (男/女, M/F, male/female).  Division codes must
    be in the shipped table (six digits alone are a post code as often).
    """
    texts = _sample_texts(values)
    if not texts:
        return []
    found: list[SampleMatch] = []
    for pattern, label, accepts, weight in SAMPLE_PATTERNS:
        check = validator_function(pattern)
        valid = 0
        for text in texts:
            result = check(text)
            if pattern == "division_code" and result.findings:
                continue
            if result.ok:
                valid += 1
        if pattern == "gender" and sum(not t.isdigit() for t in texts) * 2 < len(texts):
            continue
        if valid and valid / len(texts) >= SAMPLE_SHARE:
            found.append(SampleMatch(pattern, label, valid, len(texts), accepts, weight))
    found.sort(key=lambda m: (-m.weight, -m.share))
    return found


# ---------------------------------------------------------------- proposals


class Proposal(NamedTuple):
    """One item's proposed column.  ``column`` is None when nothing fits well enough; ``score`` is
    0..1; ``reason`` says why in English with the Chinese names; ``method`` is a stable code (exact,
    leaf, normalised, stem, english, element, synonym, pinyin, initials, contains, sample, none);
    ``alternatives`` are other columns that fit as well or nearly as well (check these)."""

    item: str
    column: str | None
    score: float
    reason: str
    method: str = "none"
    alternatives: tuple[str, ...] = ()


class Proposals(list[Proposal]):
    """The proposals, one per item in item order, plus the columns nothing was proposed for."""

    def __init__(self, proposals: Iterable[Proposal], unmatched_columns: Iterable[str]) -> None:
        super().__init__(proposals)
        self.unmatched_columns: tuple[str, ...] = tuple(unmatched_columns)

    @property
    def unmatched_items(self) -> tuple[str, ...]:
        return tuple(p.item for p in self if p.column is None)

    def to_mapping(self, *, min_score: float = DEFAULT_MIN_SCORE, version: int = 1) -> Mapping:
        """The proposal as a mapping, keeping pairs scoring at least ``min_score``."""
        return Mapping(
            {p.column: p.item for p in self if p.column is not None and p.score >= min_score},
            version=version,
        )

    def report(self) -> str:
        """One line per item, then the unmatched columns: for a person to confirm."""
        lines = [
            f"{p.item} ← {p.column} ({p.score:.2f}): {p.reason}" if p.column else f"{p.item}: {p.reason}"
            for p in self
        ]
        if self.unmatched_columns:
            lines.append("columns not used: " + ", ".join(self.unmatched_columns))
        return "\n".join(lines)


@dataclass(frozen=True)
class _Evidence:
    score: float
    method: str
    reason: str


SCORES = {
    "exact": 1.0,
    "normalised": 0.95,
    "stem": 0.9,
    "english": 0.9,
    "element": 0.88,
    "synonym": 0.85,
    "pinyin": 0.8,
    "initials": 0.72,
}
LEAF_FACTOR = 0.97  # a match on the leaf of a merged header, not its whole name
INDIRECT_FACTOR = 0.94  # pinyin of a synonym or of the element's name rather than the item's own name
AGREE_BONUS = 0.05  # names and samples point at the same item
CONTRADICT_FACTOR = 0.8  # a pinyin/synonym guess whose samples fail the item's validator


def _item_names(item: DataItem, element: DataElement | None) -> list[tuple[str, str]]:
    """(name, where it comes from) for an item: its own name, its element's name, synonyms."""
    names = [(item.name, "item")]
    if element is not None and name_key(element.name_zh) != name_key(item.name):
        names.append((element.name_zh, "element"))
    for own, _ in list(names):
        for syn in _synonym_names(own):
            if all(name_key(syn) != name_key(n) for n, _ in names):
                names.append((syn, "synonym"))
    return names


def _name_evidence(column: str, leaf: str, item: DataItem, element: DataElement | None) -> _Evidence | None:
    best: _Evidence | None = None

    def offer(score: float, method: str, reason: str) -> None:
        nonlocal best
        if best is None or score > best.score:
            best = _Evidence(round(score, 4), method, reason)

    parts = [(column, 1.0, "")]
    if leaf != column:
        parts.append((leaf, LEAF_FACTOR, f"leaf {leaf} of merged header {column}: "))
    names = _item_names(item, element)
    for text, factor, prefix in parts:
        key = name_key(text)
        if not key:
            continue
        if text == item.name:
            offer(
                SCORES["exact"] * factor,
                "exact" if factor == 1.0 else "leaf",
                f"{prefix}exact name {item.name}",
            )
            continue
        for name, origin in names:
            nkey = name_key(name)
            if origin == "item":
                if key == nkey:
                    offer(
                        SCORES["normalised"] * factor,
                        "normalised",
                        f"{prefix}{text} is {name} written differently",
                    )
                elif stem(key) == stem(nkey):
                    offer(
                        SCORES["stem"] * factor, "stem", f"{prefix}{text} and {name} differ only by a suffix"
                    )
            elif origin == "element" and stem(key) == stem(nkey):
                offer(
                    SCORES["element"] * factor,
                    "element",
                    f"{prefix}{text} is the name of data element {name} ({element.identifier})",  # type: ignore[union-attr]
                )
            elif origin == "synonym" and (key == nkey or stem(key) == stem(nkey)):
                offer(
                    SCORES["synonym"] * factor, "synonym", f"{prefix}{text} is a usual name for {item.name}"
                )
        # pinyin and initials of a romanised header ("sfzh", "SFZHM", "xingming")
        latin = _ascii_key(text)
        if latin:
            for english, score, whose in (
                (item.name_en, SCORES["english"], "the item's English name"),
                (element.name_en if element else None, SCORES["element"], "the data element's English name"),
            ):
                if english and _ascii_key(english) == latin:
                    offer(score * factor, "english", f"{prefix}{text} is {whose} ({english}) of {item.name}")
            for name, origin in names:
                direct = 1.0 if origin == "item" else INDIRECT_FACTOR
                whose = "" if origin == "item" else f", a name for {item.name}"
                for form in dict.fromkeys((name, stem(name_key(name)))):
                    if not any("\u4e00" <= ch <= "\u9fff" for ch in form):
                        continue
                    full, initials = pinyin_forms(form)
                    if latin == full:
                        offer(
                            SCORES["pinyin"] * direct * factor,
                            "pinyin",
                            f"{prefix}{text} is the pinyin of {form}{whose}",
                        )
                    elif len(initials) >= 2 and latin == initials:
                        offer(
                            SCORES["initials"] * direct * factor,
                            "initials",
                            f"{prefix}{text} is the pinyin initials of {form}{whose}",
                        )
        # a longer header that contains the name ("申请人身份证号码" ⊃ "身份证号码"); two characters
        # (单位, 电话, 区划) are too common inside other headers to count unless they are the item's name
        for name, origin in names:
            full_key = name_key(name)
            for nkey in dict.fromkeys((full_key, stem(full_key))):
                shortest = 2 if origin != "synonym" and nkey == full_key else 3
                if len(nkey) >= shortest and nkey != stem(key) and nkey != key and nkey in key:
                    score = (0.5 + 0.15 * len(nkey) / len(key)) * factor
                    whose = "" if origin == "item" else f", a name for {item.name}"
                    offer(score, "contains", f"{prefix}{text} contains {name}{whose}")
    return best


def propose_mapping(
    columns: Sequence[str | Column],
    items: Sequence[DataItem],
    samples: Lookup[str, Sequence[object]] | None = None,
    elements: Lookup[str, DataElement] | None = None,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
) -> Proposals:
    """Propose a column for each item; see the module docstring for how pairs are chosen.

    ``columns`` are the source's column names (or :class:`Column` objects, whose leaf is used for
    merged headers); ``samples`` maps column names to a few of their values; ``elements`` the
    data elements by identifier (the built-ins when None).  Pairs scoring below ``min_score`` are
    not proposed.  Returns one :class:`Proposal` per item in item order; ``unmatched_columns`` on
    the result lists the columns left over.
    """
    elements = ELEMENTS_BY_ID if elements is None else elements
    cols = _column_names(columns)
    seen_names: set[str] = set()
    unique_cols = []
    for name, leaf in cols:
        if name not in seen_names:
            seen_names.add(name)
            unique_cols.append((name, leaf))
    cols = unique_cols
    samples = samples or {}
    recognised = {name: recognise_samples(samples[name]) for name, _ in cols if samples.get(name)}
    # evidence for every (item, column) pair
    scored: list[tuple[float, int, int, _Evidence]] = []
    for i, item in enumerate(items):
        element = elements.get(item.element) if item.element else None
        validator = element.validator if element else None
        for j, (name, leaf) in enumerate(cols):
            evidence = _name_evidence(name, leaf, item, element)
            matches = recognised.get(name, [])
            fit = next((m for m in matches if validator and validator in m.accepts), None)
            if fit is not None:
                described = f"{fit.describe()} ({element.name_zh}, {element.identifier})"  # type: ignore[union-attr]
                sample_score = round(fit.weight * fit.share, 4)
                if evidence is None or evidence.score < sample_score:
                    evidence = _Evidence(
                        sample_score
                        + (AGREE_BONUS if evidence and evidence.score >= DEFAULT_MIN_SCORE else 0.0),
                        "sample",
                        described + (f"; and {evidence.reason}" if evidence else ""),
                    )
                elif evidence.score < 1.0:
                    evidence = _Evidence(
                        min(round(evidence.score + AGREE_BONUS, 4), 0.99),
                        evidence.method,
                        f"{evidence.reason}; {described}",
                    )
            elif (
                evidence is not None
                and validator
                and samples.get(name)
                and evidence.method in ("synonym", "pinyin", "initials", "contains")
            ):
                checked = _validator_share(samples[name], validator)
                if checked is not None and checked[0] * 5 < checked[1]:
                    evidence = _Evidence(
                        round(evidence.score * CONTRADICT_FACTOR, 4),
                        evidence.method,
                        f"{evidence.reason}, but only {checked[0]} of {checked[1]} sample values fit "
                        f"{element.name_zh}",  # type: ignore[union-attr]
                    )
            if evidence is not None:
                scored.append((evidence.score, i, j, evidence))
    # greedy assignment: best score first; ties by item order, then column order
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    chosen: dict[int, tuple[int, _Evidence]] = {}
    used: set[int] = set()
    for score, i, j, evidence in scored:
        if score < min_score or i in chosen or j in used:
            continue
        chosen[i] = (j, evidence)
        used.add(j)
    near: dict[int, list[str]] = {}
    for score, i, j, _ in scored:
        # columns left over that fit (nearly) as well: the person should look at them
        if i in chosen and j not in used and score >= min_score and score >= chosen[i][1].score - 0.02:
            near.setdefault(i, []).append(cols[j][0])
    proposals = []
    for i, item in enumerate(items):
        if i in chosen:
            j, evidence = chosen[i]
            alternatives = tuple(near.get(i, ()))
            reason = evidence.reason
            if alternatives:
                reason += "; also fits " + ", ".join(alternatives) + ", check"
            proposals.append(
                Proposal(
                    item.name, cols[j][0], min(evidence.score, 1.0), reason, evidence.method, alternatives
                )
            )
        else:
            proposals.append(Proposal(item.name, None, 0.0, f"no column matches {item.name}"))
    return Proposals(proposals, [name for j, (name, _) in enumerate(cols) if j not in used])


def _validator_share(values: Sequence[object], validator: str) -> tuple[int, int] | None:
    texts = _sample_texts(values)
    if not texts:
        return None
    check = validator_function(validator)
    return sum(1 for t in texts if check(t).ok), len(texts)
