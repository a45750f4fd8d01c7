"""Kaplan-Meier product-limit estimate (Kaplan & Meier 1958), checked against the classic
6-MP arm of the Freireich et al. (1963) remission-duration trial as worked by hand in
Kleinbaum & Klein, Survival Analysis: A Self-Learning Text, chapter 2 (weeks; + = censored):
6, 6, 6, 6+, 7, 9+, 10, 10+, 11+, 13, 16, 17+, 19+, 20+, 22, 23, 25+, 32+, 32+, 34+, 35+."""

import pytest

from ketacare.analytics import kaplan_meier
from ketacare.clinical.errors import InvalidClinicalInput

SIX_MP = [
    (6, True), (6, True), (6, True), (6, False), (7, True), (9, False), (10, True),
    (10, False), (11, False), (13, True), (16, True), (17, False), (19, False), (20, False),
    (22, True), (23, True), (25, False), (32, False), (32, False), (34, False), (35, False),
]  # fmt: skip


def test_six_mp_arm_reproduces_the_textbook_curve():
    curve = kaplan_meier([t for t, _ in SIX_MP], [e for _, e in SIX_MP])
    # t=6:  21 at risk, 3 events -> 18/21              = 0.8571
    # t=7:  17 at risk (3 events, 1 censored at 6)     -> 0.8571 * 16/17 = 0.8067
    # t=10: 15 at risk (7 event, 9+ censored)          -> 0.8067 * 14/15 = 0.7529
    # t=13: 12 at risk (10, 10+, 11+ gone)             -> 0.7529 * 11/12 = 0.6902
    # t=16: 11 at risk                                 -> 0.6902 * 10/11 = 0.6275
    # t=22: 7 at risk (16, 17+, 19+, 20+ gone)         -> 0.6275 * 6/7   = 0.5378
    # t=23: 6 at risk                                  -> 0.5378 * 5/6   = 0.4482
    assert curve.times == (6, 7, 10, 13, 16, 22, 23)
    assert curve.at_risk == (21, 17, 15, 12, 11, 7, 6)
    assert curve.events == (3, 1, 1, 1, 1, 1, 1)
    assert curve.survival == pytest.approx(
        [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482], abs=1e-4
    )
    assert curve.median() == 23  # first time S(t) <= 0.5


def test_no_events_gives_an_empty_curve_and_no_median():
    curve = kaplan_meier([5, 9], [False, False])
    assert curve.times == ()
    assert curve.median() is None
    assert curve.subjects == 2


def test_a_censoring_tied_with_an_event_is_still_at_risk_at_that_event():
    # t=4: both at risk, 1 event -> S = 1/2
    curve = kaplan_meier([4, 4], [True, False])
    assert curve.at_risk == (2,)
    assert curve.survival == (0.5,)


@pytest.mark.parametrize(
    ("durations", "events"), [([1, 2], [True]), ([-1], [True])], ids=["lengths", "negative"]
)
def test_bad_input_is_refused(durations, events):
    with pytest.raises(InvalidClinicalInput):
        kaplan_meier(durations, events)
