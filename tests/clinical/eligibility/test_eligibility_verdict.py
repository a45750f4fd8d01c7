"""Eligibility verdict scenarios: label contraindications (S2, S9), age (S9), rule-13
cautions (S1, S2), C-SSRS high risk (rule 23), TRD minimum (S56a), severe hepatic impairment."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ketacare.clinical.eligibility.maudsley import MaudsleyBand, MaudsleySeverity
from ketacare.clinical.eligibility.routes import Route
from ketacare.clinical.eligibility.screening import (
    CssrsRisk,
    CssrsScreen,
    EvaluationInput,
    HepaticImpairment,
    SubstanceUseDisorder,
    SubstanceUseScreen,
)
from ketacare.clinical.eligibility.trd import Adherence, AntidepressantTrial, TrialOutcome
from ketacare.clinical.eligibility.verdict import (
    Caution,
    EligibilityPolicy,
    Verdict,
    evaluate_eligibility,
    severity_of,
)
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.clinical.gates import Override
from ketacare.clinical.plausibility import LIMITS
from ketacare.clinical.sources import REGISTRY, Grade

AS_OF = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
POLICY = EligibilityPolicy()


def trial(drug: str, **changes) -> AntidepressantTrial:
    base = AntidepressantTrial(
        drug=drug,
        dose_mg_per_day=Decimal("100"),
        weeks=8,
        adherence=Adherence.GOOD,
        adequate=True,
        outcome=TrialOutcome.NO_RESPONSE,
        augmentation=False,
        in_current_episode=True,
    )
    return replace(base, **changes)


def patient(**changes) -> EvaluationInput:
    """An adult with TRD (2 failed antidepressants), no contraindication or caution, a low-risk
    C-SSRS and a negative substance-use screen from last week."""
    base = EvaluationInput(
        as_of=AS_OF,
        age_years=42,
        route=Route.INTRANASAL,
        trials=(trial("sertraline"), trial("venlafaxine")),
        episode_duration_months=10,
        severity=MaudsleySeverity.MODERATE,
        ect_used=False,
        aneurysmal_vascular_disease_or_avm=False,
        intracerebral_hemorrhage_history=False,
        hypersensitivity_to_ketamine_or_esketamine=False,
        psychosis_history=False,
        current_psychosis=False,
        substance_use_disorder=SubstanceUseDisorder.NONE,
        pregnant=False,
        breastfeeding=False,
        hepatic_impairment=HepaticImpairment.NONE,
        uncontrolled_hypertension=False,
        latest_systolic_mmhg=128,
        latest_diastolic_mmhg=82,
        hypertensive_encephalopathy_history=False,
        takes_cns_depressants=False,
        takes_psychostimulants=False,
        takes_maois=False,
        cssrs=CssrsScreen(CssrsRisk.LOW, AS_OF - timedelta(days=7)),
        substance_screen=SubstanceUseScreen(0, 0, AS_OF - timedelta(days=7)),
    )
    return replace(base, **changes)


def test_adult_with_trd_and_nothing_else_is_eligible():
    result = evaluate_eligibility(patient(), POLICY)
    assert result.verdict is Verdict.ELIGIBLE
    assert result.reasons == ()
    assert result.adequate_failed_trials == 2
    assert result.treatment_resistant is True
    # MSM: duration 1 (10 m) + severity 3 (moderate) + antidepressants 1 (2 failed) + 0 + 0 = 5
    assert result.maudsley is not None
    assert (result.maudsley.total, result.maudsley.band) == (5, MaudsleyBand.MILD)
    assert {n.code for n in result.notes} == {"treatment_resistance_count", "maudsley_stage"}
    assert result.as_gate().allowed


CONTRAINDICATIONS = [
    ("aneurysmal_vascular_disease_or_avm", "contraindication_aneurysmal_vascular_disease_or_avm"),
    ("intracerebral_hemorrhage_history", "contraindication_intracerebral_hemorrhage"),
    ("hypersensitivity_to_ketamine_or_esketamine", "contraindication_hypersensitivity"),
]


@pytest.mark.parametrize(("field", "code"), CONTRAINDICATIONS)
@pytest.mark.parametrize("route", [Route.INTRANASAL, Route.IV, None])
def test_each_label_contraindication_alone_makes_the_patient_not_eligible(field, code, route):
    result = evaluate_eligibility(patient(route=route, **{field: True}), POLICY)
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert result.codes == (code,)
    finding = result.reasons[0]
    assert severity_of(finding).value == "absolute_contraindication"
    assert finding.overridable is True  # a prescriber may still order, with a written reason
    assert finding.source is not None
    assert finding.source.verified is True


def test_contraindication_override_at_ordering_needs_a_reason_naming_the_code():
    result = evaluate_eligibility(patient(intracerebral_hemorrhage_history=True), POLICY)
    gate = result.as_gate()
    with pytest.raises(GateBlocked) as excinfo:
        gate.enforce()
    assert excinfo.value.code == "contraindication_intracerebral_hemorrhage"
    overridden = gate.enforce(
        Override(
            "Neurosurgery cleared; remote bleed 20 years ago.",
            frozenset({"contraindication_intracerebral_hemorrhage"}),
        )
    )
    assert [f.code for f in overridden] == ["contraindication_intracerebral_hemorrhage"]


# Age, S9: "Not approved in patients <18 years".
@pytest.mark.parametrize(
    ("age", "verdict"),
    [(17, Verdict.NOT_ELIGIBLE), (18, Verdict.ELIGIBLE), (19, Verdict.ELIGIBLE)],
)
def test_esketamine_age_boundary(age, verdict):
    result = evaluate_eligibility(patient(age_years=age), POLICY)
    assert result.verdict is verdict
    if verdict is Verdict.NOT_ELIGIBLE:
        assert result.codes == ("age_below_esketamine_approval",)


def test_minor_for_iv_ketamine_is_not_eligible_under_default_clinic_policy():
    result = evaluate_eligibility(patient(age_years=17, route=Route.IV), POLICY)
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert result.codes == ("age_below_adult_minimum",)


def test_minor_for_iv_ketamine_needs_review_when_clinic_lifts_the_all_routes_limit():
    policy = EligibilityPolicy(age_limit_all_routes=False)
    result = evaluate_eligibility(patient(age_years=17, route=Route.IV), policy)
    assert result.verdict is Verdict.NEEDS_REVIEW
    # The esketamine limit stays whatever the clinic chooses.
    assert evaluate_eligibility(patient(age_years=17), policy).verdict is Verdict.NOT_ELIGIBLE


CAUTIONS = [
    ({"psychosis_history": True}, Caution.PSYCHOSIS_HISTORY),
    ({"psychosis_history": True, "current_psychosis": True}, Caution.CURRENT_PSYCHOSIS),
    (
        {"substance_use_disorder": SubstanceUseDisorder.ACTIVE},
        Caution.SUBSTANCE_USE_DISORDER_ACTIVE,
    ),
    (
        {"substance_use_disorder": SubstanceUseDisorder.IN_REMISSION},
        Caution.SUBSTANCE_USE_DISORDER_IN_REMISSION,
    ),
    ({"substance_screen": SubstanceUseScreen(1, 0, AS_OF)}, Caution.ALCOHOL_SCREEN_POSITIVE),
    ({"substance_screen": SubstanceUseScreen(0, 1, AS_OF)}, Caution.DRUG_SCREEN_POSITIVE),
    ({"pregnant": True}, Caution.PREGNANCY),
    ({"breastfeeding": True}, Caution.BREASTFEEDING),
    ({"hepatic_impairment": HepaticImpairment.MODERATE}, Caution.HEPATIC_IMPAIRMENT_MODERATE),
    ({"uncontrolled_hypertension": True}, Caution.UNCONTROLLED_HYPERTENSION),
    (
        {"latest_systolic_mmhg": 150, "latest_diastolic_mmhg": 85},
        Caution.BLOOD_PRESSURE_ABOVE_CAUTION,
    ),
    ({"hypertensive_encephalopathy_history": True}, Caution.HYPERTENSIVE_ENCEPHALOPATHY_HISTORY),
    ({"takes_cns_depressants": True}, Caution.CNS_DEPRESSANT_USE),
    ({"takes_psychostimulants": True}, Caution.PSYCHOSTIMULANT_USE),
    ({"takes_maois": True}, Caution.MAOI_USE),
    ({"cssrs": CssrsScreen(CssrsRisk.MODERATE, AS_OF)}, Caution.CSSRS_MODERATE_RISK),
]


@pytest.mark.parametrize(("changes", "caution"), CAUTIONS, ids=[c.value for _, c in CAUTIONS])
def test_each_caution_alone_gives_eligible_with_cautions_needing_acknowledgment(changes, caution):
    result = evaluate_eligibility(patient(**changes), POLICY)
    assert result.verdict is Verdict.ELIGIBLE_WITH_CAUTIONS
    assert result.codes == (caution.value,)
    assert result.acknowledgments_required == (caution.value,)
    assert dict(result.reasons[0].data)["acknowledgment_required"] is True
    gate = result.as_gate()
    assert not gate.allowed
    assert gate.unresolved(Override("Discussed risks with patient.", frozenset({caution}))) == ()


@pytest.mark.parametrize("caution", list(Caution))
def test_every_caution_has_a_scenario(caution):
    assert caution in {c for _, c in CAUTIONS}


# BP caution edges, label summary (S2, [V*]): caution when systolic >140 or diastolic >90.
@pytest.mark.parametrize(
    ("systolic", "diastolic", "caution"),
    [
        (139, 80, False),
        (140, 80, False),
        (141, 80, True),
        (130, 89, False),
        (130, 90, False),
        (130, 91, True),
    ],
)
def test_blood_pressure_caution_boundary(systolic, diastolic, caution):
    result = evaluate_eligibility(
        patient(latest_systolic_mmhg=systolic, latest_diastolic_mmhg=diastolic), POLICY
    )
    assert (Caution.BLOOD_PRESSURE_ABOVE_CAUTION.value in result.codes) is caution


def test_no_recorded_blood_pressure_raises_no_bp_caution():
    result = evaluate_eligibility(
        patient(latest_systolic_mmhg=None, latest_diastolic_mmhg=None), POLICY
    )
    assert result.verdict is Verdict.ELIGIBLE


def test_clinic_configured_exclusion_turns_a_caution_into_not_eligible():
    policy = EligibilityPolicy(exclusions=frozenset({Caution.CURRENT_PSYCHOSIS}))
    result = evaluate_eligibility(patient(psychosis_history=True, current_psychosis=True), policy)
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert severity_of(result.reasons[0]).value == "clinic_exclusion"
    # A psychosis history without current psychosis stays a caution under that policy.
    history_only = evaluate_eligibility(patient(psychosis_history=True), policy)
    assert history_only.verdict is Verdict.ELIGIBLE_WITH_CAUTIONS


def test_cssrs_high_risk_needs_same_day_review():
    result = evaluate_eligibility(patient(cssrs=CssrsScreen(CssrsRisk.HIGH, AS_OF)), POLICY)
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert result.codes == ("cssrs_high_risk",)
    assert "same-day" in result.reasons[0].message


def test_missing_cssrs_needs_review_unless_the_clinic_does_not_require_it():
    assert evaluate_eligibility(patient(cssrs=None), POLICY).codes == ("cssrs_screen_missing",)
    relaxed = EligibilityPolicy(require_cssrs_screen=False)
    assert evaluate_eligibility(patient(cssrs=None), relaxed).verdict is Verdict.ELIGIBLE


# Recency has no cited default; a clinic sets cssrs_max_age_days (here 30).
@pytest.mark.parametrize(
    ("age", "out_of_date"),
    [
        (timedelta(days=29), False),
        (timedelta(days=30), False),
        (timedelta(days=30, seconds=1), True),
    ],
)
def test_cssrs_recency_boundary_with_clinic_window(age, out_of_date):
    policy = EligibilityPolicy(cssrs_max_age_days=30)
    result = evaluate_eligibility(patient(cssrs=CssrsScreen(CssrsRisk.LOW, AS_OF - age)), policy)
    assert ("cssrs_screen_out_of_date" in result.codes) is out_of_date


def test_old_cssrs_is_accepted_when_the_clinic_sets_no_window():
    old = CssrsScreen(CssrsRisk.LOW, AS_OF - timedelta(days=400))
    assert evaluate_eligibility(patient(cssrs=old), POLICY).verdict is Verdict.ELIGIBLE


def test_missing_substance_use_screen_needs_review():
    result = evaluate_eligibility(patient(substance_screen=None), POLICY)
    assert result.codes == ("substance_use_screen_missing",)
    relaxed = EligibilityPolicy(require_substance_use_screen=False)
    assert evaluate_eligibility(patient(substance_screen=None), relaxed).verdict is (
        Verdict.ELIGIBLE
    )


def test_out_of_date_substance_use_screen_needs_review():
    policy = EligibilityPolicy(substance_screen_max_age_days=90)
    old = SubstanceUseScreen(0, 0, AS_OF - timedelta(days=91))
    assert evaluate_eligibility(patient(substance_screen=old), policy).codes == (
        "substance_use_screen_out_of_date",
    )


# Single-question screens (Smith 2009, 2010): a response of at least 1 is positive.
@pytest.mark.parametrize(
    ("heavy_days", "drug_times", "codes"),
    [
        (0, 0, ()),
        (1, 0, ("alcohol_screen_positive",)),
        (0, 1, ("drug_screen_positive",)),
        (2, 2, ("alcohol_screen_positive", "drug_screen_positive")),
    ],
)
def test_single_question_substance_screen_boundaries(heavy_days, drug_times, codes):
    screen = SubstanceUseScreen(heavy_days, drug_times, AS_OF)
    assert evaluate_eligibility(patient(substance_screen=screen), POLICY).codes == codes


# TRD minimum, S56a: >= 2 adequate failed antidepressants.
@pytest.mark.parametrize(
    ("failed", "verdict"),
    [(1, Verdict.NEEDS_REVIEW), (2, Verdict.ELIGIBLE), (3, Verdict.ELIGIBLE)],
)
def test_trd_count_boundary(failed, verdict):
    trials = tuple(trial(f"drug-{i}") for i in range(failed))
    result = evaluate_eligibility(patient(trials=trials), POLICY)
    assert result.verdict is verdict
    assert result.adequate_failed_trials == failed
    assert result.treatment_resistant is (failed >= 2)
    if verdict is Verdict.NEEDS_REVIEW:
        assert result.codes == ("not_treatment_resistant",)


def test_clinic_treating_off_label_outside_trd_gets_the_count_as_information_only():
    policy = EligibilityPolicy(require_trd=False)
    result = evaluate_eligibility(patient(route=Route.IV, trials=(trial("sertraline"),)), policy)
    assert result.verdict is Verdict.ELIGIBLE
    assert result.treatment_resistant is False
    assert "below the TRD minimum" in result.notes[0].message


def test_no_failed_trial_gives_no_maudsley_stage():
    result = evaluate_eligibility(patient(trials=()), POLICY)
    assert result.maudsley is None
    assert "maudsley_not_staged" in {n.code for n in result.notes}
    assert result.codes == ("not_treatment_resistant",)


def test_verdict_reports_maudsley_stage_with_augmentation_and_ect():
    trials = (
        trial("sertraline"),
        trial("venlafaxine"),
        trial("duloxetine"),
        trial("lithium", augmentation=True),
    )
    result = evaluate_eligibility(
        patient(
            trials=trials,
            episode_duration_months=30,
            severity=MaudsleySeverity.SEVERE_WITHOUT_PSYCHOSIS,
            ect_used=True,
        ),
        POLICY,
    )
    # duration 3 (30 m) + severity 4 + antidepressants 2 (3 failed; lithium is augmentation)
    # + augmentation 1 + ECT 1 = 11 -> severe; informative only, verdict unaffected
    assert result.adequate_failed_trials == 3
    assert result.maudsley is not None
    assert (result.maudsley.total, result.maudsley.band) == (11, MaudsleyBand.SEVERE)
    assert result.verdict is Verdict.ELIGIBLE


def test_severe_hepatic_impairment_needs_review():
    result = evaluate_eligibility(patient(hepatic_impairment=HepaticImpairment.SEVERE), POLICY)
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert result.codes == ("hepatic_impairment_severe",)


def test_worst_finding_decides_and_every_reason_is_listed_worst_first():
    result = evaluate_eligibility(
        patient(
            pregnant=True,
            cssrs=CssrsScreen(CssrsRisk.HIGH, AS_OF),
            aneurysmal_vascular_disease_or_avm=True,
            trials=(trial("sertraline"),),
        ),
        POLICY,
    )
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert result.codes == (
        "contraindication_aneurysmal_vascular_disease_or_avm",
        "cssrs_high_risk",
        "not_treatment_resistant",
        "pregnancy",
    )
    assert result.acknowledgments_required == ("pregnancy",)


def test_review_outranks_cautions():
    result = evaluate_eligibility(
        patient(takes_maois=True, hepatic_impairment=HepaticImpairment.SEVERE), POLICY
    )
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert result.codes == ("hepatic_impairment_severe", "maoi_use")


def test_two_contraindications_are_both_reported():
    result = evaluate_eligibility(
        patient(
            intracerebral_hemorrhage_history=True, hypersensitivity_to_ketamine_or_esketamine=True
        ),
        POLICY,
    )
    assert result.codes == (
        "contraindication_intracerebral_hemorrhage",
        "contraindication_hypersensitivity",
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"as_of": datetime(2025, 3, 10, 9, 0)}, "datetime_not_timezone_aware"),
        ({"age_years": -1}, "age_invalid"),
        ({"age_years": 17.5}, "age_invalid"),
        ({"route": "nasal"}, "route_invalid"),
        ({"trials": [trial("sertraline")]}, "trials_invalid"),
        ({"episode_duration_months": -1}, "episode_duration_invalid"),
        ({"severity": "moderate"}, "severity_invalid"),
        ({"pregnant": None}, "evaluation_answer_missing"),
        ({"aneurysmal_vascular_disease_or_avm": None}, "evaluation_answer_missing"),
        ({"substance_use_disorder": "active"}, "substance_use_disorder_invalid"),
        ({"hepatic_impairment": "severe"}, "hepatic_impairment_invalid"),
        ({"latest_systolic_mmhg": None}, "blood_pressure_incomplete"),
        ({"latest_systolic_mmhg": 400}, "systolic_out_of_range"),
        ({"latest_systolic_mmhg": 0, "latest_diastolic_mmhg": 0}, "systolic_out_of_range"),
        ({"latest_diastolic_mmhg": 0}, "diastolic_out_of_range"),
        ({"latest_systolic_mmhg": 120.5}, "systolic_out_of_range"),
        ({"latest_systolic_mmhg": 80, "latest_diastolic_mmhg": 90}, "blood_pressure_implausible"),
        ({"cssrs": CssrsScreen(CssrsRisk.LOW, AS_OF + timedelta(minutes=1))}, "cssrs_in_future"),
        (
            {"substance_screen": SubstanceUseScreen(0, 0, AS_OF + timedelta(days=1))},
            "substance_screen_in_future",
        ),
    ],
)
def test_malformed_evaluation_is_invalid_input(changes, code):
    with pytest.raises(InvalidClinicalInput) as excinfo:
        patient(**changes)
    assert excinfo.value.code == code


# Age: the oldest verified human age, 122 years (Calment; plausibility.MAX_PLAUSIBLE_AGE_YEARS);
# the old uncited bound, 130, accepted 125. The episode is no longer than the patient's life:
# at 42, at most (42 + 1) * 12 - 1 = 515 whole months; at 122, 1475 (the old bound was 1200).
@pytest.mark.parametrize(
    ("changes", "field", "accepted"),
    [
        ({"age_years": 122}, "age_years", True),
        ({"age_years": 123}, "age_years", False),
        ({"age_years": 125}, "age_years", False),
        ({"episode_duration_months": 515}, "episode_duration_months", True),
        ({"episode_duration_months": 516}, "episode_duration_months", False),
        ({"episode_duration_months": 1200}, "episode_duration_months", False),
        ({"age_years": 122, "episode_duration_months": 1475}, "episode_duration_months", True),
        ({"age_years": 122, "episode_duration_months": 1476}, "episode_duration_months", False),
    ],
)
def test_age_and_episode_are_bounded_by_the_oldest_verified_life(changes, field, accepted):
    if accepted:
        inp = patient(**changes)
        assert getattr(inp, field) == changes[field]
        return
    with pytest.raises(InvalidClinicalInput) as excinfo:
        patient(**changes)
    assert excinfo.value.details["field"] == field
    assert field in excinfo.value.message


@pytest.mark.parametrize(
    ("systolic", "diastolic"),
    [(399, 299), (30, 15), (250, 160)],
    ids=["highest-recorded", "shock", "hypertensive-crisis"],
)
def test_a_real_extreme_blood_pressure_is_recorded_not_refused(systolic, diastolic):
    # The bounds are the cited physiological limits of every vital sign at the door (MIMIC
    # Code Repository, plausibility.LIMITS); the evaluation's own uncited 40-300 / 20-200
    # range, which refused a shocked patient's 30/15, is gone.
    inp = patient(latest_systolic_mmhg=systolic, latest_diastolic_mmhg=diastolic)
    assert (inp.latest_systolic_mmhg, inp.latest_diastolic_mmhg) == (systolic, diastolic)


def test_blood_pressure_out_of_range_message_states_the_cited_limits():
    systolic = LIMITS["systolic_mmhg"]
    assert REGISTRY["PLAUSIBLE_SYSTOLIC_BELOW"].source.grade is Grade.PRIMARY
    with pytest.raises(InvalidClinicalInput) as excinfo:
        patient(latest_systolic_mmhg=int(systolic.high))
    assert excinfo.value.code == "systolic_out_of_range"
    assert "below 400 mmHg" in str(excinfo.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"exclusions": frozenset({"pregnancy"})},
        {"exclusions": {Caution.PREGNANCY}},
        {"trd_min_adequate_failed_trials": 0},
        {"cssrs_max_age_days": 0},
        {"require_trd": "yes"},
        {"bp_caution_systolic_above_mmhg": None},
    ],
)
def test_malformed_policy_is_invalid_input(changes):
    with pytest.raises(InvalidClinicalInput) as excinfo:
        EligibilityPolicy(**changes)
    assert excinfo.value.code == "policy_invalid"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"risk": "high"}, "cssrs_risk_invalid"),
        ({"assessed_at": datetime(2025, 3, 1)}, "datetime_not_timezone_aware"),
    ],
)
def test_malformed_cssrs_screen_is_invalid_input(changes, code):
    fields = {"risk": CssrsRisk.LOW, "assessed_at": AS_OF} | changes
    with pytest.raises(InvalidClinicalInput) as excinfo:
        CssrsScreen(**fields)
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("heavy_days", "drug_times", "code"),
    [
        (-1, 0, "substance_screen_alcohol_invalid"),
        (367, 0, "substance_screen_alcohol_invalid"),
        (0, -1, "substance_screen_drug_invalid"),
        (0, True, "substance_screen_drug_invalid"),
    ],
)
def test_malformed_substance_screen_is_invalid_input(heavy_days, drug_times, code):
    with pytest.raises(InvalidClinicalInput) as excinfo:
        SubstanceUseScreen(heavy_days, drug_times, AS_OF)
    assert excinfo.value.code == code
