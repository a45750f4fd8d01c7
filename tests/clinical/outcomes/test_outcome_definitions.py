"""Input validation and policy defaults for the outcomes engine."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import AssessmentContext, DoseEvent, OutcomePolicy, ScoreObservation

WHEN = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


# Totals: PHQ-9 0-27 (S33), MADRS 0-60 (S36), QIDS-SR16 0-27 (S37a), GAD-7 0-21 (S38a).
@pytest.mark.parametrize(
    ("instrument", "maximum"), [("phq9", 27), ("madrs", 60), ("qids_sr16", 27), ("gad7", 21)]
)
def test_totals_outside_the_scale_are_invalid_input(instrument, maximum):
    ScoreObservation(instrument, maximum, WHEN, AssessmentContext.BASELINE)
    ScoreObservation(instrument, 0, WHEN, AssessmentContext.BASELINE)
    for bad in (-1, maximum + 1):
        with pytest.raises(InvalidClinicalInput) as err:
            ScoreObservation(instrument, bad, WHEN, AssessmentContext.BASELINE)
        assert err.value.code == "score_total_out_of_range"


def test_unknown_instrument_is_invalid_input():
    with pytest.raises(InvalidClinicalInput) as err:
        ScoreObservation("hamd17", 10, WHEN, AssessmentContext.BASELINE)
    assert err.value.code == "unknown_instrument"


def test_naive_times_are_invalid_input():
    with pytest.raises(InvalidClinicalInput):
        ScoreObservation("phq9", 10, datetime(2025, 3, 3), AssessmentContext.BASELINE)
    with pytest.raises(InvalidClinicalInput):
        DoseEvent(datetime(2025, 3, 3))


def test_default_policy_uses_the_cited_cutoffs():
    policy = OutcomePolicy()
    assert policy.response_min_reduction_pct == Decimal("50")
    assert policy.remission_max_total("phq9") == 4
    assert policy.remission_max_total("madrs") == 12
    assert policy.remission_max_total("qids_sr16") == 5
    assert policy.remission_max_total("gad7") is None  # not a depression outcome
    assert policy.relapse_min_total("madrs") == 22


def test_partial_response_threshold_must_be_below_response():
    with pytest.raises(InvalidClinicalInput) as err:
        replace(OutcomePolicy(), partial_response_min_reduction_pct=Decimal("50"))
    assert err.value.code == "policy_partial_response_not_below_response"


def test_relapse_threshold_must_be_above_remission_cutoff():
    with pytest.raises(InvalidClinicalInput) as err:
        replace(OutcomePolicy(), madrs_relapse_min_total=12)
    assert err.value.code == "policy_relapse_cutoff_out_of_range"
