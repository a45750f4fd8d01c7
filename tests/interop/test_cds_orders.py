"""order-sign and order-select for ketamine/esketamine MedicationRequests: contraindication,
dose-ceiling, consent and REMS cards with reasons and overrideReasons, and a suggestion that
fixes the order where one exists (remove it; set the dose)."""

from __future__ import annotations

import json
import uuid

import pytest
from tests.interop.test_cds_terminology import _allergy, _cond, _obs, _prefetch

from ketacare.clinical import terminology as t
from ketacare.interop.fhir import codes as c

SIGN = "/cds-services/ketacare-ketamine-order-sign"
SELECT = "/cds-services/ketacare-ketamine-order-select"


def _order(code, dose, oid="mr-1", unit="mg"):
    return {
        "resourceType": "MedicationRequest",
        "id": oid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/ehr-42"},
        "medicationCodeableConcept": {"coding": [{"system": t.RXNORM, "code": code}]},
        "dosageInstruction": [
            {"doseAndRate": [{"doseQuantity": {"value": dose, "unit": unit, "code": unit}}]}
        ],
    }


def _consent(status="active"):
    return {
        "resourceType": "Consent",
        "id": "consent-1",
        "status": status,
        "scope": {"coding": [{"system": c.CONSENT_SCOPE, "code": "treatment"}]},
        "category": [{"coding": [{"system": t.LOINC, "code": "59284-0"}]}],
    }


def _weight(kg):
    return _obs(t.LOINC, "29463-7", valueQuantity={"value": kg, "unit": "kg", "code": "kg"})


def _prefetch_with(conditions=(), weight=80, consent="active", allergies=None):
    obs = [_obs(t.LOINC, "44261-6", valueInteger=18)]
    if weight is not None:
        obs.append(_weight(weight))
    prefetch = _prefetch(conditions, observations=obs, allergies=allergies)
    prefetch["consents"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": _consent(consent)}] if consent else [],
    }
    return prefetch


@pytest.fixture
def order_cards(client, db, cds_client_keys):
    def call(orders, prefetch=None, url=SIGN, hook="order-sign", selections=None):
        context = {
            "userId": "Practitioner/9",
            "patientId": "ehr-42",
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": o} for o in orders],
            },
        }
        if selections is not None:
            context["selections"] = selections
        body = {
            "hook": hook,
            "hookInstance": str(uuid.uuid4()),
            "context": context,
            "prefetch": prefetch if prefetch is not None else _prefetch_with(),
        }
        response = client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers=cds_client_keys.headers(f"http://testserver{url}"),
        )
        assert response.status_code == 200, response.content
        return response.json()["cards"]

    return call


def _codes(cards):
    return {
        code
        for card in cards
        for code in card.get("extension", {}).get("org.ketacare.order-check", {}).get("codes", [])
    }


ESKETAMINE, KETAMINE = "2201623", "6130"


def test_discovery_lists_order_sign_and_order_select(client, db):
    services = {s["id"]: s for s in client.get("/cds-services").json()["services"]}
    assert services["ketacare-ketamine-order-sign"]["hook"] == "order-sign"
    assert services["ketacare-ketamine-order-select"]["hook"] == "order-select"
    assert "consents" in services["ketacare-ketamine-order-sign"]["prefetch"]


def test_a_clean_esketamine_order_only_asks_to_confirm_rems_enrolment(order_cards):
    cards = order_cards([_order(ESKETAMINE, 56)])
    assert _codes(cards) == {"rems_patient_enrolment_unconfirmed"}
    for card in cards:
        if card["source"]["label"] != "KetaCare order check":
            continue  # the terminology cards (e.g. trials counted from the EHR)
        assert card["overrideReasons"]
        assert card["source"]["url"].startswith("https://")


def test_an_order_for_another_drug_gets_no_cards(order_cards):
    assert order_cards([_order("36437", 50)]) == []


@pytest.mark.parametrize(
    ("condition", "allergy"),
    [(_cond(t.ICD10CM, "I67.1"), None), (_cond(t.SNOMED, "274100004"), None), (None, "6130")],
)
def test_a_contraindication_is_critical_and_proposes_removing_the_order(
    order_cards, condition, allergy
):
    prefetch = _prefetch_with(
        [condition] if condition else (),
        allergies=[_allergy(t.RXNORM, allergy)] if allergy else None,
    )
    cards = order_cards([_order(KETAMINE, 40)], prefetch)
    (card,) = [c for c in cards if c["summary"].startswith("Contraindicated")]
    assert card["indicator"] == "critical"
    (action,) = card["suggestions"][0]["actions"]
    assert action == {
        "type": "delete",
        "description": "Remove the draft ketamine order",
        "resourceId": ["MedicationRequest/mr-1"],
    }


