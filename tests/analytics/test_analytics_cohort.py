"""Per-protocol outcomes over de-identified PHQ-9 series, with small-cell suppression
(CMS cell size suppression policy: cells of 1 to k-1 withheld, zero allowed; default k = 11)."""

import pytest

from ketacare.analytics import (
    ANALYTICS_MIN_CELL_COUNT_DEFAULT,
    PatientScores,
    ScorePoint,
    classify_patient,
    is_reportable,
    summarise_cohort,
)
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import OutcomePolicy

POLICY = OutcomePolicy()


def series(*points, code="iv_racemic", name="p"):
    """points: (day, total) pairs; day < 0 is before the first dose."""
    return PatientScores(
        name, code, tuple(ScorePoint(day, total, day < 0) for day, total in points)
    )


def test_cms_default_minimum_cell_count_is_eleven():
    assert ANALYTICS_MIN_CELL_COUNT_DEFAULT == 11


# CMS: "no cell containing a value of 1 to 10"; zero is allowed. Table at k-1, k, k+1.
@pytest.mark.parametrize(
    ("count", "reportable"), [(0, True), (1, False), (10, False), (11, True), (12, True)]
)
def test_cells_below_k_are_withheld_at_the_default_k(count, reportable):
    assert is_reportable(count, ANALYTICS_MIN_CELL_COUNT_DEFAULT) is reportable


def test_responder_remitter_and_relapse_days_follow_the_outcome_policy():
    # baseline 20 (day -2). Response needs 100*t <= 50*20 -> t <= 10: first on day 14 (t=9).
    # Remission needs t <= 4 (policy): day 21. Relapse needs the policy's consecutive run of
    # totals >= its relapse threshold after response; relapse day = first score of the run.
    high = POLICY.phq9_relapse_min_total
    run = [(28 + 7 * i, high) for i in range(POLICY.relapse_min_consecutive)]
    outcome = classify_patient(series((-2, 20), (7, 15), (14, 9), (21, 4), *run), POLICY)
    assert outcome.baseline_total == 20
    assert outcome.response_day == 14
    assert outcome.remission_day == 21
    assert outcome.relapse_day == 28
    assert outcome.last_day == run[-1][0]


def test_a_patient_without_a_pre_dose_score_is_not_measured():
    outcome = classify_patient(series((3, 5), (10, 4)))
    assert not outcome.measured
    assert outcome.response_day is None


def _cohort(responders: int, non_responders: int, code="iv_racemic"):
    rows = [series((-1, 20), (7, 8), (14, 8), code=code, name=f"r{i}") for i in range(responders)]
    rows += [series((-1, 20), (7, 18), code=code, name=f"n{i}") for i in range(non_responders)]
    return rows


@pytest.mark.parametrize(
    ("responders", "shown"), [(4, False), (5, True), (6, True)], ids=["k-1", "k", "k+1"]
)
def test_responder_count_below_k_is_suppressed_with_its_rate(responders, shown):
    k = 5
    summary = summarise_cohort(_cohort(responders, 10), min_cell_count=k).protocols[0]
    assert summary.measured == responders + 10
    if shown:
        assert summary.response.count == responders
        assert summary.response.interval is not None
        assert "response" not in summary.suppressed
    else:
        assert summary.response.count is None
        assert summary.response.interval is None
        assert "response" in summary.suppressed


@pytest.mark.parametrize(("size", "shown"), [(4, False), (5, True), (6, True)])
def test_a_protocol_group_smaller_than_k_shows_no_counts(size, shown):
    summary = summarise_cohort(_cohort(size, 0), min_cell_count=5).protocols[0]
    assert (summary.patients is not None) is shown
    assert (summary.measured is not None) is shown


def test_the_complement_of_a_rate_is_a_cell_too():
    # 12 measured, 11 responders: the one non-responder could be derived, so withhold.
    summary = summarise_cohort(_cohort(11, 1), min_cell_count=2).protocols[0]
    assert summary.response.count is None


def test_durability_curve_stops_where_fewer_than_k_remain_at_risk():
    # 6 responders (day 7), relapse onset on days 21, 28, 35, 42 for four; two censored at 14.
    high = POLICY.phq9_relapse_min_total
    n = POLICY.relapse_min_consecutive
    rows = []
    for i, onset in enumerate([21, 28, 35, 42]):
        rows.append(series((-1, 20), (7, 5), *[(onset + j, high) for j in range(n)], name=f"x{i}"))
    rows += [series((-1, 20), (7, 5), (14, 5), name=f"c{i}") for i in range(2)]
    summary = summarise_cohort(rows, min_cell_count=3).protocols[0]
    # durations from response (day 7): 14, 21, 28, 35 (events), 7, 7 (censored)
    # t=14: 4 at risk -> 3/4; t=21: 3 at risk -> 0.5; t=28: 2 at risk (cut: below k=3)
    curve = summary.relapse_free_curve
    assert curve.times == (14, 21)
    assert curve.survival == pytest.approx([0.75, 0.5])
    assert summary.median_relapse_free_days == 21
    assert summary.median_days_to_response == 7


def test_protocols_are_summarised_separately():
    rows = _cohort(3, 3, code="a") + _cohort(2, 2, code="b")
    codes = [p.protocol_code for p in summarise_cohort(rows, min_cell_count=1).protocols]
    assert codes == ["a", "b"]


@pytest.mark.parametrize("k", [0, -1])
def test_minimum_cell_count_below_one_is_refused(k):
    with pytest.raises(InvalidClinicalInput):
        summarise_cohort([], min_cell_count=k)
