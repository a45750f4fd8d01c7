"""Accounts API: the user's own tokens, and a clinic admin's controls over its logins."""

from __future__ import annotations

from ninja import Router, Status

from ketacare.accounts import second_factor as sf
from ketacare.accounts import selectors, services
from ketacare.accounts.permissions import Permission
from ketacare.accounts.schemas import (
    ClinicUserRead,
    OwnTokenRead,
    ReasonCreate,
    RevokedRead,
)
from ketacare.api.auth import guard, signed_in
from ketacare.api.schemas import ERROR_RESPONSES, RecordId

router = Router(tags=["accounts"])


@router.get("/auth/tokens", response={200: list[OwnTokenRead], **ERROR_RESPONSES}, **signed_in())
def list_own_tokens(request):
    """The caller's own API tokens (newest 50) with when each was last used and its status
    (`active`, `expired`, `idle`, `revoked`)."""
    return [{"id": t.pk, **{f: getattr(t, f) for f in OwnTokenRead.model_fields if f != "id"}}
            for t in selectors.list_own_tokens(request.auth)]  # fmt: skip


@router.delete("/auth/tokens/{token_id}", response={204: None, **ERROR_RESPONSES}, **signed_in())
def revoke_own_token(request, token_id: RecordId):
    """Revoke one of the caller's own tokens (404 for anyone else's)."""
    services.revoke_token(actor=request.auth, token_id=token_id)
    return Status(204, None)


@router.get("/users", response={200: list[ClinicUserRead], **ERROR_RESPONSES},
            **guard(Permission.MANAGE_USERS))  # fmt: skip
def list_users(request):
    """The clinic's logins with their second-factor status and live token count."""
    return [
        {"id": u.pk, "username": u.username, "full_name": u.get_full_name(), "role": u.role,
         "is_active": u.is_active, "second_factor": bool(u.has_totp or u.passkey_count),
         "live_tokens": u.live_tokens}
        for u in selectors.list_clinic_users(request.auth)
    ]  # fmt: skip


@router.post("/users/{user_id}/tokens/revoke", response={200: RevokedRead, **ERROR_RESPONSES},
             **guard(Permission.MANAGE_USERS))  # fmt: skip
def revoke_user_tokens(request, user_id: RecordId):
    """Revoke every live API token of a login of this clinic (audited per token)."""
    user = selectors.access_clinic_user(request.auth, user_id)
    return {"revoked": services.revoke_user_tokens(actor=request.auth, user=user)}


@router.post("/users/{user_id}/second-factor/reset", response={204: None, **ERROR_RESPONSES},
             **guard(Permission.MANAGE_USERS))  # fmt: skip
def reset_second_factor(request, user_id: RecordId, payload: ReasonCreate):
    """Lost device: remove the login's authenticator and recovery codes, end its sessions and
    tokens; it enrols again at next sign-in. Another admin's action, with a reason; never
    one's own (403 `not_self_service`)."""
    user = selectors.access_clinic_user(request.auth, user_id)
    sf.reset_second_factor(actor=request.auth, user=user, reason=payload.reason)
    return Status(204, None)


@router.post("/users/{user_id}/deactivate", response={204: None, **ERROR_RESPONSES},
             **guard(Permission.MANAGE_USERS))  # fmt: skip
def deactivate_user(request, user_id: RecordId, payload: ReasonCreate):
    """Deactivate a login with a reason: it cannot sign in, and all its tokens are revoked."""
    user = selectors.access_clinic_user(request.auth, user_id)
    services.withdraw_user_access(actor=request.auth, user=user, reason=payload.reason)
    return Status(204, None)
