"""Maintenance timing from observed durability: schedule before the expected loss, clamp to
protocol bounds, flag shortening durability, and fall back when history is short.

Rule (product heuristic): next interval = floor(0.75 x median observed durability) days."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import (
    AssessmentContext,
    DoseEvent,
    DurabilityThreshold,
    MaintenanceBasis,
    MaintenancePolicy,
    ScoreObservation,
    esketamine_maintenance_policy,
    is_due,
    recommend_maintenance,
)

T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # last acute-series dose
IV_POLICY = MaintenancePolicy(instrument="madrs")  # no bounds, no default (S19, S24)
ESKETAMINE_WEEK_12 = esketamine_maintenance_policy(12)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def madrs(total, day, context=AssessmentContext.FOLLOW_UP):
    return ScoreObservation("madrs", total, at(day), context)


def history(durabilities, gap_after_loss=7):
    """Doses whose MADRS stays in remission (8) a week later and is lost (20 > 12) after the
    given number of days; the next dose follows ``gap_after_loss`` days after each loss."""
    doses, scores, day = [], [madrs(34, -40, AssessmentContext.BASELINE)], 0
    for d in durabilities:
        doses.append(DoseEvent(at(day)))
        scores += [madrs(8, day + 7), madrs(20, day + d)]
        day += d + gap_after_loss
    return doses, scores, at(day - gap_after_loss + 1)


def test_steady_21_day_durability_schedules_day_15():
    # median(21, 21, 21) = 21; floor(21 x 0.75) = floor(15.75) = 15 days after the last dose.
    doses, scores, as_of = history([21, 21, 21])
    rec = recommend_maintenance(scores, doses, T0, IV_POLICY, as_of=as_of)
    assert [r.duration_days for r in rec.durations] == [Decimal("21.00")] * 3
    assert rec.median_durability_days == Decimal("21.00")
    assert rec.basis is MaintenanceBasis.OBSERVED_DURABILITY
    assert rec.interval_days == 15
    assert rec.next_dose_at == doses[-1].given_at + timedelta(days=15)
    assert not rec.durability_shortening
    assert "scheduled_before_expected_loss" in rec.codes


def test_esketamine_label_caps_the_interval_at_two_weeks():
    # 15 days from durability, but the label allows at most every 2 weeks from week 9.
    doses, scores, as_of = history([21, 21, 21])
    rec = recommend_maintenance(scores, doses, T0, ESKETAMINE_WEEK_12, as_of=as_of)
    assert rec.interval_days == 14
    assert "clamped_to_maximum_interval" in rec.codes
    clamp = next(r for r in rec.reasons if r.code == "clamped_to_maximum_interval")
    assert clamp.source.key == "S2,S3"


def test_short_durability_is_clamped_to_weekly_for_esketamine():
    # median(5, 5) = 5; floor(3.75) = 3 days -> raised to the label's weekly minimum.
    doses, scores, as_of = history([5, 5], gap_after_loss=2)
    scores = [s for s in scores if s.total != 8]  # no in-remission score 7 days after
    rec = recommend_maintenance(scores, doses, T0, ESKETAMINE_WEEK_12, as_of=as_of)
    assert rec.interval_days == 7
    assert "clamped_to_minimum_interval" in rec.codes


def test_clinic_bounds_clamp_iv_maintenance():
    doses, scores, as_of = history([21, 21, 21])
    policy = MaintenancePolicy(instrument="madrs", min_interval_days=7, max_interval_days=10)
    rec = recommend_maintenance(scores, doses, T0, policy, as_of=as_of)
    assert rec.interval_days == 10
    assert rec.reasons[-1].source is None  # clinic-set bounds carry no citation


# Shortening: last 3 observed durabilities strictly falling and the last >=25% shorter.
# 28, 21, 14: 14 <= 0.75 x 28 = 21 -> flag. 28, 24, 22: 22 > 21 -> no flag.
@pytest.mark.parametrize(
    ("durabilities", "shortening"),
    [([28, 21, 14], True), ([28, 24, 22], False), ([21, 21, 21], False), ([14, 21, 28], False)],
)
def test_durability_shortening_flag(durabilities, shortening):
    doses, scores, as_of = history(durabilities)
    rec = recommend_maintenance(scores, doses, T0, IV_POLICY, as_of=as_of)
    assert rec.durability_shortening is shortening
    assert ("durability_shortening" in rec.codes) is shortening


def test_shortening_28_21_14_still_schedules_from_the_median():
    # median(28, 21, 14) = 21 -> 15 days.
    doses, scores, as_of = history([28, 21, 14])
    rec = recommend_maintenance(scores, doses, T0, IV_POLICY, as_of=as_of)
    assert rec.interval_days == 15


def test_one_observed_loss_is_insufficient_history_and_uses_the_default():
    doses, scores, as_of = history([21])
    rec = recommend_maintenance(scores, doses, T0, ESKETAMINE_WEEK_12, as_of=as_of)
    assert "insufficient_history" in rec.codes
    assert rec.basis is MaintenanceBasis.DEFAULT_INTERVAL
    assert rec.interval_days == 7


def test_without_a_default_interval_a_clinician_sets_the_date():
    doses, scores, as_of = history([21])
    rec = recommend_maintenance(scores, doses, T0, IV_POLICY, as_of=as_of)
    assert rec.next_dose_at is None
    assert rec.basis is MaintenanceBasis.NONE
    assert rec.codes[-2:] == ("insufficient_history", "no_default_interval")


def test_benefit_outlasting_every_interval_keeps_the_last_interval():
    # Doses every 14 days; MADRS stays at 8 before each next dose: censored, no loss seen.
    doses = [DoseEvent(at(d)) for d in (0, 14, 28)]
    scores = [madrs(34, -40, AssessmentContext.BASELINE)] + [
        madrs(8, d, AssessmentContext.PRE_DOSE) for d in (13, 27)
    ]
    rec = recommend_maintenance(scores, doses, T0, IV_POLICY, as_of=at(30))
    assert [r.censored for r in rec.durations] == [True, True, True]
    assert rec.basis is MaintenanceBasis.DURABILITY_EXCEEDS_INTERVAL
    assert rec.interval_days == 14
    assert "no_loss_observed" in rec.codes


def test_in_session_post_dose_scores_do_not_count_as_durability():
    doses, scores, as_of = history([21, 21, 21])
    noisy = [*scores, madrs(30, 0.1, AssessmentContext.POST_DOSE)]
    rec = recommend_maintenance(noisy, doses, T0, IV_POLICY, as_of=as_of)
    assert rec.durations[0].duration_days == Decimal("21.00")


def test_doses_before_the_acute_series_ended_are_not_measured():
    doses, scores, as_of = history([21, 21, 21])
    rec = recommend_maintenance(scores, doses, at(28), IV_POLICY, as_of=as_of)
    assert len(rec.durations) == 2  # doses on days 28 and 56


def test_response_threshold_needs_a_baseline():
    doses, scores, as_of = history([21, 21])
    policy = MaintenancePolicy(instrument="madrs", threshold=DurabilityThreshold.RESPONSE)
    rec = recommend_maintenance(scores[1:], doses, T0, policy, as_of=as_of)
    assert rec.codes[0] == "no_baseline"
    assert rec.next_dose_at is None


def test_response_threshold_measures_loss_of_fifty_percent_improvement():
    # Baseline 34: 20 is a 41% reduction (response lost), 8 is 76% (response kept).
    doses, scores, as_of = history([21, 21])
    policy = MaintenancePolicy(instrument="madrs", threshold=DurabilityThreshold.RESPONSE)
    rec = recommend_maintenance(scores, doses, T0, policy, as_of=as_of)
    assert rec.interval_days == 15


@pytest.mark.parametrize(("offset_minutes", "due"), [(-1, False), (0, True), (1, True)])
def test_is_due_from_the_recommended_date(offset_minutes, due):
    doses, scores, as_of = history([21, 21, 21])
    rec = recommend_maintenance(scores, doses, T0, IV_POLICY, as_of=as_of)
    assert is_due(rec, rec.next_dose_at + timedelta(minutes=offset_minutes)) is due


def test_is_due_is_false_without_a_date():
    doses, scores, as_of = history([21])
    rec = recommend_maintenance(scores, doses, T0, IV_POLICY, as_of=as_of)
    assert is_due(rec, at(365)) is False


# Spravato label (S2/S3): weeks 1-4 induction; weeks 5-8 weekly; week 9+ weekly or 2-weekly.
@pytest.mark.parametrize(
    ("week", "bounds"), [(5, (7, 7)), (8, (7, 7)), (9, (7, 14)), (20, (7, 14))]
)
def test_esketamine_label_bounds_by_treatment_week(week, bounds):
    policy = esketamine_maintenance_policy(week)
    assert (policy.min_interval_days, policy.max_interval_days) == bounds
    assert policy.default_interval_days == 7


def test_esketamine_induction_weeks_are_not_maintenance():
    with pytest.raises(InvalidClinicalInput) as err:
        esketamine_maintenance_policy(4)
    assert err.value.code == "esketamine_week_is_induction"


def test_no_dose_given_is_invalid_input():
    with pytest.raises(InvalidClinicalInput) as err:
        recommend_maintenance([], [], T0, IV_POLICY, as_of=at(1))
    assert err.value.code == "no_doses"


def test_inverted_bounds_are_invalid_policy():
    with pytest.raises(InvalidClinicalInput) as err:
        MaintenancePolicy(instrument="madrs", min_interval_days=14, max_interval_days=7)
    assert err.value.code == "maintenance_bounds_inverted"


def test_gad7_cannot_time_maintenance():
    with pytest.raises(InvalidClinicalInput) as err:
        MaintenancePolicy(instrument="gad7")
    assert err.value.code == "maintenance_instrument_unsupported"
