"""A base library's definition (融合定义), as a department keeps it in version control (JSON or YAML):
which catalog resources feed it, which of their items play which role, in what priority, and which
item of the base library's own catalog entry each fused field is written to.

```yaml
code: renkou
name: 人口库
kind: person
target: <catalog code of the 人口库 entry>
threshold: 0.9
inputs:                      # in priority order: the first wins a tie the catalog does not settle
  - resource: <catalog code>
    roles: {record_id: 公民身份号码, name: 姓名, id_number: 公民身份号码, birth_date: 出生日期, address: 住址}
authority: {address: [<catalog code>]}   # optional: who is 数源部门 for a field, beyond the catalog
```
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from huitong.errors import Problem, invalid
from huitong.fuse.golden import FIELDS
from huitong.fuse.link import THRESHOLD
from huitong.fuse.spec import ROLES, Kind

# the base library's own items, by field: what the catalog entry must have (names may be changed)
ITEMS = {
    "person": {
        "base_id": "基础库标识",
        "name": "姓名",
        "id_number": "公民身份号码",
        "birth_date": "出生日期",
        "gender": "性别",
        "address": "住址",
        "phone": "手机号码",
        "records": "来源记录数",
        "lineage": "字段来源",
    },
    "entity": {
        "base_id": "基础库标识",
        "name": "单位名称",
        "credit_code": "统一社会信用代码",
        "org_code": "组织机构代码",
        "address": "住所",
        "records": "来源记录数",
        "lineage": "字段来源",
    },
}
PREFIX = {"person": "P", "entity": "E"}
CODE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


@dataclass(frozen=True)
class Input:
    resource: str
    roles: dict[str, str]  # role → item name of the resource


@dataclass(frozen=True)
class Definition:
    code: str
    name: str
    kind: Kind
    target: str
    inputs: tuple[Input, ...]
    threshold: float = THRESHOLD
    authority: dict[str, list[str]] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)  # field → the target's item name

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "threshold": self.threshold,
            "inputs": [{"resource": i.resource, "roles": dict(i.roles)} for i in self.inputs],
            "authority": {k: list(v) for k, v in self.authority.items()},
            "items": dict(self.items),
        }

    def roles(self) -> set[str]:
        return {r for i in self.inputs for r in i.roles}

    def fields(self) -> list[str]:
        """The fused fields some input provides, in the kind's order."""
        held = self.roles()
        return [f for f in FIELDS[self.kind] if f in held]


def parse_definition(data: object, where: str = "definition") -> Definition:
    if not isinstance(data, dict):
        raise invalid(f"{where}: a fusion definition is an object", Problem("not an object", file=where))
    problems: list[Problem] = []

    def need(key: str, kind: type) -> object:
        value = data.get(key)
        if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
            problems.append(Problem(f"{key!r} is required ({kind.__name__})", file=where, field=key))
            return None
        return value

    code, name, target = need("code", str), need("name", str), need("target", str)
    if isinstance(name, str) and len(name) > 200:
        problems.append(Problem("name: at most 200 characters", file=where, field="name"))
    if isinstance(target, str) and len(target) > 64:
        problems.append(
            Problem("target: a catalog code of at most 64 characters", file=where, field="target")
        )
    kind = data.get("kind", "person")
    if kind not in ROLES:
        problems.append(Problem(f"kind must be person or entity, not {kind!r}", file=where, field="kind"))
        kind = "person"
    if isinstance(code, str) and not CODE.match(code):
        problems.append(
            Problem(
                "code: lowercase letters, digits, - and _ (2-40), starting with a letter",
                file=where,
                field="code",
                value=code,
            )
        )
    threshold = data.get("threshold", THRESHOLD)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not 0.5 <= threshold < 1:
        problems.append(
            Problem(
                "threshold is a match probability from 0.5 to below 1",
                file=where,
                field="threshold",
                value=str(threshold),
            )
        )
        threshold = THRESHOLD
    inputs: list[Input] = []
    raw_inputs = data.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        problems.append(Problem("inputs: a list of {resource, roles}", file=where, field="inputs"))
        raw_inputs = []
    for n, raw in enumerate(raw_inputs, 1):
        at = f"inputs[{n}]"
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("resource"), str)
            or not isinstance(raw.get("roles"), dict)
        ):
            problems.append(
                Problem("each input is {resource: <code>, roles: {role: item}}", file=where, field=at)
            )
            continue
        roles = raw["roles"]
        for role, item in roles.items():
            if role not in ROLES[kind]:
                problems.append(
                    Problem(
                        f"unknown role {role!r} (roles: {', '.join(ROLES[kind])})",
                        file=where,
                        field=f"{at}.roles",
                    )
                )
            elif not isinstance(item, str) or not item.strip():
                problems.append(Problem(f"role {role!r} names no item", file=where, field=f"{at}.roles"))
        if "record_id" not in roles:
            problems.append(
                Problem(
                    "role 'record_id' is required (the item that tells the input's records apart)",
                    file=where,
                    field=f"{at}.roles",
                )
            )
        inputs.append(Input(raw["resource"], {str(k): str(v) for k, v in roles.items()}))
    seen = [i.resource for i in inputs]
    for dup in sorted({r for r in seen if seen.count(r) > 1}):
        problems.append(Problem(f"resource {dup} is an input twice", file=where, field="inputs", value=dup))
    authority = data.get("authority") or {}
    if not isinstance(authority, dict) or not all(isinstance(v, list) for v in authority.values()):
        problems.append(Problem("authority: {field: [resource codes]}", file=where, field="authority"))
        authority = {}
    for f, sources in authority.items():
        if f not in FIELDS[kind]:
            problems.append(Problem(f"authority names an unknown field {f!r}", file=where, field="authority"))
        for s in sources:
            if s not in seen:
                problems.append(
                    Problem(
                        f"authority for {f!r} names {s}, which is not an input",
                        file=where,
                        field="authority",
                        value=str(s),
                    )
                )
    items = dict(ITEMS[kind])
    overrides = data.get("items") or {}
    if isinstance(overrides, dict):
        for f, item in overrides.items():
            if f not in items:
                problems.append(Problem(f"items names an unknown field {f!r}", file=where, field="items"))
            else:
                items[f] = str(item)
    if problems:
        raise invalid(f"{where}: not a usable fusion definition", *problems)
    return Definition(
        code=str(code),
        name=str(name),
        kind=kind,
        target=str(target),
        inputs=tuple(inputs),
        threshold=float(threshold),
        authority={k: [str(s) for s in v] for k, v in authority.items()},
        items=items,
    )


def read_definition(path: Path) -> Definition:
    if not path.exists():
        raise invalid(f"{path} does not exist", Problem("no such file", file=str(path)))
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parser error is the file's fault, said where
        mark = getattr(exc, "problem_mark", None)
        line = getattr(exc, "lineno", None) or (mark.line + 1 if mark else None)
        raise invalid(
            f"{path}: not readable as {'YAML' if path.suffix.lower() in ('.yaml', '.yml') else 'JSON'}",
            Problem(str(exc).splitlines()[0], file=str(path), line=line),
        ) from None
    return parse_definition(data, where=str(path))
