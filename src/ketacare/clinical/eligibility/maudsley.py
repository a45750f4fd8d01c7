"""Maudsley Staging Method (MSM) for treatment resistance in depression.

Implements the MSM total (3-15) as the sum of five parts: episode duration (1-3), symptom
severity at baseline (1-5), failed antidepressants (level 1-5), augmentation (0/1) and ECT (0/1).

Sources and how far they are verified:
- Duration categories, severity categories, the total range 3-15 and the bands Mild 3-6,
  Moderate 7-10, Severe 11-15 were read in Fekadu et al., BMC Psychiatry 2018;18:100, Table 3
  (S39a) [V].
- The treatment-failure sub-scores (antidepressant levels 1-2/3-4/5-6/7-10/>10 -> 1..5;
  augmentation used -> 1; ECT used -> 1) are from memory of Fekadu et al., J Clin Psychiatry
  2009;70(7):952-957 (S39b) [M]. They could NOT be read in a retrieved primary text; only an
  independent public questionnaire implementation agreed. Their Source is ``verified=False``.
  They are consistent with the verified range (min 1+1+1+0+0 = 3, max 3+5+5+1+1 = 15).

What it deliberately does not do:
- MSM is informative staging only. No eligibility rule gates on it; the verdict reports it.
- It does not decide adequacy or count failures itself: callers pass the number of adequate
  failed antidepressants (see ``trd.count_adequate_failed_trials``).
- No score without at least one failed antidepressant: the lowest level is "1-2 medications"
  and the method stages resistance, so 0 failures is invalid input, not "stage 0".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ketacare.clinical.eligibility.references import (
    MSM_STANDARDISATION_TABLE_3,
    MSM_TREATMENT_FAILURE_UNVERIFIED,
)
from ketacare.clinical.errors import require
from ketacare.clinical.sources import cited

MSM_INSTRUMENT_VERSION = "Fekadu 2009; standardisation framework 2018"

# Episode duration: acute <=12 months = 1, sub-acute 13-24 months = 2, chronic >24 months = 3.
MSM_DURATION_ACUTE_MAX_MONTHS = cited(
    "MSM_DURATION_ACUTE_MAX_MONTHS", 12, "months", MSM_STANDARDISATION_TABLE_3
)
MSM_DURATION_SUBACUTE_MAX_MONTHS = cited(
    "MSM_DURATION_SUBACUTE_MAX_MONTHS", 24, "months", MSM_STANDARDISATION_TABLE_3
)
MSM_DURATION_SCORES = cited(
    "MSM_DURATION_SCORES",
    (1, 2, 3),
    "points (acute, sub-acute, chronic)",
    MSM_STANDARDISATION_TABLE_3,
)


class MaudsleySeverity(StrEnum):
    """Symptom severity at baseline (MSM Table 3)."""

    SUBSYNDROMAL = "subsyndromal"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE_WITHOUT_PSYCHOSIS = "severe_without_psychosis"
    SEVERE_WITH_PSYCHOSIS = "severe_with_psychosis"


MSM_SEVERITY_SCORES = cited(
    "MSM_SEVERITY_SCORES",
    (1, 2, 3, 4, 5),
    "points (subsyndromal, mild, moderate, severe without psychosis, severe with psychosis)",
    MSM_STANDARDISATION_TABLE_3,
)

# [M] Antidepressant failure levels: 1-2 -> 1, 3-4 -> 2, 5-6 -> 3, 7-10 -> 4, >10 -> 5.
# Each number is the highest count of failed antidepressants in levels 1-4.
MSM_ANTIDEPRESSANT_LEVEL_MAX_COUNTS = cited(
    "MSM_ANTIDEPRESSANT_LEVEL_MAX_COUNTS",
    (2, 4, 6, 10),
    "failed antidepressants (upper bound of levels 1-4; level 5 is above 10)",
    MSM_TREATMENT_FAILURE_UNVERIFIED,
)
MSM_AUGMENTATION_SCORE = cited(
    "MSM_AUGMENTATION_SCORE", 1, "points if augmentation used", MSM_TREATMENT_FAILURE_UNVERIFIED
)
MSM_ECT_SCORE = cited("MSM_ECT_SCORE", 1, "points if ECT used", MSM_TREATMENT_FAILURE_UNVERIFIED)

MSM_TOTAL_MIN = cited("MSM_TOTAL_MIN", 3, "points", MSM_STANDARDISATION_TABLE_3)
MSM_TOTAL_MAX = cited("MSM_TOTAL_MAX", 15, "points", MSM_STANDARDISATION_TABLE_3)
MSM_MILD_MAX = cited("MSM_MILD_MAX", 6, "points (Mild 3-6)", MSM_STANDARDISATION_TABLE_3)
MSM_MODERATE_MAX = cited(
    "MSM_MODERATE_MAX", 10, "points (Moderate 7-10; Severe 11-15)", MSM_STANDARDISATION_TABLE_3
)


class MaudsleyBand(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


@dataclass(frozen=True, slots=True)
class MaudsleyComponents:
    duration: int
    severity: int
    antidepressants: int
    augmentation: int
    ect: int


@dataclass(frozen=True, slots=True)
class MaudsleyResult:
    """MSM total (3-15), its band, the five parts, and whether every part is from a verified
    source (False while the treatment-failure sub-scores remain unverified)."""

    total: int
    band: MaudsleyBand
    components: MaudsleyComponents
    instrument_version: str = MSM_INSTRUMENT_VERSION
    fully_verified: bool = (
        MSM_STANDARDISATION_TABLE_3.verified and MSM_TREATMENT_FAILURE_UNVERIFIED.verified
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _duration_score(months: int) -> int:
    acute, subacute, chronic = MSM_DURATION_SCORES
    if months <= MSM_DURATION_ACUTE_MAX_MONTHS:
        return acute
    if months <= MSM_DURATION_SUBACUTE_MAX_MONTHS:
        return subacute
    return chronic


def _antidepressant_level(failed: int) -> int:
    for level, upper in enumerate(MSM_ANTIDEPRESSANT_LEVEL_MAX_COUNTS, start=1):
        if failed <= upper:
            return level
    return len(MSM_ANTIDEPRESSANT_LEVEL_MAX_COUNTS) + 1


def maudsley_band(total: int) -> MaudsleyBand:
    """Band for an MSM total: Mild 3-6, Moderate 7-10, Severe 11-15 (S39a Table 3)."""
    require(
        _is_int(total) and MSM_TOTAL_MIN <= total <= MSM_TOTAL_MAX,
        "msm_total_out_of_range",
        f"An MSM total must be a whole number from {MSM_TOTAL_MIN} to {MSM_TOTAL_MAX}.",
        total=total,
    )
    if total <= MSM_MILD_MAX:
        return MaudsleyBand.MILD
    if total <= MSM_MODERATE_MAX:
        return MaudsleyBand.MODERATE
    return MaudsleyBand.SEVERE


def score_maudsley(
    episode_duration_months: int,
    severity: MaudsleySeverity,
    failed_antidepressant_count: int,
    augmentation_used: bool,
    ect_used: bool,
) -> MaudsleyResult:
    """Score the MSM: current-episode duration in whole months, baseline severity, number of
    failed adequate antidepressants (at least 1), augmentation and ECT in this episode."""
    require(
        _is_int(episode_duration_months) and episode_duration_months >= 0,
        "msm_duration_invalid",
        "Episode duration must be a whole number of months, 0 or more.",
        episode_duration_months=episode_duration_months,
    )
    require(
        isinstance(severity, MaudsleySeverity),
        "msm_severity_invalid",
        "Severity must be subsyndromal, mild, moderate, severe_without_psychosis or "
        "severe_with_psychosis.",
    )
    require(
        _is_int(failed_antidepressant_count) and failed_antidepressant_count >= 1,
        "msm_requires_failed_antidepressant",
        "The MSM stages treatment resistance: record at least one failed adequate "
        "antidepressant trial before staging.",
        failed_antidepressant_count=failed_antidepressant_count,
    )
    require(
        isinstance(augmentation_used, bool) and isinstance(ect_used, bool),
        "msm_flag_invalid",
        "Augmentation and ECT must each be recorded as used or not used.",
    )
    severity_index = list(MaudsleySeverity).index(severity)
    components = MaudsleyComponents(
        duration=_duration_score(episode_duration_months),
        severity=MSM_SEVERITY_SCORES[severity_index],
        antidepressants=_antidepressant_level(failed_antidepressant_count),
        augmentation=MSM_AUGMENTATION_SCORE if augmentation_used else 0,
        ect=MSM_ECT_SCORE if ect_used else 0,
    )
    total = (
        components.duration
        + components.severity
        + components.antidepressants
        + components.augmentation
        + components.ect
    )
    return MaudsleyResult(total=total, band=maudsley_band(total), components=components)
