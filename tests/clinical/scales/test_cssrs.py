"""C-SSRS screener risk levels.

HIGH: Columbia triage (S40a, S40d), yes to Q4 or Q5 in the past month or any suicidal
behaviour within 3 months. LOW and MODERATE: secondary teaching bands (S40e) and KetaCare's
documented choice for remote behaviour, both in ``CssrsRiskPolicy``.
Answer coding: Q1-Q5 0 = No, 1 = Yes; Q6 0 = No, 1 = more than 3 months ago,
2 = within the past 3 months; Q3-Q5 are None when Q2 is No.
"""

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales.cssrs import (
    CSSRS_RECENT_BEHAVIOUR_MONTHS,
    CSSRS_SCREENER_INSTRUMENT,
    CssrsRiskPolicy,
    RiskLevel,
    score_cssrs_screener,
)
from ketacare.clinical.scales.references import COLUMBIA_TRIAGE

N, Y = 0, 1
NO_BEHAVIOUR, OVER_3_MONTHS, WITHIN_3_MONTHS = 0, 1, 2
SKIPPED = None


def test_all_no_with_skip_to_q6_reports_no_risk_and_no_total():
    result = score_cssrs_screener([N, N, SKIPPED, SKIPPED, SKIPPED, NO_BEHAVIOUR])
    assert result.severity.code == "none"
    assert result.total is None  # by design: the screener is not a summed scale
    assert result.flags == ()
    assert result.is_complete is True
    assert result.items == (0, 0, None, None, None, 0)
    assert result.datum("reasons") == ()


def test_wish_to_be_dead_only_is_low_risk():
    result = score_cssrs_screener([Y, N, SKIPPED, SKIPPED, SKIPPED, NO_BEHAVIOUR])
    assert result.severity.code == "low"
    assert result.flags == ()


def test_suicidal_thoughts_without_method_intent_or_plan_is_low_risk():
    result = score_cssrs_screener([Y, Y, N, N, N, NO_BEHAVIOUR])
    assert result.severity.code == "low"
    assert result.datum("reasons") == ("Q1 yes: wish to be dead", "Q2 yes: suicidal thoughts")


def test_thoughts_with_method_is_moderate_risk_by_default():
    result = score_cssrs_screener([Y, Y, Y, N, N, NO_BEHAVIOUR])
    assert result.severity.code == "moderate"
    assert result.severity.source is not None
    assert result.severity.source.verified is False  # secondary bands, documented choice
    assert result.flags == ()


@pytest.mark.parametrize(
    ("policy_level", "expected", "flagged"),
    [(RiskLevel.LOW, "low", False), (RiskLevel.HIGH, "high", True)],
)
def test_clinic_can_regrade_thoughts_with_method(policy_level, expected, flagged):
    policy = CssrsRiskPolicy(thoughts_with_method_level=policy_level)
    result = score_cssrs_screener([Y, Y, Y, N, N, NO_BEHAVIOUR], policy)
    assert result.severity.code == expected
    assert result.has_flag("cssrs_high_risk") is flagged


@pytest.mark.parametrize("question", [4, 5])
def test_intent_in_the_past_month_is_high_risk_and_flagged(question):
    answers = [Y, Y, N, N, N, NO_BEHAVIOUR]
    answers[question - 1] = Y
    result = score_cssrs_screener(answers)
    assert result.severity.code == "high"
    assert result.severity.source == COLUMBIA_TRIAGE
    (flag,) = result.flags
    assert flag.code == "cssrs_high_risk"
    assert f"Q{question} yes" in flag.message
    assert "same-day safety assessment" in flag.message
    assert flag.source == COLUMBIA_TRIAGE


def test_recent_behaviour_alone_is_high_risk_even_without_current_ideation():
    result = score_cssrs_screener([N, N, SKIPPED, SKIPPED, SKIPPED, WITHIN_3_MONTHS])
    assert result.severity.code == "high"
    assert result.has_flag("cssrs_high_risk")
    assert result.datum("reasons") == (
        f"Q6: suicidal behaviour within the past {CSSRS_RECENT_BEHAVIOUR_MONTHS} months",
    )


