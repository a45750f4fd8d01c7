"""Writes for measurement-based care: assessments, safety alerts, self-report links and the
clinic's assessment schedule. Each is keyword-only, atomic, authorised and audited in the same
transaction; bad input raises ``InvalidClinicalInput`` and writes nothing.

- ``record_assessment``: a clinician enters a scale. The core scores it (a client total is
  never accepted), the row stores every answer, and ``clinical.outcomes.safety_alerts_for``
  decides the alerts in the same transaction, comparing with the previous and the baseline
  score of the same instrument. When an alert fires, the result carries the clinic's crisis
  text.
- ``record_self_report``: the same for a patient signed in to the portal (their own record
  only; follow-up context, or the context of an assessment their schedule says is due).
- ``issue_portal_link`` / ``redeem_portal_link``: a signed (``TimestampSigner``), expiring,
  single-use link; redeeming it records the self-report. Only the token's digest is stored.
- ``acknowledge_alert``: a clinician closes an alert with a note (required).
- ``schedule_assessments``: a clinic's schedule rules (the defaults are product choices, see
  ``measures.schedule``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import Clinic, Role, User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import safety_alerts_for
from ketacare.clinical.outcomes.status import select_baseline
from ketacare.clinical.scales import ScaleKind, get_instrument, score
from ketacare.measures import schedule as sched
from ketacare.measures.mappers import stored_flags, to_observation, to_observations
from ketacare.measures.models import (
    AlertStatus,
    Assessment,
    AssessmentChannel,
    AssessmentContext,
    AssessmentSchedule,
    PortalLink,
    SafetyAlert,
)
from ketacare.measures.selectors import assessments_due
from ketacare.patients.models import Patient
from ketacare.plausible import require_reading_time
from ketacare.protocols.selectors import get_outcome_policy
from ketacare.records import save_validated
from ketacare.treatment.selectors import list_dose_events

# Scales a patient may answer on their own. MADRS is clinician-rated; the C-SSRS screener is
# administered by a clinician here (product choice), so both stay with staff.
SELF_REPORT_INSTRUMENTS = ("phq9", "gad7", "qids_sr16")
# Self-report link lifetime bounds (product choice): at least an hour, at most two weeks.
PORTAL_LINK_MIN_LIFETIME = timedelta(hours=1)
PORTAL_LINK_MAX_LIFETIME = timedelta(days=14)
_LINK_SALT = "ketacare.measures.portal_link"


class PortalLinkGone(Exception):
    """The link was valid once but can no longer be used (expired or already used)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class RecordedAssessment:
    assessment: Assessment
    alerts: tuple[SafetyAlert, ...]
    crisis_text: str | None  # the clinic's crisis text when any alert fired, else None


@dataclass(frozen=True, slots=True)
class IssuedLink:
    link: PortalLink
    token: str  # shown once; only its digest is stored


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_instrument(code: str) -> None:
    instrument = get_instrument(code)
    if instrument.kind is not ScaleKind.MEASUREMENT:
        raise InvalidClinicalInput(
            "scale_not_an_assessment",
            f"{instrument.short_name} is rated during a dosing session; record it on the "
            "session, not as an assessment.",
            {"scale": code},
        )


def _check_context(context: str) -> str:
    if context not in AssessmentContext.values:
        raise InvalidClinicalInput(
            "unknown_assessment_context",
            "Assessment context must be baseline, pre_dose, post_dose or follow_up.",
            {"context": context},
        )
    return context


def _check_taken_at(patient: Patient, taken_at: datetime, now: datetime) -> None:
    # Not before the patient's registration, not beyond now plus the clinic's clock skew.
    require_reading_time(patient, taken_at, "taken_at", now=now, future_code="date_in_future")


