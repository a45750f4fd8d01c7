"""An EHR or a clinician's app writes to KetaCare through FHIR: a scale answered elsewhere, a
weight, a depression diagnosis, a medicine. Each goes through the service a page uses (same
permission, clinic, scoring, alerts, audit); what the clinic does not take is refused with why,
and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.support.fhir_schema import assert_valid_fhir

from ketacare.audit.models import AuditAction, AuditEntry
from ketacare.interop.fhir import codes as c
from ketacare.measures.models import Assessment, SafetyAlert
from ketacare.patients.models import Diagnosis, Medication, WeightMeasurement

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def when(hours_ago: int = 1) -> str:
    return (timezone.now() - timedelta(hours=hours_ago)).replace(microsecond=0).isoformat()


def phq9_response(patient, answers, **extra):
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": c.QUESTIONNAIRE_BASE + "phq9",
        "subject": {"reference": f"Patient/{patient.pk}"},
        "authored": when(),
        "item": [
            {"linkId": str(n), "answer": [{"valueInteger": v}]}
            for n, v in enumerate(answers, start=1)
        ],
        **extra,
    }


def test_a_phq9_answered_in_the_ehr_is_scored_and_item_9_raises_the_alert(fhir, nurse, patient):
    response = fhir(nurse).post(
        "QuestionnaireResponse", phq9_response(patient, [2, 2, 1, 1, 2, 1, 1, 1, 2])
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert_valid_fhir(created)
    assert response["Location"].endswith(f"/fhir/QuestionnaireResponse/{created['id']}")
    row = Assessment.objects.get(patient=patient)
    assert (row.instrument, row.total) == ("phq9", 13)
    assert SafetyAlert.objects.filter(patient=patient).exists()  # item 9 answered above 0
    read = fhir(nurse).get(f"QuestionnaireResponse/{created['id']}").json()
    assert read["item"] == created["item"]


def test_a_weight_observation_becomes_the_patients_weight(fhir, nurse, patient):
    body = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": c.OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": f"Patient/{patient.pk}"},
        "effectiveDateTime": when(),
        "valueQuantity": {
            "value": 81.4,
            "unit": "kg",
            "system": "http://unitsofmeasure.org",
            "code": "kg",
        },
    }
    response = fhir(nurse).post("Observation", body)
    assert response.status_code == 201, response.content
    assert_valid_fhir(response.json())
    assert str(WeightMeasurement.objects.get(patient=patient).weight_kg) == "81.4"


def test_a_depression_diagnosis_in_icd10cm_joins_the_problem_list(fhir, prescriber, patient):
    body = {
        "resourceType": "Condition",
        "code": {
            "coding": [
                {
                    "system": ICD10CM,
                    "code": "F33.2",
                    "display": "Major depressive disorder, recurrent severe",
                }
            ]
        },
        "subject": {"reference": f"Patient/{patient.pk}"},
        "onsetDateTime": "2025-09-01",
    }
    response = fhir(prescriber).post("Condition", body)
    assert response.status_code == 201, response.content
    assert_valid_fhir(response.json())
    assert Diagnosis.objects.get(patient=patient).icd10_code == "F33.2"
    assert AuditEntry.objects.filter(
        action=AuditAction.CREATE,
        patient_id_snapshot=patient.pk,
        target_type__icontains="diagnosis",
    ).exists()


def test_an_rxnorm_antidepressant_is_listed_as_an_antidepressant(fhir, prescriber, patient):
    body = {
        "resourceType": "MedicationStatement",
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "42347", "display": "bupropion"}]
        },
        "subject": {"reference": f"Patient/{patient.pk}"},
        "effectivePeriod": {"start": "2025-01-10", "end": "2025-04-20"},
        "dosage": [{"text": "300 mg daily"}],
    }
    response = fhir(prescriber).post("MedicationStatement", body)
    assert response.status_code == 201, response.content
    assert_valid_fhir(response.json())
    med = Medication.objects.get(patient=patient)
    assert (med.name, med.drug_class, med.dose_text) == (
        "bupropion",
        "antidepressant",
        "300 mg daily",
    )
    assert (str(med.started_on), str(med.stopped_on)) == ("2025-01-10", "2025-04-20")


@pytest.mark.parametrize(
    ("coding", "said"),
    [
        ({"system": ICD10CM, "code": "I67.1"}, b"aneurysmal vascular disease"),
        ({"system": SNOMED, "code": "274100004"}, b"intracerebral hemorrhage"),
        ({"system": SNOMED, "code": "999999999"}, b"Unrecognised condition code"),
    ],
)
def test_a_condition_the_problem_list_does_not_take_is_refused_with_what_it_is(
    fhir, prescriber, patient, coding, said
):
    body = {
        "resourceType": "Condition",
        "code": {"coding": [coding]},
        "subject": {"reference": f"Patient/{patient.pk}"},
    }
    response = fhir(prescriber).post("Condition", body)
    assert response.status_code == 422
    assert response.json()["resourceType"] == "OperationOutcome"
    assert said in response.content
    assert not Diagnosis.objects.exists()


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"status": "in-progress"}, 422),
        ({"questionnaire": "https://elsewhere.example/Questionnaire/phq9"}, 422),
        ({"authored": "2026-01-01T10:00:00"}, 400),  # a time without a zone is not a dateTime
        ({"item": [{"linkId": "12", "answer": [{"valueInteger": 1}]}]}, 422),
        ({"item": [{"linkId": "1", "answer": [{"valueString": "two"}]}]}, 422),
        ({"subject": {"reference": "Group/1"}}, 422),
        ({"status": "not-a-status"}, 422),
        ({"item": "not a list"}, 400),
        ({"encounter": {"reference": "Encounter/999999"}}, 422),
    ],
)
def test_a_bad_questionnaire_response_writes_nothing(fhir, nurse, patient, change, status):
    body = {**phq9_response(patient, [0] * 9), **change}
    response = fhir(nurse).post("QuestionnaireResponse", body)
    assert response.status_code == status, response.content
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not Assessment.objects.exists()


def test_another_clinics_patient_is_not_found_and_nothing_is_written(
    fhir, nurse, other_clinic_patient
):
    before = Assessment.objects.count()
    response = fhir(nurse).post(
        "QuestionnaireResponse", phq9_response(other_clinic_patient, [0] * 9)
    )
    assert response.status_code == 404
    assert Assessment.objects.count() == before


def test_a_role_without_the_permission_cannot_create(fhir, researcher, patient):
    response = fhir(researcher).post("QuestionnaireResponse", phq9_response(patient, [0] * 9))
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_the_capability_statement_lists_create_for_exactly_these_types(fhir, nurse):
    statement = fhir().get("metadata").json()
    creatable = {
        res["type"]
        for res in statement["rest"][0]["resource"]
        if any(i["code"] == "create" for i in res["interaction"])
    }
    assert creatable == {"QuestionnaireResponse", "Observation", "Condition", "MedicationStatement"}


@pytest.mark.parametrize("tail", ["²", "٨"])
def test_a_subject_reference_in_other_digits_is_refused_not_read(fhir, nurse, patient, tail):
    # '²'.isdigit() and '٨'.isdigit() are true; int() raised on the first (a 500) and read the
    # second as patient 8.
    body = phq9_response(patient, [0] * 9)
    body["subject"] = {"reference": f"Patient/{tail}"}
    response = fhir(nurse).post("QuestionnaireResponse", body)
    assert response.status_code == 422, response.content
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not Assessment.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("link_id", ["²", "١"])
def test_an_item_link_id_in_other_digits_is_refused(fhir, nurse, patient, link_id):
    body = phq9_response(patient, [0] * 9)
    body["item"][0]["linkId"] = link_id
    response = fhir(nurse).post("QuestionnaireResponse", body)
    assert response.status_code == 422, response.content
    assert not Assessment.objects.filter(patient=patient).exists()
