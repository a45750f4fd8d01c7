"""FHIR R4 mapping: every produced resource parses with the fhir.resources R4B models and
round-trips (dump, parse, compare); a recommendation input survives prefetch and back."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from tests.support.fhir_schema import assert_valid_fhir

from ketacare.clinical.recommendations import ClinicCapabilities, TreatmentOption
from ketacare.interop.fhir import codes as c
from ketacare.interop.fhir import inbound, outbound

AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
FULL = ClinicCapabilities(True, True, True, True, True)


def _round_trip(resource, model):
    dumped = json.loads(resource.model_dump_json())
    rebuilt = model.model_validate(dumped)
    assert json.loads(rebuilt.model_dump_json()) == dumped
    return dumped


def test_phq9_total_uses_loinc_44261_6_with_item_components_and_round_trips():
    # items 2+2+1+2+1+1+1+0+1 = 11
    obs = outbound.questionnaire_total_observation(
        "p1", "o1", instrument="phq9", total=11, items=(2, 2, 1, 2, 1, 1, 1, 0, 1), at=AT
    )
    data = _round_trip(obs, Observation)
    assert data["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "44261-6",
        "display": "PHQ-9 total score",
    }
    assert [comp["code"]["coding"][0]["code"] for comp in data["component"]] == list(c.PHQ9_ITEMS)
    assert data["component"][8]["valueInteger"] == 1  # item 9 = 44260-8


def test_gad7_total_uses_loinc_70274_6_and_item_codes_in_order():
    obs = outbound.questionnaire_total_observation(
        "p1", "o2", instrument="gad7", total=7, items=(1, 1, 1, 1, 1, 1, 1), at=AT
    )
    data = _round_trip(obs, Observation)
    assert data["code"]["coding"][0]["code"] == "70274-6"
    assert data["component"][0]["code"]["coding"][0]["code"] == "69725-0"
    assert data["component"][6]["code"]["coding"][0]["code"] == "69736-7"


def test_madrs_without_a_verified_loinc_code_uses_the_local_code_system():
    data = _round_trip(
        outbound.local_score_observation("p1", "m", code=c.MADRS_TOTAL, total=30, at=AT),
        Observation,
    )
    assert data["code"]["coding"][0]["system"] == c.LOCAL


def test_blood_pressure_panel_uses_ucum_mm_hg():
    data = _round_trip(
        outbound.blood_pressure_observation(
            "p1", "bp", systolic_mmhg=150, diastolic_mmhg=95, at=AT
        ),
        Observation,
    )
    assert {comp["valueQuantity"]["code"] for comp in data["component"]} == {"mm[Hg]"}


@pytest.mark.parametrize(
    ("resource", "model"),
    [
        (outbound.patient_resource("p1", birth_date=date(1980, 5, 17), gender="female"), Patient),
        (
            outbound.condition_resource("p1", "c1", system=c.SNOMED, code=c.SNOMED_MDD),
            Condition,
        ),
        (
            outbound.medication_trial_statement(
                "p1", "m1", drug="sertraline", outcome="no_response"
            ),
            MedicationStatement,
        ),
        (
            outbound.medication_administration_resource(
                "p1", "a1", drug="esketamine", dose_mg=Decimal("56"), route="intranasal", at=AT
            ),
            MedicationAdministration,
        ),
        (outbound.consent_resource("p1", "k1", route="iv", signed_at=AT, active=True), Consent),
        (
            outbound.adverse_event_resource(
                "p1", "e1", description="Transient hypertension", at=AT, serious=False
            ),
            AdverseEvent,
        ),
        (
            outbound.care_plan_for_choice(
                "p1",
                "cp1",
                option=TreatmentOption.RTMS,
                reason="Patient cannot attend twice weekly",
                created=AT,
                top_option=TreatmentOption.ESKETAMINE_INTRANASAL,
            ),
            CarePlan,
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, type) else v.__name__,
)
def test_every_produced_resource_parses_with_r4b_and_round_trips(resource, model):
    _round_trip(resource, model)


def test_care_plan_records_the_reason_when_the_choice_differs_from_the_top_option():
    plan = outbound.care_plan_for_choice(
        "p1",
        "cp",
        option=TreatmentOption.ECT,
        reason="Prior ECT remission",
        created=AT,
        top_option=TreatmentOption.ESKETAMINE_INTRANASAL,
    )
    assert "Prior ECT remission" in plan.note[0].text
    assert plan.activity[0].detail.code.coding[0].code == "ect"


def test_an_invalid_resource_is_refused_by_the_r4b_model():
    with pytest.raises(ValueError):
        outbound.validated(Observation, {"resourceType": "Observation", "status": "final"})


def test_missing_prefetch_keys_are_named():
    with pytest.raises(inbound.MissingPrefetch) as err:
        inbound.parse_prefetch({"patient": {"resourceType": "Patient"}, "conditions": None})
    assert err.value.keys == ["conditions", "observations", "medications"]


def test_operation_outcome_in_place_of_a_prefetch_counts_as_missing():
    with pytest.raises(inbound.MissingPrefetch):
        inbound.parse_prefetch(
            {
                "patient": {"resourceType": "OperationOutcome", "issue": []},
                "conditions": {"resourceType": "Bundle", "type": "searchset"},
                "observations": {"resourceType": "Bundle", "type": "searchset"},
                "medications": {"resourceType": "Bundle", "type": "searchset"},
            }
        )


def test_ehr_data_without_evaluation_answers_leaves_facts_unconfirmed():
    empty = {"resourceType": "Bundle", "type": "searchset"}
    parsed = inbound.parse_prefetch(
        {
            "patient": {"resourceType": "Patient", "birthDate": "1980-01-01"},
            "conditions": empty,
            "observations": empty,
            "medications": empty,
        }
    )
    inp = inbound.recommendation_input_from_prefetch(parsed, as_of=AT, clinic=FULL)
    assert inp.unconfirmed_facts == frozenset(inbound.UNCONFIRMABLE_FACTS)
    assert inp.pregnant is False
    assert inp.age_years == 46


def test_icd10_f32_3_psychotic_depression_maps_to_current_psychosis():
    cond = outbound.condition_resource("p", "x", system=c.ICD10CM, code="F32.3")
    empty = {"resourceType": "Bundle", "type": "searchset"}
    parsed = inbound.parse_prefetch(
        {
            "patient": {"resourceType": "Patient", "birthDate": "1980-01-01"},
            "conditions": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": json.loads(cond.model_dump_json())}],
            },
            "observations": empty,
            "medications": empty,
        }
    )
    assert inbound.recommendation_input_from_prefetch(
        parsed, as_of=AT, clinic=FULL
    ).current_psychosis


@pytest.mark.parametrize(("serious", "code"), [(True, "Serious"), (False, "Non-serious")])
def test_adverse_event_seriousness_uses_the_r4_value_set_codes(serious, code):
    event = outbound.adverse_event_resource(
        "p1", "e1", description="Transient hypertension", at=AT, serious=serious
    )
    data = outbound.as_json(event)
    assert data["seriousness"]["coding"][0]["code"] == code
    assert_valid_fhir(data)
