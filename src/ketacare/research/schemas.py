from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import AwareDatetime, Field

from ketacare.api.schemas import InputSchema
from ketacare.clinical.plausibility import MAX_PLAUSIBLE_AGE_YEARS
from ketacare.research.cohorts import PHQ9_BANDS, Cohort

_CODE = r"^[a-z0-9_]{1,60}$"


class CohortFields(InputSchema):
    protocol_codes: list[str] = Field(default_factory=list, max_length=20)
    route: str | None = Field(None, pattern=r"^[a-z_]{1,20}$")
    first_dose_from: date | None = None
    first_dose_to: date | None = None
    age_min: int | None = Field(None, ge=0, le=MAX_PLAUSIBLE_AGE_YEARS)
    age_max: int | None = Field(None, ge=0, le=MAX_PLAUSIBLE_AGE_YEARS)
    baseline_severity: list[str] = Field(default_factory=list, max_length=len(PHQ9_BANDS))
    treatment_resistant: bool | None = None

    def to_cohort(self) -> Cohort:
        import re

        from ketacare.clinical.errors import InvalidClinicalInput

        bad = [c for c in self.protocol_codes if not re.match(_CODE, c)]
        if bad:
            raise InvalidClinicalInput(
                "cohort_protocol_code_invalid",
                "Protocol codes are lower-case letters, digits and underscores.",
                {"field": "protocol_codes"},
            )
        return Cohort(
            protocol_codes=tuple(self.protocol_codes),
            route=self.route,
            first_dose_from=self.first_dose_from,
            first_dose_to=self.first_dose_to,
            age_min=self.age_min,
            age_max=self.age_max,
            baseline_severity=tuple(self.baseline_severity),
            treatment_resistant=self.treatment_resistant,
        )


class ExportCreate(CohortFields):
    as_of: AwareDatetime | None = None  # default: now


class ExportRead(Schema):
    id: int
    created_at: datetime
    as_of: datetime
    cohort: dict[str, Any]
    method_version: str
    min_cell_count: int
    patient_count: int
    row_counts: dict[str, int]
    sha256: str
    size_bytes: int
    download_url: str


class ExportListRead(Schema):
    items: list[ExportRead]


class ProtocolSummaryRead(Schema):
    protocol_code: str
    patients: int | None
    measured: int | None
    responders: int | None
    response_rate: float | None
    response_ci_lower: float | None
    response_ci_upper: float | None
    remitters: int | None
    remission_rate: float | None
    remission_ci_lower: float | None
    remission_ci_upper: float | None
    median_days_to_response: float | None
    median_relapse_free_days: int | None
    suppressed: list[str]


class CurvePointRead(Schema):
    day: int
    survival: float
    at_risk: int


class CohortSummaryRead(Schema):
    min_cell_count: int
    confidence: float
    protocols: list[ProtocolSummaryRead]
    relapse_free_curves: dict[str, list[CurvePointRead]]
