"""CADSS, 23-item version (Bremner 1998, S37). The 0-4 item range and 0-92 total are
UNVERIFIED policy defaults (clinical reference [M]; secondary trial-registration text only)."""

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales.cadss import (
    CADSS,
    CADSS_ITEM_COUNT,
    CADSS_ITEM_MAX,
    CadssPolicy,
    score_cadss,
)
from ketacare.clinical.scales.references import CADSS_ITEM_RANGE


def test_worked_example_sums_23_items():
    # 10 items at 1 + 5 items at 2 + 8 items at 0 = 10 + 10 + 0 = 20
    result = score_cadss([1] * 10 + [2] * 5 + [0] * 8)
    assert result.total == 20
    assert result.severity is None  # no cited CADSS bands
    assert result.flags == ()


def test_default_range_is_23_items_of_0_to_4_giving_0_to_92():
    # 23 x 4 = 92
    assert (CADSS_ITEM_COUNT, CADSS_ITEM_MAX) == (23, 4)
    assert (CADSS.min_total, CADSS.max_total) == (0, 92)
    assert score_cadss([4] * 23).total == 92


def test_result_says_the_item_range_is_unverified():
    result = score_cadss([0] * 23)
    assert result.datum("item_range_verified") is False
    assert CADSS_ITEM_RANGE.verified is False
    assert CADSS_ITEM_RANGE in CADSS.sources


@pytest.mark.parametrize("blank", range(23))
def test_blank_item_gives_no_score(blank):
    answers: list[int | None] = [0] * 23
    answers[blank] = None
    with pytest.raises(InvalidClinicalInput) as error:
        score_cadss(answers)
    assert error.value.code == "item_missing"
    assert f"CADSS item {blank + 1} is missing" in error.value.message


@pytest.mark.parametrize("item", range(23))
@pytest.mark.parametrize("value", [-1, 5])
def test_value_one_past_the_range_is_refused(item, value):
    answers = [0] * 23
    answers[item] = value
    with pytest.raises(InvalidClinicalInput) as error:
        score_cadss(answers)
    assert error.value.code == "item_out_of_range"
    assert error.value.message == f"CADSS item {item + 1} must be 0 to 4; got {value}."


def test_clinic_policy_can_set_another_item_count():
    policy = CadssPolicy(item_count=28)
    # 28 x 1 = 28
    assert score_cadss([1] * 28, policy).total == 28
    with pytest.raises(InvalidClinicalInput) as error:
        score_cadss([1] * 23, policy)
    assert error.value.code == "wrong_item_count"
    assert error.value.details["expected"] == 28


def test_clinic_policy_can_narrow_the_item_range():
    policy = CadssPolicy(item_max=3)
    with pytest.raises(InvalidClinicalInput) as error:
        score_cadss([4] + [0] * 22, policy)
    assert error.value.message == "CADSS item 1 must be 0 to 3; got 4."


@pytest.mark.parametrize(
    ("field", "value"), [("item_count", 0), ("item_max", 0), ("item_max", True)]
)
def test_policy_values_must_be_positive_whole_numbers(field, value):
    with pytest.raises(InvalidClinicalInput) as error:
        CadssPolicy(**{field: value})
    assert error.value.code == "invalid_policy"


def test_no_item_wording_is_shipped():
    assert CADSS.items[0].label == "Item 1"
    assert all(item.options == () for item in CADSS.items)
