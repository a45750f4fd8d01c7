"""The presenter layer: codes by the names clinicians use, instants on the clinic's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.utils import timezone

from ketacare.clinical.dosing.protocols import STANDARD_PROTOCOLS
from ketacare.web import presenters as p

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("in_esketamine_trd", "Esketamine 56/84 mg, treatment-resistant depression"),
        ("in_esketamine_mdsi", "Esketamine 56/84 mg, depression with acute suicidal thoughts"),
        ("iv_racemic_elektd", "IV ketamine 0.5 mg/kg twice weekly, treatment-resistant depression"),
        (
            "iv_racemic_murrough",
            "IV ketamine 0.5 mg/kg three times weekly, treatment-resistant depression",
        ),
    ],
)
def test_standard_protocols_are_named_from_their_drug_doses_and_indication(code, name):
    assert p.protocol_label(code) == name
    assert p.protocol_label(STANDARD_PROTOCOLS[code]) == name


def test_every_standard_protocol_has_a_distinct_name():
    names = [p.protocol_label(code) for code in STANDARD_PROTOCOLS]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize(
    ("kind", "code", "name"),
    [
        ("scale", "phq9", "PHQ-9"),
        ("scale", "qids_sr16", "QIDS-SR16"),
        ("scale", "cssrs_screener", "C-SSRS screener"),
        ("alert", "phq9_item9_positive", "Suicidal thoughts reported (PHQ-9 item 9)"),
        ("state", "checked_in", "Checked in"),
        ("route", "intranasal", "Intranasal"),
        ("route", "iv", "Intravenous (IV)"),
        ("finding", "bp_above_predose_threshold", "Blood pressure above the pre-dose limit"),
        # A code no table knows is still made readable, never shown raw.
        ("finding", "sessions_per_fortnight_exceeded", "Sessions per fortnight exceeded"),
        ("alert", "new_alert_kind", "New alert kind"),
    ],
)
def test_codes_are_shown_by_name(kind, code, name):
    assert p.label(kind, code) == name


def test_a_finding_with_a_message_is_shown_by_its_message():
    finding = {"code": "consent_missing", "message": "No signed consent for iv treatment."}
    assert p.finding_label(finding) == "No signed consent for IV treatment."


@time_machine.travel(NOW, tick=False)
def test_instants_are_shown_on_the_clinic_clock_in_a_readable_form():
    at = datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
    with timezone.override("America/New_York"):
        assert p.when(at) == "Wed 25 Nov, 08:30"
        assert p.day(at) == "Wed 25 Nov"
        assert p.clock(at) == "08:30"
    assert p.when(at) == "Wed 25 Nov, 13:30"  # the deployment's default (UTC in tests)
    assert p.when(datetime(2025, 11, 25, 13, 30, tzinfo=UTC)) == "Tue 25 Nov 2025, 13:30"
    assert p.dated(date(1980, 3, 3)) == "3 Mar 1980"


@time_machine.travel(NOW, tick=False)
def test_core_messages_lose_their_iso_instants_and_codes():
    message = (
        "phq9 rose from 11 (previous score, 2026-11-25T08:30+00:00) to 18 on "
        "2026-11-29T08:30+00:00 (+63.6%); alerts: systolic_above_threshold"
    )
    with timezone.override("Europe/London"):
        assert p.readable_text(message) == (
            "PHQ-9 rose from 11 (previous score, Wed 25 Nov, 08:30) to 18 on "
            "Sun 29 Nov, 08:30 (+63.6%); alerts: systolic above threshold"
        )


def test_known_codes_cover_every_kind():
    known = p.known_codes()
    assert set(known) == set(p.KINDS)
    assert "in_esketamine_trd" in known["protocol"]
    assert "phq9_item9_positive" in known["alert"]
