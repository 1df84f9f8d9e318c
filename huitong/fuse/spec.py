"""What a column of an input means to linkage (its role): the small JSON spec ``huitong fuse link``
reads, and the roles a fusion of catalog resources maps items to.

A spec maps roles to a file's column names, ``{"record_id": "编号", "name": "姓名", ...}``; every role
but ``record_id`` is optional. People and legal entities (法人) have their own roles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from huitong.errors import Problem, invalid

Kind = Literal["person", "entity"]

PERSON_ROLES = (
    "record_id",
    "name",
    "id_number",
    "birth_date",
    "gender",
    "address",
    "phone",
    "division",
    "source",
)
ENTITY_ROLES = ("record_id", "name", "credit_code", "org_code", "address", "source")
ROLES: dict[str, tuple[str, ...]] = {"person": PERSON_ROLES, "entity": ENTITY_ROLES}
# the roles a comparison is built on (record_id and source only say who and where)
COMPARED: dict[str, tuple[str, ...]] = {
    k: tuple(r for r in v if r not in ("record_id", "source")) for k, v in ROLES.items()
}


@dataclass(frozen=True)
class Spec:
    """Role → column name, for one kind of record."""

    kind: Kind
    columns: dict[str, str]

    def column(self, role: str) -> str | None:
        return self.columns.get(role)

    def check_columns(self, names: list[str], file: str) -> None:
        """Every column the spec names must be in the file: a misspelt name would silently compare
        nothing."""
        missing = [(role, col) for role, col in self.columns.items() if col not in names]
        if missing:
            raise invalid(
                f"{file}: the spec names columns the file does not have",
                *(
                    Problem(
                        f"role {role!r}: no column {col!r} (columns: {', '.join(names)})",
                        file=file,
                        field=role,
                    )
                    for role, col in missing
                ),
            )


def parse_spec(data: object, *, kind: Kind | None = None, where: str = "spec") -> Spec:
    """A spec from its JSON object. The kind is ``entity`` when an entity role (credit_code, org_code)
    is named, else ``person``, unless given."""
    if not isinstance(data, dict) or not data:
        raise invalid(
            f"{where}: a spec is a JSON object mapping roles to column names",
            Problem("not an object", file=where),
        )
    problems = []
    columns: dict[str, str] = {}
    for role, col in data.items():
        if not isinstance(col, str) or not col.strip():
            problems.append(
                Problem(
                    f"role {role!r}: the column name must be a non-empty string", file=where, field=str(role)
                )
            )
            continue
        columns[str(role)] = col
    guessed: Kind = kind or ("entity" if {"credit_code", "org_code"} & set(columns) else "person")
    allowed = ROLES[guessed]
    for role in columns:
        if role not in allowed:
            problems.append(
                Problem(
                    f"unknown role {role!r} for {guessed} records (roles: {', '.join(allowed)})",
                    file=where,
                    field=role,
                )
            )
    if "record_id" not in columns:
        problems.append(Problem("the role 'record_id' is required", file=where, field="record_id"))
    if not set(columns) & set(COMPARED[guessed]) and "record_id" in columns:
        problems.append(
            Problem(f"name at least one role to compare ({', '.join(COMPARED[guessed])})", file=where)
        )
    if problems:
        raise invalid(f"{where}: not a usable linkage spec", *problems)
    return Spec(guessed, columns)


def read_spec(path: Path, *, kind: Kind | None = None) -> Spec:
    if not path.exists():
        raise invalid(f"{path} does not exist", Problem("no such file", file=str(path)))
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise invalid(f"{path}: not a JSON spec", Problem(str(exc), file=str(path), line=line)) from None
    return parse_spec(data, kind=kind, where=str(path))
