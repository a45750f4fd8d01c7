"""Codes and instants as a clinician reads them: the one presenter layer of the pages.

The database, the core and the API speak in stable codes (``in_esketamine_trd``, ``phq9``,
``phq9_item9_positive``, ``checked_in``, ``iv``, ``bp_above_predose_threshold``) and in UTC
instants. People read names ("Esketamine 56/84 mg, treatment-resistant depression", "PHQ-9",
"Suicidal thoughts reported (PHQ-9 item 9)", "Checked in") and times on the clinic's clock
("Wed 25 Nov, 08:30"). Every page turns one into the other here, through the ``present``
template library (built in to every template: ``{{ code|scale }}``, ``{{ at|when }}``,
``{% named "alert" code %}``), so no template formats a code or a date by hand. The codes
stay in the API, and on the page in a tooltip or small print for support.

Names come from the core where it has them (the scales' ``short_name``, the protocol's drug,
route, doses and indication), from the tables below where it does not, and for a code no table
knows (a blocker code added later, a clinic's own protocol) from the code itself made readable,
so a raw code never reaches a reader. ``KNOWN_CODES`` lists every code the tables name; a test
renders the pages and fails if one of them shows outside a tooltip or small print.

Times: Django's active time zone is the clinic's (``web.middleware.ClinicTimeZoneMiddleware``
activates ``Clinic.time_zone``, or ``TIME_ZONE`` when the clinic has set none), so every
instant here is shown on the clinic's clock whatever the server's.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.utils import timezone

from ketacare.clinical.dosing.protocols import (
    STANDARD_PROTOCOLS,
    Drug,
    FixedStepDose,
    Indication,
    Protocol,
    Route,
    WeightBasedDose,
)
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales import SCALES
from ketacare.clinical.session.states import SessionState

# --- vocabularies --------------------------------------------------------------------------

SCALE_NAMES: dict[str, str] = {code: spec.short_name for code, spec in SCALES.items()}
# Pages and the API also say "cssrs" for the C-SSRS screener's instrument family.
SCALE_NAMES.setdefault("cssrs", "C-SSRS")

ALERT_NAMES: dict[str, str] = {
    "phq9_item9_positive": "Suicidal thoughts reported (PHQ-9 item 9)",
    "qids_item12_positive": "Thoughts of death or suicide reported (QIDS-SR16 item 12)",
    "cssrs_high_risk": "High suicide risk (C-SSRS)",
    "cssrs_positive_screen": "Positive suicide-risk screen (C-SSRS)",
    "sharp_worsening": "Depression score sharply worse",
}

STATE_NAMES: dict[str, str] = {
    SessionState.SCHEDULED: "Scheduled",
    SessionState.CHECKED_IN: "Checked in",
    SessionState.CLEARED: "Cleared for dosing",
    SessionState.DOSING: "Dosing",
    SessionState.OBSERVATION: "Observation",
    SessionState.DISCHARGED: "Discharged",
    SessionState.CANCELLED: "Cancelled",
    SessionState.ABORTED: "Aborted",
}

ROUTE_NAMES: dict[str, str] = {
    Route.IV: "Intravenous (IV)",
    Route.IM: "Intramuscular (IM)",
    Route.SC: "Subcutaneous (SC)",
    Route.INTRANASAL: "Intranasal",
}

_DRUG_BY_ROUTE: dict[tuple[str, str], str] = {
    (Drug.ESKETAMINE, Route.INTRANASAL): "Esketamine",
    (Drug.RACEMIC_KETAMINE, Route.IV): "IV ketamine",
    (Drug.RACEMIC_KETAMINE, Route.IM): "IM ketamine",
    (Drug.RACEMIC_KETAMINE, Route.SC): "SC ketamine",
}

INDICATION_NAMES: dict[str, str] = {
    Indication.TRD: "treatment-resistant depression",
    Indication.MDSI: "depression with acute suicidal thoughts",
}

# Short names for the findings that pages show by code alone (an override's or an
# acknowledgment's list of what it covered). A finding with its message is shown by the
# message; these are for when only the code is at hand.
FINDING_NAMES: dict[str, str] = {
    "bp_above_predose_threshold": "Blood pressure above the pre-dose limit",
    "predose_bp_limit_not_set": "No pre-dose blood-pressure limit set for this route",
    "bp_above_hard_limit": "Blood pressure above the hard limit",
    "consent_missing": "No consent on record",
    "consent_superseded": "Consent superseded: re-consent needed",
    "consent_withdrawn": "Consent withdrawn",
    "consent_valid": "Consent valid",
    "predose_vitals_missing": "Pre-dose vital signs missing",
    "npo_not_confirmed": "Fasting not confirmed",
    "ride_home_missing": "No ride home",
    "prescriber_not_on_site": "Prescriber not on site",
    "pulse_oximeter_unavailable": "No pulse oximeter on the patient",
    "discharge_too_early": "Too early to discharge",
    "discharge_vitals_not_acceptable": "Vital signs not acceptable for discharge",
    "sedation_not_resolved": "Sedation not resolved",
    "dissociation_not_resolved": "Dissociation not resolved",
    "clinician_readiness_missing": "Clinician has not judged the patient ready",
    "safety_assessment_required": "Same-day safety assessment needed",
    "rems_patient_not_enrolled": "Patient not enrolled in the SPRAVATO REMS",
    "rems_setting_not_certified": "Setting not certified for the SPRAVATO REMS",
    "sessions_per_7_days_exceeded": "More sessions in 7 days than the protocol allows",
    "dose_above_ceiling": "Dose above the protocol's ceiling",
    "dose_not_within_limits": "Dose outside the protocol's limits",
    "device_interval_too_short": "Devices given too close together",
    "scheduled_vitals_missed": "A scheduled vital-signs check was missed",
    "moaas_loss_of_consciousness": "Loss of consciousness (MOAA/S 0)",
    "mdsi_beyond_4_weeks": "Beyond the 4 evaluated weeks (MDSI)",
    "acknowledgment_required": "Needs an acknowledgment",
}

KINDS = ("protocol", "scale", "alert", "state", "route", "finding")


def _protocol_codes() -> dict[str, str]:
    return {code: protocol_name(protocol) for code, protocol in STANDARD_PROTOCOLS.items()}


def known_codes() -> dict[str, dict[str, str]]:
    """Every code the presenter names, by kind (the raw-code page test reads this)."""
    return {
        "protocol": _protocol_codes(),
        "scale": dict(SCALE_NAMES),
        "alert": dict(ALERT_NAMES),
        "state": {str(k): v for k, v in STATE_NAMES.items()},
        "route": {str(k): v for k, v in ROUTE_NAMES.items()},
        "finding": dict(FINDING_NAMES),
    }


# --- names --------------------------------------------------------------------------------


def readable_code(code: str) -> str:
    """A code no table knows, made readable ("sessions_per_7_days_exceeded" -> "Sessions per 7
    days exceeded"), so no page prints a raw code even for codes added after this table."""
    text = str(code or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _steps(values: tuple[Decimal, ...]) -> str:
    return "/".join(format(v.normalize(), "f") for v in values)


_PER_WEEK = {1: "weekly", 2: "twice weekly", 3: "three times weekly"}


def protocol_name(protocol: Protocol) -> str:
    """ "Esketamine 56/84 mg, treatment-resistant depression", built from the protocol itself
    (so a clinic's edited doses show as they are): drug by route, the doses (the first phase's
    allowed doses, else the dose rule's steps; mg/kg and sessions a week for weight-based
    protocols) and the indication."""
    drug = _DRUG_BY_ROUTE.get((protocol.drug, protocol.route)) or readable_code(
        f"{protocol.drug}_{protocol.route}"
    )
    rule = protocol.dose_rule
    if isinstance(rule, FixedStepDose):
        first = protocol.schedule.phases[0] if protocol.schedule.phases else None
        doses = (first.allowed_doses_mg if first else ()) or rule.steps_mg
        dose = f"{_steps(doses)} mg"
    else:
        assert isinstance(rule, WeightBasedDose)
        dose = f"{_steps((rule.default_mg_per_kg,))} mg/kg"
        first = protocol.schedule.phases[0] if protocol.schedule.phases else None
        if first is not None and first.max_sessions_per_week in _PER_WEEK:
            dose += f" {_PER_WEEK[first.max_sessions_per_week]}"
    indication = INDICATION_NAMES.get(protocol.indication, readable_code(protocol.indication))
    return f"{drug} {dose}, {indication}"


@lru_cache(maxsize=512)
def _protocol_name_from_json(code: str, name: str, parameters: str) -> str:
    from ketacare.protocols.mappers import protocol_from_data  # apps load after web

    try:
        return protocol_name(protocol_from_data(json.loads(parameters)))
    except InvalidClinicalInput:
        return name or readable_code(code)


def protocol_label(value: Any) -> str:
    """A course, a protocol version, a core ``Protocol`` or a bare protocol code by name."""
    if value is None or value == "":
        return ""
    if isinstance(value, Protocol):
        return protocol_name(value)
    version = getattr(value, "protocol_version", None) or value
    parameters = getattr(version, "parameters", None)
    if isinstance(parameters, dict):
        return _protocol_name_from_json(
            getattr(version, "code", ""),
            getattr(version, "name", ""),
            json.dumps(parameters, sort_keys=True, default=str),
        )
    code = str(getattr(value, "protocol_code", None) or getattr(value, "code", None) or value)
    standard = STANDARD_PROTOCOLS.get(code)
    return protocol_name(standard) if standard is not None else readable_code(code)


def scale_label(code: Any) -> str:
    code = str(code or "")
    return SCALE_NAMES.get(code) or readable_code(code)


def alert_label(code: Any) -> str:
    code = str(code or "")
    return ALERT_NAMES.get(code) or readable_code(code)


def state_label(code: Any) -> str:
    code = str(code or "")
    return STATE_NAMES.get(code) or readable_code(code)  # type: ignore[call-overload]


def route_label(code: Any) -> str:
    code = str(code or "")
    return ROUTE_NAMES.get(code) or readable_code(code)  # type: ignore[call-overload]


def indication_label(code: Any) -> str:
    code = str(code or "")
    name = INDICATION_NAMES.get(code)  # type: ignore[call-overload]
    return name[:1].upper() + name[1:] if name else readable_code(code)


def finding_label(value: Any) -> str:
    """A finding (dict or object with ``message``) by its message; a bare code by its name."""
    message = value.get("message") if isinstance(value, dict) else getattr(value, "message", None)
    if message:
        return readable_text(str(message))
    code = str(value or "")
    return FINDING_NAMES.get(code) or ALERT_NAMES.get(code) or readable_code(code)


LABELLERS = {
    "protocol": protocol_label,
    "scale": scale_label,
    "alert": alert_label,
    "state": state_label,
    "route": route_label,
    "finding": finding_label,
}


def label(kind: str, code: Any) -> str:
    return LABELLERS[kind](code)


# --- instants -----------------------------------------------------------------------------


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _today() -> date:
    return timezone.localdate()


def day(value: date | datetime | None) -> str:
    """ "Wed 25 Nov" (with the year when it is not this year's), on the clinic's calendar."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    text = f"{value:%a} {value.day} {value:%b}"
    return text if value.year == _today().year else f"{text} {value.year}"


def dated(value: date | datetime | None) -> str:
    """ "25 Nov 2026": a calendar date (a birth date, a document's effective date)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    return f"{value.day} {value:%b %Y}"


def clock(value: datetime | None) -> str:
    """ "08:30" on the clinic's clock."""
    if value is None:
        return ""
    return f"{_local(value):%H:%M}"


def when(value: datetime | date | None) -> str:
    """ "Wed 25 Nov, 08:30" on the clinic's clock (the year added when not this year's); a
    date alone as ``day``."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return day(value)
    return f"{day(value)}, {clock(value)}"


def iso(value: datetime | None) -> str:
    """The machine-readable instant for ``<time datetime=...>``."""
    return value.isoformat() if value is not None else ""


# An ISO-8601 instant as the core writes it in messages ("2026-11-25T08:30+00:00").
_ISO_INSTANT = re.compile(
    r"\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?\b"
)
_SCALE_CODE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, SCALE_NAMES), key=len, reverse=True)) + r")\b"
)


def _instant(match: re.Match[str]) -> str:
    try:
        value = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
    except ValueError:
        return match.group(0)
    return when(value)


# A route code inside prose ("consent for im treatment"): never an English word in lowercase.
_ROUTE_CODE = re.compile(r"\b(iv|im|sc)\b")
# A snake_case code inside prose ("alerts: systolic_above_threshold").
_INLINE_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _inline_code(match: re.Match[str]) -> str:
    code = match.group(0)
    if code in STANDARD_PROTOCOLS:
        return protocol_name(STANDARD_PROTOCOLS[code])
    for table in (ALERT_NAMES, FINDING_NAMES, STATE_NAMES, SCALE_NAMES):
        if code in table:
            return table[code]  # type: ignore[index]
    return code.replace("_", " ")


def readable_text(text: Any) -> str:
    """A message from the core or a stored record, for a person: its ISO instants on the
    clinic's clock ("Wed 25 Nov, 08:30"), scale codes by name ("phq9" -> "PHQ-9") and any
    other code in it by its name."""
    text = _ISO_INSTANT.sub(_instant, str(text or ""))
    text = _INLINE_CODE.sub(_inline_code, text)
    text = _ROUTE_CODE.sub(lambda m: m.group(1).upper(), text)
    return _SCALE_CODE.sub(lambda m: SCALE_NAMES[m.group(1)], text)


EVENT_NAMES: dict[str, str] = {
    "vitals": "Vital signs",
    "adverse_event": "Adverse event",
    "override": "Override",
    "acknowledgment": "Acknowledgment",
    "safety_assessment": "Safety assessment",
    "dose": "Dose",
    "correction": "Correction",
}


def event_label(kind: Any) -> str:
    """A run-sheet timeline entry's kind ("checked_in", "moaas", "vitals") by name."""
    kind = str(kind or "")
    return EVENT_NAMES.get(kind) or SCALE_NAMES.get(kind) or state_label(kind)
