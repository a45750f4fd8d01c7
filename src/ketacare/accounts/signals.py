"""Sign-in events into the audit trail (issue 13.6): sign-in, failed sign-in (the username
tried, never the password), lockout and sign-out. Second-factor and token events are written
by their services."""

from __future__ import annotations

from ketacare.accounts.models import User
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write


def _user_named(username: str) -> User | None:
    if not username:
        return None
    return User.objects.filter(username=username[:150]).only("id", "clinic_id", "role").first()


def on_logged_in(sender, request, user, **kwargs) -> None:
    record_write(
        actor=user,
        action=AuditAction.LOGIN,
        target=user,
        summary="signed in with password",
        clinic_id=user.clinic_id,
    )


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    if credentials.get("second_factor"):
        return  # audited as mfa_failed by the second-factor service
    tried = str(credentials.get("username") or "")[:150]
    user = _user_named(tried)
    record_write(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        target=user if user is not None else ("accounts.User", ""),
        after={"username": tried},
        summary="sign-in refused",
        clinic_id=getattr(user, "clinic_id", None),
    )


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    record_write(
        actor=user, action=AuditAction.LOGOUT, target=user, summary="signed out",
        clinic_id=user.clinic_id,
    )  # fmt: skip


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    user = _user_named(username or "")
    record_write(
        actor=None,
        action=AuditAction.LOCKOUT,
        target=user if user is not None else ("accounts.User", ""),
        after={"username": (username or "")[:150]},
        summary="account locked after repeated failed sign-ins",
        clinic_id=getattr(user, "clinic_id", None),
    )
