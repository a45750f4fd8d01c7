"""What the treatment-recommendation engine reads: ``RecommendationInput`` and its parts.

The same input is built from KetaCare's own records (interop/mappers.py) and from an EHR's FHIR
prefetch (interop/fhir/inbound.py), so the engine gives the same answer through every door.

What it deliberately does not do:
- Contraindication and caution answers have no defaults: an unanswered question must not pass
  as "no". A door that cannot confirm a fact (an EHR that never recorded it) sets it to False
  *and* names it in ``unconfirmed_facts``; the engine then says so on every ketamine option.
- Adequacy of an ECT or rTMS course is the clinician's judgment (no criteria were verified);
  adequacy of a ketamine or esketamine series is computed from the session count (policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.eligibility.maudsley import MaudsleyBand
from ketacare.clinical.eligibility.screening import CssrsRisk, SubstanceUseDisorder
from ketacare.clinical.eligibility.verdict import Caution
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.plausibility import LIMITS, require_plausible_age_years

__all__ = [
    "UNCONFIRMABLE_FACTS",
    "ClinicCapabilities",
    "Contraindication",
    "CostClass",
    "CurrentScores",
    "EligibilityFacts",
    "Preferences",
    "PriorResponse",
    "PriorTreatment",
    "RecommendationInput",
    "TravelBurden",
    "TreatmentOption",
]


class TreatmentOption(StrEnum):
    ESKETAMINE_INTRANASAL = "esketamine_intranasal"  # SPRAVATO, REMS setting
    KETAMINE_IV = "ketamine_iv"  # racemic, off-label
    KETAMINE_IM = "ketamine_im"  # racemic, off-label
    ECT = "ect"
    RTMS = "rtms"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_ketamine(self) -> bool:
        return self in KETAMINE_OPTIONS


_LABELS = {
    TreatmentOption.ESKETAMINE_INTRANASAL: "Intranasal esketamine (SPRAVATO)",
    TreatmentOption.KETAMINE_IV: "IV racemic ketamine",
    TreatmentOption.KETAMINE_IM: "IM racemic ketamine",
    TreatmentOption.ECT: "Electroconvulsive therapy (ECT)",
    TreatmentOption.RTMS: "Repetitive transcranial magnetic stimulation (rTMS)",
}
KETAMINE_OPTIONS = frozenset(
    {
        TreatmentOption.ESKETAMINE_INTRANASAL,
        TreatmentOption.KETAMINE_IV,
        TreatmentOption.KETAMINE_IM,
    }
)
RACEMIC_KETAMINE_OPTIONS = frozenset({TreatmentOption.KETAMINE_IV, TreatmentOption.KETAMINE_IM})


class Contraindication(StrEnum):
    """SPRAVATO label contraindications (S2, S9), applied to racemic ketamine as the label
    analogue (reference §2.5)."""

    ANEURYSMAL_VASCULAR_DISEASE_OR_AVM = "aneurysmal_vascular_disease_or_avm"
    INTRACEREBRAL_HEMORRHAGE_HISTORY = "intracerebral_hemorrhage_history"
    HYPERSENSITIVITY_TO_KETAMINE = "hypersensitivity_to_ketamine_or_esketamine"


class PriorResponse(StrEnum):
    NO_RESPONSE = "no_response"
    PARTIAL_RESPONSE = "partial_response"
    RESPONSE = "response"
    REMISSION = "remission"
    INTOLERANCE = "intolerance"


BENEFIT_RESPONSES = frozenset({PriorResponse.RESPONSE, PriorResponse.REMISSION})
FAILED_RESPONSES = frozenset({PriorResponse.NO_RESPONSE, PriorResponse.PARTIAL_RESPONSE})


class TravelBurden(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"  # the patient cannot attend several visits a week


class CostClass(StrEnum):
    COVERED_ONLY = "covered_only"  # only options the patient's coverage pays for
    SELF_PAY_ACCEPTABLE = "self_pay_acceptable"


# Facts that a door may be unable to confirm (see module docstring).
UNCONFIRMABLE_FACTS = frozenset(
    {
        "contraindications",
        "current_psychosis",
        "pregnant",
        "uncontrolled_hypertension",
        "substance_use_disorder",
        "cssrs_risk",
    }
)

# Input plausibility bounds only (typing errors), not clinical thresholds. Age is bounded by
# the cited oldest verified human age (plausibility.MAX_PLAUSIBLE_AGE_YEARS).
_MAX_SESSIONS = 1000
_MAX_DURABILITY_DAYS = 3650
_MAX_TRIALS = 100
# Blood pressure: the cited physiological limits every vital sign meets at the door
# (plausibility.LIMITS, MIMIC Code Repository), not a range of this module's own.
_SYSTOLIC = LIMITS["systolic_mmhg"]
_DIASTOLIC = LIMITS["diastolic_mmhg"]
_SCORE_RANGES = {
    "phq9_total": (0, 27),
    "phq9_item9": (0, 3),
    "madrs_total": (0, 60),
    "qids_sr16_total": (0, 27),
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require_bool(obj: object, names: tuple[str, ...], where: str) -> None:
    for name in names:
        require(
            isinstance(getattr(obj, name), bool),
            "recommendation_answer_missing",
            f"Answer '{name}' ({where}) with yes or no; an unanswered question is not 'no'.",
            field=name,
        )


def _require_enum_set(value: object, enum: type[StrEnum], name: str) -> None:
    if not isinstance(value, frozenset) or not all(isinstance(v, enum) for v in value):
        raise InvalidClinicalInput(
            "recommendation_input_invalid",
            f"'{name}' must be a set of known codes.",
            {"field": name, "known": sorted(e.value for e in enum)},
        )


@dataclass(frozen=True, slots=True)
class PriorTreatment:
    """One past ketamine, esketamine, ECT or rTMS course and how it went.

    ``durability_days``: how long the benefit lasted after the last dose (response or
    remission only; None if unknown). ``adequate``: the clinician's judgment for ECT and rTMS
    (required); must be None for ketamine options, whose adequacy the engine computes from
    ``sessions``."""

    option: TreatmentOption
    sessions: int
    response: PriorResponse
    durability_days: int | None
    adequate: bool | None

    def __post_init__(self) -> None:
        require(
            isinstance(self.option, TreatmentOption),
            "prior_treatment_option_invalid",
            "A prior treatment must be esketamine_intranasal, ketamine_iv, ketamine_im, ect or "
            "rtms.",
        )
        label = self.option.value
        require(
            _is_int(self.sessions) and 1 <= self.sessions <= _MAX_SESSIONS,
            "prior_treatment_sessions_invalid",
            f"The number of {label} sessions must be a whole number from 1 to 1000.",
            option=label,
        )
        require(
            isinstance(self.response, PriorResponse),
            "prior_treatment_response_invalid",
            f"The response to {label} must be no_response, partial_response, response, "
            "remission or intolerance.",
            option=label,
        )
        if self.durability_days is not None:
            require(
                _is_int(self.durability_days) and 0 <= self.durability_days <= _MAX_DURABILITY_DAYS,
                "prior_treatment_durability_invalid",
                f"How long the {label} benefit lasted must be a whole number of days, 0-3650.",
                option=label,
            )
            require(
                self.response in BENEFIT_RESPONSES,
                "prior_treatment_durability_without_benefit",
                f"Durability of benefit is recorded only after a response or remission to {label}.",
                option=label,
            )
        if self.option.is_ketamine:
            require(
                self.adequate is None,
                "prior_treatment_adequacy_computed",
                f"Adequacy of a {label} series is computed from the session count; leave "
                "'adequate' unset.",
                option=label,
            )
        else:
            require(
                isinstance(self.adequate, bool),
                "prior_treatment_adequacy_missing",
                f"Record whether the {label} course was adequate (clinician judgment).",
                option=label,
            )


@dataclass(frozen=True, slots=True)
class CurrentScores:
    """Latest totals (None when not recorded) and the latest C-SSRS screener triage level."""

    phq9_total: int | None
    phq9_item9: int | None
    madrs_total: int | None
    qids_sr16_total: int | None
    cssrs_risk: CssrsRisk | None

    def __post_init__(self) -> None:
        for name, (low, high) in _SCORE_RANGES.items():
            value = getattr(self, name)
            if value is not None:
                require(
                    _is_int(value) and low <= value <= high,
                    "score_out_of_range",
                    f"'{name}' must be a whole number from {low} to {high}.",
                    field=name,
                )
        if self.phq9_item9 is not None and self.phq9_total is not None:
            require(
                self.phq9_item9 <= self.phq9_total,
                "score_inconsistent",
                "PHQ-9 item 9 cannot exceed the PHQ-9 total.",
            )
        require(
            self.cssrs_risk is None or isinstance(self.cssrs_risk, CssrsRisk),
            "cssrs_risk_invalid",
            "The C-SSRS screener risk must be low, moderate or high (or not recorded).",
        )


@dataclass(frozen=True, slots=True)
class EligibilityFacts:
    """From the evaluation: label contraindications, rule-13 cautions (see eligibility), the
    number of adequate failed antidepressants in the current episode and the Maudsley band."""

    contraindications: frozenset[Contraindication]
    cautions: frozenset[Caution]
    adequate_failed_antidepressants: int
    maudsley_band: MaudsleyBand | None

    def __post_init__(self) -> None:
        _require_enum_set(self.contraindications, Contraindication, "contraindications")
        _require_enum_set(self.cautions, Caution, "cautions")
        require(
            _is_int(self.adequate_failed_antidepressants)
            and 0 <= self.adequate_failed_antidepressants <= _MAX_TRIALS,
            "failed_trials_invalid",
            "The number of adequate failed antidepressants must be a whole number, 0-100.",
        )
        require(
            self.maudsley_band is None or isinstance(self.maudsley_band, MaudsleyBand),
            "maudsley_band_invalid",
            "The Maudsley band must be mild, moderate or severe (or not staged).",
        )


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the patient wants: options in order of preference, options declined, how hard
    frequent visits are, and whether self-pay is acceptable."""

    preferred: tuple[TreatmentOption, ...]
    declined: frozenset[TreatmentOption]
    travel_burden: TravelBurden
    cost_class: CostClass

    def __post_init__(self) -> None:
        require(
            isinstance(self.preferred, tuple)
            and all(isinstance(o, TreatmentOption) for o in self.preferred)
            and len(set(self.preferred)) == len(self.preferred),
            "preferences_invalid",
            "Preferred options must be a list of distinct known options.",
        )
        _require_enum_set(self.declined, TreatmentOption, "declined")
        require(
            not (set(self.preferred) & self.declined),
            "preferences_contradictory",
            "An option cannot be both preferred and declined.",
        )
        require(
            isinstance(self.travel_burden, TravelBurden),
            "travel_burden_invalid",
            "Travel burden must be low, moderate or high.",
        )
        require(
            isinstance(self.cost_class, CostClass),
            "cost_class_invalid",
            "Cost class must be covered_only or self_pay_acceptable.",
        )


