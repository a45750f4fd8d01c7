"""Courses and dosing sessions: /api/v1/patients/{id}/courses, /api/v1/sessions/{id}/...

Every session step answers the session (state, blockers, timeline). A clinical gate refusal
answers 409 with `details.blockers` (each `{code, message, source, overridable}`); invalid
input answers 422; nothing is written on either.
"""

from __future__ import annotations

from django.utils import timezone
from ninja import Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, RecordId
from ketacare.clinical.gates import Override
from ketacare.patients.selectors import access_patient
from ketacare.treatment import selectors, services
from ketacare.treatment.schemas import (
    AdverseEventCreate,
    AdverseEventRead,
    CancelCreate,
    CheckInCreate,
    ClearCreate,
    CourseCreate,
    CourseRead,
    DischargeCreate,
    DoseCreate,
    EfficacyReviewCreate,
    EfficacyReviewRead,
    ObservationCreate,
    ObservationRead,
    OverrideIn,
    OverrideRead,
    PendingRemsFormRead,
    RemsEnrollmentCreate,
    RemsEnrollmentRead,
    RemsFormAnswersCreate,
    RemsFormRead,
    RemsSubmittedCreate,
    SafetyAssessmentCreate,
    SafetyAssessmentRead,
    SessionRead,
    VitalsCorrectionRead,
    VitalsCreate,
    VitalsRead,
    VitalsSupersedeCreate,
    WarningAcknowledgmentCreate,
    WarningAcknowledgmentRead,
)

router = Router(tags=["treatment"])


def _override(payload: OverrideIn | None) -> Override | None:
    return None if payload is None else Override(payload.reason, frozenset(payload.codes))


def _session(request, session_id: int, purpose: str = "session"):
    return selectors.access_session(request.user, session_id, purpose=purpose)


def _read(request, session_id: int) -> dict:
    return selectors.session_read(
        selectors.access_session(request.user, session_id, purpose="session after step"),
        timezone.now(),
        actor=request.user,
    )


@router.post(
    "/patients/{patient_id}/courses",
    response={201: CourseRead, **ERROR_RESPONSES},
    **guard(
        Permission.ORDER_TREATMENT,
        links={
            "GetFirstSession": (
                "ketacare_treatment_api_get_session",
                {"session_id": "$response.body#/sessions/0/id"},
            )
        },
    ),
)
def order_course(request, patient_id: RecordId, payload: CourseCreate):
    """Order a course under the clinic's active protocol version. Returns the course with its
    proposed schedule (one scheduled session per date, respecting the protocol's weekly
    frequency and spacing). Gates: valid consent for the route; REMS setting certification
    and patient enrolment for esketamine; esketamine dose steps."""
    patient = access_patient(request.user, patient_id, purpose="order course")
    body = payload.dict(exclude={"override"})
    ordered = services.order_course(
        actor=request.user, patient=patient, override=_override(payload.override), **body
    )
    return Status(201, selectors.course_read(ordered.course))


@router.post(
    "/patients/{patient_id}/rems-enrollment",
    response={201: RemsEnrollmentRead, **ERROR_RESPONSES},
    **guard(Permission.ORDER_TREATMENT),
)
def record_rems_enrollment(request, patient_id: RecordId, payload: RemsEnrollmentCreate):
    """Record the patient's SPRAVATO REMS enrolment (needed before esketamine)."""
    patient = access_patient(request.user, patient_id, purpose="REMS enrolment")
    row = services.record_rems_enrollment(actor=request.user, patient=patient, **payload.dict())
    return Status(201, row)


@router.post(
    "/courses/{course_id}/efficacy-review",
    response={201: EfficacyReviewRead, **ERROR_RESPONSES},
    **guard(Permission.ORDER_TREATMENT),
)
def record_efficacy_review(request, course_id: RecordId, payload: EfficacyReviewCreate):
    """Record the prescriber's induction efficacy review (esketamine: at the end of the
    4-week induction). Once recorded, sessions after the review week are no longer blocked
    by `induction_review_due`. 422 `efficacy_review_too_early` before the review week;
    `efficacy_review_not_applicable` for protocols without one."""
    course = selectors.access_course(request.user, course_id, purpose="efficacy review")
    row = services.record_efficacy_review(actor=request.user, course=course, **payload.dict())
    return Status(201, row)


