"""Reads for eligibility evaluations.

For other apps (no actor, no audit; the caller has already accessed the patient):
- ``latest_evaluation(patient)``: the evaluation that counts (latest ``as_of``, then latest
  recorded), or None. The treatment app checks its ``verdict`` before ordering a course.
- ``outstanding_acknowledgments(evaluation)``: caution codes no prescriber has acknowledged
  yet; a course should not be ordered while any remain.

For the API and pages (permission, clinic, audit): ``access_latest_evaluation``,
``access_evaluation``.

For the evaluation page: ``preview_evaluation(actor, patient, answers, as_of)``, the verdict
the core would give for these answers, computed exactly as ``record_evaluation`` computes it
(same loading, mapping and policy: ``evaluation_input_for`` and
``mappers.eligibility_policy_for``) but writing nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.services import record_read
from ketacare.clinical.eligibility import EligibilityVerdict, EvaluationInput, evaluate_eligibility
from ketacare.clinical.errors import require
from ketacare.compiled_reads import CompiledRead, attach_children, slot
from ketacare.evaluation.mappers import (
    ScreeningAnswers,
    build_evaluation_input,
    eligibility_policy_for,
)
from ketacare.evaluation.models import CautionAcknowledgment, Evaluation
from ketacare.patients.models import Medication, MedicationTrial, Patient
from ketacare.patients.selectors import access_patient
from ketacare.read_scope import shared_read


def require_evaluation_time(when: datetime, now: datetime) -> None:
    """An evaluation is at a timezone-aware time, not in the future."""
    require(
        when.tzinfo is not None,
        "datetime_not_timezone_aware",
        "'as_of' must be a timezone-aware date and time.",
    )
    require(when <= now, "date_in_future", "The evaluation time cannot be in the future.")


def evaluation_input_for(
    patient: Patient, answers: ScreeningAnswers, *, as_of: datetime
) -> tuple[EvaluationInput, dict[str, Any]]:
    """The core input for ``answers`` plus the patient's current trials and medicines (and
    its JSON record). No permission check, no audit: the caller has accessed the patient."""
    trials = MedicationTrial.objects.filter(patient=patient, superseded_by__isnull=True).order_by(
        "id"
    )
    medications = Medication.objects.filter(patient=patient, superseded_by__isnull=True)
    return build_evaluation_input(
        patient=patient, trials=trials, medications=medications, answers=answers, as_of=as_of
    )


def preview_evaluation(
    actor: User, patient: Patient, answers: ScreeningAnswers, as_of: datetime
) -> EligibilityVerdict:
    """The verdict ``record_evaluation`` would store for these answers at ``as_of``, without
    storing anything. Same permission as recording; ``patient`` comes from ``access_patient``
    (which audited the read). Bad input raises the same ``InvalidClinicalInput``."""
    require_permission(actor, Permission.RECORD_EVALUATION)
    require(
        patient.clinic_id == actor.clinic_id,
        "wrong_clinic",
        "This patient belongs to another clinic.",
    )
    require_evaluation_time(as_of, timezone.now())
    inp, _ = evaluation_input_for(patient, answers, as_of=as_of)
    return evaluate_eligibility(inp, eligibility_policy_for(patient.clinic_id))


_ACKNOWLEDGMENTS = Prefetch(
    "acknowledgments",
    queryset=CautionAcknowledgment.objects.select_related("acknowledged_by").order_by("id"),
)


# ``latest_evaluation``'s two reads (the evaluation, then its acknowledgments as
# ``_ACKNOWLEDGMENTS`` prefetches them), compiled to SQL once per connection
# (compiled_reads.py).
_LATEST_EVALUATION = CompiledRead(
    lambda: (
        Evaluation.objects.filter(
            patient_id=slot(Evaluation, "patient"), clinic_id=slot(Evaluation, "clinic")
        )
        .order_by("-as_of", "-id")
        .select_related("evaluated_by")[:1]
    )
)
_EVALUATION_ACKNOWLEDGMENTS = CompiledRead(
    lambda: _ACKNOWLEDGMENTS.queryset.filter(
        evaluation_id=slot(CautionAcknowledgment, "evaluation")
    )
)


@shared_read
def latest_evaluation(patient: Patient) -> Evaluation | None:
    """The patient's latest evaluation (by evaluation time, then by id), acknowledgments
    prefetched; None if the patient was never evaluated. No permission check, no audit."""
    evaluation = _LATEST_EVALUATION.first(patient=patient.pk, clinic=patient.clinic_id)
    if evaluation is not None:
        acknowledgments = _EVALUATION_ACKNOWLEDGMENTS.rows(evaluation=evaluation.pk)
        attach_children([evaluation], "acknowledgments", acknowledgments, _ACKNOWLEDGMENTS.queryset)
    return evaluation


def acknowledged_codes(evaluation: Evaluation) -> set[str]:
    return {code for ack in evaluation.acknowledgments.all() for code in ack.codes}


def outstanding_acknowledgments(evaluation: Evaluation) -> tuple[str, ...]:
    """Caution codes of ``evaluation`` that still need a prescriber's acknowledgment."""
    done = acknowledged_codes(evaluation)
    return tuple(c for c in evaluation.acknowledgment_required_codes if c not in done)


def access_latest_evaluation(actor: User, patient_id: int) -> Evaluation:
    patient = access_patient(
        actor, patient_id, purpose="latest evaluation", permission=Permission.VIEW_TREATMENT
    )
    evaluation = latest_evaluation(patient)
    if evaluation is None:
        raise NotFound("evaluation")
    return evaluation


def access_evaluation(
    actor: User, evaluation_id: int, *, purpose: str = "evaluation"
) -> Evaluation:
    require_permission(actor, Permission.VIEW_TREATMENT)
    evaluation = (
        Evaluation.objects.filter(pk=evaluation_id)
        .filter(clinic_id=actor.clinic_id)
        .select_related("patient", "evaluated_by")
        .prefetch_related(_ACKNOWLEDGMENTS)
        .first()
    )
    if evaluation is None:
        raise NotFound("evaluation")
    record_read(actor=actor, target=evaluation, patient_id=evaluation.patient_id, summary=purpose)
    return evaluation
