"""Measurement-based care outcomes: response, remission, relapse, safety alerts and
maintenance timing, over plain score and dose inputs (no dependency on the scales package).

Public entry points: ``assess_outcomes`` (status.py), ``safety_alerts_for`` (alerts.py),
``recommend_maintenance`` and ``is_due`` (maintenance.py); definitions and policy in
definitions.py; citations in references.py.
"""

from ketacare.clinical.outcomes.alerts import AlertSeverity, SafetyAlertSpec, safety_alerts_for
from ketacare.clinical.outcomes.definitions import (
    AssessmentContext,
    DoseEvent,
    OutcomePolicy,
    ScoreObservation,
)
from ketacare.clinical.outcomes.maintenance import (
    DurabilityThreshold,
    MaintenanceBasis,
    MaintenancePolicy,
    MaintenanceRecommendation,
    esketamine_maintenance_policy,
    is_due,
    recommend_maintenance,
)
from ketacare.clinical.outcomes.status import (
    InstrumentOutcome,
    OutcomeAssessment,
    OutcomeFlag,
    OutcomeStatus,
    assess_outcomes,
)

__all__ = [
    "AlertSeverity",
    "AssessmentContext",
    "DoseEvent",
    "DurabilityThreshold",
    "InstrumentOutcome",
    "MaintenanceBasis",
    "MaintenancePolicy",
    "MaintenanceRecommendation",
    "OutcomeAssessment",
    "OutcomeFlag",
    "OutcomePolicy",
    "OutcomeStatus",
    "SafetyAlertSpec",
    "ScoreObservation",
    "assess_outcomes",
    "esketamine_maintenance_policy",
    "is_due",
    "recommend_maintenance",
    "safety_alerts_for",
]