@router.get(
    "/sessions/{session_id}",
    response={200: SessionRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def get_session(request, session_id: RecordId):
    """The session: state, the legal next steps, what blocks the next step now, vital-sign
    checks due since the dose, and the timeline of everything recorded. A caller without
    `view_treatment` (front desk) gets the appointment only (`view` is `appointment`: time,
    chair, state, next steps; every record empty)."""
    return selectors.session_read(_session(request, session_id), timezone.now(), actor=request.user)


@router.post(
    "/sessions/{session_id}/check-in",
    response={200: SessionRead, **ERROR_RESPONSES},
    **guard(Permission.CHECK_IN),
)
def check_in(request, session_id: RecordId, payload: CheckInCreate):
    """scheduled -> checked_in, with today's PHQ-9 item 9 and C-SSRS screening flags."""
    services.check_in(actor=request.user, session=_session(request, session_id), **payload.dict())
    return _read(request, session_id)


@router.post(
    "/sessions/{session_id}/safety-assessment",
    response={201: SafetyAssessmentRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_ASSESSMENT),
)
def record_safety_assessment(request, session_id: RecordId, payload: SafetyAssessmentCreate):
    """Document the same-day suicide-risk safety assessment (who: the signed-in clinician;
    when; outcome; notes). The clearance and pre-dose gates block with
    `safety_assessment_required` when today's check-in flags, today's PHQ-9 item 9 or
    QIDS-SR16 item 12 >= 1, a C-SSRS high-risk result, or an open suicide-risk alert is on
    record; a `proceed` assessment made today, after the latest positive screen, clears it."""
    row = services.record_safety_assessment(
        actor=request.user,
        session=_session(request, session_id, purpose="safety assessment"),
        **payload.dict(),
    )
    return Status(201, row)


@router.post(
    "/sessions/{session_id}/vitals",
    response={201: VitalsRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_SESSION_OBSERVATIONS),
)
def record_vitals(request, session_id: RecordId, payload: VitalsCreate):
    """Record BP, heart rate, SpO2 and respiratory rate; readings outside the clinic's
    thresholds come back in `alerts`."""
    # The service locks and reads the session within the user's clinic (404 otherwise);
    # the request's one audit entry is the write's.
    recorded = services.record_vitals(actor=request.user, session=session_id, **payload.dict())
    return Status(201, recorded.reading)


@router.post(
    "/sessions/{session_id}/vitals/repeat",
    response={201: VitalsRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_SESSION_OBSERVATIONS),
)
def record_repeated_vitals(request, session_id: RecordId):
    """Record the session's last current reading's values again, taken now (the run sheet's
    "repeat last reading"): the same validation and thresholds as a typed reading; 422
    `no_reading_to_repeat` when the session has none."""
    session = _session(request, session_id, purpose="repeat last reading")
    recorded = services.record_repeated_vitals(actor=request.user, session=session)
    return Status(201, recorded.reading)


@router.post(
    "/sessions/{session_id}/vitals/{reading_id}/supersede",
    response={201: VitalsCorrectionRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_SESSION_OBSERVATIONS),
)
def supersede_vitals(
    request, session_id: RecordId, reading_id: RecordId, payload: VitalsSupersedeCreate
):
    """Take back a mistyped reading: a correction supersedes it (the reading is kept, no
    gate reads it again). Only its recorder, within a minute of recording it, while the
    session is in progress; otherwise 422 `undo_window_passed`, `undo_not_recorder`,
    `reading_already_superseded`, `session_not_in_progress` or `reading_not_found`."""
    session = _session(request, session_id, purpose="take back a reading")
    return Status(
        201,
        services.supersede_vitals(
            actor=request.user, session=session, reading_id=reading_id, reason=payload.reason
        ),
    )


@router.post(
    "/sessions/{session_id}/clear",
    response={200: SessionRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_SESSION_OBSERVATIONS),
)
def clear_session(request, session_id: RecordId, payload: ClearCreate):
    """checked_in -> cleared. Records fasting, ride home and the same-day safety assessment
    given here, then checks consent, safety assessment, fasting, ride home, REMS and the
    pre-dose BP (esketamine above 140/90 needs a prescriber's documented decision)."""
    body = payload.dict(exclude={"override"})
    services.clear_session(
        actor=request.user,
        session=_session(request, session_id),
        override=_override(payload.override),
        **body,
    )
    return _read(request, session_id)


@router.post(
    "/sessions/{session_id}/dose",
    response={201: SessionRead, **ERROR_RESPONSES},
    **guard(Permission.ADMINISTER_DOSE),
)
def administer_dose(request, session_id: RecordId, payload: DoseCreate):
    """cleared -> dosing. The pre-dose gate (clearance re-checked, prescriber on site, pulse
    oximeter) with the dose decision: weight-based dose from a dated weight rounded down to a
    measurable volume, soft limit (prescriber override) and hard ceiling (refused), esketamine
    28/56/84 mg only and never 84 mg first, cumulative exposure, schedule, device spacing."""
    body = payload.dict(exclude={"override"})
    services.administer_dose(
        actor=request.user,
        session=_session(request, session_id),
        override=_override(payload.override),
        **body,
    )
    return Status(201, _read(request, session_id))


@router.post(
    "/sessions/{session_id}/observations",
    response={201: ObservationRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_SESSION_OBSERVATIONS),
)
def record_observation(request, session_id: RecordId, payload: ObservationCreate):
    """A MOAA/S (one item, 0-5) or CADSS (23 items) rating, scored by the core. Before the
    dose it is the baseline; the first rating after the dose starts the observation phase."""
    row = services.record_observation(
        actor=request.user, session=_session(request, session_id), **payload.dict()
    )
    return Status(201, row)


@router.post(
    "/sessions/{session_id}/adverse-events",
    response={201: AdverseEventRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_SESSION_OBSERVATIONS),
)
def record_adverse_event(request, session_id: RecordId, payload: AdverseEventCreate):
    """An adverse event: type, severity (CTCAE v5 grade), action taken and outcome."""
    row = services.record_adverse_event(
        actor=request.user, session=_session(request, session_id), **payload.dict()
    )
    return Status(201, row)


@router.post(
    "/sessions/{session_id}/discharge",
    response={200: SessionRead, **ERROR_RESPONSES},
    **guard(Permission.DISCHARGE),
)
def discharge_session(request, session_id: RecordId, payload: DischargeCreate):
    """observation -> discharged when the minimum observation has elapsed (esketamine 120
    min after administration: the last device by default, the first by clinic choice),
    vitals are acceptable, sedation and dissociation have resolved and the clinician records
    readiness. Esketamine sessions get their REMS form."""
    body = payload.dict(exclude={"override"})
    services.discharge_session(
        actor=request.user,
        session=_session(request, session_id),
        override=_override(payload.override),
        **body,
    )
    return _read(request, session_id)


@router.post(
    "/sessions/{session_id}/cancel",
    response={200: SessionRead, **ERROR_RESPONSES},
    **guard(Permission.CHECK_IN),
)
def cancel_session(request, session_id: RecordId, payload: CancelCreate):
    """Cancel a session before any drug; once dosing has started, the session is aborted."""
    services.cancel_session(
        actor=request.user, session=_session(request, session_id), reason=payload.reason
    )
    return _read(request, session_id)


@router.post(
    "/sessions/{session_id}/override",
    response={201: OverrideRead, **ERROR_RESPONSES},
    **guard(Permission.OVERRIDE_CLINICAL_GATE),
)
def override_gate(request, session_id: RecordId, payload: OverrideIn):
    """A licensed prescriber's documented decision to proceed despite the named blockers,
    standing for the rest of the session. Non-overridable blockers are never cleared."""
    row = services.override_gate(
        actor=request.user,
        session=_session(request, session_id),
        codes=payload.codes,
        reason=payload.reason,
    )
    return Status(201, row)


@router.post(
    "/sessions/{session_id}/acknowledgments",
    response={201: WarningAcknowledgmentRead, **ERROR_RESPONSES},
    **guard(Permission.ACKNOWLEDGE_CLINICAL_WARNING),
)
def acknowledge_warning(request, session_id: RecordId, payload: WarningAcknowledgmentCreate):
    """A licensed clinician (prescriber or nurse with a current licence) acknowledges warnings
    the evidence gives only as guidance (409 `details.acknowledgments_required`), with a
    reason; it stands for the rest of the session and is audited. It never clears a blocker."""
    row = services.acknowledge_warning(
        actor=request.user,
        session=_session(request, session_id),
        codes=payload.codes,
        reason=payload.reason,
    )
    return Status(201, row)


@router.get(
    "/sessions/{session_id}/rems-form",
    response={200: RemsFormRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_TREATMENT),
)
def get_rems_form(request, session_id: RecordId):
    """The session's SPRAVATO REMS Patient Monitoring Form data set (`data.complete`,
    `data.missing`), its 7-day deadline and whether it is overdue."""
    form = selectors.access_rems_form(request.user, session_id)
    return selectors.rems_form_read(form, timezone.now())


@router.post(
    "/sessions/{session_id}/rems-form",
    response={200: RemsFormRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_SESSION_OBSERVATIONS),
)
def record_rems_form_answers(request, session_id: RecordId, payload: RemsFormAnswersCreate):
    """Fill answers the record does not hold (monitoring provider's name, phone and email,
    setting name and address, patient middle initial, minutes ready to leave before the
    minimum). Partial: give only what to fill or change. The form is rebuilt from the
    session's records as a new `version` (the previous one is kept); `data.missing` lists
    what is still needed. 422 once the form is submitted."""
    form = services.record_rems_form_answers(
        actor=request.user,
        session=_session(request, session_id, purpose="REMS form answers"),
        answers=payload.dict(exclude_unset=True, exclude_none=True),
    )
    return selectors.rems_form_read(form, timezone.now())


@router.post(
    "/sessions/{session_id}/rems-form/submitted",
    response={200: RemsFormRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_SESSION_OBSERVATIONS),
)
def mark_rems_form_submitted(request, session_id: RecordId, payload: RemsSubmittedCreate):
    """Mark the form as submitted to the REMS (it leaves the pending queue)."""
    form = services.record_rems_form_submitted(
        actor=request.user,
        session=_session(request, session_id, purpose="REMS form submitted"),
        submitted_at=payload.submitted_at,
    )
    return selectors.rems_form_read(form, timezone.now())


@router.get(
    "/rems-forms/pending",
    response={200: list[PendingRemsFormRead], **ERROR_RESPONSES},
    **guard(Permission.VIEW_TREATMENT),
)
def pending_rems_forms(request):
    """The clinic's REMS monitoring forms not yet marked submitted, oldest deadline first:
    `status` is `incomplete` (answers still `missing`) or `ready_to_submit`; `overdue` after
    7 days."""
    return [selectors.pending_rems_read(f) for f in selectors.list_pending_rems_forms(request.user)]