@dataclass(frozen=True, slots=True)
class ClinicCapabilities:
    """What the treating clinic can deliver or refer to, and which options it bills as
    self-pay (not covered)."""

    offers_iv_ketamine: bool
    offers_im_ketamine: bool
    esketamine_rems_certified: bool
    ect_referral: bool
    rtms_referral: bool
    self_pay_options: frozenset[TreatmentOption] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _require_bool(
            self,
            (
                "offers_iv_ketamine",
                "offers_im_ketamine",
                "esketamine_rems_certified",
                "ect_referral",
                "rtms_referral",
            ),
            "clinic capabilities",
        )
        _require_enum_set(self.self_pay_options, TreatmentOption, "self_pay_options")

    def delivers(self, option: TreatmentOption) -> bool:
        return {
            TreatmentOption.ESKETAMINE_INTRANASAL: self.esketamine_rems_certified,
            TreatmentOption.KETAMINE_IV: self.offers_iv_ketamine,
            TreatmentOption.KETAMINE_IM: self.offers_im_ketamine,
            TreatmentOption.ECT: self.ect_referral,
            TreatmentOption.RTMS: self.rtms_referral,
        }[option]

    @staticmethod
    def is_referral(option: TreatmentOption) -> bool:
        return option in (TreatmentOption.ECT, TreatmentOption.RTMS)


