"""Maintenance timing from the patient's own durability of benefit.

Implements ``recommend_maintenance`` and ``is_due``. For every dose given from the end of the
acute series on (the last acute dose included), durability is the time from the dose until the
first later score of the chosen instrument that is no longer within the patient's threshold
(remission cutoff, or response versus baseline). A dose followed by the next dose, or by
``as_of``, with every score still within the threshold is *censored*: its durability is at
least that long.

Rule (KetaCare product heuristic, not a published rule; see references.PRODUCT_MAINTENANCE):

1. With at least ``min_observed_losses`` observed (uncensored) durabilities, the next dose is
   due ``floor(median durability x schedule_fraction)`` days after the last dose, so the patient
   is dosed before the expected loss (default fraction 0.75: 21-day durability -> day 15).
2. With no loss observed but at least that many censored intervals, benefit outlasted every
   interval given: keep the last interval (extending it is a clinician's call).
3. Otherwise ``insufficient_history``: use the policy's default interval, or none.
4. The interval is clamped to the policy's bounds. Esketamine bounds come from the label
   (weekly in weeks 5-8; weekly or every 2 weeks from week 9, S2/S3). IV ketamine maintenance
   frequency is "best individualized" (S19) / "case-by-case" (S24): no default is shipped, so
   the clinic sets bounds or the observed durability is used alone.
5. ``durability_shortening`` is raised when the last ``shortening_window`` durabilities were
   all observed, strictly decrease, and the last is at least ``shortening_min_decline_pct``
   shorter than the first of them (default 3 and 25%: 28, 21, 14 days -> flag).

Durability is measured to the first score found outside the threshold, so it is over-estimated
by up to the spacing of assessments; the fraction below 1 absorbs part of that. In-session
post-dose scores are ignored because they reflect the acute drug effect. This module does not
decide whether maintenance should continue, and does not change doses.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.errors import require
from ketacare.clinical.gates import Finding
from ketacare.clinical.outcomes import references as refs
from ketacare.clinical.outcomes.definitions import (
    DEPRESSION_INSTRUMENTS,
    MADRS,
    AssessmentContext,
    DoseEvent,
    OutcomePolicy,
    ScoreObservation,
    meets_remission,
    meets_response,
    require_aware,
)
from ketacare.clinical.outcomes.status import (
    select_baseline,
    validate_doses,
    validate_observations,
)
from ketacare.clinical.sources import Source, cited

OUTCOMES_MAINTENANCE_SCHEDULE_FRACTION = cited(
    "OUTCOMES_MAINTENANCE_SCHEDULE_FRACTION",
    Decimal("0.75"),
    "fraction of median durability",
    refs.PRODUCT_MAINTENANCE,
)
OUTCOMES_MAINTENANCE_MIN_OBSERVED_LOSSES = cited(
    "OUTCOMES_MAINTENANCE_MIN_OBSERVED_LOSSES",
    2,
    "observed durabilities",
    refs.PRODUCT_MAINTENANCE,
)
OUTCOMES_DURABILITY_SHORTENING_WINDOW = cited(
    "OUTCOMES_DURABILITY_SHORTENING_WINDOW", 3, "consecutive durabilities", refs.PRODUCT_MAINTENANCE
)
OUTCOMES_DURABILITY_SHORTENING_MIN_DECLINE_PCT = cited(
    "OUTCOMES_DURABILITY_SHORTENING_MIN_DECLINE_PCT",
    Decimal("25"),
    "% shorter than first",
    refs.PRODUCT_MAINTENANCE,
)
OUTCOMES_ESKETAMINE_INDUCTION_LAST_WEEK = cited(
    "OUTCOMES_ESKETAMINE_INDUCTION_LAST_WEEK", 4, "treatment week", refs.SPRAVATO_MAINTENANCE
)
OUTCOMES_ESKETAMINE_FLEXIBLE_FROM_WEEK = cited(
    "OUTCOMES_ESKETAMINE_FLEXIBLE_FROM_WEEK", 9, "treatment week", refs.SPRAVATO_MAINTENANCE
)
OUTCOMES_ESKETAMINE_WEEKS_5_TO_8_INTERVAL_D = cited(
    "OUTCOMES_ESKETAMINE_WEEKS_5_TO_8_INTERVAL_D", 7, "days", refs.SPRAVATO_MAINTENANCE
)
OUTCOMES_ESKETAMINE_MAINTENANCE_MIN_INTERVAL_D = cited(
    "OUTCOMES_ESKETAMINE_MAINTENANCE_MIN_INTERVAL_D", 7, "days", refs.SPRAVATO_MAINTENANCE
)
OUTCOMES_ESKETAMINE_MAINTENANCE_MAX_INTERVAL_D = cited(
    "OUTCOMES_ESKETAMINE_MAINTENANCE_MAX_INTERVAL_D", 14, "days", refs.SPRAVATO_MAINTENANCE
)

_SECONDS_PER_DAY = Decimal(86400)


class DurabilityThreshold(StrEnum):
    REMISSION = "remission"  # score at or below the instrument's remission cutoff
    RESPONSE = "response"  # score at least the response percentage below baseline


class MaintenanceBasis(StrEnum):
    OBSERVED_DURABILITY = "observed_durability"
    DURABILITY_EXCEEDS_INTERVAL = "durability_exceeds_interval"
    DEFAULT_INTERVAL = "default_interval"
    NONE = "none"  # not enough history and no default: a clinician sets the date


@dataclass(frozen=True, slots=True)
class MaintenancePolicy:
    """How to time maintenance doses. Bounds and default are clinic settings (None = unset)."""

    instrument: str = MADRS
    threshold: DurabilityThreshold = DurabilityThreshold.REMISSION
    min_interval_days: int | None = None
    max_interval_days: int | None = None
    default_interval_days: int | None = None
    bounds_source: Source | None = None  # where the bounds come from (label), if anywhere
    schedule_fraction: Decimal = OUTCOMES_MAINTENANCE_SCHEDULE_FRACTION
    min_observed_losses: int = OUTCOMES_MAINTENANCE_MIN_OBSERVED_LOSSES
    shortening_window: int = OUTCOMES_DURABILITY_SHORTENING_WINDOW
    shortening_min_decline_pct: Decimal = OUTCOMES_DURABILITY_SHORTENING_MIN_DECLINE_PCT
    outcome_policy: OutcomePolicy = field(default_factory=OutcomePolicy)

    def __post_init__(self) -> None:
        require(
            self.instrument in DEPRESSION_INSTRUMENTS,
            "maintenance_instrument_unsupported",
            "Maintenance timing needs a depression instrument (phq9, madrs or qids_sr16).",
            instrument=self.instrument,
        )
        require(
            isinstance(self.threshold, DurabilityThreshold),
            "maintenance_threshold_invalid",
            "threshold must be remission or response.",
        )
        for name in ("min_interval_days", "max_interval_days", "default_interval_days"):
            value = getattr(self, name)
            require(
                value is None or (isinstance(value, int) and value >= 1),
                "maintenance_interval_invalid",
                f"{name} must be a whole number of days of at least 1, or unset.",
                field=name,
            )
        lo, hi, default = self.min_interval_days, self.max_interval_days, self.default_interval_days
        require(
            lo is None or hi is None or lo <= hi,
            "maintenance_bounds_inverted",
            "The minimum interval must not exceed the maximum interval.",
        )
        require(
            default is None or ((lo is None or default >= lo) and (hi is None or default <= hi)),
            "maintenance_default_outside_bounds",
            "The default interval must lie within the interval bounds.",
        )
        require(
            isinstance(self.schedule_fraction, Decimal)
            and Decimal(0) < self.schedule_fraction <= Decimal(1),
            "maintenance_fraction_invalid",
            "schedule_fraction must be a Decimal above 0 and at most 1.",
        )
        require(
            isinstance(self.min_observed_losses, int) and self.min_observed_losses >= 1,
            "maintenance_min_losses_invalid",
            "min_observed_losses must be at least 1.",
        )
        require(
            isinstance(self.shortening_window, int) and self.shortening_window >= 2,
            "maintenance_shortening_window_invalid",
            "shortening_window must be at least 2 durabilities.",
        )
        require(
            isinstance(self.shortening_min_decline_pct, Decimal)
            and Decimal(0) <= self.shortening_min_decline_pct < Decimal(100),
            "maintenance_shortening_decline_invalid",
            "shortening_min_decline_pct must be a Decimal from 0 to below 100.",
        )
        require(
            isinstance(self.outcome_policy, OutcomePolicy),
            "policy_missing",
            "outcome_policy must be an OutcomePolicy.",
        )


def esketamine_maintenance_policy(
    treatment_week: int,
    *,
    instrument: str = MADRS,
    threshold: DurabilityThreshold = DurabilityThreshold.REMISSION,
    outcome_policy: OutcomePolicy | None = None,
) -> MaintenancePolicy:
    """Label bounds for esketamine (TRD): weekly in weeks 5-8; 7-14 days from week 9."""
    require(
        isinstance(treatment_week, int)
        and treatment_week > OUTCOMES_ESKETAMINE_INDUCTION_LAST_WEEK,
        "esketamine_week_is_induction",
        "Weeks 1-4 are esketamine induction (twice weekly), not maintenance.",
        treatment_week=treatment_week,
    )
    if treatment_week < OUTCOMES_ESKETAMINE_FLEXIBLE_FROM_WEEK:
        lo = hi = OUTCOMES_ESKETAMINE_WEEKS_5_TO_8_INTERVAL_D
    else:
        lo = OUTCOMES_ESKETAMINE_MAINTENANCE_MIN_INTERVAL_D
        hi = OUTCOMES_ESKETAMINE_MAINTENANCE_MAX_INTERVAL_D
    return MaintenancePolicy(
        instrument=instrument,
        threshold=threshold,
        min_interval_days=lo,
        max_interval_days=hi,
        # Weekly is the label's more frequent option: the safe fallback without history.
        default_interval_days=lo,
        bounds_source=refs.SPRAVATO_MAINTENANCE,
        outcome_policy=outcome_policy or OutcomePolicy(),
    )


@dataclass(frozen=True, slots=True)
class DurabilityRecord:
    """How long one dose's benefit lasted (or at least lasted, when censored)."""

    dose: DoseEvent
    duration_days: Decimal  # 2 decimal places
    censored: bool
    end_reason: str  # "loss", "next_dose" or "as_of"
    ended_by: ScoreObservation | None  # the first score outside the threshold (when a loss)
    observations: tuple[ScoreObservation, ...]  # scores read for this dose


