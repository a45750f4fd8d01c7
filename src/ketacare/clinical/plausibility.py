"""Plausibility at the door: every number and date that enters KetaCare (API, pages, CLI).

Implements
- ``require_plausible(quantity, value)``: a body measurement or vital sign within the limits
  of recorded human physiology (``LIMITS``, each cited); the error names the field.
- ``require_plausible_birth_date``: born on or after 1900-01-01 and not in the future.
- ``require_plausible_age_years`` / ``require_plausible_months_of_life``: an age in whole
  years of at most 122 (``MAX_PLAUSIBLE_AGE_YEARS``, the oldest verified human age), and a
  span of a patient's life in whole months (an episode's duration) of at most the months in
  such a life (``MAX_PLAUSIBLE_AGE_MONTHS``, derived, not a second number); the error names
  the field.
- ``require_plausible_reading_time``: a reading (vitals, scale, weight, height) or a dose is
  not earlier than the patient's registration and not later than now plus a small clock
  skew (a clinic setting, ``KETACARE_CLOCK_SKEW_SECONDS``, default 300 s, passed in).
- ``is_ascii_digits``: an id or a count written as text is ASCII digits only.
- ``is_ascii_number``: the one rule for numbers written as text: ASCII digits only, so a
  weight written '٨٠' (Eastern Arabic digits) or '８０' (full-width) is refused rather than
  read as 80 by Python's ``int``/``Decimal``, which accept any Unicode decimal digit.

The limits are deliberately the widest that published records support: they refuse what no
living person has shown (a typo, a unit mix-up, swapped fields), never a real patient.
Clinical alert thresholds are separate (the clinic's policy, applied elsewhere).

Sources
- Vital signs: the MIMIC Code Repository's vital-sign concept, which keeps only values in
  these open intervals (Johnson AEW, Stone DJ, Celi LA, Pollard TJ. The MIMIC Code
  Repository: enabling reproducibility in critical care research. J Am Med Inform Assoc
  2018;25(1):32-39), file mimic-iv/concepts/measurement/vitalsign.sql: heart rate
  0 < x < 300 /min, systolic 0 < x < 400 mmHg, diastolic 0 < x < 300 mmHg, respiratory
  rate 0 < x < 70 /min, SpO2 0 < x <= 100 %, temperature 10 < x < 50 degC.
- Height: Guinness World Records: tallest person ever, Robert Wadlow, 272 cm (2.72 m, last
  measured 27 June 1940); shortest adult ever verified, Chandra Bahadur Dangi, 54.6 cm
  (measured three times in 24 h, Kathmandu, 2012).
- Weight: Guinness World Records, via secondary copies: heaviest person ever recorded, Jon
  Brower Minnoch, about 635 kg (1,400 lb, estimated, 1978); lightest adult ever recorded,
  Lucia Zarate, 2.1 kg (4.7 lb) at 17.
- Date of birth: the floor 1900-01-01 is KetaCare's rule (issue 15); it sits below the
  longest verified human life, Jeanne Calment, 122 years 164 days (1875-02-21 to
  1997-08-04), so no living person is refused.
- Age: the same life, as validated by Robine and Allard for Guinness World Records in the
  1990s and re-examined by them and co-authors in The Journals of Gerontology (2019): she
  "remains the oldest human whose age is well-documented" (read in the AFP report of that
  paper, 17 September 2019). No one has been verified to reach 123, so 122 whole years is the
  widest age the record supports. The date-of-birth floor is looser (issue 15): from 2023 it
  admits a birth date that gives an age above 122, which an evaluation then refuses, naming
  ``age_years``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.sources import Grade, Source, cited

MIMIC_CODE_VITALS = Source(
    key="mimic-code-vitals",
    citation=(
        "Johnson AEW, Stone DJ, Celi LA, Pollard TJ. The MIMIC Code Repository: enabling "
        "reproducibility in critical care research. J Am Med Inform Assoc 2018;25(1):32-39; "
        "vital-sign concept query of the repository (MIT-LCP/mimic-code)."
    ),
    url="https://github.com/MIT-LCP/mimic-code/blob/main/mimic-iv/concepts/measurement/vitalsign.sql",
    locator=(
        "vitalsign.sql: heart_rate 0<x<300; sbp 0<x<400; dbp 0<x<300; resp_rate 0<x<70; "
        "spo2 0<x<=100; temperature 10<x<50 degC"
    ),
    grade=Grade.PRIMARY,  # the query itself, read in the repository
)
GWR_TALLEST = Source(
    key="gwr-tallest-wadlow",
    citation="Guinness World Records: tallest man ever, Robert Wadlow, 2.72 m (8 ft 11.1 in).",
    url="https://kids.guinnessworldrecords.com/news/2019/2/a-history-of-record-breaking-giants-100-years-after-the-tallest-man-in-the-world-511577",
    locator="last measured 27 June 1940: 2.72 m",
    grade=Grade.PRIMARY,  # Guinness World Records' own page
)
GWR_SHORTEST = Source(
    key="gwr-shortest-dangi",
    citation=(
        "Guinness World Records, 2012: Chandra Bahadur Dangi, shortest adult human ever "
        "verified, 54.6 cm (21.5 in); press release as reproduced by news reports."
    ),
    url="https://www.thenationalnews.com/world/asia/nepalese-man-is-world-s-shortest-person-ever-recorded-1.390054",
    locator="measured three times in 24 hours at the CIWEC Clinic, Kathmandu: 54.6 cm",
    verified=False,  # secondary copy of the Guinness announcement
    grade=Grade.SECONDARY,
)
GWR_HEAVIEST = Source(
    key="gwr-heaviest-minnoch",
    citation=(
        "Guinness World Records: heaviest human ever recorded, Jon Brower Minnoch, about "
        "635 kg (1,400 lb), estimated at admission in 1978; as reproduced by secondary sources."
    ),
    url="https://quizzclub.com/games/welcome/who-has-been-the-heaviest-person-in-the-world/answer/84739/",
    locator="peak weight approximately 1,400 lb (635 kg)",
    verified=False,  # secondary copy; an outer bound that only widens what is accepted
    grade=Grade.SECONDARY,
)
GWR_LIGHTEST = Source(
    key="gwr-lightest-zarate",
    citation=(
        "Guinness World Records: lightest adult ever recorded, Lucia Zarate (1864-1890), "
        "2.1 kg (4.7 lb) at age 17; as reproduced by secondary sources."
    ),
    url="https://www.mostextreme.org/lightest_person.php",
    locator="4.7 pounds (2.1 kg) at the age of 17",
    verified=False,  # secondary copy; an outer bound that only widens what is accepted
    grade=Grade.SECONDARY,
)
OLDEST_VERIFIED_LIFE = Source(
    key="calment-122y",
    citation=(
        "Jeanne Calment (21 Feb 1875 - 4 Aug 1997), oldest person whose age has been "
        "verified: 122 years 164 days (Guinness World Records); KetaCare floor 1900-01-01 "
        "for a date of birth (issue 15) lies below it."
    ),
    url="https://en.wikipedia.org/wiki/Jeanne_Calment",
    locator="documented lifespan of 122 years and 164 days",
    verified=False,  # encyclopedia summary; the floor itself is KetaCare's rule
    grade=Grade.HEURISTIC,  # KetaCare's floor, checked against the longest verified life
)
OLDEST_VERIFIED_AGE = Source(
    key="robine-allard-calment",
    citation=(
        "Robine JM, Allard M and co-authors, The Journals of Gerontology, 2019: re-examining "
        "their 1990s validation (for Guinness World Records) of Jeanne Calment's age, 21 Feb "
        "1875 - 4 Aug 1997, 122 years 164 days; as reported by Agence France-Presse, "
        "17 September 2019."
    ),
    url="https://mb.com.ph/2019/09/17/no-cheating-frenchwoman-was-worlds-oldest-person-researchers-say/",
    locator=(
        'Calment "remains the oldest human whose age is well-documented"; died aged 122 '
        "(122 years 164 days)"
    ),
    verified=False,  # the paper was not retrieved; a news agency's report quoting it
    grade=Grade.SECONDARY,
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Plausible values of one quantity. ``open_low``/``open_high``: the bound itself is out."""

    low: Decimal
    high: Decimal
    unit: str
    open_low: bool = False
    open_high: bool = False

    def admits(self, value: Decimal) -> bool:
        above = value > self.low if self.open_low else value >= self.low
        below = value < self.high if self.open_high else value <= self.high
        return above and below

    def describe(self) -> str:
        low = f"above {self.low}" if self.open_low else f"at least {self.low}"
        high = f"below {self.high}" if self.open_high else f"at most {self.high}"
        return f"{low} and {high} {self.unit}"


