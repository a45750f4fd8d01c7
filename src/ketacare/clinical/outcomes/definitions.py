"""Inputs and outcome definitions for measurement-based care.

Implements the plain inputs of the outcomes engine (``ScoreObservation``, ``DoseEvent``) and
``OutcomePolicy``: the clinic-configurable thresholds for response, partial response,
remission, relapse, sharp worsening, rapid and sustained response, and the futility review
(clinical reference §4.1-4.6, rules 19, 22-25). Every default is a cited constant.

Sources: ELEKT-D and SUSTAIN-3 (response >=50%), SUSTAIN-3/ASPIRE (MADRS <=12, PHQ-9 <5),
KetECT (MADRS <=10, offered as an alternative), STAR*D convention (QIDS-SR16 <=5), Kroenke 2001
(PHQ-9 bands), Kounali 2020 (PHQ-9 MCID), Murrough 2013 (24-hour response), Sanacora 2017 via
Medscape (three infusions), relapse-prevention trial criteria (MADRS >=22, two consecutive
visits). See ``references.py`` and docs/clinical-sources.md.

Deliberately not done here: scoring of questionnaires (the scales package does that and hands
us totals and item flags), and no remission or response rule for GAD-7 (it is not a depression
outcome) or the C-SSRS (a risk screen). The SUSTAIN-1 relapse definition is not shipped as a
default because its text was not verified (rule 25); its spacing of 5-15 days can be set through
``relapse_confirmation_min_gap``/``relapse_confirmation_max_gap``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.outcomes import references as refs
from ketacare.clinical.sources import cited

# --- Instruments and their total-score ranges (validation at the door) -----------------------

PHQ9 = "phq9"
MADRS = "madrs"
QIDS_SR16 = "qids_sr16"
GAD7 = "gad7"
CSSRS = "cssrs"

OUTCOMES_PHQ9_TOTAL_MAX = cited("OUTCOMES_PHQ9_TOTAL_MAX", 27, "points", refs.PHQ9_BANDS)
OUTCOMES_MADRS_TOTAL_MAX = cited("OUTCOMES_MADRS_TOTAL_MAX", 60, "points", refs.MADRS_RANGE)
OUTCOMES_QIDS_SR16_TOTAL_MAX = cited("OUTCOMES_QIDS_SR16_TOTAL_MAX", 27, "points", refs.QIDS_ITEMS)
OUTCOMES_GAD7_TOTAL_MAX = cited("OUTCOMES_GAD7_TOTAL_MAX", 21, "points", refs.GAD7_RANGE)
# The C-SSRS screener has no summed score; its "total" here is the number of screener
# questions answered yes, which cannot exceed the number of questions (2-6 asked).
OUTCOMES_CSSRS_SCREENER_MAX_QUESTIONS = cited(
    "OUTCOMES_CSSRS_SCREENER_MAX_QUESTIONS", 6, "questions", refs.CSSRS_TRIAGE
)

TOTAL_MAX_BY_INSTRUMENT: dict[str, int] = {
    PHQ9: OUTCOMES_PHQ9_TOTAL_MAX,
    MADRS: OUTCOMES_MADRS_TOTAL_MAX,
    QIDS_SR16: OUTCOMES_QIDS_SR16_TOTAL_MAX,
    GAD7: OUTCOMES_GAD7_TOTAL_MAX,
    CSSRS: OUTCOMES_CSSRS_SCREENER_MAX_QUESTIONS,
}

# Instruments whose response/remission/relapse the engine classifies.
DEPRESSION_INSTRUMENTS: frozenset[str] = frozenset({PHQ9, MADRS, QIDS_SR16})

# Item flags the scales package sets and the alert rules read (rule 22, 23).
FLAG_PHQ9_ITEM9_POSITIVE = "phq9_item9_positive"
FLAG_QIDS_ITEM12_POSITIVE = "qids_item12_positive"
FLAG_CSSRS_HIGH_RISK = "cssrs_high_risk"
FLAG_CSSRS_POSITIVE_SCREEN = "cssrs_positive_screen"

# --- Outcome thresholds (policy defaults) -----------------------------------------------------

OUTCOMES_RESPONSE_MIN_REDUCTION_PCT = cited(
    "OUTCOMES_RESPONSE_MIN_REDUCTION_PCT",
    Decimal("50"),
    "% reduction from baseline",
    refs.RESPONSE_TRIALS,
)
OUTCOMES_PARTIAL_RESPONSE_MIN_REDUCTION_PCT = cited(
    "OUTCOMES_PARTIAL_RESPONSE_MIN_REDUCTION_PCT",
    Decimal("30"),
    "% reduction from baseline",
    refs.PARTIAL_RESPONSE_30,
)
# PHQ-9 remission is "<5": as an integer total that is "at most 4".
OUTCOMES_PHQ9_REMISSION_MAX_TOTAL = cited(
    "OUTCOMES_PHQ9_REMISSION_MAX_TOTAL",
    4,
    "points (remission if total <= value)",
    refs.SUSTAIN3_TABLE3,
)
# Default MADRS remission follows the esketamine programme (<=12), because KetaCare runs
# esketamine under its label; KetECT's stricter <=10 is the alternative a clinic may choose.
OUTCOMES_MADRS_REMISSION_MAX_TOTAL_ESKETAMINE = cited(
    "OUTCOMES_MADRS_REMISSION_MAX_TOTAL_ESKETAMINE",
    12,
    "points (remission if total <= value)",
    refs.SUSTAIN3_TABLE3,
)
OUTCOMES_MADRS_REMISSION_MAX_TOTAL_KETECT = cited(
    "OUTCOMES_MADRS_REMISSION_MAX_TOTAL_KETECT",
    10,
    "points (remission if total <= value)",
    refs.KETECT_REMISSION,
)
OUTCOMES_QIDS_SR16_REMISSION_MAX_TOTAL = cited(
    "OUTCOMES_QIDS_SR16_REMISSION_MAX_TOTAL",
    5,
    "points (remission if total <= value)",
    refs.QIDS_REMISSION,
)
OUTCOMES_RAPID_RESPONSE_24H_WINDOW_H = cited(
    "OUTCOMES_RAPID_RESPONSE_24H_WINDOW_H",
    24,
    "hours after the first dose",
    refs.MURROUGH_2013_24H,
)
OUTCOMES_RAPID_RESPONSE_1W_WINDOW_D = cited(
    "OUTCOMES_RAPID_RESPONSE_1W_WINDOW_D", 7, "days after the first dose", refs.PRODUCT_RAPID_1W
)
OUTCOMES_SUSTAINED_RESPONSE_MIN_CONSECUTIVE = cited(
    "OUTCOMES_SUSTAINED_RESPONSE_MIN_CONSECUTIVE",
    2,
    "consecutive assessments",
    refs.SUSTAINED_TWO_VISITS,
)
# Relapse = back in the moderate-or-worse band after response/remission, confirmed on
# consecutive assessments. MADRS 22 is a published relapse threshold; the PHQ-9 and QIDS-SR16
# values are the start of each scale's "moderate" band, a clinic-configurable analogue.
OUTCOMES_MADRS_RELAPSE_MIN_TOTAL = cited(
    "OUTCOMES_MADRS_RELAPSE_MIN_TOTAL",
    22,
    "points (relapse if total >= value)",
    refs.RELAPSE_TRIALS_TABLE,
)
OUTCOMES_PHQ9_RELAPSE_MIN_TOTAL = cited(
    "OUTCOMES_PHQ9_RELAPSE_MIN_TOTAL", 10, "points (relapse if total >= value)", refs.PHQ9_BANDS
)
OUTCOMES_QIDS_SR16_RELAPSE_MIN_TOTAL = cited(
    "OUTCOMES_QIDS_SR16_RELAPSE_MIN_TOTAL",
    11,
    "points (relapse if total >= value)",
    refs.STARD_RELAPSE,  # STAR*D: a QIDS-SR16 of >=11 defined relapse (primary, re-checked)
)
OUTCOMES_RELAPSE_MIN_CONSECUTIVE = cited(
    "OUTCOMES_RELAPSE_MIN_CONSECUTIVE", 2, "consecutive assessments", refs.RELAPSE_TRIALS_TABLE
)
# Sharp worsening: Kounali's MCID (~20%) applied to an increase. A percentage alone fires on
# tiny totals (2 -> 3 is +50%), so PHQ-9 also needs more than the -1.7-point threshold, i.e.
# at least 2 whole points. No point threshold was found for MADRS or QIDS-SR16 (left unset).
OUTCOMES_WORSENING_MIN_INCREASE_PCT = cited(
    "OUTCOMES_WORSENING_MIN_INCREASE_PCT", Decimal("20"), "% increase", refs.KOUNALI_MCID
)
OUTCOMES_PHQ9_WORSENING_MIN_INCREASE_POINTS = cited(
    "OUTCOMES_PHQ9_WORSENING_MIN_INCREASE_POINTS", 2, "points", refs.KOUNALI_MCID
)
OUTCOMES_FUTILITY_SESSIONS_WITHOUT_RESPONSE = cited(
    "OUTCOMES_FUTILITY_SESSIONS_WITHOUT_RESPONSE", 3, "sessions", refs.SANACORA_FUTILITY
)


class AssessmentContext(StrEnum):
    BASELINE = "baseline"
    PRE_DOSE = "pre_dose"
    POST_DOSE = "post_dose"
    FOLLOW_UP = "follow_up"


def require_aware(value: datetime, name: str) -> None:
    require(
        isinstance(value, datetime)
        and value.tzinfo is not None
        and value.tzinfo.utcoffset(value) is not None,
        "naive_datetime",
        f"{name} must be a timezone-aware date and time.",
        field=name,
    )


@dataclass(frozen=True, slots=True)
class ScoreObservation:
    """One scored questionnaire or rating: instrument code, total, when, in which context."""

    instrument: str  # "phq9", "madrs", "qids_sr16", "gad7", "cssrs"
    total: int
    taken_at: datetime
    context: AssessmentContext
    item_flags: frozenset[str] = frozenset()
    observation_id: str | None = None  # lets reasons point at the stored record

    def __post_init__(self) -> None:
        require(
            self.instrument in TOTAL_MAX_BY_INSTRUMENT,
            "unknown_instrument",
            f"Instrument '{self.instrument}' is not one KetaCare tracks.",
            instrument=self.instrument,
            known=sorted(TOTAL_MAX_BY_INSTRUMENT),
        )
        maximum = TOTAL_MAX_BY_INSTRUMENT[self.instrument]
        require(
            isinstance(self.total, int)
            and not isinstance(self.total, bool)
            and 0 <= self.total <= maximum,
            "score_total_out_of_range",
            f"{self.instrument} total must be a whole number from 0 to {maximum}.",
            instrument=self.instrument,
            total=self.total,
            maximum=maximum,
        )
        require_aware(self.taken_at, "taken_at")
        if not isinstance(self.context, AssessmentContext):
            raise InvalidClinicalInput(
                "unknown_assessment_context",
                "Assessment context must be baseline, pre_dose, post_dose or follow_up.",
                {"context": str(self.context)},
            )
        require(
            isinstance(self.item_flags, frozenset),
            "item_flags_not_a_set",
            "item_flags must be a frozenset of flag codes.",
        )

    def ref(self) -> tuple[tuple[str, object], ...]:
        """A small, patient-free reference to this observation for a reason's data."""
        return (
            ("instrument", self.instrument),
            ("taken_at", self.taken_at.isoformat()),
            ("total", self.total),
            ("observation_id", self.observation_id),
        )


