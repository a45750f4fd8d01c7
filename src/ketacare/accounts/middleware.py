"""The second sign-in step on the web, enforced for every URL.

Signing in with a password leaves the session *pending* when the user has a second factor,
or must enrol one under the clinic's policy (``second_factor.second_factor_state``, decided
once at sign-in and kept in the session, so no request pays a query for it). A pending
session reaches only the second-step pages and sign-out: a page request is redirected to
the step it owes, and anything else sees an anonymous visitor (the API answers 401). This
fails closed for routes added later by any app.

Place after Django's AuthenticationMiddleware.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ketacare.accounts.second_factor import (
    ENROL,
    NONE,
    VERIFY,
    Freshness,
    reset_freshness,
    second_factor_state,
    set_freshness,
)

STATE_KEY = "ketacare_second_factor"  # VERIFY | ENROL | NONE | VERIFIED
AT_KEY = "ketacare_second_factor_at"  # POSIX seconds of the last successful check
VERIFIED = "verified"
PENDING_STATES = frozenset({VERIFY, ENROL})
_PENDING = PENDING_STATES
# The pages a pending session may reach (url names).
_STEP_URL = {VERIFY: "accounts:second_factor", ENROL: "accounts:enrol"}
_OPEN_TO_PENDING = {"accounts:second_factor", "accounts:enrol", "web:logout"}


def on_sign_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: record what the new session still owes."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[STATE_KEY] = second_factor_state(user)
    session.pop(AT_KEY, None)


def mark_session_verified(session, at: datetime) -> None:
    session[STATE_KEY] = VERIFIED
    session[AT_KEY] = int(at.timestamp())


def _api_with_bearer(request: HttpRequest) -> bool:
    """An API call with a bearer token: its token is its credential (api/auth.py), so the
    session is not even loaded. Should the token be bad, the API's session authentication
    refuses a pending session itself (``BrowserSession``)."""
    return request.path.startswith("/api/") and request.headers.get(
        "Authorization", ""
    ).lower().startswith("bearer ")


def session_state(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    return None if session is None else session.get(STATE_KEY)


def step_url(state: str, next_path: str = "") -> str:
    url = reverse(_STEP_URL[state])
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: set[str] | None = None

    def _is_open(self, path: str) -> bool:
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in _OPEN_TO_PENDING}
        return path in self._open_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        state = None
        if session is not None and not _api_with_bearer(request):
            state = session.get(STATE_KEY)
        fresh = None
        if state is not None:
            if state not in {*_PENDING, NONE, VERIFIED}:
                state = ENROL  # unknown marker: fail closed
            if state in _PENDING and not self._is_open(request.path):
                if request.method == "GET" and not request.path.startswith("/api/"):
                    return HttpResponseRedirect(step_url(state, request.get_full_path()))
                request.user = AnonymousUser()
            elif session.get(SESSION_KEY):
                at = session.get(AT_KEY) if state == VERIFIED else None
                fresh = Freshness(
                    user_id=int(session[SESSION_KEY]),
                    second_factor_at=datetime.fromtimestamp(at, UTC) if at else None,
                    session=session,
                )
        # Bearer-token requests replace this with the token's freshness (api/auth.py).
        token = set_freshness(fresh or Freshness())
        try:
            return self.get_response(request)
        finally:
            reset_freshness(token)
