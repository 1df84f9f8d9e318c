"""The pure rules of sharing: the state machine, working-day deadlines and masking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong import workdays as calendar
from huitong.share.states import ACTIONS, Party, State, TransitionError, allowed_actions, check, target
from huitong.share.treatments import (
    ItemView,
    Treatment,
    check_treatment,
    default_treatment,
    mask_function,
    pseudonym,
    pseudonym_key,
    render,
)

# ---------------------------------------------------------------- state machine


@given(
    st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(list(Party)), st.booleans()), max_size=25),
    st.sampled_from(["unconditional", "conditional", "none"]),
)
def test_no_sequence_of_steps_leaves_the_graph_or_moves_a_final_request(steps, share_type):
    state = State.submitted
    for action, party, with_reason in steps:
        before = state
        try:
            step = check(action, state, {party}, "理由" if with_reason else None)
        except TransitionError as exc:
            assert exc.kind in ("state", "party", "reason")
            continue
        assert not before.final, "a final request never moves"
        assert step.party == party
        state = target(action, before, share_type)
        if action == "approve":
            assert state == State.granted
        if share_type == "unconditional" and action == "comply":
            assert state == State.granted
    assert state in set(State)


def test_refusals_need_reasons_and_final_states_allow_nothing():
    with pytest.raises(TransitionError, match="needs a reason"):
        check("reject", State.provider_review, {Party.provider}, "  ")
    for final in (State.granted, State.closed, State.withdrawn):
        assert allowed_actions(final, set(Party)) == []
    assert allowed_actions(State.provider_review, {Party.provider}) == ["approve", "reject"]
    assert target("comply", State.submitted, "none") == State.rejected


# ---------------------------------------------------------------- working days


def at(y, m, d, h=2):
    return datetime(y, m, d, h, tzinfo=UTC)  # 10:00 Beijing time


def test_deadlines_skip_weekends_and_statutory_holidays_and_count_make_up_days():
    assert calendar.deadline(at(2026, 11, 20), 2).date() == date(2026, 11, 24)  # Fri → Tue
    assert calendar.deadline(at(2026, 9, 30), 2).date() == date(2026, 10, 9)  # over 国庆 1-7 Oct
    assert calendar.is_working_day(date(2026, 10, 10))  # a make-up Saturday (调休) counts
    assert not calendar.is_working_day(date(2026, 10, 5))
    assert calendar.working_days_between(at(2026, 9, 30), at(2026, 10, 12)) == 4
    assert calendar.deadline(at(2026, 11, 20), 0).date() == date(2026, 11, 20)


def test_a_year_without_a_published_calendar_falls_back_to_weekdays_and_says_so():
    assert not calendar.known_year(2031) and calendar.known_year(2026)
    assert calendar.deadline(at(2031, 1, 3), 1).date() == date(2031, 1, 6)  # Fri → Mon


@given(st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2030, 12, 1)), st.integers(0, 30))
def test_a_deadline_is_n_working_days_later_and_ends_on_a_working_day(start, n):
    start = start.replace(tzinfo=UTC)
    due = calendar.deadline(start, n)
    assert calendar.working_days_between(start, due) == n
    assert due >= start
    if n:
        assert calendar.is_working_day(due.astimezone(calendar.CHINA).date())
    assert calendar.working_days_between(due, start) == -n


# ---------------------------------------------------------------- masking


def test_a_mask_treatment_without_an_element_rule_keeps_the_first_and_last_character():
    # ``none`` means "shown as it is" on the element; a grant that masks it anyway gets ``default``
    assert mask_function("none")("ABCDEFG") == "A*****G" == mask_function(None)("ABCDEFG")
    assert render(ItemView("x", Treatment.mask, "none"), ["张", "张三", None]) == ["*", "**", None]
    assert render(ItemView("x", Treatment.mask, "name"), ["张", "司马相如"]) == ["*", "司马**"]


def test_grades_decide_the_default_and_core_is_never_clear():
    assert default_treatment("general_2", "id_number") == Treatment.clear
    assert default_treatment("general_3", None) == Treatment.clear
    assert default_treatment("general_3", "name") == Treatment.mask
    assert default_treatment("general_4", None) == Treatment.mask
    assert default_treatment("core", None) == Treatment.hidden
    with pytest.raises(ValueError, match="核心"):
        check_treatment("指纹", "core", "clear")


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=10), st.text(min_size=1, max_size=10))
def test_pseudonyms_are_stable_per_consumer_and_differ_across_consumers(value, a, b):
    secret = b"k" * 32
    ka, kb = pseudonym_key(secret, a), pseudonym_key(secret, b)
    assert pseudonym(ka, value) == pseudonym(ka, value)
    if a != b:
        assert pseudonym(ka, value) != pseudonym(kb, value)
    assert render(ItemView("x", Treatment.hidden), [value]) == [None]
    assert render(ItemView("x", Treatment.pseudonym), [value, None], ka)[1] is None
