"""The permission decision, as a pure function of actor, action and target.

Every CLI command and API route calls :func:`require` (or :func:`decide` to filter), so
the console, the API and the command line can never disagree about who may do what.
"""

from __future__ import annotations

from dataclasses import dataclass

from huitong.access.actor import Actor
from huitong.access.roles import Role
from huitong.errors import Forbidden

WRITE_ACTIONS = {
    "catalog.create",
    "catalog.edit",
    "catalog.submit",
    "catalog.review",
    "catalog.retire",
    "org.manage",
    "user.manage",
    "token.manage",
    "audit.purge",
    "audit.checkpoint",
    "aggregate.manage",
    "share.apply",
    "share.decide",
    "share.revoke",
    "share.subscribe",
    "credential.manage",
    "quality.manage",
    "quality.run",
    "quality.objection.raise",
    "quality.objection.handle",
    "quality.objection.decide",
    "classify.scan",
    "classify.decide",
    "deid.manage",
    "deid.budget",
    "deid.key.read",
    "fuse.manage",
}
APP_ACTIONS = {"catalog.read", "org.read", "share.deliver", "share.subscribe"}  # consumer systems
PUBLIC_STATES = {"published"}
EDITABLE_STATES = {"draft", "returned", "published"}


@dataclass(frozen=True)
class Target:
    """What the action is on; fields not relevant to an action stay None."""

    department_id: int | None = None
    status: str | None = None
    open_type: str | None = None
    roles: frozenset[Role] | None = None  # for user.manage: the roles being granted


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def _own(actor: Actor, target: Target) -> bool:
    return actor.department_id is not None and actor.department_id == target.department_id


def decide(actor: Actor, action: str, target: Target | None = None) -> Decision:
    target = target or Target()
    if action in WRITE_ACTIONS:
        if actor.is_public:
            return Decision(False, "the public cannot change anything")
        if actor.scope != "write":
            return Decision(False, "this token is read-only")
    rule = _RULES.get(action)
    if rule is None:
        return Decision(False, f"no rule grants {action!r}")
    if actor.kind == "app" and action not in APP_ACTIONS:
        return Decision(False, "a consumer system's credentials only receive data under grants")
    if actor.is_system:
        return Decision(True, "local system administrator")
    return rule(actor, target)


def require(actor: Actor, action: str, target: Target | None = None) -> None:
    decision = decide(actor, action, target)
    if not decision:
        raise Forbidden(f"{actor.label()} may not {action}: {decision.reason}")


def _catalog_read(actor: Actor, t: Target) -> Decision:
    if t.status in PUBLIC_STATES and t.open_type in ("unconditional", "conditional"):
        return Decision(True, "published and open to the public")
    if actor.is_public:
        return Decision(False, "only published, open entries are public")
    if t.status in ("published", "retired"):
        return Decision(True, "published entries are visible to every department")
    if actor.has(Role.operator):
        return Decision(True, "the platform operator sees every entry")
    if _own(actor, t) and (actor.has(Role.dept_admin) or actor.has(Role.dept_user)):
        return Decision(True, "own department's entry")
    return Decision(False, "unpublished entries are visible only to their department and the operator")


def _own_admin(what: str):
    def rule(actor: Actor, t: Target) -> Decision:
        if actor.has(Role.dept_admin) and _own(actor, t):
            return Decision(True, f"department administrator may {what} its own entries")
        return Decision(False, f"only the provider department's administrator may {what} this entry")

    return rule


def _own_member(what: str):
    def rule(actor: Actor, t: Target) -> Decision:
        if (actor.has(Role.dept_admin) or actor.has(Role.dept_user)) and _own(actor, t):
            return Decision(True, f"the provider department's staff may {what} its own resources")
        return Decision(False, f"only the provider department may {what} this resource (others need a grant)")

    return rule


def _catalog_edit(actor: Actor, t: Target) -> Decision:
    if t.status not in EDITABLE_STATES:
        return Decision(False, f"an entry that is {t.status} cannot be edited")
    return _own_admin("edit")(actor, t)


def _catalog_review(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.operator):
        return Decision(True, "the platform operator reviews catalog entries")
    return Decision(False, "only the platform operator (数据主管部门) reviews catalog entries")


def _catalog_retire(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.operator):
        return Decision(True, "the platform operator may retire entries")
    return _own_admin("retire")(actor, t)


def _operator_only(what: str):
    def rule(actor: Actor, t: Target) -> Decision:
        if actor.has(Role.operator):
            return Decision(True, f"the platform operator manages {what}")
        return Decision(False, f"only the platform operator manages {what}")

    return rule


