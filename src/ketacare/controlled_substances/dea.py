"""DEA registration number: format and check digit.

Format: two letters then seven digits; the second character may instead be the digit 9
(some business registrants) (Microsoft Purview, "Drug Enforcement Agency (DEA) number":
https://learn.microsoft.com/en-us/purview/sit-defn-drug-enforcement-agency-number).

Check digit, as published with a worked example (BB1388568) in Oracle's Siebel Pharma
Handheld Guide, "Validating the DEA Number", Table 28 "The DEA Number Checksum Algorithm"
(https://docs.oracle.com/cd/B31104_02/books/HHConGds/HHSalesAppsAdmin51.html): add the
1st, 3rd and 5th digits; add the 2nd, 4th and 6th digits and double that sum; the last
digit of the total must equal the 7th digit. The same rule appears in pharmacy references
(e.g. http://www.takerx.com/verify.html, worked example AP5836727).

Deliberately NOT checked: the registrant-type first letter (published lists disagree:
A/B/F/G/M/P/R in one, a longer list in others), and whether the number is actually
registered (that needs DEA's paid verification service). A number that passes is
well-formed, not proven valid.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_FORMAT = re.compile(r"^[A-Z][A-Z9][0-9]{7}$")


def dea_check_digit(six_digits: str) -> int:
    """The check digit for the six registration digits."""
    d = [int(c) for c in six_digits]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10


def dea_number_problem(value: str) -> str | None:
    """Why ``value`` is not a well-formed DEA number, or None."""
    if not _FORMAT.match(value or ""):
        return "A DEA number is two capital letters (or a letter and 9) and seven digits."
    digits = value[2:]
    if dea_check_digit(digits[:6]) != int(digits[6]):
        return "The DEA number's check digit does not match; check for a typing error."
    return None


def validate_dea_number(value: str) -> None:
    problem = dea_number_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_dea_number")
