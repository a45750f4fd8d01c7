"""Eligibility verdict for a ketamine/esketamine course: the rules of reference §2.1-2.5 and
rules 12, 13 and 23.

Implements ``evaluate_eligibility(inp, policy) -> EligibilityVerdict`` with one of four
verdicts, the worst finding deciding:
- ``not_eligible``: a SPRAVATO label contraindication (aneurysmal vascular disease or AVM,
  history of intracerebral hemorrhage, hypersensitivity to ketamine/esketamine; S2, S9), age
  under 18 ("Not approved in patients <18 years", S9), or a caution the clinic configured as an
  exclusion (reference §2.5).
- ``needs_review``: C-SSRS high risk (same-day safety assessment, rule 23), a missing or
  out-of-date C-SSRS or substance-use screen (when the policy requires one), fewer adequate
  failed antidepressants than the TRD minimum (when ``require_trd``), or severe hepatic
  impairment ("not recommended", S2).
- ``eligible_with_cautions``: any label warning/precaution of rule 13 (S1, S2); each caution
  needs prescriber acknowledgment.
- ``eligible``: none of the above.

The verdict also reports the TRD count and the Maudsley stage (informative, never a gate).

Overrides: the evaluation verdict itself is never overridden. At course ordering,
``EligibilityVerdict.as_gate()`` turns every reason into a blocker that a prescriber may
override with a written reason (``Override``); label contraindications are overridable there
but carry ``severity = absolute_contraindication`` so the page and the audit show what was
overridden. Acknowledging a caution is an override naming that caution's code.

What it deliberately does not do: decide trial adequacy (clinician judgment), apply session
checks (pre-dose BP, vitals), or treat Maudsley staging as a gate. The three contraindications
are applied to every route: for racemic ketamine they are the label analogue (§2.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from ketacare.clinical.eligibility.maudsley import MaudsleyResult, score_maudsley
from ketacare.clinical.eligibility.references import (
    CSSRS_TRIAGE,
    MSM_STANDARDISATION_TABLE_3,
    SINGLE_QUESTION_ALCOHOL_SCREEN,
    SINGLE_QUESTION_DRUG_SCREEN,
    SPRAVATO_BRIEF_SUMMARY,
    SPRAVATO_LABEL_2019,
    SPRAVATO_LABEL_SECONDARY,
    SPRAVATO_LABEL_SUMMARY,
    TRD_DEFINITION,
)
from ketacare.clinical.eligibility.routes import Route
from ketacare.clinical.eligibility.screening import (
    CssrsRisk,
    EvaluationInput,
    HepaticImpairment,
    SubstanceUseDisorder,
)
from ketacare.clinical.eligibility.trd import (
    TRD_MIN_ADEQUATE_FAILED_TRIALS,
    augmentation_failed_in_current_episode,
    count_adequate_failed_trials,
)
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.sources import Source, cited

ESKETAMINE_MIN_AGE_YEARS = cited("ESKETAMINE_MIN_AGE_YEARS", 18, "years", SPRAVATO_BRIEF_SUMMARY)
# [V*] label summary: "consider delaying therapy if >140/90 mmHg"; pre-existing hypertension
# ">140 mmHg systolic or >90 mmHg diastolic": weigh risk and benefit. A caution, not a block.
BP_CAUTION_SYSTOLIC_ABOVE_MMHG = cited(
    "BP_CAUTION_SYSTOLIC_ABOVE_MMHG", 140, "mmHg", SPRAVATO_LABEL_SECONDARY
)
BP_CAUTION_DIASTOLIC_ABOVE_MMHG = cited(
    "BP_CAUTION_DIASTOLIC_ABOVE_MMHG", 90, "mmHg", SPRAVATO_LABEL_SECONDARY
)


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    ELIGIBLE_WITH_CAUTIONS = "eligible_with_cautions"
    NEEDS_REVIEW = "needs_review"
    NOT_ELIGIBLE = "not_eligible"


class Severity(StrEnum):
    """How much a finding weighs; stored in ``Finding.data`` under ``severity``."""

    ABSOLUTE_CONTRAINDICATION = "absolute_contraindication"
    NOT_APPROVED = "not_approved"
    CLINIC_EXCLUSION = "clinic_exclusion"
    NEEDS_REVIEW = "needs_review"
    CAUTION = "caution"
    INFO = "info"


_VERDICT_OF = {
    Severity.ABSOLUTE_CONTRAINDICATION: Verdict.NOT_ELIGIBLE,
    Severity.NOT_APPROVED: Verdict.NOT_ELIGIBLE,
    Severity.CLINIC_EXCLUSION: Verdict.NOT_ELIGIBLE,
    Severity.NEEDS_REVIEW: Verdict.NEEDS_REVIEW,
    Severity.CAUTION: Verdict.ELIGIBLE_WITH_CAUTIONS,
    Severity.INFO: Verdict.ELIGIBLE,
}
_VERDICT_RANK = {
    Verdict.ELIGIBLE: 0,
    Verdict.ELIGIBLE_WITH_CAUTIONS: 1,
    Verdict.NEEDS_REVIEW: 2,
    Verdict.NOT_ELIGIBLE: 3,
}
_SEVERITY_ORDER = tuple(Severity)


class Caution(StrEnum):
    """Rule-13 cautions (label warnings and precautions). A clinic may configure any of them
    as an exclusion (reference §2.5)."""

    PSYCHOSIS_HISTORY = "psychosis_history"
    CURRENT_PSYCHOSIS = "current_psychosis"
    SUBSTANCE_USE_DISORDER_ACTIVE = "substance_use_disorder_active"
    SUBSTANCE_USE_DISORDER_IN_REMISSION = "substance_use_disorder_in_remission"
    ALCOHOL_SCREEN_POSITIVE = "alcohol_screen_positive"
    DRUG_SCREEN_POSITIVE = "drug_screen_positive"
    PREGNANCY = "pregnancy"
    BREASTFEEDING = "breastfeeding"
    HEPATIC_IMPAIRMENT_MODERATE = "hepatic_impairment_moderate"
    UNCONTROLLED_HYPERTENSION = "uncontrolled_hypertension"
    BLOOD_PRESSURE_ABOVE_CAUTION = "blood_pressure_above_caution"
    HYPERTENSIVE_ENCEPHALOPATHY_HISTORY = "hypertensive_encephalopathy_history"
    CNS_DEPRESSANT_USE = "cns_depressant_use"
    PSYCHOSTIMULANT_USE = "psychostimulant_use"
    MAOI_USE = "maoi_use"
    CSSRS_MODERATE_RISK = "cssrs_moderate_risk"


@dataclass(frozen=True, slots=True)
class EligibilityPolicy:
    """Clinic choices. Defaults are cited where a source exists; where none exists the default
    is the least restrictive label-consistent choice and is named as clinic policy.

    - ``require_trd`` (default True): fewer adequate failed antidepressants than
      ``trd_min_adequate_failed_trials`` (default 2, S56a) gives needs_review. Off: the count is
      still reported, e.g. for off-label racemic ketamine outside TRD.
    - ``exclusions``: rule-13 cautions this clinic treats as exclusions (not_eligible). Default
      none: the label treats them as precautions; §2.5 leaves exclusions to the clinic.
    - ``age_limit_all_routes`` (default True, clinic policy): apply the esketamine age limit to
      racemic ketamine too; no ketamine-for-depression source covers patients under 18.
    - ``require_cssrs_screen`` / ``require_substance_use_screen`` (default True, clinic policy;
      the label asks to assess abuse/misuse risk before prescribing, S1).
    - ``cssrs_max_age_days`` / ``substance_screen_max_age_days``: how old a screen may be. No
      source gives a number, so there is no default (None = any age accepted).
    - BP caution thresholds: default >140/90 mmHg (label summary, [V*]).
    """

    require_trd: bool = True
    trd_min_adequate_failed_trials: int = TRD_MIN_ADEQUATE_FAILED_TRIALS
    exclusions: frozenset[Caution] = field(default_factory=frozenset)
    age_limit_all_routes: bool = True
    require_cssrs_screen: bool = True
    cssrs_max_age_days: int | None = None
    require_substance_use_screen: bool = True
    substance_screen_max_age_days: int | None = None
    bp_caution_systolic_above_mmhg: int = BP_CAUTION_SYSTOLIC_ABOVE_MMHG
    bp_caution_diastolic_above_mmhg: int = BP_CAUTION_DIASTOLIC_ABOVE_MMHG

    def __post_init__(self) -> None:
        for name in (
            "require_trd",
            "age_limit_all_routes",
            "require_cssrs_screen",
            "require_substance_use_screen",
        ):
            require(
                isinstance(getattr(self, name), bool),
                "policy_invalid",
                f"Policy setting '{name}' must be true or false.",
                field=name,
            )
        require(
            _positive_int(self.trd_min_adequate_failed_trials),
            "policy_invalid",
            "The TRD minimum must be a whole number of at least 1.",
            field="trd_min_adequate_failed_trials",
        )
        if not isinstance(self.exclusions, frozenset) or not all(
            isinstance(c, Caution) for c in self.exclusions
        ):
            raise InvalidClinicalInput(
                "policy_invalid",
                "Exclusions must be a set of known caution codes.",
                {"field": "exclusions", "known": sorted(c.value for c in Caution)},
            )
        for name in ("cssrs_max_age_days", "substance_screen_max_age_days"):
            value = getattr(self, name)
            require(
                value is None or _positive_int(value),
                "policy_invalid",
                f"Policy setting '{name}' must be a whole number of days of at least 1, or unset.",
                field=name,
            )
        for name in ("bp_caution_systolic_above_mmhg", "bp_caution_diastolic_above_mmhg"):
            require(
                _positive_int(getattr(self, name)),
                "policy_invalid",
                f"Policy setting '{name}' must be a whole number of mmHg.",
                field=name,
            )


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True, slots=True)
class EligibilityVerdict:
    """The verdict, the findings that decided it (worst first), informative notes, the TRD
    count and the Maudsley stage (None when no failed antidepressant is recorded)."""

    verdict: Verdict
    reasons: tuple[Finding, ...]
    notes: tuple[Finding, ...]
    adequate_failed_trials: int
    treatment_resistant: bool
    maudsley: MaudsleyResult | None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.reasons)

    @property
    def acknowledgments_required(self) -> tuple[str, ...]:
        """Caution codes the prescriber must acknowledge before ordering a course."""
        return tuple(f.code for f in self.reasons if severity_of(f) is Severity.CAUTION)

    def as_gate(self) -> GateDecision:
        """Course-ordering gate: every reason is a blocker a prescriber may override with a
        written reason (contraindications keep their absolute severity in ``data``)."""
        return GateDecision(blockers=self.reasons, warnings=self.notes)


def severity_of(finding: Finding) -> Severity:
    return Severity(dict(finding.data)["severity"])


def _finding(
    code: str, message: str, source: Source | None, severity: Severity, **data: Any
) -> Finding:
    items: dict[str, Any] = {"severity": severity.value}
    if severity is Severity.CAUTION:
        items["acknowledgment_required"] = True
    items.update(data)
    return Finding(
        code=code, message=message, source=source, overridable=True, data=tuple(items.items())
    )


def _contraindications(inp: EvaluationInput) -> list[Finding]:
    label = "SPRAVATO label contraindication"
    if inp.route is not None and inp.route is not Route.INTRANASAL:
        label += ", applied to racemic ketamine as the label analogue"
    out = []
    if inp.aneurysmal_vascular_disease_or_avm:
        out.append(
            _finding(
                "contraindication_aneurysmal_vascular_disease_or_avm",
                "Aneurysmal vascular disease (including thoracic and abdominal aorta, "
                "intracranial and peripheral arterial vessels) or arteriovenous malformation: "
                f"{label}.",
                SPRAVATO_LABEL_SUMMARY,
                Severity.ABSOLUTE_CONTRAINDICATION,
            )
        )
    if inp.intracerebral_hemorrhage_history:
        out.append(
            _finding(
                "contraindication_intracerebral_hemorrhage",
                f"History of intracerebral hemorrhage: {label}.",
                SPRAVATO_LABEL_SUMMARY,
                Severity.ABSOLUTE_CONTRAINDICATION,
            )
        )
    if inp.hypersensitivity_to_ketamine_or_esketamine:
        out.append(
            _finding(
                "contraindication_hypersensitivity",
                f"Hypersensitivity to esketamine, ketamine or an excipient: {label}.",
                SPRAVATO_BRIEF_SUMMARY,
                Severity.ABSOLUTE_CONTRAINDICATION,
            )
        )
    return out


def _age(inp: EvaluationInput, policy: EligibilityPolicy) -> list[Finding]:
    if inp.age_years >= ESKETAMINE_MIN_AGE_YEARS:
        return []
    if inp.route is Route.INTRANASAL:
        return [
            _finding(
                "age_below_esketamine_approval",
                f"Esketamine is not approved in patients under {ESKETAMINE_MIN_AGE_YEARS} years "
                f"(patient is {inp.age_years}).",
                SPRAVATO_BRIEF_SUMMARY,
                Severity.NOT_APPROVED,
                age_years=inp.age_years,
                min_age_years=ESKETAMINE_MIN_AGE_YEARS,
            )
        ]
    if policy.age_limit_all_routes:
        return [
            _finding(
                "age_below_adult_minimum",
                f"Patient is under {ESKETAMINE_MIN_AGE_YEARS} years; this clinic applies the "
                "esketamine age limit to every route (ketamine for depression is studied in "
                "adults).",
                SPRAVATO_BRIEF_SUMMARY,
                Severity.CLINIC_EXCLUSION,
                age_years=inp.age_years,
                min_age_years=ESKETAMINE_MIN_AGE_YEARS,
            )
        ]
    return [
        _finding(
            "age_below_adult_minimum",
            f"Patient is under {ESKETAMINE_MIN_AGE_YEARS} years: off-label use in a minor needs "
            "review.",
            SPRAVATO_BRIEF_SUMMARY,
            Severity.NEEDS_REVIEW,
            age_years=inp.age_years,
            min_age_years=ESKETAMINE_MIN_AGE_YEARS,
        )
    ]


def _cautions(inp: EvaluationInput, policy: EligibilityPolicy) -> list[tuple[Caution, str, Source]]:
    found: list[tuple[Caution, str, Source]] = []
    if inp.current_psychosis:
        found.append(
            (
                Caution.CURRENT_PSYCHOSIS,
                "Current psychosis: assess carefully before administering; the best "
                "ketamine data are in depression without psychotic features.",
                SPRAVATO_LABEL_2019,
            )
        )
    elif inp.psychosis_history:
        found.append(
            (
                Caution.PSYCHOSIS_HISTORY,
                "History of psychosis: assess carefully before administering (dissociation "
                "warning).",
                SPRAVATO_LABEL_2019,
            )
        )
    if inp.substance_use_disorder is SubstanceUseDisorder.ACTIVE:
        found.append(
            (
                Caution.SUBSTANCE_USE_DISORDER_ACTIVE,
                "Active substance use disorder: assess the risk of abuse and misuse "
                "(Schedule III) before prescribing and monitor.",
                SPRAVATO_LABEL_2019,
            )
        )
    elif inp.substance_use_disorder is SubstanceUseDisorder.IN_REMISSION:
        found.append(
            (
                Caution.SUBSTANCE_USE_DISORDER_IN_REMISSION,
                "Substance use disorder in remission: assess the risk of abuse and misuse "
                "before prescribing and monitor.",
                SPRAVATO_LABEL_2019,
            )
        )
    screen = inp.substance_screen
    if screen is not None and screen.alcohol_positive:
        found.append(
            (
                Caution.ALCOHOL_SCREEN_POSITIVE,
                f"Single-question alcohol screen positive ({screen.heavy_drinking_days_past_year}"
                " heavy drinking day(s) in the past year): assess for unhealthy alcohol use.",
                SINGLE_QUESTION_ALCOHOL_SCREEN,
            )
        )
    if screen is not None and screen.drugs_positive:
        found.append(
            (
                Caution.DRUG_SCREEN_POSITIVE,
                f"Single-question drug screen positive ({screen.drug_use_times_past_year} "
                "time(s) in the past year): assess for drug use and misuse risk.",
                SINGLE_QUESTION_DRUG_SCREEN,
            )
        )
    if inp.pregnant:
        found.append(
            (
                Caution.PREGNANCY,
                "Pregnancy: esketamine is not recommended in pregnancy (embryo-fetal toxicity).",
                SPRAVATO_LABEL_SECONDARY,
            )
        )
    if inp.breastfeeding:
        found.append(
            (
                Caution.BREASTFEEDING,
                "Breastfeeding: esketamine is not recommended during breastfeeding.",
                SPRAVATO_LABEL_SECONDARY,
            )
        )
    if inp.hepatic_impairment is HepaticImpairment.MODERATE:
        found.append(
            (
                Caution.HEPATIC_IMPAIRMENT_MODERATE,
                "Moderate hepatic impairment: may need longer monitoring after each dose.",
                SPRAVATO_LABEL_SECONDARY,
            )
        )
    if inp.uncontrolled_hypertension:
        found.append(
            (
                Caution.UNCONTROLLED_HYPERTENSION,
                "Uncontrolled hypertension: weigh the risk of short-term blood pressure "
                "increases against benefit; do not give if a rise poses serious risk.",
                SPRAVATO_LABEL_SECONDARY,
            )
        )
    sbp, dbp = inp.latest_systolic_mmhg, inp.latest_diastolic_mmhg
    if (
        sbp is not None
        and dbp is not None
        and (
            sbp > policy.bp_caution_systolic_above_mmhg
            or dbp > policy.bp_caution_diastolic_above_mmhg
        )
    ):
        found.append(
            (
                Caution.BLOOD_PRESSURE_ABOVE_CAUTION,
                f"Latest blood pressure {sbp}/{dbp} mmHg is above "
                f"{policy.bp_caution_systolic_above_mmhg}/"
                f"{policy.bp_caution_diastolic_above_mmhg} mmHg: weigh risk against benefit "
                "and consider delaying.",
                SPRAVATO_LABEL_SECONDARY,
            )
        )
    if inp.hypertensive_encephalopathy_history:
        found.append(
            (
                Caution.HYPERTENSIVE_ENCEPHALOPATHY_HISTORY,
                "History of hypertensive encephalopathy: monitor blood pressure more frequently.",
                SPRAVATO_LABEL_SECONDARY,
            )
        )
    if inp.takes_cns_depressants:
        found.append(
            (
                Caution.CNS_DEPRESSANT_USE,
                "Takes CNS depressants: sedation may increase; monitor closely.",
                SPRAVATO_LABEL_SECONDARY,
            )
        )
    if inp.takes_psychostimulants:
        found.append(
            (
                Caution.PSYCHOSTIMULANT_USE,
                "Takes psychostimulants: blood pressure may increase; monitor blood pressure.",
                SPRAVATO_LABEL_SECONDARY,
            )
        )
    if inp.takes_maois:
        found.append(
            (
                Caution.MAOI_USE,
                "Takes an MAOI: blood pressure may increase; monitor blood pressure.",
                SPRAVATO_LABEL_SECONDARY,
            )
        )
    if inp.cssrs is not None and inp.cssrs.risk is CssrsRisk.MODERATE:
        found.append(
            (
                Caution.CSSRS_MODERATE_RISK,
                "C-SSRS screener moderate risk: review suicide risk and the safety plan.",
                CSSRS_TRIAGE,
            )
        )
    return found


def _screen_too_old(inp: EvaluationInput, taken_at: Any, max_age_days: int | None) -> bool:
    return max_age_days is not None and inp.as_of - taken_at > timedelta(days=max_age_days)


def _reviews(inp: EvaluationInput, policy: EligibilityPolicy, failed: int) -> list[Finding]:
    out = []
    if inp.cssrs is None:
        if policy.require_cssrs_screen:
            out.append(
                _finding(
                    "cssrs_screen_missing",
                    "No C-SSRS screen is recorded: screen for suicide risk before treatment.",
                    CSSRS_TRIAGE,
                    Severity.NEEDS_REVIEW,
                )
            )
    else:
        if inp.cssrs.risk is CssrsRisk.HIGH:
            out.append(
                _finding(
                    "cssrs_high_risk",
                    "C-SSRS screener high risk (intent or plan in the past month, or suicidal "
                    "behavior within 3 months): a same-day safety assessment by a mental health "
                    "professional is required before proceeding.",
                    CSSRS_TRIAGE,
                    Severity.NEEDS_REVIEW,
                )
            )
        if _screen_too_old(inp, inp.cssrs.assessed_at, policy.cssrs_max_age_days):
            out.append(
                _finding(
                    "cssrs_screen_out_of_date",
                    f"The C-SSRS screen is older than this clinic's {policy.cssrs_max_age_days} "
                    "days: repeat it.",
                    CSSRS_TRIAGE,
                    Severity.NEEDS_REVIEW,
                    max_age_days=policy.cssrs_max_age_days,
                )
            )
    if inp.substance_screen is None:
        if policy.require_substance_use_screen:
            out.append(
                _finding(
                    "substance_use_screen_missing",
                    "No substance-use screen is recorded: assess the risk of abuse and misuse "
                    "before prescribing.",
                    SPRAVATO_LABEL_2019,
                    Severity.NEEDS_REVIEW,
                )
            )
    elif _screen_too_old(
        inp, inp.substance_screen.screened_at, policy.substance_screen_max_age_days
    ):
        out.append(
            _finding(
                "substance_use_screen_out_of_date",
                f"The substance-use screen is older than this clinic's "
                f"{policy.substance_screen_max_age_days} days: repeat it.",
                SPRAVATO_LABEL_2019,
                Severity.NEEDS_REVIEW,
                max_age_days=policy.substance_screen_max_age_days,
            )
        )
    if policy.require_trd and failed < policy.trd_min_adequate_failed_trials:
        out.append(
            _finding(
                "not_treatment_resistant",
                f"{failed} adequate failed antidepressant(s) in the current episode; treatment-"
                f"resistant depression needs at least {policy.trd_min_adequate_failed_trials}. "
                "Review the treatment history, or document the reason to treat off-label.",
                TRD_DEFINITION,
                Severity.NEEDS_REVIEW,
                adequate_failed_trials=failed,
                minimum=policy.trd_min_adequate_failed_trials,
            )
        )
    if inp.hepatic_impairment is HepaticImpairment.SEVERE:
        out.append(
            _finding(
                "hepatic_impairment_severe",
                "Severe hepatic impairment: esketamine is not recommended.",
                SPRAVATO_LABEL_SECONDARY,
                Severity.NEEDS_REVIEW,
            )
        )
    return out


def evaluate_eligibility(inp: EvaluationInput, policy: EligibilityPolicy) -> EligibilityVerdict:
    """Evaluate eligibility for a ketamine/esketamine course as of ``inp.as_of``; the worst
    finding decides the verdict and every finding is listed with its source."""
    require(
        isinstance(inp, EvaluationInput),
        "evaluation_input_invalid",
        "Eligibility needs an evaluation input record.",
    )
    require(
        isinstance(policy, EligibilityPolicy),
        "policy_invalid",
        "Eligibility needs an eligibility policy.",
    )
    failed = count_adequate_failed_trials(inp.trials)
    findings = _contraindications(inp) + _age(inp, policy)
    for caution, message, source in _cautions(inp, policy):
        if caution in policy.exclusions:
            findings.append(
                _finding(
                    caution.value,
                    f"Configured by this clinic as an exclusion. {message}",
                    source,
                    Severity.CLINIC_EXCLUSION,
                )
            )
        else:
            findings.append(_finding(caution.value, message, source, Severity.CAUTION))
    findings += _reviews(inp, policy, failed)

    treatment_resistant = failed >= policy.trd_min_adequate_failed_trials
    notes = [
        _finding(
            "treatment_resistance_count",
            f"{failed} adequate failed antidepressant(s) in the current episode "
            f"({'meets' if treatment_resistant else 'below'} the TRD minimum of "
            f"{policy.trd_min_adequate_failed_trials}).",
            TRD_DEFINITION,
            Severity.INFO,
            adequate_failed_trials=failed,
            treatment_resistant=treatment_resistant,
        )
    ]
    maudsley = None
    if failed >= 1:
        maudsley = score_maudsley(
            episode_duration_months=inp.episode_duration_months,
            severity=inp.severity,
            failed_antidepressant_count=failed,
            augmentation_used=augmentation_failed_in_current_episode(inp.trials),
            ect_used=inp.ect_used,
        )
        notes.append(
            _finding(
                "maudsley_stage",
                f"Maudsley Staging Method {maudsley.total}/15 ({maudsley.band.value}); informative "
                "only. Treatment-failure sub-scores are from an unverified source.",
                MSM_STANDARDISATION_TABLE_3,
                Severity.INFO,
                total=maudsley.total,
                band=maudsley.band.value,
            )
        )
    else:
        notes.append(
            _finding(
                "maudsley_not_staged",
                "Maudsley stage not computed: no adequate failed antidepressant is recorded.",
                MSM_STANDARDISATION_TABLE_3,
                Severity.INFO,
            )
        )

    reasons = tuple(sorted(findings, key=lambda f: _SEVERITY_ORDER.index(severity_of(f))))
    verdict = Verdict.ELIGIBLE
    for f in reasons:
        candidate = _VERDICT_OF[severity_of(f)]
        if _VERDICT_RANK[candidate] > _VERDICT_RANK[verdict]:
            verdict = candidate
    return EligibilityVerdict(
        verdict=verdict,
        reasons=reasons,
        notes=tuple(notes),
        adequate_failed_trials=failed,
        treatment_resistant=treatment_resistant,
        maudsley=maudsley,
    )
