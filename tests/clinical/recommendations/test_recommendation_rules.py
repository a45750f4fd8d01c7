"""Cut-offs, input validation and the prescriber-choice gate of the recommendation engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from test_vignettes import FULL_CLINIC, VIGNETTES, Vignette, build_input, prior

from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.clinical.gates import Override
from ketacare.clinical.recommendations import (
    DISCLAIMER,
    ExclusionKind,
    PriorTreatment,
    RecommendationPolicy,
    Suitability,
    TreatmentOption,
    check_prescriber_choice,
    recommend_treatment,
)
from ketacare.clinical.recommendations.inputs import PriorResponse

ESK = TreatmentOption.ESKETAMINE_INTRANASAL
IV = TreatmentOption.KETAMINE_IV
ECT = TreatmentOption.ECT
RTMS = TreatmentOption.RTMS
BASE = VIGNETTES[0]


def _rec(**changes):
    return recommend_treatment(build_input(replace(BASE, **changes)))


# Sanacora via Medscape (S14b, [V*]): few respond after more than three infusions if none has
# occurred before -> a racemic series of >= 3 sessions without response is adequate non-response.
@pytest.mark.parametrize(("sessions", "excluded"), [(2, False), (3, True), (4, True)])
def test_racemic_nonresponse_excludes_racemic_ketamine_from_three_sessions(sessions, excluded):
    rec = _rec(history=(prior(IV, sessions, "no_response"),))
    assert (rec.option(IV).exclusion is ExclusionKind.RELATIVE) is excluded


# SPRAVATO label (S2, S3): induction twice weekly for 4 weeks = 8 sessions, then evaluate.
@pytest.mark.parametrize(("sessions", "excluded"), [(7, False), (8, True), (9, True)])
def test_esketamine_nonresponse_counts_only_after_a_full_induction(sessions, excluded):
    rec = _rec(history=(prior(ESK, sessions, "no_response"),))
    assert (rec.option(ESK).exclusion is ExclusionKind.RELATIVE) is excluded


# SPRAVATO label (S2, S3): the most frequent maintenance schedule is once weekly (7 days).
@pytest.mark.parametrize(("days", "rapid"), [(6, True), (7, False), (8, False)])
def test_benefit_shorter_than_a_week_is_relapse_within_days(days, rapid):
    rec = _rec(history=(prior(IV, 6, "response", durability_days=days),))
    assert ("rapid_relapse_after_each_dose" in rec.option(ESK).codes) is rapid


# TRD = >= 2 adequate failed antidepressants (S56a).
@pytest.mark.parametrize(("failed", "concern"), [(1, True), (2, False), (3, False)])
def test_ketamine_outside_trd_carries_a_concern(failed, concern):
    rec = _rec(failed_antidepressants=failed)
    assert ("not_treatment_resistant" in rec.option(ESK).codes) is concern


# CANMAT 2016 Section 4: rTMS first-line after failure of >= 1 antidepressant.
@pytest.mark.parametrize(("failed", "first_line"), [(0, False), (1, True), (2, True)])
def test_rtms_is_first_line_from_one_failed_antidepressant(failed, first_line):
    rec = _rec(failed_antidepressants=failed)
    codes = rec.option(RTMS).codes
    assert ("rtms_first_line_after_failed_antidepressant" in codes) is first_line


# SPRAVATO label summary ([V*]): consider delaying if > 140/90 mmHg.
@pytest.mark.parametrize(
    ("bp", "caution"),
    [((140, 80), False), ((141, 80), True), ((130, 90), False), ((130, 91), True)],
)
def test_blood_pressure_caution_starts_above_140_over_90(bp, caution):
    assert ("blood_pressure_above_caution" in _rec(bp=bp).option(ESK).codes) is caution


# PHQ-9 item 9 >= 1 warrants same-day follow-up (S33c, [V*]).
@pytest.mark.parametrize(("item9", "flag"), [(0, False), (1, True), (2, True)])
def test_phq9_item9_from_one_asks_for_same_day_review(item9, flag):
    assert ("phq9_item9_positive" in {f.code for f in _rec(phq9_item9=item9).urgent}) is flag


# PHQ-9 moderate band starts at 10 (Kroenke 2001).
@pytest.mark.parametrize(("total", "note"), [(9, True), (10, False), (11, False)])
def test_symptoms_below_moderate_band_are_noted(total, note):
    codes = {f.code for f in _rec(phq9_total=total).notes}
    assert ("symptoms_below_moderate" in codes) is note


def test_each_concern_lowers_suitability_one_step():
    assert _rec().option(ESK).suitability is Suitability.HIGH
    assert _rec(failed_antidepressants=1).option(ESK).suitability is Suitability.MODERATE
    two = _rec(failed_antidepressants=1, history=(prior(IV, 4, "response", durability_days=2),))
    assert two.option(ESK).suitability is Suitability.LOW


def test_output_says_it_is_decision_support():
    rec = _rec()
    assert rec.decision_support is True
    assert rec.disclaimer == DISCLAIMER
    assert "not an order" in rec.disclaimer


def test_every_option_carries_evidence_with_sources():
    for ranked in _rec().options:
        assert ranked.evidence.level
        assert ranked.evidence.sources


def test_unconfirmed_screening_facts_lower_every_ketamine_option():
    inp = replace(build_input(BASE), unconfirmed_facts=frozenset({"pregnant"}))
    rec = recommend_treatment(inp)
    assert "screening_unconfirmed" in rec.option(ESK).codes
    assert rec.top.option is RTMS


def test_policy_can_require_a_longer_racemic_series_before_calling_it_non_response():
    inp = build_input(replace(BASE, history=(prior(IV, 4, "no_response"),)))
    strict = recommend_treatment(
        inp, RecommendationPolicy(ketamine_series_nonresponse_min_sessions=6)
    )
    assert strict.option(IV).exclusion is None


# --- the prescriber's choice ------------------------------------------------------------------


def test_choosing_the_top_option_needs_no_reason():
    decision = check_prescriber_choice(_rec(), ESK, "")
    assert decision.allowed


def test_choosing_another_option_needs_a_reason():
    with pytest.raises(InvalidClinicalInput) as err:
        check_prescriber_choice(_rec(), RTMS, "   ")
    assert err.value.code == "choice_reason_required"
    assert check_prescriber_choice(_rec(), RTMS, "Patient works nights near the rTMS site").allowed


def test_absolutely_contraindicated_option_cannot_be_chosen_even_with_override():
    aneurysm = next(v for v in VIGNETTES if v.name.startswith("aneurysm"))
    decision = check_prescriber_choice(
        recommend_treatment(build_input(aneurysm)), ESK, "Patient insists"
    )
    assert decision.codes == ("option_absolutely_contraindicated",)
    with pytest.raises(GateBlocked):
        decision.enforce(
            Override("Patient insists", frozenset({"option_absolutely_contraindicated"}))
        )


def test_relatively_excluded_option_can_be_chosen_with_a_prescriber_override():
    sud = next(v for v in VIGNETTES if v.name.startswith("active_substance"))
    decision = check_prescriber_choice(
        recommend_treatment(build_input(sud)), IV, "SUD in early remission, supervised"
    )
    assert decision.codes == ("option_excluded",)
    overridden = decision.enforce(
        Override("SUD in early remission", frozenset({"option_excluded"}))
    )
    assert [b.code for b in overridden] == ["option_excluded"]


# --- input validation ---------------------------------------------------------------------------


def test_the_oldest_verified_age_is_accepted_and_one_year_more_names_the_field():
    # Calment, 122 years 164 days (plausibility.OLDEST_VERIFIED_AGE); the old bound was 130.
    assert build_input(replace(BASE, age_years=122)).age_years == 122
    with pytest.raises(InvalidClinicalInput) as err:
        build_input(replace(BASE, age_years=125))
    assert (err.value.code, err.value.details["field"]) == ("age_invalid", "age_years")


def test_naive_as_of_is_refused():
    with pytest.raises(InvalidClinicalInput) as err:
        replace(build_input(BASE), as_of=datetime(2026, 1, 1))
    assert err.value.code == "datetime_not_timezone_aware"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"phq9_total": 28}, "score_out_of_range"),
        ({"phq9_item9": 3, "phq9_total": 2}, "score_inconsistent"),
        ({"madrs_total": 61}, "score_out_of_range"),
        ({"bp": (80, 90)}, "blood_pressure_implausible"),
        ({"bp": (400, 90)}, "blood_pressure_implausible"),
        ({"bp": (120, 0)}, "blood_pressure_implausible"),
        ({"failed_antidepressants": -1}, "failed_trials_invalid"),
        ({"age_years": 131}, "age_invalid"),
        # The oldest verified human age, 122 (Calment; plausibility.MAX_PLAUSIBLE_AGE_YEARS).
        ({"age_years": 123}, "age_invalid"),
        ({"preferred": (ESK,), "declined": frozenset({ESK})}, "preferences_contradictory"),
    ],
)
def test_out_of_range_inputs_are_refused_with_a_stable_code(changes, code):
    with pytest.raises(InvalidClinicalInput) as err:
        build_input(replace(BASE, **changes))
    assert err.value.code == code


# The bounds are the cited physiological limits of every vital sign at the door (MIMIC Code
# Repository, plausibility.LIMITS): a shocked patient's 30/15 or a crisis 250/160 is a reading
# the engine weighs, not a typo (the engine's own uncited 40-300 / 20-200 range is gone).
@pytest.mark.parametrize(
    ("bp", "caution"), [((30, 15), False), ((250, 160), True), ((399, 299), True)]
)
def test_a_real_extreme_blood_pressure_is_weighed_not_refused(bp, caution):
    assert ("blood_pressure_above_caution" in _rec(bp=bp).option(ESK).codes) is caution


def test_unanswered_psychosis_question_is_not_taken_as_no():
    with pytest.raises(InvalidClinicalInput) as err:
        replace(build_input(BASE), current_psychosis=None)
    assert err.value.code == "recommendation_answer_missing"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((IV, 0, PriorResponse.RESPONSE, None, None), "prior_treatment_sessions_invalid"),
        (
            (IV, 4, PriorResponse.NO_RESPONSE, 10, None),
            "prior_treatment_durability_without_benefit",
        ),
        ((IV, 4, PriorResponse.RESPONSE, None, True), "prior_treatment_adequacy_computed"),
        ((ECT, 4, PriorResponse.RESPONSE, None, None), "prior_treatment_adequacy_missing"),
    ],
)
def test_prior_treatment_records_are_checked(args, code):
    with pytest.raises(InvalidClinicalInput) as err:
        PriorTreatment(*args)
    assert err.value.code == code


def test_clinic_capabilities_must_be_answered():
    with pytest.raises(InvalidClinicalInput):
        replace(FULL_CLINIC, ect_referral=None)


def test_vignette_defaults_are_a_plausible_patient():
    assert isinstance(BASE, Vignette)
    assert recommend_treatment(build_input(BASE)).top.option is ESK
