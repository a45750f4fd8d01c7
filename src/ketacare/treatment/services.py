"""Writes for courses and dosing sessions: one service per step of the clinic day.

Each service is keyword-only with ``actor`` first, atomic, authorised, gate-checked in the core
and audited in the same transaction. A gate refusal raises ``GateBlocked`` (409) and writes
nothing; a ``refused`` audit entry is then written outside the rolled-back transaction.

Session steps and their gates (all decided in ``ketacare.clinical``):

- ``order_course``: consent for the route (consent app), REMS setting and patient enrolment
  for esketamine (``session.checks``), fixed-dose rules (``dosing.check_fixed_dose``); then
  ``dosing.propose_schedule`` writes one scheduled session per proposed date.
- ``check_in``: scheduled -> checked_in, with today's PHQ-9 item 9 / C-SSRS flags.
- ``record_vitals``: plausibility and the clinic's alert thresholds (``session.vitals``);
  ``record_repeated_vitals`` records the last reading's values again, taken now, through it.
- ``supersede_vitals``: takes back a mistyped reading within a minute of recording it
  (``session.corrections``): a correction row supersedes it, the reading stays.
- ``clear_session``: checked_in -> cleared through ``session.check_clear`` (consent, safety
  assessment, fasting, ride home, REMS, pre-dose BP).
- ``administer_dose``: cleared -> dosing through ``session.check_predose`` with the dose
  decision of ``dosing`` (weight-based or fixed step, cumulative exposure, schedule, device
  spacing, infusion speed) merged in.
- ``record_observation``: MOAA/S and CADSS scored by ``clinical.scales``; the first rating
  after the dose moves dosing -> observation.
- ``discharge_session``: observation -> discharged through
  ``session.assess_discharge_readiness``; esketamine outpatient sessions get their REMS
  Patient Monitoring Form data set.
- ``cancel_session`` (before any drug) / abort (after), ``override_gate``,
  ``record_adverse_event``, ``record_rems_enrollment``, ``record_rems_form_submitted``.
- ``record_safety_assessment``: the clinician's same-day suicide-risk safety assessment
  (who, when, outcome, notes). The clearance and pre-dose gates read today's screening from
  check-in and from the measures app (``context.same_day_screening``); only a ``proceed``
  assessment made today, after the latest positive screen, satisfies them.
- ``record_efficacy_review``: the prescriber's induction efficacy review of a course (rule
  15); doses after the protocol's review week then pass ``check_schedule`` without an
  override.
- ``record_rems_form_answers``: staff fill answers the record does not hold (provider phone,
  setting address...); the form is rebuilt from the session's records as a new version and
  the previous version is kept.

Overrides: a prescriber (``OVERRIDE_CLINICAL_GATE``) records codes and a reason with
``override_gate`` (they stand for the rest of the session) or passes ``override=`` inline to a
step. Non-overridable blockers stand regardless. Every use is audited as ``override``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import Role, User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction, require_service_write, service_write
from ketacare.audit.services import record_refused, record_write
from ketacare.clinical.dosing.dose import (
    check_cumulative_exposure,
    check_device_interval,
    check_fixed_dose,
    check_infusion_duration,
    compute_weight_based_dose,
)
from ketacare.clinical.dosing.protocols import (
    ESKETAMINE_DEVICE_MG,
    FixedStepDose,
    Route,
    WeightBasedDose,
)
from ketacare.clinical.dosing.schedule import (
    ScheduleParams,
    check_schedule,
    course_week,
    propose_schedule,
)
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput, require
from ketacare.clinical.gates import Acknowledgment, GateDecision, Override
from ketacare.clinical.scales import score_cadss, score_moaas
from ketacare.clinical.session.checks import PredoseContext, check_clear, check_predose
from ketacare.clinical.session.corrections import check_vitals_undo
from ketacare.clinical.session.discharge import assess_discharge_readiness
from ketacare.clinical.session.monitoring import (
    AdverseEvent,
    AdverseEventSeverity,
    AdverseEventType,
)
from ketacare.clinical.session.rems import rems_form_due_at, rems_form_overdue
from ketacare.clinical.session.states import SessionState, transition
from ketacare.clinical.session.types import CareSetting
from ketacare.clinical.session.vitals import Vitals, assess_vitals
from ketacare.compiled_inserts import CompiledInsert
from ketacare.consent.selectors import consent_gate_for
from ketacare.controlled_substances import services as ledger_services
from ketacare.patients.models import Patient
from ketacare.patients.selectors import latest_weight
from ketacare.plausible import clock_skew, require_reading_time
from ketacare.protocols.selectors import (
    get_active_protocol_version,
)
from ketacare.protocols.services import ensure_standard_protocols
from ketacare.records import save_validated, validation_to_clinical
from ketacare.treatment import rems
from ketacare.treatment.context import (
    Setup,
    age_years,
    clearance_for,
    discharge_context,
    eligibility_gate,
    first_dose_of_drug,
    predose_moaas,
    rems_enrolled,
    setup_for,
    start_of_clinic_day,
)
from ketacare.treatment.mappers import (
    to_dated_weight,
    to_ordering_clearance,
    to_past_doses,
)
from ketacare.treatment.models import (
    AdverseEventRecord,
    Course,
    DoseAdministration,
    EfficacyReview,
    ObservationScale,
    RemsForm,
    RemsFormRevision,
    RemsPatientEnrollment,
    SafetyAssessment,
    SafetyAssessmentOutcome,
    SessionAcknowledgment,
    SessionObservation,
    SessionOverride,
    TreatmentSession,
    VitalsCorrection,
    VitalsPhase,
    VitalsReading,
)
from ketacare.treatment.selectors import load_session_for_update, lock_session_for_vitals

S = SessionState
T = TypeVar("T")

# The REMS findings of the clearance gate are also checked when a course is ordered (issue:
# "REMS patient enrollment and a certified setting for esketamine" at ordering).
_ORDERING_CODES_FROM_CLEARANCE = frozenset(
    {"rems_setting_not_certified", "rems_patient_not_enrolled"}
)
_IN_PROGRESS = (S.CHECKED_IN, S.CLEARED, S.DOSING, S.OBSERVATION)
# The busiest write's INSERT: compiled to SQL once per connection (compiled_inserts.py).
_INSERT_READING = CompiledInsert(VitalsReading, guard=require_service_write)


# --- shared helpers --------------------------------------------------------------------------


def _now(as_of: datetime | None) -> datetime:
    if as_of is None:
        return timezone.now()
    require(
        as_of.tzinfo is not None and as_of.utcoffset() is not None,
        "naive_datetime",
        "as_of must be timezone-aware.",
    )
    return as_of


def _insert_with_known_references(
    row: Any, references: tuple[str, ...], insert: CompiledInsert
) -> None:
    """``save_validated`` for an insert whose foreign keys name rows this transaction has
    just read: every field, unique and check-constraint validation runs except the
    existence query per foreign key in ``references`` (model errors still become 422).
    ``insert`` is the model's compiled INSERT (the same row ``save()`` would write)."""
    try:
        row.clean_fields(exclude=set(references))
        row.clean()
        row.validate_unique()
        row.validate_constraints()
    except ValidationError as exc:
        raise validation_to_clinical(exc) from exc
    with service_write():
        insert.insert(row)


