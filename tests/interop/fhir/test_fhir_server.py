"""The FHIR R4 server as an EHR integrator meets it: reads, searches, paging, errors, access."""

from __future__ import annotations

from datetime import UTC

import pytest
from tests.support.fhir_client import at, entries, ids
from tests.support.fhir_schema import assert_valid_fhir
from tests.support.registration import registered_long_ago

from ketacare.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"


def test_capability_statement_is_public_fhir_json_r4(fhir):
    response = fhir().get("metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert_valid_fhir(statement)


def test_clinician_reads_a_patient_of_their_clinic_and_the_read_is_audited(
    fhir, prescriber, scored_patient
):
    before = AuditEntry.objects.filter(action="read", patient_id_snapshot=scored_patient.pk).count()
    response = fhir(prescriber).get(f"Patient/{scored_patient.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["name"][0] == {"use": "official", "family": "Alvarez", "given": ["Avery"]}
    assert body["gender"] == "female"
    assert body["birthDate"] == "1980-05-17"
    assert body["identifier"][0]["value"] == scored_patient.mrn
    assert_valid_fhir(body)
    reads = AuditEntry.objects.filter(action="read", patient_id_snapshot=scored_patient.pk)
    assert reads.count() == before + 1
    assert reads.order_by("-id").first().channel == "fhir"


def test_other_clinic_patient_answers_not_found_as_if_absent(
    fhir, prescriber, other_clinic_patient
):
    mine = fhir(prescriber)
    theirs = mine.get(f"Patient/{other_clinic_patient.pk}")
    absent = mine.get("Patient/999999")
    assert theirs.status_code == absent.status_code == 404
    assert theirs.json() == absent.json()
    assert theirs.json()["resourceType"] == "OperationOutcome"
    assert_valid_fhir(theirs.json())


def test_search_by_another_clinics_patient_finds_nothing(fhir, prescriber, other_clinic_patient):
    response = fhir(prescriber).get("Observation", patient=f"Patient/{other_clinic_patient.pk}")
    assert response.status_code == 200
    assert response.json()["total"] == 0
    assert "entry" not in response.json()


def test_clinic_wide_search_never_shows_another_clinic(fhir, prescriber, scored_patient,
                                                      other_clinic_patient):  # fmt: skip
    bundle = fhir(prescriber).get("Observation", _count="200").json()
    subjects = {r["subject"]["reference"] for r in entries(bundle)}
    assert subjects == {f"Patient/{scored_patient.pk}"}


def test_observation_search_by_patient_lists_scores_and_weight(fhir, nurse, scored_patient):
    bundle = fhir(nurse).get("Observation", patient=str(scored_patient.pk)).json()
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 3
    codes = sorted(r["code"]["coding"][0]["code"] for r in entries(bundle))
    assert codes == ["29463-7", "44261-6", "70274-6"]  # weight, PHQ-9 total, GAD-7 total
    assert_valid_fhir(bundle)


def test_phq9_observation_carries_total_and_loinc_items(fhir, nurse, scored_patient):
    bundle = (
        fhir(nurse)
        .get("Observation", patient=str(scored_patient.pk), code="http://loinc.org|44261-6")
        .json()
    )
    [phq9] = entries(bundle)
    assert phq9["valueQuantity"]["value"] == 12  # 2+2+1+1+2+1+1+1+1
    items = {c["code"]["coding"][0]["code"]: c["valueInteger"] for c in phq9["component"]}
    assert items["44260-8"] == 1  # item 9
    assert len(items) == 9
    assert phq9["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{phq9['id']}"}]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("44261-6", ["44261-6"]),  # a code alone matches in any system
        ("http://loinc.org|70274-6", ["70274-6"]),
        ("http://loinc.org|44261-6,http://loinc.org|29463-7", ["29463-7", "44261-6"]),  # OR
        ("http://snomed.info/sct|44261-6", []),  # right code, wrong system
        ("http://loinc.org|", ["29463-7", "44261-6", "70274-6"]),  # any LOINC code
    ],
)
def test_observation_code_token_forms(fhir, nurse, scored_patient, code, expected):
    bundle = fhir(nurse).get("Observation", patient=str(scored_patient.pk), code=code).json()
    assert sorted(r["code"]["coding"][0]["code"] for r in entries(bundle)) == expected


