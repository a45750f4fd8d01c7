"""Writes for eligibility evaluation: record an evaluation, acknowledge its cautions.

``record_evaluation`` maps the patient's trial history, episode onset, medicines and the
clinician's screening answers to the core's ``EvaluationInput``, asks
``evaluate_eligibility`` for the verdict, and stores input and answer together. The verdict is
never overridden here (see the core's docstring); a prescriber acknowledges each caution, with
a reason, before a course is ordered (``acknowledge_cautions``, an audited override naming the
caution codes).

The same input mapping and policy serve ``selectors.preview_evaluation`` (the page's live
verdict, which writes nothing): ``selectors.evaluation_input_for`` loads and maps,
``mappers.eligibility_policy_for`` is the one place the clinic's policy is chosen.

Refusals change nothing: bad input raises ``InvalidClinicalInput`` (422); acknowledging when
there is nothing (left) to acknowledge, or on an evaluation that is no longer the latest,
raises ``GateBlocked`` (409) with one non-overridable finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.eligibility import evaluate_eligibility
from ketacare.clinical.errors import require
from ketacare.clinical.gates import Finding, GateDecision, Override
from ketacare.evaluation.mappers import ScreeningAnswers, eligibility_policy_for, finding_to_dict
from ketacare.evaluation.models import CautionAcknowledgment, Evaluation
from ketacare.evaluation.selectors import (
    acknowledged_codes,
    evaluation_input_for,
    latest_evaluation,
    require_evaluation_time,
)
from ketacare.patients.models import Patient
from ketacare.records import save_validated


def _refuse(code: str, message: str, **data: object) -> None:
    GateDecision(
        blockers=(Finding(code, message, None, overridable=False, data=tuple(data.items())),)
    ).enforce()


@transaction.atomic
def record_evaluation(
    *,
    actor: User,
    patient: Patient,
    answers: ScreeningAnswers,
    as_of: datetime | None = None,
) -> Evaluation:
    """Evaluate eligibility at ``as_of`` (default now) and store input, verdict and reasons."""
    require_permission(actor, Permission.RECORD_EVALUATION)
    require(
        patient.clinic_id == actor.clinic_id,
        "wrong_clinic",
        "This patient belongs to another clinic.",
    )
    now = timezone.now()
    when = as_of or now
    require_evaluation_time(when, now)
    inp, inputs = evaluation_input_for(patient, answers, as_of=when)
    result = evaluate_eligibility(inp, eligibility_policy_for(patient.clinic_id))
    evaluation = Evaluation(
        clinic_id=patient.clinic_id,
        patient=patient,
        as_of=when,
        route=inp.route.value if inp.route else "",
        age_years=inp.age_years,
        episode_duration_months=inp.episode_duration_months,
        severity=inp.severity.value,
        cssrs_risk=inp.cssrs.risk.value if inp.cssrs else "",
        cssrs_assessed_at=inp.cssrs.assessed_at if inp.cssrs else None,
        inputs=inputs,
        verdict=result.verdict.value,
        reasons=[finding_to_dict(f) for f in result.reasons],
        notes=[finding_to_dict(f) for f in result.notes],
        acknowledgment_required_codes=list(result.acknowledgments_required),
        adequate_failed_trials=result.adequate_failed_trials,
        treatment_resistant=result.treatment_resistant,
        msm_total=result.maudsley.total if result.maudsley else None,
        msm_band=result.maudsley.band.value if result.maudsley else "",
        evaluated_by=actor,
        created_at=now,
        created_by=actor,
    )
    save_validated(evaluation)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=evaluation,
        patient_id=patient.pk,
        after={
            "verdict": evaluation.verdict,
            "reason_codes": list(result.codes),
            "adequate_failed_trials": evaluation.adequate_failed_trials,
            "msm_total": evaluation.msm_total,
        },
        summary="eligibility evaluated",
    )
    return evaluation


@transaction.atomic
def acknowledge_cautions(
    *,
    actor: User,
    evaluation: Evaluation,
    reason: str,
    codes: Sequence[str] | None = None,
) -> CautionAcknowledgment:
    """A prescriber acknowledges cautions of the patient's latest evaluation, with a reason.
    ``codes`` defaults to every caution not yet acknowledged."""
    require_permission(actor, Permission.OVERRIDE_CLINICAL_GATE)
    require(
        evaluation.clinic_id == actor.clinic_id,
        "wrong_clinic",
        "This evaluation belongs to another clinic.",
    )
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    latest = latest_evaluation(evaluation.patient)
    if latest is not None and latest.pk != evaluation.pk:
        _refuse(
            "evaluation_not_latest",
            "A newer evaluation exists for this patient; acknowledge its cautions instead.",
            latest_evaluation_id=latest.pk,
        )
    required = list(evaluation.acknowledgment_required_codes)
    if not required:
        _refuse(
            "no_cautions_to_acknowledge",
            "This evaluation has no cautions that need a prescriber's acknowledgment.",
        )
    done = acknowledged_codes(evaluation)
    chosen = list(dict.fromkeys(codes)) if codes else [c for c in required if c not in done]
    unknown = [c for c in chosen if c not in required]
    require(
        not unknown,
        "acknowledgment_code_not_a_caution",
        f"Not a caution of this evaluation: {', '.join(unknown)}.",
        codes=unknown,
        cautions=required,
    )
    repeated = [c for c in chosen if c in done]
    if not chosen or repeated:
        _refuse(
            "cautions_already_acknowledged",
            "These cautions were already acknowledged; nothing was changed.",
            codes=repeated or required,
        )
    override = Override(reason=reason, codes=frozenset(chosen))
    now = timezone.now()
    acknowledgment = CautionAcknowledgment(
        clinic_id=evaluation.clinic_id,
        evaluation=evaluation,
        codes=chosen,
        reason=override.reason.strip(),
        acknowledged_by=actor,
        acknowledged_at=now,
        created_at=now,
        created_by=actor,
    )
    save_validated(acknowledgment)
    record_write(
        actor=actor,
        action=AuditAction.OVERRIDE,
        target=acknowledgment,
        patient_id=evaluation.patient_id,
        after={"evaluation": evaluation.pk, "codes": chosen},
        reason=acknowledgment.reason,
        summary="cautions acknowledged",
    )
    return acknowledgment
