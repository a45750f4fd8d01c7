"""Every page a person reads names things as a clinician does: no protocol, scale, alert,
state, route or finding code from the presenter's known list shows in the visible text, and
no ISO timestamp either. Codes may stay in a tooltip (``title``), in small print (``<code>``)
and in ``data-*`` attributes, where support and the tests find them.

One demo clinic, seeded once for the module inside a transaction rolled back at the end,
then every page each role opens."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from ketacare.web.presenters import known_codes

pytestmark = pytest.mark.django_db

HIDDEN = {"script", "style", "code", "head", "template"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


class _VisibleText(HTMLParser):
    """The text a reader sees (and what a screen reader reads from ``aria-label``), without
    script, style and ``<code>`` small print; also every ``data-*code`` value on the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.hidden = 0
        self.parts: list[str] = []
        self.page_codes: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if (
                name.startswith("data-")
                and name.endswith(("code", "state", "instrument"))
                and value
            ):
                self.page_codes.add(value)
        if attrs.get("aria-label") and not self.hidden:
            self.parts.append(attrs["aria-label"])
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag in HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag not in self.stack:
            return
        while self.stack:
            top = self.stack.pop()
            if top in HIDDEN:
                self.hidden -= 1
            if top == tag:
                break

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def raw_codes_shown(html: str) -> list[str]:
    """The known codes (and ISO instants) visible on a page."""
    parser = _VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    known = {code for table in known_codes().values() for code in table} | parser.page_codes
    # A plain word ("cleared", "observation") is also English: only codes that cannot be
    # prose count (an underscore or a digit in them), and lowercase route codes.
    suspicious = {c for c in known if "_" in c or any(ch.isdigit() for ch in c)}
    suspicious |= {"iv", "im", "sc"}
    tokens = set(re.findall(r"[A-Za-z0-9_]+", text))
    return sorted(tokens & suspicious) + ISO_INSTANT.findall(text)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo clinic (its people, 30 patients, today's sessions, alerts, REMS forms)."""
    from ketacare.accounts.models import User
    from ketacare.demo.seed import seed_demo_clinic
    from ketacare.measures.models import SafetyAlert
    from ketacare.treatment.models import TreatmentSession

    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo_clinic(password="demo-pass-for-tests")
        users = {u.username: u for u in User.objects.all()}
        alert = SafetyAlert.objects.filter(status="open").order_by("id").first()
        discharged = (
            TreatmentSession.objects.filter(state="discharged", course__route="intranasal")
            .order_by("-scheduled_at")
            .first()
        )
        today = (
            TreatmentSession.objects.filter(
                scheduled_at__date=timezone.localdate(), state="scheduled"
            )
            .order_by("id")
            .first()
        )
        yield {"users": users, "alert": alert, "discharged": discharged, "today": today}
        transaction.set_rollback(True)


def _pages(demo) -> list[tuple[str, str]]:
    alert, discharged, today = demo["alert"], demo["discharged"], demo["today"]
    patient = alert.patient_id
    return [
        ("nurse", "/board/"),
        ("nurse", f"/sessions/{today.pk}/"),
        ("nurse", f"/sessions/{discharged.pk}/"),
        ("nurse", f"/sessions/{discharged.pk}/rems-form/"),
        ("nurse", "/alerts/"),
        ("nurse", "/patients/"),
        ("nurse", f"/patients/{patient}/"),
        ("nurse", f"/patients/{discharged.patient_id}/"),
        ("nurse", "/inventory/"),
        ("nurse", "/inventory/ledger/"),
        ("prescriber", f"/patients/{patient}/"),
        ("prescriber", f"/patients/{today.patient_id}/"),
        ("prescriber", f"/patients/{today.patient_id}/courses/new/"),
        ("prescriber", f"/patients/{patient}/recommendation"),
        ("prescriber", f"/patients/{patient}/evaluation/new/"),
        ("admin", "/admin-pages/protocols/"),
        ("admin", "/admin-pages/clinic-policy/"),
        ("admin", "/admin-pages/consent-documents/"),
        ("frontdesk", "/board/"),
        ("frontdesk", f"/patients/{patient}/"),
        ("researcher", "/research/"),
        ("patient", "/portal/"),
        ("patient", "/portal/plan/"),
        ("patient", "/portal/consents/"),
        ("patient", "/portal/learn/"),
    ]


def test_no_page_shows_a_raw_code_or_an_iso_timestamp(demo):
    shown = {}
    for username, path in _pages(demo):
        client = Client()
        client.force_login(demo["users"][username])
        response = client.get(path)
        assert response.status_code == 200, (username, path, response.status_code)
        codes = raw_codes_shown(response.content.decode())
        if codes:
            shown[f"{username} {path}"] = codes
    assert not shown, "raw codes on pages:\n" + "\n".join(f"{k}: {v}" for k, v in shown.items())


def test_the_checker_finds_a_raw_code_and_an_iso_time_but_not_small_print():
    html = (
        "<main><p>Protocol in_esketamine_trd, due phq9 at 2026-11-25T08:30+00:00</p>"
        '<p title="phq9_item9_positive">Suicidal thoughts</p>'
        "<code>bp_above_predose_threshold</code>"
        '<li data-code="sessions_per_7_days_exceeded">sessions_per_7_days_exceeded</li></main>'
    )
    assert raw_codes_shown(html) == [
        "in_esketamine_trd",
        "phq9",
        "sessions_per_7_days_exceeded",
        "2026-11-25T08:30",
    ]


def test_board_names_protocol_alert_and_due_scale_and_keeps_codes_in_tooltips(demo):
    client = Client()
    client.force_login(demo["users"]["nurse"])
    body = client.get("/board/").content.decode()
    text = visible_text(body)
    assert "Esketamine 56/84 mg, treatment-resistant depression" in text
    assert "PHQ-9 due" in text
    assert "Suicidal thoughts reported (PHQ-9 item 9)" in text
    assert 'title="Code: in_esketamine_trd"' in body
    assert 'title="Code: phq9_item9_positive"' in body
