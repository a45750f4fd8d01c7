"""The eligibility panel of the clinician chart: the latest verdict with its reasons (code,
message, source), the TRD count, the Maudsley stage, prescribers' acknowledgments of cautions,
and links to a new evaluation and to acknowledging outstanding cautions.

``verdict_context`` shapes a stored evaluation and ``preview_context`` a core verdict the same
way, so the chart and the live preview on the evaluation page read identically.
"""

from __future__ import annotations

from typing import Any

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.clinical.eligibility import EligibilityVerdict
from ketacare.evaluation.mappers import finding_to_dict
from ketacare.evaluation.models import Evaluation, Verdict
from ketacare.evaluation.selectors import latest_evaluation, outstanding_acknowledgments
from ketacare.web.chart import ChartPanel

VERDICT_BADGE = {
    Verdict.ELIGIBLE: "ok",
    Verdict.ELIGIBLE_WITH_CAUTIONS: "warn",
    Verdict.NEEDS_REVIEW: "warn",
    Verdict.NOT_ELIGIBLE: "danger",
}


def _shape(
    verdict: str,
    reasons: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    adequate_failed_trials: int,
    treatment_resistant: bool,
    msm_total: int | None,
    msm_band: str,
) -> dict[str, Any]:
    return {
        "code": verdict,
        "label": Verdict(verdict).label,
        "badge": VERDICT_BADGE[Verdict(verdict)],
        "reasons": reasons,
        "notes": notes,
        "adequate_failed_trials": adequate_failed_trials,
        "treatment_resistant": treatment_resistant,
        "msm_total": msm_total,
        "msm_band": msm_band,
    }


def verdict_context(evaluation: Evaluation) -> dict[str, Any]:
    return _shape(
        evaluation.verdict,
        evaluation.reasons,
        evaluation.notes,
        evaluation.adequate_failed_trials,
        evaluation.treatment_resistant,
        evaluation.msm_total,
        evaluation.msm_band,
    )


def preview_context(result: EligibilityVerdict) -> dict[str, Any]:
    return _shape(
        result.verdict.value,
        [finding_to_dict(f) for f in result.reasons],
        [finding_to_dict(f) for f in result.notes],
        result.adequate_failed_trials,
        result.treatment_resistant,
        result.maudsley.total if result.maudsley else None,
        result.maudsley.band.value if result.maudsley else "",
    )


# The chart shows this panel only to a user holding it (web.views.patient_chart).
PANEL_PERMISSION = Permission.VIEW_TREATMENT


def chart_panels(request, patient) -> list[ChartPanel]:
    evaluation = latest_evaluation(patient)
    outstanding = outstanding_acknowledgments(evaluation) if evaluation else ()
    return [
        ChartPanel(
            key="evaluation",
            title="Eligibility evaluation",
            template="evaluation/chart_panel.html",
            order=10,
            context={
                "evaluation": evaluation,
                "verdict": verdict_context(evaluation) if evaluation else None,
                "outstanding": outstanding,
                "can_evaluate": has_permission(request.user, Permission.RECORD_EVALUATION),
                "can_acknowledge": bool(outstanding)
                and has_permission(request.user, Permission.OVERRIDE_CLINICAL_GATE),
            },
        )
    ]
