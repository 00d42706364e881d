"""Accounts service: creating users, throttled login, tokens, audit log (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tumbuh.accounts import service
from tumbuh.accounts.models import LoginAttempt
from tumbuh.accounts.roles import Role
from tumbuh.accounts.security import (
    configure_hasher,
    issue_token,
    read_token,
    verify_password,
)
from tumbuh.errors import Conflict, Forbidden, InvalidInput, Unauthorized

configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
PASSWORD = "rahasia-123"


def _name() -> str:
    return f"u_{uuid.uuid4().hex[:10]}"


def _user(session: Session, role: Role = Role.district_analyst, region: str = "64.71"):
    return service.create_user(
        session,
        username=_name(),
        password=PASSWORD,
        role=role.value,
        region_code=region,
    )


class TestCreateUser:
    def test_stores_an_argon2_hash_never_the_password(self, session: Session) -> None:
        user = _user(session)
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert verify_password(user.password_hash, PASSWORD)
        assert not verify_password(user.password_hash, "something-else")

    def test_refuses_a_taken_username(self, session: Session) -> None:
        user = _user(session)
        with pytest.raises(Conflict):
            service.create_user(
                session, username=user.username, password=PASSWORD,
                role="viewer", region_code="64",
            )  # fmt: skip

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("password", "short", "password"),
            ("role", "superuser", "role"),
            ("username", "a b", "username"),
            ("region_code", "64.7", "Kemendagri"),
            ("region_code", "64.71.01", "needs a kabkota code"),
        ],
    )
    def test_rejects_bad_fields_naming_them(
        self, session: Session, field: str, value: str, message: str
    ) -> None:
        fields = {"username": _name(), "password": PASSWORD,
                  "role": "district_analyst", "region_code": "64.71"}  # fmt: skip
        fields[field] = value
        with pytest.raises(InvalidInput, match=message):
            service.create_user(session, **fields)


class TestLogin:
    def test_right_password_logs_in_and_audits(self, session: Session) -> None:
        user = _user(session)
        outcome = service.login(
            session, username=user.username, password=PASSWORD, ip="10.0.0.1"
        )
        assert outcome.user is user
        assert outcome.error is None
        assert user.last_login_at is not None

    def test_five_failures_block_the_account_from_every_address_until_the_wait_ends(
        self, session: Session
    ) -> None:
        user = _user(session)
        now = datetime.now(UTC)
        for _ in range(service.MAX_FAILURES):
            out = service.login(
                session,
                username=user.username,
                password="wrong-pw",
                ip="10.0.0.2",
                now=now,
            )
            assert isinstance(out.error, service.InvalidCredentials)
        blocked = service.login(
            session, username=user.username, password=PASSWORD, ip="10.0.0.2", now=now
        )
        assert isinstance(blocked.error, service.TooManyAttempts)
        assert blocked.error.status == 429
        # Another address (e.g. 127.0.0.2 beside 127.0.0.1) is blocked as well ...
        other = service.login(
            session, username=user.username, password=PASSWORD, ip="10.0.0.3", now=now
        )
        assert isinstance(other.error, service.TooManyAttempts)
        # ... and the block lifts when the first wait (one minute) has passed.
        later = now + service.BACKOFF_BASE + timedelta(seconds=1)
        again = service.login(
            session, username=user.username, password=PASSWORD, ip="10.0.0.3", now=later
        )
        assert again.user is user

    def test_each_further_failure_doubles_the_wait(self, session: Session) -> None:
        user = _user(session)
        t = datetime.now(UTC)
        waits = []
        for _ in range(service.MAX_FAILURES + 3):
            out = service.login(
                session, username=user.username, password="wrong-pw", ip="10.0.1.1",
                now=t,
            )  # fmt: skip
            assert isinstance(out.error, service.InvalidCredentials)
            wait = service.backoff(
                session.query(LoginAttempt).filter_by(username=user.username).count()
            )
            waits.append(wait)
            t += wait + timedelta(seconds=1)
        minute = timedelta(minutes=1)
        assert waits[-4:] == [minute, 2 * minute, 4 * minute, 8 * minute]
        assert service.backoff(100) == service.BACKOFF_MAX

    def test_random_usernames_from_one_address_are_throttled(
        self, session: Session
    ) -> None:
        now = datetime.now(UTC)
        for i in range(service.MAX_FAILURES_PER_ADDRESS):
            out = service.login(
                session, username=_name(), password="guess-1234", ip="10.0.2.1",
                now=now + timedelta(seconds=i),
            )  # fmt: skip
            assert isinstance(out.error, service.InvalidCredentials)
        user = _user(session)
        refused = service.login(
            session, username=user.username, password=PASSWORD, ip="10.0.2.1",
            now=now + timedelta(minutes=1),
        )  # fmt: skip
        assert isinstance(refused.error, service.TooManyAttempts)
        elsewhere = service.login(
            session, username=user.username, password=PASSWORD, ip="10.0.2.2",
            now=now + timedelta(minutes=1),
        )  # fmt: skip
        assert elsewhere.user is user

    def test_attempts_older_than_a_day_are_pruned(self, session: Session) -> None:
        user = _user(session)
        old = datetime.now(UTC) - service.ATTEMPT_RETENTION - timedelta(hours=1)
        service.login(
            session, username=user.username, password="wrong-pw", ip="10.0.3.1", now=old
        )
        assert session.query(LoginAttempt).filter_by(username=user.username).count()
        service.login(session, username=_name(), password="x" * 9, ip="10.0.3.2")
        assert (
            session.query(LoginAttempt).filter_by(username=user.username).count() == 0
        )

    def test_a_success_resets_the_failure_count(self, session: Session) -> None:
        user = _user(session)
        now = datetime.now(UTC)
        for i in range(service.MAX_FAILURES - 1):
            service.login(
                session,
                username=user.username,
                password="x" * 9,
                ip="10.0.0.4",
                now=now + timedelta(seconds=i),
            )
        ok = service.login(
            session,
            username=user.username,
            password=PASSWORD,
            ip="10.0.0.4",
            now=now + timedelta(seconds=10),
        )
        assert ok.user is user
        for i in range(service.MAX_FAILURES - 1):
            out = service.login(
                session,
                username=user.username,
                password="x" * 9,
                ip="10.0.0.4",
                now=now + timedelta(seconds=20 + i),
            )
            assert isinstance(out.error, service.InvalidCredentials)

    def test_inactive_and_unknown_users_get_the_same_answer(
        self, session: Session
    ) -> None:
        user = _user(session)
        user.active = False
        a = service.login(
            session, username=user.username, password=PASSWORD, ip="10.0.0.5"
        )
        b = service.login(session, username=_name(), password=PASSWORD, ip="10.0.0.5")
        assert a.error is not None
        assert b.error is not None
        assert (a.error.code, a.error.message) == (b.error.code, b.error.message)

    def test_every_attempt_is_recorded(self, session: Session) -> None:
        user = _user(session)
        service.login(
            session, username=user.username, password="nope-nope", ip="10.0.0.6"
        )
        service.login(session, username=user.username, password=PASSWORD, ip="10.0.0.6")
        rows = session.query(LoginAttempt).filter_by(username=user.username).all()
        assert sorted(r.success for r in rows) == [False, True]


class TestTokens:
    def test_round_trip_and_tampering(self) -> None:
        token = issue_token("k1", user_id=42, session_id="s-1")
        assert read_token("k1", token, max_age_s=60) == (42, "s-1")
        with pytest.raises(Unauthorized, match="invalid"):
            read_token("k2", token, max_age_s=60)


class TestSessions:
    def test_a_session_lives_until_it_is_ended(self, session: Session) -> None:
        user = _user(session)
        sid = service.start_session(session, user=user, kind="token", max_age_s=60)
        assert service.session_user(session, user_id=user.id, session_id=sid) is user
        assert (
            service.session_user(session, user_id=user.id + 1, session_id=sid) is None
        )
        service.end_session(session, session_id=sid)
        assert service.session_user(session, user_id=user.id, session_id=sid) is None

    def test_an_expired_session_is_refused(self, session: Session) -> None:
        user = _user(session)
        sid = service.start_session(session, user=user, kind="page", max_age_s=60)
        later = datetime.now(UTC) + timedelta(seconds=61)
        assert (
            service.session_user(session, user_id=user.id, session_id=sid, now=later)
            is None
        )

    def test_deactivation_ends_every_session_of_the_user(
        self, session: Session
    ) -> None:
        admin = _user(session, Role.province_admin, "64")
        user = _user(session)
        sids = [
            service.start_session(session, user=user, kind=k, max_age_s=60)
            for k in ("page", "token")
        ]
        mine = service.start_session(session, user=admin, kind="page", max_age_s=60)
        service.set_active(session, actor=admin, user_id=user.id, active=False)
        service.set_active(session, actor=admin, user_id=user.id, active=True)
        for sid in sids:  # reactivation does not bring old sessions back
            assert (
                service.session_user(session, user_id=user.id, session_id=sid) is None
            )
        assert service.session_user(session, user_id=admin.id, session_id=mine) is admin

    def test_a_password_change_ends_every_session_and_needs_the_old_password(
        self, session: Session
    ) -> None:
        user = _user(session)
        sid = service.start_session(session, user=user, kind="token", max_age_s=60)
        with pytest.raises(service.InvalidCredentials):
            service.change_password(
                session, user=user, current="not-it-123", new="baru-rahasia-9"
            )
        assert service.session_user(session, user_id=user.id, session_id=sid) is user
        with pytest.raises(InvalidInput, match="password"):
            service.change_password(session, user=user, current=PASSWORD, new="short")
        service.change_password(
            session, user=user, current=PASSWORD, new="baru-rahasia-9"
        )
        assert service.session_user(session, user_id=user.id, session_id=sid) is None
        assert verify_password(user.password_hash, "baru-rahasia-9")


class TestUserManagement:
    def test_admin_manages_users_inside_the_province_only(
        self, session: Session
    ) -> None:
        admin = _user(session, Role.province_admin, "64")
        inside = service.create_user_as(
            session, actor=admin, username=_name(), password=PASSWORD,
            role="village_team", region_code="64.71.01.1001",
        )  # fmt: skip
        assert inside.region_code == "64.71.01.1001"
        with pytest.raises(Forbidden):
            service.create_user_as(
                session, actor=admin, username=_name(), password=PASSWORD,
                role="district_analyst", region_code="65.01",
            )  # fmt: skip
        assert inside in service.list_users(session, actor=admin)

    def test_analysts_cannot_manage_users_or_read_the_audit_log(
        self, session: Session
    ) -> None:
        analyst = _user(session, Role.province_analyst, "64")
        with pytest.raises(Forbidden):
            service.list_users(session, actor=analyst)
        with pytest.raises(Forbidden):
            service.list_audit(session, actor=analyst)

    def test_admin_cannot_deactivate_themself(self, session: Session) -> None:
        admin = _user(session, Role.province_admin, "64")
        session.flush()
        with pytest.raises(InvalidInput):
            service.set_active(session, actor=admin, user_id=admin.id, active=False)


class TestAudit:
    def test_audit_is_scoped_to_the_readers_region(self, session: Session) -> None:
        admin = _user(session, Role.province_admin, "64")
        tag = uuid.uuid4().hex
        service.record(
            session,
            actor=admin,
            action="view",
            object_type="child",
            object_id="1",
            region_code="64.71.01.1001",
            ip="10.1.1.1",
            detail=tag,
        )
        service.record(session, actor=admin, action="view", object_type="child",
                       object_id="2", region_code="65.01", detail=tag)  # fmt: skip
        session.flush()
        events = [
            e
            for e in service.list_audit(session, actor=admin, limit=10_000)
            if e.detail == tag
        ]
        assert [e.object_id for e in events] == ["1"]
        assert events[0].ip == "10.1.1.1"
        assert events[0].username == admin.username
