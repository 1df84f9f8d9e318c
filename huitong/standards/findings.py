"""What a validator found: specific, bilingual findings rather than a bare yes/no.

Every validator in this package returns a :class:`CheckResult`: the normalised value (when the
input could be read) plus findings.  An *error* means the value is wrong; a *warning* means it
is well-formed but worth a look (an unknown region, a legacy format), and never blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem with a value; ``code`` is stable, the messages are for people."""

    code: str
    message: str
    message_zh: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.severity} {self.code}: {self.message}"


@dataclass(frozen=True)
class CheckResult:
    """A checked value: ``value`` is the normalised form, or None if it could not be read."""

    value: str | None
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)


def error(code: str, message: str, message_zh: str) -> Finding:
    return Finding(code, message, message_zh, "error")


def warning(code: str, message: str, message_zh: str) -> Finding:
    return Finding(code, message, message_zh, "warning")


def not_text(value: object, what: str, what_zh: str) -> CheckResult:
    """The result for a missing or non-string input."""
    if value is None:
        return CheckResult(None, (error("empty", f"{what} is missing", f"{what_zh}为空"),))
    return CheckResult(
        None, (error("type", f"{what} must be text, got {type(value).__name__}", f"{what_zh}必须是文本"),)
    )