def _not_after(when: datetime, now: datetime, field: str) -> None:
    # A client's clock may run ahead of the server's by the clinic's clock skew setting.
    require(
        when <= now + clock_skew(),
        "time_in_future",
        f"{field} cannot be in the future.",
        field=field,
    )


def refusals_logged(fn: Callable[..., T]) -> Callable[..., T]:
    """Run ``fn`` atomically; when a gate refuses, keep a ``refused`` audit entry written
    after the refused transaction has rolled back."""
    atomic_fn = transaction.atomic(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return atomic_fn(*args, **kwargs)
        except GateBlocked as exc:
            target = kwargs.get("session") or kwargs.get("patient")
            patient_id = getattr(target, "patient_id", None) or getattr(target, "pk", None)
            record_refused(
                actor=kwargs.get("actor"),
                target=target if target is not None else fn.__name__,
                patient_id=patient_id,
                codes=list(exc.decision.codes) + list(exc.decision.acknowledgment_codes),
                summary=f"{fn.__name__} refused",
            )
            raise

    return wrapper


def _combined_override(
    actor: User, session: TreatmentSession, inline: Override | None
) -> Override | None:
    """The session's standing overrides plus ``inline`` (which needs a licensed prescriber)."""
    if inline is not None:
        require_permission(actor, Permission.OVERRIDE_CLINICAL_GATE)
    stored = list(session.overrides.all())
    codes: set[str] = set(inline.codes) if inline else set()
    reasons = [inline.reason] if inline else []
    for row in stored:
        codes.update(row.codes)
        reasons.append(row.reason)
    if not codes:
        return None
    return Override(reason="; ".join(reasons), codes=frozenset(codes))


def _standing_acknowledgment(session: TreatmentSession) -> Acknowledgment | None:
    """The session's recorded acknowledgments (``acknowledge_warning``) as one."""
    rows = list(session.acknowledgments.all())
    codes = {code for row in rows for code in row.codes}
    if not codes:
        return None
    return Acknowledgment(reason="; ".join(r.reason for r in rows), codes=frozenset(codes))


def _enforce(
    *,
    actor: User,
    session: TreatmentSession,
    decision: GateDecision,
    inline: Override | None,
    step: str,
    now: datetime,
) -> tuple[str, ...]:
    """Refuse unless every blocker is overridden and every acknowledgment-warning was
    acknowledged for this session; record and audit the overrides used."""
    overridden = decision.enforce(
        _combined_override(actor, session, inline), _standing_acknowledgment(session)
    )
    codes = tuple(b.code for b in overridden)
    if not codes:
        return ()
    if inline is not None:
        row = SessionOverride(
            clinic_id=session.clinic_id,
            created_at=now,
            created_by=actor,
            session=session,
            codes=sorted(inline.codes),
            reason=inline.reason.strip(),
            transition=step,
        )
        save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.OVERRIDE,
        target=session,
        patient_id=session.patient_id,
        after={"step": step, "overridden": list(codes)},
        reason=inline.reason if inline else "; ".join(o.reason for o in session.overrides.all()),
        summary=f"gate overridden at {step}",
    )
    return codes


def _move(
    *,
    actor: User,
    session: TreatmentSession,
    target: SessionState,
    fields: dict[str, Any],
    now: datetime,
    summary: str,
    reason: str = "",
) -> TreatmentSession:
    before = {"state": session.state, **{f: getattr(session, f) for f in fields}}
    session.state = transition(session.state, target).value
    for name, value in fields.items():
        setattr(session, name, value)
    session.updated_at = now
    save_validated(session, update_fields=["state", *fields, "updated_at"])
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=session,
        patient_id=session.patient_id,
        before=before,
        after={"state": session.state, **fields},
        reason=reason,
        summary=summary,
    )
    return session


def _same_clinic(actor: User, obj: Any, what: str) -> None:
    if obj.clinic_id != actor.clinic_id:
        raise InvalidClinicalInput("wrong_clinic", f"This {what} belongs to another clinic.")


# --- REMS enrolment and courses ------------------------------------------------------------


@transaction.atomic
def record_rems_enrollment(
    *, actor: User, patient: Patient, rems_patient_id: str, enrolled_at: datetime
) -> RemsPatientEnrollment:
    """Record the patient's SPRAVATO REMS enrolment (required before esketamine, S6)."""
    require_permission(actor, Permission.ORDER_TREATMENT)
    _same_clinic(actor, patient, "patient")
    now = timezone.now()
    _not_after(enrolled_at, now, "enrolled_at")
    row = RemsPatientEnrollment(
        clinic_id=patient.clinic_id,
        created_at=now,
        created_by=actor,
        patient=patient,
        rems_patient_id=rems_patient_id.strip(),
        enrolled_at=enrolled_at,
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=patient.pk,
        after={"rems_patient_id": row.rems_patient_id, "enrolled_at": enrolled_at},
        summary="REMS patient enrolment recorded",
    )
    return row


@dataclass(frozen=True, slots=True)
class OrderedCourse:
    course: Course
    sessions: list[TreatmentSession]
    warnings: tuple[dict[str, Any], ...]


