"""Shared fixtures: the people of two clinics (healthchecks' Alice/Bob/Charlie idea) and an
API client that signs in with a real bearer token.

Clinic A has a prescriber, a nurse, a therapist, front desk, an admin, a researcher and a
portal patient; clinic B has one prescriber, the outsider every access test tries.

Signing in (the second factor, issue 14): every staff login made by ``make_user`` has an
enrolled authenticator (``one_time_code(user)`` gives its current code). The ``client``
fixture and any ``django.test.Client`` here sign in fully with ``force_login``: password and
second factor (``force_login`` skips both checks; the sign-in tests drive the real steps).
``ApiClient`` tokens are issued as ``POST /auth/token`` issues them after a code.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.support.audit_triggers import audit_tables_with_triggers
from tests.support.registration import registered_long_ago

from ketacare.accounts.models import Clinic, Role, User


@pytest.fixture
def clinic_a(db) -> Clinic:
    return Clinic.objects.create(name="Clinic A", rems_certified=True, rems_setting_id="REMS-A")


@pytest.fixture
def clinic_b(db) -> Clinic:
    return Clinic.objects.create(name="Clinic B")


def make_user(
    clinic: Clinic, role: str, username: str, *, second_factor: bool = True, **extra: Any
) -> User:
    """A login with the tests' password; staff get an enrolled authenticator unless
    ``second_factor=False`` (a first sign-in that must enrol)."""
    from ketacare.accounts.second_factor import provision_totp_device
    from ketacare.accounts.services import create_user

    if role in (Role.PRESCRIBER, Role.NURSE):  # licensed clinicians
        extra.setdefault("license_number", f"LIC-{username}")
        extra.setdefault("license_expiry", timezone.localdate() + timedelta(days=365))
    user = create_user(
        actor=None,
        clinic=clinic,
        username=username,
        password="correct horse battery",
        role=role,
        validate=False,
        **extra,
    )
    if second_factor and role != Role.PATIENT:
        provision_totp_device(user=user)
    return user


def one_time_code(user: User) -> str:
    """The code the user's authenticator app shows now (an unused one)."""
    from ketacare.accounts.second_factor import authenticator_code

    return authenticator_code(TOTPDevice.objects.get(user=user, confirmed=True))


def _force_login_with_second_factor(self, user, backend=None):
    """``force_login`` as a full sign-in: the session is marked as having passed the second
    step now, as ``accounts.views.second_factor`` marks it after a good code."""
    _django_force_login(self, user, backend)
    from ketacare.accounts.middleware import mark_session_verified

    session = self.session
    mark_session_verified(session, timezone.now())
    session.save()


_force_login_with_second_factor.signs_in_fully = True
if not getattr(Client.force_login, "signs_in_fully", False):
    _django_force_login = Client.force_login
    Client.force_login = _force_login_with_second_factor


@pytest.fixture
def make_login(db):
    """``make_login(clinic, role, username, second_factor=True, **extra)``: ``make_user``."""
    return make_user


@pytest.fixture
def otp():
    """``otp(user)``: the user's current one-time code."""
    return one_time_code


@pytest.fixture
def prescriber(clinic_a) -> User:
    return make_user(
        clinic_a, Role.PRESCRIBER, "prescriber_a", first_name="Dana", last_name="Okoye"
    )


@pytest.fixture
def nurse(clinic_a) -> User:
    return make_user(clinic_a, Role.NURSE, "nurse_a")


@pytest.fixture
def therapist(clinic_a) -> User:
    return make_user(clinic_a, Role.THERAPIST, "therapist_a")


@pytest.fixture
def frontdesk(clinic_a) -> User:
    return make_user(clinic_a, Role.FRONT_DESK, "frontdesk_a")


@pytest.fixture
def clinic_admin(clinic_a) -> User:
    return make_user(clinic_a, Role.CLINIC_ADMIN, "admin_a")


@pytest.fixture
def researcher(clinic_a) -> User:
    return make_user(clinic_a, Role.RESEARCHER, "researcher_a")


@pytest.fixture
def outsider(clinic_b) -> User:
    return make_user(clinic_b, Role.PRESCRIBER, "prescriber_b")


@pytest.fixture
def patient(prescriber):
    from ketacare.patients.services import register_patient

    return register_patient(
        as_of=registered_long_ago(),
        actor=prescriber,
        given_name="Avery",
        family_name="Alvarez",
        date_of_birth=date(1980, 5, 17),
        sex="female",
        current_episode_onset=date(2025, 6, 1),
    )


@pytest.fixture
def patient_user(clinic_a, patient) -> User:
    return make_user(clinic_a, Role.PATIENT, "portal_patient", patient=patient)


@pytest.fixture
def people(prescriber, nurse, therapist, frontdesk, clinic_admin, researcher, patient_user):
    return {
        Role.PRESCRIBER: prescriber,
        Role.NURSE: nurse,
        Role.THERAPIST: therapist,
        Role.FRONT_DESK: frontdesk,
        Role.CLINIC_ADMIN: clinic_admin,
        Role.RESEARCHER: researcher,
        Role.PATIENT: patient_user,
    }


