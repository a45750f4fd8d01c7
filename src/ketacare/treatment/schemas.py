from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field

from ketacare.api.schemas import InputSchema
from ketacare.clinical.plausibility import LIMITS


def _plausible_year(value: datetime) -> datetime:
    # Far-off years cannot be clinic times and overflow time-zone conversion.
    if not 2000 <= value.year <= 2200:
        raise ValueError("the time must fall between the years 2000 and 2200")
    return value


ClinicDatetime = Annotated[AwareDatetime, AfterValidator(_plausible_year)]


def _plausible(quantity: str) -> Any:
    limits = LIMITS[quantity]
    return Field(
        gt=int(limits.low) if limits.open_low else None,
        ge=None if limits.open_low else int(limits.low),
        lt=int(limits.high) if limits.open_high else None,
        le=None if limits.open_high else int(limits.high),
    )


class OverrideIn(InputSchema):
    """A prescriber's documented decision: the blocker codes it covers and a clinical reason."""

    codes: list[str] = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=2000)


class CourseCreate(InputSchema):
    protocol_code: str = Field(min_length=1, max_length=60)
    start_at: AwareDatetime
    sessions: int | None = Field(None, ge=1, le=200)
    sessions_per_week: int | None = Field(None, ge=1, le=7)
    open_phase_every_weeks: int = Field(1, ge=1, le=2)
    mg_per_kg: Decimal | None = Field(None, gt=0, le=10, max_digits=6, decimal_places=4)
    dose_mg: Decimal | None = Field(None, gt=0, le=1000, max_digits=7, decimal_places=2)
    chair: str = Field("", max_length=40)
    notes: str = Field("", max_length=2000)
    override: OverrideIn | None = None


class SessionSummaryRead(Schema):
    id: int
    number: int
    course_week: int
    scheduled_at: datetime
    state: str
    chair: str


class EfficacyReviewCreate(InputSchema):
    """The prescriber's induction efficacy review: benefit so far and the decision to
    continue. ``reviewed_at`` defaults to now and falls in or after the review week."""

    notes: str = Field(min_length=1, max_length=4000)
    reviewed_at: ClinicDatetime | None = None


class EfficacyReviewRead(Schema):
    id: int
    course_id: int
    reviewed_at: datetime
    course_week: int
    notes: str
    created_by_id: int


class CourseRead(Schema):
    id: int
    patient_id: int
    protocol_code: str
    protocol_version: int
    route: str
    drug: str
    start_at: datetime
    planned_sessions: int
    mg_per_kg: Decimal | None
    dose_mg: Decimal | None
    status: str
    override_codes: list[str]
    warnings: list[dict[str, Any]]
    sessions: list[SessionSummaryRead]
    efficacy_reviews: list[EfficacyReviewRead]


class RemsEnrollmentCreate(InputSchema):
    rems_patient_id: str = Field(min_length=1, max_length=40)
    enrolled_at: AwareDatetime


class RemsEnrollmentRead(Schema):
    id: int
    patient_id: int
    rems_patient_id: str
    enrolled_at: datetime


class CheckInCreate(InputSchema):
    phq9_item9_positive_today: bool = False
    cssrs_high_risk_today: bool = False


class VitalsCreate(InputSchema):
    # Input-sanity bounds only (the core's cited plausibility limits); clinical thresholds
    # are the clinic's policy, applied by the core.
    systolic_mmhg: int = _plausible("systolic_mmhg")
    diastolic_mmhg: int = _plausible("diastolic_mmhg")
    heart_rate_bpm: int = _plausible("heart_rate_bpm")
    spo2_percent: int = _plausible("spo2_percent")
    respiratory_rate_per_min: int = _plausible("respiratory_rate_per_min")
    taken_at: AwareDatetime


class VitalsRead(Schema):
    id: int
    taken_at: datetime
    phase: str
    systolic_mmhg: int
    diastolic_mmhg: int
    heart_rate_bpm: int
    spo2_percent: int
    respiratory_rate_per_min: int
    alerts: list[dict[str, Any]]


class VitalsSupersedeCreate(InputSchema):
    reason: str = Field(
        default="Mistyped: taken back within a minute", min_length=1, max_length=200
    )


class VitalsCorrectionRead(Schema):
    id: int
    reading_id: int
    reason: str
    created_at: datetime


class ClearCreate(InputSchema):
    npo_confirmed: bool | None = None
    last_food_at: AwareDatetime | None = None
    last_liquids_at: AwareDatetime | None = None
    ride_home: str | None = Field(None, max_length=200)
    safety_assessment: str | None = Field(None, max_length=4000)
    override: OverrideIn | None = None


class DoseCreate(InputSchema):
    """Fixed-step protocols (esketamine): ``dose_mg`` and one ``device_times`` entry per
    28 mg device. Weight-based protocols: ``mg_per_kg`` (default: the course's) and
    ``vial_concentration_mg_per_ml``; the dose is computed from the latest dated weight."""

    lot_number: str = Field(min_length=1, max_length=40)
    started_at: AwareDatetime | None = None
    dose_mg: Decimal | None = Field(None, gt=0, le=1000, max_digits=7, decimal_places=2)
    mg_per_kg: Decimal | None = Field(None, gt=0, le=10, max_digits=6, decimal_places=4)
    vial_concentration_mg_per_ml: Decimal | None = Field(
        None, gt=0, le=1000, max_digits=6, decimal_places=2
    )
    device_times: list[AwareDatetime] = Field(default_factory=list, max_length=10)
    infusion_duration_min: int | None = Field(None, ge=1, le=600)
    prescriber_on_site_id: int | None = Field(None, ge=1, le=2**63 - 1)
    pulse_oximeter_available: bool = False
    container_id: int | None = Field(None, ge=1, le=2**63 - 1)
    override: OverrideIn | None = None


