"""Consent services and selectors: publishing versions, signing the version in force, the
signed-text snapshot, material vs non-material supersession, withdrawal."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry
from ketacare.clinical.consent import (
    CONSENT_MISSING,
    CONSENT_SUPERSEDED,
    CONSENT_VALID,
    CONSENT_WITHDRAWN,
)
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.consent.models import ConsentDocument, ConsentDocumentVersion, ConsentSignature
from ketacare.consent.selectors import (
    access_consent,
    consent_gate_for,
    consent_status_for,
    list_consent_documents_for_patient,
    list_consents_for_patient,
)
from ketacare.consent.services import (
    publish_consent_version,
    sign_consent,
    withdraw_consent,
)

IV_TEXT_V1 = "IV ketamine consent, version 1: infusion, blood pressure rise, dissociation."


def publish(admin, *, days_ago: int, material: bool = False, body: str = IV_TEXT_V1, route="iv"):
    return publish_consent_version(
        actor=admin,
        route=route,
        title="Consent to IV ketamine treatment",
        body=body,
        effective_at=timezone.now() - timedelta(days=days_ago),
        material_change=material,
    )


@pytest.fixture
def iv_v1(clinic_admin):
    return publish(clinic_admin, days_ago=100)


def sign(actor, patient, version, *, days_ago: int = 0, name: str = "Avery Alvarez"):
    return sign_consent(
        actor=actor,
        patient=patient,
        version=version,
        typed_name=name,
        signed_at=timezone.now() - timedelta(days=days_ago) if days_ago else None,
    )


# Publishing


def test_first_publication_creates_the_route_document_and_version_one(clinic_admin):
    version = publish(clinic_admin, days_ago=1)
    assert version.version_number == 1
    assert version.document.route == "iv"
    assert ConsentDocument.objects.count() == 1
    assert AuditEntry.objects.filter(target_type="consent.ConsentDocumentVersion").exists()


def test_next_publication_supersedes_with_the_next_number_on_the_same_document(clinic_admin, iv_v1):
    v2 = publish(clinic_admin, days_ago=10, material=True, body="v2 text")
    assert (v2.document_id, v2.version_number) == (iv_v1.document_id, 2)
    entry = AuditEntry.objects.filter(action="supersede").get()
    assert entry.changes["after"]["supersedes_version"] == 1


def test_version_taking_effect_before_the_one_it_supersedes_is_refused(
    clinic_admin, iv_v1, unchanged
):
    check = unchanged(ConsentDocumentVersion, ConsentDocument)
    with pytest.raises(InvalidClinicalInput) as err:
        publish(clinic_admin, days_ago=200)
    assert err.value.code == "consent_version_effective_before_previous"
    check()


@pytest.mark.parametrize("role_fixture", ["prescriber", "nurse"])
def test_only_clinic_admins_publish_consent_documents(request, role_fixture, unchanged):
    actor = request.getfixturevalue(role_fixture)
    check = unchanged(ConsentDocumentVersion, ConsentDocument)
    with pytest.raises(PermissionDenied):
        publish(actor, days_ago=1)
    check()


def test_blank_consent_text_is_refused_and_nothing_is_published(clinic_admin, unchanged):
    check = unchanged(ConsentDocumentVersion, ConsentDocument)
    with pytest.raises(InvalidClinicalInput) as err:
        publish(clinic_admin, days_ago=1, body="   ")
    assert err.value.code == "consent_body_required"
    check()


# Signing


@pytest.mark.parametrize("role_fixture", ["prescriber", "nurse"])
def test_staff_witness_records_the_signature_and_text_is_snapshotted(
    request, role_fixture, patient, iv_v1
):
    witness = request.getfixturevalue(role_fixture)
    signature = sign(witness, patient, iv_v1, name="  avery   ALVAREZ ")
    assert signature.witness == witness
    assert signature.signed_text_snapshot == IV_TEXT_V1
    entry = AuditEntry.objects.filter(target_type="consent.ConsentSignature").get()
    assert entry.patient_id_snapshot == patient.pk


def test_signed_text_is_unchanged_after_a_new_version_is_published(
    nurse, clinic_admin, patient, iv_v1
):
    signature = sign(nurse, patient, iv_v1, days_ago=50)
    publish(clinic_admin, days_ago=5, material=True, body="Entirely new text.")
    signature.refresh_from_db()
    iv_v1.refresh_from_db()
    assert signature.signed_text_snapshot == IV_TEXT_V1
    assert iv_v1.body == IV_TEXT_V1


@pytest.mark.parametrize("typed", ["Avery Alvarado", "Alvarez Avery", "Avery"])
def test_typed_name_that_is_not_the_registered_name_is_refused(
    nurse, patient, iv_v1, typed, unchanged
):
    check = unchanged(ConsentSignature)
    with pytest.raises(InvalidClinicalInput) as err:
        sign(nurse, patient, iv_v1, name=typed)
    assert err.value.code == "consent_typed_name_mismatch"
    check()


def test_signing_a_superseded_version_is_refused(nurse, clinic_admin, patient, iv_v1, unchanged):
    publish(clinic_admin, days_ago=10, body="v2")
    check = unchanged(ConsentSignature)
    with pytest.raises(GateBlocked) as err:
        sign(nurse, patient, iv_v1)
    assert err.value.code == "consent_version_not_current"
    check()


def test_signing_a_version_not_yet_in_force_is_refused(nurse, clinic_admin, patient, unchanged):
    future = publish_consent_version(
        actor=clinic_admin,
        route="iv",
        title="IV consent",
        body="text",
        effective_at=timezone.now() + timedelta(days=7),
        material_change=False,
    )
    check = unchanged(ConsentSignature)
    with pytest.raises(GateBlocked) as err:
        sign(nurse, patient, future)
    assert err.value.code == "consent_version_not_yet_effective"
    check()


def test_a_paper_consent_signed_while_the_old_version_was_in_force_can_be_recorded(
    nurse, clinic_admin, patient, iv_v1
):
    publish(clinic_admin, days_ago=10, body="v2")
    signature = sign(nurse, patient, iv_v1, days_ago=30)
    assert signature.version == iv_v1


@pytest.mark.parametrize("role_fixture", ["therapist", "frontdesk", "clinic_admin"])
def test_roles_without_record_consent_cannot_sign(request, role_fixture, patient, iv_v1, unchanged):
    actor = request.getfixturevalue(role_fixture)
    check = unchanged(ConsentSignature)
    with pytest.raises(PermissionDenied):
        sign(actor, patient, iv_v1)
    check()


def test_signing_in_the_future_is_refused(nurse, patient, iv_v1, unchanged):
    check = unchanged(ConsentSignature)
    with pytest.raises(InvalidClinicalInput) as err:
        sign_consent(
            actor=nurse,
            patient=patient,
            version=iv_v1,
            typed_name="Avery Alvarez",
            signed_at=timezone.now() + timedelta(hours=1),
        )
    assert err.value.code == "date_in_future"
    check()


def test_other_clinic_staff_cannot_sign_for_this_clinics_patient(outsider, patient, iv_v1):
    with pytest.raises(InvalidClinicalInput) as err:
        sign(outsider, patient, iv_v1)
    assert err.value.code == "wrong_clinic"


# Status (the core's has_valid_consent over the rows)


def test_no_signature_means_consent_missing(patient, iv_v1):
    status = consent_status_for(patient, "iv", as_of=timezone.now())
    assert (status.valid, status.code) == (False, CONSENT_MISSING)


def test_signed_current_version_is_valid_consent(nurse, patient, iv_v1):
    sign(nurse, patient, iv_v1, days_ago=20)
    status = consent_status_for(patient, "iv", as_of=timezone.now())
    assert (status.valid, status.code) == (True, CONSENT_VALID)


def test_consent_for_iv_does_not_cover_intranasal_esketamine(nurse, clinic_admin, patient, iv_v1):
    publish(clinic_admin, days_ago=100, route="intranasal", body="esketamine")
    sign(nurse, patient, iv_v1, days_ago=20)
    assert consent_status_for(patient, "intranasal", as_of=timezone.now()).code == CONSENT_MISSING


def test_non_material_new_version_keeps_earlier_consent_valid(nurse, clinic_admin, patient, iv_v1):
    sign(nurse, patient, iv_v1, days_ago=50)
    publish(clinic_admin, days_ago=5, material=False, body="typo fixed")
    assert consent_status_for(patient, "iv", as_of=timezone.now()).code == CONSENT_VALID


def test_material_new_version_requires_re_consent_once_in_force(
    nurse, clinic_admin, patient, iv_v1
):
    sign(nurse, patient, iv_v1, days_ago=50)
    publish(clinic_admin, days_ago=5, material=True, body="new risks section")
    now = timezone.now()
    assert consent_status_for(patient, "iv", as_of=now).code == CONSENT_SUPERSEDED
    # Before the material version took effect the old consent was still valid.
    assert consent_status_for(patient, "iv", as_of=now - timedelta(days=6)).valid
    gate = consent_gate_for(patient, "iv", as_of=now)
    assert gate.codes == (CONSENT_SUPERSEDED,)
    assert gate.blockers[0].overridable is False


def test_re_consent_on_the_material_version_restores_valid_consent(
    nurse, clinic_admin, patient, iv_v1
):
    sign(nurse, patient, iv_v1, days_ago=50)
    v2 = publish(clinic_admin, days_ago=5, material=True, body="new risks section")
    sign(nurse, patient, v2)
    assert consent_status_for(patient, "iv", as_of=timezone.now()).code == CONSENT_VALID


# Withdrawal


def test_withdrawal_records_who_when_why_and_ends_valid_consent(nurse, patient, iv_v1):
    signature = sign(nurse, patient, iv_v1, days_ago=20)
    withdraw_consent(actor=nurse, signature=signature, reason="Patient no longer wishes to proceed")
    signature.refresh_from_db()
    assert signature.withdrawn_by == nurse
    assert signature.withdrawn_at is not None
    assert consent_status_for(patient, "iv", as_of=timezone.now()).code == CONSENT_WITHDRAWN
    entry = AuditEntry.objects.filter(action="withdraw").get()
    assert entry.reason == "Patient no longer wishes to proceed"


def test_withdrawing_twice_is_refused_and_changes_nothing(nurse, prescriber, patient, iv_v1):
    signature = sign(nurse, patient, iv_v1, days_ago=20)
    withdraw_consent(actor=nurse, signature=signature, reason="first")
    before = AuditEntry.objects.exclude(action="read").count()
    with pytest.raises(GateBlocked) as err:
        withdraw_consent(actor=prescriber, signature=signature, reason="again")
    assert err.value.code == "consent_already_withdrawn"
    signature.refresh_from_db()
    assert (signature.withdrawn_by, signature.withdrawal_reason) == (nurse, "first")
    assert AuditEntry.objects.exclude(action="read").count() == before


def test_withdrawal_without_a_reason_is_refused(nurse, patient, iv_v1, unchanged):
    signature = sign(nurse, patient, iv_v1, days_ago=20)
    check = unchanged(ConsentSignature)
    with pytest.raises(InvalidClinicalInput) as err:
        withdraw_consent(actor=nurse, signature=signature, reason="  ")
    assert err.value.code == "withdrawal_reason_required"
    signature.refresh_from_db()
    assert signature.withdrawn_at is None
    check()


def test_a_new_signature_after_withdrawal_gives_valid_consent_again(nurse, patient, iv_v1):
    old = sign(nurse, patient, iv_v1, days_ago=20)
    withdraw_consent(
        actor=nurse,
        signature=old,
        reason="changed mind",
        withdrawn_at=timezone.now() - timedelta(days=10),
    )
    sign(nurse, patient, iv_v1)
    assert consent_status_for(patient, "iv", as_of=timezone.now()).valid


# Reads


def test_patient_consent_list_has_signatures_and_a_status_per_route(
    nurse, clinic_admin, patient, iv_v1
):
    publish(clinic_admin, days_ago=100, route="intranasal", body="esketamine")
    signature = sign(nurse, patient, iv_v1, days_ago=20)
    before = AuditEntry.objects.filter(action="read").count()
    result = list_consents_for_patient(nurse, patient.pk)
    assert [s.pk for s in result.signatures] == [signature.pk]
    by_route = {s.route: s for s in result.status}
    assert by_route["iv"].code == CONSENT_VALID
    assert by_route["iv"].signature_id == signature.pk
    assert by_route["intranasal"].code == CONSENT_MISSING
    assert AuditEntry.objects.filter(action="read").count() == before + 1


def test_other_clinic_clinician_gets_not_found_for_consents(outsider, nurse, patient, iv_v1):
    signature = sign(nurse, patient, iv_v1)
    with pytest.raises(NotFound):
        list_consents_for_patient(outsider, patient.pk)
    with pytest.raises(NotFound):
        access_consent(outsider, signature.pk)


def test_portal_list_shows_text_in_force_and_whether_a_signature_is_needed(
    nurse, clinic_admin, patient, iv_v1
):
    sign(nurse, patient, iv_v1, days_ago=20)
    publish(clinic_admin, days_ago=100, route="intranasal", body="esketamine text")
    docs = {d.route: d for d in list_consent_documents_for_patient(patient)}
    assert docs["iv"].needs_signature is False
    assert docs["intranasal"].needs_signature is True
    assert docs["intranasal"].body == "esketamine text"
