"""Idle sign-out without a database write on every page.

A clinical workstation left signed in must lapse after ``SESSION_COOKIE_AGE`` (30 minutes)
without use. Django's ``SESSION_SAVE_EVERY_REQUEST`` does that by saving the session row on
every request: an UPDATE and a commit per page, a third of a page's writes. Here the session
is saved (moving its expiry forward) only when the last save is at least
``SESSION_REFRESH_SECONDS`` old, so a session in use never lapses and an idle one lapses
between ``SESSION_COOKIE_AGE - SESSION_REFRESH_SECONDS`` and ``SESSION_COOKIE_AGE`` after the
last request. Place it after Django's SessionMiddleware.
"""

from __future__ import annotations

import time

from django.conf import settings

_SAVED_AT = "_ketacare_saved_at"


def stamp_on_sign_in(sender, request, user, **kwargs) -> None:
    """Signing in saves the session anyway (Django cycles its key): stamp it then, so the
    first page after sign-in does not save it again."""
    session = getattr(request, "session", None)
    if session is not None:
        session[_SAVED_AT] = int(time.time())


class SlidingSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():  # anonymous, or just signed out
            return response
        now = int(time.time())
        if now - session.get(_SAVED_AT, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[_SAVED_AT] = now  # marks it modified: SessionMiddleware saves it
        return response