def test_an_esketamine_dose_above_84_mg_proposes_84_mg(order_cards):
    cards = order_cards([_order(ESKETAMINE, 112)])
    (card,) = [c for c in cards if "dose_above_ceiling" in _codes([c])]
    assert card["indicator"] == "critical"
    (action,) = card["suggestions"][0]["actions"]
    assert action["type"] == "update"
    dose = action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert dose["value"] == 84


def test_an_esketamine_dose_between_devices_proposes_the_lower_device_dose(order_cards):
    cards = order_cards([_order(ESKETAMINE, 70)])
    (card,) = [c for c in cards if "dose_not_a_device_multiple" in _codes([c])]
    dose = card["suggestions"][0]["actions"][0]["resource"]["dosageInstruction"][0]
    assert dose["doseAndRate"][0]["doseQuantity"]["value"] == 56


@pytest.mark.parametrize(
    ("dose", "code", "fix"),
    [
        (81, "dose_above_ceiling", 80),  # 81 mg / 80 kg = 1.01 mg/kg > 1.0: fix 80 mg
        (80, "dose_above_standard", None),  # exactly 1.0 mg/kg: above the 0.5 standard only
        (41, "dose_above_standard", None),  # 0.51 mg/kg
        (40, None, None),  # 0.5 mg/kg: the standard dose
    ],
)
def test_a_ketamine_dose_is_checked_per_kg_at_the_boundaries(order_cards, dose, code, fix):
    cards = order_cards([_order(KETAMINE, dose)])
    dose_codes = _codes(cards) & {"dose_above_ceiling", "dose_above_standard"}
    assert dose_codes == ({code} if code else set())
    if fix is not None:
        (card,) = [c for c in cards if code in _codes([c])]
        resource = card["suggestions"][0]["actions"][0]["resource"]
        assert resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == fix


def test_a_ketamine_order_without_a_weight_says_it_cannot_be_checked(order_cards):
    cards = order_cards([_order(KETAMINE, 40)], _prefetch_with(weight=None))
    assert "weight_missing" in _codes(cards)


@pytest.mark.parametrize(
    ("consent", "code"), [(None, "consent_missing"), ("inactive", "consent_missing")]
)
def test_no_active_consent_gives_the_consent_card(order_cards, consent, code):
    cards = order_cards([_order(KETAMINE, 40)], _prefetch_with(consent=consent))
    assert code in _codes(cards)


def test_a_clinic_without_rems_certification_gets_the_critical_rems_card(order_cards, settings):
    settings.KETACARE_CDS_HOOKS_CLINIC = {"esketamine_rems_certified": False}
    cards = order_cards([_order(ESKETAMINE, 56)])
    (card,) = [c for c in cards if "rems_setting_not_certified" in _codes([c])]
    assert card["indicator"] == "critical"


def test_order_select_checks_only_the_selected_orders(order_cards):
    orders = [_order(ESKETAMINE, 112, "a"), _order(ESKETAMINE, 70, "b")]
    cards = order_cards(orders, url=SELECT, hook="order-select", selections=["MedicationRequest/b"])
    assert "dose_not_a_device_multiple" in _codes(cards)
    assert "dose_above_ceiling" not in _codes(cards)


def test_order_select_without_selections_is_400(client, db, cds_client_keys):
    body = {
        "hook": "order-select",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": "ehr-42", "draftOrders": {"resourceType": "Bundle"}},
    }
    response = client.post(
        SELECT,
        json.dumps(body),
        content_type="application/json",
        headers=cds_client_keys.headers(f"http://testserver{SELECT}"),
    )
    assert response.status_code == 400


def test_accepting_the_dose_fix_is_recorded_as_feedback(order_cards, client, cds_client_keys):
    from ketacare.interop.models import CdsFeedback

    cards = order_cards([_order(ESKETAMINE, 112)])
    card = next(c for c in cards if c.get("suggestions"))
    response = client.post(
        f"{SIGN}/feedback",
        json.dumps(
            {
                "feedback": [
                    {
                        "card": card["uuid"],
                        "outcome": "accepted",
                        "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                        "outcomeTimestamp": "2026-03-02T15:05:00Z",
                    }
                ]
            }
        ),
        content_type="application/json",
        headers=cds_client_keys.headers(f"http://testserver{SIGN}/feedback"),
    )
    assert response.status_code == 200
    assert CdsFeedback.objects.get().outcome == "accepted"
