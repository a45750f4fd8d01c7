"""A ketamine/esketamine order's dose against the cited ceilings, at the boundaries."""

from decimal import Decimal as D

import pytest

from ketacare.clinical.dosing.order_check import OrderedDrug, check_order_dose
from ketacare.clinical.errors import InvalidClinicalInput


def _codes(findings):
    return [(f.code, dict(f.data).get("fix_dose_mg")) for f in findings]


@pytest.mark.parametrize(
    ("dose", "expected"),
    [
        (D("28"), []),
        (D("56"), []),
        (D("84"), []),  # the label's highest session dose
        (D("85"), [("dose_above_ceiling", "84")]),
        (D("57"), [("dose_not_a_device_multiple", "56")]),
        (D("10"), [("dose_not_a_device_multiple", "28")]),
    ],
)
def test_esketamine_doses_are_whole_devices_up_to_84_mg(dose, expected):
    assert _codes(check_order_dose(OrderedDrug.ESKETAMINE, dose, None)) == expected


@pytest.mark.parametrize(
    ("dose", "expected"),
    [
        (D("35"), []),  # 0.5 mg/kg at 70 kg: standard
        (D("36"), [("dose_above_standard", None)]),  # 0.51 mg/kg
        (D("70"), [("dose_above_standard", None)]),  # 1.0 mg/kg: at the ceiling
        (D("71"), [("dose_above_ceiling", "70")]),  # 1.01 mg/kg: fix 70 mg = 1.0 mg/kg
    ],
)
def test_ketamine_mg_per_kg_against_the_standard_and_the_ceiling(dose, expected):
    assert _codes(check_order_dose(OrderedDrug.KETAMINE, dose, D("70"))) == expected


def test_ketamine_without_a_weight_cannot_be_checked():
    assert _codes(check_order_dose(OrderedDrug.KETAMINE, D("35"), None)) == [
        ("weight_missing", None)
    ]


@pytest.mark.parametrize("dose", [D("0"), D("-5"), D("NaN")])
def test_a_dose_that_is_not_a_positive_number_is_refused(dose):
    with pytest.raises(InvalidClinicalInput):
        check_order_dose(OrderedDrug.ESKETAMINE, dose, None)
