"""Treatment recommendation: rank esketamine, IV/IM racemic ketamine, ECT and rTMS for one
patient, each with suitability, reasons for and against, cautions, evidence and sources.

Implements ``recommend_treatment(inp, policy) -> Recommendation`` and
``check_prescriber_choice(recommendation, chosen, reason) -> GateDecision``.

Rules (each reason carries a stable code and its source):
- Absolute exclusion (never recommended, cannot be chosen): the SPRAVATO label
  contraindications (aneurysmal vascular disease or AVM, intracerebral hemorrhage,
  hypersensitivity; S2, S9) for esketamine and, as the label analogue (reference §2.5), for
  racemic ketamine; esketamine under 18 years ("not approved", S9).
- Relative exclusion (not ranked; a prescriber may still choose it with a written reason):
  current psychosis, pregnancy, uncontrolled hypertension and active substance use disorder for
  the ketamine options (label warnings S1/S2; clinic exclusion practice §2.5); a prior adequate
  series of the same ketamine form without response (Sanacora: few respond after more than
  three infusions if none before, S14b; esketamine: benefit is evaluated at the end of the
  4-week twice-weekly induction, S2/S3).
- Concerns (each lowers suitability one step: high -> moderate -> low): not treatment-resistant
  (fewer than 2 adequate failed antidepressants, S56a) for ketamine; no failed antidepressant
  for rTMS (CANMAT 2016: after at least 1); non-response to the sibling ketamine form; relapse
  within days after each dose (benefit shorter than the most frequent labelled maintenance
  interval, once weekly, S2/S3); prior intolerance or adequate non-response to ECT/rTMS;
  frequent visits with a high travel burden; self-pay when only covered options are acceptable;
  screening facts that the data source could not confirm.
- Context: C-SSRS high risk (acute suicidality) asks for a same-day safety assessment first
  (Columbia triage, S40a); ECT is first-line for a depressive episode with psychosis or suicidal
  ideation (CANMAT via CMAJ table, secondary) and ranks first in those contexts.
- Ranking, in order: not excluded; delivered by this clinic (or its referral); not declined by
  the patient; suitability; context first-line; earlier benefit from the same option; the
  patient's preference order; delivered onsite rather than by referral; labelled indication
  before off-label; guideline line (rTMS 1, ECT 2, IV ketamine 3); a fixed tie-break.

What it deliberately does not do: dose, schedule or gate a session (dosing and session
modules do), decide trial adequacy for ECT/rTMS, assert ECT or rTMS contraindications (none
verified: vascular history and pregnancy become cautions for the ECT/rTMS team), or replace the
prescriber: the output is decision support and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.dosing.protocols import (
    ELEKT_D_SESSIONS_PER_WEEK,
    ESKETAMINE_INDUCTION_SESSIONS_PER_WEEK,
    ESKETAMINE_MAINTENANCE_SESSIONS_PER_WEEK,
    ESKETAMINE_TRD_INDUCTION_WEEKS,
)
from ketacare.clinical.eligibility.references import TRD_DEFINITION
from ketacare.clinical.eligibility.screening import CssrsRisk, SubstanceUseDisorder
from ketacare.clinical.eligibility.trd import TRD_MIN_ADEQUATE_FAILED_TRIALS
from ketacare.clinical.eligibility.verdict import (
    BP_CAUTION_DIASTOLIC_ABOVE_MMHG,
    BP_CAUTION_SYSTOLIC_ABOVE_MMHG,
    ESKETAMINE_MIN_AGE_YEARS,
    Caution,
)
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.recommendations.inputs import (
    BENEFIT_RESPONSES,
    FAILED_RESPONSES,
    RACEMIC_KETAMINE_OPTIONS,
    Contraindication,
    CostClass,
    PriorResponse,
    PriorTreatment,
    RecommendationInput,
    TravelBurden,
    TreatmentOption,
)
from ketacare.clinical.recommendations.references import (
    CANMAT_2016_NEUROSTIMULATION,
    CANMAT_KETAMINE_TASK_FORCE,
    CANMAT_NEUROSTIMULATION_TABLE,
    CSSRS_TRIAGE,
    ELEKT_D,
    IM_KETAMINE_TRIAL,
    KETACARE_PRODUCT_RULE,
    KETECT,
    PHQ9_ITEM9_FOLLOW_UP,
    SANACORA_CONSENSUS,
    SPRAVATO_CONTRAINDICATIONS,
    SPRAVATO_DOSING,
    SPRAVATO_WARNINGS,
    SUSTAIN_1,
)
from ketacare.clinical.scales.phq9 import PHQ9_ITEM9_POSITIVE_MIN, PHQ9_MODERATE_MIN
from ketacare.clinical.sources import Source, cited

# --- Evidence and positioning (cited) ---------------------------------------------------------
IV_KETAMINE_SINGLE_INFUSION_CANMAT_LEVEL = cited(
    "IV_KETAMINE_SINGLE_INFUSION_CANMAT_LEVEL",
    1,
    "CANMAT evidence level",
    CANMAT_KETAMINE_TASK_FORCE,
)
IV_KETAMINE_REPEATED_CANMAT_LEVEL = cited(
    "IV_KETAMINE_REPEATED_CANMAT_LEVEL", 3, "CANMAT evidence level", CANMAT_KETAMINE_TASK_FORCE
)
NON_IV_KETAMINE_CANMAT_LEVEL_BEST = cited(
    "NON_IV_KETAMINE_CANMAT_LEVEL_BEST", 3, "CANMAT evidence level", CANMAT_KETAMINE_TASK_FORCE
)
NON_IV_KETAMINE_CANMAT_LEVEL_WORST = cited(
    "NON_IV_KETAMINE_CANMAT_LEVEL_WORST", 4, "CANMAT evidence level", CANMAT_KETAMINE_TASK_FORCE
)
IV_KETAMINE_CANMAT_LINE = cited(
    "IV_KETAMINE_CANMAT_LINE", 3, "line of treatment", CANMAT_KETAMINE_TASK_FORCE
)
RTMS_CANMAT_LINE = cited("RTMS_CANMAT_LINE", 1, "line of treatment", CANMAT_2016_NEUROSTIMULATION)
RTMS_MIN_FAILED_ANTIDEPRESSANTS = cited(
    "RTMS_MIN_FAILED_ANTIDEPRESSANTS", 1, "antidepressants", CANMAT_2016_NEUROSTIMULATION
)
ECT_CANMAT_LINE_TRD = cited(
    "ECT_CANMAT_LINE_TRD", 2, "line of treatment", CANMAT_2016_NEUROSTIMULATION
)
ECT_ACUTE_EFFICACY_CANMAT_LEVEL = cited(
    "ECT_ACUTE_EFFICACY_CANMAT_LEVEL", 1, "CANMAT evidence level", CANMAT_NEUROSTIMULATION_TABLE
)
RTMS_ACUTE_EFFICACY_CANMAT_LEVEL = cited(
    "RTMS_ACUTE_EFFICACY_CANMAT_LEVEL", 1, "CANMAT evidence level", CANMAT_NEUROSTIMULATION_TABLE
)
ELEKTD_KETAMINE_RESPONSE_PCT = cited("ELEKTD_KETAMINE_RESPONSE_PCT", Decimal("55.4"), "%", ELEKT_D)
ELEKTD_ECT_RESPONSE_PCT = cited("ELEKTD_ECT_RESPONSE_PCT", Decimal("41.2"), "%", ELEKT_D)
ELEKTD_KETAMINE_SESSIONS_PER_WEEK = ELEKT_D_SESSIONS_PER_WEEK
ELEKTD_ECT_SESSIONS_PER_WEEK = cited(
    "ELEKTD_ECT_SESSIONS_PER_WEEK", 3, "sessions per week", ELEKT_D
)
KETECT_KETAMINE_REMISSION_PCT = cited("KETECT_KETAMINE_REMISSION_PCT", 46, "%", KETECT)
KETECT_ECT_REMISSION_PCT = cited("KETECT_ECT_REMISSION_PCT", 63, "%", KETECT)
SUSTAIN1_RELAPSE_ESKETAMINE_PCT = cited(
    "SUSTAIN1_RELAPSE_ESKETAMINE_PCT", Decimal("26.7"), "%", SUSTAIN_1
)
SUSTAIN1_RELAPSE_PLACEBO_PCT = cited(
    "SUSTAIN1_RELAPSE_PLACEBO_PCT", Decimal("45.3"), "%", SUSTAIN_1
)
SUSTAIN1_NNT_STABLE_REMITTERS = cited("SUSTAIN1_NNT_STABLE_REMITTERS", 6, "patients", SUSTAIN_1)
# The most frequent labelled maintenance schedule is once weekly (weeks 5-8): benefit that
# fades sooner cannot be carried by any labelled maintenance schedule.
_DAYS_PER_WEEK = 7  # calendar, not a clinical number
ESKETAMINE_MOST_FREQUENT_MAINTENANCE_INTERVAL_DAYS = (
    _DAYS_PER_WEEK // ESKETAMINE_MAINTENANCE_SESSIONS_PER_WEEK
)
ESKETAMINE_INDUCTION_WEEKS = ESKETAMINE_TRD_INDUCTION_WEEKS
# [V*] Sanacora via Medscape: few respond after more than three infusions if none before.
KETAMINE_SERIES_NONRESPONSE_MIN_SESSIONS = cited(
    "KETAMINE_SERIES_NONRESPONSE_MIN_SESSIONS", 3, "sessions", SANACORA_CONSENSUS
)

DISCLAIMER = (
    "Decision support for a licensed prescriber, not an order. The ranking explains itself; "
    "the prescriber decides, and a choice that differs from the top option is recorded with "
    "its reason."
)


class Suitability(StrEnum):
    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    EXCLUDED = "excluded"


class ExclusionKind(StrEnum):
    ABSOLUTE = "absolute"  # never recommended, cannot be chosen
    RELATIVE = "relative"  # not ranked; a prescriber may choose it with a written reason


@dataclass(frozen=True, slots=True)
class RecommendationPolicy:
    """Clinic-adjustable engine settings with cited defaults.

    - ``trd_min_adequate_failed_trials`` (default 2, S56a).
    - ``ketamine_series_nonresponse_min_sessions`` (default 3, Sanacora via Medscape [V*]):
      a racemic series at least this long without response counts as adequate non-response.
    - ``esketamine_induction_sessions`` (default 2/week x 4 weeks = 8, label S2/S3).
    - ``rapid_relapse_below_days`` (default 7, the once-weekly labelled maintenance interval):
      benefit that lasted fewer days after each dose is "relapse within days".
    """

    trd_min_adequate_failed_trials: int = TRD_MIN_ADEQUATE_FAILED_TRIALS
    ketamine_series_nonresponse_min_sessions: int = KETAMINE_SERIES_NONRESPONSE_MIN_SESSIONS
    esketamine_induction_sessions: int = (
        ESKETAMINE_INDUCTION_SESSIONS_PER_WEEK * ESKETAMINE_INDUCTION_WEEKS
    )
    rapid_relapse_below_days: int = ESKETAMINE_MOST_FREQUENT_MAINTENANCE_INTERVAL_DAYS

    def __post_init__(self) -> None:
        for name in (
            "trd_min_adequate_failed_trials",
            "ketamine_series_nonresponse_min_sessions",
            "esketamine_induction_sessions",
            "rapid_relapse_below_days",
        ):
            value = getattr(self, name)
            require(
                isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                "policy_invalid",
                f"Policy setting '{name}' must be a whole number of at least 1.",
                field=name,
            )


@dataclass(frozen=True, slots=True)
class Evidence:
    level: str  # e.g. "CANMAT Level 1 (single infusion); Level 3 (repeated)"
    summary: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class RankedOption:
    option: TreatmentOption
    rank: int  # 1 = top
    suitability: Suitability
    exclusion: ExclusionKind | None
    available: bool
    reasons_for: tuple[Finding, ...]
    reasons_against: tuple[Finding, ...]
    cautions: tuple[Finding, ...]
    exclusion_reasons: tuple[Finding, ...]
    evidence: Evidence
    declined_by_patient: bool = False

    @property
    def label(self) -> str:
        return self.option.label

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(
            f.code
            for f in self.reasons_for
            + self.reasons_against
            + self.cautions
            + self.exclusion_reasons
        )


@dataclass(frozen=True, slots=True)
class Recommendation:
    options: tuple[RankedOption, ...]
    urgent: tuple[Finding, ...]
    notes: tuple[Finding, ...]
    no_top_reason: Finding | None = None
    disclaimer: str = DISCLAIMER
    decision_support: bool = True

    @property
    def top(self) -> RankedOption | None:
        """The best ranked option that is neither excluded nor unavailable, if any."""
        if self.no_top_reason is not None:
            return None
        first = self.options[0] if self.options else None
        if (
            first is None
            or first.exclusion is not None
            or not first.available
            or first.declined_by_patient
        ):
            return None
        return first

    def option(self, option: TreatmentOption) -> RankedOption:
        for ranked in self.options:
            if ranked.option is option:
                return ranked
        raise InvalidClinicalInput("option_unknown", f"No ranked option {option}.")


@dataclass(slots=True)
class _Draft:
    option: TreatmentOption
    reasons_for: list[Finding] = field(default_factory=list)
    concerns: list[Finding] = field(default_factory=list)
    cautions: list[Finding] = field(default_factory=list)
    absolute: list[Finding] = field(default_factory=list)
    relative: list[Finding] = field(default_factory=list)
    context_first_line: bool = False
    prior_benefit: bool = False


def _f(code: str, message: str, source: Source | None, **data: object) -> Finding:
    return Finding(code=code, message=message, source=source, data=tuple(sorted(data.items())))


_EVIDENCE = {
    TreatmentOption.ESKETAMINE_INTRANASAL: Evidence(
        level="FDA-approved for TRD (label); relapse prevention RCT (SUSTAIN-1)",
        summary=(
            f"SUSTAIN-1: stable remitters relapsed {SUSTAIN1_RELAPSE_ESKETAMINE_PCT}% on "
            f"esketamine vs {SUSTAIN1_RELAPSE_PLACEBO_PCT}% on placebo (NNT "
            f"{SUSTAIN1_NNT_STABLE_REMITTERS}). Induction twice weekly for "
            f"{ESKETAMINE_INDUCTION_WEEKS} weeks in a REMS-certified setting."
        ),
        sources=(SPRAVATO_DOSING, SUSTAIN_1),
    ),
    TreatmentOption.KETAMINE_IV: Evidence(
        level=(
            f"CANMAT Level {IV_KETAMINE_SINGLE_INFUSION_CANMAT_LEVEL} (single infusion); Level "
            f"{IV_KETAMINE_REPEATED_CANMAT_LEVEL} (repeated/maintenance); third-line; off-label"
        ),
        summary=(
            f"ELEKT-D (nonpsychotic TRD): response {ELEKTD_KETAMINE_RESPONSE_PCT}% with ketamine "
            f"twice weekly vs {ELEKTD_ECT_RESPONSE_PCT}% with ECT (noninferior). KetECT "
            f"(inpatients): remission {KETECT_KETAMINE_REMISSION_PCT}% vs "
            f"{KETECT_ECT_REMISSION_PCT}% with ECT."
        ),
        sources=(CANMAT_KETAMINE_TASK_FORCE, ELEKT_D, KETECT),
    ),
    TreatmentOption.KETAMINE_IM: Evidence(
        level=(
            f"CANMAT Level {NON_IV_KETAMINE_CANMAT_LEVEL_BEST}-{NON_IV_KETAMINE_CANMAT_LEVEL_WORST}"
            " (non-IV racemic ketamine); off-label"
        ),
        summary=(
            "Small open-label RCT (n=27): IM 0.25-0.5 mg/kg similar to IV 0.5 mg/kg at 2 hours; "
            "evidence is limited."
        ),
        sources=(CANMAT_KETAMINE_TASK_FORCE, IM_KETAMINE_TRIAL),
    ),
    TreatmentOption.ECT: Evidence(
        level=(
            f"CANMAT second-line for TRD (first-line with psychosis or suicidal ideation); acute "
            f"efficacy Level {ECT_ACUTE_EFFICACY_CANMAT_LEVEL}"
        ),
        summary=(
            f"KetECT (inpatients): remission {KETECT_ECT_REMISSION_PCT}% with ECT vs "
            f"{KETECT_KETAMINE_REMISSION_PCT}% with ketamine; ELEKT-D (nonpsychotic outpatients "
            f"referred for ECT): response {ELEKTD_ECT_RESPONSE_PCT}% vs "
            f"{ELEKTD_KETAMINE_RESPONSE_PCT}% with ketamine."
        ),
        sources=(CANMAT_2016_NEUROSTIMULATION, CANMAT_NEUROSTIMULATION_TABLE, KETECT, ELEKT_D),
    ),
    TreatmentOption.RTMS: Evidence(
        level=(
            f"CANMAT first-line after failure of at least {RTMS_MIN_FAILED_ANTIDEPRESSANTS} "
            f"antidepressant; acute efficacy Level {RTMS_ACUTE_EFFICACY_CANMAT_LEVEL}"
        ),
        summary="Non-convulsive neurostimulation delivered by a referral provider.",
        sources=(CANMAT_2016_NEUROSTIMULATION, CANMAT_NEUROSTIMULATION_TABLE),
    ),
}
_GUIDELINE_LINE = {
    TreatmentOption.RTMS: RTMS_CANMAT_LINE,
    TreatmentOption.ECT: ECT_CANMAT_LINE_TRD,
    TreatmentOption.KETAMINE_IV: IV_KETAMINE_CANMAT_LINE,
}
_SESSIONS_PER_WEEK = {
    TreatmentOption.ESKETAMINE_INTRANASAL: ESKETAMINE_INDUCTION_SESSIONS_PER_WEEK,
    TreatmentOption.KETAMINE_IV: ELEKTD_KETAMINE_SESSIONS_PER_WEEK,
    # Racemic acute-series schedules (reference rule 18) apply to IM as well.
    TreatmentOption.KETAMINE_IM: ELEKTD_KETAMINE_SESSIONS_PER_WEEK,
    TreatmentOption.ECT: ELEKTD_ECT_SESSIONS_PER_WEEK,
}
_CONTRAINDICATION_TEXT = {
    Contraindication.ANEURYSMAL_VASCULAR_DISEASE_OR_AVM: (
        "Aneurysmal vascular disease or arteriovenous malformation"
    ),
    Contraindication.INTRACEREBRAL_HEMORRHAGE_HISTORY: "History of intracerebral hemorrhage",
    Contraindication.HYPERSENSITIVITY_TO_KETAMINE: (
        "Hypersensitivity to esketamine, ketamine or an excipient"
    ),
}
# Rule-13 cautions carried over from the evaluation as cautions on every ketamine option
# (those handled explicitly elsewhere are left out).
_KETAMINE_CAUTION_TEXT = {
    Caution.PSYCHOSIS_HISTORY: "History of psychosis: assess carefully (dissociation warning).",
    Caution.SUBSTANCE_USE_DISORDER_IN_REMISSION: (
        "Substance use disorder in remission: assess abuse and misuse risk and monitor."
    ),
    Caution.ALCOHOL_SCREEN_POSITIVE: "Alcohol screen positive: assess for unhealthy alcohol use.",
    Caution.DRUG_SCREEN_POSITIVE: "Drug screen positive: assess drug use and misuse risk.",
    Caution.BREASTFEEDING: "Breastfeeding: esketamine is not recommended during breastfeeding.",
    Caution.HEPATIC_IMPAIRMENT_MODERATE: "Moderate hepatic impairment: may need longer monitoring.",
    Caution.HYPERTENSIVE_ENCEPHALOPATHY_HISTORY: (
        "History of hypertensive encephalopathy: monitor blood pressure more often."
    ),
    Caution.CNS_DEPRESSANT_USE: "Takes CNS depressants: sedation may increase.",
    Caution.PSYCHOSTIMULANT_USE: "Takes psychostimulants: blood pressure may rise.",
    Caution.MAOI_USE: "Takes an MAOI: blood pressure may rise.",
    Caution.CSSRS_MODERATE_RISK: "C-SSRS moderate risk: review suicide risk and safety plan.",
}


def _series_is_adequate(prior: PriorTreatment, policy: RecommendationPolicy) -> bool:
    if prior.option is TreatmentOption.ESKETAMINE_INTRANASAL:
        return prior.sessions >= policy.esketamine_induction_sessions
    if prior.option in RACEMIC_KETAMINE_OPTIONS:
        return prior.sessions >= policy.ketamine_series_nonresponse_min_sessions
    return bool(prior.adequate)


def _adequate_nonresponse(
    inp: RecommendationInput, policy: RecommendationPolicy, options: frozenset[TreatmentOption]
) -> PriorTreatment | None:
    for prior in inp.history:
        if (
            prior.option in options
            and prior.response is PriorResponse.NO_RESPONSE
            and _series_is_adequate(prior, policy)
        ):
            return prior
    return None


def _rapid_relapse(inp: RecommendationInput, policy: RecommendationPolicy) -> PriorTreatment | None:
    for prior in inp.history:
        if (
            prior.option.is_ketamine
            and prior.response in BENEFIT_RESPONSES
            and prior.durability_days is not None
            and prior.durability_days < policy.rapid_relapse_below_days
        ):
            return prior
    return None


def _acutely_suicidal(inp: RecommendationInput) -> bool:
    return inp.scores.cssrs_risk is CssrsRisk.HIGH


def _absolute_exclusions(d: _Draft, inp: RecommendationInput) -> None:
    if not d.option.is_ketamine:
        return
    for ci in sorted(inp.eligibility.contraindications):
        d.absolute.append(
            _f(
                f"contraindication_{ci.value}",
                f"{_CONTRAINDICATION_TEXT[ci]}: contraindicated in the esketamine label"
                + (
                    ""
                    if d.option is TreatmentOption.ESKETAMINE_INTRANASAL
                    else " (label analogue applied to racemic ketamine)"
                )
                + ".",
                SPRAVATO_CONTRAINDICATIONS,
            )
        )
    if (
        d.option is TreatmentOption.ESKETAMINE_INTRANASAL
        and inp.age_years < ESKETAMINE_MIN_AGE_YEARS
    ):
        d.absolute.append(
            _f(
                "age_below_esketamine_approval",
                f"Esketamine is not approved under {ESKETAMINE_MIN_AGE_YEARS} years.",
                SPRAVATO_CONTRAINDICATIONS,
                min_age_years=ESKETAMINE_MIN_AGE_YEARS,
            )
        )


def _relative_exclusions(d: _Draft, inp: RecommendationInput, policy: RecommendationPolicy) -> None:
    if not d.option.is_ketamine:
        return
    if inp.current_psychosis:
        d.relative.append(
            _f(
                "current_psychosis",
                "Current psychosis: ketamine's dissociative effects need careful assessment and "
                "its best data are in depression without psychotic features; ECT is first-line "
                "for psychotic depression.",
                SPRAVATO_WARNINGS,
            )
        )
    if inp.pregnant:
        d.relative.append(
            _f(
                "pregnancy",
                "Pregnancy: esketamine is not recommended (embryo-fetal toxicity); the label "
                "analogue applies to racemic ketamine.",
                SPRAVATO_WARNINGS,
            )
        )
    if inp.uncontrolled_hypertension:
        d.relative.append(
            _f(
                "uncontrolled_hypertension",
                "Uncontrolled hypertension: ketamine raises blood pressure; do not give while a "
                "rise poses serious risk. Control blood pressure first.",
                SPRAVATO_WARNINGS,
            )
        )
    if inp.substance_use_disorder is SubstanceUseDisorder.ACTIVE:
        d.relative.append(
            _f(
                "active_substance_use_disorder",
                "Active substance use disorder: ketamine is Schedule III with abuse and misuse "
                "risk; treat the substance use disorder first or choose a non-ketamine option.",
                SPRAVATO_WARNINGS,
            )
        )
    same_form = (
        frozenset({TreatmentOption.ESKETAMINE_INTRANASAL})
        if d.option is TreatmentOption.ESKETAMINE_INTRANASAL
        else RACEMIC_KETAMINE_OPTIONS
    )
    failed = _adequate_nonresponse(inp, policy, same_form)
    if failed is not None:
        source = (
            SPRAVATO_DOSING
            if failed.option is TreatmentOption.ESKETAMINE_INTRANASAL
            else SANACORA_CONSENSUS
        )
        d.relative.append(
            _f(
                "prior_ketamine_nonresponse",
                f"No response to an adequate {failed.option.label} series ({failed.sessions} "
                "sessions): a further course of the same form is unlikely to help.",
                source,
                sessions=failed.sessions,
            )
        )


def _concerns(d: _Draft, inp: RecommendationInput, policy: RecommendationPolicy) -> None:
    o = d.option
    failed_ads = inp.eligibility.adequate_failed_antidepressants
    if o.is_ketamine and failed_ads < policy.trd_min_adequate_failed_trials:
        d.concerns.append(
            _f(
                "not_treatment_resistant",
                f"{failed_ads} adequate failed antidepressant(s) in this episode; ketamine "
                f"evidence is for treatment-resistant depression (at least "
                f"{policy.trd_min_adequate_failed_trials}).",
                TRD_DEFINITION,
                adequate_failed_antidepressants=failed_ads,
            )
        )
    if (
        o is TreatmentOption.ECT
        and failed_ads < policy.trd_min_adequate_failed_trials
        and not (inp.current_psychosis or _acutely_suicidal(inp))
    ):
        d.concerns.append(
            _f(
                "not_treatment_resistant",
                f"{failed_ads} adequate failed antidepressant(s); ECT is second-line for "
                "treatment-resistant depression outside psychosis or acute suicidality.",
                CANMAT_2016_NEUROSTIMULATION,
                adequate_failed_antidepressants=failed_ads,
            )
        )
    if o in RACEMIC_KETAMINE_OPTIONS and inp.age_years < ESKETAMINE_MIN_AGE_YEARS:
        d.concerns.append(
            _f(
                "age_below_adult_evidence",
                f"Under {ESKETAMINE_MIN_AGE_YEARS}: ketamine-for-depression evidence is in "
                "adults and esketamine is not approved in minors; off-label use needs review.",
                SPRAVATO_CONTRAINDICATIONS,
            )
        )
    if o is TreatmentOption.RTMS and failed_ads < RTMS_MIN_FAILED_ANTIDEPRESSANTS:
        d.concerns.append(
            _f(
                "no_failed_antidepressant",
                "No adequate antidepressant trial has failed yet; rTMS is positioned after at "
                f"least {RTMS_MIN_FAILED_ANTIDEPRESSANTS}.",
                CANMAT_2016_NEUROSTIMULATION,
            )
        )
    if o.is_ketamine:
        other_form = (
            RACEMIC_KETAMINE_OPTIONS
            if o is TreatmentOption.ESKETAMINE_INTRANASAL
            else frozenset({TreatmentOption.ESKETAMINE_INTRANASAL})
        )
        sibling = _adequate_nonresponse(inp, policy, other_form)
        if sibling is not None:
            d.concerns.append(
                _f(
                    "sibling_ketamine_nonresponse",
                    f"No response to an adequate {sibling.option.label} series; no verified "
                    "evidence says the other ketamine form works after that.",
                    KETACARE_PRODUCT_RULE,
                )
            )
        relapse = _rapid_relapse(inp, policy)
        if relapse is not None:
            d.concerns.append(
                _f(
                    "rapid_relapse_after_each_dose",
                    f"Benefit from {relapse.option.label} lasted {relapse.durability_days} "
                    f"day(s) after each dose, less than the most frequent labelled maintenance "
                    f"interval ({policy.rapid_relapse_below_days} days); ongoing ketamine "
                    "maintenance has Level 3 evidence (case-by-case).",
                    SPRAVATO_DOSING,
                    durability_days=relapse.durability_days,
                )
            )
        if inp.unconfirmed_facts:
            d.concerns.append(
                _f(
                    "screening_unconfirmed",
                    "Not confirmed in the record: "
                    + ", ".join(sorted(inp.unconfirmed_facts))
                    + ". Complete the ketamine evaluation before choosing this option.",
                    KETACARE_PRODUCT_RULE,
                    unconfirmed=tuple(sorted(inp.unconfirmed_facts)),
                )
            )
    for prior in inp.history:
        if prior.option is not o:
            continue
        if prior.response is PriorResponse.INTOLERANCE:
            d.concerns.append(
                _f(
                    "prior_intolerance",
                    f"Stopped for intolerance after {prior.sessions} session(s) before.",
                    KETACARE_PRODUCT_RULE,
                )
            )
        elif not o.is_ketamine and prior.response in FAILED_RESPONSES and prior.adequate:
            d.concerns.append(
                _f(
                    "prior_adequate_nonresponse",
                    f"An adequate {o.label} course did not bring response before.",
                    KETACARE_PRODUCT_RULE,
                )
            )
    per_week = _SESSIONS_PER_WEEK.get(o)
    if per_week is not None and inp.preferences.travel_burden is TravelBurden.HIGH:
        d.concerns.append(
            _f(
                "travel_burden_high",
                f"Needs about {per_week} visits a week at the start; the patient reports a high "
                "travel burden.",
                _EVIDENCE[o].sources[0] if o is not TreatmentOption.ECT else ELEKT_D,
                sessions_per_week=per_week,
            )
        )
    if inp.preferences.cost_class is CostClass.COVERED_ONLY and o in inp.clinic.self_pay_options:
        d.concerns.append(
            _f(
                "self_pay_not_acceptable",
                "This clinic bills this option as self-pay; the patient accepts covered options "
                "only.",
                None,
            )
        )
    if o in inp.preferences.declined:
        d.concerns.append(_f("patient_declined", "The patient has declined this option.", None))


def _reasons_for(d: _Draft, inp: RecommendationInput, policy: RecommendationPolicy) -> None:
    o = d.option
    psychotic_or_suicidal = inp.current_psychosis or _acutely_suicidal(inp)
    if o is TreatmentOption.ECT and psychotic_or_suicidal:
        d.context_first_line = True
        which = "psychotic features" if inp.current_psychosis else "acute suicidal ideation"
        d.reasons_for.append(
            _f(
                "ect_first_line_psychosis_or_suicidality",
                f"ECT is first-line for a depressive episode with {which}.",
                CANMAT_NEUROSTIMULATION_TABLE,
            )
        )
    if o is TreatmentOption.ESKETAMINE_INTRANASAL and _acutely_suicidal(inp):
        d.reasons_for.append(
            _f(
                "esketamine_labelled_for_mdsi",
                "Esketamine is labelled for depressive symptoms with acute suicidal ideation or "
                "behavior (84 mg twice weekly for 4 weeks); it does not replace hospitalization.",
                SPRAVATO_DOSING,
            )
        )
    failed_ads = inp.eligibility.adequate_failed_antidepressants
    if o is TreatmentOption.RTMS and failed_ads >= RTMS_MIN_FAILED_ANTIDEPRESSANTS:
        d.reasons_for.append(
            _f(
                "rtms_first_line_after_failed_antidepressant",
                f"rTMS is first-line after {failed_ads} failed antidepressant(s).",
                CANMAT_2016_NEUROSTIMULATION,
            )
        )
    if o is TreatmentOption.ECT and failed_ads >= policy.trd_min_adequate_failed_trials:
        d.reasons_for.append(
            _f(
                "ect_second_line_trd",
                "ECT is second-line for treatment-resistant depression with Level 1 acute "
                "efficacy.",
                CANMAT_2016_NEUROSTIMULATION,
            )
        )
    if (
        o is TreatmentOption.ESKETAMINE_INTRANASAL
        and failed_ads >= policy.trd_min_adequate_failed_trials
    ):
        d.reasons_for.append(
            _f(
                "esketamine_labelled_for_trd",
                f"Labelled for treatment-resistant depression ({failed_ads} adequate failed "
                "antidepressants); relapse prevention shown in SUSTAIN-1.",
                SUSTAIN_1,
            )
        )
    if o is TreatmentOption.KETAMINE_IV and failed_ads >= policy.trd_min_adequate_failed_trials:
        d.reasons_for.append(
            _f(
                "iv_ketamine_level1_acute_trd",
                "IV ketamine has Level 1 evidence for acute effect in TRD (third-line; "
                "off-label); noninferior to ECT in nonpsychotic TRD (ELEKT-D).",
                CANMAT_KETAMINE_TASK_FORCE,
            )
        )
    for prior in inp.history:
        same = prior.option is o or (
            o in RACEMIC_KETAMINE_OPTIONS and prior.option in RACEMIC_KETAMINE_OPTIONS
        )
        if same and prior.response in BENEFIT_RESPONSES:
            lasted = (
                f", benefit lasted {prior.durability_days} days"
                if prior.durability_days is not None
                else ""
            )
            d.reasons_for.append(
                _f(
                    "prior_response",
                    f"{prior.response.value.capitalize()} to {prior.option.label} before "
                    f"({prior.sessions} sessions{lasted}).",
                    KETACARE_PRODUCT_RULE,
                )
            )
            if (
                prior.durability_days is None
                or prior.durability_days >= policy.rapid_relapse_below_days
            ):
                d.prior_benefit = True
    if o in inp.preferences.preferred:
        d.reasons_for.append(_f("patient_preference", "The patient prefers this option.", None))
    if inp.clinic.delivers(o) and not inp.clinic.is_referral(o):
        d.reasons_for.append(_f("available_onsite", "Delivered at this clinic.", None))


def _cautions(d: _Draft, inp: RecommendationInput) -> None:
    o = d.option
    if o.is_ketamine:
        for caution, text in _KETAMINE_CAUTION_TEXT.items():
            if caution in inp.eligibility.cautions:
                d.cautions.append(_f(caution.value, text, SPRAVATO_WARNINGS))
        sbp, dbp = inp.latest_systolic_mmhg, inp.latest_diastolic_mmhg
        if (
            sbp is not None
            and dbp is not None
            and not inp.uncontrolled_hypertension
            and (sbp > BP_CAUTION_SYSTOLIC_ABOVE_MMHG or dbp > BP_CAUTION_DIASTOLIC_ABOVE_MMHG)
        ):
            d.cautions.append(
                _f(
                    "blood_pressure_above_caution",
                    f"Latest blood pressure {sbp}/{dbp} mmHg is above "
                    f"{BP_CAUTION_SYSTOLIC_ABOVE_MMHG}/{BP_CAUTION_DIASTOLIC_ABOVE_MMHG} mmHg: "
                    "weigh the risk of a rise and consider delaying.",
                    SPRAVATO_WARNINGS,
                )
            )
        if o in RACEMIC_KETAMINE_OPTIONS:
            d.cautions.append(
                _f(
                    "off_label",
                    "Racemic ketamine is off-label for depression: document informed consent.",
                    CANMAT_KETAMINE_TASK_FORCE,
                )
            )
    else:
        if inp.eligibility.contraindications:
            d.cautions.append(
                _f(
                    "vascular_or_hypersensitivity_history_for_team",
                    "Ketamine contraindication on record (vascular, hemorrhage or "
                    "hypersensitivity): the ECT/rTMS team must assess; KetaCare applies no "
                    "verified ECT/rTMS rule for it.",
                    KETACARE_PRODUCT_RULE,
                )
            )
        if inp.pregnant:
            d.cautions.append(
                _f(
                    "pregnancy_specialist_input",
                    "Pregnancy: plan with perinatal psychiatry; KetaCare holds no verified "
                    "ECT/rTMS pregnancy rule.",
                    KETACARE_PRODUCT_RULE,
                )
            )
    if o is TreatmentOption.RTMS and inp.preferences.travel_burden is TravelBurden.HIGH:
        d.cautions.append(
            _f(
                "rtms_schedule_check",
                "The rTMS provider sets the visit schedule; check it against the travel burden.",
                None,
            )
        )


def _tier(d: _Draft) -> Suitability:
    # Each concern lowers suitability one step; exclusions are never ranked.
    if d.absolute or d.relative:
        return Suitability.EXCLUDED
    if not d.concerns:
        return Suitability.HIGH
    return Suitability.MODERATE if len(d.concerns) == 1 else Suitability.LOW


_TIER_ORDER = (Suitability.HIGH, Suitability.MODERATE, Suitability.LOW, Suitability.EXCLUDED)
# Labelled indication first, then options with no regulatory claim here, then off-label.
_REGULATORY_ORDER = {
    TreatmentOption.ESKETAMINE_INTRANASAL: 0,
    TreatmentOption.ECT: 1,
    TreatmentOption.RTMS: 1,
    TreatmentOption.KETAMINE_IV: 2,
    TreatmentOption.KETAMINE_IM: 2,
}
_TIE_BREAK = tuple(TreatmentOption)


def _sort_key(d: _Draft, inp: RecommendationInput) -> tuple:
    prefs = inp.preferences.preferred
    return (
        bool(d.absolute or d.relative),
        not inp.clinic.delivers(d.option),
        d.option in inp.preferences.declined,
        _TIER_ORDER.index(_tier(d)),
        not d.context_first_line,
        not d.prior_benefit,
        prefs.index(d.option) if d.option in prefs else len(prefs),
        inp.clinic.is_referral(d.option),
        _REGULATORY_ORDER[d.option],
        _GUIDELINE_LINE.get(d.option, 9),
        _TIE_BREAK.index(d.option),
    )


def _urgent(inp: RecommendationInput) -> tuple[Finding, ...]:
    out = []
    if _acutely_suicidal(inp):
        out.append(
            _f(
                "acute_suicidality_safety_assessment",
                "C-SSRS high risk: safety precautions and a same-day assessment by a mental "
                "health professional for possible hospitalization come before any option here.",
                CSSRS_TRIAGE,
            )
        )
    item9 = inp.scores.phq9_item9
    if item9 is not None and item9 >= PHQ9_ITEM9_POSITIVE_MIN and not _acutely_suicidal(inp):
        out.append(
            _f(
                "phq9_item9_positive",
                f"PHQ-9 item 9 is {item9}: same-day clinician review and a C-SSRS screen.",
                PHQ9_ITEM9_FOLLOW_UP,
                phq9_item9=item9,
            )
        )
    return tuple(out)


def _notes(inp: RecommendationInput, policy: RecommendationPolicy) -> tuple[Finding, ...]:
    failed = inp.eligibility.adequate_failed_antidepressants
    notes = [
        _f(
            "treatment_resistance_count",
            f"{failed} adequate failed antidepressant(s) in the current episode ("
            f"{'meets' if failed >= policy.trd_min_adequate_failed_trials else 'below'} the TRD "
            f"minimum of {policy.trd_min_adequate_failed_trials}).",
            TRD_DEFINITION,
        )
    ]
    if inp.eligibility.maudsley_band is not None:
        notes.append(
            _f(
                "maudsley_band",
                f"Maudsley staging band: {inp.eligibility.maudsley_band.value} (informative only).",
                None,
            )
        )
    total = inp.scores.phq9_total
    if total is not None and total < PHQ9_MODERATE_MIN:
        notes.append(
            _f(
                "symptoms_below_moderate",
                f"Latest PHQ-9 total {total} is below the moderate band ({PHQ9_MODERATE_MIN}): "
                "confirm current severity before starting a new treatment.",
                None,
            )
        )
    return tuple(notes)


def _no_top_reason(inp: RecommendationInput) -> Finding | None:
    # None of these options is a first step: with no failed antidepressant and no psychosis
    # or acute suicidality, the next step is first-line treatment, outside this ranking.
    if (
        inp.eligibility.adequate_failed_antidepressants < RTMS_MIN_FAILED_ANTIDEPRESSANTS
        and not inp.current_psychosis
        and not _acutely_suicidal(inp)
    ):
        return _f(
            "first_line_treatment_not_tried",
            "No adequate antidepressant trial has failed in this episode: none of these options "
            "is a first step; optimise first-line treatment and reassess.",
            CANMAT_2016_NEUROSTIMULATION,
        )
    return None


def recommend_treatment(
    inp: RecommendationInput, policy: RecommendationPolicy | None = None
) -> Recommendation:
    """Rank the options for ``inp``; excluded options stay listed with the reason they are
    excluded, never recommended. Decision support for the prescriber."""
    require(
        isinstance(inp, RecommendationInput),
        "recommendation_input_invalid",
        "A recommendation needs a recommendation input record.",
    )
    policy = policy if policy is not None else RecommendationPolicy()
    require(
        isinstance(policy, RecommendationPolicy),
        "policy_invalid",
        "The recommendation policy must be a RecommendationPolicy.",
    )
    drafts = []
    for option in TreatmentOption:
        d = _Draft(option)
        _absolute_exclusions(d, inp)
        _relative_exclusions(d, inp, policy)
        _concerns(d, inp, policy)
        _reasons_for(d, inp, policy)
        _cautions(d, inp)
        if not inp.clinic.delivers(option):
            d.concerns.append(
                _f(
                    "not_available_at_clinic",
                    "This clinic does not offer or refer for this option"
                    + (
                        " (no REMS certification)"
                        if option is TreatmentOption.ESKETAMINE_INTRANASAL
                        else ""
                    )
                    + ".",
                    SPRAVATO_DOSING if option is TreatmentOption.ESKETAMINE_INTRANASAL else None,
                )
            )
        drafts.append(d)
    drafts.sort(key=lambda d: _sort_key(d, inp))
    ranked = tuple(
        RankedOption(
            option=d.option,
            rank=i,
            suitability=_tier(d),
            exclusion=(
                ExclusionKind.ABSOLUTE
                if d.absolute
                else ExclusionKind.RELATIVE
                if d.relative
                else None
            ),
            available=inp.clinic.delivers(d.option),
            reasons_for=tuple(d.reasons_for),
            reasons_against=tuple(d.concerns),
            cautions=tuple(d.cautions),
            exclusion_reasons=tuple(d.absolute + d.relative),
            evidence=_EVIDENCE[d.option],
            declined_by_patient=d.option in inp.preferences.declined,
        )
        for i, d in enumerate(drafts, start=1)
    )
    return Recommendation(
        options=ranked,
        urgent=_urgent(inp),
        notes=_notes(inp, policy),
        no_top_reason=_no_top_reason(inp),
    )


def check_prescriber_choice(
    recommendation: Recommendation, chosen: TreatmentOption, reason: str
) -> GateDecision:
    """Whether the prescriber may adopt ``chosen``: an absolutely contraindicated option is a
    non-overridable blocker; a relatively excluded one is an overridable blocker (override
    with a reason, by a prescriber). A choice other than the top option needs a reason."""
    require(
        isinstance(chosen, TreatmentOption),
        "option_unknown",
        "Choose one of the ranked treatment options.",
    )
    require(isinstance(reason, str), "choice_reason_invalid", "The reason must be text.")
    ranked = recommendation.option(chosen)
    top = recommendation.top
    if (top is None or top.option is not chosen) and not reason.strip():
        raise InvalidClinicalInput(
            "choice_reason_required",
            f"{chosen.label} is not the top-ranked option: record the clinical reason for the "
            "choice.",
            {"chosen": chosen.value, "top": top.option.value if top else None},
        )
    blockers = []
    if ranked.exclusion is ExclusionKind.ABSOLUTE:
        blockers.append(
            Finding(
                code="option_absolutely_contraindicated",
                message=f"{chosen.label} is contraindicated for this patient: "
                + "; ".join(f.message for f in ranked.exclusion_reasons),
                source=ranked.exclusion_reasons[0].source,
                overridable=False,
                data=(("reasons", tuple(f.code for f in ranked.exclusion_reasons)),),
            )
        )
    elif ranked.exclusion is ExclusionKind.RELATIVE:
        blockers.append(
            Finding(
                code="option_excluded",
                message=f"{chosen.label} is excluded for this patient: "
                + "; ".join(f.message for f in ranked.exclusion_reasons),
                source=ranked.exclusion_reasons[0].source,
                overridable=True,
                data=(("reasons", tuple(f.code for f in ranked.exclusion_reasons)),),
            )
        )
    return GateDecision(blockers=tuple(blockers), warnings=ranked.cautions)
