"""API authentication and route permissions.

Bearer tokens serve integrations; the browser session (with CSRF) serves the pages' htmx
calls. ``guard(Permission.X)`` is attached to every route: it authenticates, then refuses
a role without the permission with 403 *before* the body is parsed, so a forbidden caller
learns nothing from validation errors. Services check the same permission again (defence in
depth), and the permission is published in OpenAPI as ``x-permission`` for the
permission-matrix test.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from ketacare.accounts.permissions import Permission, require_permission
from ketacare.accounts.services import user_for_token


class BearerToken(HttpBearer):
    def __init__(self, permission: Permission | None = None) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        if self.permission is not None:
            require_permission(user, self.permission)
        return user


class BrowserSession(SessionAuth):
    """Session cookie; ninja checks the CSRF token for unsafe methods."""

    def __init__(self, permission: Permission | None = None) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, key: str | None):
        user = super().authenticate(request, key)
        if user is None:
            return None
        if self.permission is not None:
            require_permission(user, self.permission)
        return user


API_AUTH = [BearerToken(), BrowserSession()]


def guard(permission: Permission) -> dict[str, Any]:
    """Route keyword arguments: authenticate, require ``permission``, and document it."""
    return {
        "auth": [BearerToken(permission), BrowserSession(permission)],
        "openapi_extra": {"x-permission": str(permission)},
    }