def _d(value: str) -> Decimal:
    return Decimal(value)


LIMITS: dict[str, Limits] = {
    "heart_rate_bpm": Limits(
        _d(cited("PLAUSIBLE_HEART_RATE_ABOVE", "0", "/min", MIMIC_CODE_VITALS)),
        _d(cited("PLAUSIBLE_HEART_RATE_BELOW", "300", "/min", MIMIC_CODE_VITALS)),
        "/min",
        open_low=True,
        open_high=True,
    ),
    "systolic_mmhg": Limits(
        _d(cited("PLAUSIBLE_SYSTOLIC_ABOVE", "0", "mmHg", MIMIC_CODE_VITALS)),
        _d(cited("PLAUSIBLE_SYSTOLIC_BELOW", "400", "mmHg", MIMIC_CODE_VITALS)),
        "mmHg",
        open_low=True,
        open_high=True,
    ),
    "diastolic_mmhg": Limits(
        _d(cited("PLAUSIBLE_DIASTOLIC_ABOVE", "0", "mmHg", MIMIC_CODE_VITALS)),
        _d(cited("PLAUSIBLE_DIASTOLIC_BELOW", "300", "mmHg", MIMIC_CODE_VITALS)),
        "mmHg",
        open_low=True,
        open_high=True,
    ),
    "respiratory_rate_per_min": Limits(
        _d(cited("PLAUSIBLE_RESPIRATORY_RATE_ABOVE", "0", "/min", MIMIC_CODE_VITALS)),
        _d(cited("PLAUSIBLE_RESPIRATORY_RATE_BELOW", "70", "/min", MIMIC_CODE_VITALS)),
        "/min",
        open_low=True,
        open_high=True,
    ),
    "spo2_percent": Limits(
        _d(cited("PLAUSIBLE_SPO2_ABOVE", "0", "%", MIMIC_CODE_VITALS)),
        _d(cited("PLAUSIBLE_SPO2_MAX", "100", "%", MIMIC_CODE_VITALS)),
        "%",
        open_low=True,
    ),
    "temperature_c": Limits(
        _d(cited("PLAUSIBLE_TEMPERATURE_ABOVE", "10", "degC", MIMIC_CODE_VITALS)),
        _d(cited("PLAUSIBLE_TEMPERATURE_BELOW", "50", "degC", MIMIC_CODE_VITALS)),
        "degC",
        open_low=True,
        open_high=True,
    ),
    "height_cm": Limits(
        _d(cited("PLAUSIBLE_HEIGHT_MIN", "54.6", "cm", GWR_SHORTEST)),
        _d(cited("PLAUSIBLE_HEIGHT_MAX", "272", "cm", GWR_TALLEST)),
        "cm",
    ),
    "weight_kg": Limits(
        _d(cited("PLAUSIBLE_WEIGHT_MIN", "2.1", "kg", GWR_LIGHTEST)),
        _d(cited("PLAUSIBLE_WEIGHT_MAX", "635", "kg", GWR_HEAVIEST)),
        "kg",
    ),
}