@refusals_logged
def order_course(
    *,
    actor: User,
    patient: Patient,
    protocol_code: str,
    start_at: datetime,
    sessions: int | None = None,
    sessions_per_week: int | None = None,
    open_phase_every_weeks: int = 1,
    mg_per_kg: Decimal | None = None,
    dose_mg: Decimal | None = None,
    chair: str = "",
    notes: str = "",
    override: Override | None = None,
    as_of: datetime | None = None,
) -> OrderedCourse:
    """Order a course under the clinic's active protocol version and write its proposed
    schedule as scheduled sessions."""
    require_permission(actor, Permission.ORDER_TREATMENT)
    _same_clinic(actor, patient, "patient")
    now = _now(as_of)
    ensure_standard_protocols(clinic=actor.clinic)
    version = get_active_protocol_version(actor.clinic_id, protocol_code)
    setup = setup_for(version)
    protocol = setup.protocol
    rule = protocol.dose_rule
    decision = eligibility_gate(patient).merge(
        consent_gate_for(patient, protocol.route.value, as_of=now)
    )
    # REMS setting certification and patient enrolment: the clearance gate's own rule.
    ctx = to_ordering_clearance(
        protocol,
        setting=setup.setting,
        rems_patient_enrolled=rems_enrolled(patient, now),
        rems_setting_certified=actor.clinic.rems_certified,
    )
    clearance = check_clear(ctx, setup.session, as_of=now)
    decision = decision.merge(
        GateDecision(
            tuple(b for b in clearance.blockers if b.code in _ORDERING_CODES_FROM_CLEARANCE)
        )
    )
    if isinstance(rule, WeightBasedDose):
        require(dose_mg is None, "dose_mg_not_allowed", "This protocol is dosed in mg/kg.")
        mg_per_kg = mg_per_kg if mg_per_kg is not None else rule.default_mg_per_kg
    else:
        require(mg_per_kg is None, "mg_per_kg_not_allowed", "This protocol uses fixed doses.")
        dose_mg = dose_mg if dose_mg is not None else rule.start_dose_mg
        require(dose_mg is not None, "dose_required", "Give the first-session dose in mg.")
        decision = decision.merge(
            check_fixed_dose(
                protocol,
                dose_mg,
                is_first_session=first_dose_of_drug(patient, protocol),
                policy=setup.dosing,
                age_years=age_years(patient.date_of_birth, now.date()),
                course_week=1,
            )
        )
    proposed = propose_schedule(
        protocol,
        timezone.localtime(start_at),
        ScheduleParams(
            sessions=sessions,
            sessions_per_week=sessions_per_week,
            open_phase_every_weeks=open_phase_every_weeks,
        ),
    )
    overridden = decision.enforce(override)
    if override is not None:
        require_permission(actor, Permission.OVERRIDE_CLINICAL_GATE)
    course = Course(
        clinic_id=actor.clinic_id,
        created_at=now,
        created_by=actor,
        patient=patient,
        protocol_version=version,
        protocol_code=version.code,
        route=version.route,
        drug=version.drug,
        start_at=start_at,
        planned_sessions=len(proposed),
        sessions_per_week=sessions_per_week,
        open_phase_every_weeks=open_phase_every_weeks,
        mg_per_kg=mg_per_kg,
        dose_mg=dose_mg,
        override_codes=sorted(b.code for b in overridden),
        override_reason=override.reason.strip() if overridden and override else "",
        warnings=[w.as_dict() for w in decision.warnings],
        notes=notes,
    )
    save_validated(course)
    rows = []
    for p in proposed:
        row = TreatmentSession(
            clinic_id=actor.clinic_id,
            created_at=now,
            created_by=actor,
            course=course,
            patient=patient,
            number=p.number,
            course_week=p.course_week,
            scheduled_at=p.at or start_at,
            chair=chair,
            updated_at=now,
        )
        save_validated(row)
        rows.append(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=course,
        patient_id=patient.pk,
        after={
            "protocol": f"{version.code} v{version.version}",
            "sessions": len(rows),
            "mg_per_kg": mg_per_kg,
            "dose_mg": dose_mg,
        },
        summary="course ordered",
    )
    if overridden:
        record_write(
            actor=actor,
            action=AuditAction.OVERRIDE,
            target=course,
            patient_id=patient.pk,
            after={"step": "order_course", "overridden": course.override_codes},
            reason=course.override_reason,
            summary="gate overridden when ordering a course",
        )
    return OrderedCourse(course, rows, tuple(w.as_dict() for w in decision.warnings))


# --- the session, step by step ----------------------------------------------------------------


def _load(actor: User, session: TreatmentSession) -> TreatmentSession:
    _same_clinic(actor, session, "session")
    return load_session_for_update(session.pk)


@transaction.atomic
def check_in(
    *,
    actor: User,
    session: TreatmentSession,
    phq9_item9_positive_today: bool = False,
    cssrs_high_risk_today: bool = False,
    as_of: datetime | None = None,
) -> TreatmentSession:
    """scheduled -> checked_in, recording today's suicide-risk screening flags."""
    require_permission(actor, Permission.CHECK_IN)
    session = _load(actor, session)
    now = _now(as_of)
    return _move(
        actor=actor,
        session=session,
        target=S.CHECKED_IN,
        fields={
            "checked_in_at": now,
            "phq9_item9_positive_today": phq9_item9_positive_today,
            "cssrs_high_risk_today": cssrs_high_risk_today,
        },
        now=now,
        summary="patient checked in",
    )


@dataclass(frozen=True, slots=True)
class RecordedVitals:
    reading: VitalsReading
    alerts: tuple[dict[str, Any], ...]


@transaction.atomic
def record_vitals(
    *,
    actor: User,
    session: TreatmentSession | int,
    systolic_mmhg: int,
    diastolic_mmhg: int,
    heart_rate_bpm: int,
    spo2_percent: int,
    respiratory_rate_per_min: int,
    taken_at: datetime,
    as_of: datetime | None = None,
    repeat_of: int | None = None,
) -> RecordedVitals:
    """Record one set of vital signs; out-of-range readings come back as alerts.

    ``session`` is the session or its id (the API passes the id: the session is then read
    once, locked, within the actor's clinic, ``NotFound`` otherwise, and the request's one
    audit entry is the write's). The busiest write of the clinic day, so it issues the fewest
    statements the rules allow: lock the session (with its protocol version), read the clinic
    policy, insert the reading, then append the audit entry last, so the audit chain's head
    row stays locked only from that append to the commit."""
    require_permission(actor, Permission.RECORD_SESSION_OBSERVATIONS)
    if isinstance(session, TreatmentSession):
        _same_clinic(actor, session, "session")
        session = session.pk
    locked = lock_session_for_vitals(actor, session)
    now = _now(as_of)
    require(
        locked.state in _IN_PROGRESS,
        "session_not_in_progress",
        f"Vital signs are recorded between check-in and discharge; the session is {locked.state}.",
    )
    require_reading_time(locked.patient, taken_at, "taken_at", now=now)
    vitals = Vitals(
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        heart_rate_bpm=heart_rate_bpm,
        spo2_percent=spo2_percent,
        respiratory_rate_per_min=respiratory_rate_per_min,
        taken_at=taken_at,
    )
    setup = setup_for(locked.course.protocol_version)
    alerts = tuple(f.as_dict() for f in assess_vitals(vitals, setup.session.vitals_thresholds))
    phase = {
        S.CHECKED_IN: VitalsPhase.PRE_DOSE,
        S.CLEARED: VitalsPhase.PRE_DOSE,
        S.DOSING: VitalsPhase.DURING,
        S.OBSERVATION: VitalsPhase.POST_DOSE,
    }[S(locked.state)]
    row = VitalsReading(
        clinic_id=locked.clinic_id,
        created_at=now,
        created_by=actor,
        session=locked,
        taken_at=taken_at,
        phase=phase,
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        heart_rate_bpm=heart_rate_bpm,
        spo2_percent=spo2_percent,
        respiratory_rate_per_min=respiratory_rate_per_min,
        alerts=list(alerts),
    )
    # The three foreign keys were just read in this transaction (the session row is locked,
    # its clinic is the row's, the actor is the authenticated user), so full_clean's
    # existence query for each is skipped; the database's constraints still hold them.
    _insert_with_known_references(row, ("clinic", "created_by", "session"), _INSERT_READING)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=locked.patient_id,
        after={
            "bp": f"{systolic_mmhg}/{diastolic_mmhg}",
            "spo2_percent": spo2_percent,
            "alerts": [a["code"] for a in alerts],
            **({"repeat_of": repeat_of} if repeat_of is not None else {}),
        },
        summary="vital signs recorded"
        + (" (repeat of the last reading)" if repeat_of is not None else ""),
    )
    return RecordedVitals(row, alerts)


