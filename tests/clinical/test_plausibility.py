"""The core's plausibility limits: what no living person has shown is refused at the door,
with the offending field named; the limits themselves are the recorded extremes."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.plausibility import (
    EARLIEST_BIRTH_DATE,
    LIMITS,
    MAX_PLAUSIBLE_AGE_MONTHS,
    MAX_PLAUSIBLE_AGE_YEARS,
    is_ascii_number,
    require_plausible,
    require_plausible_age_years,
    require_plausible_birth_date,
    require_plausible_months_of_life,
    require_plausible_reading_time,
)

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
REGISTERED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("quantity", "refused_below", "accepted_low", "accepted_high", "refused_above"),
    [
        ("heart_rate_bpm", 0, 1, 299, 300),
        ("systolic_mmhg", 0, 1, 399, 400),
        ("diastolic_mmhg", 0, 1, 299, 300),
        ("respiratory_rate_per_min", 0, 1, 69, 70),
        ("spo2_percent", 0, 1, 100, 101),
        ("temperature_c", Decimal("10"), Decimal("10.1"), Decimal("49.9"), Decimal("50")),
        ("height_cm", Decimal("54.5"), Decimal("54.6"), Decimal("272"), Decimal("272.1")),
        ("weight_kg", Decimal("2.0"), Decimal("2.1"), Decimal("635"), Decimal("635.1")),
    ],
)
def test_each_quantity_accepts_the_recorded_extremes_and_refuses_beyond_them(
    quantity, refused_below, accepted_low, accepted_high, refused_above
):
    require_plausible(quantity, accepted_low)
    require_plausible(quantity, accepted_high)
    for value in (refused_below, refused_above):
        with pytest.raises(InvalidClinicalInput) as err:
            require_plausible(quantity, value)
        assert err.value.code == "value_implausible"
        assert err.value.details["field"] == quantity
        assert err.value.details["unit"] == LIMITS[quantity].unit


@pytest.mark.parametrize("value", ["80", True, None, Decimal("NaN"), float("inf")])
def test_a_value_that_is_not_a_finite_number_is_refused(value):
    with pytest.raises(InvalidClinicalInput) as err:
        require_plausible("weight_kg", value, field="weight")
    assert err.value.details["field"] == "weight"


@pytest.mark.parametrize(
    ("born", "code"),
    [
        (date(1, 1, 1), "date_of_birth_implausible"),
        (date(1899, 12, 31), "date_of_birth_implausible"),
        (date(2026, 12, 4), "date_in_future"),
    ],
)
def test_a_date_of_birth_before_1900_or_in_the_future_is_refused(born, code):
    with pytest.raises(InvalidClinicalInput) as err:
        require_plausible_birth_date(born, today=NOW.date())
    assert err.value.code == code
    assert err.value.details["field"] == "date_of_birth"


def test_the_earliest_and_latest_plausible_birth_dates_are_accepted():
    assert date(1900, 1, 1) == EARLIEST_BIRTH_DATE
    require_plausible_birth_date(date(1900, 1, 1), today=NOW.date())
    require_plausible_birth_date(NOW.date(), today=NOW.date())


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (datetime(1900, 1, 1, tzinfo=UTC), "time_before_registration"),
        (REGISTERED - timedelta(seconds=1), "time_before_registration"),
        (NOW + timedelta(minutes=5, seconds=1), "time_in_future"),
        (datetime(2026, 12, 3, 10, 0), "naive_datetime"),
    ],
)
def test_a_reading_before_registration_or_beyond_the_clock_skew_is_refused(when, code):
    with pytest.raises(InvalidClinicalInput) as err:
        require_plausible_reading_time(when, field="taken_at", registered_at=REGISTERED, now=NOW)
    assert err.value.code == code
    assert err.value.details["field"] == "taken_at"


def test_a_reading_at_registration_or_within_the_clock_skew_is_accepted():
    for when in (REGISTERED, NOW, NOW + timedelta(minutes=5)):
        require_plausible_reading_time(when, field="taken_at", registered_at=REGISTERED, now=NOW)


def test_the_clock_skew_is_the_callers_setting():
    with pytest.raises(InvalidClinicalInput):
        require_plausible_reading_time(
            NOW + timedelta(seconds=1),
            field="taken_at",
            registered_at=REGISTERED,
            now=NOW,
            clock_skew=timedelta(0),
        )


@pytest.mark.parametrize("text", ["80", "80.5", "-3", "+7", ".5", "80."])
def test_numbers_in_ascii_digits_are_numbers(text):
    assert is_ascii_number(text)


@pytest.mark.parametrize(
    "text",
    ["٨٠", "８０", "۸۰", "8_0", " 80", "80 ", "1e2", "", "NaN", "Infinity", "8.0.0", "๘๐"],
)
def test_other_scripts_digits_underscores_spaces_and_exponents_are_not(text):
    assert not is_ascii_number(text)


# Oldest verified human age: Jeanne Calment, 122 years 164 days (Robine & Allard's validation,
# J Gerontol 2019, as reported by AFP; plausibility.OLDEST_VERIFIED_AGE). 122 whole years is
# accepted; 123 (the old uncited bound was 130) is refused, naming the field.
@pytest.mark.parametrize(
    ("age_years", "accepted"),
    [(0, True), (121, True), (122, True), (123, False), (125, False), (130, False), (-1, False)],
)
def test_an_age_up_to_the_oldest_verified_human_age_is_accepted(age_years, accepted):
    assert MAX_PLAUSIBLE_AGE_YEARS == 122
    if accepted:
        require_plausible_age_years(age_years)
        return
    with pytest.raises(InvalidClinicalInput) as err:
        require_plausible_age_years(age_years, field="age_years")
    assert err.value.code == "age_invalid"
    assert err.value.details["field"] == "age_years"
    assert err.value.details["plausible_max"] == "122"
    assert "age_years" in err.value.message


@pytest.mark.parametrize("value", [True, 40.0, "40", None])
def test_an_age_that_is_not_whole_years_is_refused(value):
    with pytest.raises(InvalidClinicalInput) as err:
        require_plausible_age_years(value, field="age")
    assert err.value.details["field"] == "age"


# A span of a life in whole months is no longer than the life: a life of 122 whole years holds
# at most (122 + 1) * 12 - 1 = 1475 whole months; a 40-year-old's, (40 + 1) * 12 - 1 = 491.
@pytest.mark.parametrize(
    ("months", "age_years", "accepted"),
    [
        (1475, None, True),
        (1476, None, False),
        (491, 40, True),
        (492, 40, False),
        (0, 0, True),
        (-1, None, False),
    ],
)
def test_a_span_of_life_in_months_is_no_longer_than_the_life(months, age_years, accepted):
    assert MAX_PLAUSIBLE_AGE_MONTHS == 1475
    if accepted:
        require_plausible_months_of_life(months, field="m", code="c", age_years=age_years)
        return
    with pytest.raises(InvalidClinicalInput) as err:
        require_plausible_months_of_life(months, field="m", code="c", age_years=age_years)
    assert (err.value.code, err.value.details["field"]) == ("c", "m")
