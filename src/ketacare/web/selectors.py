"""Reads for the patient chart's fixed header: what is dangerous, first.

``chart_header`` gathers, for a patient the chart has already read (one audited read through
``access_patient``), the facts a clinician needs before anything else: age, latest weight,
allergies as recorded, the eligibility (contraindication) verdict with its reasons, consent
by route, open safety alerts and the next session. Everything comes from the apps' own
selectors; inside the chart's ``read_scope`` the rows the panels also read (latest weight,
latest evaluation, courses with sessions) are read once. A fixed number of queries whatever
the patient's history. No audit here: the caller accessed the patient. What the header
shows follows the viewer's permissions (docs/roles.md): the weight needs
``VIEW_CLINICAL_HISTORY``, the allergy answer and the eligibility verdict ``VIEW_TREATMENT``,
the open safety alerts ``VIEW_MEASURES``; age, consent and the next session are the record's
demographics and status (front desk).

KetaCare keeps no separate allergy list: the one allergy it records is the evaluation's
answer to "Hypersensitivity to ketamine or esketamine?", so the header shows that answer with
its date and says plainly that no other allergies are recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.clinical.consent import (
    CONSENT_MISSING,
    CONSENT_SUPERSEDED,
    CONSENT_VALID,
    CONSENT_WITHDRAWN,
)
from ketacare.clinical.session.states import SessionState
from ketacare.consent.models import ConsentRoute
from ketacare.consent.selectors import patient_consents
from ketacare.evaluation.models import Verdict
from ketacare.evaluation.selectors import latest_evaluation
from ketacare.measures.models import AlertStatus
from ketacare.measures.selectors import list_patient_alerts
from ketacare.patients.models import Patient
from ketacare.patients.selectors import latest_weight
from ketacare.treatment.context import age_years, start_of_clinic_day
from ketacare.treatment.models import CourseStatus
from ketacare.treatment.selectors import courses_with_sessions
from ketacare.web import presenters

HYPERSENSITIVITY_ANSWER = "hypersensitivity_to_ketamine_or_esketamine"

VERDICT_TONE = {
    Verdict.ELIGIBLE: "ok",
    Verdict.ELIGIBLE_WITH_CAUTIONS: "warn",
    Verdict.NEEDS_REVIEW: "warn",
    Verdict.NOT_ELIGIBLE: "danger",
}

CONSENT_TONE = {
    CONSENT_VALID: ("Valid", "ok"),
    CONSENT_MISSING: ("Missing", "warn"),
    CONSENT_WITHDRAWN: ("Withdrawn", "danger"),
    CONSENT_SUPERSEDED: ("Re-consent needed", "warn"),
}

_OVER = (SessionState.DISCHARGED, SessionState.CANCELLED, SessionState.ABORTED)


@dataclass(frozen=True, slots=True)
class HeaderFact:
    """One fact of the header: its words (never colour alone) and its tone for the badge."""

    label: str
    text: str
    tone: str = ""  # "ok", "warn", "danger" or "" (neutral)
    detail: str = ""
    code: str = ""  # the stable code, for support (tooltip)


@dataclass
class ChartHeader:
    age: int
    weight_kg: Decimal | None
    weight_at: datetime | None
    allergy: HeaderFact | None  # None: not the viewer's to see (VIEW_TREATMENT)
    verdict: HeaderFact | None
    verdict_reasons: list[dict[str, Any]]
    consents: list[HeaderFact]
    alerts: list[Any]
    next_session: Any = None  # TreatmentSession
    unsigned_routes: list[str] = field(default_factory=list)  # routes with no consent at all
    shows_history: bool = True
    shows_treatment: bool = True
    shows_measures: bool = True

    @property
    def danger(self) -> bool:
        """Anything in the header that should stop a clinician before dosing."""
        return (
            bool(self.alerts)
            or (self.verdict is not None and self.verdict.tone == "danger")
            or (self.allergy is not None and self.allergy.tone == "danger")
            or any(c.tone == "danger" for c in self.consents)
        )


def _allergy(evaluation) -> HeaderFact:
    if evaluation is None:
        return HeaderFact(
            "Allergies",
            "Not yet asked",
            "warn",
            "No evaluation on record: ketamine/esketamine hypersensitivity not yet asked.",
        )
    answer = (evaluation.inputs or {}).get("answers", {}).get(HYPERSENSITIVITY_ANSWER)
    asked = f"evaluation of {presenters.day(evaluation.as_of)}"
    if answer is True:
        return HeaderFact(
            "Allergies",
            "Hypersensitivity to ketamine or esketamine",
            "danger",
            f"Reported at the {asked}.",
            HYPERSENSITIVITY_ANSWER,
        )
    if answer is False:
        return HeaderFact(
            "Allergies",
            "No ketamine or esketamine hypersensitivity",
            "ok",
            f"Answered at the {asked}; no other allergies are recorded in KetaCare.",
            HYPERSENSITIVITY_ANSWER,
        )
    return HeaderFact("Allergies", "Not recorded", "warn", f"Not answered at the {asked}.")


def _verdict(evaluation) -> tuple[HeaderFact, list[dict[str, Any]]]:
    if evaluation is None:
        return HeaderFact("Contraindications", "Not yet evaluated", "warn"), []
    verdict = Verdict(evaluation.verdict)
    return (
        HeaderFact("Contraindications", verdict.label, VERDICT_TONE[verdict], code=verdict.value),
        list(evaluation.reasons or []),
    )


def _consents(
    patient: Patient, now: datetime, treated_routes: set[str]
) -> tuple[list[HeaderFact], list[str]]:
    """The consent facts worth a badge (every route the patient is being treated by, and any
    route with a signature, valid or not), and the names of the other routes, which simply
    have no consent (said in one line, not as a row of warnings)."""
    shown, unsigned = [], []
    for status in patient_consents(patient, as_of=now).status:
        label = ConsentRoute(status.route).label
        if status.code == CONSENT_MISSING and status.route not in treated_routes:
            unsigned.append(label)
            continue
        text, tone = CONSENT_TONE.get(status.code, (status.message, "warn"))
        if status.code != CONSENT_VALID and status.route in treated_routes:
            tone = "danger"  # the route of the treatment has no valid consent
        shown.append(HeaderFact(label, text, tone, status.message, status.code))
    return shown, unsigned


def next_session(patient: Patient, now: datetime):
    """The session in progress, else the first one scheduled from the start of today: from
    the courses the chart's treatment panel reads anyway (no query of its own in a scope)."""
    day_start = start_of_clinic_day(now)
    candidates = [
        s
        for course in courses_with_sessions(patient)
        for s in course.sessions.all()
        if s.state not in _OVER
        and (s.state != SessionState.SCHEDULED or s.scheduled_at >= day_start)
    ]
    in_progress = [s for s in candidates if s.state != SessionState.SCHEDULED]
    pool = in_progress or candidates
    return min(pool, key=lambda s: (s.scheduled_at, s.pk)) if pool else None