@transaction.atomic
def record_repeated_vitals(
    *, actor: User, session: TreatmentSession, as_of: datetime | None = None
) -> RecordedVitals:
    """Record the session's last current reading's values again as a new reading taken now
    (the run sheet's one-tap "repeat last reading" when nothing changed). It is an ordinary
    reading: the same permission, state, plausibility and alert thresholds as
    ``record_vitals``, which records it."""
    require_permission(actor, Permission.RECORD_SESSION_OBSERVATIONS)
    _same_clinic(actor, session, "session")
    now = _now(as_of)
    last = (
        VitalsReading.objects.current()
        .filter(session_id=session.pk, taken_at__lte=now)
        .order_by("-taken_at", "-id")
        .first()
    )
    if last is None:
        raise InvalidClinicalInput(
            "no_reading_to_repeat", "There is no earlier reading this session to repeat."
        )
    return record_vitals(
        actor=actor,
        session=session.pk,
        systolic_mmhg=last.systolic_mmhg,
        diastolic_mmhg=last.diastolic_mmhg,
        heart_rate_bpm=last.heart_rate_bpm,
        spo2_percent=last.spo2_percent,
        respiratory_rate_per_min=last.respiratory_rate_per_min,
        taken_at=now,
        as_of=now,
        repeat_of=last.pk,
    )


MISTYPED = "Mistyped: taken back within a minute"


@transaction.atomic
def supersede_vitals(
    *,
    actor: User,
    session: TreatmentSession,
    reading_id: int,
    reason: str = MISTYPED,
    as_of: datetime | None = None,
) -> VitalsCorrection:
    """Take back a mistyped reading with a superseding correction (the run sheet's "undo"):
    the reading stays as recorded, the correction marks it superseded and every gate reads
    only the current readings from then on. Allowed to the reading's recorder within a
    minute of recording it, while the session is in progress (``check_vitals_undo``);
    otherwise ``InvalidClinicalInput`` and nothing is written."""
    require_permission(actor, Permission.RECORD_SESSION_OBSERVATIONS)
    session = _load(actor, session)
    now = _now(as_of)
    reading = (
        VitalsReading.objects.select_for_update()
        .filter(pk=reading_id, session_id=session.pk)
        .first()
    )
    if reading is None:
        raise InvalidClinicalInput(
            "reading_not_found",
            "That reading is not one of this session's.",
            {"field": "reading"},
        )
    reason = (reason or "").strip()
    require(bool(reason), "reason_required", "Give a reason.", field="reason")
    check_vitals_undo(
        recorded_at=reading.created_at,
        recorded_by=reading.created_by_id,
        actor=actor.pk,
        already_superseded=VitalsCorrection.objects.filter(reading=reading).exists(),
        session_in_progress=session.state in _IN_PROGRESS,
        as_of=now,
    )
    correction = VitalsCorrection(
        clinic_id=session.clinic_id,
        created_at=now,
        created_by=actor,
        reading=reading,
        session=session,
        reason=reason[:200],
    )
    save_validated(correction)
    record_write(
        actor=actor,
        action=AuditAction.SUPERSEDE,
        target=reading,
        patient_id=session.patient_id,
        before={
            "bp": f"{reading.systolic_mmhg}/{reading.diastolic_mmhg}",
            "heart_rate_bpm": reading.heart_rate_bpm,
            "spo2_percent": reading.spo2_percent,
            "respiratory_rate_per_min": reading.respiratory_rate_per_min,
            "taken_at": reading.taken_at,
        },
        after={"superseded_by_correction": correction.pk},
        reason=correction.reason,
        summary="vital signs taken back (superseded)",
    )
    return correction


@refusals_logged
def clear_session(
    *,
    actor: User,
    session: TreatmentSession,
    npo_confirmed: bool | None = None,
    last_food_at: datetime | None = None,
    last_liquids_at: datetime | None = None,
    ride_home: str | None = None,
    safety_assessment: str | None = None,
    override: Override | None = None,
    as_of: datetime | None = None,
) -> TreatmentSession:
    """checked_in -> cleared: records the day's facts given, then the clearance gate."""
    require_permission(actor, Permission.RECORD_SESSION_OBSERVATIONS)
    session = _load(actor, session)
    now = _now(as_of)
    transition(session.state, S.CLEARED)  # refuse an illegal move before anything else
    fields: dict[str, Any] = {"cleared_at": now}
    if npo_confirmed is not None:
        fields["npo_confirmed"] = npo_confirmed
    for name, value in (("last_food_at", last_food_at), ("last_liquids_at", last_liquids_at)):
        if value is not None:
            _not_after(value, now, name)
            fields[name] = value
    if ride_home is not None:
        fields["ride_home"] = ride_home.strip()
    if safety_assessment is not None and safety_assessment.strip():
        require_permission(actor, Permission.RECORD_ASSESSMENT)
        fields["safety_assessment"] = safety_assessment.strip()
        fields["safety_assessed_by"] = actor
        # Documented here, the assessment is the same record as ``record_safety_assessment``.
        _write_safety_assessment(
            actor=actor,
            session=session,
            outcome=SafetyAssessmentOutcome.PROCEED,
            notes=safety_assessment,
            assessed_at=now,
            now=now,
        )
    for name, value in fields.items():
        setattr(session, name, value)
    setup = setup_for(session.course.protocol_version)
    decision = check_clear(clearance_for(session, setup, now), setup.session, as_of=now)
    _enforce(
        actor=actor, session=session, decision=decision, inline=override, step="clear", now=now
    )
    return _move(
        actor=actor, session=session, target=S.CLEARED, fields=fields, now=now, summary="cleared"
    )


