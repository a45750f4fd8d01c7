from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from ketacare.api.schemas import InputSchema
from ketacare.protocols.mappers import outcome_values


def _pct() -> Any:
    return Field(None, gt=0, le=100, max_digits=5, decimal_places=2)


def _points(minimum: int) -> Any:
    return Field(None, ge=minimum, le=60)  # the largest scale (MADRS) totals 60


class SourceIn(InputSchema):
    key: str = Field(min_length=1, max_length=60)
    citation: str = Field(min_length=1, max_length=500)
    url: str | None = Field(None, max_length=500)
    locator: str | None = Field(None, max_length=300)
    verified: bool = False
    # Evidence grade (issue 16): primary, secondary, consensus, heuristic or clinic.
    grade: Literal["primary", "secondary", "consensus", "heuristic", "clinic"] | None = None
    mandatory: bool = False  # the source's wording is must / must not


class WeightBasedDoseIn(InputSchema):
    kind: Literal["weight_based"]
    default_mg_per_kg: Decimal = Field(gt=0, le=10, max_digits=6, decimal_places=4)
    soft_limit_mg_per_kg: Decimal = Field(gt=0, le=10, max_digits=6, decimal_places=4)
    ceiling_mg_per_kg: Decimal = Field(gt=0, le=10, max_digits=6, decimal_places=4)
    minimum_mg_per_kg: Decimal | None = Field(None, gt=0, le=10, max_digits=6, decimal_places=4)
    weight_basis: Literal["actual", "ideal", "adjusted"] = "actual"
    source: SourceIn | None = None


class FixedStepDoseIn(InputSchema):
    kind: Literal["fixed_step"]
    steps_mg: list[Decimal] = Field(min_length=1, max_length=20)
    start_dose_mg: Decimal | None = Field(None, gt=0, le=1000, max_digits=7, decimal_places=2)
    first_session_max_mg: Decimal | None = Field(
        None, gt=0, le=1000, max_digits=7, decimal_places=2
    )
    source: SourceIn | None = None


