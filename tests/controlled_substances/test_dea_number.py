"""DEA registration number check digit (Oracle Siebel Pharma Handheld Guide, Table 28):
(d1 + d3 + d5) + 2 x (d2 + d4 + d6); its last digit must equal d7."""

import pytest

from ketacare.controlled_substances.dea import dea_check_digit, dea_number_problem


@pytest.mark.parametrize(
    ("number", "check"),
    [
        ("BB1388568", 8),  # 1+8+5 = 14; 2 x (3+8+6) = 34; 48 -> 8 (the published example)
        ("AP5836727", 7),  # 5+3+7 = 15; 2 x (8+6+2) = 32; 47 -> 7
        ("A91234563", 3),  # 1+3+5 = 9; 2 x (2+4+6) = 24; 33 -> 3 (business registrant: 9)
    ],
)
def test_well_formed_dea_numbers_pass_with_their_check_digit(number, check):
    assert dea_check_digit(number[2:8]) == check
    assert dea_number_problem(number) is None


@pytest.mark.parametrize(
    "number",
    [
        "BB1388567",  # check digit off by one
        "BB1388569",
        "BB138856",  # six digits
        "BB13885688",  # eight digits
        "1B1388568",  # starts with a digit
        "bb1388568",  # lower case (services upper-case input first)
        "",
    ],
)
def test_malformed_dea_numbers_are_named(number):
    assert dea_number_problem(number) is not None