def _store(
    *,
    actor: User | None,
    patient: Patient,
    instrument: str,
    items: Sequence[int | None],
    context: str,
    taken_at: datetime,
    channel: str,
    session_id: int | None,
    summary: str,
    created_by: User | None = None,
) -> RecordedAssessment:
    """Score, store, decide alerts, audit. ``created_by`` defaults to ``actor``; a link
    report has no signed-in actor and is created under the issuing clinician's link."""
    creator = created_by or actor
    now = timezone.now()
    _check_instrument(instrument)
    _check_context(context)
    _check_taken_at(patient, taken_at, now)
    result = score(instrument, list(items) if isinstance(items, list | tuple) else items)
    # Serialise alert decisions per patient: two reports at once compare with each other.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    earlier = list(
        Assessment.objects.filter(
            patient=patient, instrument=instrument, taken_at__lt=taken_at
        ).order_by("taken_at", "id")
    )
    row = Assessment(
        clinic_id=patient.clinic_id,
        created_at=now,
        created_by=creator,
        patient=patient,
        instrument=instrument,
        instrument_version=result.version,
        items=list(result.items),
        total=result.total,
        severity=result.severity.code if result.severity else "",
        severity_label=result.severity.label if result.severity else "",
        flags=stored_flags(result),
        context=context,
        taken_at=taken_at,
        submitted_by=actor,
        channel=channel,
        session_id=session_id,
    )
    save_validated(row)

    observation = to_observation(row)
    history = to_observations(earlier)
    previous = history[-1] if history else None
    doses = [d for d in list_dose_events(patient) if d.given_at <= now]
    first_dose_at = doses[0].given_at if doses else None
    baseline = select_baseline(history, first_dose_at) if history else None
    policy = get_outcome_policy(patient.clinic_id)  # the clinic's worsening definition
    specs = safety_alerts_for(observation, previous, policy, baseline=baseline)
    by_id = {str(a.pk): a for a in earlier}

    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=patient.pk,
        after={
            "instrument": instrument,
            "items": row.items,
            "total": row.total,
            "severity": row.severity,
            "flags": row.flags,
            "context": context,
            "taken_at": taken_at,
            "channel": channel,
            "alerts": [s.code for s in specs],
        },
        summary=summary,
        clinic_id=patient.clinic_id,
    )
    alerts = []
    for spec in specs:
        compared = spec.compared_with
        alert = SafetyAlert(
            clinic_id=patient.clinic_id,
            created_at=now,
            created_by=creator,
            patient=patient,
            assessment=row,
            code=spec.code,
            severity=str(spec.severity),
            message=spec.message,
            source=spec.source.as_dict(),
            requires_safety_assessment_before_session=(
                spec.requires_safety_assessment_before_session
            ),
            compared_with=by_id.get(compared.observation_id or "") if compared else None,
        )
        save_validated(alert)
        record_write(
            actor=actor,
            action=AuditAction.CREATE,
            target=alert,
            patient_id=patient.pk,
            after={"code": alert.code, "severity": alert.severity, "assessment": row.pk},
            summary=f"safety alert raised: {alert.code}",
            clinic_id=patient.clinic_id,
        )
        alerts.append(alert)
    crisis = patient.clinic.crisis_text if alerts else None
    return RecordedAssessment(assessment=row, alerts=tuple(alerts), crisis_text=crisis)


@transaction.atomic
def record_assessment(
    *,
    actor: User,
    patient: Patient,
    instrument: str,
    items: Sequence[int | None],
    context: str,
    taken_at: datetime,
    session_id: int | None = None,
) -> RecordedAssessment:
    """A clinician records a scale for a patient of their clinic (scored by the core)."""
    require_permission(actor, Permission.RECORD_ASSESSMENT)
    if patient.clinic_id != actor.clinic_id:
        raise NotFound("patient")
    return _store(
        actor=actor,
        patient=patient,
        instrument=instrument,
        items=items,
        context=context,
        taken_at=taken_at,
        channel=AssessmentChannel.CLINICIAN,
        session_id=session_id,
        summary=f"{instrument} recorded",
    )


def _check_self_report(instrument: str) -> None:
    if instrument not in SELF_REPORT_INSTRUMENTS:
        get_instrument(instrument)  # unknown codes answer unknown_scale
        raise InvalidClinicalInput(
            "not_a_self_report_scale",
            f"{instrument} is completed with a clinician, not as a self-report; patients can "
            f"report {', '.join(SELF_REPORT_INSTRUMENTS)}.",
            {"scale": instrument, "allowed": list(SELF_REPORT_INSTRUMENTS)},
        )


