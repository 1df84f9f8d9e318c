"""An application through its decisions, on SQLite and PostgreSQL: compliance review, conditional
approval with reduced items, refusals with reasons, negotiation and coordination, deadlines in
working days, and the evidence every step leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from huitong import workdays as calendar
from huitong.errors import Conflict, Forbidden, HuitongError
from huitong.ledger.tables import EvidenceEntry
from huitong.share import applications as apps
from huitong.share.grants import Conditions
from huitong.share.tables import Grant, ShareRequest


def test_conditional_request_goes_operator_then_provider_and_grants_only_the_approved_items(sharing):
    rid = sharing.apply()
    with sharing.db.session() as s:
        req = s.get(ShareRequest, rid)
        assert req.state == "submitted"
        assert req.due_at == calendar.deadline(req.state_since, 2)  # operator: 2 working days
        assert req.items == ["公民身份号码", "姓名", "性别", "住址", "区划代码"]
    assert sharing.act(rid, "op", "comply") == ("provider_review", None)
    with sharing.db.session() as s:
        req = s.get(ShareRequest, rid)
        assert req.due_at == calendar.deadline(req.state_since, 10)  # not loaded by a pipeline: 10
    state, grant_id = sharing.act(
        rid, "ga", "approve", conditions=Conditions(items=["公民身份号码", "姓名"], max_requests_per_day=50)
    )
    assert state == "granted"
    with sharing.db.session() as s:
        g = s.get(Grant, grant_id)
        assert g.items == ["公民身份号码", "姓名"]
        assert g.treatments == {"公民身份号码": "mask", "姓名": "mask"}
        assert g.purpose == "data_verification" and g.max_requests_per_day == 50
        actions = [
            e.action
            for e in s.scalars(
                select(EvidenceEntry).where(
                    EvidenceEntry.object_type == "share_request", EvidenceEntry.object_id == str(rid)
                )
            )
        ]
    assert actions == ["share.submit", "share.comply", "share.approve"]


def test_unconditional_resources_are_granted_at_the_compliance_review(sharing):
    rid = sharing.apply(sharing.open_code)
    state, grant_id = sharing.act(rid, "op", "comply")
    assert state == "granted" and grant_id is not None


def test_a_refusal_needs_a_reason_and_can_go_to_negotiation_and_coordination(sharing):
    rid = sharing.apply()
    sharing.act(rid, "op", "comply")
    with pytest.raises(HuitongError, match="needs a reason"):
        sharing.act(rid, "ga", "reject")
    assert sharing.act(rid, "ga", "reject", reason="用途与数据不符")[0] == "rejected"
    assert sharing.act(rid, "mz", "negotiate", reason="仅需核验身份，不需住址")[0] == "negotiation"
    assert sharing.act(rid, "ga", "reject", reason="仍不同意")[0] == "rejected"
    sharing.act(rid, "mz", "negotiate", reason="再次协商")
    assert sharing.act(rid, "mz", "escalate", reason="请数据局协调")[0] == "coordination"
    state, grant_id = sharing.act(rid, "op", "approve", conditions=Conditions(items=["公民身份号码", "姓名"]))
    assert state == "granted" and grant_id
    with sharing.db.session() as s:
        history = [(t.action, t.party, t.reason) for t in apps.transitions(s, s.get(ShareRequest, rid))]
    assert history[0] == ("submit", "consumer", None)
    assert ("reject", "provider", "用途与数据不符") in history
    assert history[-1] == ("approve", "operator", None)


def test_a_none_share_resource_is_refused_at_review_and_opens_only_by_negotiation(sharing):
    rid = sharing.apply(sharing.closed_code)
    assert sharing.act(rid, "op", "comply")[0] == "rejected"
    assert sharing.act(rid, "mz", "negotiate", reason="办案协查需要")[0] == "negotiation"


def test_illegal_steps_and_wrong_parties_are_refused_with_what_is_possible(sharing):
    rid = sharing.apply()
    with pytest.raises(Forbidden, match="only the operator may comply"):
        sharing.act(rid, "ga", "comply")
    with pytest.raises(
        Conflict, match="cannot approve a request that is submitted; possible now: comply, refuse, withdraw"
    ):
        sharing.act(rid, "op", "approve")
    with pytest.raises(Forbidden, match="only the consumer may withdraw"):
        sharing.act(rid, "ga", "withdraw")
    with pytest.raises(HuitongError, match="no share request"):
        sharing.act(rid, "sj", "withdraw")  # another department cannot even see it
    assert sharing.act(rid, "mz", "withdraw")[0] == "withdrawn"
    with pytest.raises(Conflict, match="it is final"):
        sharing.act(rid, "mz", "withdraw")


def test_approval_conditions_are_checked(sharing):
    rid = sharing.apply(items=["公民身份号码", "姓名"])
    sharing.act(rid, "op", "comply")
    with pytest.raises(HuitongError) as err:
        sharing.act(rid, "ga", "approve", conditions=Conditions(items=["住址"], modes=["carrier pigeon"]))
    fields = {p.field for p in err.value.problems}
    assert {"items", "modes"} <= fields
    with sharing.db.session() as s:
        assert s.get(ShareRequest, rid).state == "provider_review"  # nothing half-done


def test_a_department_cannot_apply_for_its_own_data_or_for_unknown_items(sharing):
    with pytest.raises(Forbidden, match="own resources"):
        sharing.apply(who="ga")
    with pytest.raises(HuitongError, match="not complete") as err:
        sharing.apply(items=["不存在的项"])
    assert "不存在的项" in err.value.problems[0].message


def test_overdue_requests_are_listed_and_counted_per_department(sharing):
    late = sharing.apply()
    on_time = sharing.apply()
    sharing.act(on_time, "op", "comply")
    with sharing.db.session() as s:
        req = s.get(ShareRequest, late)  # as if it had been filed six weeks ago
        req.due_at -= timedelta(days=40)
        req.state_since -= timedelta(days=42)
    with sharing.db.session() as s:
        overdue = apps.list_requests(s, sharing.actor("op"), overdue_only=True)
        assert [r.id for r in overdue] == [late]
        assert apps.request_dict(overdue[0])["overdue"] is True
        # the consumer department sees its own overdue application too; another department does not
        assert [
            r.id for r in apps.list_requests(s, sharing.actor("mz"), role="consumer", overdue_only=True)
        ] == [late]
        assert apps.list_requests(s, sharing.actor("sj"), overdue_only=True) == []
    sharing.act(late, "op", "comply")  # decided late
    sharing.act(late, "ga", "approve")
    with sharing.db.session() as s:
        stats = apps.department_stats(s, sharing.actor("op"))
        t = [x for x in apps.transitions(s, s.get(ShareRequest, late)) if x.action == "comply"][0]
        assert t.overdue and t.working_days >= 20
    (police,) = stats  # only 公安 has received requests
    assert police["received"] == 2 and police["decided"] == 1
    assert police["median_decision_days"] == 0


def test_every_party_sees_only_its_own_requests(sharing):
    rid = sharing.apply()
    with sharing.db.session() as s:
        assert [r.id for r in apps.list_requests(s, sharing.actor("ga"), role="provider")] == [rid]
        assert [r.id for r in apps.list_requests(s, sharing.actor("mzu"), role="consumer")] == [rid]
        assert apps.list_requests(s, sharing.actor("sj")) == []
        assert (
            apps.request_dict(apps.get_request(s, sharing.actor("ga"), rid), sharing.actor("ga"))["actions"]
            == []
        )
        assert apps.request_dict(apps.get_request(s, sharing.actor("op"), rid), sharing.actor("op"))[
            "actions"
        ] == ["comply", "refuse"]
        with pytest.raises(HuitongError, match="no share request"):
            apps.get_request(s, sharing.actor("sj"), rid)
