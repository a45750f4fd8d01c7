"""GAD-7 scoring: Spitzer, Kroenke, Williams & Löwe, Arch Intern Med 2006 (S38a)."""

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales.gad7 import (
    GAD7_MILD_MIN,
    GAD7_MODERATE_MIN,
    GAD7_SEVERE_MIN,
    score_gad7,
)
from ketacare.clinical.scales.references import SPITZER_2006


def test_worked_example_sums_seven_items_to_a_mild_total():
    # 2 + 1 + 1 + 0 + 3 + 0 + 1 = 8 -> mild (5-9)
    result = score_gad7([2, 1, 1, 0, 3, 0, 1])
    assert result.total == 8
    assert result.severity.code == "mild"
    assert result.severity.source == SPITZER_2006
    assert result.flags == ()
    assert result.is_complete is True


def test_all_items_nearly_every_day_scores_the_maximum_of_21():
    # 7 x 3 = 21 -> severe
    result = score_gad7([3] * 7)
    assert (result.total, result.severity.code) == (21, "severe")


# Band edges, Spitzer 2006 (S38a): 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (GAD7_MILD_MIN - 1, "minimal"),
        (GAD7_MILD_MIN, "mild"),
        (GAD7_MILD_MIN + 1, "mild"),
        (GAD7_MODERATE_MIN - 1, "mild"),
        (GAD7_MODERATE_MIN, "moderate"),
        (GAD7_MODERATE_MIN + 1, "moderate"),
        (GAD7_SEVERE_MIN - 1, "moderate"),
        (GAD7_SEVERE_MIN, "severe"),
        (GAD7_SEVERE_MIN + 1, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_boundaries(answers_totalling, total, band):
    result = score_gad7(answers_totalling(total, 7, 3))
    assert (result.total, result.severity.code) == (total, band)


def test_band_edges_are_the_published_cut_points():
    assert (GAD7_MILD_MIN, GAD7_MODERATE_MIN, GAD7_SEVERE_MIN) == (5, 10, 15)


@pytest.mark.parametrize("blank", range(7))
def test_blank_item_gives_no_score_and_names_the_item(blank):
    answers: list[int | None] = [0] * 7
    answers[blank] = None
    with pytest.raises(InvalidClinicalInput) as error:
        score_gad7(answers)
    assert error.value.code == "item_missing"
    assert f"GAD-7 item {blank + 1} is missing" in error.value.message


@pytest.mark.parametrize("item", range(7))
@pytest.mark.parametrize("value", [-1, 4])
def test_value_one_past_the_range_is_refused(item, value):
    answers = [0] * 7
    answers[item] = value
    with pytest.raises(InvalidClinicalInput) as error:
        score_gad7(answers)
    assert error.value.code == "item_out_of_range"
    assert error.value.message == f"GAD-7 item {item + 1} must be 0 to 3; got {value}."


def test_boolean_answer_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        score_gad7([True, 0, 0, 0, 0, 0, 0])
    assert error.value.code == "item_out_of_range"


@pytest.mark.parametrize("count", [6, 8, 9])
def test_wrong_number_of_items_is_refused(count):
    with pytest.raises(InvalidClinicalInput) as error:
        score_gad7([0] * count)
    assert error.value.code == "wrong_item_count"
    assert (error.value.details["expected"], error.value.details["received"]) == (7, count)
