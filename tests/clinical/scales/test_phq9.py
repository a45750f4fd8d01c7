"""PHQ-9 scoring: Kroenke, Spitzer & Williams, J Gen Intern Med 2001 (S33)."""

from decimal import Decimal

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales.phq9 import (
    PHQ9,
    PHQ9_MILD_MIN,
    PHQ9_MODERATE_MIN,
    PHQ9_MODERATELY_SEVERE_MIN,
    PHQ9_SEVERE_MIN,
    score_phq9,
)
from ketacare.clinical.scales.references import KROENKE_2001


def test_worked_example_sums_nine_items_to_a_moderate_total():
    # 1 + 2 + 0 + 3 + 1 + 0 + 2 + 1 + 0 = 10 -> moderate (10-14)
    result = score_phq9([1, 2, 0, 3, 1, 0, 2, 1, 0])
    assert result.total == 10
    assert result.severity.code == "moderate"
    assert result.severity.label == "Moderate"
    assert result.severity.source == KROENKE_2001
    assert result.is_complete is True
    assert result.flags == ()
    assert result.items == (1, 2, 0, 3, 1, 0, 2, 1, 0)
    assert result.scale_code == "phq9"
    assert result.version == PHQ9.version


def test_all_items_nearly_every_day_scores_the_maximum_of_27():
    # 9 items x 3 = 27 -> severe; item 9 = 3 is also flagged
    result = score_phq9([3] * 9)
    assert result.total == 27
    assert result.severity.code == "severe"
    assert result.flag_codes == ("phq9_item9_positive",)


def test_all_items_not_at_all_scores_zero_none_minimal():
    # 9 x 0 = 0
    result = score_phq9([0] * 9)
    assert (result.total, result.severity.code) == (0, "none_minimal")


# Band edges, Kroenke 2001 (S33): 0-4 none/minimal, 5-9 mild, 10-14 moderate,
# 15-19 moderately severe, 20-27 severe. Below / at / above every edge.
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none_minimal"),
        (PHQ9_MILD_MIN - 1, "none_minimal"),
        (PHQ9_MILD_MIN, "mild"),
        (PHQ9_MILD_MIN + 1, "mild"),
        (PHQ9_MODERATE_MIN - 1, "mild"),
        (PHQ9_MODERATE_MIN, "moderate"),
        (PHQ9_MODERATE_MIN + 1, "moderate"),
        (PHQ9_MODERATELY_SEVERE_MIN - 1, "moderate"),
        (PHQ9_MODERATELY_SEVERE_MIN, "moderately_severe"),
        (PHQ9_MODERATELY_SEVERE_MIN + 1, "moderately_severe"),
        (PHQ9_SEVERE_MIN - 1, "moderately_severe"),
        (PHQ9_SEVERE_MIN, "severe"),
        (PHQ9_SEVERE_MIN + 1, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_boundaries(answers_totalling, total, band):
    result = score_phq9(answers_totalling(total, 9, 3))
    assert result.total == total
    assert result.severity.code == band


def test_band_edges_are_the_published_cut_points():
    assert (PHQ9_MILD_MIN, PHQ9_MODERATE_MIN, PHQ9_MODERATELY_SEVERE_MIN, PHQ9_SEVERE_MIN) == (
        5,
        10,
        15,
        20,
    )


def test_phq9_item_9_positive_is_flagged_even_when_total_is_minimal():
    # 0 x 8 + 1 = 1 -> none/minimal, but item 9 (thoughts of death or self-harm) is positive
    result = score_phq9([0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.total == 1
    assert result.severity.code == "none_minimal"
    (flag,) = result.flags
    assert flag.code == "phq9_item9_positive"
    assert "item 9" in flag.message
    assert "C-SSRS" in flag.message
    assert flag.source is not None
    assert flag.source.key == "S33c"


def test_severe_total_without_item_9_raises_no_flag():
    # 3 x 8 + 0 = 24 -> severe, item 9 = 0 -> no safety flag
    result = score_phq9([3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert result.total == 24
    assert result.severity.code == "severe"
    assert result.flags == ()


# Item 9 flag edge (S33c: any score above 0): below / at / above.
@pytest.mark.parametrize(("item9", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_item_9_flag_boundary(item9, flagged):
    result = score_phq9([0] * 8 + [item9])
    assert result.has_flag("phq9_item9_positive") is flagged


@pytest.mark.parametrize("blank", range(9))
def test_blank_item_gives_no_score_and_names_the_item(blank):
    answers: list[int | None] = [1] * 9
    answers[blank] = None
    with pytest.raises(InvalidClinicalInput) as error:
        score_phq9(answers)
    assert error.value.code == "item_missing"
    assert f"PHQ-9 item {blank + 1} is missing" in error.value.message
    assert error.value.details["items"] == [blank + 1]


@pytest.mark.parametrize("item", range(9))
@pytest.mark.parametrize("value", [-1, 4])
def test_value_one_past_the_range_is_refused(item, value):
    answers = [1] * 9
    answers[item] = value
    with pytest.raises(InvalidClinicalInput) as error:
        score_phq9(answers)
    assert error.value.code == "item_out_of_range"
    assert error.value.message == f"PHQ-9 item {item + 1} must be 0 to 3; got {value}."


@pytest.mark.parametrize("value", [True, False, 1.0, "2", Decimal("1")])
def test_non_integer_answers_including_booleans_are_refused(value):
    with pytest.raises(InvalidClinicalInput) as error:
        score_phq9([0] * 8 + [value])
    assert error.value.code == "item_out_of_range"
    assert "PHQ-9 item 9 must be 0 to 3" in error.value.message


def test_every_offending_item_is_listed_and_bad_values_take_precedence():
    with pytest.raises(InvalidClinicalInput) as error:
        score_phq9([None, 0, 0, 0, 0, 0, 0, 4, 0])
    assert error.value.code == "item_out_of_range"
    assert error.value.details["items"] == [1, 8]
    assert [p["code"] for p in error.value.details["problems"]] == [
        "item_missing",
        "item_out_of_range",
    ]


@pytest.mark.parametrize("count", [0, 8, 10])
def test_wrong_number_of_items_names_expected_and_received(count):
    with pytest.raises(InvalidClinicalInput) as error:
        score_phq9([0] * count)
    assert error.value.code == "wrong_item_count"
    assert error.value.details == {"scale": "phq9", "expected": 9, "received": count}
    assert error.value.message == f"PHQ-9 needs 9 items; got {count}."


@pytest.mark.parametrize("items", ["000000000", {1: 0}, None, 0])
def test_answers_that_are_not_a_list_are_refused(items):
    with pytest.raises(InvalidClinicalInput) as error:
        score_phq9(items)
    assert error.value.code == "items_malformed"