class ApiClient:
    """Calls /api/v1 as one user with a real bearer token; bodies are JSON."""

    def __init__(self, user: User | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            from ketacare.accounts.services import issue_api_token

            token = issue_api_token(user=user, second_factor_at=timezone.now())
            self.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, body: Any = None, **params: Any):
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["data"] = json.dumps(body, default=str)
            kwargs["content_type"] = "application/json"
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **params: Any):
        return self._call("get", path, **params)

    def post(self, path: str, body: Any = None):
        return self._call("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any = None):
        return self._call("patch", path, body if body is not None else {})

    def put(self, path: str, body: Any = None):
        return self._call("put", path, body if body is not None else {})

    def delete(self, path: str):
        return self._call("delete", path)


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture
def unchanged():
    """Snapshot row counts of the given models plus audit write entries; call the result
    after a refused action to assert nothing was written."""
    from ketacare.audit.models import AuditEntry

    def counts(models):
        # Reads and refusals are logged on purpose (a refused gate); so is signing in, which
        # a test may do after the snapshot (a sign-in, a code, a token for the API client).
        not_writes = [
            "read", "refused",
            "login", "login_failed", "logout", "lockout", "token_issued", "mfa_verified",
            "mfa_failed",
        ]  # fmt: skip
        writes = AuditEntry.objects.exclude(action__in=not_writes).count()
        return [m.objects.count() for m in models] + [writes]

    def take(*models):
        before = counts(models)

        def check() -> None:
            assert counts(models) == before, "a refused action must write nothing"

        return check

    return take


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, end stray sessions before the test database is dropped.

    The browser tests' live server answers each request on its own thread with its own
    connection; a request still finishing when the session ends (htmx polling from a page
    being closed) can hold a connection open, and PostgreSQL refuses to drop a database that
    is in use. Django closes those connections itself in normal running."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# --- The audit log: a signing key per test session, a checkpoint file per test -------------


@pytest.fixture(scope="session")
def audit_keys(tmp_path_factory):
    """A throwaway Ed25519 signing key for the whole session (its public key beside it), so
    no test signs with, or writes checkpoints next to, a developer's own data dir."""
    from django.conf import settings

    from ketacare.audit.checkpoints import generate_key_file

    base = tmp_path_factory.mktemp("audit")
    key = base / "signing-key.pem"
    generate_key_file(key)
    saved = settings.AUDIT_SIGNING_KEY_FILE, settings.AUDIT_CHECKPOINT_DIR
    settings.AUDIT_SIGNING_KEY_FILE = key
    settings.AUDIT_CHECKPOINT_DIR = base / "checkpoints-unused"
    yield base
    settings.AUDIT_SIGNING_KEY_FILE, settings.AUDIT_CHECKPOINT_DIR = saved


_checkpoint_dirs = iter(range(1_000_000))


@pytest.fixture(autouse=True)
def _audit_checkpoint_dir(audit_keys):
    """Each test appends its checkpoints to its own file: the database rolls back between
    tests, a file would not, and a later test would read checkpoints of a log it never had."""
    from django.conf import settings

    settings.AUDIT_CHECKPOINT_DIR = audit_keys / f"checkpoints-{next(_checkpoint_dirs)}"


@pytest.fixture(scope="session", autouse=True)
def _flush_past_audit_triggers():
    """pytest-django empties the database after each transactional test (live server,
    threads): TRUNCATE on PostgreSQL, DELETE on SQLite. The audit log's triggers refuse
    both, as they must in production, so the test runner does what the database's owner
    could: on PostgreSQL it disables the audit tables' own triggers around its TRUNCATE
    (``ALTER TABLE ... DISABLE TRIGGER USER``, which the tables' owner may do without being
    a superuser, as CI's role is not), on SQLite it drops the audit triggers around the
    DELETEs; both put them back in the same transaction. docs/adr/0002-audit-trail.md says what an
    attacker with that same power can do (and what the signed checkpoints still catch)."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        vendor = self.connection.vendor
        if vendor == "postgresql":
            tables = audit_tables_with_triggers(self.connection)
            sql_list = [
                *(f"ALTER TABLE {t} DISABLE TRIGGER USER" for t in tables),
                *sql_list,
                *(f"ALTER TABLE {t} ENABLE TRIGGER USER" for t in tables),
            ]
        elif vendor == "sqlite":
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name LIKE 'audit\\_%' ESCAPE '\\'"
                )
                triggers = cursor.fetchall()
            sql_list = [
                *(f"DROP TRIGGER {name}" for name, _ in triggers),
                *sql_list,
                *(sql for _, sql in triggers),
            ]
        return original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    BaseDatabaseOperations.execute_sql_flush = original
