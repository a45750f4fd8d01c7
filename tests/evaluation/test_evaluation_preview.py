"""preview_evaluation: the verdict record_evaluation would store, computed the same way
(same loading, mapping and policy), with nothing written."""

import pytest
from django.utils import timezone
from test_evaluation_services import answers

from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.evaluation.mappers import finding_to_dict
from ketacare.evaluation.models import Evaluation
from ketacare.evaluation.selectors import preview_evaluation
from ketacare.evaluation.services import record_evaluation
from ketacare.patients.services import record_medication


def test_preview_gives_the_verdict_that_recording_stores_and_writes_nothing(prescriber, patient):
    # A MAOI on record raises its caution although the clinician answered "no".
    record_medication(actor=prescriber, patient=patient, name="phenelzine", drug_class="maoi")
    entries = AuditEntry.objects.count()
    now = timezone.now()
    preview = preview_evaluation(prescriber, patient, answers(), now)
    assert Evaluation.objects.count() == 0
    assert AuditEntry.objects.count() == entries
    saved = record_evaluation(actor=prescriber, patient=patient, answers=answers(), as_of=now)
    assert preview.verdict.value == saved.verdict
    assert [finding_to_dict(f) for f in preview.reasons] == saved.reasons
    assert "maoi_use" in preview.codes


def test_nurse_cannot_preview_an_evaluation(nurse, patient):
    with pytest.raises(PermissionDenied):
        preview_evaluation(nurse, patient, answers(), timezone.now())


def test_preview_refuses_another_clinics_patient(outsider, patient):
    with pytest.raises(InvalidClinicalInput) as exc:
        preview_evaluation(outsider, patient, answers(), timezone.now())
    assert exc.value.code == "wrong_clinic"
