"""Request and response shapes of /api/v1/pk/... (units in every field name).

Bounds here only keep values representable; clinical ranges (a positive dose, a plausible
weight, a route the model supports) are checked by the clinical core, which answers 422 with
its own stable code (``invalid_dose``, ``invalid_weight``, ``route_not_supported``...).
"""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field

from ketacare.api.schemas import InputSchema

_BIG = 1_000_000.0  # representable range only; the core checks clinical ranges
Code = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")


class PkSourceRead(Schema):
    key: str
    citation: str
    url: str | None = None
    locator: str | None = None
    verified: bool


class PkParameterRead(Schema):
    name: str
    value: float
    unit: str


class PkModelRead(Schema):
    code: str
    name: str
    drug: str
    metabolite: str | None = None
    population: str
    routes: list[str]
    covariates: list[str]
    parameters: list[PkParameterRead]
    between_subject_variability: dict[str, float] = Field(
        description="omega^2 per parameter (log scale unless prefixed 'logit:'); empty when "
        "the source publishes none (population simulation is then refused)."
    )
    source: PkSourceRead


class PkModelListRead(Schema):
    items: list[PkModelRead]


class RegimenDoseCreate(InputSchema):
    """One dose of a simulated regimen (not a dose given to a patient: that is
    treatment's DoseCreate)."""

    time_min: float = Field(ge=-_BIG, le=_BIG, description="minutes from the start")
    dose_mg: float = Field(ge=-_BIG, le=_BIG)
    duration_min: float = Field(0, ge=-_BIG, le=_BIG, description="IV infusion; 0 = bolus")


class PkPatientCreate(InputSchema):
    weight_kg: float = Field(ge=-_BIG, le=_BIG)
    age_years: int = Field(ge=-1000, le=1000)
    sex: Literal["female", "male"]
    asian: bool = Field(False, description="covariate of perez_ruixo_2021")
    japanese: bool = Field(False, description="covariate of perez_ruixo_2021 (implies asian)")


class PopulationCreate(InputSchema):
    n: int = Field(ge=-1_000_000_000, le=1_000_000_000, description="virtual patients")
    seed: int = Field(0, ge=0, le=2**32 - 1)


class SimulationCreate(InputSchema):
    model: str = Code
    route: str = Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")
    regimen: list[RegimenDoseCreate] = Field(min_length=1, max_length=1000)
    patient: PkPatientCreate
    horizon_min: float = Field(gt=0, le=366 * 1440)
    step_min: float = Field(1.0, ge=0.01, le=1440)
    threshold_ng_ml: float | None = Field(
        None, ge=-_BIG, le=_BIG, description="report time at or above this concentration"
    )
    population: PopulationCreate | None = None


class SummaryRead(Schema):
    cmax_ng_ml: float
    tmax_min: float
    auc_ng_h_ml: float
    time_above_min: float | None = None
    threshold_ng_ml: float | None = None


class SimulationRead(Schema):
    model: str
    kind: Literal["individual", "population"]
    times_min: list[float]
    concentration_ng_ml: list[float] | None = Field(
        None, description="individual curve (typical patient with these covariates)"
    )
    metabolite: str | None = None
    metabolite_ng_ml: list[float] | None = None
    percentiles: dict[str, list[float]] | None = Field(
        None, description="population: p5, p25, p50, p75, p95 at times_min"
    )
    metabolite_percentiles: dict[str, list[float]] | None = None
    summary: SummaryRead = Field(description="individual values, or population medians")
    metabolite_summary: SummaryRead | None = None
    summary_percentiles: dict[str, dict[str, float]] | None = Field(
        None, description="population: p5..p95 of each per-patient summary"
    )
    n_patients: int | None = None
    seed: int | None = None
    source: PkSourceRead
    label: str = "decision_support"


class ReferenceRegimenCreate(InputSchema):
    dose_mg_per_kg: float = Field(ge=-_BIG, le=_BIG)
    duration_min: float = Field(ge=-_BIG, le=_BIG)
    weight_kg: float = Field(ge=-_BIG, le=_BIG)


class DoseSuggestionCreate(InputSchema):
    model: str = Code
    route: str = Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")
    exposure: Literal["peak", "auc"]
    patient: PkPatientCreate
    duration_min: float = Field(0, ge=-_BIG, le=_BIG, description="IV infusion of the dose")
    protocol: str | None = Field(
        None, min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$", description="limits from"
    )
    min_mg: float | None = Field(None, ge=-_BIG, le=_BIG)
    max_mg: float | None = Field(None, ge=-_BIG, le=_BIG)
    reference: ReferenceRegimenCreate | None = Field(
        None, description="default: 0.5 mg/kg IV over 40 min in a 70 kg adult (ELEKT-D)"
    )


class DoseLimitsRead(Schema):
    min_mg: float
    max_mg: float
    protocol: str | None = None
    note: str


class DoseSuggestionRead(Schema):
    dose_mg: float
    route: str
    duration_min: float
    exposure: str
    target: float
    achieved: float
    unit: str
    limited_by: str | None = None
    limits: DoseLimitsRead
    label: str
    message: str
    sources: list[PkSourceRead]
