"""Outcome status per instrument: baseline, latest score, change, status and flags.

Implements ``assess_outcomes``: for each depression instrument (PHQ-9, MADRS, QIDS-SR16) it
picks the baseline (the last baseline-context score at or before the first dose, else the
earliest pre-treatment score), the latest score after the first dose, the percent change, one
status (``no_baseline``, ``not_yet_assessed``, ``responding``, ``remission``,
``partial_response``, ``non_response``, ``relapse``, ``worsening``) and the flags
``rapid_response_24h``, ``rapid_response_1w``, ``sustained_response`` and
``futility_review_due`` (clinical reference §4.6, rules 19, 24, 25). Every status and flag
carries a ``Finding`` whose data names the observations that triggered it, and the
observations themselves (``evidence``).

Status precedence (most specific first): relapse, worsening, remission, responding,
partial_response, non_response. Relapse needs an earlier response or remission.

Deliberately not done: no status for GAD-7 or C-SSRS (listed in ``not_assessed``); no
pro-rating or imputation of missing assessments; no treatment decision (the futility flag only
prompts a clinician review).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.gates import Finding
from ketacare.clinical.outcomes import references as refs
from ketacare.clinical.outcomes.definitions import (
    DEPRESSION_INSTRUMENTS,
    MADRS,
    OUTCOMES_MADRS_REMISSION_MAX_TOTAL_ESKETAMINE,
    OUTCOMES_MADRS_REMISSION_MAX_TOTAL_KETECT,
    OUTCOMES_PHQ9_REMISSION_MAX_TOTAL,
    OUTCOMES_QIDS_SR16_REMISSION_MAX_TOTAL,
    PHQ9,
    QIDS_SR16,
    AssessmentContext,
    DoseEvent,
    OutcomePolicy,
    ScoreObservation,
    is_sharp_worsening,
    meets_partial_response,
    meets_remission,
    meets_response,
    percent_change,
    require_aware,
)
from ketacare.clinical.sources import Source


class OutcomeStatus(StrEnum):
    NO_BASELINE = "no_baseline"
    NOT_YET_ASSESSED = "not_yet_assessed"
    RESPONDING = "responding"
    REMISSION = "remission"
    PARTIAL_RESPONSE = "partial_response"
    NON_RESPONSE = "non_response"
    RELAPSE = "relapse"
    WORSENING = "worsening"


FLAG_RAPID_RESPONSE_24H = "rapid_response_24h"
FLAG_RAPID_RESPONSE_1W = "rapid_response_1w"
FLAG_SUSTAINED_RESPONSE = "sustained_response"
FLAG_FUTILITY_REVIEW_DUE = "futility_review_due"


@dataclass(frozen=True, slots=True)
class OutcomeFlag:
    code: str
    reason: Finding
    evidence: tuple[ScoreObservation, ...]


@dataclass(frozen=True, slots=True)
class InstrumentOutcome:
    instrument: str
    status: OutcomeStatus
    reason: Finding  # why this status, citing the observations in ``evidence``
    evidence: tuple[ScoreObservation, ...]
    baseline: ScoreObservation | None
    latest: ScoreObservation | None  # latest score after the first dose
    percent_change: Decimal | None  # latest vs baseline, negative = improvement
    flags: tuple[OutcomeFlag, ...]
    series: tuple[ScoreObservation, ...]  # every score of this instrument up to as_of, by time

    def has_flag(self, code: str) -> bool:
        return any(f.code == code for f in self.flags)

    def flag(self, code: str) -> OutcomeFlag | None:
        return next((f for f in self.flags if f.code == code), None)


@dataclass(frozen=True, slots=True)
class OutcomeAssessment:
    as_of: datetime
    first_dose_at: datetime | None
    doses_given: int
    instruments: tuple[InstrumentOutcome, ...]
    not_assessed: tuple[Finding, ...]  # instruments seen but not classified, with the reason

    def for_instrument(self, instrument: str) -> InstrumentOutcome | None:
        return next((i for i in self.instruments if i.instrument == instrument), None)


def assess_outcomes(
    observations: Iterable[ScoreObservation],
    doses: Iterable[DoseEvent],
    policy: OutcomePolicy,
    *,
    as_of: datetime,
) -> OutcomeAssessment:
    """Classify each depression instrument's course up to ``as_of`` (timezone-aware).

    Raises ``InvalidClinicalInput`` for scores or doses dated after ``as_of``, or two scores of
    one instrument at the same instant.
    """
    require_aware(as_of, "as_of")
    require(isinstance(policy, OutcomePolicy), "policy_missing", "An OutcomePolicy is required.")
    obs = validate_observations(observations, as_of=as_of)
    dose_list = validate_doses(doses, as_of=as_of)

    by_instrument: dict[str, list[ScoreObservation]] = {}
    for o in obs:
        by_instrument.setdefault(o.instrument, []).append(o)

    outcomes: list[InstrumentOutcome] = []
    skipped: list[Finding] = []
    for instrument in sorted(by_instrument):
        series = tuple(by_instrument[instrument])
        if instrument not in DEPRESSION_INSTRUMENTS:
            skipped.append(
                Finding(
                    code="instrument_not_a_depression_outcome",
                    message=(
                        f"{instrument} scores are kept in the time series but have no "
                        "response or remission rule; they are not classified."
                    ),
                    data=(("instrument", instrument),),
                )
            )
            continue
        outcomes.append(_assess_instrument(instrument, series, dose_list, policy))

    return OutcomeAssessment(
        as_of=as_of,
        first_dose_at=dose_list[0].given_at if dose_list else None,
        doses_given=len(dose_list),
        instruments=tuple(outcomes),
        not_assessed=tuple(skipped),
    )


def validate_observations(
    observations: Iterable[ScoreObservation], *, as_of: datetime
) -> tuple[ScoreObservation, ...]:
    """Type-check, reject future or duplicate scores, and sort by time."""
    obs = tuple(observations)
    for o in obs:
        if not isinstance(o, ScoreObservation):
            raise InvalidClinicalInput(
                "observation_invalid", "Every observation must be a ScoreObservation."
            )
        require(
            o.taken_at <= as_of,
            "observation_after_as_of",
            f"A {o.instrument} score is dated after the assessment time.",
            instrument=o.instrument,
            taken_at=o.taken_at.isoformat(),
        )
    seen: set[tuple[str, datetime]] = set()
    for o in obs:
        key = (o.instrument, o.taken_at)
        require(
            key not in seen,
            "duplicate_observation",
            f"Two {o.instrument} scores share the same time; keep one.",
            instrument=o.instrument,
            taken_at=o.taken_at.isoformat(),
        )
        seen.add(key)
    return tuple(sorted(obs, key=lambda o: o.taken_at))


def validate_doses(doses: Iterable[DoseEvent], *, as_of: datetime) -> tuple[DoseEvent, ...]:
    dose_list = tuple(doses)
    for d in dose_list:
        if not isinstance(d, DoseEvent):
            raise InvalidClinicalInput("dose_invalid", "Every dose must be a DoseEvent.")
        require(
            d.given_at <= as_of,
            "dose_after_as_of",
            "A dose is dated after the assessment time; pass only doses already given.",
            given_at=d.given_at.isoformat(),
        )
    return tuple(sorted(dose_list, key=lambda d: d.given_at))


def select_baseline(
    series: Sequence[ScoreObservation], first_dose_at: datetime | None
) -> ScoreObservation | None:
    """The last baseline-context score at or before the first dose, else the earliest
    pre-treatment score; None if there is no score before treatment."""
    pre = [
        o
        for o in series
        if (first_dose_at is None or o.taken_at <= first_dose_at)
        and o.context is not AssessmentContext.POST_DOSE
    ]
    marked = [o for o in pre if o.context is AssessmentContext.BASELINE]
    if marked:
        return marked[-1]
    return pre[0] if pre else None


def _data(evidence: Sequence[ScoreObservation], **facts: object) -> tuple[tuple[str, object], ...]:
    return (*facts.items(), ("observations", tuple(o.ref() for o in evidence)))


def _when(o: ScoreObservation) -> str:
    return o.taken_at.isoformat(timespec="minutes")


def remission_source(instrument: str, policy: OutcomePolicy) -> Source | None:
    """The citation behind the policy's remission cutoff; None when a clinic set its own."""
    if instrument == PHQ9:
        return (
            refs.SUSTAIN3_TABLE3
            if policy.phq9_remission_max_total == OUTCOMES_PHQ9_REMISSION_MAX_TOTAL
            else None
        )
    if instrument == QIDS_SR16:
        return (
            refs.QIDS_REMISSION
            if policy.qids_sr16_remission_max_total == OUTCOMES_QIDS_SR16_REMISSION_MAX_TOTAL
            else None
        )
    if policy.madrs_remission_max_total == OUTCOMES_MADRS_REMISSION_MAX_TOTAL_ESKETAMINE:
        return refs.SUSTAIN3_TABLE3
    if policy.madrs_remission_max_total == OUTCOMES_MADRS_REMISSION_MAX_TOTAL_KETECT:
        return refs.KETECT_REMISSION
    return None


