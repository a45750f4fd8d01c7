"""Eligibility for ketamine/esketamine: treatment resistance (TRD count), Maudsley staging,
screening inputs and the eligibility verdict. See each module's docstring for sources."""

from ketacare.clinical.eligibility.maudsley import (
    MaudsleyBand,
    MaudsleyResult,
    MaudsleySeverity,
    score_maudsley,
)
from ketacare.clinical.eligibility.routes import Route
from ketacare.clinical.eligibility.screening import (
    CssrsRisk,
    CssrsScreen,
    EvaluationInput,
    HepaticImpairment,
    SubstanceUseDisorder,
    SubstanceUseScreen,
)
from ketacare.clinical.eligibility.trd import (
    TRD_MIN_ADEQUATE_FAILED_TRIALS,
    Adherence,
    AntidepressantTrial,
    TrialOutcome,
    count_adequate_failed_trials,
    is_treatment_resistant,
)
from ketacare.clinical.eligibility.verdict import (
    Caution,
    EligibilityPolicy,
    EligibilityVerdict,
    Verdict,
    evaluate_eligibility,
)

__all__ = [
    "TRD_MIN_ADEQUATE_FAILED_TRIALS",
    "Adherence",
    "AntidepressantTrial",
    "Caution",
    "CssrsRisk",
    "CssrsScreen",
    "EligibilityPolicy",
    "EligibilityVerdict",
    "EvaluationInput",
    "HepaticImpairment",
    "MaudsleyBand",
    "MaudsleyResult",
    "MaudsleySeverity",
    "Route",
    "SubstanceUseDisorder",
    "SubstanceUseScreen",
    "TrialOutcome",
    "Verdict",
    "count_adequate_failed_trials",
    "evaluate_eligibility",
    "is_treatment_resistant",
    "score_maudsley",
]
