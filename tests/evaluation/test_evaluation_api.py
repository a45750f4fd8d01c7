"""Evaluation API: the verdict with reasons {code, message, source}, TRD count and MSM; the
latest evaluation; acknowledgments; 403/404/409/422."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from tests.support.registration import registered_long_ago

from ketacare.evaluation.models import CautionAcknowledgment, Evaluation
from ketacare.patients.services import record_medication_trial, register_patient


def screening(**changes):
    week_ago = (timezone.now() - timedelta(days=7)).isoformat()
    body = {
        "route": "iv",
        "severity": "severe_without_psychosis",
        "ect_used": False,
        "aneurysmal_vascular_disease_or_avm": False,
        "intracerebral_hemorrhage_history": False,
        "hypersensitivity_to_ketamine_or_esketamine": False,
        "psychosis_history": False,
        "current_psychosis": False,
        "substance_use_disorder": "none",
        "pregnant": False,
        "breastfeeding": False,
        "hepatic_impairment": "none",
        "uncontrolled_hypertension": False,
        "hypertensive_encephalopathy_history": False,
        "takes_cns_depressants": False,
        "takes_psychostimulants": False,
        "takes_maois": False,
        "cssrs": {"risk": "low", "assessed_at": week_ago},
        "substance_screen": {
            "heavy_drinking_days_past_year": 0,
            "drug_use_times_past_year": 0,
            "screened_at": week_ago,
        },
        "latest_systolic_mmhg": 126,
        "latest_diastolic_mmhg": 80,
    }
    body.update(changes)
    return body


@pytest.fixture
def trd_patient(prescriber, patient):
    for drug in ("sertraline", "bupropion", "mirtazapine"):
        record_medication_trial(
            actor=prescriber,
            patient=patient,
            drug=drug,
            dose_mg_per_day=Decimal("100"),
            weeks=8,
            adherence="good",
            adequate=True,
            outcome="no_response",
        )
    return patient


def test_evaluation_returns_verdict_reasons_trd_count_and_msm(api, prescriber, trd_patient):
    response = api(prescriber).post(
        f"/patients/{trd_patient.pk}/evaluations", screening(pregnant=True)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["verdict"] == "eligible_with_cautions"
    [reason] = body["reasons"]
    assert reason["code"] == "pregnancy"
    assert reason["message"]
    assert set(reason["source"]) >= {"key", "citation", "url", "locator", "verified"}
    # Issue 16.5: the source object names its title and grade and links to the sources page.
    assert reason["source"]["title"] == reason["source"]["citation"]
    assert reason["source"]["grade"] in {"primary", "secondary", "consensus", "heuristic"}
    assert reason["source"]["href"].startswith("/sources/#source-")
    assert reason["acknowledgment_required"] is True
    assert body["adequate_failed_trials"] == 3
    assert body["treatment_resistant"] is True
    # MSM antidepressant level 2 for 3 failures; severity 4 (severe without psychosis).
    assert body["maudsley"]["total"] >= 1 + 4 + 2
    assert body["maudsley"]["band"] in {"mild", "moderate", "severe"}
    assert body["outstanding_acknowledgments"] == ["pregnancy"]


def test_unanswered_question_is_422_and_nothing_is_recorded(
    api, prescriber, trd_patient, unchanged
):
    body = screening()
    del body["pregnant"]
    check = unchanged(Evaluation)
    response = api(prescriber).post(f"/patients/{trd_patient.pk}/evaluations", body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    check()


def test_core_input_error_is_422_with_its_code(api, prescriber, trd_patient, unchanged):
    check = unchanged(Evaluation)
    response = api(prescriber).post(
        f"/patients/{trd_patient.pk}/evaluations",
        screening(latest_systolic_mmhg=120, latest_diastolic_mmhg=130),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "blood_pressure_implausible"
    check()


def test_a_shocked_patients_blood_pressure_is_recorded_and_400_mmhg_refused(
    api, prescriber, trd_patient
):
    # The published bounds are the cited physiological limits (plausibility.LIMITS): 30/15 is a
    # real reading (the old uncited 40-300 / 20-200 range refused it); 400 is not.
    ok = api(prescriber).post(
        f"/patients/{trd_patient.pk}/evaluations",
        screening(latest_systolic_mmhg=30, latest_diastolic_mmhg=15),
    )
    assert ok.status_code == 201, ok.content
    refused = api(prescriber).post(
        f"/patients/{trd_patient.pk}/evaluations",
        screening(latest_systolic_mmhg=400, latest_diastolic_mmhg=90),
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_input"
    assert "latest_systolic_mmhg" in refused.json()["message"]


def test_nurse_gets_403_recording_an_evaluation(api, nurse, trd_patient):
    response = api(nurse).post(f"/patients/{trd_patient.pk}/evaluations", screening())
    assert response.status_code == 403


def test_latest_evaluation_and_acknowledgment_flow(api, prescriber, nurse, trd_patient):
    created = api(prescriber).post(
        f"/patients/{trd_patient.pk}/evaluations", screening(takes_psychostimulants=True)
    )
    evaluation_id = created.json()["id"]
    latest = api(nurse).get(f"/patients/{trd_patient.pk}/evaluations/latest")
    assert latest.status_code == 200
    assert latest.json()["id"] == evaluation_id

    forbidden = api(nurse).post(f"/evaluations/{evaluation_id}/acknowledge", {"reason": "ok"})
    assert forbidden.status_code == 403

    acknowledged = api(prescriber).post(
        f"/evaluations/{evaluation_id}/acknowledge",
        {"reason": "BP monitored every 10 minutes during infusion"},
    )
    assert acknowledged.status_code == 200
    body = acknowledged.json()
    assert body["outstanding_acknowledgments"] == []
    assert body["acknowledgments"][0]["codes"] == ["psychostimulant_use"]

    again = api(prescriber).post(f"/evaluations/{evaluation_id}/acknowledge", {"reason": "x"})
    assert again.status_code == 409
    assert again.json()["code"] == "cautions_already_acknowledged"
    assert CautionAcknowledgment.objects.count() == 1


def test_unknown_acknowledgment_code_is_422(api, prescriber, trd_patient):
    created = api(prescriber).post(
        f"/patients/{trd_patient.pk}/evaluations", screening(takes_maois=True)
    )
    response = api(prescriber).post(
        f"/evaluations/{created.json()['id']}/acknowledge",
        {"reason": "x", "codes": ["not_a_code"]},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "acknowledgment_code_not_a_caution"


def test_never_evaluated_patient_latest_is_404(api, nurse, patient):
    assert api(nurse).get(f"/patients/{patient.pk}/evaluations/latest").status_code == 404


def test_outsider_gets_404_for_evaluations(api, outsider, prescriber, trd_patient):
    created = api(prescriber).post(f"/patients/{trd_patient.pk}/evaluations", screening())
    client = api(outsider)
    assert client.post(f"/patients/{trd_patient.pk}/evaluations", screening()).status_code == 404
    assert client.get(f"/patients/{trd_patient.pk}/evaluations/latest").status_code == 404
    ack = client.post(f"/evaluations/{created.json()['id']}/acknowledge", {"reason": "x"})
    assert ack.status_code == 404


def test_an_age_beyond_the_oldest_verified_human_age_is_422_naming_the_field(
    api, prescriber, unchanged
):
    # Born 1901: registration accepts it (the 1900-01-01 floor, issue 15), but an age of 124 or
    # more is beyond the oldest verified human age, 122 years (Calment; plausibility
    # .MAX_PLAUSIBLE_AGE_YEARS); the old uncited bound, 130, let it through.
    elder = register_patient(
        as_of=registered_long_ago(),
        actor=prescriber,
        given_name="Eda",
        family_name="Old",
        date_of_birth=date(1901, 6, 1),
        sex="female",
        current_episode_onset=date(2025, 6, 1),
    )
    check = unchanged(Evaluation)
    response = api(prescriber).post(f"/patients/{elder.pk}/evaluations", screening())
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "age_invalid"
    assert body["details"]["field"] == "age_years"
    check()
