"""PK panel for other pages: GET /pk/preview/ returns the predicted-curve partial.

The course-ordering page and the patient chart load it with htmx (see docs/pk-validation.md,
"Page panel"). Stateless decision support: no patient id, nothing stored, no audit entry.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.accounts.permissions import Permission
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.pk import ReferenceRegimen
from ketacare.pharmacokinetics import simulations
from ketacare.web.pages import requires, staff_page

HORIZON_MIN = 24 * 60  # summaries over the first 24 h
PLOT_MIN = 6 * 60  # the curve shows the first 6 h
PLOT_STEP = 2  # one plotted point every 2 minutes
WIDTH, HEIGHT = 600, 240


def _number(request: HttpRequest, name: str, default: str | None = None) -> float:
    raw = request.GET.get(name, default)
    try:
        return float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidClinicalInput(
            "invalid_input", f"{name} must be a number.", {"field": name}
        ) from exc


def _polyline(times, values, top: float) -> str:
    points = []
    for t, c in zip(times, values, strict=True):
        x = WIDTH * t / PLOT_MIN
        y = HEIGHT - HEIGHT * (c / top if top > 0 else 0)
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points)


def curve_context(actor, params: dict[str, float | str]) -> dict:
    """Proposed dose vs the reference exposure (0.5 mg/kg IV over 40 min at 70 kg)."""
    patient = {
        "weight_kg": params["weight_kg"],
        "age_years": int(params["age_years"]),
        "sex": params["sex"],
    }
    proposed = simulations.simulate_curve(
        actor,
        model=str(params["model"]),
        route=str(params["route"]),
        regimen=[
            {"time_min": 0, "dose_mg": params["dose_mg"], "duration_min": params["duration_min"]}
        ],
        patient=patient,
        horizon_min=HORIZON_MIN,
        step_min=1,
    )
    ref = ReferenceRegimen()
    reference = simulations.simulate_curve(
        actor,
        model=str(params["model"]),
        route="iv",
        regimen=[
            {
                "time_min": 0,
                "dose_mg": float(ref.dose_mg_per_kg * ref.weight_kg),
                "duration_min": float(ref.infusion_min),
            }
        ],
        patient={"weight_kg": float(ref.weight_kg), "age_years": ref.age_years, "sex": ref.sex},
        horizon_min=HORIZON_MIN,
        step_min=1,
    )
    idx = slice(0, PLOT_MIN + 1, PLOT_STEP)
    times = proposed.times_min[idx]
    top = 1.1 * max(proposed.summary.cmax_ng_ml, reference.summary.cmax_ng_ml, 1e-9)
    rows = [
        ("Proposed", proposed.summary, f"{params['dose_mg']} mg {params['route']}"),
        (
            "Reference",
            reference.summary,
            f"{ref.dose_mg_per_kg * ref.weight_kg} mg IV over {ref.infusion_min} min (70 kg)",
        ),
    ]
    return {
        "rows": rows,
        "model": proposed.model_code,
        "source": proposed.source,
        "width": WIDTH,
        "height": HEIGHT,
        "top_ng_ml": round(top, 1),
        "plot_hours": PLOT_MIN // 60,
        "proposed_points": _polyline(times, proposed.concentration_ng_ml[idx], top),
        "reference_points": _polyline(times, reference.concentration_ng_ml[idx], top),
        "chart_data": {
            "times_min": simulations.rounded(times, 1),
            "proposed": simulations.rounded(proposed.concentration_ng_ml[idx], 2),
            "reference": simulations.rounded(reference.concentration_ng_ml[idx], 2),
        },
    }


@login_required
@staff_page
@requires(Permission.USE_CLINICAL_TOOLS)
def preview(request: HttpRequest) -> HttpResponse:
    try:
        params = {
            "model": request.GET.get("model", "")[:64],
            "route": request.GET.get("route", "iv")[:32],
            "dose_mg": _number(request, "dose_mg"),
            "duration_min": _number(request, "duration_min", "0"),
            "weight_kg": _number(request, "weight_kg"),
            "age_years": _number(request, "age_years"),
            "sex": request.GET.get("sex", ""),
        }
        if params["sex"] not in ("female", "male"):
            raise InvalidClinicalInput("invalid_sex", "sex must be 'female' or 'male'.")
        context = curve_context(request.user, params)
    except InvalidClinicalInput as exc:
        context = {"error": {"code": exc.code, "message": exc.message}}
    return render(request, "pharmacokinetics/predicted_curve.html", context)
