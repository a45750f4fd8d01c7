"""A prescriber evaluates a patient and watches the verdict change as the answers change,
before saving; then a nurse records the patient's consent signature as witness."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ketacare.consent.services import publish_consent_version
from ketacare.patients.services import record_medication_trial

pytestmark = pytest.mark.functional

NO_TO_ALL = (
    "ECT used in the current episode?",
    "Aneurysmal vascular disease or arteriovenous malformation?",
    "History of intracerebral hemorrhage?",
    "Hypersensitivity to ketamine or esketamine?",
    "History of psychosis?",
    "Current psychosis?",
    "Pregnant?",
    "Breastfeeding?",
    "Uncontrolled hypertension?",
    "History of hypertensive encephalopathy?",
    "Takes CNS depressants?",
    "Takes psychostimulants?",
    "Takes monoamine oxidase inhibitors (MAOIs)?",
)


@pytest.fixture
def evaluable_patient(prescriber, patient):
    for drug in ("sertraline", "venlafaxine"):
        record_medication_trial(
            actor=prescriber,
            patient=patient,
            drug=drug,
            dose_mg_per_day=Decimal("150"),
            weeks=8,
            adherence="good",
            adequate=True,
            outcome="no_response",
        )
    return patient


def answer(page, question: str, choice: str) -> None:
    group = page.get_by_role("group", name=question, exact=True)
    group.get_by_label(choice, exact=True).check()


def test_prescriber_sees_the_verdict_live_then_nurse_records_consent(
    sign_in, live_server, page, prescriber, nurse, clinic_admin, evaluable_patient, screenshot
):
    patient = evaluable_patient
    publish_consent_version(
        actor=clinic_admin,
        route="intranasal",
        title="Consent to esketamine nasal spray treatment",
        body="You will use the nasal spray under supervision and stay at least two hours.",
        effective_at=timezone.now() - timedelta(days=30),
        material_change=False,
    )
    publish_consent_version(
        actor=clinic_admin,
        route="iv",
        title="Consent to IV ketamine treatment",
        body="An intravenous infusion over 40 minutes; your blood pressure is checked.",
        effective_at=timezone.now() - timedelta(days=30),
        material_change=False,
    )
    week_ago = (timezone.localtime() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")

    sign_in("prescriber_a")
    page.goto(f"{live_server.url}/patients/{patient.pk}/evaluation/new/")
    verdict = page.locator("#verdict-preview")
    expect(verdict).to_contain_text("Answer every question")

    answer(page, "Intended route", "Intranasal esketamine")
    answer(page, "Symptom severity at baseline", "Moderate")
    for question in NO_TO_ALL:
        answer(page, question, "No")
    answer(page, "Substance use disorder", "None")
    answer(page, "Hepatic impairment", "None")
    answer(page, "C-SSRS screener risk", "Low")
    page.get_by_label("C-SSRS screened at").fill(week_ago)
    page.get_by_label("Heavy drinking days in the past year").fill("0")
    page.get_by_label("Times of illegal or non-medical drug use in the past year").fill("0")
    page.get_by_label("Substance use screened at").fill(week_ago)
    page.get_by_label("Systolic (mmHg)").fill("124")
    page.get_by_label("Diastolic (mmHg)").fill("78")
    page.get_by_label("Diastolic (mmHg)").blur()
    expect(verdict.locator("[data-verdict]")).to_have_text("Eligible")

    # A history of psychosis is a label caution: the verdict changes before anything is saved.
    answer(page, "History of psychosis?", "Yes")
    expect(verdict.locator("[data-verdict]")).to_have_text("Eligible with cautions")
    expect(verdict.locator('li[data-code="psychosis_history"]')).to_be_visible()
    screenshot("evaluation")

    page.get_by_role("button", name="Save evaluation").click()
    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/#evaluation$"))
    panel = page.locator("section#evaluation")
    expect(panel.locator("[data-verdict]")).to_have_text("Eligible with cautions")
    expect(panel).to_contain_text("psychosis_history")

    page.get_by_role("button", name="Sign out").click()
    sign_in("nurse_a")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    consent = page.locator("section#consent")
    expect(consent.locator('tr[data-route="intranasal"]')).to_contain_text("Missing")
    consent.get_by_role("link", name="Record consent for Intranasal esketamine").click()

    text = page.get_by_role("region", name=re.compile("Consent text"))
    expect(text).to_contain_text("stay at least two hours")
    # Choosing another route swaps in that route's text in force (htmx), and back.
    routes = page.get_by_role("group", name="Route", exact=True)
    routes.get_by_label(re.compile("Intravenous ketamine")).check()
    expect(text).to_contain_text("infusion over 40 minutes")
    routes.get_by_label(re.compile("Intranasal esketamine")).check()
    expect(text).to_contain_text("stay at least two hours")
    page.get_by_label("Patient's typed name").fill("Avery Alvares")
    page.get_by_label("The patient has read this version").check()
    page.get_by_role("button", name="Record signature").click()
    expect(page.locator("#id_typed_name_error")).to_contain_text("must match")
    expect(page.get_by_label("Patient's typed name")).to_have_value("Avery Alvares")

    page.get_by_label("Patient's typed name").fill("Avery Alvarez")
    page.get_by_label("The patient has read this version").check()
    screenshot("consent-signing")
    page.get_by_role("button", name="Record signature").click()
    expect(page.get_by_role("status")).to_contain_text("Consent recorded.")
    expect(page.locator("dl")).to_contain_text("Avery Alvarez")

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator('section#consent tr[data-route="intranasal"]')).to_contain_text("Valid")