EARLIEST_BIRTH_DATE = date.fromisoformat(
    cited("EARLIEST_BIRTH_DATE", "1900-01-01", "date", OLDEST_VERIFIED_LIFE)
)
MAX_PLAUSIBLE_AGE_YEARS: int = cited("MAX_PLAUSIBLE_AGE_YEARS", 122, "years", OLDEST_VERIFIED_AGE)
# Derived, not a second number: the most whole months a life of MAX_PLAUSIBLE_AGE_YEARS whole
# years holds (its last month begins at 122 years 11 months). A span of a patient's life, such
# as the current depressive episode, cannot be longer.
MAX_PLAUSIBLE_AGE_MONTHS: int = cited(
    "MAX_PLAUSIBLE_AGE_MONTHS",
    (MAX_PLAUSIBLE_AGE_YEARS + 1) * 12 - 1,
    "months",
    OLDEST_VERIFIED_AGE,
)
# Engineering default, not a clinical number: how far a client's clock may run ahead of the
# server's before a reading "taken" then counts as in the future (KETACARE_CLOCK_SKEW_SECONDS).
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)

_ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def is_ascii_digits(text: str) -> bool:
    """Text that is one or more ASCII digits 0-9 (an id, a count). ``str.isdigit`` is also true
    of '²' (which ``int`` then refuses) and of '٨' (which ``int`` reads as 8)."""
    return text.isascii() and text.isdigit()


