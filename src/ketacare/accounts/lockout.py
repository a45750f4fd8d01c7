"""django-axes lockout, shared by the password step, the second step and the API: one
answer (429, ``account_locked``, ``Retry-After`` with the cool-off) and one audit entry."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

LOCKED_MESSAGE = "Too many failed sign-ins; this account is locked for a while."


def is_locked_out(request: HttpRequest, username: str) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": username})


def retry_after_seconds() -> int:
    """The cool-off (``KETACARE_LOGIN_COOLOFF_MINUTES``) in whole seconds."""
    return max(1, round(float(settings.AXES_COOLOFF_TIME) * 3600))


def locked_out_response(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """JSON for the API, a page for people; 429 with Retry-After either way."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "account_locked", "message": LOCKED_MESSAGE, "details": {}}, status=429
        )
    else:
        response = render(request, "web/locked_out.html", status=429)
    response["Retry-After"] = str(retry_after_seconds())
    return response
