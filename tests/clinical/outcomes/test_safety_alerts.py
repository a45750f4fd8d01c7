"""Safety alerts from a new score: suicidality items, C-SSRS risk and sharp worsening
(rules 22 and 23). Every alert requires same-day clinician review."""

from datetime import UTC, datetime, timedelta

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import (
    AlertSeverity,
    AssessmentContext,
    OutcomePolicy,
    ScoreObservation,
    safety_alerts_for,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
POLICY = OutcomePolicy()


def score(instrument, total, day=0, flags=()):
    return ScoreObservation(
        instrument, total, T0 + timedelta(days=day), AssessmentContext.PRE_DOSE, frozenset(flags)
    )


def codes(alerts):
    return [a.code for a in alerts]


def test_phq9_item9_positive_raises_a_same_day_review_and_prompts_cssrs():
    new = score("phq9", 12, flags={"phq9_item9_positive"})
    (alert,) = safety_alerts_for(new, None, POLICY)
    assert alert.code == "phq9_item9_positive"
    assert alert.severity is AlertSeverity.HIGH
    assert alert.requires_same_day_review
    assert "C-SSRS" in alert.message
    assert alert.source.key == "S33c"
    assert alert.observation == new


def test_phq9_without_the_item9_flag_raises_nothing():
    assert safety_alerts_for(score("phq9", 12), None, POLICY) == ()


def test_qids_item12_positive_raises_a_same_day_review():
    new = score("qids_sr16", 9, flags={"qids_item12_positive"})
    (alert,) = safety_alerts_for(new, None, POLICY)
    assert alert.code == "qids_item12_positive"
    assert alert.requires_same_day_review


def test_cssrs_high_risk_requires_a_safety_assessment_before_the_session():
    new = score("cssrs", 4, flags={"cssrs_high_risk", "cssrs_positive_screen"})
    (alert,) = safety_alerts_for(new, None, POLICY)  # high risk supersedes positive screen
    assert alert.code == "cssrs_high_risk"
    assert alert.severity is AlertSeverity.CRITICAL
    assert alert.requires_safety_assessment_before_session
    assert alert.requires_same_day_review


def test_cssrs_positive_screen_below_high_risk_needs_same_day_review_only():
    (alert,) = safety_alerts_for(score("cssrs", 1, flags={"cssrs_positive_screen"}), None, POLICY)
    assert alert.code == "cssrs_positive_screen"
    assert alert.severity is AlertSeverity.HIGH
    assert not alert.requires_safety_assessment_before_session


# Sharp worsening vs the previous score: >=20% (Kounali MCID) and, for PHQ-9, >=2 points.
# 10 -> 11 is +10% / +1; 10 -> 12 is +20% / +2; 10 -> 13 is +30% / +3.
@pytest.mark.parametrize(("latest", "alerted"), [(11, False), (12, True), (13, True)])
def test_phq9_sharp_worsening_against_the_previous_score(latest, alerted):
    alerts = safety_alerts_for(score("phq9", latest, 7), score("phq9", 10, 0), POLICY)
    assert ("sharp_worsening" in codes(alerts)) is alerted


# MADRS has no cited point floor: 20 -> 23 is +15%, 20 -> 24 is +20%.
@pytest.mark.parametrize(("latest", "alerted"), [(23, False), (24, True)])
def test_madrs_sharp_worsening_uses_the_percentage_alone(latest, alerted):
    alerts = safety_alerts_for(score("madrs", latest, 7), score("madrs", 20, 0), POLICY)
    assert ("sharp_worsening" in codes(alerts)) is alerted


def test_worsening_against_baseline_when_the_previous_score_was_higher():
    baseline, previous, new = score("phq9", 10, -7), score("phq9", 14, 0), score("phq9", 12, 7)
    (alert,) = safety_alerts_for(new, previous, POLICY, baseline=baseline)
    assert alert.code == "sharp_worsening"
    assert alert.compared_with == baseline
    assert alert.severity is AlertSeverity.WARNING


def test_item9_and_worsening_both_alert():
    new = score("phq9", 15, 7, flags={"phq9_item9_positive"})
    alerts = safety_alerts_for(new, score("phq9", 10, 0), POLICY)
    assert codes(alerts) == ["phq9_item9_positive", "sharp_worsening"]
    assert all(a.requires_same_day_review for a in alerts)


def test_gad7_rise_is_not_a_depression_worsening_alert():
    assert safety_alerts_for(score("gad7", 15, 7), score("gad7", 5, 0), POLICY) == ()


def test_comparison_with_another_instrument_is_invalid_input():
    with pytest.raises(InvalidClinicalInput) as err:
        safety_alerts_for(score("phq9", 15, 7), score("madrs", 10, 0), POLICY)
    assert err.value.code == "comparison_instrument_mismatch"


def test_previous_score_dated_after_the_new_one_is_invalid_input():
    with pytest.raises(InvalidClinicalInput) as err:
        safety_alerts_for(score("phq9", 15, 0), score("phq9", 10, 7), POLICY)
    assert err.value.code == "comparison_not_earlier"
