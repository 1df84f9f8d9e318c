"""The state machine of one requested resource in an application (申请事项), as pure rules.

It follows the national flow: the platform operator's compliance review (符合性审查) first;
无条件 resources are then granted automatically, 有条件 ones go to the provider, who approves
with conditions or rejects with a reason; a refusal (or a 不予共享 resource) can go to
negotiation (协商) with the provider and, failing that, to the operator's coordination (协调).
It maps onto the Dataspace Protocol's negotiation: submitted ≈ REQUESTED, granted ≈ AGREED,
rejected/closed/withdrawn ≈ TERMINATED. Who may take each step is part of the rule, so the
service, the API and the console cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    submitted = "submitted"  # waiting for the operator's compliance review
    provider_review = "provider_review"
    rejected = "rejected"  # by the operator (not compliant) or the provider; reason recorded
    negotiation = "negotiation"
    coordination = "coordination"
    granted = "granted"
    closed = "closed"  # coordination ended without sharing
    withdrawn = "withdrawn"

    @property
    def label_zh(self) -> str:
        return LABELS_ZH[self]

    @property
    def final(self) -> bool:
        return self in (State.granted, State.closed, State.withdrawn)


LABELS_ZH = {
    State.submitted: "待符合性审查",
    State.provider_review: "待提供方审核",
    State.rejected: "已拒绝",
    State.negotiation: "协商中",
    State.coordination: "协调中",
    State.granted: "已授权",
    State.closed: "已关闭",
    State.withdrawn: "已撤回",
}


class Party(StrEnum):
    """Who acts: the platform operator (数据主管部门), the provider, or the consumer."""

    operator = "operator"
    provider = "provider"
    consumer = "consumer"


@dataclass(frozen=True)
class Step:
    action: str
    source: State
    party: Party
    needs_reason: bool = False


# action -> where it may start and who takes it; the target depends on the share type (below)
STEPS: dict[str, tuple[Step, ...]] = {
    "comply": (Step("comply", State.submitted, Party.operator),),
    "refuse": (Step("refuse", State.submitted, Party.operator, needs_reason=True),),
    "approve": (
        Step("approve", State.provider_review, Party.provider),
        Step("approve", State.negotiation, Party.provider),
        Step("approve", State.coordination, Party.operator),
    ),
    "reject": (
        Step("reject", State.provider_review, Party.provider, needs_reason=True),
        Step("reject", State.negotiation, Party.provider, needs_reason=True),
    ),
    "negotiate": (Step("negotiate", State.rejected, Party.consumer, needs_reason=True),),
    "escalate": (Step("escalate", State.negotiation, Party.consumer, needs_reason=True),),
    "close": (Step("close", State.coordination, Party.operator, needs_reason=True),),
    "withdraw": tuple(
        Step("withdraw", s, Party.consumer)
        for s in (
            State.submitted,
            State.provider_review,
            State.rejected,
            State.negotiation,
            State.coordination,
        )
    ),
}
ACTIONS = tuple(STEPS)
GRANTING = {"approve"}


class TransitionError(ValueError):
    """An action that the rules do not allow here; the message says what is allowed.
    ``kind``: ``state`` (not from this state), ``party`` (not by this actor) or ``reason``."""

    def __init__(self, message: str, kind: str = "state"):
        super().__init__(message)
        self.kind = kind


def target(action: str, source: State, share_type: str) -> State:
    """Where ``action`` from ``source`` leads for a resource of ``share_type``."""
    if action == "comply":
        if share_type == "unconditional":
            return State.granted
        if share_type == "none":
            return State.rejected  # 不予共享: only negotiation can open it
        return State.provider_review
    return {
        "refuse": State.rejected,
        "approve": State.granted,
        "reject": State.rejected,
        "negotiate": State.negotiation,
        "escalate": State.coordination,
        "close": State.closed,
        "withdraw": State.withdrawn,
    }[action]


def allowed_actions(source: State, parties: set[Party]) -> list[str]:
    """The actions that these parties may take now (for buttons and error messages)."""
    return [a for a, steps in STEPS.items() if any(s.source == source and s.party in parties for s in steps)]


def check(action: str, source: State, parties: set[Party], reason: str | None) -> Step:
    """The step being taken, or a TransitionError saying why not."""
    steps = STEPS.get(action)
    if steps is None:
        raise TransitionError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    here = [s for s in steps if s.source == source]
    if not here:
        possible = allowed_actions(source, set(Party))
        listed = ", ".join(possible) if possible else "none (it is final)"
        raise TransitionError(f"cannot {action} a request that is {source.value}; possible now: {listed}")
    mine = [s for s in here if s.party in parties]
    if not mine:
        raise TransitionError(
            f"only the {here[0].party.value} may {action} a request that is {source.value}", "party"
        )
    step = mine[0]
    if step.needs_reason and not (reason and reason.strip()):
        raise TransitionError(f"{action} needs a reason (理由)", "reason")
    return step