def _relapse_source(instrument: str) -> Source:
    return {
        PHQ9: refs.PHQ9_BANDS,
        MADRS: refs.RELAPSE_TRIALS_TABLE,
        QIDS_SR16: refs.QIDS_BANDS,
    }[instrument]


def _assess_instrument(
    instrument: str,
    series: tuple[ScoreObservation, ...],
    doses: tuple[DoseEvent, ...],
    policy: OutcomePolicy,
) -> InstrumentOutcome:
    first_dose_at = doses[0].given_at if doses else None
    baseline = select_baseline(series, first_dose_at)

    def outcome(
        status: OutcomeStatus,
        reason: Finding,
        evidence: tuple[ScoreObservation, ...],
        latest: ScoreObservation | None = None,
        flags: tuple[OutcomeFlag, ...] = (),
    ) -> InstrumentOutcome:
        change = percent_change(baseline.total, latest.total) if baseline and latest else None
        return InstrumentOutcome(
            instrument=instrument,
            status=status,
            reason=reason,
            evidence=evidence,
            baseline=baseline,
            latest=latest,
            percent_change=change,
            flags=flags,
            series=series,
        )

    if baseline is None:
        return outcome(
            OutcomeStatus.NO_BASELINE,
            Finding(
                code="no_baseline",
                message=(
                    f"No {instrument} score was recorded before the first dose, so response "
                    "and remission cannot be judged against a baseline."
                ),
                data=(("instrument", instrument),),
            ),
            (),
        )
    if baseline.total == 0:
        return outcome(
            OutcomeStatus.NO_BASELINE,
            Finding(
                code="baseline_score_zero",
                message=(
                    f"The {instrument} baseline is 0, so a percentage change cannot be "
                    "computed; record a usable baseline."
                ),
                data=_data((baseline,), instrument=instrument),
            ),
            (baseline,),
        )

    post = [o for o in series if first_dose_at is not None and o.taken_at > first_dose_at]
    if not post:
        return outcome(
            OutcomeStatus.NOT_YET_ASSESSED,
            Finding(
                code="not_yet_assessed",
                message=f"No {instrument} score has been recorded since the first dose.",
                data=_data((baseline,), instrument=instrument),
            ),
            (baseline,),
        )

    latest = post[-1]
    flags = _flags(instrument, baseline, post, doses, policy)
    status, reason, evidence = _status(instrument, baseline, post, policy)
    return outcome(status, reason, evidence, latest=latest, flags=flags)


