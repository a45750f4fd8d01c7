"""MADRS scoring: Montgomery & Åsberg 1979 (items, S36); Snaith et al. 1986 (bands, S36)."""

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales.madrs import (
    MADRS,
    MADRS_MILD_MIN,
    MADRS_MODERATE_MIN,
    MADRS_SEVERE_MIN,
    score_madrs,
)
from ketacare.clinical.scales.references import SNAITH_1986


def test_worked_example_sums_ten_ratings_to_a_moderate_total():
    # 4 + 4 + 3 + 2 + 1 + 3 + 2 + 3 + 2 + 1 = 25 -> moderate (20-34)
    result = score_madrs([4, 4, 3, 2, 1, 3, 2, 3, 2, 1])
    assert result.total == 25
    assert result.severity.code == "moderate"
    assert result.severity.source == SNAITH_1986
    assert result.flags == ()


def test_all_items_at_six_scores_the_maximum_of_60():
    # 10 x 6 = 60 -> severe
    result = score_madrs([6] * 10)
    assert (result.total, result.severity.code) == (60, "severe")


# Band edges, Snaith 1986 (S36): 0-6 absent, 7-19 mild, 20-34 moderate, 35-60 severe.
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "absent"),
        (MADRS_MILD_MIN - 1, "absent"),
        (MADRS_MILD_MIN, "mild"),
        (MADRS_MILD_MIN + 1, "mild"),
        (MADRS_MODERATE_MIN - 1, "mild"),
        (MADRS_MODERATE_MIN, "moderate"),
        (MADRS_MODERATE_MIN + 1, "moderate"),
        (MADRS_SEVERE_MIN - 1, "moderate"),
        (MADRS_SEVERE_MIN, "severe"),
        (MADRS_SEVERE_MIN + 1, "severe"),
        (60, "severe"),
    ],
)
def test_madrs_snaith_band_boundaries(answers_totalling, total, band):
    result = score_madrs(answers_totalling(total, 10, 6))
    assert (result.total, result.severity.code) == (total, band)


def test_band_edges_are_snaiths_cut_points():
    assert (MADRS_MILD_MIN, MADRS_MODERATE_MIN, MADRS_SEVERE_MIN) == (7, 20, 35)


@pytest.mark.parametrize("blank", range(10))
def test_blank_item_gives_no_score_and_names_the_item(blank):
    answers: list[int | None] = [2] * 10
    answers[blank] = None
    with pytest.raises(InvalidClinicalInput) as error:
        score_madrs(answers)
    assert error.value.code == "item_missing"
    assert f"MADRS item {blank + 1} is missing" in error.value.message


@pytest.mark.parametrize("item", range(10))
@pytest.mark.parametrize("value", [-1, 7])
def test_value_one_past_the_range_is_refused(item, value):
    answers = [2] * 10
    answers[item] = value
    with pytest.raises(InvalidClinicalInput) as error:
        score_madrs(answers)
    assert error.value.code == "item_out_of_range"
    assert error.value.message == f"MADRS item {item + 1} must be 0 to 6; got {value}."


def test_half_point_ratings_are_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        score_madrs([2.5] + [2] * 9)
    assert error.value.code == "item_out_of_range"


def test_wrong_number_of_items_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        score_madrs([0] * 9)
    assert error.value.code == "wrong_item_count"


def test_items_carry_neutral_domain_labels_and_no_rating_anchors():
    assert MADRS.items[1].label == "Item 2: reported sadness"
    assert MADRS.items[9].label == "Item 10: suicidal thoughts"
    assert all(item.options == () for item in MADRS.items)