@pytest.mark.parametrize(
    ("prefix_days", "expected"),
    [
        # PHQ-9 14 days ago, GAD-7 7 days ago, weight 3 days ago
        ("ge{10}", ["29463-7", "70274-6"]),
        ("lt{10}", ["44261-6"]),
        ("le{7}", ["44261-6", "70274-6"]),  # le a day: up to that day's end
        ("gt{7}", ["29463-7"]),  # gt a day: after that day's end
        ("eq{7}", ["70274-6"]),  # the whole day
        ("ne{7}", ["29463-7", "44261-6"]),
        ("{3}", ["29463-7"]),  # no prefix means eq
    ],
)
def test_observation_date_prefixes(fhir, nurse, scored_patient, prefix_days, expected):
    days = int(prefix_days.split("{")[1].rstrip("}"))
    prefix = prefix_days.split("{")[0]
    day = at(days).astimezone(UTC).date().isoformat()
    bundle = (
        fhir(nurse).get("Observation", patient=str(scored_patient.pk), date=f"{prefix}{day}").json()
    )
    assert sorted(r["code"]["coding"][0]["code"] for r in entries(bundle)) == expected


def test_observation_category_filters_surveys_from_vital_signs(fhir, nurse, scored_patient):
    client = fhir(nurse)
    survey = client.get("Observation", patient=str(scored_patient.pk), category="survey").json()
    vitals = client.get(
        "Observation", patient=str(scored_patient.pk), category="vital-signs"
    ).json()
    assert survey["total"] == 2
    assert [r["code"]["coding"][0]["code"] for r in entries(vitals)] == ["29463-7"]


def test_paging_walks_every_result_once_with_next_and_previous_links(fhir, nurse, scored_patient):
    client = fhir(nurse)
    first = client.get("Observation", patient=str(scored_patient.pk), _count="2").json()
    assert first["total"] == 3
    assert len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "previous" not in links
    second = client.get(links["next"]).json()
    assert len(second["entry"]) == 1
    second_links = {link["relation"]: link["url"] for link in second["link"]}
    assert "next" not in second_links
    assert "previous" in second_links
    assert len(set(ids(first)) | set(ids(second))) == 3


def test_count_zero_answers_the_total_only(fhir, nurse, scored_patient):
    bundle = fhir(nurse).get("Observation", patient=str(scored_patient.pk), _count="0").json()
    assert bundle["total"] == 3
    assert "entry" not in bundle


def test_include_patient_adds_it_once_in_include_mode(fhir, nurse, scored_patient):
    bundle = (
        fhir(nurse)
        .get("Observation", patient=str(scored_patient.pk), _include="Observation:patient")
        .json()
    )
    included = entries(bundle, "include")
    assert [r["resourceType"] for r in included] == ["Patient"]
    assert included[0]["id"] == str(scored_patient.pk)
    assert_valid_fhir(bundle)


def test_unknown_parameter_is_ignored_unless_strict_handling_is_asked(fhir, nurse, scored_patient):
    client = fhir(nurse)
    lenient = client.get("Observation", patient=str(scored_patient.pk), colour="blue").json()
    assert lenient["total"] == 3
    assert "colour" not in lenient["link"][0]["url"]  # self shows what was applied
    strict = client.get(
        "Observation", patient=str(scored_patient.pk), colour="blue",
        headers={"Prefer": "handling=strict"},
    )  # fmt: skip
    assert strict.status_code == 400
    assert strict.json()["issue"][0]["code"] == "not-supported"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"date": "yesterday"}, 400),
        ({"date": "ap2025-01-01"}, 400),
        ({"date": "2025-13-01"}, 400),
        ({"_count": "-1"}, 400),
        # Digits of other scripts are not numbers here (int('²') raised: a 500).
        ({"_count": "²"}, 400),
        ({"_count": "٢"}, 400),
        ({"_offset": "²"}, 400),
        ({"_include": "Observation:performer"}, 400),
        ({"patient": "Practitioner/1"}, 400),
    ],
)
def test_bad_search_values_answer_operation_outcome_400(
    fhir, nurse, scored_patient, params, status
):
    response = fhir(nurse).get("Observation", **{"patient": str(scored_patient.pk), **params})
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    assert_valid_fhir(response.json())


