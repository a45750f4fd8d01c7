"""Safety alerts raised by a new score (rules 22 and 23).

Implements ``safety_alerts_for``: for one new observation it returns the alerts a clinician must
review the same day:

- ``phq9_item9_positive``: PHQ-9 item 9 >= 1 (S33c), prompting a C-SSRS screen (rule 22);
- ``qids_item12_positive``: QIDS-SR16 item 12 >= 1 (rule 22);
- ``cssrs_high_risk``: C-SSRS "yes" to Q4 or Q5 in the past month or suicidal behaviour in the
  past 3 months (S40a/S40d); a same-day safety assessment is required before the session
  proceeds (rule 23);
- ``cssrs_positive_screen``: any other positive C-SSRS screen (referral per Columbia triage);
- ``sharp_worsening``: a depression score rose by the policy's worsening threshold versus the
  previous score or the baseline (Kounali 2020 MCID, S34b, applied to an increase).

Item thresholds are applied by the scales package, which sets the item flags we read here; this
module never re-scores items. It raises alerts only: it never blocks a session, and it does
not replace hospitalisation decisions (esketamine label, S3).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.outcomes import references as refs
from ketacare.clinical.outcomes.definitions import (
    CSSRS,
    FLAG_CSSRS_HIGH_RISK,
    FLAG_CSSRS_POSITIVE_SCREEN,
    FLAG_PHQ9_ITEM9_POSITIVE,
    FLAG_QIDS_ITEM12_POSITIVE,
    PHQ9,
    QIDS_SR16,
    OutcomePolicy,
    ScoreObservation,
    is_sharp_worsening,
    percent_change,
)
from ketacare.clinical.sources import Source

ALERT_SHARP_WORSENING = "sharp_worsening"


class AlertSeverity(StrEnum):
    CRITICAL = "critical"  # safety assessment before the session proceeds
    HIGH = "high"  # same-day clinician review
    WARNING = "warning"  # same-day clinician review of a worsening trend


@dataclass(frozen=True, slots=True)
class SafetyAlertSpec:
    """An alert to open for a clinician; the service stores and routes it."""

    code: str
    severity: AlertSeverity
    message: str
    source: Source
    observation: ScoreObservation  # the score that raised it
    compared_with: ScoreObservation | None = None  # the earlier score, for worsening
    requires_same_day_review: bool = True
    requires_safety_assessment_before_session: bool = False


def safety_alerts_for(
    observation: ScoreObservation,
    previous: ScoreObservation | None,
    policy: OutcomePolicy,
    *,
    baseline: ScoreObservation | None = None,
) -> tuple[SafetyAlertSpec, ...]:
    """Alerts for a new score; ``previous`` and ``baseline`` are earlier scores of the same
    instrument (either may be None). Every alert requires same-day clinician review."""
    if not isinstance(observation, ScoreObservation):
        raise InvalidClinicalInput("observation_invalid", "observation must be a ScoreObservation.")
    require(isinstance(policy, OutcomePolicy), "policy_missing", "An OutcomePolicy is required.")
    for name, earlier in (("previous", previous), ("baseline", baseline)):
        if earlier is None:
            continue
        if not isinstance(earlier, ScoreObservation):
            raise InvalidClinicalInput(
                "observation_invalid", f"{name} must be a ScoreObservation or None."
            )
        require(
            earlier.instrument == observation.instrument,
            "comparison_instrument_mismatch",
            f"The {name} score is {earlier.instrument}, not {observation.instrument}.",
            field=name,
        )
        require(
            earlier.taken_at < observation.taken_at,
            "comparison_not_earlier",
            f"The {name} score must be dated before the new score.",
            field=name,
        )

    alerts: list[SafetyAlertSpec] = []
    flags = observation.item_flags
    when = observation.taken_at.isoformat(timespec="minutes")

    if observation.instrument == PHQ9 and FLAG_PHQ9_ITEM9_POSITIVE in flags:
        alerts.append(
            SafetyAlertSpec(
                code=FLAG_PHQ9_ITEM9_POSITIVE,
                severity=AlertSeverity.HIGH,
                message=(
                    f"PHQ-9 item 9 (thoughts of being better off dead or of self-harm) scored "
                    f"1 or more on {when}. Same-day clinician review required; complete a "
                    "C-SSRS screen."
                ),
                source=refs.PHQ9_ITEM9,
                observation=observation,
            )
        )
    if observation.instrument == QIDS_SR16 and FLAG_QIDS_ITEM12_POSITIVE in flags:
        alerts.append(
            SafetyAlertSpec(
                code=FLAG_QIDS_ITEM12_POSITIVE,
                severity=AlertSeverity.HIGH,
                message=(
                    f"QIDS-SR16 item 12 (thoughts of death or suicide) scored 1 or more on "
                    f"{when}. Same-day clinician review required; complete a C-SSRS screen."
                ),
                source=refs.QIDS_ITEMS,
                observation=observation,
            )
        )
    if observation.instrument == CSSRS:
        if FLAG_CSSRS_HIGH_RISK in flags:
            alerts.append(
                SafetyAlertSpec(
                    code=FLAG_CSSRS_HIGH_RISK,
                    severity=AlertSeverity.CRITICAL,
                    message=(
                        f"C-SSRS high risk on {when} (intent or plan in the past month, or "
                        "suicidal behaviour in the past 3 months). Keep the patient safe and "
                        "document a same-day safety assessment by a mental health "
                        "professional before the session proceeds."
                    ),
                    source=refs.CSSRS_TRIAGE,
                    observation=observation,
                    requires_safety_assessment_before_session=True,
                )
            )
        elif FLAG_CSSRS_POSITIVE_SCREEN in flags:
            alerts.append(
                SafetyAlertSpec(
                    code=FLAG_CSSRS_POSITIVE_SCREEN,
                    severity=AlertSeverity.HIGH,
                    message=(
                        f"C-SSRS screen positive on {when} (not high risk). Same-day "
                        "clinician review required."
                    ),
                    source=refs.CSSRS_TRIAGE,
                    observation=observation,
                )
            )

    for label, earlier in (("previous score", previous), ("baseline", baseline)):
        if earlier is None or not is_sharp_worsening(
            observation.instrument, earlier.total, observation.total, policy
        ):
            continue
        change = percent_change(earlier.total, observation.total)
        change_text = f" ({change:+}%)" if change is not None else ""
        alerts.append(
            SafetyAlertSpec(
                code=ALERT_SHARP_WORSENING,
                severity=AlertSeverity.WARNING,
                message=(
                    f"{observation.instrument} rose from {earlier.total} ({label}, "
                    f"{earlier.taken_at.isoformat(timespec='minutes')}) to {observation.total} "
                    f"on {when}{change_text}, at or beyond the sharp-worsening threshold. "
                    "Same-day clinician review required."
                ),
                source=refs.KOUNALI_MCID,
                observation=observation,
                compared_with=earlier,
            )
        )
        break  # one worsening alert is enough; the previous score is the closer comparison
    return tuple(alerts)