def _status(
    instrument: str,
    baseline: ScoreObservation,
    post: list[ScoreObservation],
    policy: OutcomePolicy,
) -> tuple[OutcomeStatus, Finding, tuple[ScoreObservation, ...]]:
    latest = post[-1]
    change = percent_change(baseline.total, latest.total)
    base_facts = {
        "instrument": instrument,
        "baseline_total": baseline.total,
        "latest_total": latest.total,
        "percent_change": change,
    }

    relapse = _relapse_run(instrument, baseline, post, policy)
    if relapse is not None:
        achieved, run = relapse
        threshold = policy.relapse_min_total(instrument)
        evidence = (baseline, achieved, *run)
        return (
            OutcomeStatus.RELAPSE,
            Finding(
                code="relapse",
                message=(
                    f"{instrument} reached {threshold} or more on {len(run)} consecutive "
                    f"assessments ({', '.join(f'{o.total} on {_when(o)}' for o in run)}) after "
                    f"response or remission on {_when(achieved)} (total {achieved.total})."
                ),
                source=_relapse_source(instrument),
                data=_data(evidence, **base_facts, relapse_min_total=threshold),
            ),
            evidence,
        )

    if is_sharp_worsening(instrument, baseline.total, latest.total, policy):
        return (
            OutcomeStatus.WORSENING,
            Finding(
                code="worsening",
                message=(
                    f"{instrument} rose from a baseline of {baseline.total} to {latest.total} "
                    f"on {_when(latest)} ({change:+}%), at or beyond the sharp-worsening "
                    f"threshold of {policy.worsening_min_increase_pct}%."
                ),
                source=refs.KOUNALI_MCID,
                data=_data((baseline, latest), **base_facts),
            ),
            (baseline, latest),
        )

    if meets_remission(instrument, latest.total, policy):
        cutoff = policy.remission_max_total(instrument)
        return (
            OutcomeStatus.REMISSION,
            Finding(
                code="remission",
                message=(
                    f"{instrument} total {latest.total} on {_when(latest)} is at or below the "
                    f"remission cutoff of {cutoff}."
                ),
                source=remission_source(instrument, policy),
                data=_data((baseline, latest), **base_facts, remission_max_total=cutoff),
            ),
            (baseline, latest),
        )

    if meets_response(baseline.total, latest.total, policy):
        status, code, source = OutcomeStatus.RESPONDING, "responding", refs.RESPONSE_TRIALS
        wording = f"at least {policy.response_min_reduction_pct}% below"
    elif meets_partial_response(baseline.total, latest.total, policy):
        status, code, source = (
            OutcomeStatus.PARTIAL_RESPONSE,
            "partial_response",
            refs.PARTIAL_RESPONSE_30,
        )
        wording = (
            f"at least {policy.partial_response_min_reduction_pct}% but less than "
            f"{policy.response_min_reduction_pct}% below"
        )
    else:
        status, code, source = OutcomeStatus.NON_RESPONSE, "non_response", refs.PARTIAL_RESPONSE_30
        wording = f"less than {policy.partial_response_min_reduction_pct}% below"
    return (
        status,
        Finding(
            code=code,
            message=(
                f"{instrument} total {latest.total} on {_when(latest)} is {wording} the "
                f"baseline of {baseline.total} ({change:+}%)."
            ),
            source=source,
            data=_data((baseline, latest), **base_facts),
        ),
        (baseline, latest),
    )