def _prescriber_on_site(actor: User, session: TreatmentSession, user_id: int | None) -> User | None:
    if user_id is None:
        return actor if actor.role == Role.PRESCRIBER else None
    user = User.objects.filter(
        pk=user_id, clinic_id=session.clinic_id, role=Role.PRESCRIBER, is_active=True
    ).first()
    if user is None:
        raise InvalidClinicalInput(
            "prescriber_unknown",
            "The prescriber on site must be an active prescriber of this clinic.",
            {"field": "prescriber_on_site_id"},
        )
    return user


@dataclass(frozen=True, slots=True)
class _DosePlan:
    dose_mg: Decimal
    volume_ml: Decimal | None
    mg_per_kg: Decimal | None
    weight_kg: Decimal | None
    weight_measured_at: datetime | None
    rounding_note: str
    decision: GateDecision


def _plan_dose(
    *,
    session: TreatmentSession,
    setup: Setup,
    dose_mg: Decimal | None,
    mg_per_kg: Decimal | None,
    vial_concentration_mg_per_ml: Decimal | None,
    started_at: datetime,
    device_times: Sequence[datetime],
    infusion_duration_min: int | None,
) -> _DosePlan:
    protocol, policy = setup.protocol, setup.dosing
    rule = protocol.dose_rule
    course = session.course
    if isinstance(rule, WeightBasedDose):
        require(dose_mg is None, "dose_mg_not_allowed", "Give mg/kg, not mg, for this protocol.")
        require(
            vial_concentration_mg_per_ml is not None,
            "vial_concentration_required",
            "Give the vial concentration (mg/mL) to compute the volume.",
            field="vial_concentration_mg_per_ml",
        )
        weight_row = latest_weight(session.patient)
        require(
            weight_row is not None,
            "weight_missing",
            "Record the patient's weight before a weight-based dose.",
        )
        rate = mg_per_kg if mg_per_kg is not None else course.mg_per_kg
        plan = compute_weight_based_dose(
            protocol,
            to_dated_weight(weight_row, rule.weight_basis),
            rate,
            vial_concentration_mg_per_ml,
            as_of=started_at,
            policy=policy,
        )
        decision = plan.decision
        if protocol.route is Route.IV:
            duration = infusion_duration_min or protocol.infusion_duration_min
            if duration:
                decision = decision.merge(check_infusion_duration(protocol, duration))
        result = _DosePlan(
            plan.dose_mg,
            plan.volume_ml,
            plan.mg_per_kg_prescribed,
            plan.weight_kg,
            weight_row.measured_at,
            plan.rounding_note,
            decision,
        )
    else:
        assert isinstance(rule, FixedStepDose)
        require(mg_per_kg is None, "mg_per_kg_not_allowed", "This protocol uses fixed doses.")
        dose = dose_mg if dose_mg is not None else course.dose_mg
        require(dose is not None, "dose_required", "Give the dose in mg.", field="dose_mg")
        week = course_week(
            timezone.localtime(course.start_at).date(), timezone.localtime(started_at).date()
        )
        decision = check_fixed_dose(
            protocol,
            Decimal(dose),
            is_first_session=first_dose_of_drug(session.patient, protocol),
            policy=policy,
            age_years=age_years(session.patient.date_of_birth, started_at.date()),
            course_week=week,
        )
        if protocol.device_interval_min is not None:
            devices = Decimal(dose) / ESKETAMINE_DEVICE_MG
            require(
                devices == devices.to_integral_value() and len(device_times) == int(devices),
                "device_times_mismatch",
                f"{dose} mg is {devices} device(s) of {ESKETAMINE_DEVICE_MG} mg; record one time "
                "per device.",
                field="device_times",
            )
            decision = decision.merge(check_device_interval(protocol, device_times))
        result = _DosePlan(Decimal(dose), None, None, None, None, "", decision)
    past = list(
        DoseAdministration.objects.filter(session__patient=session.patient).order_by("started_at")
    )
    exposure = check_cumulative_exposure(
        protocol, to_past_doses(past), result.dose_mg, as_of=started_at, policy=policy
    )
    # Course weeks are counted on the clinic's local calendar.
    local = timezone.localtime(started_at)
    course_doses = [
        timezone.localtime(d.started_at)
        for d in past
        if d.session.course_id == course.pk and d.started_at < started_at
    ]
    schedule = check_schedule(
        protocol,
        course_doses,
        local,
        course_start=timezone.localtime(course.start_at).date(),
        efficacy_review_done=EfficacyReview.objects.filter(
            course=course, reviewed_at__lte=started_at
        ).exists(),
    )
    return _DosePlan(
        result.dose_mg,
        result.volume_ml,
        result.mg_per_kg,
        result.weight_kg,
        result.weight_measured_at,
        result.rounding_note,
        result.decision.merge(exposure.decision).merge(schedule),
    )


