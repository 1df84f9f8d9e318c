"""The permission decision: deny unless granted, and property checks across roles."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from huitong.access import PUBLIC, SYSTEM, Actor, Target, decide
from huitong.access.roles import Role

ACTIONS = [
    "catalog.read",
    "catalog.create",
    "catalog.edit",
    "catalog.submit",
    "catalog.review",
    "catalog.retire",
    "org.manage",
    "user.manage",
    "user.read",
    "audit.read",
    "token.manage",
    "org.read",
    "share.apply",
    "share.read",
    "share.deliver",
    "share.revoke",
    "share.subscribe",
    "credential.manage",
]
STATUSES = ["draft", "submitted", "returned", "published", "retired"]
OPEN = ["unconditional", "conditional", "none"]

actors = st.builds(
    Actor,
    user_id=st.integers(1, 50),
    username=st.just("u"),
    department_id=st.integers(1, 4),
    roles=st.frozensets(st.sampled_from(list(Role)), max_size=2),
    scope=st.sampled_from(["read", "write"]),
    kind=st.sampled_from(["user", "user", "app"]),
)
targets = st.builds(
    Target,
    department_id=st.integers(1, 4),
    status=st.sampled_from(STATUSES),
    open_type=st.sampled_from(OPEN),
    roles=st.frozensets(st.sampled_from(list(Role)), max_size=2),
)


def test_unknown_actions_are_denied_even_to_the_operator():
    op = Actor(1, "op", 1, frozenset({Role.operator}))
    assert not decide(op, "catalog.delete_everything")


@given(actors, targets, st.sampled_from(ACTIONS))
def test_public_never_writes_and_sees_only_published_open_entries(_actor, target, action):
    d = decide(PUBLIC, action, target)
    if action == "catalog.read":
        assert bool(d) == (target.status == "published" and target.open_type != "none")
    else:
        assert not d


@given(actors, targets, st.sampled_from(ACTIONS))
def test_read_only_tokens_never_change_anything(actor, target, action):
    ro = Actor(actor.user_id, actor.username, actor.department_id, actor.roles, scope="read")
    if action not in ("catalog.read", "audit.read", "org.read", "share.read", "share.deliver", "user.read"):
        assert not decide(ro, action, target)


@given(actors, targets)
def test_only_own_department_admins_edit_entries(actor, target):
    d = decide(actor, "catalog.edit", target)
    if d:
        assert Role.dept_admin in actor.roles and actor.department_id == target.department_id
        assert actor.scope == "write" and target.status in ("draft", "returned", "published")


@given(actors, targets)
def test_unpublished_entries_stay_inside_their_department_and_the_operator(actor, target):
    d = decide(actor, "catalog.read", target)
    if target.status not in ("published", "retired") and d:
        assert Role.operator in actor.roles or actor.department_id == target.department_id


@given(actors, targets)
def test_only_operators_review_and_only_auditors_read_the_ledger(actor, target):
    assert bool(decide(actor, "catalog.review", target)) == (
        Role.operator in actor.roles and actor.scope == "write" and actor.kind != "app"
    )
    assert bool(decide(actor, "audit.read", target)) == (Role.auditor in actor.roles and actor.kind != "app")


def test_system_actor_may_act_and_is_not_public():
    assert decide(SYSTEM, "org.manage") and not SYSTEM.is_public


@given(actors, targets)
def test_data_under_a_grant_goes_only_to_the_consumer_department(actor, target):
    """``target.department_id`` is the grant's consumer."""
    allowed = bool(decide(actor, "share.deliver", target))
    staff = actor.kind == "app" or actor.has(Role.dept_admin) or actor.has(Role.dept_user)
    assert allowed == (actor.department_id == target.department_id and staff)


@given(actors, targets)
def test_only_the_provider_admin_or_operator_revokes_and_nobody_applies_for_own_data(actor, target):
    revoke = bool(decide(actor, "share.revoke", target))
    if revoke:
        assert actor.scope == "write"
        assert actor.has(Role.operator) or (
            actor.has(Role.dept_admin) and actor.department_id == target.department_id
        )
    if decide(actor, "share.apply", target):
        assert actor.department_id != target.department_id and actor.kind != "app"


@given(actors, targets)
def test_only_the_holder_departments_administrator_answers_objections(actor, target):
    """extend, correct, reject: the holder's administrator, writing; nobody else, not its data users."""
    d = decide(actor, "quality.objection.decide", target)
    may = Role.dept_admin in actor.roles and actor.department_id == target.department_id
    person = actor.kind == "user"  # an application's credentials only receive data under grants
    assert bool(d) == (may and person and actor.scope == "write"), d.reason


@given(actors, targets)
def test_objections_are_accepted_flagged_and_archived_by_the_operator_alone(actor, target):
    d = decide(actor, "quality.objection.handle", target)
    person = actor.kind == "user"
    assert bool(d) == (Role.operator in actor.roles and person and actor.scope == "write"), d.reason
