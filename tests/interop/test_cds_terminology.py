"""An ordinary EHR's prefetch, coded in ICD-10-CM, SNOMED CT, RxNorm and LOINC, reaches the
recommendation engine through the value sets (issue 12.1): each concept from at least one code
in each applicable system gives the same cards as KetaCare's own local code for it, and a code
KetaCare does not know is reported on a card, never read as absent.

The EHR patient: 45 years old, major depressive disorder (SNOMED), PHQ-9 18 (item 9 = 0), BP
120/80, three completed RxNorm-coded antidepressants of 8-12 weeks (so the TRD count is met).
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from ketacare.clinical import terminology as t
from ketacare.interop.fhir import codes as c

URL = "/cds-services/ketacare-treatment-recommendation"
ISS = "https://ehr.example"
ICD, SCT, RX, LN = t.ICD10CM, t.SNOMED, t.RXNORM, t.LOINC
KETAMINE_OPTIONS = {"esketamine_intranasal", "ketamine_iv", "ketamine_im"}


def _cond(system, code, *, status="active", cid=None, onset=None):
    resource = {
        "resourceType": "Condition",
        "id": cid or f"c-{uuid.uuid4().hex[:8]}",
        "clinicalStatus": {
            "coding": [{"system": c.CONDITION_CLINICAL, "code": status}],
        },
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/ehr-42"},
    }
    if onset:
        resource["onsetDateTime"] = onset
    return resource


def _obs(system, code, **value):
    return {
        "resourceType": "Observation",
        "id": f"o-{uuid.uuid4().hex[:8]}",
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/ehr-42"},
        "effectiveDateTime": "2026-03-01T10:00:00Z",
        **value,
    }


def _bp(sbp, dbp):
    def part(code, v):
        return {
            "code": {"coding": [{"system": LN, "code": code}]},
            "valueQuantity": {"value": v, "unit": "mmHg", "system": c.UCUM, "code": "mm[Hg]"},
        }

    return _obs(LN, "85354-9", component=[part("8480-6", sbp), part("8462-4", dbp)])


def _med(code, *, status="completed", start="2025-01-01", end="2025-03-15", reason=None):
    resource = {
        "resourceType": "MedicationStatement",
        "id": f"m-{uuid.uuid4().hex[:8]}",
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": RX, "code": code}]},
        "subject": {"reference": "Patient/ehr-42"},
    }
    if start:
        resource["effectivePeriod"] = {"start": start, "end": end} if end else {"start": start}
    if reason:
        resource["statusReason"] = [{"coding": [{"system": c.LOCAL, "code": reason}]}]
    return resource


def _allergy(system, code):
    return {
        "resourceType": "AllergyIntolerance",
        "id": f"a-{uuid.uuid4().hex[:8]}",
        "patient": {"reference": "Patient/ehr-42"},
        "code": {"coding": [{"system": system, "code": code}]},
    }


def _bundle(resources):
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


# sertraline (IN), venlafaxine (IN), escitalopram 10 MG Oral Tablet (VSAC SCD)
TRIALS = ("36437", "39786", "349332")


def _prefetch(conditions=(), observations=None, meds=None, allergies=None):
    obs = (
        [_obs(LN, "44261-6", valueInteger=18), _obs(LN, "44260-8", valueInteger=0), _bp(120, 80)]
        if observations is None
        else list(observations)
    )
    prefetch = {
        "patient": {"resourceType": "Patient", "id": "ehr-42", "birthDate": "1980-01-01"},
        "conditions": _bundle([_cond(SCT, "370143000", cid="mdd"), *conditions]),
        "observations": _bundle(obs),
        "medications": _bundle([_med(code) for code in TRIALS] if meds is None else meds),
    }
    if allergies is not None:
        prefetch["allergies"] = _bundle(allergies)
    return prefetch


@pytest.fixture
def cards(client, settings, db, cds_client_keys):
    def call(prefetch):
        body = {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/9", "patientId": "ehr-42"},
            "prefetch": prefetch,
        }
        response = client.post(
            URL,
            json.dumps(body),
            content_type="application/json",
            headers=cds_client_keys.headers(f"http://testserver{URL}"),
        )
        assert response.status_code == 200, response.content
        return response.json()["cards"]

    return call


def _ext(card):
    return card.get("extension", {}).get("org.ketacare.recommendation", {})


def _engine_view(cards):
    """What the engine decided, without uuids or the terminology cards."""
    return [
        (card["summary"], card["indicator"], tuple(_ext(card).get("codes", ())))
        for card in cards
        if card["source"]["label"] != "KetaCare terminology check"
    ]


def _excluded(cards):
    return {_ext(c)["option"] for c in cards if c["summary"].startswith("Not recommended")}


def _unrecognised(cards):
    return [c for c in cards if c["summary"].startswith("Unrecognised codes")]


def test_the_base_ehr_patient_is_a_ketamine_candidate_with_nothing_unrecognised(cards):
    out = cards(_prefetch())
    assert any(c["summary"].startswith("Consider") for c in out)
    assert not _excluded(out)
    assert not _unrecognised(out)
    (trials,) = [c for c in out if "antidepressant trial(s) counted" in c["summary"]]
    assert trials["summary"].startswith("3 ")
    assert "sertraline: 10 week(s)" in trials["detail"]


def _local(code):
    return _cond(c.LOCAL, code)


CONTRAINDICATIONS = [
    # (system, code, local equivalent)
    (ICD, "I67.1", "contraindication-aneurysmal_vascular_disease_or_avm"),  # cerebral aneurysm
    (ICD, "I71.4", "contraindication-aneurysmal_vascular_disease_or_avm"),  # AAA
    (ICD, "I72.0", "contraindication-aneurysmal_vascular_disease_or_avm"),
    (SCT, "128609009", "contraindication-aneurysmal_vascular_disease_or_avm"),
    (ICD, "Q28.2", "contraindication-aneurysmal_vascular_disease_or_avm"),  # cerebral AVM
    (SCT, "234143007", "contraindication-aneurysmal_vascular_disease_or_avm"),
    (ICD, "I61.9", "contraindication-intracerebral_hemorrhage_history"),
    (ICD, "I69.10", "contraindication-intracerebral_hemorrhage_history"),  # sequelae
    (SCT, "274100004", "contraindication-intracerebral_hemorrhage_history"),
]


@pytest.mark.parametrize(("system", "code", "local"), CONTRAINDICATIONS)
def test_a_standard_coded_label_contraindication_excludes_every_ketamine_option(
    cards, system, code, local
):
    standard = cards(_prefetch([_cond(system, code)]))
    assert _excluded(standard) == KETAMINE_OPTIONS
    assert not any(c["summary"].startswith("Consider esketamine") for c in standard)
    assert _engine_view(standard) == _engine_view(cards(_prefetch([_local(local)])))
    assert not _unrecognised(standard)


def test_a_resolved_intracerebral_haemorrhage_still_counts_as_history(cards):
    out = cards(_prefetch([_cond(SCT, "274100004", status="resolved")]))
    assert _excluded(out) == KETAMINE_OPTIONS


def test_a_refuted_diagnosis_is_not_a_contraindication(cards):
    cond = _cond(ICD, "I67.1")
    cond["verificationStatus"] = {
        "coding": [{"system": c.CONDITION_VERIFICATION, "code": "refuted"}]
    }
    assert not _excluded(cards(_prefetch([cond])))


@pytest.mark.parametrize(("system", "code"), [(RX, "6130"), (RX, "238083"), (RX, "2201623")])
def test_an_allergy_to_ketamine_or_esketamine_is_the_hypersensitivity_contraindication(
    cards, system, code
):
    out = cards(_prefetch(allergies=[_allergy(system, code)]))
    assert _excluded(out) == KETAMINE_OPTIONS
    local = cards(
        _prefetch([_local("contraindication-hypersensitivity_to_ketamine_or_esketamine")])
    )
    assert _engine_view(out) == _engine_view(local)


WARNINGS = [
    (ICD, "F20.9", c.CURRENT_PSYCHOSIS),
    (ICD, "F32.3", c.CURRENT_PSYCHOSIS),  # depression with psychotic features
    (ICD, "F33.3", c.CURRENT_PSYCHOSIS),
    (SCT, "69322001", c.CURRENT_PSYCHOSIS),
    (ICD, "F10.20", c.SUD_ACTIVE),
    (ICD, "F14.10", c.SUD_ACTIVE),
    (SCT, "66214007", c.SUD_ACTIVE),
    (ICD, "F10.21", c.SUD_IN_REMISSION),
    (ICD, "F11.21", c.SUD_IN_REMISSION),
    (ICD, "Z33.1", c.PREGNANCY),
    (SCT, "77386006", c.PREGNANCY),
    (ICD, "I16.0", c.UNCONTROLLED_HYPERTENSION),
]


@pytest.mark.parametrize(("system", "code", "local"), WARNINGS)
def test_a_standard_coded_warning_gives_the_same_cards_as_the_local_code(
    cards, system, code, local
):
    standard = cards(_prefetch([_cond(system, code)]))
    assert _engine_view(standard) == _engine_view(cards(_prefetch([_local(local)])))
    assert not _unrecognised(standard)
    # The engine reads the same input as from KetaCare's own code, and not the base input.
    assert _read([_cond(system, code)]) == _read([_local(local)]) != _read([])


def _read(conditions):
    from datetime import UTC, datetime

    from ketacare.clinical.recommendations import ClinicCapabilities
    from ketacare.interop.fhir import inbound

    parsed = inbound.parse_prefetch(_prefetch(conditions))
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    clinic = ClinicCapabilities(True, True, True, True, True)
    return inbound.read_prefetch(parsed, as_of=at, clinic=clinic).input


def _confirmed(observations):
    """KetaCare-as-EHR: the evaluation answered every screening question, C-SSRS low."""
    from ketacare.clinical.recommendations.inputs import UNCONFIRMABLE_FACTS

    answered = _obs(
        c.LOCAL,
        c.EVALUATION_ANSWERED,
        component=[
            {"code": {"coding": [{"system": c.LOCAL, "code": f}]}, "valueBoolean": True}
            for f in sorted(UNCONFIRMABLE_FACTS)
        ],
    )
    cssrs = _obs(
        c.LOCAL,
        c.CSSRS_RISK,
        valueCodeableConcept={"coding": [{"system": c.LOCAL, "code": "low"}]},
    )
    return [*observations, answered, cssrs]


def _confirmed_obs():
    return _confirmed(
        [_obs(LN, "44261-6", valueInteger=20), _obs(LN, "44260-8", valueInteger=0), _bp(120, 80)]
    )


def test_icd10cm_cerebral_aneurysm_turns_consider_esketamine_into_the_contraindication_card(
    cards,
):
    obs = _confirmed(
        [_obs(LN, "44261-6", valueInteger=20), _obs(LN, "44260-8", valueInteger=0), _bp(120, 80)]
    )
    before = cards(_prefetch(observations=obs))
    assert any(c["summary"].startswith("Consider Intranasal esketamine") for c in before)
    after = cards(_prefetch([_cond(ICD, "I67.1")], observations=obs))
    assert not any(c["summary"].startswith("Consider Intranasal esketamine") for c in after)
    assert _excluded(after) == KETAMINE_OPTIONS
    (esk,) = [c for c in after if _ext(c).get("option") == "esketamine_intranasal"]
    assert esk["summary"].startswith("Not recommended: Intranasal esketamine")


def test_a_past_psychotic_disorder_is_a_psychosis_history_caution_not_current_psychosis(cards):
    out = cards(_prefetch([_cond(ICD, "F20.9", status="resolved")], observations=_confirmed_obs()))
    top = next(c for c in out if c["summary"].startswith("Consider"))
    assert "psychosis_history" in _ext(top)["codes"]


def test_hypertensive_encephalopathy_is_a_history_caution(cards):
    out = cards(_prefetch([_cond(ICD, "I67.4", status="resolved")], observations=_confirmed_obs()))
    top = next(c for c in out if c["summary"].startswith("Consider"))
    assert "hypertensive_encephalopathy_history" in _ext(top)["codes"]


REVIEW = [
    (ICD, "F31.9", "recorded_bipolar_disorder"),
    (SCT, "13746004", "recorded_bipolar_disorder"),
    (ICD, "K72.10", "recorded_hepatic_impairment_severe"),
    (ICD, "I63.9", "recorded_stroke"),
    (SCT, "422504002", "recorded_stroke"),
    (SCT, "230690007", "recorded_stroke"),
    (ICD, "I21.4", "recorded_myocardial_infarction"),
    (SCT, "22298006", "recorded_myocardial_infarction"),
]


@pytest.mark.parametrize(("system", "code", "finding"), REVIEW)
def test_a_recognised_condition_without_a_rule_here_is_reported_for_review(
    cards, system, code, finding
):
    out = cards(_prefetch([_cond(system, code, onset="2026-01-10T00:00:00Z")]))
    (card,) = [c for c in out if c["summary"].startswith("Review before any ketamine option")]
    assert card["indicator"] == "warning"
    assert _ext(card)["codes"] == [finding]
    assert "onset 2026-01-10" in card["detail"]
    assert not _unrecognised(out)


@pytest.mark.parametrize(
    "code",
    ["F32.0", "F32.1", "F32.2", "F32.4", "F32.5", "F32.9", "F33.0", "F33.1", "F33.2", "F33.9"],
)
def test_icd10cm_depression_diagnoses_are_recognised_with_severity(cards, code):
    out = cards(_prefetch([_cond(ICD, code)]))
    assert not _unrecognised(out)
    assert _engine_view(out) == _engine_view(cards(_prefetch()))
    (entry,) = [e for e in t.lookup(ICD, code) if e.concept is t.Concept.DEPRESSION]
    assert entry.qualifier("episode") in {"single", "recurrent"}


def test_depression_severity_and_psychotic_features_come_from_the_value_set():
    (severe,) = [e for e in t.lookup(ICD, "F33.3") if e.concept is t.Concept.DEPRESSION]
    assert (severe.qualifier("severity"), severe.qualifier("psychotic_features")) == (
        "severe",
        True,
    )
    assert {e.concept for e in t.lookup(ICD, "F33.3")} == {
        t.Concept.DEPRESSION,
        t.Concept.PSYCHOTIC_DISORDER,
    }


def test_without_antidepressant_trials_no_option_is_a_first_step(cards):
    out = cards(_prefetch(meds=[]))
    assert any(c["summary"].startswith("No ketamine or neurostimulation") for c in out)


@pytest.mark.parametrize(
    "codes",
    [("36437", "39786", "4493"), ("312941", "313581", "349332"), ("72625", "42347", "15996")],
)
def test_three_completed_rxnorm_antidepressants_count_as_three_trials(cards, codes):
    out = cards(_prefetch(meds=[_med(code) for code in codes]))
    assert not any(c["summary"].startswith("No ketamine or neurostimulation") for c in out)
    assert any(c["summary"].startswith("3 antidepressant trial(s)") for c in out)


def test_an_active_antidepressant_or_one_without_an_end_is_not_a_finished_trial(cards):
    out = cards(_prefetch(meds=[_med("36437", status="active"), _med("39786", end=None)]))
    assert any(c["summary"].startswith("No ketamine or neurostimulation") for c in out)
    assert not _unrecognised(out)


def test_an_augmenting_agent_is_recognised_but_not_counted(cards):
    out = cards(_prefetch(meds=[_med("36437"), _med("89013")]))
    (trials,) = [c for c in out if "antidepressant trial(s) counted" in c["summary"]]
    assert trials["summary"].startswith("1 ")
    assert "aripiprazole" in trials["detail"]
    assert "not counted" in trials["detail"]


def test_a_trial_the_clinic_recorded_as_a_response_is_not_counted(cards):
    meds = [_med("36437", reason=f"{c.TRIAL_FAILED_PREFIX}response"), _med("39786")]
    out = cards(_prefetch(meds=meds))
    assert any(c["summary"].startswith("1 antidepressant trial(s)") for c in out)


def test_the_same_ingredient_twice_counts_once(cards):
    out = cards(_prefetch(meds=[_med("36437"), _med("312941"), _med("39786")]))
    assert any(c["summary"].startswith("2 antidepressant trial(s)") for c in out)


def test_phq9_item9_by_loinc_gives_the_same_day_review_card(cards):
    obs = [_obs(LN, "44261-6", valueInteger=18), _obs(LN, "44260-8", valueInteger=2), _bp(120, 80)]
    out = cards(_prefetch(observations=obs))
    assert out[0]["indicator"] == "critical"
    assert "phq9_item9_positive" in _ext(out[0])["codes"]


def test_a_phq9_panel_with_items_only_is_scored_and_item9_read(cards):
    items = [1, 2, 2, 2, 2, 2, 2, 2, 1]  # total 1+2*7+1 = 16, item 9 = 1
    panel = _obs(
        LN,
        "44249-1",
        component=[
            {"code": {"coding": [{"system": LN, "code": code}]}, "valueInteger": v}
            for code, v in zip(c.PHQ9_ITEMS, items, strict=True)
        ],
    )
    out = cards(_prefetch(observations=[panel, _bp(120, 80)]))
    assert "phq9_item9_positive" in _ext(out[0])["codes"]
    assert not _unrecognised(out)


def test_blood_pressure_panel_above_the_caution_line_is_read(cards):
    obs = _confirmed(
        [_obs(LN, "44261-6", valueInteger=18), _obs(LN, "44260-8", valueInteger=0), _bp(150, 95)]
    )
    top = next(c for c in cards(_prefetch(observations=obs)) if c["summary"].startswith("Consider"))
    assert "blood_pressure_above_caution" in _ext(top)["codes"]


@pytest.mark.parametrize(
    "observation",
    [
        _obs(LN, "70274-6", valueInteger=12),  # GAD-7 total
        _obs(LN, "69725-0", valueInteger=2),  # GAD-7 item 1
        _obs(LN, "29463-7", valueQuantity={"value": 80, "unit": "kg", "system": c.UCUM}),
        _obs(LN, "44250-9", valueInteger=1),  # PHQ-9 item 1
    ],
)
def test_gad7_weight_and_phq9_items_are_recognised(cards, observation):
    base = [_obs(LN, "44261-6", valueInteger=18), _obs(LN, "44260-8", valueInteger=0), _bp(120, 80)]
    assert not _unrecognised(cards(_prefetch(observations=[*base, observation])))


def test_unknown_codes_are_reported_never_treated_as_absent(cards):
    out = cards(
        _prefetch(
            [_cond(ICD, "I60.9"), _cond(SCT, "999999999"), _cond("urn:other", "x")],
            meds=[*(_med(code) for code in TRIALS), _med("1234567")],
            allergies=[_allergy(RX, "7980")],
        )
    )
    (card,) = _unrecognised(out)
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("Unrecognised codes: 5 ")
    for text in ("I60.9", "999999999", "urn:other|x", "1234567", "7980"):
        assert text in card["detail"]
    assert "NOT treated as absent" in card["detail"]


def test_every_value_set_code_names_a_cited_source():
    for vs in t.value_sets():
        assert vs.entries, vs.id
        for e in vs.entries:
            source = vs.sources[e.source_key]
            assert source["url"].startswith("http"), (vs.id, e.code)
            assert source["citation"], (vs.id, e.code)
            assert e.system in {ICD, SCT, RX, LN}


def test_phq9_item9_is_loinc_44260_8():
    (entry,) = t.lookup(LN, "44260-8")
    assert (entry.concept, entry.qualifier("item")) == (t.Concept.PHQ9, 9)


def test_lookup_is_quick_enough_for_a_large_prefetch():
    start = time.perf_counter()
    for _ in range(2000):
        t.lookup(ICD, "F33.1")
    assert time.perf_counter() - start < 1.0