@refusals_logged
def administer_dose(
    *,
    actor: User,
    session: TreatmentSession,
    lot_number: str,
    started_at: datetime | None = None,
    dose_mg: Decimal | None = None,
    mg_per_kg: Decimal | None = None,
    vial_concentration_mg_per_ml: Decimal | None = None,
    device_times: Sequence[datetime] = (),
    infusion_duration_min: int | None = None,
    prescriber_on_site_id: int | None = None,
    pulse_oximeter_available: bool = False,
    container_id: int | None = None,
    override: Override | None = None,
    as_of: datetime | None = None,
) -> DoseAdministration:
    """cleared -> dosing: the pre-dose gate with the dose decision merged in, then the dose
    record (and, when a stock container is named, the controlled-substance ledger entry)."""
    require_permission(actor, Permission.ADMINISTER_DOSE)
    session = _load(actor, session)
    now = _now(as_of)
    transition(session.state, S.DOSING)
    device_times = tuple(device_times)
    start = device_times[0] if device_times else (started_at or now)
    require_reading_time(session.patient, start, "started_at", now=now)
    for index, device_time in enumerate(device_times[1:], start=1):
        require_reading_time(session.patient, device_time, f"device_times[{index}]", now=now)
    setup = setup_for(session.course.protocol_version)
    plan = _plan_dose(
        session=session,
        setup=setup,
        dose_mg=dose_mg,
        mg_per_kg=mg_per_kg,
        vial_concentration_mg_per_ml=vial_concentration_mg_per_ml,
        started_at=start,
        device_times=device_times,
        infusion_duration_min=infusion_duration_min,
    )
    on_site = _prescriber_on_site(actor, session, prescriber_on_site_id)
    ctx = PredoseContext(
        clearance=clearance_for(session, setup, now),
        prescriber_on_site=on_site is not None,
        pulse_oximeter_available=pulse_oximeter_available,
        dose_decision=plan.decision,
    )
    decision = check_predose(ctx, setup.session, as_of=now)
    codes = _enforce(
        actor=actor, session=session, decision=decision, inline=override, step="dose", now=now
    )
    reasons = [override.reason.strip()] if override else []
    reasons += [o.reason for o in session.overrides.all()]
    dose = DoseAdministration(
        clinic_id=session.clinic_id,
        created_at=now,
        created_by=actor,
        session=session,
        protocol_code=session.course.protocol_code,
        route=setup.protocol.route.value,
        dose_mg=plan.dose_mg,
        volume_ml=plan.volume_ml,
        mg_per_kg=plan.mg_per_kg,
        weight_kg=plan.weight_kg,
        weight_measured_at=plan.weight_measured_at,
        vial_concentration_mg_per_ml=vial_concentration_mg_per_ml,
        rounding_note=plan.rounding_note,
        started_at=start,
        device_times=[t.isoformat() for t in device_times],
        infusion_duration_min=(
            infusion_duration_min or setup.protocol.infusion_duration_min
            if setup.protocol.route is Route.IV
            else None
        ),
        lot_number=lot_number.strip(),
        container_id=container_id,
        warnings=[w.as_dict() for w in decision.warnings],
        override_codes=list(codes),
        override_reason="; ".join(reasons) if codes else "",
    )
    save_validated(dose)
    _record_in_ledger(actor=actor, dose=dose, session=session, now=now)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=dose,
        patient_id=session.patient_id,
        after={
            "dose_mg": dose.dose_mg,
            "volume_ml": dose.volume_ml,
            "route": dose.route,
            "lot_number": dose.lot_number,
            "container_id": container_id,
        },
        summary="dose administered",
    )
    _move(
        actor=actor,
        session=session,
        target=S.DOSING,
        fields={
            "dosing_started_at": start,
            "prescriber_on_site": on_site,
            "pulse_oximeter_available": pulse_oximeter_available,
        },
        now=now,
        summary="dosing started",
    )
    return dose


def _record_in_ledger(
    *, actor: User, dose: DoseAdministration, session: TreatmentSession, now: datetime
) -> None:
    """When a stock container is named, the controlled-substance ledger records the
    administration in this same transaction (dated when the dose was recorded, so the
    container's entries stay in order)."""
    if dose.container_id is None:
        return
    ledger_services.record_administration_from_stock(
        actor=actor,
        container_id=dose.container_id,
        dose_mg=dose.dose_mg,
        patient=session.patient,
        session_id=session.pk,
        as_of=now,
    )


@transaction.atomic
def record_observation(
    *,
    actor: User,
    session: TreatmentSession,
    scale: str,
    items: Sequence[int],
    observed_at: datetime,
    dissociation_resolved: bool | None = None,
    as_of: datetime | None = None,
) -> SessionObservation:
    """Score a MOAA/S or CADSS rating with the core. Before the dose it is the pre-dose
    baseline; the first rating after the dose moves the session to observation."""
    require_permission(actor, Permission.RECORD_SESSION_OBSERVATIONS)
    session = _load(actor, session)
    now = _now(as_of)
    require_reading_time(session.patient, observed_at, "observed_at", now=now)
    require(
        session.state in _IN_PROGRESS,
        "session_not_in_progress",
        f"Ratings are recorded between check-in and discharge; the session is {session.state}.",
    )
    require(scale in ObservationScale.values, "unknown_scale", "Scale must be moaas or cadss.")
    pre_dose = session.state in (S.CHECKED_IN, S.CLEARED)
    sedation_present = None
    if scale == ObservationScale.MOAAS:
        baseline = predose_moaas(session)
        result = score_moaas(list(items), pre_dose_rating=None if pre_dose else baseline)
        sedation_present = None if pre_dose else result.datum("sedation_present")
    else:
        result = score_cadss(list(items))
    row = SessionObservation(
        clinic_id=session.clinic_id,
        created_at=now,
        created_by=actor,
        session=session,
        observed_at=observed_at,
        scale=scale,
        pre_dose=pre_dose,
        items=list(items),
        total=result.total,
        flags=list(result.flag_codes),
        sedation_present=sedation_present,
        dissociation_resolved=dissociation_resolved if scale == ObservationScale.CADSS else None,
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=session.patient_id,
        after={"scale": scale, "total": row.total, "flags": row.flags},
        summary=f"{scale} recorded",
    )
    if session.state == S.DOSING:
        _move(
            actor=actor,
            session=session,
            target=S.OBSERVATION,
            fields={"observation_started_at": observed_at},
            now=now,
            summary="observation started",
        )
    return row


@transaction.atomic
def record_adverse_event(
    *,
    actor: User,
    session: TreatmentSession,
    event_type: str,
    severity: str,
    onset_at: datetime,
    action_taken: str,
    outcome: str,
    description: str = "",
    resolved_at: datetime | None = None,
    as_of: datetime | None = None,
) -> AdverseEventRecord:
    """Record an adverse event (type, CTCAE-graded severity, action, outcome)."""
    require_permission(actor, Permission.RECORD_SESSION_OBSERVATIONS)
    session = _load(actor, session)
    now = _now(as_of)
    require(
        session.state not in (S.SCHEDULED, S.CANCELLED),
        "session_not_started",
        "Adverse events are recorded for sessions the patient attended.",
    )
    _not_after(onset_at, now, "onset_at")
    if resolved_at is not None:
        _not_after(resolved_at, now, "resolved_at")
    event = AdverseEvent(
        event_type=AdverseEventType(event_type),
        severity=AdverseEventSeverity(severity),
        onset_at=onset_at,
        description=description,
        resolved_at=resolved_at,
    )
    row = AdverseEventRecord(
        clinic_id=session.clinic_id,
        created_at=now,
        created_by=actor,
        session=session,
        event_type=event.event_type.value,
        severity=event.severity.value,
        ctcae_grade=event.severity.ctcae_grade,
        onset_at=onset_at,
        description=description.strip(),
        action_taken=action_taken.strip(),
        outcome=outcome.strip(),
        resolved_at=resolved_at,
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=session.patient_id,
        after={"event_type": row.event_type, "severity": row.severity},
        summary="adverse event recorded",
    )
    return row


