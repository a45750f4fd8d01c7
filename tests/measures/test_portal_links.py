"""Patient self-reports: signed single-use links (no login) and the portal login."""

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.support.registration import registered_long_ago

from ketacare.audit.models import AuditEntry
from ketacare.measures.models import Assessment, PortalLink, SafetyAlert


@pytest.fixture
def link(api, nurse, patient):
    response = api(nurse).post(
        f"/patients/{patient.pk}/portal-links", {"instrument": "phq9", "expires_in_hours": 24}
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_issuing_a_link_stores_only_the_token_digest(link):
    row = PortalLink.objects.get()
    assert row.digest != link["token"]
    assert link["token"] not in str(list(PortalLink.objects.values()))
    assert link["path"] == f"/api/v1/self-report/{link['token']}"


def test_patient_reports_through_a_link_without_logging_in(api, link, patient, phq9):
    response = api(None).post(f"/self-report/{link['token']}", {"items": phq9(7)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["clinic_alerted"] is False
    assert body["crisis_text"] is None
    row = Assessment.objects.get()
    assert (row.patient_id, row.total, row.channel, row.context) == (
        patient.pk,
        7,
        "link",
        "follow_up",
    )
    assert row.submitted_by_id is None
    assert PortalLink.objects.get().used_at is not None


def test_link_is_single_use(api, link, phq9, unchanged):
    api(None).post(f"/self-report/{link['token']}", {"items": phq9(7)})
    check = unchanged(Assessment)
    again = api(None).post(f"/self-report/{link['token']}", {"items": phq9(3)})
    assert again.status_code == 410
    assert again.json()["code"] == "portal_link_used"
    check()


def test_expired_link_is_refused_with_410(api, link, phq9, clock, unchanged):
    clock.shift(timedelta(hours=24, seconds=1))
    check = unchanged(Assessment, PortalLink)
    response = api(None).post(f"/self-report/{link['token']}", {"items": phq9(7)})
    assert response.status_code == 410
    assert response.json()["code"] == "portal_link_expired"
    check()


def test_link_is_still_valid_just_before_expiry(api, link, phq9, clock):
    clock.shift(timedelta(hours=23, minutes=59))
    assert api(None).post(f"/self-report/{link['token']}", {"items": phq9(7)}).status_code == 201


@pytest.mark.parametrize("token", ["nonsense", "abc:def:ghi"])
def test_unknown_or_forged_token_is_not_found(api, link, phq9, token):
    response = api(None).post(f"/self-report/{token}", {"items": phq9(7)})
    assert response.status_code == 404


def test_tampered_token_is_not_found(api, link, phq9):
    tampered = link["token"][:-2] + ("AA" if not link["token"].endswith("AA") else "BB")
    assert api(None).post(f"/self-report/{tampered}", {"items": phq9(7)}).status_code == 404


def test_item9_through_a_link_alerts_the_clinic_and_shows_the_crisis_text_at_once(
    api, link, patient, phq9
):
    response = api(None).post(f"/self-report/{link['token']}", {"items": phq9(4, item9=2)})
    body = response.json()
    assert body["clinic_alerted"] is True
    assert body["crisis_text"] == patient.clinic.crisis_text
    assert SafetyAlert.objects.get().code == "phq9_item9_positive"


def test_invalid_answers_through_a_link_leave_the_link_unused(api, link, unchanged):
    check = unchanged(Assessment, PortalLink)
    response = api(None).post(f"/self-report/{link['token']}", {"items": [0] * 8})
    assert response.status_code == 422
    check()
    assert PortalLink.objects.get().used_at is None


def test_madrs_cannot_be_sent_as_a_self_report_link(api, nurse, patient):
    response = api(nurse).post(
        f"/patients/{patient.pk}/portal-links", {"instrument": "madrs", "expires_in_hours": 24}
    )
    assert response.status_code == 422


# --- Portal login ---


def test_signed_in_patient_reports_for_their_own_record(api, patient_user, patient, phq9):
    response = api(patient_user).post(
        "/portal/assessments", {"instrument": "phq9", "items": phq9(9)}
    )
    assert response.status_code == 201, response.content
    row = Assessment.objects.get()
    assert (row.patient_id, row.submitted_by_id, row.channel) == (
        patient.pk,
        patient_user.pk,
        "portal",
    )
    assert AuditEntry.objects.filter(
        action="create", target_type="measures.Assessment", actor=patient_user
    ).exists()


def test_patient_cannot_report_for_another_patient(api, patient_user, prescriber, phq9, unchanged):
    from ketacare.patients.services import register_patient

    other = register_patient(
        as_of=registered_long_ago(),
        actor=prescriber,
        given_name="Blake",
        family_name="Brown",
        date_of_birth=timezone.localdate().replace(year=1975),
        sex="male",
    )
    check = unchanged(Assessment)
    client = api(patient_user)
    body = {
        "instrument": "phq9",
        "items": phq9(9),
        "context": "follow_up",
        "taken_at": timezone.now().isoformat(),
    }
    assert client.post(f"/patients/{other.pk}/assessments", body).status_code == 403
    # The portal route has no patient id to change: an extra field is refused outright.
    refused = client.post("/portal/assessments", {**body, "patient_id": other.pk})
    assert refused.status_code == 422
    check()


def test_staff_cannot_use_the_portal_route(api, nurse, phq9):
    response = api(nurse).post("/portal/assessments", {"instrument": "phq9", "items": phq9(9)})
    assert response.status_code == 403


def test_patient_cannot_claim_a_pre_dose_context_that_is_not_due(
    api, patient_user, phq9, unchanged
):
    check = unchanged(Assessment)
    response = api(patient_user).post(
        "/portal/assessments", {"instrument": "phq9", "items": phq9(9), "context": "pre_dose"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "context_not_scheduled"
    check()


def test_portal_self_report_takes_the_due_baseline_context(api, patient_user, phq9):
    # No dose yet: the default schedule asks for a baseline PHQ-9.
    api(patient_user).post("/portal/assessments", {"instrument": "phq9", "items": phq9(15)})
    assert Assessment.objects.get().context == "baseline"
