"""The state machine of one objection (异议), as pure rules: who may take which step, and when it is due.

Whoever receives data (a consumer department on a grant, a citizen, later the public) may object to
a record, one field of a record, or a whole resource. The steps follow DB3208/T 219-2024: 异议提出
(submit), 异议受理 (accept), 异议标注 (flag), 异议核实与处理 (verify: correct or reject), 标注撤销
(unflag) and 档案管理 (archive). The platform operator (数据主管部门) accepts, flags and forwards
within 2 working days of submission; the holder department (whose load produced the value) answers
within 5 working days of forwarding, extendable once, with a reason, to 10 in total.

Choices made here, so that the state alone says what may happen next and whether the value is
disputed (no hidden flags beside it):

* Refusing to accept is ``declined`` (不予受理), a final state of its own, not ``rejected``: a
  declined objection was never flagged, so there is nothing to unflag, while ``rejected`` (驳回,
  the holder checked and the value stands) still carries the flag until the operator removes it.
* The one extension is a state, ``extended`` (核实中（已延期）), so a second one is refused by the
  table itself and the deadline follows from the state.
* The raiser may withdraw (撤回) until the holder answers. Before flagging that simply ends it
  (``withdrawn``); after flagging nobody disputes the value any more, so the flag comes off with
  the withdrawal and the objection goes to ``unflagged``, to be archived like an answered one.

Who may take each step is part of the rule, so the service, the API and the console cannot
disagree (as in :mod:`huitong.share.states`). No database, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from huitong import workdays
from huitong.errors import Conflict, Forbidden, Problem, invalid


class State(StrEnum):
    submitted = "submitted"  # waiting for the operator to accept (受理)
    accepted = "accepted"  # accepted; the operator flags the value next
    flagged = "flagged"  # shown as disputed; the operator forwards it to the holder next
    verifying = "verifying"  # the holder checks the value (5 working days)
    extended = "extended"  # still verifying, after the one extension (10 working days in total)
    corrected = "corrected"  # the holder fixed it; the step names the correction
    rejected = "rejected"  # the holder checked and the value stands; reason recorded
    unflagged = "unflagged"  # flag removed; waiting to be archived
    archived = "archived"
    declined = "declined"  # the operator did not accept it (不予受理); reason recorded
    withdrawn = "withdrawn"  # the raiser withdrew it before it was flagged

    @property
    def label_zh(self) -> str:
        return LABELS_ZH[self]

    @property
    def final(self) -> bool:
        return self in (State.archived, State.declined, State.withdrawn)

    @property
    def disputed(self) -> bool:
        """Whether the value carries the objection flag (异议标注): from ``flag`` until it is removed."""
        return self in DISPUTED


LABELS_ZH = {
    State.submitted: "已提出",
    State.accepted: "已受理",
    State.flagged: "已标注",
    State.verifying: "核实中",
    State.extended: "核实中（已延期）",
    State.corrected: "已更正",
    State.rejected: "已驳回",
    State.unflagged: "已撤销标注",
    State.archived: "已归档",
    State.declined: "不予受理",
    State.withdrawn: "已撤回",
}
DISPUTED = frozenset({State.flagged, State.verifying, State.extended, State.corrected, State.rejected})


class Party(StrEnum):
    """Who acts: the one who raised the objection, the platform operator (数据主管部门), or the
    holder department (数据提供部门, whose load produced the value)."""

    raiser = "raiser"
    operator = "operator"
    holder = "holder"


@dataclass(frozen=True)
class Step:
    action: str
    source: State
    target: State
    party: Party
    needs_reason: bool = False
    needs_correction: bool = False  # a new version's snapshot id or a recorded point fix id


def _each(action: str, sources: tuple[State, ...], target: State, party: Party, **needs: bool):
    return tuple(Step(action, s, target, party, **needs) for s in sources)


_ANSWERING = (State.verifying, State.extended)

# action -> where it may start, where it leads and who takes it
STEPS: dict[str, tuple[Step, ...]] = {
    "accept": (Step("accept", State.submitted, State.accepted, Party.operator),),
    "decline": (Step("decline", State.submitted, State.declined, Party.operator, needs_reason=True),),
    "flag": (Step("flag", State.accepted, State.flagged, Party.operator),),
    "forward": (Step("forward", State.flagged, State.verifying, Party.operator),),
    "extend": (Step("extend", State.verifying, State.extended, Party.holder, needs_reason=True),),
    "correct": _each("correct", _ANSWERING, State.corrected, Party.holder, needs_correction=True),
    "reject": _each("reject", _ANSWERING, State.rejected, Party.holder, needs_reason=True),
    "unflag": _each("unflag", (State.corrected, State.rejected), State.unflagged, Party.operator),
    "archive": (Step("archive", State.unflagged, State.archived, Party.operator),),
    "withdraw": _each("withdraw", (State.submitted, State.accepted), State.withdrawn, Party.raiser)
    + _each("withdraw", (State.flagged, *_ANSWERING), State.unflagged, Party.raiser),
}
ACTIONS = tuple(STEPS)


def _describe(state: State) -> str:
    return f"{state.value} ({state.label_zh})"


def _parties(steps: list[Step]) -> str:
    return " or ".join(dict.fromkeys(s.party.value for s in steps))


def find(state: State | str, action: str) -> list[Step]:
    """The steps ``action`` has from ``state`` (empty when it is not possible there)."""
    return [s for s in STEPS.get(action, ()) if s.source == state]


def actions(state: State | str, party: Party | str | None = None) -> list[str]:
    """What ``party`` (anyone, when None) may do now, in table order: for buttons and error messages."""
    return [
        a for a, steps in STEPS.items() if any(s.source == state and party in (None, s.party) for s in steps)
    ]


def _possible(state: State) -> str:
    listed = [f"{a} (by the {_parties(find(state, a))})" for a in actions(state)]
    return ", ".join(listed) if listed else "nothing (it is final)"


def step(
    state: State | str,
    action: str,
    party: Party | str,
    *,
    reason: str | None = None,
    correction: str | None = None,
) -> State:
    """The state after ``party`` takes ``action``, or a HuitongError saying why not and who may.

    Conflict (409) when the action is not possible in this state, Forbidden (403) when another
    party takes it, invalid (422) when a deciding step lacks its reason (理由) or ``correct`` lacks
    the correction it made (a new version's snapshot id or a point fix id).
    """
    if action not in STEPS:
        raise invalid(
            f"unknown objection action {action!r}: use one of {', '.join(ACTIONS)}",
            Problem(f"unknown action {action!r}", field="action", value=str(action)),
        )
    try:
        state, party = State(state), Party(party)
    except ValueError as exc:
        raise invalid(f"not an objection state or party: {exc}") from exc
    here = find(state, action)
    if not here:
        raise Conflict(
            f"cannot {action} an objection that is {_describe(state)}; possible now: {_possible(state)}"
        )
    mine = [s for s in here if s.party == party]
    if not mine:
        raise Forbidden(
            f"only the {_parties(here)} may {action} an objection that is {_describe(state)}, "
            f"not the {party.value}"
        )
    chosen = mine[0]
    if chosen.needs_reason and not (reason and reason.strip()):
        raise invalid(
            f"{action} needs a reason (理由)",
            Problem("a reason is required", field="reason", code="objection.reason_required"),
        )
    if chosen.needs_correction and not (correction and correction.strip()):
        raise invalid(
            f"{action} needs the correction it made: a new version's snapshot id or a point fix id",
            Problem(
                "a correction link is required", field="correction", code="objection.correction_required"
            ),
        )
    return chosen.target


# ---------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class Deadlines:
    """Working-day limits for objections (configurable: local rules differ). ``extended_days`` is the
    holder's total after its one extension, counted from forwarding like ``answer_days``."""

    accept_days: int = 2  # the operator: submission to forwarding (accept, flag, forward)
    answer_days: int = 5  # the holder: forwarding to its answer
    extended_days: int = 10

    def __post_init__(self) -> None:
        if min(self.accept_days, self.answer_days, self.extended_days) < 0:
            raise ValueError("objection deadlines are 0 or more working days")
        if self.extended_days < self.answer_days:
            raise ValueError("extended_days is the total after an extension, so it is at least answer_days")


@dataclass(frozen=True)
class Due:
    """When the current stage is due, and by whom. ``provisional``: the calendar of a year it spans
    is not published yet (weekdays were counted), so show it as such."""

    at: datetime  # UTC, the end of the last working day in Beijing time
    party: Party
    working_days: int
    provisional: bool


# the clock of each stage: who owes the next step and which limit applies; the stage starts at
# submission for the operator's states and at forwarding for the holder's (an extension keeps it)
_CLOCKS: dict[State, tuple[Party, str]] = {
    State.submitted: (Party.operator, "accept_days"),
    State.accepted: (Party.operator, "accept_days"),
    State.flagged: (Party.operator, "accept_days"),
    State.verifying: (Party.holder, "answer_days"),
    State.extended: (Party.holder, "extended_days"),
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def due(state: State | str, since: datetime, deadlines: Deadlines | None = None) -> Due | None:
    """When the current stage is due, given when it started (UTC; naive is read as UTC): the time
    of submission for submitted/accepted/flagged, of forwarding for verifying/extended. None when
    no clock runs (answered, unflagged or final)."""
    clock = _CLOCKS.get(State(state))
    if clock is None:
        return None
    party, limit = clock
    days = getattr(deadlines or Deadlines(), limit)
    since = _utc(since)
    at = workdays.deadline(since, days)
    first, last = (m.astimezone(workdays.CHINA).year for m in (since, at))
    provisional = not all(workdays.known_year(y) for y in range(first, last + 1))
    return Due(at, party, days, provisional)


def overdue(state: State | str, since: datetime, now: datetime, deadlines: Deadlines | None = None) -> bool:
    """Whether the current stage is past its due time at ``now`` (never, when no clock runs)."""
    d = due(state, since, deadlines)
    return d is not None and _utc(now) > d.at


def can_extend(state: State | str) -> bool:
    """The holder may extend once, while verifying: after it the state is ``extended``."""
    return bool(find(state, "extend"))