@refusals_logged
def discharge_session(
    *,
    actor: User,
    session: TreatmentSession,
    clinician_ready: bool,
    ready_to_leave_without_minimum_min: int | None = None,
    override: Override | None = None,
    as_of: datetime | None = None,
) -> TreatmentSession:
    """observation -> discharged through the core's discharge readiness; an esketamine
    outpatient session also gets its REMS Patient Monitoring Form data set."""
    require_permission(actor, Permission.DISCHARGE)
    session = _load(actor, session)
    now = _now(as_of)
    transition(session.state, S.DISCHARGED)
    setup = setup_for(session.course.protocol_version)
    ctx = discharge_context(session, setup, clinician_ready=clinician_ready)
    decision = assess_discharge_readiness(ctx, setup.session, as_of=now)
    _enforce(
        actor=actor, session=session, decision=decision, inline=override, step="discharge", now=now
    )
    _move(
        actor=actor,
        session=session,
        target=S.DISCHARGED,
        fields={"discharged_at": now, "discharged_by": actor},
        now=now,
        summary="discharged",
    )
    if setup.protocol.device_interval_min is not None and setup.setting is CareSetting.OUTPATIENT:
        data = rems.form_data(
            session, setup, completed_at=now, ready_min=ready_to_leave_without_minimum_min
        )
        form = RemsForm(
            clinic_id=session.clinic_id,
            created_at=now,
            created_by=actor,
            session=session,
            data=data,
            session_completed_at=now,
            due_at=rems_form_due_at(now),
        )
        save_validated(form)
        record_write(
            actor=actor,
            action=AuditAction.CREATE,
            target=form,
            patient_id=session.patient_id,
            after={"complete": data["complete"], "missing": data["missing"]},
            summary="REMS monitoring form generated",
        )
    return session


@transaction.atomic
def cancel_session(
    *, actor: User, session: TreatmentSession, reason: str, as_of: datetime | None = None
) -> TreatmentSession:
    """Cancel before any drug (scheduled, checked in, cleared); after dosing has started the
    session can only be aborted, which needs a clinician who records session observations."""
    require_permission(actor, Permission.CHECK_IN)
    session = _load(actor, session)
    now = _now(as_of)
    require(bool(reason.strip()), "reason_required", "Give a reason.", field="reason")
    target = S.ABORTED if session.state in (S.DOSING, S.OBSERVATION) else S.CANCELLED
    if target is S.ABORTED:
        require_permission(actor, Permission.RECORD_SESSION_OBSERVATIONS)
    return _move(
        actor=actor,
        session=session,
        target=target,
        fields={"ended_at": now, "end_reason": reason.strip()},
        now=now,
        summary=f"session {target.value}",
        reason=reason.strip(),
    )


@transaction.atomic
def override_gate(
    *, actor: User, session: TreatmentSession, codes: Sequence[str], reason: str
) -> SessionOverride:
    """A prescriber's documented decision to proceed despite the named blockers; it stands
    for the rest of the session. Non-overridable blockers are never cleared by it."""
    require_permission(actor, Permission.OVERRIDE_CLINICAL_GATE)
    session = _load(actor, session)
    override = Override(reason=reason, codes=frozenset(codes))
    require(
        session.state not in (S.DISCHARGED, S.CANCELLED, S.ABORTED),
        "session_closed",
        f"The session is {session.state}; nothing is left to override.",
    )
    now = timezone.now()
    row = SessionOverride(
        clinic_id=session.clinic_id,
        created_at=now,
        created_by=actor,
        session=session,
        codes=sorted(override.codes),
        reason=override.reason.strip(),
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.OVERRIDE,
        target=row,
        patient_id=session.patient_id,
        after={"codes": row.codes},
        reason=row.reason,
        summary="gate override recorded",
    )
    return row


@transaction.atomic
def acknowledge_warning(
    *, actor: User, session: TreatmentSession, codes: Sequence[str], reason: str
) -> SessionAcknowledgment:
    """A licensed clinician (prescriber or nurse with a current licence) acknowledges named
    warnings that rest on guidance, a secondary source or a heuristic (e.g. pre-dose BP above
    140/90), with a reason; it stands for the rest of the session and is audited. Hard blocks
    are never cleared by it, and an override is not an acknowledgment."""
    require_permission(actor, Permission.ACKNOWLEDGE_CLINICAL_WARNING)
    session = _load(actor, session)
    ack = Acknowledgment(reason=reason, codes=frozenset(c.strip() for c in codes if c.strip()))
    require(
        session.state not in (S.DISCHARGED, S.CANCELLED, S.ABORTED),
        "session_closed",
        f"The session is {session.state}; nothing is left to acknowledge.",
    )
    now = timezone.now()
    row = SessionAcknowledgment(
        clinic_id=session.clinic_id,
        created_at=now,
        created_by=actor,
        session=session,
        codes=sorted(ack.codes),
        reason=ack.reason.strip(),
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=session.patient_id,
        after={"codes": row.codes, "acknowledged_by_role": actor.role},
        reason=row.reason,
        summary="clinical warning acknowledged",
    )
    return row


@transaction.atomic
def record_rems_form_submitted(
    *, actor: User, session: TreatmentSession, submitted_at: datetime
) -> RemsForm:
    """Mark the session's REMS monitoring form as submitted to the REMS."""
    require_permission(actor, Permission.RECORD_SESSION_OBSERVATIONS)
    _same_clinic(actor, session, "session")
    form = RemsForm.objects.select_for_update().filter(session=session).first()
    if form is None:
        raise InvalidClinicalInput("rems_form_missing", "This session has no REMS form.")
    require(form.submitted_at is None, "rems_form_already_submitted", "Already submitted.")
    now = timezone.now()
    late = rems_form_overdue(form.session_completed_at, submitted_at, now)
    form.submitted_at = submitted_at
    form.submitted_by = actor
    save_validated(form, update_fields=["submitted_at", "submitted_by"])
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=form,
        patient_id=session.patient_id,
        after={"submitted_at": submitted_at, "late": late},
        summary="REMS monitoring form submitted",
    )
    return form


# --- same-day safety assessment, efficacy review, REMS form answers -----------------------------

_BEFORE_DOSE = (S.SCHEDULED, S.CHECKED_IN, S.CLEARED)


