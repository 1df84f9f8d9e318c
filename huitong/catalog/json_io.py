"""The catalog as JSON, for machines (scripts, other platforms) rather than spreadsheets.

The reader is strict: an unknown key is refused, since a typo such as ``share_bassis``
would otherwise drop the basis silently. Every problem names its JSON path
(``resources[2].items[0].data_type``). Business rules stay in :mod:`huitong.catalog.rules`.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from datetime import date
from enum import Enum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from huitong.catalog.model import (
    DataItem,
    DataType,
    FormatClass,
    Grade,
    OpenType,
    ResourceSpec,
    ShareChannel,
    ShareMode,
    ShareType,
    UpdateCycle,
)
from huitong.errors import HuitongError, Problem, invalid

FORMAT, VERSION = "huitong-catalog", 1

SPEC_ENUMS: dict[str, type[Enum]] = {
    "format_class": FormatClass,
    "share_type": ShareType,
    "share_mode": ShareMode,
    "open_type": OpenType,
    "update_cycle": UpdateCycle,
    "share_channel": ShareChannel,
}
ITEM_ENUMS: dict[str, type[Enum]] = {"data_type": DataType, "grade": Grade}
STR_LISTS = {"related_codes", "also_in", "tags"}
BOOLS = {"is_key", "required"}


@cache
def _known(cls) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


@cache
def _required(cls) -> set[str]:
    return {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}


@cache
def _nullable(cls) -> set[str]:
    return {f.name for f in fields(cls) if f.default is None}


_STR, _ENUM, _LIST, _DATE, _LENGTH, _BOOL = range(6)


@cache
def _kinds(cls, *enum_keys: str) -> dict[str, int]:
    """What each known key of ``cls`` holds: one dict lookup per value instead of a set each."""
    special = {"publish_date": _DATE, "length": _LENGTH} | dict.fromkeys(STR_LISTS, _LIST)
    special |= dict.fromkeys(BOOLS, _BOOL) | dict.fromkeys(enum_keys, _ENUM)
    return {name: special.get(name, _STR) for name in _known(cls)}


@lru_cache(maxsize=4096)
def _parsed(enum: type[Enum], value: str) -> Enum:
    """``enum.parse`` remembered: a bulk file gives the same few texts a hundred thousand
    times. Only a successful parse is cached; a failure raises again with its path."""
    return enum.parse(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def spec_to_dict(spec: ResourceSpec) -> dict:
    """English enum values and ISO dates, keys in the dataclass's order."""
    d = {f.name: _plain(getattr(spec, f.name)) for f in fields(ResourceSpec) if f.name != "items"}
    d["items"] = [{f.name: _plain(getattr(item, f.name)) for f in fields(DataItem)} for item in spec.items]
    return d


def _path(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, value: Any = None) -> None:
        self.problems.append(Problem(message, field=path, value=None if value is None else str(value)))

    def object(
        self, d: Any, where: str, cls, enums: dict[str, type[Enum]], skip: frozenset = frozenset()
    ) -> dict:
        """Checked keyword arguments for ``cls``; problems are collected, not raised."""
        if not isinstance(d, dict):
            self.add(where or "$", f"expected an object, got {type(d).__name__}")
            return {}
        known = _known(cls)
        if not d.keys() <= known:
            for key in d:
                if key not in known:
                    self.add(
                        _path(where, key), f"unknown key {key!r}; known keys: {', '.join(sorted(known))}"
                    )
        required, nullable = _required(cls), _nullable(cls)
        missing = required - d.keys()
        if missing:
            for key in sorted(missing):
                self.add(_path(where, key), f"{key} is required")
        out = {}
        kinds = _kinds(cls, *enums)
        for key, value in d.items():
            # the common case first, and a key's path built only for a problem: a bulk file
            # has a million values, and checking them is most of reading it
            kind = kinds.get(key)
            if kind is None or key in skip:
                continue
            if kind is _STR and value.__class__ is str:
                out[key] = value
            elif value is None:
                if key in nullable:
                    out[key] = None
                else:
                    self.add(_path(where, key), f"{key} must not be null")
            elif kind is _ENUM:
                out[key] = self.enum(where, key, value, enums[key])
            elif kind is _LIST:
                out[key] = self.str_list(_path(where, key), value)
            elif kind is _DATE:
                out[key] = self.date(_path(where, key), value)
            elif kind is _LENGTH:
                if isinstance(value, int) and not isinstance(value, bool):
                    out[key] = value
                else:
                    self.add(_path(where, key), "length must be a whole number", value)
            elif kind is _BOOL:
                if isinstance(value, bool):
                    out[key] = value
                else:
                    self.add(_path(where, key), f"{key} must be true or false", value)
            elif isinstance(value, str):
                out[key] = value
            else:
                self.add(_path(where, key), f"{key} must be a string", value)
        return out

    def enum(self, where: str, key: str, value: Any, enum: type[Enum]):
        if not isinstance(value, str):
            self.add(_path(where, key), "expected a string", value)
            return None
        try:
            return _parsed(enum, value)
        except HuitongError as exc:
            self.add(_path(where, key), exc.problems[0].message, value)
            return None

    def str_list(self, path: str, value: Any) -> list[str]:
        if not isinstance(value, list):
            self.add(path, "expected a list of strings", value)
            return []
        for i, v in enumerate(value):
            if not isinstance(v, str):
                self.add(f"{path}[{i}]", "expected a string", v)
        return [v for v in value if isinstance(v, str)]

    def date(self, path: str, value: Any) -> date | None:
        try:
            return date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            pass
        self.add(path, "expected an ISO date such as 2023-01-05", value)
        return None