@dataclass(frozen=True, slots=True)
class DoseEvent:
    """A treatment session's dose; only the time matters to the outcomes engine."""

    given_at: datetime
    dose_id: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.given_at, "given_at")


@dataclass(frozen=True, slots=True)
class OutcomePolicy:
    """Clinic-configurable outcome definitions; each default is a cited constant."""

    response_min_reduction_pct: Decimal = OUTCOMES_RESPONSE_MIN_REDUCTION_PCT
    partial_response_min_reduction_pct: Decimal = OUTCOMES_PARTIAL_RESPONSE_MIN_REDUCTION_PCT
    phq9_remission_max_total: int = OUTCOMES_PHQ9_REMISSION_MAX_TOTAL
    madrs_remission_max_total: int = OUTCOMES_MADRS_REMISSION_MAX_TOTAL_ESKETAMINE
    qids_sr16_remission_max_total: int = OUTCOMES_QIDS_SR16_REMISSION_MAX_TOTAL
    rapid_response_24h_window: timedelta = timedelta(hours=OUTCOMES_RAPID_RESPONSE_24H_WINDOW_H)
    rapid_response_1w_window: timedelta = timedelta(days=OUTCOMES_RAPID_RESPONSE_1W_WINDOW_D)
    sustained_response_min_consecutive: int = OUTCOMES_SUSTAINED_RESPONSE_MIN_CONSECUTIVE
    phq9_relapse_min_total: int = OUTCOMES_PHQ9_RELAPSE_MIN_TOTAL
    madrs_relapse_min_total: int = OUTCOMES_MADRS_RELAPSE_MIN_TOTAL
    qids_sr16_relapse_min_total: int = OUTCOMES_QIDS_SR16_RELAPSE_MIN_TOTAL
    relapse_min_consecutive: int = OUTCOMES_RELAPSE_MIN_CONSECUTIVE
    # SUSTAIN-1 spacing (5-15 days, memory-only): off unless a clinic sets it.
    relapse_confirmation_min_gap: timedelta | None = None
    relapse_confirmation_max_gap: timedelta | None = None
    worsening_min_increase_pct: Decimal = OUTCOMES_WORSENING_MIN_INCREASE_PCT
    phq9_worsening_min_increase_points: int | None = OUTCOMES_PHQ9_WORSENING_MIN_INCREASE_POINTS
    madrs_worsening_min_increase_points: int | None = None  # no cited value found
    qids_sr16_worsening_min_increase_points: int | None = None  # no cited value found
    futility_sessions_without_response: int = OUTCOMES_FUTILITY_SESSIONS_WITHOUT_RESPONSE

    def __post_init__(self) -> None:
        for name in (
            "response_min_reduction_pct",
            "partial_response_min_reduction_pct",
            "worsening_min_increase_pct",
        ):
            value = getattr(self, name)
            require(
                isinstance(value, Decimal) and Decimal(0) < value <= Decimal(100),
                "policy_percentage_out_of_range",
                f"{name} must be a Decimal percentage above 0 and at most 100.",
                field=name,
            )
        require(
            self.partial_response_min_reduction_pct < self.response_min_reduction_pct,
            "policy_partial_response_not_below_response",
            "The partial-response threshold must be below the response threshold.",
        )
        for instrument in DEPRESSION_INSTRUMENTS:
            maximum = TOTAL_MAX_BY_INSTRUMENT[instrument]
            remission = self.remission_max_total(instrument)
            relapse = self.relapse_min_total(instrument)
            require(
                remission is not None and 0 <= remission < maximum,
                "policy_remission_cutoff_out_of_range",
                f"{instrument} remission cutoff must lie within the scale (0-{maximum}).",
                instrument=instrument,
            )
            require(
                relapse is not None and remission is not None and remission < relapse <= maximum,
                "policy_relapse_cutoff_out_of_range",
                f"{instrument} relapse threshold must be above the remission cutoff and within "
                f"the scale.",
                instrument=instrument,
            )
            points = self.worsening_min_increase_points(instrument)
            require(
                points is None or (isinstance(points, int) and points >= 1),
                "policy_worsening_points_out_of_range",
                f"{instrument} worsening minimum must be at least 1 point, or unset.",
                instrument=instrument,
            )
        for name in (
            "sustained_response_min_consecutive",
            "relapse_min_consecutive",
            "futility_sessions_without_response",
        ):
            value = getattr(self, name)
            require(
                isinstance(value, int) and value >= 1,
                "policy_count_out_of_range",
                f"{name} must be a whole number of at least 1.",
                field=name,
            )
        for name in ("rapid_response_24h_window", "rapid_response_1w_window"):
            require(
                getattr(self, name) > timedelta(0),
                "policy_window_not_positive",
                f"{name} must be a positive duration.",
                field=name,
            )
        lo, hi = self.relapse_confirmation_min_gap, self.relapse_confirmation_max_gap
        require(
            (lo is None or lo >= timedelta(0))
            and (hi is None or hi > timedelta(0))
            and (lo is None or hi is None or lo <= hi),
            "policy_relapse_gap_invalid",
            "Relapse confirmation spacing must be non-negative with minimum <= maximum.",
        )

    def remission_max_total(self, instrument: str) -> int | None:
        """The highest total that counts as remission, or None (no remission rule)."""
        return {
            PHQ9: self.phq9_remission_max_total,
            MADRS: self.madrs_remission_max_total,
            QIDS_SR16: self.qids_sr16_remission_max_total,
        }.get(instrument)

    def relapse_min_total(self, instrument: str) -> int | None:
        return {
            PHQ9: self.phq9_relapse_min_total,
            MADRS: self.madrs_relapse_min_total,
            QIDS_SR16: self.qids_sr16_relapse_min_total,
        }.get(instrument)

    def worsening_min_increase_points(self, instrument: str) -> int | None:
        return {
            PHQ9: self.phq9_worsening_min_increase_points,
            MADRS: self.madrs_worsening_min_increase_points,
            QIDS_SR16: self.qids_sr16_worsening_min_increase_points,
        }.get(instrument)


