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
from functools import cache
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
        for key in d:
            if key not in known:
                self.add(_path(where, key), f"unknown key {key!r}; known keys: {', '.join(sorted(known))}")
        required, nullable = _required(cls), _nullable(cls)
        for key in sorted(required - d.keys()):
            self.add(_path(where, key), f"{key} is required")
        out = {}
        for key, value in d.items():
            if key not in known or key in skip:
                continue
            path = _path(where, key)
            if value is None:
                if key in nullable:
                    out[key] = None
                else:
                    self.add(path, f"{key} must not be null")
            elif key in enums:
                out[key] = self.enum(path, value, enums[key])
            elif key in STR_LISTS:
                out[key] = self.str_list(path, value)
            elif key == "publish_date":
                out[key] = self.date(path, value)
            elif key == "length":
                if isinstance(value, bool) or not isinstance(value, int):
                    self.add(path, "length must be a whole number", value)
                else:
                    out[key] = value
            elif key in BOOLS:
                if isinstance(value, bool):
                    out[key] = value
                else:
                    self.add(path, f"{key} must be true or false", value)
            elif isinstance(value, str):
                out[key] = value
            else:
                self.add(path, f"{key} must be a string", value)
        return out

    def enum(self, path: str, value: Any, enum: type[Enum]):
        if not isinstance(value, str):
            self.add(path, "expected a string", value)
            return None
        try:
            return enum.parse(value, path)
        except HuitongError as exc:
            self.add(path, exc.problems[0].message, value)
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


def _spec(c: _Collector, d: Any, where: str) -> ResourceSpec | None:
    before = len(c.problems)
    kwargs = c.object(d, where, ResourceSpec, SPEC_ENUMS, skip=frozenset({"items"}))
    items = []
    raw_items = d.get("items", []) if isinstance(d, dict) else []
    if not isinstance(raw_items, list):
        c.add(_path(where, "items"), "expected a list of data items")
        raw_items = []
    for i, raw in enumerate(raw_items):
        item_where = f"{_path(where, 'items')}[{i}]"
        item_kwargs = c.object(raw, item_where, DataItem, ITEM_ENUMS)
        if isinstance(raw, dict):
            items.append(item_kwargs)
    if len(c.problems) > before:
        return None
    return ResourceSpec(**kwargs, items=[DataItem(**k) for k in items])


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
