"""Cohort outcomes per protocol from de-identified PHQ-9 series.

Input: one ``PatientScores`` per patient (pseudonym, the protocol of the course that holds the
patient's first dose, PHQ-9 totals with whole days relative to that first dose and whether each
was taken before it). Output: per protocol, response and remission rates with Wilson 95%
intervals, days from first dose to response, and durability (days from response to relapse) as
a Kaplan-Meier relapse-free curve, each with small-cell suppression.

Definitions, from the clinic's ``OutcomePolicy`` (``ketacare.clinical.outcomes``; every
default cited there):

- baseline: the last PHQ-9 taken before the first dose (a patient without one is "not
  measured");
- response: a later PHQ-9 at least ``response_min_reduction_pct`` below baseline
  (100 * total <= (100 - pct) * baseline, the same arithmetic as
  ``measures.selectors.outcome_rates_by_protocol``); the first such day is the time to response;
- remission: a later PHQ-9 at or below ``phq9_remission_max_total``;
- relapse (after response): ``relapse_min_consecutive`` consecutive PHQ-9 scores each at or
  above ``phq9_relapse_min_total``; its day is the first score of that run. Responders without
  relapse are censored at their last PHQ-9.

Unlike the measures selector (latest score against first score), a patient here counts as a
responder or remitter if the criterion was met at any time after the first dose ("ever"), which
is what time-to-response and durability need. Only PHQ-9 is used (every KetaCare schedule
collects it); MADRS/QIDS series are exported but not summarised. Not done: confidence bands of
the curve, comparisons between protocols (no hypothesis tests).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

from ketacare.analytics.intervals import Interval, wilson_interval
from ketacare.analytics.suppression import check_min_cell_count, is_reportable
from ketacare.analytics.survival import KaplanMeierCurve, kaplan_meier
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import OutcomePolicy
from ketacare.clinical.outcomes.definitions import OUTCOMES_PHQ9_TOTAL_MAX


@dataclass(frozen=True, slots=True)
class ScorePoint:
    day: int  # whole days since the patient's first dose (negative before it)
    total: int
    before_first_dose: bool

    def __post_init__(self) -> None:
        if not 0 <= self.total <= OUTCOMES_PHQ9_TOTAL_MAX:
            raise InvalidClinicalInput(
                "phq9_total_out_of_range", "A PHQ-9 total lies between 0 and 27."
            )
        if self.before_first_dose and self.day > 0:
            raise InvalidClinicalInput(
                "score_day_inconsistent", "A score before the first dose cannot be on a later day."
            )


@dataclass(frozen=True, slots=True)
class PatientScores:
    pseudonym: str
    protocol_code: str
    scores: tuple[ScorePoint, ...]  # in time order


@dataclass(frozen=True, slots=True)
class PatientOutcome:
    pseudonym: str
    protocol_code: str
    baseline_total: int | None
    last_day: int | None  # day of the last PHQ-9 after the first dose
    response_day: int | None
    remission_day: int | None
    relapse_day: int | None

    @property
    def measured(self) -> bool:
        return self.baseline_total is not None and self.last_day is not None


def classify_patient(row: PatientScores, policy: OutcomePolicy | None = None) -> PatientOutcome:
    """Baseline, first response and remission days and relapse day after response."""
    policy = policy or OutcomePolicy()
    before = [s for s in row.scores if s.before_first_dose]
    after = [s for s in row.scores if not s.before_first_dose]
    if not before or not after:
        last = after[-1].day if after else None
        baseline = before[-1].total if before else None
        return PatientOutcome(row.pseudonym, row.protocol_code, baseline, last, None, None, None)
    baseline = before[-1].total
    keep_pct = 100 - int(policy.response_min_reduction_pct)
    response_at = next(
        (i for i, s in enumerate(after) if 100 * s.total <= keep_pct * baseline), None
    )
    remission_day = next((s.day for s in after if s.total <= policy.phq9_remission_max_total), None)
    relapse_day = None
    if response_at is not None:
        run = 0
        for i in range(response_at + 1, len(after)):
            run = run + 1 if after[i].total >= policy.phq9_relapse_min_total else 0
            if run == policy.relapse_min_consecutive:
                relapse_day = after[i - run + 1].day
                break
    return PatientOutcome(
        row.pseudonym,
        row.protocol_code,
        baseline,
        after[-1].day,
        after[response_at].day if response_at is not None else None,
        remission_day,
        relapse_day,
    )


@dataclass(frozen=True, slots=True)
class Rate:
    """A count over a denominator; ``None`` fields were suppressed (small cells)."""

    count: int | None
    denominator: int | None
    interval: Interval | None


@dataclass(frozen=True, slots=True)
class ProtocolSummary:
    protocol_code: str
    patients: int | None
    measured: int | None
    response: Rate
    remission: Rate
    median_days_to_response: float | None
    median_relapse_free_days: int | None
    relapse_free_curve: KaplanMeierCurve | None  # truncated where fewer than k remain at risk
    suppressed: tuple[str, ...]  # names of the values withheld as small cells


@dataclass(frozen=True, slots=True)
class CohortOutcomes:
    protocols: tuple[ProtocolSummary, ...]
    min_cell_count: int


def _rate(count: int, n: int | None, k: int) -> Rate:
    if n is None or n == 0:
        return Rate(None, n, None)
    if not (is_reportable(count, k) and is_reportable(n - count, k)):
        return Rate(None, n, None)
    return Rate(count, n, wilson_interval(count, n))


def _truncate(curve: KaplanMeierCurve, k: int) -> KaplanMeierCurve | None:
    keep = [i for i, n in enumerate(curve.at_risk) if n >= k]
    if curve.subjects < k:
        return None
    last = keep[-1] + 1 if keep else 0
    return KaplanMeierCurve(
        curve.times[:last],
        curve.at_risk[:last],
        curve.events[:last],
        curve.survival[:last],
        curve.subjects,
    )


def _summarise(code: str, outcomes: list[PatientOutcome], k: int) -> ProtocolSummary:
    suppressed: list[str] = []
    patients = len(outcomes)
    measured_rows = [o for o in outcomes if o.measured]
    measured = len(measured_rows)
    if not is_reportable(patients, k):
        suppressed.append("patients")
    # The unmeasured count (patients - measured) is derivable, so it must be reportable too.
    if not (is_reportable(measured, k) and is_reportable(patients - measured, k)):
        suppressed.append("measured")
    usable = "patients" not in suppressed and "measured" not in suppressed
    n = measured if usable else None
    responders = [o for o in measured_rows if o.response_day is not None]
    remitters = [o for o in measured_rows if o.remission_day is not None]
    response = _rate(len(responders), n, k)
    remission = _rate(len(remitters), n, k)
    if n is not None and response.count is None:
        suppressed.append("response")
    if n is not None and remission.count is None:
        suppressed.append("remission")
    days_to_response = curve = median_free = None
    if usable and len(responders) >= k:
        days_to_response = float(median(o.response_day for o in responders))  # type: ignore[misc]
        durations = [
            (o.relapse_day if o.relapse_day is not None else o.last_day) - o.response_day  # type: ignore[operator]
            for o in responders
        ]
        full = kaplan_meier(durations, [o.relapse_day is not None for o in responders])
        median_free = full.median()
        curve = _truncate(full, k)
    elif usable:
        suppressed.append("time_to_response_and_durability")
    return ProtocolSummary(
        code,
        patients if is_reportable(patients, k) else None,
        measured if "measured" not in suppressed else None,
        response,
        remission,
        days_to_response,
        median_free,
        curve,
        tuple(suppressed),
    )


def summarise_cohort(
    rows: Iterable[PatientScores], *, min_cell_count: int, policy: OutcomePolicy | None = None
) -> CohortOutcomes:
    """Per-protocol outcome statistics with cells below ``min_cell_count`` withheld."""
    check_min_cell_count(min_cell_count)
    by_protocol: dict[str, list[PatientOutcome]] = defaultdict(list)
    for row in rows:
        by_protocol[row.protocol_code].append(classify_patient(row, policy))
    return CohortOutcomes(
        tuple(_summarise(code, by_protocol[code], min_cell_count) for code in sorted(by_protocol)),
        min_cell_count,
    )
