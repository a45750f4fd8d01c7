"""The chart API and page for the treatment recommendation and the prescriber's choice."""

from __future__ import annotations

import pytest

from ketacare.interop.models import TreatmentChoice


def test_recommendation_lists_ranked_options_with_reasons_and_sources(api, prescriber, trd_patient):
    data = api(prescriber).get(f"/patients/{trd_patient.pk}/recommendation").json()
    assert data["decision_support"] is True
    assert [o["rank"] for o in data["options"]] == [1, 2, 3, 4, 5]
    assert all(o["evidence"]["sources"] for o in data["options"])


def test_unrecorded_evaluation_facts_are_named_and_lower_ketamine_options(
    api, prescriber, trd_patient
):
    data = api(prescriber).get(f"/patients/{trd_patient.pk}/recommendation").json()
    esk = next(o for o in data["options"] if o["option"] == "esketamine_intranasal")
    assert "screening_unconfirmed" in {f["code"] for f in esk["reasons_against"]}
    assert data["top_option"] == "rtms"


def test_other_clinic_gets_not_found(api, outsider, trd_patient):
    assert api(outsider).get(f"/patients/{trd_patient.pk}/recommendation").status_code == 404


def test_prescriber_adopts_the_top_option_without_a_reason(api, prescriber, trd_patient):
    response = api(prescriber).post(
        f"/patients/{trd_patient.pk}/recommendation/choice", {"option": "rtms"}
    )
    assert response.status_code == 201, response.content
    assert TreatmentChoice.objects.get().top_option == "rtms"


def test_choice_other_than_top_without_reason_is_refused_and_nothing_is_written(
    api, prescriber, trd_patient, unchanged
):
    check = unchanged(TreatmentChoice)
    response = api(prescriber).post(
        f"/patients/{trd_patient.pk}/recommendation/choice", {"option": "ect"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "choice_reason_required"
    check()


def test_choice_other_than_top_is_recorded_with_its_reason(api, prescriber, trd_patient):
    response = api(prescriber).post(
        f"/patients/{trd_patient.pk}/recommendation/choice",
        {"option": "ect", "reason": "Prior ECT remission in 2019"},
    )
    assert response.status_code == 201
    choice = TreatmentChoice.objects.get()
    assert (choice.chosen_option, choice.top_option, choice.reason) == (
        "ect",
        "rtms",
        "Prior ECT remission in 2019",
    )


@pytest.fixture
def sud_patient(trd_patient, evaluate):
    """Evaluated: active substance use disorder (relative exclusion of every ketamine form)."""
    evaluate(trd_patient, substance_use_disorder="active")
    return trd_patient


def test_absolutely_contraindicated_option_is_refused_with_409(
    api, prescriber, trd_patient, evaluate, unchanged
):
    evaluate(trd_patient, hypersensitivity_to_ketamine_or_esketamine=True)
    check = unchanged(TreatmentChoice)
    response = api(prescriber).post(
        f"/patients/{trd_patient.pk}/recommendation/choice",
        {
            "option": "ketamine_iv",
            "reason": "insists",
            "override_reason": "insists",
            "override_codes": ["option_absolutely_contraindicated"],
        },
    )
    assert response.status_code == 409
    assert response.json()["code"] == "option_absolutely_contraindicated"
    check()


def test_prescriber_can_override_a_relative_exclusion_with_reason_and_it_is_audited(
    api, prescriber, sud_patient
):
    from ketacare.audit.models import AuditEntry

    response = api(prescriber).post(
        f"/patients/{sud_patient.pk}/recommendation/choice",
        {
            "option": "ketamine_iv",
            "reason": "Supervised, SUD team agrees",
            "override_reason": "Supervised, SUD team agrees",
            "override_codes": ["option_excluded"],
        },
    )
    assert response.status_code == 201, response.content
    assert TreatmentChoice.objects.get().override_codes == ["option_excluded"]
    assert AuditEntry.objects.filter(
        action="override", target_type="interop.TreatmentChoice"
    ).exists()


def test_relative_exclusion_without_override_is_409(api, prescriber, sud_patient, unchanged):
    check = unchanged(TreatmentChoice)
    response = api(prescriber).post(
        f"/patients/{sud_patient.pk}/recommendation/choice",
        {"option": "ketamine_iv", "reason": "Patient wish"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "option_excluded"
    check()


def test_nurse_cannot_override_a_relative_exclusion(api, nurse, sud_patient):
    response = api(nurse).post(
        f"/patients/{sud_patient.pk}/recommendation/choice",
        {
            "option": "ketamine_iv",
            "reason": "x",
            "override_reason": "x",
            "override_codes": ["option_excluded"],
        },
    )
    assert response.status_code == 403


def test_nurse_cannot_record_a_choice(api, nurse, trd_patient):
    response = api(nurse).post(
        f"/patients/{trd_patient.pk}/recommendation/choice", {"option": "rtms"}
    )
    assert response.status_code == 403


def test_blank_override_reason_is_refused(api, prescriber, sud_patient, unchanged):
    check = unchanged(TreatmentChoice)
    response = api(prescriber).post(
        f"/patients/{sud_patient.pk}/recommendation/choice",
        {
            "option": "ketamine_iv",
            "reason": "x",
            "override_reason": " ",
            "override_codes": ["option_excluded"],
        },
    )
    assert response.status_code == 422
    check()


def test_chart_page_shows_the_recommendation_with_its_reasons(client, prescriber, trd_patient):
    client.force_login(prescriber)
    response = client.get(f"/patients/{trd_patient.pk}/recommendation")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Decision support" in html
    assert "rtms_first_line_after_failed_antidepressant" in html
    assert "screening_unconfirmed" in html


def test_chart_page_is_not_found_for_another_clinic(client, outsider, trd_patient):
    client.force_login(outsider)
    assert client.get(f"/patients/{trd_patient.pk}/recommendation").status_code == 404