class PhaseIn(InputSchema):
    first_week: int = Field(ge=1, le=520)
    last_week: int | None = Field(None, ge=1, le=520)
    max_sessions_per_week: int = Field(ge=1, le=7)
    allowed_doses_mg: list[Decimal] = Field(default_factory=list, max_length=20)
    flag_code: str | None = Field(None, min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")
    flag_message: str | None = Field(None, min_length=1, max_length=300)
    source: SourceIn | None = None


class ScheduleIn(InputSchema):
    phases: list[PhaseIn] = Field(min_length=1, max_length=10)
    planned_sessions: int | None = Field(None, ge=1, le=200)
    acute_series_flag_above: int | None = Field(None, ge=1, le=200)
    review_after_week: int | None = Field(None, ge=1, le=520)
    source: SourceIn | None = None


class VitalsScheduleIn(InputSchema):
    pre_dose: bool = True
    at_minutes_after_dose: list[int] = Field(default_factory=list, max_length=30)
    during_infusion_every_min: int | None = Field(None, ge=1, le=240)
    after_infusion_every_min: int | None = Field(None, ge=1, le=240)
    before_discharge: bool = True
    clinic_example_only: bool = False
    source: SourceIn | None = None


class ProtocolCreate(InputSchema):
    """A new protocol, or a new version of an existing code (it supersedes the active one)."""

    code: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    drug: Literal["racemic_ketamine", "esketamine"]
    route: Literal["iv", "im", "sc", "intranasal"]
    indication: Literal["trd", "mdsi"]
    dose_rule: WeightBasedDoseIn | FixedStepDoseIn
    schedule: ScheduleIn
    vitals: VitalsScheduleIn
    observation_min: int | None = Field(None, ge=1, le=1440)
    infusion_duration_min: int | None = Field(None, ge=1, le=1440)
    flag_infusion_faster_than_min: int | None = Field(None, ge=1, le=1440)
    device_interval_min: int | None = Field(None, ge=1, le=120)
    sources: list[SourceIn] = Field(default_factory=list, max_length=20)
    reason: str = Field("", max_length=2000)


class ProtocolRead(Schema):
    id: int
    code: str
    version: int
    name: str
    drug: str
    route: str
    indication: str
    active: bool
    parameters: dict[str, Any]
    created_at: datetime


class ClinicPolicyCreate(InputSchema):
    """The clinic's clinical settings. Required fields have no published value; optional
    esketamine fields keep the label's cited defaults when left out."""

    # Dosing (clinical.dosing.DosingPolicy)
    weight_max_age_days: int = Field(ge=0, le=3650)
    plausible_weight_min_kg: Decimal = Field(gt=0, le=500, max_digits=5, decimal_places=1)
    plausible_weight_max_kg: Decimal = Field(gt=0, le=500, max_digits=5, decimal_places=1)
    syringe_increment_ml: Decimal = Field(gt=0, le=10, max_digits=5, decimal_places=3)
    esketamine_older_adult_28mg_start: bool = False
    max_mg_per_rolling_7_days: Decimal | None = Field(
        None, gt=0, le=100000, max_digits=8, decimal_places=2
    )
    max_mg_per_rolling_30_days: Decimal | None = Field(
        None, gt=0, le=100000, max_digits=8, decimal_places=2
    )
    # Session (clinical.session.SessionPolicy)
    spo2_min_percent: int = Field(ge=1, le=100)
    predose_systolic_max_mmhg: int | None = Field(None, ge=1, le=300)
    predose_diastolic_max_mmhg: int | None = Field(None, ge=1, le=250)
    predose_hard_systolic_max_mmhg: int | None = Field(None, ge=1, le=300)
    predose_hard_diastolic_max_mmhg: int | None = Field(None, ge=1, le=250)
    systolic_max_mmhg: int | None = Field(None, ge=1, le=300)
    diastolic_max_mmhg: int | None = Field(None, ge=1, le=250)
    heart_rate_min_bpm: int | None = Field(None, ge=1, le=300)
    heart_rate_max_bpm: int | None = Field(None, ge=1, le=300)
    respiratory_rate_min_per_min: int | None = Field(None, ge=1, le=80)
    respiratory_rate_max_per_min: int | None = Field(None, ge=1, le=80)
    predose_vitals_max_age_min: int = Field(ge=1, le=1440)
    predischarge_vitals_max_age_min: int = Field(ge=1, le=1440)
    vitals_tolerance_min: int = Field(ge=0, le=60)
    esketamine_min_observation_min: int | None = Field(None, ge=1, le=1440)
    # Observation and the esketamine 40-minute BP counted from the last device / infusion end
    # (None = the cited default, last_dose) or the first device (first_dose: the REMS form's count).
    observation_from: Literal["last_dose", "first_dose"] | None = None
    esketamine_npo_food_min: int | None = Field(None, ge=0, le=1440)
    esketamine_npo_liquids_min: int | None = Field(None, ge=0, le=1440)
    observation_min_iv: int | None = Field(None, ge=1, le=1440)
    observation_min_im: int | None = Field(None, ge=1, le=1440)
    observation_min_sc: int | None = Field(None, ge=1, le=1440)
    iv_vitals_schedule_emory_example: bool = False
    require_prescriber_on_site_other_routes: bool | None = None
    require_pulse_oximeter_other_routes: bool | None = None
    cadss_resolved_max_total: int | None = Field(None, ge=0, le=200)
    care_setting: Literal["outpatient", "inpatient"] = "outpatient"
    # Outcomes (clinical.outcomes.OutcomePolicy): left out = the core's cited default. The
    # core checks each cutoff against its scale and the combination (422, details.field).
    response_min_reduction_pct: Decimal | None = _pct()
    partial_response_min_reduction_pct: Decimal | None = _pct()
    phq9_remission_max_total: int | None = _points(0)
    madrs_remission_max_total: int | None = _points(0)
    qids_sr16_remission_max_total: int | None = _points(0)
    phq9_relapse_min_total: int | None = _points(1)
    madrs_relapse_min_total: int | None = _points(1)
    qids_sr16_relapse_min_total: int | None = _points(1)
    relapse_min_consecutive: int | None = Field(None, ge=1, le=20)
    relapse_confirmation_min_gap_days: int | None = Field(None, ge=0, le=365)
    relapse_confirmation_max_gap_days: int | None = Field(None, ge=1, le=365)
    worsening_min_increase_pct: Decimal | None = _pct()
    phq9_worsening_min_increase_points: int | None = _points(1)
    madrs_worsening_min_increase_points: int | None = _points(1)
    qids_sr16_worsening_min_increase_points: int | None = _points(1)
    futility_sessions_without_response: int | None = Field(None, ge=1, le=100)
    # Maintenance bounds for IV/IM/SC ketamine (no published value; esketamine keeps the label)
    maintenance_min_interval_days: int | None = Field(None, ge=1, le=365)
    maintenance_max_interval_days: int | None = Field(None, ge=1, le=365)
    maintenance_default_interval_days: int | None = Field(None, ge=1, le=365)
    reason: str = Field("", max_length=2000)


class ClinicPolicyRead(Schema):
    id: int
    version: int
    values: dict[str, Any]
    outcomes: dict[str, Any]  # outcome and maintenance settings the clinic set
    created_at: datetime

    @staticmethod
    def resolve_outcomes(obj: Any) -> dict[str, Any]:
        return outcome_values(obj)
