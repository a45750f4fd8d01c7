"""TRD count: adequate failed antidepressants in the current episode (S56a, citing Gaynes)."""

from dataclasses import replace
from decimal import Decimal

import pytest

from ketacare.clinical.eligibility.trd import (
    TRD_MIN_ADEQUATE_FAILED_TRIALS,
    Adherence,
    AntidepressantTrial,
    TrialOutcome,
    augmentation_failed_in_current_episode,
    count_adequate_failed_trials,
    is_treatment_resistant,
)
from ketacare.clinical.errors import InvalidClinicalInput


def failed_trial(drug: str = "sertraline", **changes) -> AntidepressantTrial:
    trial = AntidepressantTrial(
        drug=drug,
        dose_mg_per_day=Decimal("150"),
        weeks=8,
        adherence=Adherence.GOOD,
        adequate=True,
        outcome=TrialOutcome.NO_RESPONSE,
        augmentation=False,
        in_current_episode=True,
    )
    return replace(trial, **changes)


def test_trd_minimum_is_two_antidepressants():
    assert TRD_MIN_ADEQUATE_FAILED_TRIALS == 2


# Boundary table, S56a: TRD = inadequate response to >= 2 adequate antidepressant trials.
@pytest.mark.parametrize(
    ("failed_count", "resistant"),
    [(1, False), (2, True), (3, True)],
)
def test_treatment_resistance_boundary(failed_count, resistant):
    trials = [failed_trial(f"drug-{i}") for i in range(failed_count)]
    assert count_adequate_failed_trials(trials) == failed_count
    assert is_treatment_resistant(trials) is resistant


def test_partial_response_counts_as_a_failed_trial():
    trials = [
        failed_trial("sertraline"),
        failed_trial("venlafaxine", outcome=TrialOutcome.PARTIAL_RESPONSE),
    ]
    assert count_adequate_failed_trials(trials) == 2


@pytest.mark.parametrize(
    "not_counted",
    [
        {"outcome": TrialOutcome.RESPONSE},
        {"outcome": TrialOutcome.INTOLERANCE},
        {"adequate": False},
        {"in_current_episode": False},
        {"augmentation": True},
    ],
    ids=["response", "intolerance", "inadequate", "previous_episode", "augmentation_agent"],
)
def test_trials_that_do_not_count_towards_trd(not_counted):
    trials = [failed_trial("sertraline"), failed_trial("bupropion", **not_counted)]
    assert count_adequate_failed_trials(trials) == 1
    assert is_treatment_resistant(trials) is False


def test_a_retrial_of_the_same_drug_counts_once():
    trials = [failed_trial("Sertraline"), failed_trial(" sertraline ", weeks=10)]
    assert count_adequate_failed_trials(trials) == 1


def test_adequacy_is_the_clinicians_judgment_not_computed_from_weeks():
    # Two weeks at a low dose, but recorded as adequate by the clinician: it counts.
    short = failed_trial("mirtazapine", weeks=2, dose_mg_per_day=Decimal("15"))
    assert count_adequate_failed_trials([short]) == 1


def test_failed_augmentation_in_current_episode_is_reported_for_staging():
    lithium = failed_trial("lithium", augmentation=True)
    assert augmentation_failed_in_current_episode([failed_trial(), lithium]) is True
    assert augmentation_failed_in_current_episode([failed_trial()]) is False


def test_no_trials_is_not_treatment_resistant():
    assert count_adequate_failed_trials([]) == 0
    assert is_treatment_resistant(()) is False


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"drug": " "}, "trial_drug_missing"),
        ({"dose_mg_per_day": Decimal("0")}, "trial_dose_invalid"),
        ({"dose_mg_per_day": 150.0}, "trial_dose_invalid"),
        ({"dose_mg_per_day": Decimal("NaN")}, "trial_dose_invalid"),
        ({"weeks": -1}, "trial_weeks_invalid"),
        ({"adherence": "good"}, "trial_adherence_invalid"),
        ({"outcome": "failed"}, "trial_outcome_invalid"),
        ({"adequate": None}, "trial_flag_invalid"),
    ],
)
def test_malformed_trial_is_invalid_input(changes, code):
    with pytest.raises(InvalidClinicalInput) as excinfo:
        failed_trial(**changes)
    assert excinfo.value.code == code


def test_trd_minimum_below_one_is_invalid_input():
    with pytest.raises(InvalidClinicalInput) as excinfo:
        is_treatment_resistant([failed_trial()], min_adequate_failed_trials=0)
    assert excinfo.value.code == "trd_minimum_invalid"


def test_trial_list_with_a_foreign_record_is_invalid_input():
    with pytest.raises(InvalidClinicalInput) as excinfo:
        count_adequate_failed_trials([failed_trial(), "fluoxetine"])
    assert excinfo.value.code == "trials_invalid"
