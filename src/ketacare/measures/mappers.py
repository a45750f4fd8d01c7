"""Stored assessments as the outcomes engine's ``ScoreObservation``.

Two translations live here and nowhere else:

- the scales package names the C-SSRS screener ``cssrs_screener``; the outcomes engine calls
  it ``cssrs``;
- the screener has no summed total (``ScaleResult.total`` is None by design). The outcomes
  engine tracks it as the number of screener questions answered yes (its documented meaning,
  0-6), and a risk level above "none" is passed on as the ``cssrs_positive_screen`` item flag
  (any yes is a positive screen, Columbia triage: referral at least), next to the scorer's own
  ``cssrs_high_risk`` flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ketacare.clinical.outcomes.definitions import (
    CSSRS,
    FLAG_CSSRS_POSITIVE_SCREEN,
    AssessmentContext,
    ScoreObservation,
)
from ketacare.clinical.scales import ScaleResult
from ketacare.measures.models import Assessment

CSSRS_SCALE_CODE = "cssrs_screener"
_NO_RISK = "none"


def outcome_instrument(scale_code: str) -> str:
    return CSSRS if scale_code == CSSRS_SCALE_CODE else scale_code


def observation_total(scale_code: str, total: int | None, items: Sequence[int | None]) -> int:
    if scale_code == CSSRS_SCALE_CODE:
        return sum(1 for value in items if value)  # Q6 answers 1 and 2 are both "yes"
    if total is None:
        raise ValueError(f"{scale_code} result has no total")
    return total


def stored_flags(result: ScaleResult) -> list[str]:
    """The flag codes kept on the assessment row (the screener's positive screen included)."""
    flags = list(result.flag_codes)
    severity = result.severity.code if result.severity else _NO_RISK
    if result.scale_code == CSSRS_SCALE_CODE and severity != _NO_RISK:
        flags.append(FLAG_CSSRS_POSITIVE_SCREEN)
    return flags


def to_observation(row: Assessment) -> ScoreObservation:
    return ScoreObservation(
        instrument=outcome_instrument(row.instrument),
        total=observation_total(row.instrument, row.total, row.items),
        taken_at=row.taken_at,
        context=AssessmentContext(row.context),
        item_flags=frozenset(row.flags),
        observation_id=str(row.pk) if row.pk else None,
    )


def to_observations(rows: Iterable[Assessment]) -> list[ScoreObservation]:
    return [to_observation(row) for row in rows]