def meets_response(baseline_total: int, total: int, policy: OutcomePolicy) -> bool:
    """True when ``total`` is at least the response percentage below ``baseline_total``."""
    # Exact integer arithmetic: (baseline - total) / baseline >= pct / 100.
    return baseline_total > 0 and (baseline_total - total) * 100 >= (
        policy.response_min_reduction_pct * baseline_total
    )


def meets_partial_response(baseline_total: int, total: int, policy: OutcomePolicy) -> bool:
    return baseline_total > 0 and (baseline_total - total) * 100 >= (
        policy.partial_response_min_reduction_pct * baseline_total
    )


def meets_remission(instrument: str, total: int, policy: OutcomePolicy) -> bool:
    cutoff = policy.remission_max_total(instrument)
    return cutoff is not None and total <= cutoff


def is_sharp_worsening(
    instrument: str, reference_total: int, total: int, policy: OutcomePolicy
) -> bool:
    """True when ``total`` rose from ``reference_total`` by the policy's percentage (and the
    instrument's minimum points, where one is set)."""
    if instrument not in DEPRESSION_INSTRUMENTS:
        return False
    increase = total - reference_total
    if increase <= 0:
        return False
    points = policy.worsening_min_increase_points(instrument)
    if points is not None and increase < points:
        return False
    if reference_total == 0:
        # Any rise from 0 is an infinite percentage; only the point floor can judge it.
        return points is not None
    return increase * 100 >= policy.worsening_min_increase_pct * reference_total


def percent_change(baseline_total: int, total: int) -> Decimal | None:
    """Signed change from baseline in percent (negative = improvement), 1 decimal place."""
    if baseline_total == 0:
        return None
    return (Decimal(total - baseline_total) * 100 / Decimal(baseline_total)).quantize(
        Decimal("0.1")
    )
