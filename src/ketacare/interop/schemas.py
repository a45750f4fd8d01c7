from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from ketacare.api.schemas import InputSchema
from ketacare.clinical.recommendations import (
    CostClass,
    PriorResponse,
    TravelBurden,
    TreatmentOption,
)


class FindingRead(Schema):
    code: str
    message: str
    source: dict[str, Any] | None


class EvidenceRead(Schema):
    level: str
    summary: str
    sources: list[dict[str, Any]]


class RankedOptionRead(Schema):
    option: str
    label: str
    rank: int
    suitability: str
    exclusion: str | None
    available: bool
    declined_by_patient: bool
    reasons_for: list[FindingRead]
    reasons_against: list[FindingRead]
    cautions: list[FindingRead]
    exclusion_reasons: list[FindingRead]
    evidence: EvidenceRead


class RecommendationRead(Schema):
    decision_support: bool
    disclaimer: str
    top_option: str | None
    no_top_reason: FindingRead | None
    urgent: list[FindingRead]
    notes: list[FindingRead]
    options: list[RankedOptionRead]


class TreatmentChoiceCreate(InputSchema):
    option: TreatmentOption
    reason: str = Field("", max_length=2000)
    override_reason: str = Field("", max_length=2000)
    override_codes: list[str] = Field(default_factory=list, max_length=5)
    adopt_into_plan: bool = False


class TreatmentChoiceRead(Schema):
    id: int
    patient_id: int
    chosen_option: str
    top_option: str
    reason: str
    override_reason: str
    override_codes: list[str]
    care_plan_id: int | None
    care_plan_version: int | None
    created_at: datetime

    @staticmethod
    def resolve_care_plan_version(obj) -> int | None:
        return obj.care_plan.version if obj.care_plan_id else None


class PriorTreatmentCreate(InputSchema):
    option: TreatmentOption
    sessions: int = Field(ge=1, le=1000)
    response: PriorResponse
    durability_days: int | None = Field(None, ge=0, le=3650)
    adequate: bool | None = None
    ended_on: date | None = None
    provider: str = Field("", max_length=200)
    notes: str = Field("", max_length=2000)


class PriorTreatmentRead(Schema):
    id: int
    patient_id: int
    option: str
    sessions: int
    response: str
    durability_days: int | None
    adequate: bool | None
    ended_on: date | None
    provider: str
    notes: str
    created_at: datetime


class TreatmentPreferenceCreate(InputSchema):
    preferred: list[TreatmentOption] = Field(default_factory=list, max_length=5)
    declined: list[TreatmentOption] = Field(default_factory=list, max_length=5)
    travel_burden: TravelBurden = TravelBurden.MODERATE
    cost_class: CostClass = CostClass.SELF_PAY_ACCEPTABLE


class TreatmentPreferenceRead(Schema):
    id: int
    patient_id: int
    preferred: list[str]
    declined: list[str]
    travel_burden: str
    cost_class: str
    stated_at: datetime


class RecommendationSettingsUpdate(InputSchema):
    ect_referral: bool
    rtms_referral: bool
    self_pay_options: list[TreatmentOption] = Field(default_factory=list, max_length=5)


class RecommendationSettingsRead(Schema):
    ect_referral: bool
    rtms_referral: bool
    self_pay_options: list[str]
