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
from typing import Any

import yaml

from huitong.errors import Problem, invalid
from huitong.quality.rules import Rule, check_rule

TOP_FIELDS = ("resource", "gate", "rules")
# characters valid inside a JSON string that YAML's reader refuses: they are written as \u escapes
_YAML_REFUSES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


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


def _plain(node: yaml.Node) -> Any:
    """Python values from a composed YAML node, mappings keeping their lines."""
    if isinstance(node, yaml.MappingNode):
        out = _Located()
        out.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = _plain(key_node)
            key = str(key) if not isinstance(key, str) else key
            out[key] = _plain(value_node)
            out.lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(n) for n in node.value]
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _load(text: str, filename: str) -> Any:
    if filename.lower().endswith(".json"):
        try:
            json.loads(text)  # JSON's own errors for a JSON file, then the same reader for lines
        except json.JSONDecodeError as exc:
            raise invalid(
                f"{filename} is not valid JSON",
                Problem(exc.msg, file=filename, line=exc.lineno, field=f"column {exc.colno}"),
            ) from None
        text = _YAML_REFUSES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # only inside strings
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
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
    return None if node is None else _plain(node)


def parse(text: str, filename: str = "rules.yaml") -> RuleFile:
    """The rules of one file, or a refusal listing every mistake with its line."""
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
    if default_resource is not None and not isinstance(default_resource, str):
        problem(top, "resource", "resource must be a resource code")
        default_resource = None
    gate = top.get("gate")
    if gate is not None and not isinstance(gate, bool):
        problem(top, "gate", "gate must be true or false")
        gate = None
    if gate is not None and not default_resource:
        problem(top, "gate", "gate belongs to a resource: name it with resource:")
    rules: list[Rule] = []
    seen: dict[tuple[str, str], int] = {}
    for entry in doc_rules:
        if not isinstance(entry, Mapping):
            problem(top, "rules", "each rule is a mapping (name, kind, column, ...)")
            continue
        fields = _unlocated(entry)
        name = fields.get("name")
        target = fields.get("element") or fields.get("resource") or default_resource
        if isinstance(name, str) and isinstance(target, str):
            line = entry.line if isinstance(entry, _Located) else 0
            first = seen.setdefault((target, name.strip()), line)
            if first != line:
                problem(entry, "name", f"rule {name!r} is declared twice (first on line {first})")
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
