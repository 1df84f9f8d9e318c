"""Regions, departments, users, roles and tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from huitong.access import SYSTEM
from huitong.catalog import service as catalog
from huitong.db.base import utcnow
from huitong.errors import Conflict, Forbidden, HuitongError, Unauthenticated
from huitong.ledger.events import EvidenceEntry
from huitong.org import service as org
from huitong.org.secrets import TOKEN_PREFIX, parse_token
from huitong.org.tables import ApiToken
from tests.world import PASSWORD, credit_code


def test_department_belongs_to_one_level_and_gets_a_catalog_node(world):
    with world.db.session() as s:
        police = org.get_department(s, world.police)
        assert police.region.level == "city"
        market = org.get_department(s, world.market)
        assert market.region.level == "county"
        nodes = {catalog.department_class(s, police), catalog.department_class(s, market)}
        assert len(nodes) == 2 and all(n.startswith("307") and len(n) == 6 for n in nodes)


def test_region_codes_and_hierarchy_are_checked(db):
    with db.session() as s:
        org.add_region(s, SYSTEM, "330000", "浙江省")
        with pytest.raises(HuitongError, match="6"):
            org.add_region(s, SYSTEM, "3301", "杭州")
        with pytest.raises(HuitongError, match="not above"):
            org.add_region(s, SYSTEM, "330100", "杭州市", parent_code="330000", level="province")
        with pytest.raises(Conflict):
            org.add_region(s, SYSTEM, "330000", "浙江")


def test_department_code_must_be_a_valid_credit_code_or_org_code(db):
    with db.session() as s:
        org.add_region(s, SYSTEM, "330000", "浙江省")
        good = credit_code("330000", 12345678)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        with pytest.raises(HuitongError, match="check"):
            org.add_department(s, SYSTEM, "330000", "公安厅", bad)
        org.add_department(s, SYSTEM, "330000", "公安厅", good)
        org.add_department(s, SYSTEM, "330000", "教育厅", "JYT001")  # a configured 机构代码
        with pytest.raises(Conflict):
            org.add_department(s, SYSTEM, "330000", "公安厅", credit_code("330000", 12345679))


def test_separation_of_duties_auditor_cannot_administer(world):
    with world.db.session() as s, pytest.raises(HuitongError, match="separation of duties"):
        org.add_user(s, SYSTEM, "both", "Both", world.bureau, ["auditor", "operator"], PASSWORD)
    with world.db.session() as s, pytest.raises(HuitongError, match="separation of duties"):
        org.set_roles(s, SYSTEM, "aud", ["auditor", "dept_admin"])


def test_department_admin_manages_only_own_department_roles(world):
    mz = world.actor("mz")
    with world.db.session() as s:
        org.add_user(s, mz, "mz2", "民政二", world.civil, ["dept_user"], PASSWORD)
    with world.db.session() as s, pytest.raises(Forbidden):
        org.add_user(s, mz, "ga2", "公安二", world.police, ["dept_user"], PASSWORD)
    with world.db.session() as s, pytest.raises(Forbidden):
        org.add_user(s, mz, "op2", "运营二", world.civil, ["operator"], PASSWORD)


def test_passwords_are_hashed_with_argon2_and_checked(world):
    with world.db.session() as s:
        user = org.get_user(s, "ga")
        assert user.password_hash.startswith("$argon2")
        assert PASSWORD not in user.password_hash
        assert org.login(s, "ga", PASSWORD).username == "ga"
    with world.db.session() as s, pytest.raises(Unauthenticated):
        org.login(s, "ga", "wrong-password-here")
    with world.db.session() as s, pytest.raises(HuitongError, match="too short"):
        org.set_password(s, SYSTEM, "ga", "short")


def test_failed_login_is_recorded_as_evidence(world):
    with world.db.session() as s, pytest.raises(Unauthenticated):
        org.login(s, "ga", "not-the-password")
    # The refusal rolls back the caller's transaction; the denial must be on record all the same.
    with world.db.session() as s:
        denied = s.query(EvidenceEntry).filter_by(action="auth.login", result="denied").count()
        assert denied == 1


def test_tokens_are_prefixed_hashed_scoped_expiring_and_revocable(world):
    ga = world.actor("ga")
    with world.db.session() as s:
        tok, secret = org.issue_token(s, ga, "ga", "etl", scope="read", ttl_days=30)
        assert secret.startswith(TOKEN_PREFIX) and parse_token(secret) == tok.token_id
        stored = s.query(ApiToken).filter_by(token_id=tok.token_id).one()
        assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
        actor = org.authenticate_token(s, secret)
        assert actor.username == "ga" and actor.scope == "read"
    with world.db.session() as s, pytest.raises(Unauthenticated, match="invalid"):
        org.authenticate_token(s, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    with world.db.session() as s:
        org.revoke_token(s, ga, tok.token_id)
    with world.db.session() as s, pytest.raises(Unauthenticated, match="revoked"):
        org.authenticate_token(s, secret)
    with world.db.session() as s:
        tok2, secret2 = org.issue_token(s, ga, "ga", "short", scope="write", ttl_days=1)
        s.query(ApiToken).filter_by(token_id=tok2.token_id).one().expires_at = utcnow() - timedelta(seconds=1)
    with world.db.session() as s, pytest.raises(Unauthenticated, match="expired"):
        org.authenticate_token(s, secret2)


def test_token_secret_never_reaches_the_evidence(world):
    with world.db.session() as s:
        _, secret = org.issue_token(s, world.actor("ga"), "ga", "etl", scope="write")
    with world.db.session() as s:
        for entry in s.query(EvidenceEntry):
            assert secret not in (entry.details or "")


def test_disabling_a_user_revokes_their_tokens(world):
    with world.db.session() as s:
        _, secret = org.issue_token(s, world.actor("mzu"), "mzu", "x")
        org.set_active(s, world.actor("mz"), "mzu", False)
    with world.db.session() as s, pytest.raises(Unauthenticated):
        org.authenticate_token(s, secret)


def test_read_token_cannot_issue_write_token(world):
    with world.db.session() as s:
        _, secret = org.issue_token(s, world.actor("ga"), "ga", "ro", scope="read")
        ro = org.authenticate_token(s, secret)
    with world.db.session() as s, pytest.raises((HuitongError, Forbidden)):
        org.issue_token(s, ro, "ga", "rw", scope="write")


def test_a_user_cannot_list_another_users_tokens_without_managing_them(world):
    with world.db.session() as s:
        org.issue_token(s, world.actor("ga"), "ga", "mine")
    with world.db.session() as s:
        assert len(org.list_tokens(s, world.actor("ga"), "ga")) == 1
        with pytest.raises(Forbidden):
            org.list_tokens(s, world.actor("mzu"), "ga")


def test_users_are_listed_to_the_operator_and_to_a_departments_own_administrator(world):
    with world.db.session() as s:
        everyone = {u.username for u in org.list_users(s, world.actor("op"))}
        civil = org.list_users(s, world.actor("mz"))
    assert {"op", "mz", "mzu", "aud"} <= everyone
    assert civil and {u.department_id for u in civil} == {world.actor("mz").department_id}
    assert {u.username for u in civil} < everyone
    for who in ("mzu", "aud"):  # a department user, an auditor: no list of colleagues
        with world.db.session() as s, pytest.raises(Forbidden, match="lists users"):
            org.list_users(s, world.actor(who))
