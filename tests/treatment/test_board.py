"""The clinic-day board for a room of people: each row carries a fingerprint of what the team
watches, so the page can mark what changed since the last refresh (a countdown ticking down
is not a change); an overdue vitals check and an overdue REMS form are said in words, with
colour only repeating them; ``?display=large`` is the wall display and its polling keeps it;
on a phone every cell carries its column's name."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from tests.treatment.test_rems_form_answers import discharged  # noqa: F401  (a scenario)

from ketacare.treatment.services import administer_dose, check_in, record_observation


@pytest.fixture
def esketamine_session(esketamine_course):
    return esketamine_course.sessions[0]


def _row(html: str, session_id: int) -> str:
    match = re.search(rf'<tr data-session="{session_id}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no board row for session {session_id}"
    return match.group(0)


def _version(html: str, session_id: int) -> str:
    return re.search(r'data-version="([0-9a-f]+)"', _row(html, session_id)).group(1)


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _observed(session, prescriber, nurse, cleared):
    session = cleared(session)
    now = timezone.now()
    administer_dose(
        actor=prescriber,
        session=session,
        lot_number="L1",
        dose_mg=Decimal("56"),
        device_times=[now - timedelta(minutes=5), now],
        pulse_oximeter_available=True,
    )
    record_observation(actor=nurse, session=session, scale="moaas", items=[5], observed_at=now)
    return session


def test_a_row_fingerprint_changes_when_the_session_changes_state(
    client, nurse, esketamine_session
):
    client.force_login(nurse)
    before = _version(client.get("/board/").content.decode(), esketamine_session.pk)
    assert _version(client.get("/board/").content.decode(), esketamine_session.pk) == before
    check_in(actor=nurse, session=esketamine_session)
    after = client.get("/board/", headers={"HX-Request": "true"}).content.decode()
    assert _version(after, esketamine_session.pk) != before
    assert "treatment/board.js" in client.get("/board/").content.decode()


def test_a_countdown_ticking_down_is_not_a_change_but_an_overdue_check_is(
    client, nurse, prescriber, esketamine_session, cleared, clock
):
    session = _observed(esketamine_session, prescriber, nurse, cleared)
    client.force_login(nurse)
    clock.shift(timedelta(minutes=10))
    first = client.get("/board/").content.decode()
    clock.shift(timedelta(minutes=1))
    second = client.get("/board/").content.decode()
    assert "data-remaining-min" in _row(second, session.pk)
    assert _version(second, session.pk) == _version(first, session.pk)
    assert "data-overdue" not in _row(second, session.pk)
    # The 40-minute check (esketamine label) not taken an hour after the dose: overdue.
    clock.shift(timedelta(minutes=50))
    client.force_login(nurse)  # past the 30-minute idle sign-out
    late = client.get("/board/").content.decode()
    row = _row(late, session.pk)
    assert _version(late, session.pk) != _version(second, session.pk)
    assert 'class="row-overdue"' in row
    assert "Overdue: 1 vitals check missed" in _words(row)  # words, not colour alone


def test_an_overdue_rems_form_is_listed_with_how_late_it_is_in_words(client, nurse, request, clock):
    session = request.getfixturevalue("discharged")
    client.force_login(nurse)
    on_time = _words(client.get("/board/").content.decode())
    assert "Overdue by" not in on_time
    clock.shift(timedelta(days=9))
    client.force_login(nurse)  # a new day's sign-in
    html = client.get("/board/").content.decode()
    item = re.search(rf'<li data-rems-form="{session.pk}"[^>]*>.*?</li>', html, re.S).group(0)
    assert 'class="rems-overdue"' in item
    assert "Overdue by 2 days" in _words(item)


def test_wall_display_mode_has_big_type_and_keeps_it_when_polling(
    client, nurse, esketamine_session
):
    client.force_login(nurse)
    standard = client.get("/board/").content.decode()
    assert 'class="board" data-board' in standard
    assert "Wall display (large text)" in standard
    large = client.get("/board/?display=large").content.decode()
    assert 'class="board board-large" data-board' in large
    assert 'hx-get="/board/?display=large" hx-trigger="every 30s"' in large
    assert "Standard display" in large
    assert client.get("/board/?display=nonsense").content.decode().count("board-large") == 0


def test_every_board_cell_carries_its_column_name_for_the_phone_layout(
    client, nurse, esketamine_session
):
    client.force_login(nurse)
    row = _row(client.get("/board/").content.decode(), esketamine_session.pk)
    labels = re.findall(r'<td data-label="([^"]+)"', row)
    assert labels == ["Time", "Patient", "State", "Due next", "Observation", "Flags"]


def test_a_name_with_markup_in_it_is_shown_as_text_on_the_board(client, nurse, esketamine_session):
    # The board's rows are built in Python (treatment/presenters.py), not by the template's
    # autoescape: a name typed with markup at the front desk must stay text there too.
    from ketacare.audit.models import service_write
    from ketacare.patients.models import Patient

    with service_write():
        Patient.objects.filter(pk=esketamine_session.patient_id).update(
            given_name='<img src=x onerror="alert(1)">', family_name="O'Brien & <b>Co</b>"
        )
    client.force_login(nurse)
    row = _row(client.get("/board/").content.decode(), esketamine_session.pk)
    assert "<img" not in row
    assert "<b>" not in row
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in row
    assert "O&#x27;Brien &amp; &lt;b&gt;Co&lt;/b&gt;" in row
