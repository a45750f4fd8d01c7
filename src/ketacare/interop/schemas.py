from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from ketacare.api.schemas import InputSchema
from ketacare.clinical.recommendations import TreatmentOption


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


class TreatmentChoiceRead(Schema):
    id: int
    patient_id: int
    chosen_option: str
    top_option: str
    reason: str
    override_reason: str
    override_codes: list[str]
    created_at: datetime
