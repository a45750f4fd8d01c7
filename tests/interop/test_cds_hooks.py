"""CDS Hooks 2.0: discovery, the patient-view service's request/response contract, JWT
auth, 412 on missing prefetch, and feedback recording."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, date, datetime

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.clinical.eligibility.screening import CssrsRisk, SubstanceUseDisorder
from ketacare.clinical.recommendations import (
    ClinicCapabilities,
    Contraindication,
    CostClass,
    CurrentScores,
    EligibilityFacts,
    Preferences,
    RecommendationInput,
    TravelBurden,
)
from ketacare.interop.cds_hooks.auth import sign_hs256
from ketacare.interop.fhir import outbound
from ketacare.interop.models import CdsCardIssued, CdsFeedback

URL = "/cds-services/ketacare-treatment-recommendation"
SECRET = "test-secret"
ISS = "https://ehr.example"
AS_OF = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _jwt(**changes):
    now = int(time.time())
    claims = {
        "iss": ISS,
        "sub": "c",
        "aud": f"http://testserver{URL}",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    claims.update(changes)
    return {"Authorization": f"Bearer {sign_hs256(claims, changes.pop('secret', SECRET))}"}


def _input(**changes) -> RecommendationInput:
    base = dict(
        as_of=AS_OF,
        age_years=45,
        eligibility=EligibilityFacts(frozenset(), frozenset(), 3, None),
        history=(),
        scores=CurrentScores(18, 0, 30, None, CssrsRisk.LOW),
        current_psychosis=False,
        pregnant=False,
        uncontrolled_hypertension=False,
        substance_use_disorder=SubstanceUseDisorder.NONE,
        latest_systolic_mmhg=120,
        latest_diastolic_mmhg=80,
        preferences=Preferences((), frozenset(), TravelBurden.LOW, CostClass.SELF_PAY_ACCEPTABLE),
        clinic=ClinicCapabilities(True, True, True, True, True),
    )
    base.update(changes)
    return RecommendationInput(**base)


def _request(inp=None, **changes):
    inp = inp or _input()
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "https://ehr.example/fhir",
        "context": {"userId": "Practitioner/9", "patientId": "ehr-42"},
        "prefetch": outbound.prefetch_for_input(
            inp, patient_id="ehr-42", birth_date=date(1980, 1, 1)
        ),
    }
    body.update(changes)
    return body


@pytest.fixture
def cds(client, settings, db):
    settings.KETACARE_CDS_HOOKS_CLIENTS = {ISS: SECRET}

    def post(body, headers=None, url=URL):
        return client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers=_jwt() if headers is None else headers,
        )

    return post


def test_discovery_lists_the_patient_view_service_with_required_fields(client, db):
    response = client.get("/cds-services")
    assert response.status_code == 200
    (service,) = response.json()["services"]
    # CDS Hooks 2.0 discovery: hook, description and id are required; prefetch optional.
    assert service["hook"] == "patient-view"
    assert service["id"] == "ketacare-treatment-recommendation"
    assert service["description"]
    assert set(service["prefetch"]) == {
        "patient",
        "conditions",
        "observations",
        "medications",
        "allergies",
    }


def test_cards_carry_every_required_field_and_valid_values(cds):
    response = cds(
        _request(
            _input(
                eligibility=EligibilityFacts(
                    frozenset({Contraindication.INTRACEREBRAL_HEMORRHAGE_HISTORY}),
                    frozenset(),
                    3,
                    None,
                )
            )
        )
    )
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert cards
    for card in cards:
        assert len(card["summary"]) < 140
        assert card["indicator"] in {"info", "warning", "critical"}
        assert card["source"]["label"]
        assert card["source"]["url"].startswith("http")
        assert isinstance(card["detail"], str)
        uuid.UUID(card["uuid"])
        if card.get("suggestions"):
            assert card["selectionBehavior"] in {"at-most-one", "any"}
            for s in card["suggestions"]:
                assert s["label"]
                for action in s["actions"]:
                    assert action["type"] in {"create", "update", "delete"}
                    assert action["description"]
    excluded = [c for c in cards if c["summary"].startswith("Not recommended")]
    assert {c["extension"]["org.ketacare.recommendation"]["option"] for c in excluded} == {
        "esketamine_intranasal",
        "ketamine_iv",
        "ketamine_im",
    }


def test_suggested_care_plan_is_a_valid_r4_resource(cds):
    from fhir.resources.R4B.careplan import CarePlan

    cards = cds(_request()).json()["cards"]
    (card,) = [c for c in cards if c.get("suggestions")]
    resource = card["suggestions"][0]["actions"][0]["resource"]
    assert CarePlan.model_validate(resource).activity[0].detail.code.coding[0].code


def test_acute_suicidality_gives_a_critical_card(cds):
    cards = cds(_request(_input(scores=CurrentScores(24, 3, 40, None, CssrsRisk.HIGH)))).json()[
        "cards"
    ]
    assert cards[0]["indicator"] == "critical"


def test_works_for_a_patient_ketacare_has_never_seen_and_stores_no_patient_id(cds):
    response = cds(_request())
    assert response.status_code == 200
    assert CdsCardIssued.objects.count() == len(response.json()["cards"])
    assert not CdsCardIssued.objects.filter(hook_instance__contains="ehr-42").exists()


@pytest.mark.parametrize("missing", ["patient", "conditions", "observations", "medications"])
def test_missing_required_prefetch_answers_412_and_names_it(cds, missing):
    body = _request()
    del body["prefetch"][missing]
    response = cds(body)
    assert response.status_code == 412
    assert response.json()["details"]["missing"] == [missing]


def test_null_prefetch_value_answers_412(cds):
    body = _request()
    body["prefetch"]["observations"] = None
    assert cds(body).status_code == 412


def test_no_prefetch_at_all_answers_412(cds):
    body = _request()
    del body["prefetch"]
    assert cds(body).status_code == 412


@pytest.mark.parametrize(
    "change",
    [{"hook": "order-select"}, {"hookInstance": None}, {"context": {"userId": "x"}}],
)
def test_malformed_request_answers_400(cds, change):
    assert cds(_request(**change)).status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not.a.jwt"},
        "wrong_secret",
        "expired",
        "wrong_audience",
        "unknown_issuer",
        "alg_none",
    ],
)
def test_service_refuses_a_missing_or_bad_jwt_with_401(cds, headers):
    now = int(time.time())
    base = {
        "iss": ISS,
        "sub": "c",
        "aud": f"http://testserver{URL}",
        "iat": now,
        "exp": now + 300,
        "jti": "j",
    }
    if headers == "wrong_secret":
        headers = {"Authorization": f"Bearer {sign_hs256(base, 'other')}"}
    elif headers == "expired":
        headers = {"Authorization": f"Bearer {sign_hs256({**base, 'exp': now - 1}, SECRET)}"}
    elif headers == "wrong_audience":
        headers = {"Authorization": f"Bearer {sign_hs256({**base, 'aud': 'http://x/'}, SECRET)}"}
    elif headers == "unknown_issuer":
        headers = {"Authorization": f"Bearer {sign_hs256({**base, 'iss': 'https://evil'}, SECRET)}"}
    elif headers == "alg_none":
        token = sign_hs256(base, SECRET).split(".")
        import base64

        none = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
        headers = {"Authorization": f"Bearer {none}.{token[1]}."}
    response = cds(_request(), headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "cds_client_unauthorised"
    assert CdsCardIssued.objects.count() == 0


def test_no_configured_clients_refuses_every_call(client, settings, db):
    settings.KETACARE_CDS_HOOKS_CLIENTS = {}
    response = client.post(
        URL, json.dumps(_request()), content_type="application/json", headers=_jwt()
    )
    assert response.status_code == 401


def _feedback(cds, items):
    return cds(
        {"feedback": items},
        headers=_jwt(aud=f"http://testserver{URL}/feedback"),
        url=f"{URL}/feedback",
    )


def test_accepted_card_feedback_is_recorded_and_audited(cds):
    cards = cds(_request()).json()["cards"]
    card = next(c for c in cards if c.get("suggestions"))
    response = _feedback(
        cds,
        [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-03-02T15:05:00Z",
            }
        ],
    )
    assert response.status_code == 200
    fb = CdsFeedback.objects.get()
    assert fb.outcome == "accepted"
    assert fb.accepted_suggestions == [card["suggestions"][0]["uuid"]]
    assert AuditEntry.objects.filter(target_type="interop.CdsFeedback").exists()


def test_overridden_card_feedback_keeps_the_reason(cds):
    cards = cds(_request()).json()["cards"]
    card = next(c for c in cards if c.get("suggestions"))
    response = _feedback(
        cds,
        [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": card["overrideReasons"][0],
                    "userComment": "Prefers rTMS close to home",
                },
                "outcomeTimestamp": "2026-03-02T15:05:00Z",
            }
        ],
    )
    assert response.status_code == 200
    fb = CdsFeedback.objects.get()
    assert (fb.override_reason_code, fb.user_comment) == (
        "patient-preference",
        "Prefers rTMS close to home",
    )


def test_feedback_for_an_unknown_card_is_404_and_records_nothing(cds):
    response = _feedback(
        cds,
        [
            {
                "card": str(uuid.uuid4()),
                "outcome": "overridden",
                "outcomeTimestamp": "2026-03-02T15:05:00Z",
            }
        ],
    )
    assert response.status_code == 404
    assert CdsFeedback.objects.count() == 0


@pytest.mark.parametrize(
    "item",
    [
        {"card": "not-a-uuid", "outcome": "overridden", "outcomeTimestamp": "2026-03-02T15:05:00Z"},
        {
            "card": str(uuid.uuid4()),
            "outcome": "ignored",
            "outcomeTimestamp": "2026-03-02T15:05:00Z",
        },
        {
            "card": str(uuid.uuid4()),
            "outcome": "accepted",
            "outcomeTimestamp": "2026-03-02T15:05:00Z",
        },
        {
            "card": str(uuid.uuid4()),
            "outcome": "overridden",
            "outcomeTimestamp": "2026-03-02T15:05:00",
        },
    ],
)
def test_malformed_feedback_is_400(cds, item):
    assert _feedback(cds, [item]).status_code == 400


def test_feedback_needs_the_jwt_too(cds):
    response = cds({"feedback": []}, headers={}, url=f"{URL}/feedback")
    assert response.status_code == 401
