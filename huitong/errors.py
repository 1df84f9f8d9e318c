"""One error type that the CLI and the API both turn into a clear message.

Every refusal a user can cause (bad input, a rule broken, no permission) is a
``HuitongError`` with a stable ``code`` and, where it applies, *where* the problem is
(file, sheet, row, column, field), so nobody has to read a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import field as dataclass_field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One specific thing wrong with an input, and where it is."""

    message: str
    field: str | None = None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    line: int | None = None  # a line of a text file that is not rows (a rule file)
    column: str | None = None
    value: str | None = None
    # a stable code (``share.period_order``) and its parameters, which the console's locale
    # catalogs translate (``problem.<code>``); ``message`` is the English text for the CLI and API
    code: str | None = None
    params: Mapping[str, Any] | None = dataclass_field(default=None, hash=False, compare=False)

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.field and not self.column:
            parts.append(self.field)
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class HuitongError(Exception):
    """A refusal with a clear message; ``status`` maps it onto HTTP."""

    message: str
    code: str = "invalid"
    problems: list[Problem] = field(default_factory=list)
    status: int = 400

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        return f"{self.message}: {shown}{more}"


class NotFound(HuitongError):
    def __init__(self, message: str):
        super().__init__(message, code="not_found", status=404)


class Forbidden(HuitongError):
    def __init__(self, message: str):
        super().__init__(message, code="forbidden", status=403)


class Unauthenticated(HuitongError):
    def __init__(self, message: str = "authentication required"):
        super().__init__(message, code="unauthenticated", status=401)


class Conflict(HuitongError):
    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message, code="conflict", problems=problems or [], status=409)


def invalid(message: str, *problems: Problem) -> HuitongError:
    return HuitongError(message, code="invalid", problems=list(problems), status=422)


class QuotaExceeded(HuitongError):
    """A grant's daily quota is used up; retry after midnight Beijing time."""

    def __init__(self, message: str):
        super().__init__(message, code="quota_exceeded", status=429)
