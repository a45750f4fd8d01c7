"""Pharmacokinetic tools for the API and pages: map plain request values to the clinical core.

Stateless decision support: nothing is read from or written to the database, no patient is
identified (the caller passes weight, age, sex and model covariates only), so there is no
audit entry (neither a write nor a patient-data read). Permission is checked by the caller's
route guard and again here (``Permission.USE_CLINICAL_TOOLS``).

The synchronous limits below are engineering limits (not clinical numbers): they keep every
accepted request answering within about 2 s on the 2-core reference machine. Larger
population runs belong in a background job (not built).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from ketacare.accounts.permissions import Permission, require_permission
from ketacare.clinical.dosing.protocols import STANDARD_PROTOCOLS, FixedStepDose, Protocol
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.pk import (
    Dose,
    DoseSuggestion,
    IndividualResult,
    PkPatient,
    PopulationResult,
    ReferenceRegimen,
    Route,
    Sex,
    get_model,
    individualize_dose,
    list_models,
    simulate_individual,
    simulate_population,
)
from ketacare.clinical.pk.models import PkModel

# Synchronous answer limits (engineering, measured in bench/README.md).
SYNC_MAX_TIME_POINTS = 50_000  # one curve returned point by point (~35 days at 1 min)
SYNC_MAX_POPULATION = 2_000
SYNC_MAX_POPULATION_TIME_POINTS = 250_000_000  # patients x grid points (2,000 x 12 weeks)
SYNC_MAX_DOSES = 200
# The dose suggestion carries at most one decimal place (rounded down to 0.1 mg).
SUGGESTION_QUANTUM_MG = Decimal("0.1")

_DRUG_OF_PROTOCOL = {"racemic_ketamine": "ketamine (racemic)", "esketamine": "esketamine"}


@dataclass(frozen=True, slots=True)
class DoseLimits:
    min_mg: Decimal
    max_mg: Decimal
    protocol_code: str | None
    note: str


def decimal(value: float | int | str, field: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidClinicalInput("invalid_number", f"{field} is not a number.") from exc
    require(result.is_finite(), "invalid_number", f"{field} must be a finite number.", field=field)
    return result


def to_route(value: str) -> Route:
    try:
        return Route(value)
    except ValueError as exc:
        raise InvalidClinicalInput(
            "unknown_route",
            f"Unknown route '{value}'.",
            {"route": value, "known": sorted(r.value for r in Route)},
        ) from exc


def to_patient(data: Mapping[str, Any]) -> PkPatient:
    weight = decimal(data["weight_kg"], "weight_kg")
    age = data["age_years"]
    return PkPatient(
        weight_kg=weight,
        age_years=age,
        sex=Sex(data["sex"]),
        asian=bool(data.get("asian", False)),
        japanese=bool(data.get("japanese", False)),
    )


def to_regimen(route: Route, regimen: Sequence[Mapping[str, Any]]) -> tuple[Dose, ...]:
    require(
        len(regimen) <= SYNC_MAX_DOSES,
        "too_many_doses",
        f"At most {SYNC_MAX_DOSES} doses can be simulated in one request.",
        doses=len(regimen),
    )
    return tuple(
        Dose(
            time_min=decimal(item["time_min"], "time_min"),
            amount_mg=decimal(item["dose_mg"], "dose_mg"),
            route=route,
            infusion_min=decimal(item.get("duration_min") or 0, "duration_min"),
        )
        for item in regimen
    )


def _points(horizon_min: float, step_min: float) -> int:
    require(horizon_min > 0, "invalid_horizon", "The horizon must be positive (minutes).")
    require(step_min > 0, "invalid_step", "The time step must be positive (minutes).")
    return int(horizon_min / step_min) + 1


def get_models(actor) -> tuple[PkModel, ...]:
    require_permission(actor, Permission.USE_CLINICAL_TOOLS)
    return list_models()


def simulate_curve(
    actor,
    *,
    model: str,
    route: str,
    regimen: Sequence[Mapping[str, Any]],
    patient: Mapping[str, Any],
    horizon_min: float,
    step_min: float,
    threshold_ng_ml: float | None = None,
) -> IndividualResult:
    """The typical-patient curve for this patient's covariates (no random effects)."""
    require_permission(actor, Permission.USE_CLINICAL_TOOLS)
    get_model(model)
    doses = to_regimen(to_route(route), regimen)
    points = _points(horizon_min, step_min)
    if points > SYNC_MAX_TIME_POINTS:
        raise InvalidClinicalInput(
            "horizon_too_large",
            "The horizon has too many time points for one answer; use a larger step.",
            {"time_points": points, "max_time_points": SYNC_MAX_TIME_POINTS},
        )
    return simulate_individual(
        model, to_patient(patient), doses, horizon_min, step_min, threshold_ng_ml
    )


