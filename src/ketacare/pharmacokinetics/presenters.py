"""Core result objects -> plain dicts for the API schemas and the page templates."""

from __future__ import annotations

from typing import Any

from ketacare.clinical.pk import (
    DoseSuggestion,
    IndividualResult,
    PkSummary,
    PopulationResult,
    get_model,
)
from ketacare.clinical.pk.models import PkModel
from ketacare.clinical.sources import Source
from ketacare.pharmacokinetics.simulations import DoseLimits, rounded


def source_read(source: Source) -> dict[str, Any]:
    return {**source.as_dict(), "verified": source.verified}


def model_read(model: PkModel) -> dict[str, Any]:
    return {
        "code": model.code,
        "name": model.name,
        "drug": model.drug,
        "metabolite": model.metabolite,
        "population": model.population,
        "routes": sorted(r.value for r in model.routes),
        "covariates": list(model.covariates),
        "parameters": [
            {"name": name, "value": float(value), "unit": model.units.get(name, "")}
            for name, value in model.typical.items()
        ],
        "between_subject_variability": model.variability_summary(),
        "source": source_read(model.source),
    }


def summary_read(summary: PkSummary) -> dict[str, Any]:
    return {
        "cmax_ng_ml": round(summary.cmax_ng_ml, 4),
        "tmax_min": summary.tmax_min,
        "auc_ng_h_ml": round(summary.auc_ng_h_ml, 4),
        "time_above_min": summary.time_above_min,
        "threshold_ng_ml": summary.threshold_ng_ml,
    }


def individual_read(result: IndividualResult) -> dict[str, Any]:
    model = get_model(result.model_code)
    return {
        "model": result.model_code,
        "kind": "individual",
        "times_min": rounded(result.times_min),
        "concentration_ng_ml": rounded(result.concentration_ng_ml),
        "metabolite": model.metabolite,
        "metabolite_ng_ml": (
            rounded(result.metabolite_ng_ml) if result.metabolite_ng_ml is not None else None
        ),
        "summary": summary_read(result.summary),
        "metabolite_summary": (
            summary_read(result.metabolite_summary) if result.metabolite_summary else None
        ),
        "source": source_read(result.source),
    }


def _bands(bands) -> dict[str, list[float]] | None:
    if bands is None:
        return None
    return {f"p{p}": rounded(values) for p, values in bands.items()}


def population_read(result: PopulationResult, threshold_ng_ml: float | None) -> dict[str, Any]:
    model = get_model(result.model_code)
    pct = result.summary_percentiles
    above = pct.get("time_above_min")
    summary = {
        "cmax_ng_ml": round(pct["cmax_ng_ml"][50], 4),
        "tmax_min": pct["tmax_min"][50],
        "auc_ng_h_ml": round(pct["auc_ng_h_ml"][50], 4),
        "time_above_min": above[50] if above else None,
        "threshold_ng_ml": threshold_ng_ml,
    }
    return {
        "model": result.model_code,
        "kind": "population",
        "times_min": rounded(result.band_times_min),
        "metabolite": model.metabolite,
        "percentiles": _bands(result.percentiles_ng_ml),
        "metabolite_percentiles": _bands(result.metabolite_percentiles_ng_ml),
        "summary": summary,
        "summary_percentiles": {
            name: {f"p{p}": round(v, 4) for p, v in values.items()} for name, values in pct.items()
        },
        "n_patients": result.n_patients,
        "seed": result.seed,
        "source": source_read(result.source),
    }


def suggestion_read(suggestion: DoseSuggestion, limits: DoseLimits) -> dict[str, Any]:
    return {
        "dose_mg": float(suggestion.dose_mg),
        "route": suggestion.route.value,
        "duration_min": float(suggestion.infusion_min),
        "exposure": suggestion.exposure,
        "target": round(suggestion.target, 4),
        "achieved": round(suggestion.achieved, 4),
        "unit": "ng/mL" if suggestion.exposure == "peak" else "ng*h/mL",
        "limited_by": suggestion.limited_by,
        "limits": {
            "min_mg": float(limits.min_mg),
            "max_mg": float(limits.max_mg),
            "protocol": limits.protocol_code,
            "note": limits.note,
        },
        "label": suggestion.label,
        "message": suggestion.message,
        "sources": [source_read(s) for s in suggestion.sources],
    }
