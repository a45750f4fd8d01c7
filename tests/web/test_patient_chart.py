from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.support.registration import registered_long_ago

from ketacare.audit.models import AuditEntry
from ketacare.patients.services import record_medication_trial, register_patient


def test_chart_shows_the_summary_and_is_audited_as_a_read(client, nurse, patient):
    client.force_login(nurse)
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    assert b"Alvarez, Avery" in response.content
    entry = AuditEntry.objects.filter(action="read").latest("id")
    assert (entry.actor_id, entry.patient_id_snapshot, entry.channel) == (
        nurse.pk,
        patient.pk,
        "web",
    )


def test_outsider_gets_not_found_for_the_chart(client, outsider, patient):
    client.force_login(outsider)
    assert client.get(f"/patients/{patient.pk}/").status_code == 404


def test_admin_sees_who_viewed_the_record_and_nurse_does_not(client, clinic_admin, nurse, patient):
    client.force_login(nurse)
    assert (
        b"Who viewed or changed this record" not in client.get(f"/patients/{patient.pk}/").content
    )
    client.force_login(clinic_admin)
    body = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Who viewed or changed this record" in body
    assert "nurse_a" in body


def _chart_queries(client, patient_id):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/patients/{patient_id}/").status_code == 200
    return len(ctx.captured_queries)


def test_chart_query_count_does_not_grow_with_the_patients_history(client, prescriber, patient):
    client.force_login(prescriber)
    _chart_queries(client, patient.pk)  # warm session and caches
    small = _chart_queries(client, patient.pk)
    for i in range(15):
        record_medication_trial(
            actor=prescriber,
            patient=patient,
            drug=f"drug{i}",
            dose_mg_per_day=10,
            weeks=6,
            adherence="good",
            adequate=True,
            outcome="no_response",
        )
        register_patient(
            as_of=registered_long_ago(),
            actor=prescriber,
            given_name=f"P{i}",
            family_name="Load",
            date_of_birth=date(1990, 1, 1),
            sex="male",
        )
    assert _chart_queries(client, patient.pk) == small