class DoseRead(Schema):
    id: int
    dose_mg: Decimal
    volume_ml: Decimal | None
    mg_per_kg: Decimal | None
    weight_kg: Decimal | None
    vial_concentration_mg_per_ml: Decimal | None
    rounding_note: str
    route: str
    started_at: datetime
    device_times: list[str]
    infusion_duration_min: int | None
    lot_number: str
    container_id: int | None
    warnings: list[dict[str, Any]]
    override_codes: list[str]


class ObservationCreate(InputSchema):
    scale: Literal["moaas", "cadss"]
    items: list[int] = Field(min_length=1, max_length=40)
    observed_at: AwareDatetime
    dissociation_resolved: bool | None = None


class ObservationRead(Schema):
    id: int
    scale: str
    observed_at: datetime
    pre_dose: bool
    items: list[int]
    total: int
    flags: list[str]
    sedation_present: bool | None
    dissociation_resolved: bool | None


class AdverseEventCreate(InputSchema):
    event_type: Literal[
        "sedation",
        "loss_of_consciousness",
        "dissociation",
        "respiratory_depression",
        "oxygen_desaturation",
        "blood_pressure_increase",
        "suicidal_ideation_or_behavior",
        "other",
    ]
    severity: Literal["mild", "moderate", "severe", "life_threatening", "death"]
    onset_at: AwareDatetime
    action_taken: str = Field(min_length=1, max_length=2000)
    outcome: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    resolved_at: AwareDatetime | None = None


class AdverseEventRead(Schema):
    id: int
    event_type: str
    severity: str
    ctcae_grade: int
    onset_at: datetime
    description: str
    action_taken: str
    outcome: str
    resolved_at: datetime | None


class DischargeCreate(InputSchema):
    clinician_ready: bool
    ready_to_leave_without_minimum_min: int | None = Field(None, ge=0, le=1440)
    override: OverrideIn | None = None


class CancelCreate(InputSchema):
    reason: str = Field(min_length=1, max_length=2000)


class WarningAcknowledgmentCreate(InputSchema):
    """A licensed clinician's acknowledgment of named warnings (e.g. pre-dose BP above the
    label's 140/90 guide) with a clinical reason."""

    codes: list[str] = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=2000)


class WarningAcknowledgmentRead(Schema):
    id: int
    codes: list[str]
    reason: str
    created_at: datetime


class OverrideRead(Schema):
    id: int
    codes: list[str]
    reason: str
    transition: str
    created_at: datetime


class SafetyAssessmentCreate(InputSchema):
    """The same-day suicide-risk safety assessment: ``proceed`` clears the screening gate
    for today; ``do_not_proceed`` is recorded and the session stays blocked."""

    outcome: Literal["proceed", "do_not_proceed"]
    notes: str = Field(min_length=1, max_length=4000)
    assessed_at: ClinicDatetime | None = None


class SafetyAssessmentRead(Schema):
    id: int
    session_id: int
    assessed_at: datetime
    outcome: str
    notes: str
    created_by_id: int


class TimelineEntry(Schema):
    at: datetime
    kind: str
    summary: str


class SessionRead(Schema):
    # "full", or "appointment" for a caller without view_treatment (records left empty)
    view: Literal["full", "appointment"] = "full"
    id: int
    course_id: int
    patient_id: int
    number: int
    course_week: int
    protocol_code: str
    route: str
    state: str
    scheduled_at: datetime
    chair: str
    allowed_next: list[str]
    blockers: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    # Warnings that need a licensed clinician's acknowledgment with a reason before the next
    # step (each {code, message, source, ...}; POST .../acknowledgments records one).
    acknowledgments: list[dict[str, Any]] = []
    vitals_due: list[dict[str, Any]]
    timeline: list[TimelineEntry]
    dose: DoseRead | None
    vitals: list[VitalsRead]
    observations: list[ObservationRead]
    adverse_events: list[AdverseEventRead]
    overrides: list[OverrideRead]
    safety_assessments: list[SafetyAssessmentRead]
    same_day_screening: dict[str, Any] | None


class RemsFormRead(Schema):
    session_id: int
    data: dict[str, Any]
    version: int
    session_completed_at: datetime
    due_at: datetime
    submitted_at: datetime | None
    overdue: bool


class RemsFormAnswersCreate(InputSchema):
    """Answers the record does not hold; give only those to fill or change. Clinical
    readings (BP, sedation, dissociation) come from the session's records."""

    patient_middle_initial: str | None = Field(None, min_length=1, max_length=1)
    monitoring_provider_name: str | None = Field(None, min_length=1, max_length=200)
    monitoring_provider_phone: str | None = Field(None, min_length=3, max_length=40)
    monitoring_provider_email: str | None = Field(
        None, min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )
    setting_name: str | None = Field(None, min_length=1, max_length=200)
    setting_address: str | None = Field(None, min_length=1, max_length=300)
    ready_to_leave_without_minimum_min: int | None = Field(None, ge=0, le=1440)


class RemsSubmittedCreate(InputSchema):
    submitted_at: AwareDatetime


class PendingRemsFormRead(Schema):
    session_id: int
    patient_id: int
    treatment_date: date
    due_at: datetime
    overdue: bool
    days_overdue: int
    complete: bool
    status: Literal["incomplete", "ready_to_submit"]
    missing: list[str]
    version: int
