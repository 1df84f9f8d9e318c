"""Rule files: the YAML or JSON a department keeps in version control (pure; the text in, rules out).

::

    resource: 330100/00001/00001        # the default target of the rules below (optional)
    gate: true                          # a version failing a ``fail`` rule is kept, not made current
    rules:
      - name: 身份证号有效
        kind: valid
        column: 公民身份号码
        severity: fail
      - name: 姓名完整
        kind: not_null
        column: 姓名
        threshold: 0.99
      - name: 证件号码符合数据元
        kind: valid
        element: DE01001                # every item mapped to this element, in every resource

A file is all or nothing: every mistake is reported with the file, the line and the reason, and
none of its rules is kept until the file is right.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import yaml

from huitong.errors import Problem, invalid
from huitong.quality.rules import CONTROL, MAX_CODE, Rule, check_rule

TOP_FIELDS = ("resource", "gate", "rules")
MAX_FILENAME = 200  # a rule's origin is file:line, kept in 300 characters


@dataclass(frozen=True)
class RuleFile:
    rules: tuple[Rule, ...]
    gate: bool | None  # None: the file does not say
    resource: str | None


class _Located(dict):
    """A mapping that remembers the line of itself and of each key."""

    def __init__(self) -> None:
        super().__init__()
        self.line = 0
        self.lines: dict[str, int] = {}


class _Refused(Exception):
    """A value of the file that cannot be read: the reason and its line."""

    def __init__(self, reason: str, line: int | None, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.line, self.field = reason, line, field


_NO_ALIASES = "anchors and aliases (&name, *name, <<: *name) are not allowed in a rule file: write each rule's fields out"


class _Loader(yaml.SafeLoader):
    """YAML that refuses anchors and aliases while composing: a rule file has no need for them,
    and expanding them is exponential (a 400-byte file could cost minutes)."""

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 (PyYAML's signature)
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, _NO_ALIASES, event.start_mark)
        return super().compose_node(parent, index)


_PLAIN_TAGS = {yaml.MappingNode: "tag:yaml.org,2002:map", yaml.SequenceNode: "tag:yaml.org,2002:seq"}
_MERGE = "tag:yaml.org,2002:merge"


def _plain(node: yaml.Node, scalar=None) -> Any:
    """Python values from a composed YAML node, mappings keeping their lines."""
    scalar = scalar or _scalar
    line = node.start_mark.line + 1
    if type(node) in _PLAIN_TAGS and node.tag != _PLAIN_TAGS[type(node)]:
        raise _Refused(f"the tag {node.tag!r} is not allowed in a rule file", line)
    if isinstance(node, yaml.MappingNode):
        out = _Located()
        out.line = line
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise _Refused(_NO_ALIASES, key_node.start_mark.line + 1)
            key = _plain(key_node, scalar)
            key = str(key) if not isinstance(key, str) else key
            key_line = key_node.start_mark.line + 1
            if key in out:
                raise _Refused(_twice(key, out.lines[key], key_line), key_line, key)
            out[key] = _plain(value_node, scalar)
            out.lines[key] = key_line
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(n, scalar) for n in node.value]
    return scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.MarkedYAMLError as exc:
        raise _Refused(
            str(exc.problem or exc.context or "unreadable value"), node.start_mark.line + 1
        ) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise _Refused(
            f"{node.value!r} cannot be read as {node.tag.rpartition(':')[2]} ({exc})",
            node.start_mark.line + 1,
        ) from None
    finally:
        loader.dispose()
    if type(value) is date:  # an unquoted date: its ISO text, as a quoted one would be
        return value.isoformat()
    return value


def _json_checked(text: str) -> None:
    """A JSON file is checked as JSON first, by the standard library: its syntax (with the line of
    a mistake), NaN and Infinity, which JSON does not have, and numbers too long to read. A key
    given twice is found while composing, where its lines are known."""

    def constant(name: str) -> Any:
        raise json.JSONDecodeError(f"{name} is not a JSON number", text, text.find(name))

    try:
        json.loads(text, parse_constant=constant)
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise
        long = re.search(r"[0-9]{1000,}", text)  # Python's limit on the digits of an integer
        raise json.JSONDecodeError(
            f"a number too long to read ({exc})", text, long.start() if long else 0
        ) from None


class _JsonLoader(_Loader):
    """A checked JSON file composed as the YAML it also is, for the lines of its objects and keys.
    A tab outside a string is whitespace to JSON (inside one it is refused by the check), so tabs
    become spaces; every scalar is then read by ``json`` from its own text."""


def _json_scalars(source: str):
    """Each scalar of a checked JSON file read by ``json`` from its own text (numbers as JSON
    writes them, strings with JSON's escapes, surrogate pairs and all): YAML only finds where it is."""
    return lambda node: json.loads(source[node.start_mark.index : node.end_mark.index])


def _twice(key: str, first: int, again: int) -> str:
    return f"{key!r} is given twice in one mapping (lines {first} and {again}); give it once"


def _load(text: str, filename: str) -> Any:
    text = text.removeprefix("\ufeff")  # a byte order mark (Windows Notepad) is not content
    try:
        if filename.lower().endswith(".json"):
            try:
                _json_checked(text)
            except json.JSONDecodeError as exc:
                raise invalid(
                    f"{filename} is not valid JSON",
                    Problem(exc.msg, file=filename, line=exc.lineno, field=f"column {exc.colno}"),
                ) from None
            source = text.replace("\t", " ")
            node = yaml.compose(source, Loader=_JsonLoader)
            return None if node is None else _plain(node, _json_scalars(source))
        node = yaml.compose(text, Loader=_Loader)
        return None if node is None else _plain(node)
    except _Refused as exc:
        raise invalid(
            f"{filename} cannot be read", Problem(exc.reason, file=filename, line=exc.line, field=exc.field)
        ) from None
    except RecursionError:
        raise invalid(
            f"{filename} cannot be read", Problem("nested too deeply", file=filename, line=1)
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise invalid(
            f"{filename} is not valid YAML",
            Problem(
                str(exc.problem or exc.context or "unreadable"),
                file=filename,
                line=mark.line + 1 if mark else None,
            ),
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise invalid(
            f"{filename} is not valid YAML",
            Problem(f"character {exc.character!r} is not allowed in a YAML file", file=filename, line=line),
        ) from None
    except yaml.YAMLError as exc:
        raise invalid(f"{filename} is not valid YAML", Problem(str(exc), file=filename, line=1)) from None


def parse(text: str, filename: str = "rules.yaml") -> RuleFile:
    """The rules of one file, or a refusal listing every mistake with its line."""
    if len(filename) > MAX_FILENAME or CONTROL.search(filename):
        raise invalid(
            "the rule file's name cannot be kept",
            Problem(
                f"a file name is at most {MAX_FILENAME} characters, without control characters",
                file=CONTROL.sub("?", filename[:MAX_FILENAME]),
                field="filename",
            ),
        )
    doc = _load(text, filename)
    problems: list[Problem] = []

    def problem(where: Mapping | None, key: str | None, message: str) -> None:
        line = None
        if isinstance(where, _Located):
            line = where.lines.get(key, where.line) if key else where.line
        problems.append(Problem(message, file=filename, line=line, field=key))

    if doc is None:
        raise invalid(f"{filename} is empty", Problem("write a rules: list", file=filename))
    if isinstance(doc, list):
        doc_rules, top = doc, _Located()
    elif isinstance(doc, Mapping):
        top, doc_rules = doc, doc.get("rules")
        for key in sorted(set(doc) - set(TOP_FIELDS)):
            problem(doc, key, f"unknown field {key!r} (a file has {', '.join(TOP_FIELDS)})")
        if not isinstance(doc_rules, list):
            problem(doc, "rules" if "rules" in doc else None, "rules must be a list of rules")
            doc_rules = []
    else:
        raise invalid(f"{filename} holds no rules", Problem("write a rules: list", file=filename, line=1))
    default_resource = top.get("resource")
    if default_resource is not None and (
        not isinstance(default_resource, str)
        or len(default_resource) > MAX_CODE
        or CONTROL.search(default_resource)
    ):
        problem(top, "resource", f"resource must be a resource code (at most {MAX_CODE} characters)")
        default_resource = None
    gate = top.get("gate")
    if gate is not None and not isinstance(gate, bool):
        problem(top, "gate", "gate must be true or false")
        gate = None
    if gate is not None and not default_resource:
        problem(top, "gate", "gate belongs to a resource: name it with resource:")
    rules: list[Rule] = []
    seen: dict[tuple[str, str, str], tuple[int, int]] = {}  # (scope, target, name): (number, line)
    for number, entry in enumerate(doc_rules, 1):
        if not isinstance(entry, Mapping):
            problem(top, "rules", "each rule is a mapping (name, kind, column, ...)")
            continue
        fields = _unlocated(entry)
        name = fields.get("name")
        scope = "element" if fields.get("element") else "resource"
        target = fields.get("element") or fields.get("resource") or default_resource
        if isinstance(name, str) and isinstance(target, str):
            line = entry.line if isinstance(entry, _Located) else 0
            first = seen.setdefault((scope, target.strip().upper(), name.strip()), (number, line))
            if first[0] != number:
                problem(
                    entry,
                    "name",
                    f"rule {name.strip()!r} of {target.strip()} is declared twice: rule {first[0]} on line "
                    f"{first[1]} and rule {number} on line {line}",
                )
                continue
        if "element" not in fields and "resource" not in fields and default_resource:
            fields["resource"] = default_resource
        rule, found = check_rule(fields)
        for key, message in found:
            problem(entry, key if key in entry else None, message)
        if rule is None:
            continue
        line = entry.line if isinstance(entry, _Located) else 0
        rules.append(_with_origin(rule, f"{filename}:{line}"))
    if problems:
        raise invalid(f"{filename} has {len(problems)} mistake(s); no rule was kept", *problems)
    return RuleFile(tuple(rules), gate, default_resource)


def _unlocated(value: Any) -> Any:
    """Plain dicts and lists again (for the rule's parameters and for writing them out)."""
    if isinstance(value, Mapping):
        return {k: _unlocated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unlocated(v) for v in value]
    return value


def _with_origin(rule: Rule, origin: str) -> Rule:
    return replace(rule, origin=origin)


def dump(rules: list[Rule], resource: str | None = None, gate: bool | None = None) -> str:
    """Rules as a YAML file (for export and for editing in version control)."""
    doc: dict[str, Any] = {}
    if resource:
        doc["resource"] = resource
    if gate is not None:
        doc["gate"] = gate
    entries = []
    for rule in rules:
        entry = rule.as_dict()
        if resource and entry.get("resource") == resource:
            entry.pop("resource")
        entries.append(entry)
    doc["rules"] = entries
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
