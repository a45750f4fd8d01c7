from ketacare.careplans.services import ComponentInput, record_integration_policy, record_plan


def test_clinician_chart_shows_the_current_plan_and_the_integration_rule_when_on(
    client, prescriber, therapist, clinic_admin, patient
):
    record_plan(
        actor=therapist,
        patient=patient,
        goals=["Remission on PHQ-9"],
        components=[
            ComponentInput(kind="medication_management", description="Review sertraline dose")
        ],
    )
    client.force_login(prescriber)
    body = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Treatment plan" in body
    assert "Review sertraline dose" in body
    assert "clinic policy: within" not in body  # the rule is off by default
    record_integration_policy(actor=clinic_admin, window_days=3)
    body = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "clinic policy: within 3 days after each dose" in body
    assert "No doses recorded." in body


def test_chart_of_a_patient_without_a_plan_says_so(client, nurse, patient):
    client.force_login(nurse)
    assert "No treatment plan yet." in client.get(f"/patients/{patient.pk}/").content.decode()