def _user_manage(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.operator):
        return Decision(True, "the platform operator manages users")
    granted = t.roles or frozenset()
    if actor.has(Role.dept_admin) and _own(actor, t) and granted <= {Role.dept_admin, Role.dept_user}:
        return Decision(True, "a department administrator manages its own department's users")
    return Decision(
        False, "only the operator, or the department's administrator for department roles, manages users"
    )


def _user_read(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.operator):
        return Decision(True, "the platform operator sees every user")
    if actor.has(Role.dept_admin) and _own(actor, t):
        return Decision(True, "a department administrator sees its own department's users")
    return Decision(
        False, "only the operator, or a department's administrator for its own department, lists users"
    )


def _audit_read(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.auditor):
        return Decision(True, "auditors read the evidence")
    return Decision(False, "only auditors read the ledger (separation of duties)")


def _fuse_read(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.operator) or actor.has(Role.auditor):
        return Decision(True, "the operator and auditors read base-library runs")
    return Decision(False, "only the platform operator or auditors read base-library runs")


def _audit_checkpoint(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.auditor) or actor.has(Role.operator):
        return Decision(True, "auditors and the operator may have the tree head signed now")
    return Decision(False, "only auditors or the platform operator ask for a checkpoint")


def _data_expire(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.operator):
        return Decision(True, "the platform operator applies the retention policy")
    return _own_admin("expire old versions of")(actor, t)


def _quality_manage(actor: Actor, t: Target) -> Decision:
    """A resource's rules: its department's administrator or the operator; a data element's rules
    (no department): the operator, who keeps the standards."""
    if actor.has(Role.operator):
        return Decision(True, "the platform operator manages quality rules")
    if t.department_id is None:
        return Decision(False, "only the platform operator manages a data element's rules")
    return _own_admin("manage the quality rules of")(actor, t)


def _quality_run(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.operator):
        return Decision(True, "the platform operator measures any resource")
    return _own_member("measure the quality of")(actor, t)


def _quality_samples(actor: Actor, t: Target) -> Decision:
    """Failing rows (masked by grade): the provider finds them; others see the figures only."""
    if actor.has(Role.operator):
        return Decision(True, "the platform operator oversees quality")
    return _own_member("see the failing rows of")(actor, t)


def _classify_scan(actor: Actor, t: Target) -> Decision:
    if actor.has(Role.operator):
        return Decision(True, "the platform operator inventories every resource (数据资产梳理)")
    return _own_member("scan for personal data in")(actor, t)


def _classify_read(actor: Actor, t: Target) -> Decision:
    """Findings say where personal data is, not what it is: the provider, the operator, the auditor."""
    if actor.has(Role.operator) or actor.has(Role.auditor):
        return Decision(True, "the operator and the auditor oversee classification")
    return _own_member("see the classification findings of")(actor, t)


def _objection_raise(actor: Actor, t: Target) -> Decision:
    """Whoever receives data may object to it; which record it is on stays the raiser's business."""
    if actor.is_public:
        return Decision(False, "sign in to raise an objection")
    return Decision(True, "anyone signed in may raise an objection on data it received")


def _objection_read(actor: Actor, t: Target) -> Decision:
    """``t.department_id`` is the holder or the raiser's department; the raising user itself is
    checked by the caller (it may have no department)."""
    if actor.has(Role.operator) or actor.has(Role.auditor):
        return Decision(True, "the operator and auditors oversee every objection")
    if _own(actor, t) and (actor.has(Role.dept_admin) or actor.has(Role.dept_user)):
        return Decision(True, "a department sees the objections it raised or must answer")
    return Decision(
        False, "only its raiser, its holder department, the operator and auditors see an objection"
    )


def _authenticated(actor: Actor, t: Target) -> Decision:
    if actor.is_public:
        return Decision(False, "sign in first")
    return Decision(True, "any signed-in user")


def _token_manage(actor: Actor, t: Target) -> Decision:
    return _authenticated(actor, t)


def _aggregate_monitor(actor: Actor, t: Target) -> Decision:
    """Sources, schedules and load lineage (counts, status, who, when), not the rows themselves."""
    if actor.has(Role.operator) or actor.has(Role.auditor):
        return Decision(True, "the operator and auditors oversee every department's loads")
    return _own_member("see the sources and loads of")(actor, t)


def _share_apply(actor: Actor, t: Target) -> Decision:
    if actor.department_id is None or not (actor.has(Role.dept_admin) or actor.has(Role.dept_user)):
        return Decision(False, "only department staff apply for shared data")
    if _own(actor, t):
        return Decision(False, "a department does not apply for its own resources")
    return Decision(True, "department staff apply for other departments' resources")