def _improved(
    instrument: str, baseline: ScoreObservation, o: ScoreObservation, policy: OutcomePolicy
) -> bool:
    return meets_response(baseline.total, o.total, policy) or meets_remission(
        instrument, o.total, policy
    )


def _relapse_run(
    instrument: str,
    baseline: ScoreObservation,
    post: list[ScoreObservation],
    policy: OutcomePolicy,
) -> tuple[ScoreObservation, tuple[ScoreObservation, ...]] | None:
    """(first response/remission, the confirming run) when the latest assessments relapse."""
    achieved_at = next(
        (i for i, o in enumerate(post) if _improved(instrument, baseline, o, policy)), None
    )
    n = policy.relapse_min_consecutive
    if achieved_at is None or len(post) - (achieved_at + 1) < n:
        return None
    run = tuple(post[-n:])
    threshold = policy.relapse_min_total(instrument)
    if threshold is None or any(o.total < threshold for o in run):
        return None
    lo, hi = policy.relapse_confirmation_min_gap, policy.relapse_confirmation_max_gap
    for earlier, later in itertools.pairwise(run):
        gap = later.taken_at - earlier.taken_at
        if (lo is not None and gap < lo) or (hi is not None and gap > hi):
            return None
    return post[achieved_at], run


def _flags(
    instrument: str,
    baseline: ScoreObservation,
    post: list[ScoreObservation],
    doses: tuple[DoseEvent, ...],
    policy: OutcomePolicy,
) -> tuple[OutcomeFlag, ...]:
    first_dose_at = doses[0].given_at
    flags: list[OutcomeFlag] = []

    for code, window, source, label in (
        (
            FLAG_RAPID_RESPONSE_24H,
            policy.rapid_response_24h_window,
            refs.MURROUGH_2013_24H,
            "24 hours",
        ),
        (FLAG_RAPID_RESPONSE_1W, policy.rapid_response_1w_window, refs.PRODUCT_RAPID_1W, "1 week"),
    ):
        hit = next(
            (
                o
                for o in post
                if o.taken_at - first_dose_at <= window
                and meets_response(baseline.total, o.total, policy)
            ),
            None,
        )
        if hit is not None:
            flags.append(
                OutcomeFlag(
                    code=code,
                    reason=Finding(
                        code=code,
                        message=(
                            f"{instrument} total {hit.total} on {_when(hit)}, within {label} of "
                            f"the first dose, is at least {policy.response_min_reduction_pct}% "
                            f"below the baseline of {baseline.total}."
                        ),
                        source=source,
                        data=_data(
                            (baseline, hit),
                            instrument=instrument,
                            first_dose_at=first_dose_at.isoformat(),
                            window_hours=window.total_seconds() / 3600,
                        ),
                    ),
                    evidence=(baseline, hit),
                )
            )

    n = policy.sustained_response_min_consecutive
    if len(post) >= n and all(meets_response(baseline.total, o.total, policy) for o in post[-n:]):
        run = tuple(post[-n:])
        flags.append(
            OutcomeFlag(
                code=FLAG_SUSTAINED_RESPONSE,
                reason=Finding(
                    code=FLAG_SUSTAINED_RESPONSE,
                    message=(
                        f"{instrument} met the response criterion on the last {n} consecutive "
                        f"assessments ({', '.join(f'{o.total} on {_when(o)}' for o in run)})."
                    ),
                    source=refs.SUSTAINED_TWO_VISITS,
                    data=_data((baseline, *run), instrument=instrument, consecutive=n),
                ),
                evidence=(baseline, *run),
            )
        )

    sessions = policy.futility_sessions_without_response
    if len(doses) >= sessions:
        nth_dose_at = doses[sessions - 1].given_at
        after_nth = [o for o in post if o.taken_at > nth_dose_at]
        if after_nth and not any(_improved(instrument, baseline, o, policy) for o in post):
            flags.append(
                OutcomeFlag(
                    code=FLAG_FUTILITY_REVIEW_DUE,
                    reason=Finding(
                        code=FLAG_FUTILITY_REVIEW_DUE,
                        message=(
                            f"{len(doses)} sessions given and no {instrument} assessment since "
                            f"the first dose reached response or remission (latest "
                            f"{post[-1].total} vs baseline {baseline.total}). Few patients "
                            f"respond after {sessions} sessions without response: review "
                            "whether to continue."
                        ),
                        source=refs.SANACORA_FUTILITY,
                        data=_data(
                            (baseline, *post),
                            instrument=instrument,
                            doses_given=len(doses),
                            sessions_threshold=sessions,
                        ),
                    ),
                    evidence=(baseline, *post),
                )
            )
    return tuple(flags)
