"""Outcome status scenarios: baseline choice, response/remission cutoffs, rapid and sustained
response, relapse, worsening and the futility review (clinical reference §4.6, rules 19, 24, 25)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import (
    AssessmentContext,
    DoseEvent,
    OutcomePolicy,
    OutcomeStatus,
    ScoreObservation,
    assess_outcomes,
)
from ketacare.clinical.outcomes.definitions import meets_response

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # first dose
POLICY = OutcomePolicy()
KETECT = replace(POLICY, madrs_remission_max_total=10)


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def score(instrument, total, when, context=AssessmentContext.FOLLOW_UP, oid=None):
    return ScoreObservation(instrument, total, when, context, frozenset(), oid)


def base(instrument, total, when=None):
    return score(instrument, total, when or at(-1), AssessmentContext.BASELINE, "baseline")


def doses(*days: float) -> list[DoseEvent]:
    return [DoseEvent(at(d), f"dose-{i + 1}") for i, d in enumerate(days)]


def outcome(observations, dose_list, policy=POLICY, as_of=None, instrument=None):
    latest = max([o.taken_at for o in observations] + [d.given_at for d in dose_list])
    result = assess_outcomes(observations, dose_list, policy, as_of=as_of or latest)
    return result.for_instrument(instrument or observations[0].instrument)


# Response = >=50% reduction from baseline (ELEKT-D, SUSTAIN-3). Exact arithmetic, scale-free:
# baseline 100 -> 51 is 49%, 50 is 50%, 49 is 51%.
@pytest.mark.parametrize(("latest", "responds"), [(51, False), (50, True), (49, True)])
def test_response_needs_at_least_fifty_percent_reduction(latest, responds):
    assert meets_response(100, latest, POLICY) is responds


# Through the engine on real MADRS totals: baseline 50 -> 26 is 48% (partial), 25 is 50%,
# 24 is 52% (responding; both above the remission cutoff of 12).
@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        (26, OutcomeStatus.PARTIAL_RESPONSE),
        (25, OutcomeStatus.RESPONDING),
        (24, OutcomeStatus.RESPONDING),
    ],
)
def test_madrs_response_boundary_on_a_baseline_of_fifty(latest, expected):
    result = outcome([base("madrs", 50), score("madrs", latest, at(7))], doses(0))
    assert result.status is expected


# Partial response = 30-49% (PMC6690210 Table 3): baseline 20 -> 15 is 25% (non-response),
# 14 is 30% (partial).
@pytest.mark.parametrize(
    ("latest", "expected"),
    [(15, OutcomeStatus.NON_RESPONSE), (14, OutcomeStatus.PARTIAL_RESPONSE)],
)
def test_partial_response_starts_at_thirty_percent(latest, expected):
    result = outcome([base("phq9", 20), score("phq9", latest, at(7))], doses(0))
    assert result.status is expected


# PHQ-9 remission <5 (SUSTAIN-3 Table 3): 4 remits, 5 does not (baseline 20 -> 5 is 75%).
@pytest.mark.parametrize(
    ("latest", "expected"),
    [(4, OutcomeStatus.REMISSION), (5, OutcomeStatus.RESPONDING)],
)
def test_phq9_remission_cutoff_is_below_five(latest, expected):
    result = outcome([base("phq9", 20), score("phq9", latest, at(14))], doses(0))
    assert result.status is expected


# QIDS-SR16 remission <=5 (STAR*D convention, S37d).
@pytest.mark.parametrize(
    ("latest", "expected"),
    [(5, OutcomeStatus.REMISSION), (6, OutcomeStatus.RESPONDING)],
)
def test_qids_remission_cutoff_is_five_or_less(latest, expected):
    result = outcome([base("qids_sr16", 20), score("qids_sr16", latest, at(14))], doses(0))
    assert result.status is expected


# MADRS remission: <=12 esketamine programme (S35/S36b, default) or <=10 KetECT (S17).
# Baseline 40, so 13 is a 67.5% reduction (responding).
@pytest.mark.parametrize(
    ("latest", "default_status", "ketect_status"),
    [
        (10, OutcomeStatus.REMISSION, OutcomeStatus.REMISSION),
        (11, OutcomeStatus.REMISSION, OutcomeStatus.RESPONDING),
        (12, OutcomeStatus.REMISSION, OutcomeStatus.RESPONDING),
        (13, OutcomeStatus.RESPONDING, OutcomeStatus.RESPONDING),
    ],
)
def test_madrs_remission_under_esketamine_and_ketect_cutoffs(latest, default_status, ketect_status):
    observations = [base("madrs", 40), score("madrs", latest, at(14))]
    assert outcome(observations, doses(0), POLICY).status is default_status
    ketect = outcome(observations, doses(0), KETECT)
    assert ketect.status is ketect_status
    if ketect_status is OutcomeStatus.REMISSION:
        assert ketect.reason.source.key == "S17"


# Rapid response at 24 h (Murrough 2013 primary endpoint): the window is inclusive.
@pytest.mark.parametrize(
    ("hours", "minutes", "rapid_24h"),
    [(23, 59, True), (24, 0, True), (24, 1, False)],
)
def test_rapid_response_within_24_hours_of_first_dose(hours, minutes, rapid_24h):
    post = score("madrs", 15, at(hours=hours, minutes=minutes), AssessmentContext.POST_DOSE, "p1")
    result = outcome([base("madrs", 34), post], doses(0))
    assert result.has_flag("rapid_response_24h") is rapid_24h
    assert result.has_flag("rapid_response_1w")  # all three are inside one week
    if rapid_24h:
        assert result.flag("rapid_response_24h").evidence[-1] == post


def test_rapid_response_one_week_window_is_inclusive():
    on_day_7 = outcome([base("madrs", 34), score("madrs", 15, at(7))], doses(0))
    after = outcome([base("madrs", 34), score("madrs", 15, at(7, minutes=1))], doses(0))
    assert on_day_7.has_flag("rapid_response_1w")
    assert not after.has_flag("rapid_response_1w")


def test_without_a_pretreatment_score_there_is_no_baseline():
    result = outcome([score("phq9", 8, at(3))], doses(0))
    assert result.status is OutcomeStatus.NO_BASELINE
    assert result.reason.code == "no_baseline"


def test_baseline_only_means_not_yet_assessed():
    result = outcome([base("phq9", 18)], doses(0))
    assert result.status is OutcomeStatus.NOT_YET_ASSESSED
    assert result.baseline.total == 18


def test_baseline_prefers_the_last_baseline_context_score_before_the_first_dose():
    screening = score("phq9", 22, at(-14), AssessmentContext.BASELINE)
    marked = score("phq9", 20, at(-3), AssessmentContext.BASELINE)
    predose = score("phq9", 19, at(hours=-1), AssessmentContext.PRE_DOSE)
    result = outcome([screening, marked, predose, score("phq9", 10, at(7))], doses(0))
    assert result.baseline == marked


def test_without_a_baseline_context_the_earliest_pretreatment_score_is_used():
    first = score("phq9", 21, at(-7), AssessmentContext.PRE_DOSE)
    later = score("phq9", 19, at(hours=-1), AssessmentContext.PRE_DOSE)
    result = outcome([first, later, score("phq9", 10, at(7))], doses(0))
    assert result.baseline == first


def test_baseline_of_zero_cannot_show_change():
    result = outcome([base("phq9", 0), score("phq9", 3, at(7))], doses(0))
    assert result.status is OutcomeStatus.NO_BASELINE
    assert result.reason.code == "baseline_score_zero"


def test_responder_who_remits_over_three_weeks():
    # MADRS baseline 34; twice-weekly sessions. Day 1: 20 (-41.2%), day 7: 16 (-52.9%),
    # day 14: 10 (remission, <=12), day 21: 8 (-76.5%).
    series = [
        base("madrs", 34),
        score("madrs", 20, at(1), AssessmentContext.POST_DOSE),
        score("madrs", 16, at(7), AssessmentContext.PRE_DOSE),
        score("madrs", 10, at(14), AssessmentContext.PRE_DOSE),
        score("madrs", 8, at(21), AssessmentContext.FOLLOW_UP),
    ]
    result = outcome(series, doses(0, 3, 7, 10, 14, 17))
    assert result.status is OutcomeStatus.REMISSION
    assert str(result.percent_change) == "-76.5"
    assert not result.has_flag("rapid_response_24h")
    assert result.has_flag("rapid_response_1w")  # day 7 at 09:00 is exactly one week
    assert result.has_flag("sustained_response")  # 10 and 8 both >= 50% below 34
    assert not result.has_flag("futility_review_due")
    assert result.series == tuple(series)


def test_non_responder_after_three_sessions_prompts_a_futility_review():
    # PHQ-9 baseline 20 -> 18, 17, 16 (-20%): no response after 3 infusions (Sanacora, S14b).
    series = [
        base("phq9", 20),
        score("phq9", 18, at(1)),
        score("phq9", 17, at(3)),
        score("phq9", 16, at(5), oid="after-third"),
    ]
    result = outcome(series, doses(0, 2, 4))
    assert result.status is OutcomeStatus.NON_RESPONSE
    flag = result.flag("futility_review_due")
    assert flag is not None
    assert flag.reason.source.key == "S14b"
    assert dict(flag.reason.data)["doses_given"] == 3
    assert series[-1] in flag.evidence


def test_two_sessions_without_response_are_too_early_for_a_futility_review():
    series = [base("phq9", 20), score("phq9", 18, at(1)), score("phq9", 17, at(3))]
    assert not outcome(series, doses(0, 2)).has_flag("futility_review_due")


def test_futility_review_waits_for_an_assessment_after_the_third_session():
    series = [base("phq9", 20), score("phq9", 18, at(1)), score("phq9", 17, at(3))]
    result = outcome(series, doses(0, 2, 4), as_of=at(4, hours=3))
    assert not result.has_flag("futility_review_due")


def test_a_response_at_any_point_prevents_the_futility_review():
    series = [base("phq9", 20), score("phq9", 10, at(1)), score("phq9", 16, at(5))]
    assert not outcome(series, doses(0, 2, 4)).has_flag("futility_review_due")


def _relapse_course(first, second, gap_days=7):
    return [
        base("madrs", 36),
        score("madrs", 12, at(7), oid="remitted"),
        score("madrs", first, at(28), oid="r1"),
        score("madrs", second, at(28 + gap_days), oid="r2"),
    ]


# Relapse: MADRS >=22 on 2 consecutive assessments after response/remission
# (relapse-prevention trial criteria, Ther Adv Psychopharmacol 2021 Table 1).
@pytest.mark.parametrize(
    ("first", "second", "relapse"),
    [(21, 21, False), (21, 22, False), (22, 21, False), (22, 22, True), (30, 25, True)],
)
def test_madrs_relapse_needs_two_consecutive_scores_of_22_or_more(first, second, relapse):
    result = outcome(_relapse_course(first, second), doses(0, 3, 7, 21, 35))
    assert (result.status is OutcomeStatus.RELAPSE) is relapse


def test_relapse_reason_cites_the_remission_and_the_confirming_scores():
    result = outcome(_relapse_course(24, 26), doses(0, 3, 7, 21, 35))
    assert result.status is OutcomeStatus.RELAPSE
    refs = dict(result.reason.data)["observations"]
    cited_ids = [dict(ref)["observation_id"] for ref in refs]
    assert cited_ids == ["baseline", "remitted", "r1", "r2"]


def test_a_single_score_of_22_after_remission_is_not_yet_relapse():
    series = [base("madrs", 36), score("madrs", 12, at(7)), score("madrs", 24, at(28))]
    assert outcome(series, doses(0, 7)).status is not OutcomeStatus.RELAPSE


def test_high_scores_without_prior_response_are_not_relapse():
    series = [base("madrs", 30), score("madrs", 28, at(7)), score("madrs", 29, at(14))]
    assert outcome(series, doses(0, 3, 7)).status is OutcomeStatus.NON_RESPONSE


# SUSTAIN-1-style spacing (memory-only, so opt-in): confirmations 5-15 days apart.
@pytest.mark.parametrize(("gap_days", "relapse"), [(4, False), (5, True), (15, True), (16, False)])
def test_relapse_confirmation_spacing_when_a_clinic_sets_it(gap_days, relapse):
    policy = replace(
        POLICY,
        relapse_confirmation_min_gap=timedelta(days=5),
        relapse_confirmation_max_gap=timedelta(days=15),
    )
    result = outcome(_relapse_course(24, 24, gap_days), doses(0, 3, 7, 21), policy)
    assert (result.status is OutcomeStatus.RELAPSE) is relapse


# PHQ-9 relapse after remission: back to >=10 (moderate band, Kroenke 2001) twice.
@pytest.mark.parametrize(("total", "relapse"), [(9, False), (10, True)])
def test_phq9_relapse_threshold_is_the_moderate_band(total, relapse):
    series = [
        base("phq9", 18),
        score("phq9", 3, at(7)),
        score("phq9", total, at(28)),
        score("phq9", total, at(35)),
    ]
    assert (outcome(series, doses(0, 7)).status is OutcomeStatus.RELAPSE) is relapse


def test_relapser_trajectory_through_maintenance():
    # MADRS 32 -> 14 (day 3, -56%) -> 10 (day 14, remission) -> 12 -> 24 -> 26: relapse.
    series = [
        base("madrs", 32),
        score("madrs", 14, at(3)),
        score("madrs", 10, at(14)),
        score("madrs", 12, at(21)),
        score("madrs", 24, at(35)),
        score("madrs", 26, at(42)),
    ]
    result = outcome(series, doses(0, 2, 4, 7, 9, 11, 21))
    assert result.status is OutcomeStatus.RELAPSE
    assert result.evidence[1] == series[1]  # first response, day 3
    assert result.evidence[-2:] == tuple(series[-2:])
    assert not result.has_flag("sustained_response")


# Worsening: >=20% increase (Kounali MCID) and, for PHQ-9, >=2 points.
# Baseline 10 -> 12 is +20% and +2 points; 11 is +10%.
@pytest.mark.parametrize(
    ("baseline_total", "latest", "expected"),
    [
        (10, 11, OutcomeStatus.NON_RESPONSE),
        (10, 12, OutcomeStatus.WORSENING),
        (5, 6, OutcomeStatus.NON_RESPONSE),  # +20% but only 1 point
        (5, 7, OutcomeStatus.WORSENING),
    ],
)
def test_phq9_worsening_needs_twenty_percent_and_two_points(baseline_total, latest, expected):
    series = [base("phq9", baseline_total), score("phq9", latest, at(7))]
    assert outcome(series, doses(0)).status is expected


def test_gad7_is_tracked_but_not_classified_as_a_depression_outcome():
    result = assess_outcomes(
        [base("gad7", 15), score("gad7", 5, at(7))], doses(0), POLICY, as_of=at(8)
    )
    assert result.instruments == ()
    assert [f.code for f in result.not_assessed] == ["instrument_not_a_depression_outcome"]


def test_each_instrument_is_assessed_separately():
    series = [
        base("phq9", 20),
        score("phq9", 3, at(7)),
        base("madrs", 30),
        score("madrs", 25, at(7)),
    ]
    result = assess_outcomes(series, doses(0), POLICY, as_of=at(8))
    assert result.for_instrument("phq9").status is OutcomeStatus.REMISSION
    assert result.for_instrument("madrs").status is OutcomeStatus.NON_RESPONSE
    assert result.doses_given == 1


def test_scores_dated_after_as_of_are_invalid_input():
    with pytest.raises(InvalidClinicalInput) as err:
        assess_outcomes([base("phq9", 20), score("phq9", 5, at(9))], doses(0), POLICY, as_of=at(8))
    assert err.value.code == "observation_after_as_of"


def test_two_scores_of_one_instrument_at_the_same_time_are_invalid_input():
    with pytest.raises(InvalidClinicalInput) as err:
        assess_outcomes(
            [base("phq9", 20), score("phq9", 5, at(7)), score("phq9", 6, at(7))],
            doses(0),
            POLICY,
            as_of=at(8),
        )
    assert err.value.code == "duplicate_observation"


def test_naive_as_of_is_invalid_input():
    with pytest.raises(InvalidClinicalInput) as err:
        assess_outcomes([], [], POLICY, as_of=datetime(2025, 3, 3, 9, 0))
    assert err.value.code == "naive_datetime"
