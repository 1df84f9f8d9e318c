"""Rules bound to one stored table (pure): which columns each rule checks, or why it cannot run.

A resource's rules name its data items; a data element's rules apply to every item mapped to the
element (one check per such item). A rule whose column has gone from the table since it was
written, or whose other resource has not been loaded, is not silently dropped: it is reported as
broken with the reason, and shows in the run's results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from huitong.catalog.model import DataItem, DataType
from huitong.quality.compile import DATE, NUMBER, OTHER, TEXT, TIMESTAMP, Check, Column, Other
from huitong.quality.rules import Rule
from huitong.standards.elements import DataElement
from huitong.standards.sql_forms import SQL_VALIDATORS

KINDS_OF_TYPES = {
    DataType.C: TEXT,
    DataType.M: TEXT,
    DataType.N: NUMBER,
    DataType.Y: NUMBER,
    DataType.B: NUMBER,
    DataType.F: NUMBER,
    DataType.I: NUMBER,
    DataType.D: DATE,
    DataType.T: TIMESTAMP,
}


def kind_of(data_type: DataType | str) -> str:
    return KINDS_OF_TYPES.get(DataType(data_type), OTHER)


@dataclass(frozen=True)
class Stored:
    """Another resource's current table: its columns' kinds and its key (unique by the store)."""

    columns: Mapping[str, str]
    key: tuple[str, ...] = ()


@dataclass(frozen=True)
class Broken:
    rule_id: int | None
    rule: Rule
    reason: str
    columns: tuple[str, ...] = ()


@dataclass
class Bound:
    checks: list[Check] = field(default_factory=list)
    rule_ids: list[int | None] = field(default_factory=list)  # parallel to checks
    version_rules: list[tuple[int | None, Rule]] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)
    others: dict[str, str] = field(default_factory=dict)  # resource code -> registered table name
    items: int = 0  # the catalog's data items of the resource
    items_missing: list[str] = field(default_factory=list)  # ... that are not stored columns


def bind(
    rules: Sequence[tuple[int | None, Rule]],
    columns: Mapping[str, str],
    items: Mapping[str, DataItem],
    elements: Mapping[str, DataElement],
    other_columns: Mapping[str, Stored | None],
) -> Bound:
    """``columns``: the stored table's columns and their kinds; ``other_columns``: each resource a
    rule refers to (None when it has no current version)."""
    out = Bound(items=len(items), items_missing=[name for name in items if name not in columns])

    def add(rule_id, rule, cols, **extra) -> None:
        out.checks.append(Check(len(out.checks), rule, cols, **extra))
        out.rule_ids.append(rule_id)

    for rule_id, rule in rules:
        if not rule.spec.over_rows:
            out.version_rules.append((rule_id, rule))
            continue
        if rule.element:
            mapped = [name for name, it in items.items() if it.element == rule.element and name in columns]
            element = elements.get(rule.element)
            for name in mapped:
                reason, extra = _element_extra(rule, element)
                if reason:
                    out.broken.append(Broken(rule_id, rule, reason, (name,)))
                else:
                    add(rule_id, rule, (Column(name, columns[name]),), **extra)
            continue
        missing = [c for c in _named(rule) if c not in columns]
        if missing:
            out.broken.append(
                Broken(
                    rule_id, rule, f"the table has no column {', '.join(missing)} (any more)", rule.columns
                )
            )
            continue
        cols = tuple(Column(c, columns[c]) for c in rule.columns)
        try:
            extra = _resource_extra(rule, cols, columns, items, elements, other_columns, out)
        except _Cannot as exc:
            out.broken.append(Broken(rule_id, rule, str(exc), rule.columns))
            continue
        add(rule_id, rule, extra.pop("columns", cols), **extra)
    return out


class _Cannot(Exception):
    pass


def _named(rule: Rule) -> list[str]:
    names = list(rule.columns)
    if rule.kind == "cross_source":
        names += _keys(rule.params["other"], "key")
    return names


def _keys(other: Mapping, field_name: str) -> list[str]:
    value = other.get(field_name)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _element_extra(rule: Rule, element: DataElement | None) -> tuple[str | None, dict]:
    if element is None:
        return f"data element {rule.element} is not in the registry", {}
    if rule.kind == "valid":
        if not element.validator:
            return f"data element {element.identifier} ({element.name_zh}) has no validator", {}
        if element.validator not in SQL_VALIDATORS:
            return f"validator {element.validator} has no SQL form; use a pattern or code-table rule", {}
        return None, {"validator": element.validator}
    if rule.kind == "in_code_table":
        values = rule.params.get("values") or list((element.value_domain or {}).keys())
        if not values:
            return f"data element {element.identifier} has no code table; list the values", {}
        return None, {"values": tuple(str(v) for v in values)}
    return None, {}


def _resource_extra(rule, cols, columns, items, elements, other_columns, out: Bound) -> dict:
    first = cols[0]
    if rule.kind in ("valid", "in_code_table"):
        item = items.get(first.name)
        element = elements.get(item.element) if item is not None and item.element else None
        if rule.kind == "valid" and first.kind != TEXT:
            return {"validator": None}  # a typed column: the store's type holds it to its form
        if rule.kind == "in_code_table" and rule.params.get("values"):
            return {"values": tuple(str(v) for v in rule.params["values"])}
        if element is None:
            what = "validator" if rule.kind == "valid" else "code table; list the values"
            raise _Cannot(f"item {first.name} is not mapped to a data element, so it has no {what}")
        reason, extra = _element_extra(rule, element)
        if reason:
            raise _Cannot(reason)
        return extra
    if rule.kind == "range":
        if first.kind not in (NUMBER, DATE, TIMESTAMP):
            raise _Cannot(f"a range needs a number or date column; {first.name} is {first.kind}")
        wants_date = any(isinstance(rule.params.get(k), str) for k in ("min", "max"))
        if wants_date != (first.kind in (DATE, TIMESTAMP)):
            raise _Cannot(f"{first.name} is a {first.kind} column: give its bounds as {first.kind}s")
    if rule.kind == "cross_field":
        ident = items.get(first.name)
        element = elements.get(ident.element) if ident is not None and ident.element else None
        if first.kind != TEXT or (element is not None and element.validator != "id_number"):
            raise _Cannot(f"the first column of a cross-field check is the 公民身份号码; {first.name} is not")
    if rule.kind in ("referential", "cross_source"):
        return _other(rule, cols, columns, other_columns, out)
    return {}


def _table_for(code: str, out: Bound) -> str:
    return out.others.setdefault(code, f"o{len(out.others)}")


def _other(rule, cols, columns, other_columns, out: Bound) -> dict:
    spec = rule.params["ref" if rule.kind == "referential" else "other"]
    code = spec["resource"]
    stored = other_columns.get(code)
    if stored is None:
        raise _Cannot(f"resource {code} has no current version to compare with")
    there = stored.columns
    if rule.kind == "referential":
        name = spec["column"]
        if name not in there:
            raise _Cannot(f"resource {code} has no column {name}")
        unique = stored.key == (name,)
        return {"other": Other(_table_for(code, out), (Column(name, there[name]),), unique=unique)}
    keys_here = _keys(spec, "key")
    keys_there = _keys(spec, "other_key") or keys_here
    if len(keys_there) != len(keys_here):
        raise _Cannot("key and other_key must name as many columns")
    value_there = spec.get("column") or cols[0].name
    missing = [c for c in [*keys_there, value_there] if c not in there]
    if missing:
        raise _Cannot(f"resource {code} has no column {', '.join(missing)}")
    return {
        "columns": (cols[0], *(Column(k, columns[k]) for k in keys_here)),
        "other": Other(
            _table_for(code, out),
            tuple(Column(k, there[k]) for k in keys_there),
            Column(value_there, there[value_there]),
            unique=set(stored.key) == set(keys_there) and len(stored.key) == len(keys_there),
        ),
    }