@dataclass(frozen=True, slots=True)
class RecommendationInput:
    """Everything the engine reads, as of ``as_of`` (timezone-aware)."""

    as_of: datetime
    age_years: int
    eligibility: EligibilityFacts
    history: tuple[PriorTreatment, ...]
    scores: CurrentScores
    current_psychosis: bool
    pregnant: bool
    uncontrolled_hypertension: bool
    substance_use_disorder: SubstanceUseDisorder
    latest_systolic_mmhg: int | None
    latest_diastolic_mmhg: int | None
    preferences: Preferences
    clinic: ClinicCapabilities
    unconfirmed_facts: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        require(
            isinstance(self.as_of, datetime)
            and self.as_of.tzinfo is not None
            and self.as_of.utcoffset() is not None,
            "datetime_not_timezone_aware",
            "'as_of' must be a timezone-aware date and time.",
            field="as_of",
        )
        require_plausible_age_years(self.age_years, field="age_years", code="age_invalid")
        for name, kind in (
            ("eligibility", EligibilityFacts),
            ("scores", CurrentScores),
            ("preferences", Preferences),
            ("clinic", ClinicCapabilities),
        ):
            require(
                isinstance(getattr(self, name), kind),
                "recommendation_input_invalid",
                f"'{name}' must be a {kind.__name__} record.",
                field=name,
            )
        require(
            isinstance(self.history, tuple)
            and all(isinstance(t, PriorTreatment) for t in self.history),
            "recommendation_input_invalid",
            "'history' must be a tuple of prior treatment records.",
            field="history",
        )
        _require_bool(
            self, ("current_psychosis", "pregnant", "uncontrolled_hypertension"), "evaluation"
        )
        require(
            isinstance(self.substance_use_disorder, SubstanceUseDisorder),
            "substance_use_disorder_invalid",
            "Substance use disorder must be none, active or in_remission.",
        )
        sbp, dbp = self.latest_systolic_mmhg, self.latest_diastolic_mmhg
        require(
            (sbp is None) == (dbp is None),
            "blood_pressure_incomplete",
            "Record both systolic and diastolic blood pressure, or neither.",
        )
        if sbp is not None and dbp is not None:
            require(
                _is_int(sbp)
                and _SYSTOLIC.admits(Decimal(sbp))
                and _is_int(dbp)
                and _DIASTOLIC.admits(Decimal(dbp))
                and dbp < sbp,
                "blood_pressure_implausible",
                f"Blood pressure must be whole mmHg (systolic {_SYSTOLIC.describe()}, "
                f"diastolic {_DIASTOLIC.describe()}, diastolic below systolic).",
            )
        if not isinstance(self.unconfirmed_facts, frozenset) or not (
            self.unconfirmed_facts <= UNCONFIRMABLE_FACTS
        ):
            raise InvalidClinicalInput(
                "recommendation_input_invalid",
                "'unconfirmed_facts' must name facts the engine knows.",
                {"known": sorted(UNCONFIRMABLE_FACTS)},
            )
