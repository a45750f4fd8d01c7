from __future__ import annotations

from django.contrib.auth import authenticate
from ninja import Router, Schema, Status
from pydantic import Field

from ketacare.accounts.services import issue_api_token
from ketacare.api.errors import error_body
from ketacare.api.schemas import ErrorRead, InputSchema

router = Router(tags=["auth"])


class TokenCreate(InputSchema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=512)


class TokenRead(Schema):
    token: str
    token_type: str = "Bearer"


@router.post(
    "/auth/token",
    response={200: TokenRead, 400: ErrorRead, 401: ErrorRead, 422: ErrorRead, 429: ErrorRead},
    auth=None,
)
def create_token(request, payload: TokenCreate):
    """Exchange a username and password for a bearer token (send it as
    `Authorization: Bearer <token>`). Repeated failures lock the account for a while."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        return Status(
            429,
            error_body(
                "account_locked", "Too many failed sign-ins; this account is locked for a while."
            ),
        )
    if user is None:
        return Status(401, error_body("invalid_credentials", "Wrong username or password."))
    return Status(200, {"token": issue_api_token(user=user)})
