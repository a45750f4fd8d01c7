"""Treatment recommendation: ranked options (esketamine, IV/IM racemic ketamine, ECT, rTMS)
with suitability, reasons, cautions, evidence and sources. Decision support only; see
``engine`` for the rules and their sources and ``inputs`` for what the engine reads."""

from ketacare.clinical.recommendations.engine import (
    DISCLAIMER,
    Evidence,
    ExclusionKind,
    RankedOption,
    Recommendation,
    RecommendationPolicy,
    Suitability,
    check_prescriber_choice,
    recommend_treatment,
)
from ketacare.clinical.recommendations.inputs import (
    ClinicCapabilities,
    Contraindication,
    CostClass,
    CurrentScores,
    EligibilityFacts,
    Preferences,
    PriorResponse,
    PriorTreatment,
    RecommendationInput,
    TravelBurden,
    TreatmentOption,
)

__all__ = [
    "DISCLAIMER",
    "ClinicCapabilities",
    "Contraindication",
    "CostClass",
    "CurrentScores",
    "EligibilityFacts",
    "Evidence",
    "ExclusionKind",
    "Preferences",
    "PriorResponse",
    "PriorTreatment",
    "RankedOption",
    "Recommendation",
    "RecommendationInput",
    "RecommendationPolicy",
    "Suitability",
    "TravelBurden",
    "TreatmentOption",
    "check_prescriber_choice",
    "recommend_treatment",
]
