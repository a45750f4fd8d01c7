"""Eligibility evaluation: /api/v1/patients/{id}/evaluations, /evaluations/{id}/acknowledge.

An evaluation returns a verdict (`eligible`, `eligible_with_cautions`, `needs_review`,
`not_eligible`) with every reason as `{code, message, source}`, the number of adequate failed
antidepressant trials in the current episode (treatment resistance) and the Maudsley Staging
Method total and band. Clinical outputs are decision support for licensed clinicians.
"""

from __future__ import annotations

from ninja import Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, RecordId
from ketacare.evaluation import selectors, services
from ketacare.evaluation.mappers import ScreeningAnswers
from ketacare.evaluation.schemas import AcknowledgmentCreate, EvaluationCreate, EvaluationRead
from ketacare.patients.selectors import access_patient

router = Router(tags=["evaluation"])


@router.post(
    "/patients/{patient_id}/evaluations",
    response={201: EvaluationRead, **ERROR_RESPONSES},
    **guard(
        Permission.RECORD_EVALUATION,
        links={
            "GetLatestEvaluation": (
                "ketacare_evaluation_api_latest_evaluation",
                {"patient_id": "$request.path.patient_id"},
            )
        },
    ),
)
def record_evaluation(request, patient_id: RecordId, payload: EvaluationCreate):
    """Record a screening and get the eligibility verdict. Antidepressant trials, age and
    episode duration come from the patient record; recorded CNS depressants, psychostimulants
    and MAOIs raise their cautions even when answered "no". 422 with a stable code when the
    input is incomplete or implausible (nothing is recorded)."""
    patient = access_patient(request.user, patient_id, purpose="record evaluation")
    answers = ScreeningAnswers.from_dict(payload.dict())
    evaluation = services.record_evaluation(actor=request.user, patient=patient, answers=answers)
    return Status(201, evaluation)


@router.get(
    "/patients/{patient_id}/evaluations/latest",
    response={200: EvaluationRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_TREATMENT),
)
def latest_evaluation(request, patient_id: RecordId):
    """The patient's latest evaluation (the one course ordering checks); 404 if none."""
    return selectors.access_latest_evaluation(request.user, patient_id)


@router.post(
    "/evaluations/{evaluation_id}/acknowledge",
    response={200: EvaluationRead, **ERROR_RESPONSES},
    **guard(Permission.OVERRIDE_CLINICAL_GATE),
)
def acknowledge_cautions(request, evaluation_id: RecordId, payload: AcknowledgmentCreate):
    """A prescriber acknowledges the evaluation's cautions with a written reason (all
    outstanding ones, or the `codes` named). 409 `cautions_already_acknowledged`,
    `no_cautions_to_acknowledge` or `evaluation_not_latest`; 422 `override_reason_required`
    or `acknowledgment_code_not_a_caution`."""
    evaluation = selectors.access_evaluation(request.user, evaluation_id, purpose="acknowledge")
    services.acknowledge_cautions(
        actor=request.user, evaluation=evaluation, reason=payload.reason, codes=payload.codes
    )
    return selectors.access_evaluation(request.user, evaluation_id, purpose="acknowledged")
