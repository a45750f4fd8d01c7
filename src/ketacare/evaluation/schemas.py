from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field

from ketacare.api.schemas import InputSchema
from ketacare.clinical.eligibility import (
    CssrsRisk,
    HepaticImpairment,
    MaudsleySeverity,
    Route,
    SubstanceUseDisorder,
)
from ketacare.clinical.plausibility import LIMITS, MAX_PLAUSIBLE_AGE_MONTHS
from ketacare.evaluation.selectors import outstanding_acknowledgments


def _plausible_bp(quantity: str) -> Any:
    """The cited physiological limits of a blood pressure (the core checks them too)."""
    limits = LIMITS[quantity]
    return Field(
        None,
        gt=int(limits.low) if limits.open_low else None,
        ge=None if limits.open_low else int(limits.low),
        lt=int(limits.high) if limits.open_high else None,
        le=None if limits.open_high else int(limits.high),
    )


def _plausible_year(value: datetime) -> datetime:
    # Keeps offset arithmetic away from datetime's year 1 / 9999 edges.
    if not 1900 <= value.year <= 2200:
        raise ValueError("the year must be between 1900 and 2200")
    return value


ClinicDatetime = Annotated[AwareDatetime, AfterValidator(_plausible_year)]


class CssrsScreenIn(InputSchema):
    risk: CssrsRisk
    assessed_at: ClinicDatetime


class SubstanceUseScreenIn(InputSchema):
    heavy_drinking_days_past_year: int = Field(ge=0, le=366)
    drug_use_times_past_year: int = Field(ge=0, le=100_000)
    screened_at: ClinicDatetime


class EvaluationCreate(InputSchema):
    """Every yes/no question must be answered: an unanswered question is not "no". Send
    `cssrs` / `substance_screen` as null when the screen was not done (the verdict is then
    needs_review). Trials, age and episode duration come from the patient record."""

    route: Route | None
    severity: MaudsleySeverity
    ect_used: bool
    aneurysmal_vascular_disease_or_avm: bool
    intracerebral_hemorrhage_history: bool
    hypersensitivity_to_ketamine_or_esketamine: bool
    psychosis_history: bool
    current_psychosis: bool
    substance_use_disorder: SubstanceUseDisorder
    pregnant: bool
    breastfeeding: bool
    hepatic_impairment: HepaticImpairment
    uncontrolled_hypertension: bool
    hypertensive_encephalopathy_history: bool
    takes_cns_depressants: bool
    takes_psychostimulants: bool
    takes_maois: bool
    cssrs: CssrsScreenIn | None
    substance_screen: SubstanceUseScreenIn | None
    latest_systolic_mmhg: int | None = _plausible_bp("systolic_mmhg")
    latest_diastolic_mmhg: int | None = _plausible_bp("diastolic_mmhg")
    # At most the months of the oldest verified life (the core also bounds it by the patient's).
    episode_duration_months: int | None = Field(None, ge=0, le=MAX_PLAUSIBLE_AGE_MONTHS)


class AcknowledgmentCreate(InputSchema):
    reason: str = Field(min_length=1, max_length=2000)
    codes: list[Annotated[str, Field(min_length=1, max_length=80)]] | None = Field(
        None, max_length=40
    )


class SourceRead(Schema):
    """Where a reason comes from and how strong that text is (issue 16.5): ``grade`` is
    primary / secondary / consensus / heuristic / clinic; ``evidence`` the one line the pages
    show; ``href`` the source's entry on the sources page."""

    key: str
    title: str | None = None
    citation: str
    url: str | None
    locator: str | None
    verified: bool
    grade: str | None = None
    grade_label: str | None = None
    mandatory: bool = False
    evidence: str | None = None
    href: str | None = None


class ReasonRead(Schema):
    code: str
    message: str
    source: SourceRead | None
    severity: str | None
    acknowledgment_required: bool
    data: dict[str, Any]


class MaudsleyRead(Schema):
    total: int
    band: str


class AcknowledgmentRead(Schema):
    id: int
    codes: list[str]
    reason: str
    acknowledged_by_id: int
    acknowledged_at: datetime


class EvaluationRead(Schema):
    id: int
    patient_id: int
    as_of: datetime
    route: str | None
    verdict: str
    reasons: list[ReasonRead]
    notes: list[ReasonRead]
    adequate_failed_trials: int
    treatment_resistant: bool
    maudsley: MaudsleyRead | None
    acknowledgment_required: list[str]
    outstanding_acknowledgments: list[str]
    acknowledgments: list[AcknowledgmentRead]
    evaluated_by_id: int
    created_at: datetime

    @staticmethod
    def resolve_route(obj) -> str | None:
        return obj.route or None

    @staticmethod
    def resolve_maudsley(obj) -> dict | None:
        if obj.msm_total is None:
            return None
        return {"total": obj.msm_total, "band": obj.msm_band}

    @staticmethod
    def resolve_acknowledgment_required(obj) -> list[str]:
        return list(obj.acknowledgment_required_codes)

    @staticmethod
    def resolve_outstanding_acknowledgments(obj) -> list[str]:
        return list(outstanding_acknowledgments(obj))

    @staticmethod
    def resolve_acknowledgments(obj) -> list:
        return sorted(obj.acknowledgments.all(), key=lambda a: a.pk)
