"""Reads for eligibility evaluations.

For other apps (no actor, no audit; the caller has already accessed the patient):
- ``latest_evaluation(patient)``: the evaluation that counts (latest ``as_of``, then latest
  recorded), or None. The treatment app checks its ``verdict`` before ordering a course.
- ``outstanding_acknowledgments(evaluation)``: caution codes no prescriber has acknowledged
  yet; a course should not be ordered while any remain.

For the API and pages (permission, clinic, audit): ``access_latest_evaluation``,
``access_evaluation``.
"""

from __future__ import annotations

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.services import record_read
from ketacare.evaluation.models import Evaluation
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient


def latest_evaluation(patient: Patient) -> Evaluation | None:
    """The patient's latest evaluation (by evaluation time, then by id), acknowledgments
    prefetched; None if the patient was never evaluated. No permission check, no audit."""
    return (
        Evaluation.objects.filter(patient=patient, clinic_id=patient.clinic_id)
        .order_by("-as_of", "-id")
        .prefetch_related("acknowledgments")
        .first()
    )


def acknowledged_codes(evaluation: Evaluation) -> set[str]:
    return {code for ack in evaluation.acknowledgments.all() for code in ack.codes}


def outstanding_acknowledgments(evaluation: Evaluation) -> tuple[str, ...]:
    """Caution codes of ``evaluation`` that still need a prescriber's acknowledgment."""
    done = acknowledged_codes(evaluation)
    return tuple(c for c in evaluation.acknowledgment_required_codes if c not in done)


def access_latest_evaluation(actor: User, patient_id: int) -> Evaluation:
    patient = access_patient(actor, patient_id, purpose="latest evaluation")
    evaluation = latest_evaluation(patient)
    if evaluation is None:
        raise NotFound("evaluation")
    return evaluation


def access_evaluation(
    actor: User, evaluation_id: int, *, purpose: str = "evaluation"
) -> Evaluation:
    require_permission(actor, Permission.VIEW_PATIENT)
    evaluation = (
        Evaluation.objects.filter(pk=evaluation_id)
        .filter(clinic_id=actor.clinic_id)
        .select_related("patient")
        .prefetch_related("acknowledgments")
        .first()
    )
    if evaluation is None:
        raise NotFound("evaluation")
    record_read(actor=actor, target=evaluation, patient_id=evaluation.patient_id, summary=purpose)
    return evaluation
