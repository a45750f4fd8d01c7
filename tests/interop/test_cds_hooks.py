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
from ketacare.interop.fhir import outbound
from ketacare.interop.models import CdsCardIssued, CdsFeedback

URL = "/cds-services/ketacare-treatment-recommendation"
ISS = "https://ehr.example"
AS_OF = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


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
def ehr(cds_client_keys):
    return cds_client_keys


@pytest.fixture
def cds(client, db, ehr):
    def post(body, headers=None, url=URL):
        return client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers=ehr.headers(f"http://testserver{url}") if headers is None else headers,
        )

    return post


def test_discovery_lists_the_patient_view_service_with_required_fields(client, db):
    response = client.get("/cds-services")
    assert response.status_code == 200
    (service,) = [s for s in response.json()["services"] if s["hook"] == "patient-view"]
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


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _b64(obj) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _hs256(ehr, aud):
    import jwt

    return jwt.encode(
        ehr.claims(aud),
        "a-shared-secret-of-at-least-32-bytes!",
        algorithm="HS256",
        headers={"kid": ehr.kid},
    )


def _other_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP384R1())


def _no_kid(ehr, aud):
    import jwt

    return jwt.encode(ehr.claims(aud), ehr.private_key, algorithm="ES384")


BAD_TOKENS = {
    "missing": lambda ehr, aud: {},
    "not_a_jwt": lambda ehr, aud: _bearer("not.a.jwt"),
    "hs256_shared_secret": lambda ehr, aud: _bearer(_hs256(ehr, aud)),
    "alg_none": lambda ehr, aud: _bearer(
        f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': ehr.kid})}.{_b64(ehr.claims(aud))}."
    ),
    "signed_by_another_key": lambda ehr, aud: _bearer(ehr.token(aud, key=_other_key())),
    "expired": lambda ehr, aud: ehr.headers(
        aud, iat=int(time.time()) - 400, exp=int(time.time()) - 100
    ),
    "lifetime_over_5_minutes": lambda ehr, aud: ehr.headers(aud, exp=int(time.time()) + 301),
    "iat_in_the_future": lambda ehr, aud: ehr.headers(
        aud, iat=int(time.time()) + 120, exp=int(time.time()) + 300
    ),
    "no_exp": lambda ehr, aud: ehr.headers(aud, exp=None),
    "no_iat": lambda ehr, aud: ehr.headers(aud, iat=None),
    "no_jti": lambda ehr, aud: ehr.headers(aud, jti=None),
    "wrong_audience": lambda ehr, aud: ehr.headers("http://x/"),
    "unknown_issuer": lambda ehr, aud: ehr.headers(aud, iss="https://evil.example"),
    "unknown_kid": lambda ehr, aud: _bearer(ehr.token(aud, headers={"kid": "other"})),
    "no_kid": lambda ehr, aud: _bearer(_no_kid(ehr, aud)),
    "jku_not_configured": lambda ehr, aud: _bearer(
        ehr.token(aud, headers={"jku": "https://evil.example/jwks"})
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_service_refuses_a_bad_jwt_with_one_message_and_writes_nothing(cds, ehr, case):
    headers = BAD_TOKENS[case](ehr, f"http://testserver{URL}")
    response = cds(_request(), headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "cds_client_unauthorised"
    assert body["message"] == "The request's JWT was not accepted."
    assert CdsCardIssued.objects.count() == 0
    refusal = AuditEntry.objects.filter(action="refused", target_type="interop.CdsService").get()
    assert refusal.summary.startswith("CDS call refused")


def test_a_replayed_jwt_is_refused(cds, ehr):
    headers = ehr.headers(f"http://testserver{URL}")
    assert cds(_request(), headers=headers).status_code == 200
    assert cds(_request(), headers=headers).status_code == 401


@pytest.mark.parametrize("alg", ["ES384", "RS384", "ES256", "PS256"])
def test_every_recommended_asymmetric_algorithm_is_accepted(client, db, settings, alg):
    from tests.support.cds_client import CdsClient

    ehr = CdsClient(settings, alg=alg)
    response = client.post(
        URL,
        json.dumps(_request()),
        content_type="application/json",
        headers=ehr.headers(f"http://testserver{URL}"),
    )
    assert response.status_code == 200


def test_no_configured_clients_refuses_every_call(client, settings, db, ehr):
    settings.KETACARE_CDS_HOOKS_CLIENTS = {}
    response = client.post(
        URL,
        json.dumps(_request()),
        content_type="application/json",
        headers=ehr.headers(f"http://testserver{URL}"),
    )
    assert response.status_code == 401


def test_a_shared_secret_client_configuration_is_refused(client, settings, db, ehr):
    settings.KETACARE_CDS_HOOKS_CLIENTS = {ehr.iss: "old-shared-secret"}
    response = client.post(
        URL,
        json.dumps(_request()),
        content_type="application/json",
        headers=_bearer(_hs256(ehr, f"http://testserver{URL}")),
    )
    assert response.status_code == 401


def _feedback(cds, items):
    return cds({"feedback": items}, url=f"{URL}/feedback")


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


JWKS_URL = "https://ehr.example/.well-known/jwks.json"


@pytest.fixture
def jwks_url_client(settings, ehr, monkeypatch):
    """The EHR publishes its JWKS at a URL; fetches are counted (no network)."""
    import jwt

    fetches = []

    def fetch(self):
        fetches.append(self.uri)
        return ehr.jwks

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", fetch)
    settings.KETACARE_CDS_HOOKS_CLIENTS = {ehr.iss: {"jwks_url": JWKS_URL}}
    return fetches


def test_keys_from_a_jwks_url_are_cached(cds, ehr, jwks_url_client):
    assert cds(_request()).status_code == 200
    assert cds(_request()).status_code == 200
    assert jwks_url_client == [JWKS_URL]


def test_a_jku_equal_to_the_configured_url_is_honoured(cds, ehr, jwks_url_client):
    token = ehr.token(f"http://testserver{URL}", headers={"jku": JWKS_URL})
    assert cds(_request(), headers=_bearer(token)).status_code == 200


def test_an_unknown_kid_refreshes_the_jwks_once(cds, ehr, jwks_url_client):
    from ketacare.interop.cds_hooks import auth

    assert cds(_request()).status_code == 200
    ehr.kid = "rotated-key"  # the EHR publishes a new JWKS (a new object, not an edit)
    ehr.jwks = {"keys": [{**ehr.jwks["keys"][0], "kid": "rotated-key"}]}
    assert cds(_request()).status_code == 200  # refreshed on the unknown kid
    assert len(jwks_url_client) == 2
    stale = ehr.token(f"http://testserver{URL}", headers={"kid": "never-published"})
    assert cds(_request(), headers=_bearer(stale)).status_code == 401
    assert len(jwks_url_client) == 2  # refresh throttled (auth.JWKS_MIN_REFRESH_SECONDS)
    assert auth.JWKS_MIN_REFRESH_SECONDS > 0


def test_a_jwks_url_that_cannot_be_fetched_refuses(cds, ehr, settings, monkeypatch):
    import jwt

    def fail(self):
        raise jwt.PyJWKClientConnectionError("timed out")

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", fail)
    settings.KETACARE_CDS_HOOKS_CLIENTS = {ehr.iss: {"jwks_url": JWKS_URL}}
    assert cds(_request()).status_code == 401


def test_the_jti_is_kept_in_the_database_until_exp(cds, ehr):
    from ketacare.interop.models import CdsJwtSeen

    assert cds(_request()).status_code == 200
    (seen,) = CdsJwtSeen.objects.all()
    assert seen.iss == ehr.iss
    assert seen.expires_at.timestamp() > time.time()


def test_the_readme_script_makes_a_token_the_service_accepts(client, db, settings, tmp_path):
    from scripts import cds_jwt

    key = tmp_path / "ehr-key.pem"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cds_jwt.keygen(str(key), "ehr-key-1")
    settings.KETACARE_CDS_HOOKS_CLIENTS = {
        "https://ehr.example": {"jwks": json.loads(out.getvalue())}
    }
    token = cds_jwt.token(
        str(key), iss="https://ehr.example", aud=f"http://testserver{URL}", kid="ehr-key-1"
    )
    assert jwt_header(token)["alg"] == "ES384"
    response = client.post(
        URL, json.dumps(_request()), content_type="application/json", headers=_bearer(token)
    )
    assert response.status_code == 200


def jwt_header(token):
    import jwt

    return jwt.get_unverified_header(token)


def test_a_cors_preflight_is_answered_for_browser_cds_clients(client, db):
    response = client.options(
        URL,
        headers={
            "Origin": "https://ehr.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Authorization" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_cors_headers_are_on_answers_and_refusals_too(cds, client, db):
    assert cds(_request())["Access-Control-Allow-Origin"] == "*"
    assert cds(_request(), headers={})["Access-Control-Allow-Origin"] == "*"
    assert client.get("/cds-services")["Access-Control-Allow-Origin"] == "*"


def _nested(depth):
    value = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_deeply_nested_json_answers_400_not_500(cds):
    body = _request()
    body["context"]["deep"] = _nested(200)
    response = cds(body)
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"
    nested_feedback = _feedback(cds, [_nested(200)])
    assert nested_feedback.status_code == 400


def test_a_non_json_body_answers_400(client, db, ehr):
    response = client.post(
        URL,
        "{not json",
        content_type="application/json",
        headers=ehr.headers(f"http://testserver{URL}"),
    )
    assert response.status_code == 400


def _card_with_suggestion(cds):
    cards = cds(_request()).json()["cards"]
    return next(c for c in cards if c.get("suggestions"))


def _accepted(card, accepted):
    return {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": accepted,
        "outcomeTimestamp": "2026-03-02T15:05:00Z",
    }


@pytest.mark.parametrize(
    "accepted",
    [["not-an-object"], [{"id": 5}], [{"id": "not-a-uuid"}], [{}], "a string", [None]],
)
def test_accepted_suggestions_that_are_not_objects_with_an_id_are_400(cds, accepted):
    card = _card_with_suggestion(cds)
    assert _feedback(cds, [_accepted(card, accepted)]).status_code == 400
    assert CdsFeedback.objects.count() == 0


def test_an_unknown_suggestion_id_is_refused_and_nothing_recorded(cds):
    card = _card_with_suggestion(cds)
    response = _feedback(cds, [_accepted(card, [{"id": str(uuid.uuid4())}])])
    assert response.status_code == 400
    assert response.json()["code"] == "cds_suggestion_unknown"
    assert CdsFeedback.objects.count() == 0


@pytest.mark.parametrize(
    "reason",
    [
        "patient-preference",
        {"reason": "patient-preference"},
        {"reason": {"code": 1, "system": "x"}},
        {"reason": {"code": "x"}},
        {"reason": {"code": "x", "system": "y"}, "userComment": 5},
        {"unexpected": True},
        ["list"],
    ],
)
def test_an_override_reason_that_is_not_a_coding_is_400(cds, reason):
    card = _card_with_suggestion(cds)
    item = {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": reason,
        "outcomeTimestamp": "2026-03-02T15:05:00Z",
    }
    assert _feedback(cds, [item]).status_code == 400
    assert CdsFeedback.objects.count() == 0


def test_the_suggested_care_plan_is_a_proposal_not_an_adopted_plan(cds):
    card = _card_with_suggestion(cds)
    plan = card["suggestions"][0]["actions"][0]["resource"]
    assert (plan["status"], plan["intent"]) == ("draft", "proposal")


def test_cards_carry_smart_links_to_the_chart_and_run_sheet(cds, settings):
    settings.KETACARE_SMART_LAUNCH_URL = "https://ketacare.example/smart/launch"
    cards = cds(_request()).json()["cards"]
    for card in cards:
        links = card["links"]
        assert {link["type"] for link in links} == {"smart"}
        views = {json.loads(link["appContext"])["view"] for link in links}
        assert views == {"chart", "run-sheet"}


def test_without_a_smart_launch_url_cards_have_no_dead_links(cds, settings):
    settings.KETACARE_SMART_LAUNCH_URL = None
    assert all("links" not in c for c in cds(_request()).json()["cards"])


def test_every_card_reason_names_its_source_and_grade(cds):
    # Issue 16.5: a prescriber sees whether a reason is a label contraindication (primary,
    # mandatory) or a general guide or heuristic, in one line per reason.
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
    cards = response.json()["cards"]
    excluded = [c for c in cards if c["summary"].startswith("Not recommended")]
    assert excluded
    for card in excluded:
        assert "Evidence:" in card["detail"]
        assert "source" in card["detail"]  # "primary source", "secondary source", ...
    esketamine = next(
        c
        for c in excluded
        if c["extension"]["org.ketacare.recommendation"]["option"] == "esketamine_intranasal"
    )
    assert "[primary source" in esketamine["detail"]
    assert "(primary source" in esketamine["source"]["label"]