def chart_header(patient: Patient, *, viewer, now: datetime | None = None) -> ChartHeader:
    now = now or timezone.now()
    history = has_permission(viewer, Permission.VIEW_CLINICAL_HISTORY)
    treatment = has_permission(viewer, Permission.VIEW_TREATMENT)
    measures = has_permission(viewer, Permission.VIEW_MEASURES)
    weight = latest_weight(patient) if history else None
    evaluation = latest_evaluation(patient) if treatment else None
    verdict, reasons = _verdict(evaluation) if treatment else (None, [])
    alerts = (
        [a for a in list_patient_alerts(patient) if a.status == AlertStatus.OPEN]
        if measures
        else []
    )
    upcoming = next_session(patient, now)
    treated = {c.route for c in courses_with_sessions(patient) if c.status == CourseStatus.ACTIVE}
    if upcoming is not None:
        treated.add(upcoming.course.route)
    consents, unsigned = _consents(patient, now, treated)
    return ChartHeader(
        age=age_years(patient.date_of_birth, timezone.localdate(now)),
        weight_kg=weight.weight_kg if weight else None,
        weight_at=weight.measured_at if weight else None,
        allergy=_allergy(evaluation) if treatment else None,
        verdict=verdict,
        verdict_reasons=reasons,
        consents=consents,
        unsigned_routes=unsigned,
        alerts=alerts,
        next_session=upcoming,
        shows_history=history,
        shows_treatment=treatment,
        shows_measures=measures,
    )


def clinical_source_entries() -> list[dict]:
    """Reference data (not patient data): every registered ``Source`` by key, with its
    variants (citation, locator, grade) and the cited constants that rest on it."""
    from ketacare.clinical.sources import GRADE_LABELS, REGISTRY, SOURCES
    from ketacare.sources_doc import load_registry

    load_registry()
    by_key: dict[str, list[str]] = {}
    for name, cited_value in REGISTRY.items():
        by_key.setdefault(cited_value.source.key, []).append(name)
    entries = []
    for key in sorted(SOURCES, key=str.lower):
        variants = [v for v in SOURCES[key] if v.grade is not None]
        if not variants:
            continue
        entries.append(
            {
                "key": key,
                "anchor": variants[0].anchor,
                "variants": [
                    {**v.as_dict(), "grade_name": GRADE_LABELS.get(v.grade, "")} for v in variants
                ],
                "constants": sorted(by_key.get(key, [])),
            }
        )
    return entries
