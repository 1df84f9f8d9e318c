"""Who is asking: a user (session or token), the anonymous public, or the local system.

The system actor is whoever runs the CLI with direct access to the data directory
without naming a user (``--as``): it can do anything, like the owner of the database
files can, and everything it does is recorded under its own name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from huitong.access.roles import Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    department_id: int | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    scope: str = "write"  # a read-scoped token cannot change anything
    kind: Literal["user", "public", "system", "app"] = "user"  # app: a consumer system (应用凭证)

    @property
    def is_public(self) -> bool:
        return self.kind == "public"

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    def has(self, role: Role) -> bool:
        return role in self.roles

    def label(self) -> str:
        return self.username


PUBLIC = Actor(user_id=None, username="anonymous", kind="public")
SYSTEM = Actor(user_id=None, username="system", kind="system")
