import pytest

from ketacare.careplans.models import CarePlan, PlanComponent

PLAN = {
    "goals": ["PHQ-9 below 5", "Sleep 7 hours most nights"],
    "components": [
        {"kind": "ketamine_course", "description": "Esketamine induction", "status": "active"},
        {
            "kind": "psychotherapy",
            "subkind": "preparation",
            "description": "One preparation session before the first dose",
            "start_date": "2026-03-01",
            "end_date": "2026-03-02",
        },
        {"kind": "lifestyle", "subkind": "alcohol", "description": "No alcohol on dosing days"},
    ],
}


@pytest.fixture
def plan_v1(api, therapist, patient):
    response = api(therapist).post(f"/patients/{patient.pk}/plan", PLAN)
    assert response.status_code == 201, response.content
    return response.json()


def test_therapist_writes_a_plan_and_the_team_reads_it(api, plan_v1, nurse, patient):
    body = api(nurse).get(f"/patients/{patient.pk}/plan")
    assert body.status_code == 200
    data = body.json()
    assert data["version"] == 1
    assert data["goals"] == PLAN["goals"]
    assert [c["subkind"] for c in data["components"]] == ["", "preparation", "alcohol"]


def test_second_post_is_version_two_and_needs_a_reason(api, plan_v1, prescriber, patient):
    client = api(prescriber)
    refused = client.post(f"/patients/{patient.pk}/plan", PLAN)
    assert refused.status_code == 422
    assert refused.json()["code"] == "plan_change_reason_required"
    created = client.post(
        f"/patients/{patient.pk}/plan", {**PLAN, "change_reason": "Added CBT after induction"}
    )
    assert created.status_code == 201
    assert created.json()["version"] == 2
    assert created.json()["supersedes_id"] == plan_v1["id"]


def test_nurse_gets_403_and_nothing_is_written(api, nurse, patient, unchanged):
    check = unchanged(CarePlan, PlanComponent)
    response = api(nurse).post(f"/patients/{patient.pk}/plan", PLAN)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    check()


def test_outsider_gets_404_for_plan_and_components(api, plan_v1, outsider, patient, unchanged):
    client = api(outsider)
    assert client.get(f"/patients/{patient.pk}/plan").status_code == 404
    check = unchanged(CarePlan, PlanComponent)
    assert client.post(f"/patients/{patient.pk}/plan", PLAN).status_code == 404
    component_id = plan_v1["components"][0]["id"]
    response = client.post(f"/plan-components/{component_id}/status", {"status": "completed"})
    assert response.status_code == 404
    check()


def test_patient_without_a_plan_is_404(api, nurse, patient):
    response = api(nurse).get(f"/patients/{patient.pk}/plan")
    assert response.status_code == 404
    assert response.json()["message"] == "No such care plan."


def test_component_status_route_changes_status(api, plan_v1, therapist):
    component_id = plan_v1["components"][1]["id"]
    response = api(therapist).post(
        f"/plan-components/{component_id}/status", {"status": "stopped", "reason": "Declined"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["status_reason"]) == ("stopped", "Declined")


def test_integration_session_is_recorded_against_a_psychotherapy_component(api, plan_v1, therapist):
    component_id = plan_v1["components"][1]["id"]
    response = api(therapist).post(
        f"/plan-components/{component_id}/sessions", {"held_on": "2026-03-01"}
    )
    assert response.status_code == 201
    assert response.json()["subkind"] == "preparation"


def test_clinic_admin_switches_the_integration_rule_on_and_off(api, clinic_admin, nurse):
    admin = api(clinic_admin)
    assert api(nurse).get("/plan-policy").json() == {"integration_window_days": None}
    assert admin.post("/plan-policy", {"integration_window_days": 3}).status_code == 200
    assert api(nurse).get("/plan-policy").json() == {"integration_window_days": 3}
    assert admin.post("/plan-policy", {"integration_window_days": 91}).status_code == 422
    assert admin.post("/plan-policy", {"integration_window_days": None}).json() == {
        "integration_window_days": None
    }