def _write_safety_assessment(
    *,
    actor: User,
    session: TreatmentSession,
    outcome: str,
    notes: str,
    assessed_at: datetime,
    now: datetime,
) -> SafetyAssessment:
    require(
        outcome in SafetyAssessmentOutcome.values,
        "unknown_outcome",
        "The outcome is proceed or do_not_proceed.",
        field="outcome",
    )
    require(
        bool(notes.strip()),
        "safety_assessment_notes_required",
        "Write what the assessment found.",
        field="notes",
    )
    _not_after(assessed_at, now, "assessed_at")
    require(
        assessed_at >= start_of_clinic_day(now),
        "safety_assessment_not_today",
        "A same-day safety assessment is dated today (clinic time).",
        field="assessed_at",
    )
    row = SafetyAssessment(
        clinic_id=session.clinic_id,
        created_at=now,
        created_by=actor,
        session=session,
        patient_id=session.patient_id,
        assessed_at=assessed_at,
        outcome=outcome,
        notes=notes.strip(),
    )
    save_validated(row)
    # The session's prefetched assessments are stale now; the gate must see this one.
    getattr(session, "_prefetched_objects_cache", {}).pop("safety_assessments", None)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=session.patient_id,
        after={"session": session.pk, "assessed_at": assessed_at, "outcome": outcome},
        summary="same-day safety assessment recorded",
    )
    return row


@transaction.atomic
def record_safety_assessment(
    *,
    actor: User,
    session: TreatmentSession,
    outcome: str,
    notes: str,
    assessed_at: datetime | None = None,
    as_of: datetime | None = None,
) -> SafetyAssessment:
    """Document the same-day suicide-risk safety assessment (rules 22-23) for a session not
    yet dosed. A ``proceed`` outcome made today, after the day's latest positive screen,
    satisfies the clearance and pre-dose gates; ``do_not_proceed`` is kept and leaves the
    gate blocking."""
    require_permission(actor, Permission.RECORD_ASSESSMENT)
    session = _load(actor, session)
    now = _now(as_of)
    require(
        session.state in _BEFORE_DOSE,
        "session_past_clearance",
        f"A pre-dose safety assessment is recorded before dosing; the session is {session.state}.",
    )
    return _write_safety_assessment(
        actor=actor,
        session=session,
        outcome=outcome,
        notes=notes,
        assessed_at=assessed_at or now,
        now=now,
    )


@transaction.atomic
def record_efficacy_review(
    *,
    actor: User,
    course: Course,
    notes: str,
    reviewed_at: datetime | None = None,
    as_of: datetime | None = None,
) -> EfficacyReview:
    """The prescriber's induction efficacy review (rule 15): recorded in or after the
    protocol's review week, it lets later sessions pass the schedule check without an
    override."""
    require_permission(actor, Permission.ORDER_TREATMENT)
    _same_clinic(actor, course, "course")
    course = Course.objects.select_for_update().select_related("protocol_version").get(pk=course.pk)
    now = _now(as_of)
    when = reviewed_at or now
    _not_after(when, now, "reviewed_at")
    require(
        bool(notes.strip()),
        "efficacy_review_notes_required",
        "Write the review: benefit so far and the decision to continue.",
        field="notes",
    )
    review_week = setup_for(course.protocol_version).protocol.schedule.review_after_week
    require(
        review_week is not None,
        "efficacy_review_not_applicable",
        "This protocol has no induction efficacy review.",
    )
    start = timezone.localtime(course.start_at).date()
    local = timezone.localtime(when).date()
    require(local >= start, "reviewed_before_course", "The review is dated before the course.")
    week = course_week(start, local)
    require(
        week >= review_week,
        "efficacy_review_too_early",
        f"The efficacy review is due at the end of week {review_week}; the course is in week "
        f"{week}.",
        field="reviewed_at",
    )
    row = EfficacyReview(
        clinic_id=course.clinic_id,
        created_at=now,
        created_by=actor,
        course=course,
        reviewed_at=when,
        course_week=week,
        notes=notes.strip(),
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=course.patient_id,
        after={"course": course.pk, "reviewed_at": when, "course_week": week},
        summary="induction efficacy review recorded",
    )
    return row


# Answers staff may give on the form: facts the clinical record does not hold. Clinical
# readings (BP, sedation...) come from the session's records and are corrected there.
REMS_STAFF_FIELDS = (
    "patient_middle_initial",
    "monitoring_provider_name",
    "monitoring_provider_phone",
    "monitoring_provider_email",
    "setting_name",
    "setting_address",
    "ready_to_leave_without_minimum_min",
)


@transaction.atomic
def record_rems_form_answers(
    *,
    actor: User,
    session: TreatmentSession,
    answers: dict[str, Any],
    as_of: datetime | None = None,
) -> RemsForm:
    """Fill answers of the session's REMS Patient Monitoring Form that the record does not
    hold. The form is rebuilt from the session's records with every answer staff have given
    so far (these included) as a new version; the previous version is kept. A submitted form
    is not changed."""
    require_permission(actor, Permission.RECORD_SESSION_OBSERVATIONS)
    session = _load(actor, session)
    now = _now(as_of)
    form = RemsForm.objects.select_for_update().filter(session=session).first()
    if form is None:
        raise InvalidClinicalInput("rems_form_missing", "This session has no REMS form.")
    require(form.submitted_at is None, "rems_form_already_submitted", "Already submitted.")
    unknown = sorted(set(answers) - set(REMS_STAFF_FIELDS))
    require(
        not unknown,
        "rems_answer_not_editable",
        "These answers come from the session's records: " + ", ".join(unknown) + ".",
    )
    given = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in answers.items() if v is not None
    }
    require(bool(given), "no_answers", "Give at least one answer.")
    staff = {**form.data.get("staff_answers", {}), **given}
    ready_min = staff.pop("ready_to_leave_without_minimum_min", None)
    if ready_min is None:
        ready_min = form.data.get("answers", {}).get("ready_to_leave_without_minimum_min")
    setup = setup_for(session.course.protocol_version)
    data = rems.form_data(
        session, setup, completed_at=form.session_completed_at, ready_min=ready_min, staff=staff
    )
    if ready_min is not None:
        staff["ready_to_leave_without_minimum_min"] = ready_min
    data["staff_answers"] = staff
    before = {"version": form.version, "complete": form.data.get("complete")}
    revision = RemsFormRevision(
        clinic_id=form.clinic_id,
        created_at=now,
        created_by=actor,
        form=form,
        version=form.version,
        data=form.data,
        changed_fields=sorted(given),
    )
    save_validated(revision)
    form.data = data
    form.version += 1
    save_validated(form, update_fields=["data", "version"])
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=form,
        patient_id=session.patient_id,
        before=before,
        after={
            "version": form.version,
            "answers": given,
            "complete": data["complete"],
            "missing": data["missing"],
        },
        summary="REMS monitoring form answers recorded",
    )
    return form