@transaction.atomic
def record_self_report(
    *,
    actor: User,
    instrument: str,
    items: Sequence[int | None],
    context: str | None = None,
    taken_at: datetime | None = None,
) -> RecordedAssessment:
    """A patient signed in to the portal reports for themselves. ``context`` defaults to the
    context of a due assessment of this instrument, else follow-up; any other context must
    be due on the patient's schedule."""
    require_permission(actor, Permission.USE_PORTAL)
    if actor.role != Role.PATIENT or actor.patient_id is None:
        raise NotFound("patient")
    patient = Patient.objects.select_related("clinic").get(pk=actor.patient_id)
    _check_self_report(instrument)
    now = timezone.now()
    due = {d.context for d in assessments_due(patient, now) if d.instrument == instrument}
    if context is None:
        context = next(iter(sorted(due)), AssessmentContext.FOLLOW_UP)
    elif context != AssessmentContext.FOLLOW_UP and context not in due:
        raise InvalidClinicalInput(
            "context_not_scheduled",
            f"A {context} {instrument} is not due now; self-reports are follow-up unless the "
            "clinic's schedule says otherwise.",
            {"context": context, "due": sorted(due)},
        )
    return _store(
        actor=actor,
        patient=patient,
        instrument=instrument,
        items=items,
        context=context,
        taken_at=taken_at or now,
        channel=AssessmentChannel.PORTAL,
        session_id=None,
        summary=f"{instrument} self-report (portal)",
    )


@transaction.atomic
def issue_portal_link(
    *,
    actor: User,
    patient: Patient,
    instrument: str,
    expires_in: timedelta,
    context: str = AssessmentContext.FOLLOW_UP,
) -> IssuedLink:
    """A single-use self-report link for one instrument, valid for ``expires_in``."""
    require_permission(actor, Permission.RECORD_ASSESSMENT)
    if patient.clinic_id != actor.clinic_id:
        raise NotFound("patient")
    _check_self_report(instrument)
    _check_context(context)
    if not PORTAL_LINK_MIN_LIFETIME <= expires_in <= PORTAL_LINK_MAX_LIFETIME:
        raise InvalidClinicalInput(
            "link_lifetime_out_of_range",
            "A self-report link must last between 1 hour and 14 days.",
            {"expires_in_seconds": int(expires_in.total_seconds())},
        )
    now = timezone.now()
    token = signing.TimestampSigner(salt=_LINK_SALT).sign(secrets.token_urlsafe(24))
    link = PortalLink(
        clinic_id=patient.clinic_id,
        created_at=now,
        created_by=actor,
        patient=patient,
        instrument=instrument,
        context=context,
        digest=_digest(token),
        expires_at=now + expires_in,
    )
    save_validated(link)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=link,
        patient_id=patient.pk,
        after={"instrument": instrument, "context": context, "expires_at": link.expires_at},
        summary="self-report link issued",
    )
    return IssuedLink(link=link, token=token)


