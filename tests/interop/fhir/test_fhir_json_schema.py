"""Independent validation (issue 12.6): everything the FHIR server emits for the demo clinic
validates against the official FHIR R4 JSON Schema (``tests/support/fhir_schema.py``), checked
with the ``jsonschema`` library rather than the fhir.resources models the builders are parsed
with: every resource of every type, search Bundles (with and without ``_include``), each demo
patient's record through the API, the CapabilityStatement and the OperationOutcomes."""

from __future__ import annotations

import pytest
from tests.support.fhir_client import FhirClient, entries
from tests.support.fhir_schema import VALIDATED, assert_valid_fhir, fhir_schema_errors

from ketacare.accounts.models import Clinic
from ketacare.interop.fhir import server

pytestmark = pytest.mark.django_db


def test_the_schema_catches_what_fhir_r4_forbids():
    # The checks this test relies on, shown to fail on the very defects issue 12.6 found.
    bad_gender = {"resourceType": "Patient", "id": "1", "gender": "intersex"}
    bad_seriousness = {
        "resourceType": "AdverseEvent", "id": "1", "actuality": "actual",
        "subject": {"reference": "Patient/1"},
        "seriousness": {"coding": [{"system": "x", "code": "serious"}]},
        "unknownElement": True,
    }  # fmt: skip
    assert fhir_schema_errors(bad_gender)
    assert any("unknownElement" in e for e in fhir_schema_errors(bad_seriousness))
    assert fhir_schema_errors({"resourceType": "Observation", "id": "1"})  # status, code missing


def test_every_resource_and_bundle_of_the_demo_clinic_validates(demo_clinic):
    VALIDATED.clear()
    clinic = Clinic.objects.get(pk=demo_clinic["prescriber"].clinic_id)
    staff = FhirClient(demo_clinic["prescriber"])
    admin = FhirClient(demo_clinic["admin"])

    # 1. Every resource of every type, as built (the form Bulk export writes).
    for kind in server.KINDS.values():
        count = 0
        for resource in server.iter_resources(kind, clinic.pk):
            assert_valid_fhir(resource)
            count += 1
        assert count, f"the demo clinic has no {kind.name}"

    # 2. Through the server: the CapabilityStatement, every type's first search page (with
    #    _include where offered), each demo patient's read and clinical searches.
    assert_valid_fhir(FhirClient().get("metadata").json())
    for kind in server.KINDS.values():
        client = admin if kind.admin_only else staff
        bundle = client.get(kind.name, _count="20").json()
        assert_valid_fhir(bundle)
        for include in kind.includes[:1]:
            first = entries(bundle)[0]
            ref = (first.get("subject") or first.get("patient"))["reference"]
            assert_valid_fhir(
                client.get(kind.name, _include=include, patient=ref, _count="20").json()
                if include.endswith(":patient")
                else client.get(kind.name, _include=include, subject=ref, _count="20").json()
            )
    for patient in staff.get("Patient", _count="200").json()["entry"]:
        pid = patient["resource"]["id"]
        assert_valid_fhir(staff.get(f"Patient/{pid}").json())
        for type_name in ("Observation", "Condition", "MedicationStatement", "Encounter"):
            assert_valid_fhir(staff.get(type_name, patient=pid, _count="10").json())

    # 3. OperationOutcomes of the refusals an integrator meets.
    for response in (
        FhirClient().get("Patient/1"),  # 401
        FhirClient(demo_clinic["researcher"]).get("Patient/1"),  # 403
        staff.get("Patient/999999"),  # 404
        staff.get("Observation", date="not-a-date"),  # 400
        staff.get("Spaceship"),  # 404 not-supported
        staff.get("Patient/1", headers={"Accept": "application/fhir+xml"}),  # 406
    ):
        assert response.status_code >= 400
        assert_valid_fhir(response.json())

    expected_types = set(server.KINDS) | {"Bundle", "CapabilityStatement", "OperationOutcome"}
    assert expected_types <= set(VALIDATED)
    print("\nFHIR R4 JSON Schema validated:", dict(sorted(VALIDATED.items())))
