from ketacare.clinical.dosing.protocols import ESKETAMINE_TRD, STANDARD_PROTOCOLS
from ketacare.protocols.mappers import protocol_to_data
from ketacare.protocols.models import ClinicPolicyVersion, ProtocolVersion


def test_get_protocols_lists_the_standard_library(api, nurse):
    response = api(nurse).get("/protocols")
    assert response.status_code == 200
    assert {p["code"] for p in response.json()} == set(STANDARD_PROTOCOLS)


def test_admin_posts_a_new_esketamine_version(api, clinic_admin):
    data = protocol_to_data(ESKETAMINE_TRD)
    data["name"] = "Esketamine TRD (clinic wording)"
    response = api(clinic_admin).post("/protocols", {**data, "reason": "rename"})
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 2


def test_protocol_with_default_above_soft_limit_is_422_and_writes_nothing(
    api, clinic_admin, unchanged
):
    api(clinic_admin).get("/protocols")
    data = protocol_to_data(STANDARD_PROTOCOLS["iv_racemic_elektd"])
    data["dose_rule"]["default_mg_per_kg"] = "0.8"
    check = unchanged(ProtocolVersion)
    response = api(clinic_admin).post("/protocols", data)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_protocol"
    check()


def test_clinic_policy_is_404_until_saved_then_readable(api, clinic_admin, nurse, policy_values):
    assert api(nurse).get("/clinic-policy").status_code == 404
    saved = api(clinic_admin).post("/clinic-policy", policy_values)
    assert saved.status_code == 201, saved.content
    assert api(nurse).get("/clinic-policy").json()["values"]["spo2_min_percent"] == 92


def test_clinic_policy_with_inverted_weight_range_is_422_and_writes_nothing(
    api, clinic_admin, policy_values, unchanged
):
    check = unchanged(ClinicPolicyVersion)
    response = api(clinic_admin).post(
        "/clinic-policy", {**policy_values, "plausible_weight_min_kg": "300"}
    )
    assert response.status_code == 422
    check()
