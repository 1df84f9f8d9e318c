"""The pure rules of objections (异议): the state machine, who may take each step, and working-day deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong import workdays
from huitong.errors import Conflict, Forbidden, HuitongError
from huitong.quality.objection_flow import (
    ACTIONS,
    DISPUTED,
    STEPS,
    Deadlines,
    Party,
    State,
    actions,
    can_extend,
    due,
    overdue,
    step,
)

RAISER, OPERATOR, HOLDER = Party.raiser, Party.operator, Party.holder


def walk(*moves, start=State.submitted):
    """Take (action, party[, kwargs]) moves and return the states passed through."""
    states = [start]
    for action, party, *kw in moves:
        states.append(step(states[-1], action, party, **(kw[0] if kw else {})))
    return states


# ---------------------------------------------------------------- paths


def test_the_full_walk_from_submission_to_archive_with_a_correction():
    states = walk(
        ("accept", OPERATOR),
        ("flag", OPERATOR),
        ("forward", OPERATOR),
        ("correct", HOLDER, {"correction": "snapshot:0193a7"}),
        ("unflag", OPERATOR),
        ("archive", OPERATOR),
    )
    assert states == [
        State.submitted,
        State.accepted,
        State.flagged,
        State.verifying,
        State.corrected,
        State.unflagged,
        State.archived,
    ]
    assert [s.label_zh for s in states] == [
        "已提出",
        "已受理",
        "已标注",
        "核实中",
        "已更正",
        "已撤销标注",
        "已归档",
    ]
    assert [s.disputed for s in states] == [False, False, True, True, True, False, False]
    assert states[-1].final and actions(State.archived) == []


def test_a_rejected_objection_keeps_its_flag_until_the_operator_removes_it():
    states = walk(
        ("accept", OPERATOR),
        ("flag", OPERATOR),
        ("forward", OPERATOR),
        ("extend", HOLDER, {"reason": "需调取纸质档案"}),
        ("reject", HOLDER, {"reason": "经核实原值无误"}),
    )
    assert states[-2:] == [State.extended, State.rejected]
    assert State.rejected.disputed and not State.rejected.final
    assert actions(State.rejected, OPERATOR) == ["unflag"] and actions(State.rejected, HOLDER) == []
    assert walk(("unflag", OPERATOR), ("archive", OPERATOR), start=State.rejected)[-1] == State.archived


def test_the_operator_may_decline_to_accept_but_only_with_a_reason():
    assert step(State.submitted, "decline", OPERATOR, reason="不属于本平台数据") == State.declined
    assert State.declined.final and not State.declined.disputed and State.declined.label_zh == "不予受理"
    with pytest.raises(HuitongError, match="decline needs a reason") as exc:
        step(State.submitted, "decline", OPERATOR, reason="  ")
    assert exc.value.status == 422 and exc.value.problems[0].field == "reason"
    with pytest.raises(Conflict, match="cannot decline an objection that is accepted"):
        step(State.accepted, "decline", OPERATOR, reason="x")


def test_the_raiser_may_withdraw_until_the_holder_answers_and_a_flag_comes_off_with_it():
    for before in (State.submitted, State.accepted):
        assert step(before, "withdraw", RAISER) == State.withdrawn
    for before in (State.flagged, State.verifying, State.extended):
        assert before.disputed
        after = step(before, "withdraw", RAISER)
        assert after == State.unflagged and not after.disputed
        assert actions(after, OPERATOR) == ["archive"]
    for answered in (State.corrected, State.rejected, State.unflagged):
        with pytest.raises(Conflict, match=f"cannot withdraw an objection that is {answered.value}"):
            step(answered, "withdraw", RAISER)
    assert State.withdrawn.final and actions(State.withdrawn) == []


def test_actions_list_what_each_party_may_do_now():
    assert actions(State.submitted, OPERATOR) == ["accept", "decline"]
    assert actions(State.submitted, RAISER) == ["withdraw"]
    assert actions(State.submitted, HOLDER) == []
    assert actions(State.verifying, HOLDER) == ["extend", "correct", "reject"]
    assert actions(State.extended, HOLDER) == ["correct", "reject"]
    assert actions(State.verifying) == ["extend", "correct", "reject", "withdraw"]
    assert all(actions(s) == [] for s in State if s.final)
    assert all(actions(s) for s in State if not s.final), "no state but a final one is a dead end"


# ---------------------------------------------------------------- refusals


def test_every_step_by_a_wrong_party_is_refused_naming_the_action_the_state_and_who_may():
    refused = 0
    for steps in STEPS.values():
        for s in steps:
            for party in set(Party) - {s.party}:
                with pytest.raises(Forbidden) as exc:
                    step(s.source, s.action, party, reason="理由", correction="fix:1")
                message = str(exc.value)
                assert f"only the {s.party.value} may {s.action}" in message
                assert s.source.value in message and s.source.label_zh in message
                assert f"not the {party.value}" in message and exc.value.status == 403
                refused += 1
    assert refused == 2 * sum(len(v) for v in STEPS.values())


def test_a_step_not_possible_in_this_state_says_what_is():
    with pytest.raises(Conflict) as exc:
        step(State.submitted, "correct", HOLDER, correction="fix:1")
    message = str(exc.value)
    assert "cannot correct an objection that is submitted (已提出)" in message
    assert "accept (by the operator), decline (by the operator), withdraw (by the raiser)" in message
    assert exc.value.status == 409
    with pytest.raises(Conflict, match=r"possible now: nothing \(it is final\)"):
        step(State.archived, "unflag", OPERATOR)
    with pytest.raises(HuitongError, match="unknown objection action 'approve'"):
        step(State.submitted, "approve", OPERATOR)
    with pytest.raises(HuitongError, match="not an objection state or party"):
        step(State.submitted, "accept", "citizen")


def test_the_holder_may_extend_once_only_while_verifying_and_only_with_a_reason():
    assert can_extend(State.verifying)
    assert [s for s in State if can_extend(s)] == [State.verifying]
    with pytest.raises(HuitongError, match="extend needs a reason") as exc:
        step(State.verifying, "extend", HOLDER)
    assert exc.value.status == 422
    extended = step(State.verifying, "extend", HOLDER, reason="涉及多个部门")
    with pytest.raises(Conflict, match=r"cannot extend an objection that is extended \(核实中（已延期）\)"):
        step(extended, "extend", HOLDER, reason="又要延期")
    with pytest.raises(Conflict, match="cannot extend an objection that is flagged"):
        step(State.flagged, "extend", HOLDER, reason="x")


def test_a_correction_must_name_what_it_changed():
    for source in (State.verifying, State.extended):
        for missing in (None, "", "   "):
            with pytest.raises(HuitongError, match="correct needs the correction it made") as exc:
                step(source, "correct", HOLDER, correction=missing, reason="已更正")
            assert exc.value.problems[0].field == "correction"
        assert step(source, "correct", HOLDER, correction="pointfix:42") == State.corrected


# ---------------------------------------------------------------- deadlines


def beijing(y, m, d, h=10):
    return datetime(y, m, d, h - 8, tzinfo=UTC)


def end_of(day: date) -> datetime:
    return datetime.combine(day, workdays.END_OF_DAY, tzinfo=workdays.CHINA).astimezone(UTC)


def test_the_2026_national_day_break_is_as_the_calendar_publishes_it():
    off = [date(2026, 10, d) for d in range(1, 8)]
    assert all(not chinese_calendar.is_workday(d) for d in off)
    assert chinese_calendar.is_workday(date(2026, 9, 30)) and chinese_calendar.is_workday(date(2026, 10, 8))
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # Saturday, a make-up day (调休)


def test_a_deadline_across_the_national_day_break_falls_after_it():
    forwarded = beijing(2026, 9, 30)
    # 5 working days: 8, 9, 10 (make-up Saturday), 12, 13 October
    answer = due(State.verifying, forwarded)
    assert answer.at == end_of(date(2026, 10, 13)) == datetime(2026, 10, 13, 15, 59, 59, tzinfo=UTC)
    assert answer.party == HOLDER and answer.working_days == 5 and not answer.provisional
    # extended to 10 in total, still from forwarding: 14, 15, 16, 19, 20 October
    assert due(State.extended, forwarded).at == end_of(date(2026, 10, 20))
    # the operator's 2 days run from submission through accept and flag to forwarding
    for state in (State.submitted, State.accepted, State.flagged):
        assert (
            due(state, forwarded).at == end_of(date(2026, 10, 9)) and due(state, forwarded).party == OPERATOR
        )
    # 01:00 on 1 October in Beijing is already in the break: the day of receipt never counts
    assert due(State.verifying, datetime(2026, 9, 30, 17, tzinfo=UTC)).at == end_of(date(2026, 10, 13))
    assert due(State.verifying, datetime(2026, 9, 30, 15, tzinfo=UTC)).at == end_of(date(2026, 10, 13))
    assert due(State.verifying, beijing(2026, 9, 29)).at == end_of(date(2026, 10, 12))


def test_an_objection_is_overdue_after_the_end_of_its_last_working_day():
    forwarded = beijing(2026, 9, 30)
    last = end_of(date(2026, 10, 13))
    assert not overdue(State.verifying, forwarded, last)
    assert overdue(State.verifying, forwarded, last + timedelta(seconds=1))
    assert not overdue(State.extended, forwarded, last + timedelta(seconds=1))
    assert overdue(State.flagged, beijing(2026, 9, 30), beijing(2026, 10, 10))
    assert overdue(
        State.verifying, forwarded.replace(tzinfo=None), (last + timedelta(hours=1)).replace(tzinfo=None)
    )
    for answered in (State.corrected, State.rejected, State.unflagged, State.archived, State.withdrawn):
        assert due(answered, forwarded) is None and not overdue(answered, forwarded, beijing(2027, 1, 1))


def test_deadlines_are_configurable_and_a_year_without_a_calendar_is_provisional():
    local = Deadlines(accept_days=1, answer_days=3, extended_days=6)
    assert due(State.submitted, beijing(2026, 9, 30), local).at == end_of(date(2026, 10, 8))
    assert due(State.verifying, beijing(2026, 9, 30), local).at == end_of(date(2026, 10, 10))
    with pytest.raises(ValueError, match="at least answer_days"):
        Deadlines(answer_days=5, extended_days=4)
    with pytest.raises(ValueError, match="0 or more"):
        Deadlines(accept_days=-1)
    assert not workdays.known_year(2031)
    assert due(State.verifying, beijing(2031, 3, 3)).provisional
    assert due(State.verifying, beijing(2026, 12, 29)).provisional  # runs into 2027
    assert not due(State.verifying, beijing(2026, 12, 1)).provisional


# ---------------------------------------------------------------- properties

moves = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.sampled_from(list(Party)),
        st.booleans(),  # with a reason
        st.booleans(),  # with a correction link
        st.integers(0, 9),  # 3 and more: take a step the table has instead (see ``_choose``)
    ),
    max_size=30,
)
ENDING = ("withdraw", "decline")


def _choose(state, action, party, pick):
    """The random move for a small pick; else one the table has here, mostly not an early ending,
    so that long walks reach extension, answers and archive rather than stop at a withdrawal."""
    if pick < 3:
        return action, party
    here = [(s.action, s.party) for steps in STEPS.values() for s in steps if s.source == state]
    onward = [m for m in here if m[0] not in ENDING] if pick < 9 else here
    onward = onward or here
    return onward[pick % len(onward)] if onward else (action, party)


def _table(state, action, party):
    return [s for s in STEPS[action] if s.source == state and s.party == party]


@given(st.sampled_from(list(State)), moves)
def test_any_sequence_of_steps_follows_the_table_or_is_refused_without_moving(state, seq):
    for action, party, with_reason, with_link, pick in seq:
        action, party = _choose(state, action, party, pick)
        reason, link = ("理由" if with_reason else None), ("fix:7" if with_link else None)
        before = state
        rule = _table(state, action, party)
        try:
            state = step(state, action, party, reason=reason, correction=link)
        except HuitongError as exc:
            assert state == before
            assert action in str(exc)
            if not rule:
                assert isinstance(exc, Conflict | Forbidden)
            else:  # allowed here, by this party: only a missing reason or link refuses it
                assert exc.status == 422
                assert (rule[0].needs_reason and not reason) or (rule[0].needs_correction and not link)
            continue
        assert len(rule) == 1 and state == rule[0].target
        assert not before.final
        assert (reason or not rule[0].needs_reason) and (link or not rule[0].needs_correction)


@given(moves)
def test_disputed_holds_exactly_between_the_flag_and_its_removal(seq):
    state, flag_on, extensions = State.submitted, False, 0
    for action, party, _, _, pick in seq:
        action, party = _choose(state, action, party, pick)
        try:
            state = step(state, action, party, reason="理由", correction="snapshot:1")
        except HuitongError:
            continue
        if action == "flag":
            flag_on = True
        elif action in ("unflag", "withdraw"):
            flag_on = False
        extensions += action == "extend"
        assert state.disputed == flag_on == (state in DISPUTED)
        assert extensions <= 1
        assert (due(state, datetime(2026, 3, 2, tzinfo=UTC)) is None) != (
            state in (State.submitted, State.accepted, State.flagged, State.verifying, State.extended)
        )


def reference_day(start: datetime, n: int) -> date:
    """Count working days one at a time, straight from chinese_calendar."""
    day, left = start.astimezone(workdays.CHINA).date(), n
    while left:
        day += timedelta(days=1)
        left -= bool(chinese_calendar.is_workday(day))
    return day


@given(
    st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2026, 11, 30)),
    st.sampled_from([State.submitted, State.accepted, State.flagged, State.verifying, State.extended]),
    st.integers(0, 6),
    st.integers(0, 8),
    st.integers(0, 6),
)
def test_the_due_time_is_never_earlier_than_the_working_days_counted_one_by_one(start, state, a, b, extra):
    start = start.replace(tzinfo=UTC)
    limits = Deadlines(accept_days=a, answer_days=b, extended_days=b + extra)
    d = due(state, start, limits)
    n = {State.verifying: b, State.extended: b + extra}.get(state, a)
    assert d.working_days == n and not d.provisional
    assert d.at >= end_of(reference_day(start, n)) and d.at == end_of(reference_day(start, n))
    assert d.at > start or (n == 0 and d.at + timedelta(seconds=1) > start)  # the end of that day
    assert workdays.working_days_between(start, d.at) == n