def is_ascii_number(text: str) -> bool:
    """A number written as text: an optional sign, ASCII digits and at most one point.
    No other script's digits, no underscores, exponents or surrounding spaces."""
    return _ASCII_NUMBER.fullmatch(text) is not None


def require_plausible(
    quantity: str, value: Any, *, field: str | None = None, code: str = "value_implausible"
) -> None:
    """Refuse ``value`` unless it is a finite number within the quantity's cited limits."""
    field = field or quantity
    limits = LIMITS[quantity]
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise InvalidClinicalInput(code, f"{field} must be a number.", {"field": field})
    number = Decimal(str(value))
    if not number.is_finite() or not limits.admits(number):
        raise InvalidClinicalInput(
            code,
            f"{field} = {value} is not a plausible value (it must be {limits.describe()}); "
            "check the reading and its unit.",
            {
                "field": field,
                "value": str(value),
                "plausible_min": str(limits.low),
                "plausible_max": str(limits.high),
                "unit": limits.unit,
            },
        )


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def require_plausible_age_years(
    value: Any, *, field: str = "age_years", code: str = "age_invalid", minimum: int = 0
) -> None:
    """Refuse an age unless it is whole years from ``minimum`` to ``MAX_PLAUSIBLE_AGE_YEARS``."""
    if not _is_whole(value) or not minimum <= value <= MAX_PLAUSIBLE_AGE_YEARS:
        raise InvalidClinicalInput(
            code,
            f"{field} = {value} is not a plausible age: it must be a whole number of years from "
            f"{minimum} to {MAX_PLAUSIBLE_AGE_YEARS} (the oldest verified human age); check the "
            "date of birth.",
            {
                "field": field,
                "value": str(value),
                "plausible_min": str(minimum),
                "plausible_max": str(MAX_PLAUSIBLE_AGE_YEARS),
                "unit": "years",
            },
        )


def require_plausible_months_of_life(
    value: Any, *, field: str, code: str, age_years: int | None = None
) -> None:
    """Refuse a span of the patient's life in whole months (an episode's duration) unless it is
    from 0 to the months a life of ``age_years`` (default: the oldest verified age) holds."""
    if age_years is None:
        most, whose = MAX_PLAUSIBLE_AGE_MONTHS, "the oldest verified human life"
    else:
        most, whose = (age_years + 1) * 12 - 1, f"the patient's life, aged {age_years}"
    if not _is_whole(value) or not 0 <= value <= most:
        raise InvalidClinicalInput(
            code,
            f"{field} = {value} is not plausible: it must be a whole number of months from 0 to "
            f"{most} (no longer than {whose}).",
            {
                "field": field,
                "value": str(value),
                "plausible_min": "0",
                "plausible_max": str(most),
                "unit": "months",
            },
        )


def require_plausible_birth_date(
    date_of_birth: date, *, today: date, field: str = "date_of_birth"
) -> None:
    if date_of_birth < EARLIEST_BIRTH_DATE:
        raise InvalidClinicalInput(
            "date_of_birth_implausible",
            f"A date of birth before {EARLIEST_BIRTH_DATE.isoformat()} is not plausible.",
            {"field": field, "earliest": EARLIEST_BIRTH_DATE.isoformat()},
        )
    if date_of_birth > today:
        raise InvalidClinicalInput(
            "date_in_future", "Date of birth cannot be in the future.", {"field": field}
        )


def require_plausible_reading_time(
    when: datetime,
    *,
    field: str,
    registered_at: datetime | None,
    now: datetime,
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    future_code: str = "time_in_future",
) -> None:
    """A reading or a dose happens after the patient was registered and not later than now
    (allowing ``clock_skew`` for a client whose clock runs ahead)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidClinicalInput(
            "naive_datetime", f"{field} must include a time zone.", {"field": field}
        )
    if when > now + clock_skew:
        raise InvalidClinicalInput(
            future_code, f"{field} cannot be in the future.", {"field": field}
        )
    if registered_at is not None and when < registered_at:
        raise InvalidClinicalInput(
            "time_before_registration",
            f"{field} cannot be before the patient was registered "
            f"({registered_at.date().isoformat()}).",
            {"field": field, "registered_at": registered_at.isoformat()},
        )