_ITEMS = frozenset({"items"})


def _spec(c: _Collector, d: Any, where: str) -> ResourceSpec | None:
    before = len(c.problems)
    kwargs = c.object(d, where, ResourceSpec, SPEC_ENUMS, skip=_ITEMS)
    items = []
    raw_items = d.get("items", []) if isinstance(d, dict) else []
    if not isinstance(raw_items, list):
        c.add(_path(where, "items"), "expected a list of data items")
        raw_items = []
    items_where = _path(where, "items")
    for i, raw in enumerate(raw_items):
        item = _plain_item(raw)
        if item is None:
            item = c.object(raw, f"{items_where}[{i}]", DataItem, ITEM_ENUMS)
            if isinstance(raw, dict):
                items.append(item)
        else:
            items.append(item)
    if len(c.problems) > before:
        return None
    return ResourceSpec(**kwargs, items=[k if isinstance(k, DataItem) else DataItem(**k) for k in items])


_ITEM_KEYS = _known(DataItem)
_PLAIN = ["data_type", "description", "element", "grade", "is_key", "length", "name", "name_en", "required"]
assert sorted(_ITEM_KEYS) == _PLAIN and sorted(ITEM_ENUMS) == ["data_type", "grade"], "see _plain_item"


def _plain_item(d: Any) -> DataItem | None:
    """The item a dict describes when it is as :func:`dump_json_catalog` writes one (every
    key, each value of its plain type and valid), else None: :meth:`_Collector.object` then
    reads it and says what is wrong. A bulk file is a hundred thousand such items, and this
    reads one in a quarter of the time. It names every field: a new one fails the assertion
    above until it is added here."""
    if d.__class__ is not dict or d.keys() != _ITEM_KEYS:
        return None
    name, data_type, length, element, grade = d["name"], d["data_type"], d["length"], d["element"], d["grade"]
    name_en, is_key, required, description = d["name_en"], d["is_key"], d["required"], d["description"]
    if not (
        name.__class__ is str
        and data_type.__class__ is str
        and (length is None or length.__class__ is int)
        and (element is None or element.__class__ is str)
        and (grade is None or grade.__class__ is str)
        and (name_en is None or name_en.__class__ is str)
        and is_key.__class__ is bool
        and required.__class__ is bool
        and (description is None or description.__class__ is str)
    ):
        return None
    try:
        data_type = _parsed(DataType, data_type)
        grade = None if grade is None else _parsed(Grade, grade)
    except HuitongError:
        return None
    return DataItem(
        name=name,
        data_type=data_type,
        length=length,
        element=element,
        grade=grade,
        name_en=name_en,
        is_key=is_key,
        required=required,
        description=description,
    )


def spec_from_dict(d: Any, *, where: str = "") -> ResourceSpec:
    """The inverse of :func:`spec_to_dict`; raises HuitongError listing every problem found."""
    c = _Collector()
    spec = _spec(c, d, where)
    if spec is None:
        raise invalid(f"{where or 'resource'} is not a valid resource description", *c.problems)
    return spec


def dump_json_catalog(resources: list[tuple[str | None, ResourceSpec]]) -> str:
    docs = []
    for code, spec in resources:
        docs.append({"code": code, **spec_to_dict(spec)} if code else spec_to_dict(spec))
    return json.dumps({"format": FORMAT, "version": VERSION, "resources": docs}, ensure_ascii=False, indent=2)


def read_json_catalog(path_or_text: str | Path) -> list[tuple[str | None, ResourceSpec]]:
    """A ``{"format": "huitong-catalog", "version": 1, "resources": [...]}`` document, from a file or text."""
    if isinstance(path_or_text, Path) or not path_or_text.lstrip().startswith(("{", "[")):
        try:
            text = Path(path_or_text).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise invalid(f"cannot read {path_or_text}: {exc}") from None
    else:
        text = path_or_text
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            Problem(exc.msg, row=exc.lineno, column=str(exc.colno)),
        ) from None
    c = _Collector()
    if not isinstance(doc, dict):
        raise invalid(
            "a catalog document is an object with format, version and resources",
            Problem("expected an object", field="$"),
        )
    for key in doc.keys() - {"format", "version", "resources"}:
        c.add(key, f"unknown key {key!r}; known keys: format, version, resources")
    if doc.get("format") != FORMAT:
        c.add("format", f"expected {FORMAT!r}", doc.get("format"))
    if doc.get("version") != VERSION:
        c.add("version", f"this huitong reads version {VERSION}", doc.get("version"))
    resources = doc.get("resources")
    out: list[tuple[str | None, ResourceSpec]] = []
    if not isinstance(resources, list):
        c.add("resources", "expected a list of resources")
        resources = []
    for i, d in enumerate(resources):
        where = f"resources[{i}]"
        code = None
        if isinstance(d, dict) and "code" in d:
            d = dict(d)
            code = d.pop("code")
            if code is not None and not isinstance(code, str):
                c.add(f"{where}.code", "code must be a string", code)
                code = None
        spec = _spec(c, d, where)
        if spec is not None:
            out.append((code, spec))
    if c.problems:
        raise invalid("the catalog document has problems", *c.problems)
    return out
