"""The records the recommendation reads, through the API: prior-treatment reports, the
patient's preferences, and the clinic's recommendation settings."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.interop.models import (
    PriorTreatmentReport,
    RecommendationSettings,
    TreatmentPreference,
)

ECT_REMISSION = {"option": "ect", "sessions": 10, "response": "remission", "adequate": True}


def test_clinician_records_a_prior_ect_course_and_it_ranks_ect_first(
    api, prescriber, trd_patient, evaluate
):
    evaluate(trd_patient)
    response = api(prescriber).post(f"/patients/{trd_patient.pk}/prior-treatments", ECT_REMISSION)
    assert response.status_code == 201, response.content
    listed = api(prescriber).get(f"/patients/{trd_patient.pk}/prior-treatments").json()
    assert [(p["option"], p["sessions"], p["response"]) for p in listed] == [
        ("ect", 10, "remission")
    ]
    rec = api(prescriber).get(f"/patients/{trd_patient.pk}/recommendation").json()
    assert rec["top_option"] == "ect"
    assert AuditEntry.objects.filter(
        target_type="interop.PriorTreatmentReport", action="create"
    ).exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        # Adequacy of a ketamine series is computed from the session count.
        (
            {"option": "ketamine_iv", "sessions": 6, "response": "no_response", "adequate": True},
            "prior_treatment_adequacy_computed",
        ),
        # ECT and rTMS adequacy is the clinician's judgment: required.
        (
            {"option": "rtms", "sessions": 20, "response": "no_response"},
            "prior_treatment_adequacy_missing",
        ),
        # Durability is recorded only after a benefit.
        (
            {
                "option": "ketamine_iv",
                "sessions": 6,
                "response": "no_response",
                "durability_days": 5,
            },
            "prior_treatment_durability_without_benefit",
        ),
    ],
)
def test_prior_treatment_the_engine_would_refuse_is_refused_and_nothing_is_written(
    api, prescriber, trd_patient, unchanged, body, code
):
    check = unchanged(PriorTreatmentReport)
    response = api(prescriber).post(f"/patients/{trd_patient.pk}/prior-treatments", body)
    assert response.status_code == 422
    assert response.json()["code"] == code
    check()


def test_front_desk_cannot_record_prior_treatment(api, frontdesk, trd_patient):
    response = api(frontdesk).post(f"/patients/{trd_patient.pk}/prior-treatments", ECT_REMISSION)
    assert response.status_code == 403


def test_outsider_gets_not_found_for_prior_treatments(api, outsider, trd_patient):
    path = f"/patients/{trd_patient.pk}/prior-treatments"
    assert api(outsider).get(path).status_code == 404
    assert api(outsider).post(path, ECT_REMISSION).status_code == 404


def test_preferences_are_recorded_and_the_latest_one_is_read(api, nurse, trd_patient):
    path = f"/patients/{trd_patient.pk}/treatment-preferences"
    assert api(nurse).get(path).status_code == 404
    api(nurse).post(path, {"travel_burden": "low"})
    response = api(nurse).post(
        path, {"preferred": ["ketamine_iv"], "declined": ["ect"], "travel_burden": "high"}
    )
    assert response.status_code == 201, response.content
    latest = api(nurse).get(path).json()
    assert (latest["preferred"], latest["declined"], latest["travel_burden"]) == (
        ["ketamine_iv"],
        ["ect"],
        "high",
    )


def test_an_option_both_preferred_and_declined_is_refused_and_nothing_is_written(
    api, nurse, trd_patient, unchanged
):
    check = unchanged(TreatmentPreference)
    response = api(nurse).post(
        f"/patients/{trd_patient.pk}/treatment-preferences",
        {"preferred": ["ect"], "declined": ["ect"]},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "preferences_contradictory"
    check()


def test_clinic_admin_sets_referrals_and_self_pay_and_the_change_is_audited(
    api, clinic_admin, prescriber
):
    assert api(prescriber).get("/recommendation-settings").json() == {
        "ect_referral": True,
        "rtms_referral": True,
        "self_pay_options": [],
    }
    body = {"ect_referral": False, "rtms_referral": True, "self_pay_options": ["ketamine_iv"]}
    response = api(clinic_admin).put("/recommendation-settings", body)
    assert response.status_code == 200, response.content
    assert api(prescriber).get("/recommendation-settings").json() == body
    entry = AuditEntry.objects.filter(target_type="interop.RecommendationSettings").latest("id")
    assert entry.action == "update"


def test_clinic_without_ect_referral_does_not_put_ect_first(
    api, clinic_admin, prescriber, trd_patient, evaluate
):
    evaluate(trd_patient)
    api(prescriber).post(f"/patients/{trd_patient.pk}/prior-treatments", ECT_REMISSION)
    api(clinic_admin).put(
        "/recommendation-settings", {"ect_referral": False, "rtms_referral": True}
    )
    rec = api(prescriber).get(f"/patients/{trd_patient.pk}/recommendation").json()
    ect = next(o for o in rec["options"] if o["option"] == "ect")
    assert rec["top_option"] != "ect"
    assert ect["available"] is False


def test_prescriber_cannot_change_clinic_settings(api, prescriber, unchanged):
    check = unchanged(RecommendationSettings)
    response = api(prescriber).put(
        "/recommendation-settings", {"ect_referral": False, "rtms_referral": False}
    )
    assert response.status_code == 403
    check()


def test_settings_of_one_clinic_do_not_reach_another(api, clinic_admin, outsider):
    api(clinic_admin).put(
        "/recommendation-settings", {"ect_referral": False, "rtms_referral": False}
    )
    assert api(outsider).get("/recommendation-settings").json()["ect_referral"] is True