@dataclass(frozen=True, slots=True)
class MaintenanceRecommendation:
    next_dose_at: datetime | None
    interval_days: int | None
    basis: MaintenanceBasis
    last_dose_at: datetime
    durations: tuple[DurabilityRecord, ...]
    median_durability_days: Decimal | None
    durability_shortening: bool
    reasons: tuple[Finding, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


def _days(delta: timedelta) -> Decimal:
    return (Decimal(str(delta.total_seconds())) / _SECONDS_PER_DAY).quantize(Decimal("0.01"))


def recommend_maintenance(
    observations: Iterable[ScoreObservation],
    doses: Iterable[DoseEvent],
    acute_series_ended_at: datetime,
    policy: MaintenancePolicy,
    *,
    as_of: datetime,
) -> MaintenanceRecommendation:
    """Recommend the next maintenance dose date from observed durability (see module rule).

    ``acute_series_ended_at`` is the time of the last acute-series dose; doses from then on are
    measured. Raises ``InvalidClinicalInput`` when no dose has been given.
    """
    require_aware(as_of, "as_of")
    require_aware(acute_series_ended_at, "acute_series_ended_at")
    require(
        acute_series_ended_at <= as_of,
        "acute_series_end_after_as_of",
        "The acute series cannot end after the assessment time.",
    )
    require(
        isinstance(policy, MaintenancePolicy), "policy_missing", "A MaintenancePolicy is required."
    )
    series = tuple(
        o
        for o in validate_observations(observations, as_of=as_of)
        if o.instrument == policy.instrument
    )
    all_doses = validate_doses(doses, as_of=as_of)
    require(all_doses != (), "no_doses", "No dose has been given; nothing to time from.")
    last_dose_at = all_doses[-1].given_at
    outcome_policy = policy.outcome_policy
    reasons: list[Finding] = []

    baseline = select_baseline(series, all_doses[0].given_at)
    if policy.threshold is DurabilityThreshold.RESPONSE and (
        baseline is None or baseline.total == 0
    ):
        reasons.append(
            Finding(
                code="no_baseline",
                message=(
                    f"Durability against response needs a {policy.instrument} baseline before "
                    "the first dose; none is usable."
                ),
            )
        )
        return _fallback(policy, last_dose_at, (), reasons)

    def within(o: ScoreObservation) -> bool:
        if policy.threshold is DurabilityThreshold.REMISSION:
            return meets_remission(policy.instrument, o.total, outcome_policy)
        assert baseline is not None
        return meets_response(baseline.total, o.total, outcome_policy)

    measured = [d for d in all_doses if d.given_at >= acute_series_ended_at]
    records: list[DurabilityRecord] = []
    for i, dose in enumerate(measured):
        nxt = measured[i + 1].given_at if i + 1 < len(measured) else None
        window = tuple(
            o
            for o in series
            if o.context is not AssessmentContext.POST_DOSE
            and dose.given_at < o.taken_at
            and (o.taken_at < nxt if nxt is not None else o.taken_at <= as_of)
        )
        loss = next((o for o in window if not within(o)), None)
        if loss is not None:
            records.append(
                DurabilityRecord(
                    dose, _days(loss.taken_at - dose.given_at), False, "loss", loss, window
                )
            )
        else:
            end = nxt if nxt is not None else as_of
            records.append(
                DurabilityRecord(
                    dose,
                    _days(end - dose.given_at),
                    True,
                    "next_dose" if nxt is not None else "as_of",
                    None,
                    window,
                )
            )

    durations = tuple(records)
    losses = [r for r in durations if not r.censored]
    durations_data = (
        "durations_days",
        tuple((str(r.duration_days), r.censored) for r in durations),
    )
    shortening = _shortening(durations, policy)
    if shortening:
        window = durations[-policy.shortening_window :]
        reasons.append(
            Finding(
                code="durability_shortening",
                message=(
                    "Benefit lasted less after each of the last "
                    f"{policy.shortening_window} doses ("
                    + ", ".join(f"{r.duration_days} d" for r in window)
                    + "). Review the maintenance plan."
                ),
                source=refs.PRODUCT_MAINTENANCE,
                data=(durations_data,),
            )
        )

    if len(losses) >= policy.min_observed_losses:
        median = Decimal(statistics.median(r.duration_days for r in losses))
        raw_interval = max(1, int(median * policy.schedule_fraction))  # int() floors: earlier
        reasons.append(
            Finding(
                code="scheduled_before_expected_loss",
                message=(
                    f"Median durability {median} days over {len(losses)} observed losses; next "
                    f"dose {raw_interval} days after the last dose "
                    f"({policy.schedule_fraction} x median, rounded down)."
                ),
                source=refs.PRODUCT_MAINTENANCE,
                data=(("median_durability_days", str(median)), durations_data),
            )
        )
        return _finish(
            policy,
            last_dose_at,
            raw_interval,
            MaintenanceBasis.OBSERVED_DURABILITY,
            durations,
            median,
            shortening,
            reasons,
        )

    intervals = [r for r in durations if r.end_reason == "next_dose"]
    if not losses and len(intervals) >= policy.min_observed_losses:
        last_interval = max(1, int(intervals[-1].duration_days))
        reasons.append(
            Finding(
                code="no_loss_observed",
                message=(
                    f"{policy.instrument} stayed within the {policy.threshold} threshold "
                    f"through {len(intervals)} dosing intervals; keeping the last interval of "
                    f"{last_interval} days (extending it is a clinical decision)."
                ),
                source=refs.PRODUCT_MAINTENANCE,
                data=(durations_data,),
            )
        )
        return _finish(
            policy,
            last_dose_at,
            last_interval,
            MaintenanceBasis.DURABILITY_EXCEEDS_INTERVAL,
            durations,
            None,
            shortening,
            reasons,
        )

    reasons.append(
        Finding(
            code="insufficient_history",
            message=(
                f"Only {len(losses)} observed loss(es) of benefit after the acute series; "
                f"{policy.min_observed_losses} are needed to time maintenance from durability."
            ),
            source=refs.PRODUCT_MAINTENANCE,
            data=(durations_data,),
        )
    )
    return _fallback(policy, last_dose_at, durations, reasons, shortening=shortening)


def _shortening(durations: tuple[DurabilityRecord, ...], policy: MaintenancePolicy) -> bool:
    k = policy.shortening_window
    if len(durations) < k:
        return False
    window = durations[-k:]
    if any(r.censored for r in window):  # a censored value is only a lower bound
        return False
    values = [r.duration_days for r in window]
    strictly_falling = all(b < a for a, b in itertools.pairwise(values))
    decline_ok = values[-1] * 100 <= values[0] * (100 - policy.shortening_min_decline_pct)
    return strictly_falling and decline_ok


def _fallback(
    policy: MaintenancePolicy,
    last_dose_at: datetime,
    durations: tuple[DurabilityRecord, ...],
    reasons: list[Finding],
    *,
    shortening: bool = False,
) -> MaintenanceRecommendation:
    if policy.default_interval_days is None:
        reasons.append(
            Finding(
                code="no_default_interval",
                message=(
                    "No default maintenance interval is configured for this protocol; a "
                    "clinician sets the next date."
                ),
            )
        )
        return MaintenanceRecommendation(
            next_dose_at=None,
            interval_days=None,
            basis=MaintenanceBasis.NONE,
            last_dose_at=last_dose_at,
            durations=durations,
            median_durability_days=None,
            durability_shortening=shortening,
            reasons=tuple(reasons),
        )
    reasons.append(
        Finding(
            code="default_interval_used",
            message=(
                f"Using the protocol's default interval of {policy.default_interval_days} days."
            ),
            source=policy.bounds_source,
        )
    )
    return _finish(
        policy,
        last_dose_at,
        policy.default_interval_days,
        MaintenanceBasis.DEFAULT_INTERVAL,
        durations,
        None,
        shortening,
        reasons,
    )


def _finish(
    policy: MaintenancePolicy,
    last_dose_at: datetime,
    interval: int,
    basis: MaintenanceBasis,
    durations: tuple[DurabilityRecord, ...],
    median: Decimal | None,
    shortening: bool,
    reasons: list[Finding],
) -> MaintenanceRecommendation:
    if policy.min_interval_days is not None and interval < policy.min_interval_days:
        reasons.append(
            Finding(
                code="clamped_to_minimum_interval",
                message=(
                    f"{interval} days is shorter than the protocol minimum; using "
                    f"{policy.min_interval_days} days."
                ),
                source=policy.bounds_source,
                data=(("computed_interval_days", interval),),
            )
        )
        interval = policy.min_interval_days
    if policy.max_interval_days is not None and interval > policy.max_interval_days:
        reasons.append(
            Finding(
                code="clamped_to_maximum_interval",
                message=(
                    f"{interval} days is longer than the protocol maximum; using "
                    f"{policy.max_interval_days} days."
                ),
                source=policy.bounds_source,
                data=(("computed_interval_days", interval),),
            )
        )
        interval = policy.max_interval_days
    return MaintenanceRecommendation(
        next_dose_at=last_dose_at + timedelta(days=interval),
        interval_days=interval,
        basis=basis,
        last_dose_at=last_dose_at,
        durations=durations,
        median_durability_days=median,
        durability_shortening=shortening,
        reasons=tuple(reasons),
    )


def is_due(recommendation: MaintenanceRecommendation, as_of: datetime) -> bool:
    """True when a next dose date exists and ``as_of`` has reached it."""
    require_aware(as_of, "as_of")
    return recommendation.next_dose_at is not None and as_of >= recommendation.next_dose_at
