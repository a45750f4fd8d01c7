"""QIDS-SR16 scoring: Rush et al. 2003 items and domain rule (S37a, S37b); severity
table from ids-qids.org (S37c)."""

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales.qids_sr16 import (
    QIDS_SR16,
    QIDS_SR16_MILD_MIN,
    QIDS_SR16_MODERATE_MIN,
    QIDS_SR16_SEVERE_MIN,
    QIDS_SR16_VERY_SEVERE_MIN,
    score_qids_sr16,
)

# First item of each domain, filled in this order by answers_with_total(); suicidal
# ideation (item 12) comes last so the boundary table does not depend on the item 12 flag.
_FILL_ORDER = (1, 5, 6, 10, 11, 13, 14, 15, 12)


def answers_with_total(total: int) -> list[int]:
    answers = [0] * 16
    remaining = total
    for item in _FILL_ORDER:
        answers[item - 1] = min(3, remaining)
        remaining -= answers[item - 1]
    assert remaining == 0
    return answers


def test_domain_maximum_worked_example():
    items = [0, 3, 1, 0, 2, 1, 0, 2, 0, 1, 1, 0, 1, 1, 0, 2]
    # sleep        max(0, 3, 1, 0) = 3   (items 1-4)
    # sad mood     item 5          = 2
    # appetite/wt  max(1, 0, 2, 0) = 2   (items 6-9)
    # concentration item 10        = 1
    # self-view    item 11         = 1
    # suicidal id. item 12         = 0
    # interest     item 13         = 1
    # energy       item 14         = 1
    # psychomotor  max(0, 2)       = 2   (items 15-16)
    # total = 3 + 2 + 2 + 1 + 1 + 0 + 1 + 1 + 2 = 13 -> moderate (11-15)
    # (a plain sum of all 16 items would wrongly give 15)
    result = score_qids_sr16(items)
    assert result.total == 13
    assert sum(items) == 15
    assert result.severity.code == "moderate"
    assert result.flags == ()
    assert [(s.code, s.value) for s in result.subscores] == [
        ("sleep", 3),
        ("sad_mood", 2),
        ("appetite_weight", 2),
        ("concentration", 1),
        ("self_view", 1),
        ("suicidal_ideation", 0),
        ("interest", 1),
        ("energy", 1),
        ("psychomotor", 2),
    ]


def test_every_sleep_item_at_three_counts_once_for_the_sleep_domain():
    # sleep = max(3, 3, 3, 3) = 3, all other items 0 -> total 3, not 12
    result = score_qids_sr16([3, 3, 3, 3] + [0] * 12)
    assert result.total == 3
    assert result.severity.code == "none"


def test_all_items_at_three_score_the_maximum_of_27():
    # 9 domains x 3 = 27 -> very severe; item 12 = 3 is flagged
    result = score_qids_sr16([3] * 16)
    assert result.total == 27
    assert result.severity.code == "very_severe"
    assert result.flag_codes == ("qids_item12_positive",)
    assert QIDS_SR16.max_total == 27


# Band edges, ids-qids.org table (S37c): 0-5 none, 6-10 mild, 11-15 moderate,
# 16-20 severe, 21-27 very severe.
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (QIDS_SR16_MILD_MIN - 1, "none"),
        (QIDS_SR16_MILD_MIN, "mild"),
        (QIDS_SR16_MILD_MIN + 1, "mild"),
        (QIDS_SR16_MODERATE_MIN - 1, "mild"),
        (QIDS_SR16_MODERATE_MIN, "moderate"),
        (QIDS_SR16_MODERATE_MIN + 1, "moderate"),
        (QIDS_SR16_SEVERE_MIN - 1, "moderate"),
        (QIDS_SR16_SEVERE_MIN, "severe"),
        (QIDS_SR16_SEVERE_MIN + 1, "severe"),
        (QIDS_SR16_VERY_SEVERE_MIN - 1, "severe"),
        (QIDS_SR16_VERY_SEVERE_MIN, "very_severe"),
        (QIDS_SR16_VERY_SEVERE_MIN + 1, "very_severe"),
        (27, "very_severe"),
    ],
)
def test_qids_sr16_band_boundaries(total, band):
    result = score_qids_sr16(answers_with_total(total))
    assert (result.total, result.severity.code) == (total, band)


def test_band_edges_are_the_published_cut_points():
    edges = (
        QIDS_SR16_MILD_MIN,
        QIDS_SR16_MODERATE_MIN,
        QIDS_SR16_SEVERE_MIN,
        QIDS_SR16_VERY_SEVERE_MIN,
    )
    assert edges == (6, 11, 16, 21)


def test_qids_item_12_positive_is_flagged_even_when_total_is_minimal():
    # only item 12 (suicidal ideation) = 1 -> total 1, none, but flagged for review
    answers = [0] * 16
    answers[11] = 1
    result = score_qids_sr16(answers)
    assert (result.total, result.severity.code) == (1, "none")
    (flag,) = result.flags
    assert flag.code == "qids_item12_positive"
    assert "item 12" in flag.message


# Item 12 flag edge (rule 22: 1 or more): below / at / above.
@pytest.mark.parametrize(("item12", "flagged"), [(0, False), (1, True), (2, True)])
def test_item_12_flag_boundary(item12, flagged):
    answers = [1] * 16
    answers[11] = item12
    assert score_qids_sr16(answers).has_flag("qids_item12_positive") is flagged


@pytest.mark.parametrize("blank", range(16))
def test_blank_item_gives_no_score_even_inside_a_domain(blank):
    # No pro-rating: a blank sleep item leaves the form incomplete even when another sleep
    # item already holds the domain maximum.
    answers: list[int | None] = [3] * 16
    answers[blank] = None
    with pytest.raises(InvalidClinicalInput) as error:
        score_qids_sr16(answers)
    assert error.value.code == "item_missing"
    assert f"QIDS-SR16 item {blank + 1} is missing" in error.value.message


@pytest.mark.parametrize("item", range(16))
@pytest.mark.parametrize("value", [-1, 4])
def test_value_one_past_the_range_is_refused(item, value):
    answers = [0] * 16
    answers[item] = value
    with pytest.raises(InvalidClinicalInput) as error:
        score_qids_sr16(answers)
    assert error.value.code == "item_out_of_range"
    assert error.value.message == f"QIDS-SR16 item {item + 1} must be 0 to 3; got {value}."


def test_wrong_number_of_items_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        score_qids_sr16([0] * 9)
    assert error.value.code == "wrong_item_count"
    assert error.value.details["expected"] == 16


def test_items_are_labelled_by_domain():
    assert QIDS_SR16.items[0].label == "Item 1: sleep (1 of 4)"
    assert QIDS_SR16.items[11].label == "Item 12: suicidal ideation"
    assert QIDS_SR16.items[15].label == "Item 16: psychomotor changes (2 of 2)"