def _share_deliver(actor: Actor, t: Target) -> Decision:
    """``t.department_id`` is the grant's consumer: only it receives data under the grant."""
    if not _own(actor, t):
        return Decision(False, "only the consumer department named in the grant receives data under it")
    if actor.kind == "app" or actor.has(Role.dept_admin) or actor.has(Role.dept_user):
        return Decision(True, "the consumer department's staff or systems use its grant")
    return Decision(False, "only the consumer department's staff or systems use its grant")


def _share_revoke(actor: Actor, t: Target) -> Decision:
    """``t.department_id`` is the provider."""
    if actor.has(Role.operator):
        return Decision(True, "the platform operator may revoke any grant")
    return _own_admin("revoke grants on")(actor, t)


def _share_read(actor: Actor, t: Target) -> Decision:
    """Reading applications and grants: ``t.department_id`` is the consumer, ``t.roles`` unused;
    the provider check is done by the caller passing the provider as a second target."""
    if actor.has(Role.operator) or actor.has(Role.auditor):
        return Decision(True, "the operator and auditors see every application and grant")
    if _own(actor, t) and (actor.has(Role.dept_admin) or actor.has(Role.dept_user)):
        return Decision(True, "a department sees the applications and grants it is party to")
    return Decision(False, "only the parties, the operator and auditors see an application or grant")


def _own_staff_or_app(what: str):
    def rule(actor: Actor, t: Target) -> Decision:
        if _own(actor, t) and (actor.kind == "app" or actor.has(Role.dept_admin)):
            return Decision(True, f"the department's administrator or system may {what}")
        return Decision(False, f"only the consumer department's administrator or system may {what}")

    return rule


_RULES = {
    "catalog.read": _catalog_read,
    "catalog.create": _own_admin("create"),
    "catalog.edit": _catalog_edit,
    "catalog.submit": _own_admin("submit"),
    "catalog.review": _catalog_review,
    "catalog.retire": _catalog_retire,
    "aggregate.manage": _own_admin("manage sources and loads of"),
    "data.read": _own_member("read the stored data of"),
    "aggregate.monitor": _aggregate_monitor,
    "data.expire": _data_expire,
    "org.manage": _operator_only("regions and departments"),
    "org.read": _authenticated,
    "user.manage": _user_manage,
    "user.read": _user_read,
    "token.manage": _token_manage,
    "audit.read": _audit_read,
    "audit.subject": _audit_read,
    "audit.checkpoint": _audit_checkpoint,
    "audit.purge": _operator_only("retention purges of evidence details"),
    "quality.manage": _quality_manage,
    "quality.run": _quality_run,
    "quality.read": _authenticated,
    "quality.samples": _quality_samples,
    # de-identified releases and published figures: the provider's administrator proposes them
    "deid.manage": _own_admin("release de-identified data or statistics of"),
    "deid.read": _classify_read,
    "deid.budget": _operator_only("privacy budgets"),
    # the key that turns a release's pseudonyms back into identities
    "deid.key.read": _operator_only("re-identification keys"),
    # base libraries fused from every department's records: the platform operator defines, runs and
    # reviews them; auditors may read their runs and evidence
    "fuse.manage": _operator_only("base libraries (基础库)"),
    "fuse.read": _fuse_read,
    "classify.scan": _classify_scan,
    "classify.read": _classify_read,
    # a proposal confirmed or overridden, a review task closed: the department that answers for the data
    "classify.decide": _own_admin("confirm the grades of"),
    "quality.objection.raise": _objection_raise,
    "quality.objection.read": _objection_read,
    # accept, decline, flag, forward, unflag, archive (which step when: quality.objection_flow)
    "quality.objection.handle": _operator_only("the acceptance, flags and archive of objections"),
    # extend, correct, reject: ``t.department_id`` is the holder department. Its administrator
    # answers, as it runs the loads a correction comes through (aggregate.manage); its data users
    # see the objection, they do not speak for the department's data
    "quality.objection.decide": _own_admin("answer objections on"),
    "share.apply": _share_apply,
    "share.decide": _authenticated,  # which party may take which step: huitong.share.states
    "share.read": _share_read,
    "share.deliver": _share_deliver,
    "share.revoke": _share_revoke,
    "share.subscribe": _own_staff_or_app("manage subscriptions and acknowledge recalls"),
    "credential.manage": _own_admin("manage application credentials of"),
}