def find_redeemable_link(token: str, now: datetime, *, for_update: bool = True) -> PortalLink:
    """The link a token names if it can still be used; ``NotFound`` for unknown or forged
    tokens, ``PortalLinkGone`` for used or expired ones. Locks the row when redeeming."""
    links = PortalLink.objects.select_for_update() if for_update else PortalLink.objects
    link = links.filter(digest=_digest(token)).select_related("patient", "patient__clinic").first()
    if link is None:
        raise NotFound("self-report link")
    if link.used_at is not None:
        raise PortalLinkGone("portal_link_used", "This self-report link has already been used.")
    max_age = link.expires_at - link.created_at
    try:
        signing.TimestampSigner(salt=_LINK_SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise PortalLinkGone("portal_link_expired", "This self-report link has expired.") from None
    except signing.BadSignature:
        raise NotFound("self-report link") from None
    if now >= link.expires_at:
        raise PortalLinkGone("portal_link_expired", "This self-report link has expired.")
    return link


@transaction.atomic
def redeem_portal_link(
    *, token: str, items: Sequence[int | None], taken_at: datetime | None = None
) -> RecordedAssessment:
    """Record the self-report a link was issued for, and spend the link. Unknown or forged
    tokens raise ``NotFound``; used or expired ones ``PortalLinkGone``."""
    now = timezone.now()
    link = find_redeemable_link(token, now)
    recorded = _store(
        actor=None,
        patient=link.patient,
        instrument=link.instrument,
        items=items,
        context=link.context,
        taken_at=taken_at or now,
        channel=AssessmentChannel.LINK,
        session_id=None,
        summary=f"{link.instrument} self-report (link {link.pk})",
        created_by=link.created_by,
    )
    link.used_at = now
    link.assessment = recorded.assessment
    save_validated(link, update_fields=["used_at", "assessment"])
    record_write(
        actor=None,
        action=AuditAction.UPDATE,
        target=link,
        patient_id=link.patient_id,
        before={"used_at": None},
        after={"used_at": now, "assessment": recorded.assessment.pk},
        summary="self-report link used",
        clinic_id=link.clinic_id,
    )
    return recorded


@transaction.atomic
def acknowledge_alert(*, actor: User, alert: SafetyAlert, note: str) -> SafetyAlert:
    """Close an open alert after review; the note says what was done (required)."""
    require_permission(actor, Permission.ACKNOWLEDGE_ALERT)
    locked = SafetyAlert.objects.select_for_update().filter(pk=alert.pk).first()
    if locked is None or locked.clinic_id != actor.clinic_id:
        raise NotFound("alert")
    text = (note or "").strip()
    if not text:
        raise InvalidClinicalInput(
            "acknowledgement_note_required",
            "Write what was done about this alert before acknowledging it.",
            {"field": "note"},
        )
    if locked.status != AlertStatus.OPEN:
        raise InvalidClinicalInput(
            "alert_already_acknowledged",
            "This alert has already been acknowledged.",
            {"acknowledged_at": locked.acknowledged_at},
        )
    now = timezone.now()
    locked.status = AlertStatus.ACKNOWLEDGED
    locked.acknowledged_by = actor
    locked.acknowledged_at = now
    locked.acknowledgement_note = text
    save_validated(
        locked,
        update_fields=["status", "acknowledged_by", "acknowledged_at", "acknowledgement_note"],
    )
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=locked,
        patient_id=locked.patient_id,
        before={"status": AlertStatus.OPEN},
        after={"status": AlertStatus.ACKNOWLEDGED, "acknowledged_at": now},
        reason=text,
        summary=f"safety alert acknowledged: {locked.code}",
    )
    return locked


@transaction.atomic
def schedule_assessments(
    *, actor: User, rules: Sequence[sched.ScheduleRule] = sched.DEFAULT_SCHEDULE
) -> list[AssessmentSchedule]:
    """Replace the clinic's active schedule with ``rules`` (the defaults when omitted).
    Old rows are retired (``active=False``), never deleted."""
    require_permission(actor, Permission.MANAGE_PROTOCOLS)
    for rule in rules:
        _check_instrument(rule.instrument)
    clinic: Clinic = actor.clinic
    now = timezone.now()
    retired = list(AssessmentSchedule.objects.filter(clinic=clinic, active=True))
    for row in retired:
        row.active = False
        save_validated(row, update_fields=["active"])
    created = []
    for rule in rules:
        row = AssessmentSchedule(
            clinic=clinic,
            created_at=now,
            created_by=actor,
            instrument=rule.instrument,
            phase=rule.phase,
            offset_hours=rule.offset_hours,
            window_hours=rule.window_hours,
            interval_days=rule.interval_days,
        )
        save_validated(row)
        created.append(row)
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=("measures.AssessmentSchedule", clinic.pk),
        before={"rules": [f"{r.instrument}:{r.phase}" for r in retired]},
        after={"rules": [f"{r.instrument}:{r.phase}" for r in created]},
        summary="assessment schedule set",
    )
    return created
