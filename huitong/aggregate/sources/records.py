"""Finding the records inside a JSON document, shared by JSON files and HTTP APIs.

Government APIs wrap their records: ``{"code": 0, "data": {"total": 120, "list": [...]}}``.
A *records path* says where the list is ("data.list", "result[0].rows"); when none is given and
exactly one list of objects exists in the document, that one is used, and otherwise the error
lists the candidates so the person can choose.
"""

from __future__ import annotations

import re
from typing import Any

from huitong.errors import Problem, invalid

_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def parse_path(path: str | None) -> tuple[str | int, ...]:
    """``"data.items"`` → ("data", "items"); ``"result[0].rows"`` or ``"result.0.rows"`` → ("result", 0, "rows")."""
    if path is None or path.strip() in ("", "$", "."):
        return ()
    text = path.strip().removeprefix("$.").removeprefix("$")
    parts: list[str | int] = []
    for m in _PART.finditer(text):
        if m.group(1) is not None:
            parts.append(int(m.group(1)))
        else:
            parts.append(int(m.group(2)) if m.group(2).isdigit() else m.group(2))
    return tuple(parts)


def show_path(parts: tuple[str | int, ...]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "$"


def get_path(doc: Any, parts: tuple[str | int, ...]) -> tuple[bool, Any]:
    """The value at ``parts``: (True, value), or (False, how far it got)."""
    value = doc
    for i, part in enumerate(parts):
        if isinstance(part, int) and isinstance(value, list) and -len(value) <= part < len(value):
            value = value[part]
        elif isinstance(part, int) and isinstance(value, dict) and str(part) in value:
            value = value[str(part)]
        elif isinstance(part, str) and isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return False, parts[:i]
    return True, value


def _lists(doc: Any, depth: int, prefix: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], list]]:
    if isinstance(doc, list):
        return [(prefix, doc)]
    if isinstance(doc, dict) and depth > 0:
        return [found for key, value in doc.items() for found in _lists(value, depth - 1, prefix + (key,))]
    return []


def record_lists(doc: Any, depth: int = 4) -> list[tuple[str | int, ...]]:
    """Paths to the lists of records in ``doc``, nearest first: lists holding objects, or when
    there are none, empty lists (the last page of an API is often ``{"list": []}``)."""
    found = _lists(doc, depth, ())
    with_objects = [path for path, items in found if any(isinstance(x, dict) for x in items[:50])]
    return sorted(with_objects or [path for path, items in found if not items], key=len)


def find_records(
    doc: Any, path: str | tuple[str | int, ...] | None, *, source: str
) -> tuple[tuple[str | int, ...], list[Any]]:
    """The records list and its path; a clear error when the path is wrong or ambiguous."""
    if path is not None:
        parts = path if isinstance(path, tuple) else parse_path(path)
        shown = path if isinstance(path, str) else show_path(parts)
        ok, value = get_path(doc, parts)
        if not ok:
            reached = show_path(value)
            message = f"records path {shown!r} not found: {reached!r} has no {parts[len(value)]!r}"
            candidates = record_lists(doc)
            if candidates:
                message += "; lists of records are at " + ", ".join(repr(show_path(c)) for c in candidates)
            raise invalid(f"{source}: {message}", Problem(message, file=source, field=shown))
        if not isinstance(value, list):
            message = f"records path {shown!r} leads to {type_name(value)}, not a list of records"
            raise invalid(f"{source}: {message}", Problem(message, file=source, field=shown))
        return parts, value
    if isinstance(doc, list):
        return (), doc
    candidates = record_lists(doc)
    if len(candidates) == 1:
        parts = candidates[0]
        return parts, get_path(doc, parts)[1]
    if not candidates:
        message = "no list of records found in the JSON document; set records_path"
    else:
        message = (
            "several lists of records found ("
            + ", ".join(repr(show_path(c)) for c in candidates)
            + "); set records_path"
        )
    raise invalid(f"{source}: {message}", Problem(message, file=source))


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(type(value), "a number")


def flatten(record: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Nested objects become dotted column names: {"addr": {"city": "杭州"}} → {"addr.city": "杭州"}.
    Lists stay values: their meaning (several phone numbers? a child table?) is the mapping's call."""
    out = {} if out is None else out
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flatten(value, f"{name}.", out)
        else:
            out[name] = value
    return out