# Behaviour recency edge, Columbia triage (S40d): behaviour within 3 months = high.
# None / more than 3 months ago / within 3 months.
@pytest.mark.parametrize(
    ("q6", "level", "flagged"),
    [
        (NO_BEHAVIOUR, "none", False),
        (OVER_3_MONTHS, "moderate", False),
        (WITHIN_3_MONTHS, "high", True),
    ],
)
def test_behaviour_recency_boundary(q6, level, flagged):
    result = score_cssrs_screener([N, N, SKIPPED, SKIPPED, SKIPPED, q6])
    assert result.severity.code == level
    assert result.has_flag("cssrs_high_risk") is flagged


def test_remote_behaviour_grade_is_clinic_configurable():
    policy = CssrsRiskPolicy(remote_behaviour_level=RiskLevel.LOW)
    result = score_cssrs_screener([N, N, SKIPPED, SKIPPED, SKIPPED, OVER_3_MONTHS], policy)
    assert result.severity.code == "low"


def test_highest_level_wins_and_lists_every_deciding_answer():
    result = score_cssrs_screener([Y, Y, Y, Y, Y, WITHIN_3_MONTHS])
    assert result.severity.code == "high"
    assert len(result.datum("reasons")) == 3  # Q4, Q5 and recent behaviour
    assert len(result.flags) == 1


@pytest.mark.parametrize("question", [3, 4, 5])
@pytest.mark.parametrize("value", [N, Y])
def test_questions_3_to_5_must_be_blank_when_question_2_is_no(question, value):
    answers = [Y, N, SKIPPED, SKIPPED, SKIPPED, NO_BEHAVIOUR]
    answers[question - 1] = value
    with pytest.raises(InvalidClinicalInput) as error:
        score_cssrs_screener(answers)
    assert error.value.code == "item_not_applicable"
    assert f"item {question} must be left blank when item 2 is No" in error.value.message
    assert error.value.details["items"] == [question]


@pytest.mark.parametrize("question", [3, 4, 5])
def test_questions_3_to_5_must_be_answered_when_question_2_is_yes(question):
    answers = [Y, Y, N, N, N, NO_BEHAVIOUR]
    answers[question - 1] = SKIPPED
    with pytest.raises(InvalidClinicalInput) as error:
        score_cssrs_screener(answers)
    assert error.value.code == "item_missing"
    assert f"C-SSRS screener item {question} is missing" in error.value.message


@pytest.mark.parametrize("question", [1, 2, 6])
def test_questions_1_2_and_6_are_always_asked(question):
    answers = [N, N, SKIPPED, SKIPPED, SKIPPED, NO_BEHAVIOUR]
    answers[question - 1] = None
    with pytest.raises(InvalidClinicalInput) as error:
        score_cssrs_screener(answers)
    assert error.value.code == "item_missing"
    assert f"C-SSRS screener item {question} is missing" in error.value.message


@pytest.mark.parametrize(
    ("question", "value", "allowed"),
    [(1, 2, "0 or 1"), (2, -1, "0 or 1"), (6, 3, "0 to 2"), (1, True, "0 or 1")],
)
def test_answers_outside_the_coding_are_refused(question, value, allowed):
    answers = [N, N, SKIPPED, SKIPPED, SKIPPED, NO_BEHAVIOUR]
    answers[question - 1] = value
    with pytest.raises(InvalidClinicalInput) as error:
        score_cssrs_screener(answers)
    assert error.value.code == "item_out_of_range"
    assert f"item {question} must be {allowed}; got {value!r}" in error.value.message


def test_wrong_number_of_answers_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        score_cssrs_screener([N, N, NO_BEHAVIOUR])
    assert error.value.code == "wrong_item_count"
    assert error.value.details["expected"] == 6


@pytest.mark.parametrize("field", ["thoughts_with_method_level", "remote_behaviour_level"])
@pytest.mark.parametrize("value", [RiskLevel.NONE, "moderate"])
def test_policy_cannot_grade_a_yes_answer_as_no_risk(field, value):
    with pytest.raises(InvalidClinicalInput) as error:
        CssrsRiskPolicy(**{field: value})
    assert error.value.code == "invalid_policy"


def test_screener_ships_category_labels_not_columbia_question_wording():
    labels = [item.label for item in CSSRS_SCREENER_INSTRUMENT.items]
    assert labels[3] == "Q4: intent to act, without specific plan (past month)"
    assert not any("?" in label or "Have you" in label for label in labels)
    q6_options = [o.label for o in CSSRS_SCREENER_INSTRUMENT.items[5].options]
    assert q6_options == ["No", "Yes, more than 3 months ago", "Yes, within the past 3 months"]
