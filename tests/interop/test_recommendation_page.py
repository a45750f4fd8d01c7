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


def test_every_reason_on_the_page_names_its_source_and_grade_with_a_link(
    signed_in, prescriber, trd_patient, evaluate
):
    # Issue 16.5: each reason for, against, caution and exclusion carries one evidence line
    # (source, grade) linking to the source's entry on the sources page.
    import re

    evaluate(trd_patient)
    client = signed_in(prescriber)
    body = client.get(f"/patients/{trd_patient.pk}/recommendation").content.decode()
    reasons = re.findall(r'<li data-code="[a-z_0-9]+">.*?</li>', body, re.S)
    assert reasons, "the page lists no reasons"
    sourced = [r for r in reasons if 'class="evidence"' in r]
    assert sourced, "no reason shows its evidence line"
    anchors = set(re.findall(r'href="/sources/#(source-[^"]+)"', body))
    sources_page = client.get("/sources/").content.decode()
    assert all(f'id="{a}"' in sources_page for a in anchors)
    grades = "primary source|secondary source|consensus statement|KetaCare heuristic|clinic"
    assert re.search(rf"\[({grades})", body)
