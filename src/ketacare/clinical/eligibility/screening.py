"""What a ketamine/esketamine evaluation records: the input to ``evaluate_eligibility``.

Implements:
- ``EvaluationInput``: age, intended route, antidepressant trials, episode duration and
  severity (for TRD and Maudsley staging), the three SPRAVATO label contraindications (S2, S9),
  the label's warnings and precautions (S1, S2), a C-SSRS screener result with its date
  (Columbia triage, S40a) and a substance-use screen.
- ``SubstanceUseScreen``: the two NIAAA/NIDA-style single-question screens validated in primary
  care: "How many times in the past year have you had X or more drinks in a day?" (X = 5 for
  men, 4 for women; Smith 2009) and "How many times in the past year have you used an illegal
  drug or used a prescription medication for non-medical reasons?" (Smith 2010). A response of
  at least 1 is positive for each.

What it deliberately does not do:
- No field has a default: an unanswered contraindication or caution question must not pass
  silently as "no".
- A positive single-question screen is not a diagnosis of a substance use disorder; it raises
  a caution asking the prescriber to assess the risk of abuse and misuse (label, S1).
- It does not choose X for the alcohol question (the clinician asks with the right X); it
  records the answers as counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.eligibility.maudsley import MaudsleySeverity
from ketacare.clinical.eligibility.references import (
    SINGLE_QUESTION_ALCOHOL_SCREEN,
    SINGLE_QUESTION_DRUG_SCREEN,
)
from ketacare.clinical.eligibility.routes import Route
from ketacare.clinical.eligibility.trd import AntidepressantTrial
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.plausibility import (
    LIMITS,
    require_plausible_age_years,
    require_plausible_months_of_life,
)
from ketacare.clinical.sources import cited

SSQ_ALCOHOL_HEAVY_DAY_DRINKS_MEN = cited(
    "SSQ_ALCOHOL_HEAVY_DAY_DRINKS_MEN", 5, "drinks in a day", SINGLE_QUESTION_ALCOHOL_SCREEN
)
SSQ_ALCOHOL_HEAVY_DAY_DRINKS_WOMEN = cited(
    "SSQ_ALCOHOL_HEAVY_DAY_DRINKS_WOMEN", 4, "drinks in a day", SINGLE_QUESTION_ALCOHOL_SCREEN
)
SSQ_ALCOHOL_POSITIVE_MIN_TIMES = cited(
    "SSQ_ALCOHOL_POSITIVE_MIN_TIMES",
    1,
    "heavy drinking days in the past year",
    SINGLE_QUESTION_ALCOHOL_SCREEN,
)
SSQ_DRUG_POSITIVE_MIN_TIMES = cited(
    "SSQ_DRUG_POSITIVE_MIN_TIMES",
    1,
    "times of drug use in the past year",
    SINGLE_QUESTION_DRUG_SCREEN,
)

# Age and episode duration: the cited bound on a human age (plausibility.MAX_PLAUSIBLE_AGE_YEARS,
# the oldest verified life); an episode is no longer than the patient's life.
# Blood pressure: the cited physiological limits every vital sign meets at the door
# (plausibility.LIMITS, MIMIC Code Repository), not a range of this module's own.
_SYSTOLIC = LIMITS["systolic_mmhg"]
_DIASTOLIC = LIMITS["diastolic_mmhg"]
_MAX_DAYS_IN_A_YEAR = 366


class SubstanceUseDisorder(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    IN_REMISSION = "in_remission"


class HepaticImpairment(StrEnum):
    NONE = "none"
    MODERATE = "moderate"
    SEVERE = "severe"


class CssrsRisk(StrEnum):
    """C-SSRS screener triage level as recorded by the clinician.

    S40a; low and moderate as on the C-SSRS Screener with triage colours.
    """

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"  # yes to Q4/Q5 in the past month or suicidal behavior within 3 months


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require_aware(value: object, field: str) -> None:
    require(
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None,
        "datetime_not_timezone_aware",
        f"'{field}' must be a timezone-aware date and time.",
        field=field,
    )


@dataclass(frozen=True, slots=True)
class CssrsScreen:
    risk: CssrsRisk
    assessed_at: datetime

    def __post_init__(self) -> None:
        require(
            isinstance(self.risk, CssrsRisk),
            "cssrs_risk_invalid",
            "The C-SSRS screener risk must be low, moderate or high.",
        )
        _require_aware(self.assessed_at, "cssrs.assessed_at")


@dataclass(frozen=True, slots=True)
class SubstanceUseScreen:
    """Answers to the two single-question screens, as counts over the past year."""

    heavy_drinking_days_past_year: int
    drug_use_times_past_year: int
    screened_at: datetime

    def __post_init__(self) -> None:
        require(
            _is_int(self.heavy_drinking_days_past_year)
            and 0 <= self.heavy_drinking_days_past_year <= _MAX_DAYS_IN_A_YEAR,
            "substance_screen_alcohol_invalid",
            "Heavy drinking days in the past year must be a whole number from 0 to 366.",
        )
        require(
            _is_int(self.drug_use_times_past_year) and self.drug_use_times_past_year >= 0,
            "substance_screen_drug_invalid",
            "Times of drug use in the past year must be a whole number, 0 or more.",
        )
        _require_aware(self.screened_at, "substance_screen.screened_at")

    @property
    def alcohol_positive(self) -> bool:
        return self.heavy_drinking_days_past_year >= SSQ_ALCOHOL_POSITIVE_MIN_TIMES

    @property
    def drugs_positive(self) -> bool:
        return self.drug_use_times_past_year >= SSQ_DRUG_POSITIVE_MIN_TIMES


@dataclass(frozen=True, slots=True)
class EvaluationInput:
    """Everything the eligibility rules read. ``route`` is None while undecided; BP values are
    the latest recorded (both or neither)."""

    as_of: datetime
    age_years: int
    route: Route | None
    trials: tuple[AntidepressantTrial, ...]
    episode_duration_months: int
    severity: MaudsleySeverity
    ect_used: bool
    # SPRAVATO label contraindications (S2, S9)
    aneurysmal_vascular_disease_or_avm: bool
    intracerebral_hemorrhage_history: bool
    hypersensitivity_to_ketamine_or_esketamine: bool
    # Label warnings and precautions (S1, S2)
    psychosis_history: bool
    current_psychosis: bool
    substance_use_disorder: SubstanceUseDisorder
    pregnant: bool
    breastfeeding: bool
    hepatic_impairment: HepaticImpairment
    uncontrolled_hypertension: bool
    latest_systolic_mmhg: int | None
    latest_diastolic_mmhg: int | None
    hypertensive_encephalopathy_history: bool
    takes_cns_depressants: bool
    takes_psychostimulants: bool
    takes_maois: bool
    # Screens
    cssrs: CssrsScreen | None
    substance_screen: SubstanceUseScreen | None

    def __post_init__(self) -> None:
        _require_aware(self.as_of, "as_of")
        require_plausible_age_years(self.age_years, field="age_years", code="age_invalid")
        require(
            self.route is None or isinstance(self.route, Route),
            "route_invalid",
            "The intended route must be iv, im, sc, intranasal or oral (or not yet chosen).",
        )
        if not isinstance(self.trials, tuple) or not all(
            isinstance(t, AntidepressantTrial) for t in self.trials
        ):
            raise InvalidClinicalInput(
                "trials_invalid", "Trials must be a tuple of antidepressant trial records."
            )
        require_plausible_months_of_life(
            self.episode_duration_months,
            field="episode_duration_months",
            code="episode_duration_invalid",
            age_years=self.age_years,
        )
        require(
            isinstance(self.severity, MaudsleySeverity),
            "severity_invalid",
            "Severity must be subsyndromal, mild, moderate, severe_without_psychosis or "
            "severe_with_psychosis.",
        )
        for name in (
            "ect_used",
            "aneurysmal_vascular_disease_or_avm",
            "intracerebral_hemorrhage_history",
            "hypersensitivity_to_ketamine_or_esketamine",
            "psychosis_history",
            "current_psychosis",
            "pregnant",
            "breastfeeding",
            "uncontrolled_hypertension",
            "hypertensive_encephalopathy_history",
            "takes_cns_depressants",
            "takes_psychostimulants",
            "takes_maois",
        ):
            require(
                isinstance(getattr(self, name), bool),
                "evaluation_answer_missing",
                f"Answer '{name}' with yes or no; an unanswered question is not 'no'.",
                field=name,
            )
        require(
            isinstance(self.substance_use_disorder, SubstanceUseDisorder),
            "substance_use_disorder_invalid",
            "Substance use disorder must be none, active or in_remission.",
        )
        require(
            isinstance(self.hepatic_impairment, HepaticImpairment),
            "hepatic_impairment_invalid",
            "Hepatic impairment must be none, moderate or severe.",
        )
        self._check_bp()
        require(
            self.cssrs is None or isinstance(self.cssrs, CssrsScreen),
            "cssrs_invalid",
            "The C-SSRS result must be a C-SSRS screen record or absent.",
        )
        if self.cssrs is not None:
            require(
                self.cssrs.assessed_at <= self.as_of,
                "cssrs_in_future",
                "The C-SSRS screen is dated after the evaluation time.",
            )
        require(
            self.substance_screen is None or isinstance(self.substance_screen, SubstanceUseScreen),
            "substance_screen_invalid",
            "The substance-use screen must be a screen record or absent.",
        )
        if self.substance_screen is not None:
            require(
                self.substance_screen.screened_at <= self.as_of,
                "substance_screen_in_future",
                "The substance-use screen is dated after the evaluation time.",
            )

    def _check_bp(self) -> None:
        sbp, dbp = self.latest_systolic_mmhg, self.latest_diastolic_mmhg
        require(
            (sbp is None) == (dbp is None),
            "blood_pressure_incomplete",
            "Record both systolic and diastolic blood pressure, or neither.",
        )
        if sbp is None or dbp is None:
            return
        require(
            _is_int(sbp) and _SYSTOLIC.admits(Decimal(sbp)),
            "systolic_out_of_range",
            f"Systolic blood pressure must be a whole number {_SYSTOLIC.describe()}.",
            latest_systolic_mmhg=sbp,
        )
        require(
            _is_int(dbp) and _DIASTOLIC.admits(Decimal(dbp)),
            "diastolic_out_of_range",
            f"Diastolic blood pressure must be a whole number {_DIASTOLIC.describe()}.",
            latest_diastolic_mmhg=dbp,
        )
        require(
            dbp < sbp,
            "blood_pressure_implausible",
            "Diastolic blood pressure must be lower than systolic.",
        )
