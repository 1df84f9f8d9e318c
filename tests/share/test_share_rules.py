"""The pure rules of sharing: the state machine, working-day deadlines and masking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.share import calendar
from huitong.share.masking import (
    ItemView,
    Treatment,
    check_treatment,
    default_treatment,
    keep,
    mask_function,
    pseudonym,
    pseudonym_key,
    render,
)
from huitong.share.states import ACTIONS, Party, State, TransitionError, allowed_actions, check, target

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


def test_display_masks_follow_the_conventions():
    assert mask_function("id_number")("330106198005170118") == "330106********0118"
    assert mask_function("mobile")("13812345678") == "138****5678"
    assert mask_function("name")("张三") == "张*" and mask_function("name")("司马相如") == "司马**"
    assert mask_function("address")("浙江省杭州市西湖区文三路90号") == "浙江省杭州市西湖区" + "*" * 6
    assert mask_function("email")("zhang.san@zj.gov.cn") == "z***@zj.gov.cn"
    assert mask_function("keep:2:1")("ABCDEFG") == "AB****G"
    with pytest.raises(ValueError, match="mask rule"):
        mask_function("keep:x")


@given(st.text(min_size=0, max_size=40), st.integers(0, 8), st.integers(0, 8))
def test_keep_never_reveals_more_than_asked_and_keeps_length(text, p, s):
    out = keep(text, p, s)
    assert len(out) == len(text)
    hidden = out.count("*") - text.count("*")
    assert hidden >= 0
    if len(text) > p + s:
        assert out[:p] == text[:p] and (s == 0 or out[-s:] == text[-s:])
        assert set(out[p : len(text) - s]) <= {"*"}
    else:
        assert set(out) <= {"*"}  # too short to hide anything: hidden whole


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
