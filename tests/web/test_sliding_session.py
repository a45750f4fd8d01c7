"""Idle sign-out: a workstation in use stays signed in, an idle one lapses after 30 minutes,
and pages in between do not rewrite the session row."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _expiry(client) -> datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def _session_writes(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum(
        1
        for q in ctx.captured_queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
    )


def test_pages_within_a_minute_do_not_rewrite_the_session(client, nurse):
    with time_machine.travel(START, tick=False):
        client.force_login(nurse)  # signing in saves it
        expiry = _expiry(client)
        assert _session_writes(client, "/") == 0
        assert _session_writes(client, "/") == 0
    assert _expiry(client) == expiry


def test_a_workstation_in_use_stays_signed_in_past_thirty_minutes(client, nurse):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(nurse)
        client.get("/")
        for _ in range(4):  # a page every 20 minutes for 80 minutes
            clock.shift(timedelta(minutes=20))
            assert _session_writes(client, "/") == 1  # the expiry moves forward
        assert _expiry(client) == START + timedelta(minutes=80 + 30)


def test_an_idle_workstation_is_signed_out_after_thirty_minutes(client, nurse):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(nurse)
        client.get("/")
        clock.shift(timedelta(seconds=50))
        client.get("/")  # within the minute: not saved, expiry still 09:30
        clock.shift(timedelta(minutes=29, seconds=20))  # 09:30:10, 29:20 after the last page
        response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_signing_out_is_not_undone_by_the_refresh(client, nurse):
    client.force_login(nurse)
    client.get("/")
    client.post("/logout/")
    assert not Session.objects.exists()
