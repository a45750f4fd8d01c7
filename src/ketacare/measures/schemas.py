"""Request and response shapes for scales, assessments, outcomes, alerts and maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, Field

from ketacare.api.schemas import InputSchema

ScaleCode = Literal["phq9", "gad7", "madrs", "qids_sr16", "cssrs_screener"]
SelfReportCode = Literal["phq9", "gad7", "qids_sr16"]
Context = Literal["baseline", "pre_dose", "post_dose", "follow_up"]
# Answers are validated by the clinical core, which names the offending item by its number
# ("PHQ-9 item 9 must be 0 to 3; got 7"); the schema only bounds the list's length, so a
# string, a decimal or true/false reaches the core and is refused there with the item named.
# ``None`` is a skipped item (C-SSRS skip logic).
Answers = list[Any]
_ITEMS = Field(..., max_length=40, description="Answers, item 1 first (whole numbers).")


# --- Scales ---


class ResponseOptionRead(Schema):
    value: int
    label: str


class ScaleItemRead(Schema):
    number: int
    label: str
    allowed_values: list[int]
    options: list[ResponseOptionRead]
    skippable: bool


class BandRead(Schema):
    code: str
    label: str
    min_total: int
    max_total: int


class ScaleRead(Schema):
    code: str
    short_name: str
    name: str
    version: str
    recall_period: str
    item_count: int
    items: list[ScaleItemRead]
    min_total: int | None
    max_total: int | None
    bands: list[BandRead]
    licence_note: str


class ScaleScoreCreate(InputSchema):
    items: Answers = _ITEMS


class FlagRead(Schema):
    code: str
    message: str


class SeverityRead(Schema):
    code: str
    label: str


class ScaleScoreRead(Schema):
    scale: str
    version: str
    total: int | None
    severity: SeverityRead | None
    flags: list[FlagRead]


# --- Assessments ---


class AssessmentCreate(InputSchema):
    instrument: ScaleCode
    items: Answers = _ITEMS
    context: Context
    taken_at: AwareDatetime
    session_id: int | None = Field(None, ge=1, le=2**63 - 1)


class SelfReportCreate(InputSchema):
    instrument: SelfReportCode
    items: Answers = _ITEMS
    context: Context | None = None
    taken_at: AwareDatetime | None = None


class LinkSelfReportCreate(InputSchema):
    items: Answers = _ITEMS


class AssessmentRead(Schema):
    id: int
    patient_id: int
    instrument: str
    instrument_version: str
    items: list[int | None]
    total: int | None
    severity: str
    severity_label: str
    flags: list[str]
    context: str
    taken_at: datetime
    channel: str
    submitted_by_id: int | None
    session_id: int | None
    created_at: datetime


class AlertRead(Schema):
    id: int
    patient_id: int
    assessment_id: int
    code: str
    severity: str
    message: str
    source: dict[str, Any]
    requires_safety_assessment_before_session: bool
    compared_with_id: int | None
    status: str
    created_at: datetime
    acknowledged_by_id: int | None
    acknowledged_at: datetime | None
    acknowledgement_note: str


class RecordedAssessmentRead(Schema):
    assessment: AssessmentRead
    alerts: list[AlertRead]
    crisis_text: str | None = Field(
        None, description="The clinic's crisis text, present when any safety alert fired."
    )


class SelfReportRead(Schema):
    """What a patient sees after reporting: no clinical scoring detail, only whether the
    clinic was alerted and, if so, the crisis text at once."""

    assessment_id: int
    instrument: str
    taken_at: datetime
    clinic_alerted: bool
    crisis_text: str | None


class DueAssessmentRead(Schema):
    instrument: str
    phase: str
    context: str
    due_from: datetime
    due_until: datetime | None
    reason: str


class PortalLinkCreate(InputSchema):
    instrument: SelfReportCode
    expires_in_hours: int = Field(72, ge=1, le=336)
    context: Context = "follow_up"


class PortalLinkRead(Schema):
    id: int
    patient_id: int
    instrument: str
    context: str
    expires_at: datetime
    token: str = Field(..., description="Shown once; only its digest is stored.")
    path: str = Field(..., description="API path the patient's phone posts the answers to.")


class AcknowledgementCreate(InputSchema):
    note: str = Field(..., min_length=1, max_length=4000)


# --- Outcomes ---


class OutcomeFindingRead(Schema):
    code: str
    message: str
    source: dict[str, Any] | None


class ScorePointRead(Schema):
    assessment_id: int | None
    total: int
    taken_at: datetime
    context: str


class OutcomeFlagRead(Schema):
    code: str
    reason: OutcomeFindingRead


class InstrumentOutcomeRead(Schema):
    instrument: str
    status: str
    reason: OutcomeFindingRead
    evidence: list[ScorePointRead]
    baseline: ScorePointRead | None
    latest: ScorePointRead | None
    percent_change: str | None
    flags: list[OutcomeFlagRead]
    series: list[ScorePointRead]


class OutcomesRead(Schema):
    patient_id: int
    as_of: datetime
    first_dose_at: datetime | None
    doses_given: int
    instruments: list[InstrumentOutcomeRead]
    not_assessed: list[OutcomeFindingRead]
    other_series: dict[str, list[ScorePointRead]] = Field(
        ..., description="Scores of scales without an outcome rule (GAD-7, C-SSRS screener)."
    )


# --- Maintenance ---


class DurabilityRead(Schema):
    dose_at: datetime
    duration_days: str
    censored: bool
    end_reason: str
    ended_by_assessment_id: int | None


class MaintenanceRead(Schema):
    patient_id: int
    as_of: datetime
    status: str
    message: str
    next_dose_at: datetime | None
    interval_days: int | None
    basis: str | None
    due: bool
    durability_shortening: bool
    median_durability_days: str | None
    last_dose_at: datetime | None
    acute_series_ended_at: datetime | None
    drug: str | None
    instrument: str | None
    threshold: str | None
    min_interval_days: int | None
    max_interval_days: int | None
    bounds_source: dict[str, Any] | None
    reasons: list[OutcomeFindingRead]
    durations: list[DurabilityRead]
    doses_used: list[datetime]
