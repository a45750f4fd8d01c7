"""Bearer tokens: issue (password plus the one-time code when the user has a second factor),
step up, and revoke."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from ketacare.accounts import second_factor as sf
from ketacare.accounts.lockout import is_locked_out, locked_out_response
from ketacare.accounts.services import issue_api_token, revoke_token
from ketacare.api.auth import current_token, signed_in
from ketacare.api.errors import error_body
from ketacare.api.schemas import ERROR_RESPONSES, ErrorRead, InputSchema

router = Router(tags=["auth"])


class TokenCreate(InputSchema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=512)
    otp: str | None = Field(
        default=None,
        max_length=64,
        description="The 6-digit code from the user's authenticator app (or a recovery code); "
        "required when the user has a second factor.",
    )


class TokenRead(Schema):
    token: str
    token_type: str = "Bearer"


class StepUpCreate(InputSchema):
    otp: str = Field(min_length=1, max_length=64)


class StepUpRead(Schema):
    second_factor_at: str
    valid_minutes: int


def _locked(request):
    return locked_out_response(request)  # 429 account_locked with Retry-After


@router.post(
    "/auth/token",
    response={
        200: TokenRead, 400: ErrorRead, 401: ErrorRead, 403: ErrorRead, 422: ErrorRead,
        429: ErrorRead,
    },
    auth=None,
)  # fmt: skip
def create_token(request, payload: TokenCreate):
    """Exchange a username, password and (for users with a second factor) the current
    one-time code `otp` for a bearer token; send it as `Authorization: Bearer <token>`.
    Tokens live `KETACARE_API_TOKEN_HOURS` (12 h) and end after
    `KETACARE_API_TOKEN_IDLE_MINUTES` (120) unused. A missing code answers 401 `otp_required`;
    a wrong, reused or another user's code 401 `invalid_otp`. Repeated failures of either
    step lock the account (429 `account_locked` with `Retry-After`)."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        return _locked(request)
    if user is None:
        return Status(401, error_body("invalid_credentials", "Wrong username or password."))
    state = sf.second_factor_state(user)
    if state == sf.ENROL:
        return Status(
            403,
            error_body(
                "second_factor_enrolment_required",
                "Your clinic requires a second factor for your role: sign in on the web once "
                "to set up an authenticator app, then request a token with its code.",
            ),
        )
    verified_at = None
    if state == sf.VERIFY:
        if not payload.otp:
            return Status(
                401, error_body("otp_required", "Send the current one-time code as `otp`.")
            )
        if not sf.verify_second_factor(user=user, code=payload.otp, request=request):
            if is_locked_out(request, user.get_username()):
                return _locked(request)
            return Status(
                401, error_body("invalid_otp", "The one-time code is wrong or was already used.")
            )
        verified_at = timezone.now()
    return Status(
        200, {"token": issue_api_token(user=user, second_factor_at=verified_at, request=request)}
    )


@router.post(
    "/auth/step-up", response={200: StepUpRead, **ERROR_RESPONSES, 429: ErrorRead}, **signed_in()
)
def step_up(request, payload: StepUpCreate):
    """Confirm the signed-in user with a fresh one-time code. Gate overrides, waste witnessing
    and count sign-offs answer 403 `second_factor_required` when the last check is older than
    the clinic's limit (15 minutes by default); call this, then repeat the action."""
    user = request.auth
    if is_locked_out(request, user.get_username()):
        return _locked(request)
    if not sf.verify_second_factor(user=user, code=payload.otp, request=request, purpose="step-up"):
        return Status(
            401, error_body("invalid_otp", "The one-time code is wrong or was already used.")
        )
    fresh = sf.current_freshness()
    now = timezone.now()
    if fresh is not None:
        sf.record_step_up(fresh, now)
    minutes = sf.clinic_security(user.clinic_id).step_up_minutes
    return Status(200, {"second_factor_at": now.isoformat(), "valid_minutes": minutes})


@router.delete("/auth/token", response={204: None, **ERROR_RESPONSES}, **signed_in())
def delete_token(request):
    """Sign out an integration: revoke the bearer token this request was sent with."""
    token = current_token(request)
    if token is None:
        return Status(
            400, error_body("bearer_token_required", "Send the token to revoke as the bearer.")
        )
    revoke_token(actor=request.auth, token_id=token.pk, reason="signed_out")
    return Status(204, None)
