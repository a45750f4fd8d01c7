"""API authentication and route permissions.

Bearer tokens serve integrations; the browser session (with CSRF) serves the pages' htmx
calls. ``guard(Permission.X)`` is attached to every route: it authenticates, then refuses
a role without the permission with 403 *before* the body is parsed, so a forbidden caller
learns nothing from validation errors. Services check the same permission again (defence in
depth), and the permission is published in OpenAPI as ``x-permission`` for the
permission-matrix test.

A bearer token carries its own second-factor freshness (when its holder last gave a code
for it); the browser session's comes from the session (accounts/middleware.py). Either is
what ``second_factor.require_recent_second_factor`` checks before an override.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from ketacare.accounts.middleware import PENDING_STATES, session_state
from ketacare.accounts.models import ApiToken
from ketacare.accounts.permissions import SIGNED_IN, Permission, require_permission
from ketacare.accounts.second_factor import Freshness, current_freshness, set_freshness
from ketacare.accounts.services import token_for_bearer

_TOKEN_ATTR = "ketacare_api_token"


def current_token(request: HttpRequest) -> ApiToken | None:
    """The bearer token this request authenticated with, if any."""
    return getattr(request, _TOKEN_ATTR, None)


class BearerToken(HttpBearer):
    def __init__(self, permission: Permission | None = None) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, token: str):
        api_token = token_for_bearer(token)
        if api_token is None:
            return None
        user = api_token.user
        request.user = user
        setattr(request, _TOKEN_ATTR, api_token)
        fresh = current_freshness()
        if fresh is None:  # outside the middleware (a bare test of the API object)
            fresh = Freshness()
            set_freshness(fresh)
        fresh.user_id, fresh.second_factor_at = user.pk, api_token.second_factor_at
        fresh.session, fresh.token = None, api_token
        if self.permission is not None:
            require_permission(user, self.permission)
        return user


class BrowserSession(SessionAuth):
    """Session cookie; ninja checks the CSRF token for unsafe methods."""

    def __init__(self, permission: Permission | None = None) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, key: str | None):
        if session_state(request) in PENDING_STATES:
            return None  # password given, second step not yet: not signed in
        user = super().authenticate(request, key)
        if user is None:
            return None
        if self.permission is not None:
            require_permission(user, self.permission)
        return user


API_AUTH = [BearerToken(), BrowserSession()]


def guard(
    permission: Permission, *, links: dict[str, tuple[str, dict[str, str]]] | None = None
) -> dict[str, Any]:
    """Route keyword arguments: authenticate, require ``permission``, and document it.

    ``links`` documents OpenAPI links from the 201 answer to the operations that read what
    was created (name -> (operationId, parameters as runtime expressions)); clients and
    stateful fuzzers follow them."""
    extra: dict[str, Any] = {"x-permission": str(permission)}
    if links:
        extra["responses"] = {
            201: {
                "links": {
                    name: {"operationId": operation_id, "parameters": parameters}
                    for name, (operation_id, parameters) in links.items()
                }
            }
        }
    return {
        "auth": [BearerToken(permission), BrowserSession(permission)],
        "openapi_extra": extra,
    }


# Routes any signed-in user may call about their own sign-in (step-up, sign-out): published
# as this pseudo-permission (accounts.permissions.SIGNED_IN) so the permission matrix still
# sees every route declared.


def signed_in() -> dict[str, Any]:
    return {"auth": API_AUTH, "openapi_extra": {"x-permission": SIGNED_IN}}
