"""Rating scales, assessments, outcomes, safety alerts and maintenance timing."""

from __future__ import annotations

from datetime import timedelta

from ninja import Path, Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, ErrorRead, RecordId
from ketacare.clinical.scales import get_instrument, list_scales
from ketacare.measures import presenters, selectors, services
from ketacare.measures.schemas import (
    AcknowledgementCreate,
    AlertRead,
    AssessmentCreate,
    AssessmentRead,
    DueAssessmentRead,
    LinkSelfReportCreate,
    MaintenanceRead,
    OutcomesRead,
    PortalLinkCreate,
    PortalLinkRead,
    RecordedAssessmentRead,
    ScaleRead,
    ScaleScoreCreate,
    ScaleScoreRead,
    SelfReportCreate,
    SelfReportRead,
)
from ketacare.patients.selectors import access_patient

router = Router(tags=["measures"])

_LINK_RESPONSES = {**ERROR_RESPONSES, 410: ErrorRead}


@router.get(
    "/scales",
    response={200: list[ScaleRead], **ERROR_RESPONSES},
    **guard(Permission.USE_CLINICAL_TOOLS),
)
def list_rating_scales(request):
    """Every rating scale: code, version, items with allowed values and the response labels we
    may ship, total range and cited severity bands. Copyrighted item wording is never shipped."""
    return [presenters.scale(d) for d in list_scales()]


@router.post(
    "/scales/{code}/score",
    response={200: ScaleScoreRead, **ERROR_RESPONSES},
    **guard(Permission.USE_CLINICAL_TOOLS),
)
def score_scale(request, payload: ScaleScoreCreate, code: str = Path(..., max_length=40)):
    """Score answers without storing them. A wrong item count, a missing item or a value out
    of range answers 422 with a message naming the item (`wrong_item_count`, `item_missing`,
    `item_out_of_range`); an unknown scale answers 422 `unknown_scale`."""
    return presenters.scale_score(get_instrument(code).score(payload.items))


@router.post(
    "/patients/{patient_id}/assessments",
    response={201: RecordedAssessmentRead, **ERROR_RESPONSES},
    **guard(
        Permission.RECORD_ASSESSMENT,
        links={
            "ListAssessments": (
                "ketacare_measures_api_list_assessments",
                {"patient_id": "$request.path.patient_id"},
            )
        },
    ),
)
def record_assessment(request, patient_id: RecordId, payload: AssessmentCreate):
    """Record a scale for a patient. The server scores it (a client total is not accepted) and,
    in the same request, opens safety alerts: PHQ-9 item 9 >= 1, QIDS-SR16 item 12 >= 1, a
    positive C-SSRS screen, or a sharp worsening. When an alert fires the response carries the
    clinic's crisis text."""
    patient = access_patient(request.user, patient_id, purpose="record assessment")
    result = services.record_assessment(actor=request.user, patient=patient, **payload.dict())
    return Status(201, presenters.recorded(result))


@router.get(
    "/patients/{patient_id}/assessments",
    response={200: list[AssessmentRead], **ERROR_RESPONSES},
    **guard(Permission.VIEW_MEASURES),
)
def list_assessments(request, patient_id: RecordId):
    """Every stored assessment of the patient, oldest first, with all answers."""
    return selectors.list_assessments_for_patient(request.user, patient_id)[1]


@router.get(
    "/patients/{patient_id}/assessments/due",
    response={200: list[DueAssessmentRead], **ERROR_RESPONSES},
    **guard(Permission.VIEW_MEASURES),
)
def list_assessments_due(request, patient_id: RecordId):
    """Assessments due now under the clinic's schedule (baseline, before today's session, 24 h
    after the first dose, weekly follow-up)."""
    return selectors.access_assessments_due(request.user, patient_id)


@router.get(
    "/patients/{patient_id}/outcomes",
    response={200: OutcomesRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_MEASURES),
)
def get_outcomes(request, patient_id: RecordId):
    """Per depression scale: baseline, latest score, percent change, status (responding,
    remission, relapse, ...) with the reason and the scores behind it, flags and the series."""
    return presenters.outcomes(selectors.access_outcomes(request.user, patient_id))


@router.get(
    "/patients/{patient_id}/maintenance",
    response={200: MaintenanceRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_MEASURES),
)
def get_maintenance(request, patient_id: RecordId):
    """The recommended next maintenance dose date from the patient's own durability of
    benefit, within the protocol's bounds, with the reasons, durations and doses used."""
    return presenters.maintenance(selectors.access_maintenance(request.user, patient_id))


@router.get(
    "/maintenance/due",
    response={200: list[MaintenanceRead], **ERROR_RESPONSES},
    **guard(Permission.VIEW_MEASURES),
)
def list_maintenance_due(request):
    """Patients whose recommended maintenance date has come, or whose durability of benefit
    is shortening, soonest first."""
    return [
        presenters.maintenance(v) for v in selectors.list_patients_due_for_maintenance(request.user)
    ]


@router.get(
    "/alerts",
    response={200: list[AlertRead], **ERROR_RESPONSES},
    **guard(Permission.ACKNOWLEDGE_ALERT),
)
def list_alerts(request):
    """The clinic's open safety alerts for same-day review, most severe first."""
    return selectors.list_open_alerts(request.user)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertRead, **ERROR_RESPONSES},
    **guard(Permission.ACKNOWLEDGE_ALERT),
)
def acknowledge_alert(request, alert_id: RecordId, payload: AcknowledgementCreate):
    """Acknowledge an open alert with a note saying what was done (audited). A blank note
    answers 422 `acknowledgement_note_required`; a second acknowledgement 422
    `alert_already_acknowledged`."""
    alert = selectors.access_alert(request.user, alert_id)
    return services.acknowledge_alert(actor=request.user, alert=alert, note=payload.note)


@router.post(
    "/patients/{patient_id}/portal-links",
    response={201: PortalLinkRead, **ERROR_RESPONSES},
    **guard(Permission.RECORD_ASSESSMENT),
)
def issue_portal_link(request, patient_id: RecordId, payload: PortalLinkCreate):
    """Issue a signed, single-use self-report link for one questionnaire (1 hour to 14 days).
    The token is returned once; send it to the patient's phone."""
    patient = access_patient(request.user, patient_id, purpose="issue self-report link")
    issued = services.issue_portal_link(
        actor=request.user,
        patient=patient,
        instrument=payload.instrument,
        context=payload.context,
        expires_in=timedelta(hours=payload.expires_in_hours),
    )
    return Status(201, presenters.portal_link(issued))


@router.post("/self-report/{token}", response={201: SelfReportRead, **_LINK_RESPONSES}, auth=None)
def self_report_by_link(
    request, payload: LinkSelfReportCreate, token: str = Path(..., max_length=200)
):
    """A patient's answers through a self-report link; no login, the token is the proof. An
    unknown or forged token answers 404; an expired one 410 `portal_link_expired`; a used one
    410 `portal_link_used`. If a safety alert fires, the reply carries the crisis text."""
    try:
        result = services.redeem_portal_link(token=token, items=payload.items)
    except services.PortalLinkGone as gone:
        return Status(410, {"code": gone.code, "message": gone.message, "details": {}})
    return Status(201, presenters.self_report(result))


@router.post(
    "/portal/assessments",
    response={201: SelfReportRead, **ERROR_RESPONSES},
    **guard(Permission.USE_PORTAL),
)
def portal_self_report(request, payload: SelfReportCreate):
    """A signed-in patient reports a questionnaire for themselves (their own record only)."""
    result = services.record_self_report(actor=request.user, **payload.dict())
    return Status(201, presenters.self_report(result))