@pytest.mark.parametrize("spelling", ["²", "٨", "Patient/²", "Patient/٨"])
def test_a_patient_reference_in_other_digits_matches_nothing(fhir, nurse, scored_patient, spelling):
    # Python's isdigit() is true of '²' and '٨'; int() then raised or read another patient.
    response = fhir(nurse).get("Observation", patient=spelling)
    assert response.status_code == 200, response.content
    assert response.json()["total"] == 0


def test_a_count_too_long_for_int_is_capped_not_a_server_error(fhir, nurse, scored_patient):
    response = fhir(nurse).get("Observation", patient=str(scored_patient.pk), _count="9" * 5000)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["total"] >= 1


def test_no_credentials_answer_401_with_bearer_challenge(fhir, scored_patient):
    response = fhir().get(f"Patient/{scored_patient.pk}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["issue"][0]["code"] == "login"


def test_invalid_bearer_token_is_refused_even_with_a_session(fhir, client, prescriber,
                                                            scored_patient):  # fmt: skip
    client.force_login(prescriber)
    response = client.get(
        f"/fhir/Patient/{scored_patient.pk}", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401


def test_signed_in_browser_session_can_read(client, prescriber, scored_patient):
    client.force_login(prescriber)
    response = client.get(f"/fhir/Patient/{scored_patient.pk}")
    assert response.status_code == 200


def test_researcher_cannot_read_identified_patients(fhir, researcher, scored_patient):
    response = fhir(researcher).get(f"Patient/{scored_patient.pk}")
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"


def test_portal_patient_has_no_fhir_scopes_without_a_smart_launch(fhir, patient_user):
    response = fhir(patient_user).get(f"Patient/{patient_user.patient_id}")
    assert response.status_code == 403


def test_unknown_resource_type_and_unknown_endpoint_answer_404_outcomes(fhir, nurse):
    client = fhir(nurse)
    for path in ("Spaceship/1", "Spaceship", "Patient/1/_history"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["resourceType"] == "OperationOutcome"


def test_xml_is_not_acceptable(fhir, nurse, scored_patient):
    response = fhir(nurse).get(
        f"Patient/{scored_patient.pk}", headers={"Accept": "application/fhir+xml"}
    )
    assert response.status_code == 406
    assert response.json()["resourceType"] == "OperationOutcome"


def test_intersex_is_sent_as_other_with_the_recorded_value_in_an_extension(fhir, prescriber):
    from datetime import date

    from ketacare.patients.services import register_patient

    patient = register_patient(

        as_of=registered_long_ago(),
        actor=prescriber, given_name="Rowan", family_name="Reyes",
        date_of_birth=date(1990, 1, 1), sex="intersex",
    )  # fmt: skip
    body = fhir(prescriber).get(f"Patient/{patient.pk}").json()
    assert body["gender"] == "other"
    [ext] = body["extension"]
    assert ext["valueCodeableConcept"]["coding"][0]["code"] == "UN"
    assert_valid_fhir(body)
    search = fhir(prescriber).get("Patient", gender="other").json()
    assert ids(search) == [str(patient.pk)]


def test_condition_and_medication_statement_are_searchable_by_patient(fhir, prescriber,
                                                                     scored_patient):  # fmt: skip
    client = fhir(prescriber)
    conditions = client.get(
        "Condition", patient=str(scored_patient.pk), code="http://hl7.org/fhir/sid/icd-10-cm|F33.1"
    ).json()
    [condition] = entries(conditions)
    assert condition["clinicalStatus"]["coding"][0]["code"] == "active"
    statements = client.get("MedicationStatement", patient=str(scored_patient.pk)).json()
    assert [s["medicationCodeableConcept"]["text"] for s in entries(statements)] == ["sertraline"]
    assert_valid_fhir(conditions)
    assert_valid_fhir(statements)