def simulate_cohort(
    actor,
    *,
    model: str,
    route: str,
    regimen: Sequence[Mapping[str, Any]],
    patient: Mapping[str, Any],
    horizon_min: float,
    step_min: float,
    n: int,
    seed: int,
    threshold_ng_ml: float | None = None,
) -> PopulationResult:
    """N virtual patients with the model's between-subject variability (percentile bands)."""
    require_permission(actor, Permission.USE_CLINICAL_TOOLS)
    get_model(model)
    doses = to_regimen(to_route(route), regimen)
    if n > SYNC_MAX_POPULATION:
        raise InvalidClinicalInput(
            "population_too_large",
            f"At most {SYNC_MAX_POPULATION} virtual patients can be simulated in one answer.",
            {"n": n, "max_n": SYNC_MAX_POPULATION},
        )
    points = _points(horizon_min, step_min)
    if n * points > SYNC_MAX_POPULATION_TIME_POINTS:
        raise InvalidClinicalInput(
            "horizon_too_large",
            "Too many patient time points for one answer; use fewer patients or a larger step.",
            {
                "time_points": points,
                "patients": n,
                "max_patient_time_points": SYNC_MAX_POPULATION_TIME_POINTS,
            },
        )
    return simulate_population(
        model, to_patient(patient), doses, horizon_min, step_min, n, seed, threshold_ng_ml
    )


def protocol_limits(protocol_code: str, model: PkModel, route: Route, weight_kg: Decimal):
    """Min/max mg for this route from the standard protocol library (clinical core)."""
    protocol: Protocol | None = STANDARD_PROTOCOLS.get(protocol_code)
    if protocol is None:
        raise InvalidClinicalInput(
            "unknown_protocol",
            f"Unknown protocol '{protocol_code}'.",
            {"protocol": protocol_code, "known": sorted(STANDARD_PROTOCOLS)},
        )
    if protocol.route.value != route.value:
        raise InvalidClinicalInput(
            "protocol_route_mismatch",
            f"Protocol '{protocol.code}' is for the route '{protocol.route.value}', "
            f"not '{route.value}'.",
            {"protocol": protocol.code, "protocol_route": protocol.route.value},
        )
    if _DRUG_OF_PROTOCOL.get(protocol.drug.value) != model.drug:
        raise InvalidClinicalInput(
            "protocol_drug_mismatch",
            f"Protocol '{protocol.code}' doses {protocol.drug.value}, but model "
            f"'{model.code}' describes {model.drug}.",
            {"protocol": protocol.code, "model": model.code},
        )
    rule = protocol.dose_rule
    if isinstance(rule, FixedStepDose):
        return DoseLimits(min(rule.steps_mg), max(rule.steps_mg), protocol.code, "fixed steps")
    max_mg = rule.ceiling_mg_per_kg * weight_kg
    if rule.minimum_mg_per_kg is not None:
        min_mg = rule.minimum_mg_per_kg * weight_kg
        note = "minimum and ceiling mg/kg x weight"
    else:
        # The protocol sets no lower limit: the smallest suggestible dose is one rounding step.
        min_mg = SUGGESTION_QUANTUM_MG
        note = "ceiling mg/kg x weight; the protocol has no minimum"
    return DoseLimits(min_mg, max_mg, protocol.code, note)


def suggest_dose(
    actor,
    *,
    model: str,
    route: str,
    exposure: str,
    patient: Mapping[str, Any],
    duration_min: float = 0,
    protocol: str | None = None,
    min_mg: float | None = None,
    max_mg: float | None = None,
    reference: Mapping[str, Any] | None = None,
) -> tuple[DoseSuggestion, DoseLimits]:
    """Dose matching a reference exposure, within the protocol's (or the given) limits."""
    require_permission(actor, Permission.USE_CLINICAL_TOOLS)
    pk_model = get_model(model)
    pk_route = to_route(route)
    pk_patient = to_patient(patient)
    if pk_route not in pk_model.routes:
        raise InvalidClinicalInput(
            "route_not_supported",
            f"The model '{pk_model.code}' has no published parameters for the route "
            f"'{pk_route.value}'.",
            {"route": pk_route.value, "supported": sorted(r.value for r in pk_model.routes)},
        )
    if protocol:
        limits = protocol_limits(protocol, pk_model, pk_route, pk_patient.weight_kg)
    else:
        require(
            min_mg is not None and max_mg is not None,
            "dose_limits_required",
            "Give a protocol code, or both min_mg and max_mg.",
        )
        limits = DoseLimits(
            decimal(min_mg, "min_mg"), decimal(max_mg, "max_mg"), None, "given by the caller"
        )
    ref = ReferenceRegimen()
    if reference:
        ref = ReferenceRegimen(
            dose_mg_per_kg=decimal(reference["dose_mg_per_kg"], "dose_mg_per_kg"),
            infusion_min=decimal(reference["duration_min"], "duration_min"),
            weight_kg=decimal(reference["weight_kg"], "weight_kg"),
        )
    suggestion = individualize_dose(
        pk_model.code,
        pk_patient,
        pk_route,
        exposure,  # type: ignore[arg-type]
        limits.min_mg,
        limits.max_mg,
        infusion_min=decimal(duration_min, "duration_min"),
        reference=ref,
    )
    return suggestion, limits


def rounded(values: np.ndarray, digits: int = 4) -> list[float]:
    return np.round(np.asarray(values, dtype=float), digits).tolist()
