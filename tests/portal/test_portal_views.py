from datetime import date, timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape
from tests.support.registration import registered_long_ago

from ketacare.audit.models import AuditEntry
from ketacare.careplans.services import ComponentInput, record_plan
from ketacare.patients.services import register_patient


@pytest.fixture
def portal(client, patient_user):
    client.force_login(patient_user)
    return client


@pytest.fixture
def other_patient(prescriber):
    return register_patient(
        as_of=registered_long_ago(),
        actor=prescriber,
        given_name="Blake",
        family_name="Brennan",
        date_of_birth=date(1975, 1, 2),
        sex="male",
    )


@pytest.fixture
def plans(therapist, patient, other_patient):
    mine = record_plan(
        actor=therapist,
        patient=patient,
        goals=["Feel able to go back to work"],
        components=[
            ComponentInput(
                kind="psychotherapy",
                subkind="integration",
                description="Talk through each session with your therapist",
                owner_id=therapist.pk,
                frequency="within a few days of each dose",
            )
        ],
    )
    theirs = record_plan(
        actor=therapist,
        patient=other_patient,
        goals=["Sleep through the night"],
        components=[ComponentInput(kind="lifestyle", subkind="sleep", description="Wind-down")],
    )
    return mine, theirs


@pytest.mark.parametrize(
    "url",
    [
        "/portal/",
        "/portal/plan/",
        "/portal/consents/",
        "/portal/learn/",
        "/portal/self-report/phq9/",
        "/portal/self-report/gad7/",
    ],
)
def test_every_portal_page_shows_the_clinics_crisis_text(portal, patient, url):
    response = portal.get(url)
    assert response.status_code == 200
    assert escape(patient.clinic.crisis_text) in response.content.decode()
    assert 'id="crisis"' in response.content.decode()


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist", "frontdesk"])
def test_staff_cannot_use_the_portal(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get("/portal/")
    assert response.status_code == 403
    assert b"The portal is for patients." in response.content


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/portal/plan/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_patient_sees_only_their_own_plan(portal, plans, patient):
    body = portal.get("/portal/plan/").content.decode()
    assert "Feel able to go back to work" in body
    assert "Psychotherapy: Integration sessions" in body
    assert "within a few days of each dose" in body
    assert "Sleep through the night" not in body
    read = AuditEntry.objects.filter(action="read", summary="portal plan").get()
    assert read.patient_id_snapshot == patient.pk


def test_home_shows_plan_goals_and_check_in_links(portal, plans):
    body = portal.get("/portal/").content.decode()
    assert "Feel able to go back to work" in body
    assert "/portal/self-report/phq9/" in body
    assert "/portal/self-report/gad7/" in body


def test_patient_without_a_plan_is_told_it_is_not_written_yet(portal):
    assert b"has not written your plan yet" in portal.get("/portal/plan/").content


@pytest.mark.parametrize("instrument", ["qids_sr16", "madrs", "cssrs", "nope"])
def test_only_phq9_and_gad7_are_offered_for_self_report(portal, instrument):
    assert portal.get(f"/portal/self-report/{instrument}/").status_code == 404


def test_phq9_form_offers_the_public_response_labels_for_all_nine_items(portal):
    body = portal.get("/portal/self-report/phq9/").content.decode()
    for label in ("Not at all", "Several days", "More than half the days", "Nearly every day"):
        assert body.count(label) == 9
    assert body.count("<fieldset") == 9
    assert "past 2 weeks" in body


def test_consents_page_lists_documents_read_only(portal, clinic_admin):
    from ketacare.consent.services import publish_consent_version

    publish_consent_version(
        actor=clinic_admin,
        route="iv",
        title="Consent to IV ketamine",
        body="You agree to be observed after each infusion.",
        effective_at=timezone.now() - timedelta(days=1),
        material_change=False,
    )
    body = portal.get("/portal/consents/").content.decode()
    assert "Consent to IV ketamine" in body
    assert "You agree to be observed after each infusion." in body
    assert "Not signed for this version" in body
    assert "<form" not in body.split('id="main"')[1].split("</main>")[0]


def test_education_page_covers_what_to_expect_risks_and_after_care(portal):
    body = portal.get("/portal/learn/").content.decode()
    for must in (
        "at least 2 hours",  # esketamine observation (S1, S4)
        "until the next day, after a restful night",  # driving (S1, S3)
        "Someone must take you home",
        "do not eat for <strong>2 hours</strong>",  # esketamine fasting (S58, S57)
        "<strong>30 minutes</strong> before",
        "dissociation",
        "sedation",
        "40 minutes after",  # BP check (S3)
        "When to call the clinic or a crisis line",
        "Where this information comes from",
    ):
        assert must in body, must
    assert 'id="src-s1"' in body
    assert 'id="src-s58"' in body
