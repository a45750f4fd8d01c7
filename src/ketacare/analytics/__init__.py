"""Cohort statistics over de-identified rows (pure: stdlib and numpy only, no Django).

``ketacare.research`` de-identifies records and hands these functions pseudonymous rows whose
times are whole days relative to each patient's first dose; nothing here sees an identifier,
a date or the clock.
"""

from ketacare.analytics.cohort import (
    CohortOutcomes,
    PatientOutcome,
    PatientScores,
    ProtocolSummary,
    ScorePoint,
    classify_patient,
    summarise_cohort,
)
from ketacare.analytics.intervals import Interval, wilson_interval
from ketacare.analytics.suppression import ANALYTICS_MIN_CELL_COUNT_DEFAULT, is_reportable
from ketacare.analytics.survival import KaplanMeierCurve, kaplan_meier

__all__ = [
    "ANALYTICS_MIN_CELL_COUNT_DEFAULT",
    "CohortOutcomes",
    "Interval",
    "KaplanMeierCurve",
    "PatientOutcome",
    "PatientScores",
    "ProtocolSummary",
    "ScorePoint",
    "classify_patient",
    "is_reportable",
    "kaplan_meier",
    "summarise_cohort",
    "wilson_interval",
]
