"""The recommendation page is for clinic staff: a patient or a researcher gets the friendly
403 page (a 500 before the staff guard), another clinic's clinician 404, as the API does."""

import pytest

from ketacare.audit.models import AuditEntry


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.mark.parametrize("who", ["patient_user", "researcher"])
def test_patient_and_researcher_get_403_and_read_nothing(request, signed_in, trd_patient, who):
    user = request.getfixturevalue(who)
    reads = AuditEntry.objects.filter(action="read").count()
    response = signed_in(user).get(f"/patients/{trd_patient.pk}/recommendation")
    assert response.status_code == 403
    assert b"permission_denied" in response.content
    assert AuditEntry.objects.filter(action="read").count() == reads


def test_other_clinic_clinician_gets_not_found(signed_in, outsider, trd_patient):
    response = signed_in(outsider).get(f"/patients/{trd_patient.pk}/recommendation")
    assert response.status_code == 404
    assert b"not_found" in response.content


def test_prescriber_sees_the_recommendation(signed_in, prescriber, trd_patient, evaluate):
    evaluate(trd_patient)
    response = signed_in(prescriber).get(f"/patients/{trd_patient.pk}/recommendation")
    assert response.status_code == 200
