"""Pharmacokinetic decision support: /api/v1/pk/...

Stateless tools: no patient id is sent and nothing is stored, so no audit entry is written
(see ``simulations``). Every answer is decision support for a licensed clinician.
"""

from __future__ import annotations

from ninja import Router

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES
from ketacare.pharmacokinetics import presenters, simulations
from ketacare.pharmacokinetics.schemas import (
    DoseSuggestionCreate,
    DoseSuggestionRead,
    PkModelListRead,
    SimulationCreate,
    SimulationRead,
)

router = Router(tags=["pharmacokinetics"])


@router.get(
    "/pk/models",
    response={200: PkModelListRead, **ERROR_RESPONSES},
    **guard(Permission.USE_CLINICAL_TOOLS),
)
def list_pk_models(request):
    """Published parameter sets: parameters with units, source, population, routes."""
    models = simulations.get_models(request.user)
    return {"items": [presenters.model_read(m) for m in models]}


@router.post(
    "/pk/simulate",
    response={200: SimulationRead, **ERROR_RESPONSES},
    **guard(Permission.USE_CLINICAL_TOOLS),
)
def simulate(request, payload: SimulationCreate):
    """Predicted plasma concentrations (ng/mL) of a regimen for one typical patient with the
    given covariates, or percentile bands for ``population.n`` virtual patients. Summary:
    Cmax, Tmax, AUC (ng*h/mL) and time above ``threshold_ng_ml``. Refused with 422 (the
    core's code) for invalid doses, unknown models, unsupported routes and requests too
    large for a synchronous answer."""
    data = payload.dict()
    population = data.pop("population")
    if population is None:
        return presenters.individual_read(simulations.simulate_curve(request.user, **data))
    result = simulations.simulate_cohort(request.user, **data, **population)
    return presenters.population_read(result, data["threshold_ng_ml"])


@router.post(
    "/pk/individualize",
    response={200: DoseSuggestionRead, **ERROR_RESPONSES},
    **guard(Permission.USE_CLINICAL_TOOLS),
)
def individualize(request, payload: DoseSuggestionCreate):
    """Decision support: the single dose giving this patient the same peak or AUC as the
    reference regimen (default 0.5 mg/kg over 40 min at 70 kg), rounded down to 0.1 mg and
    kept within the protocol's limits for the route (or the given min_mg/max_mg)."""
    suggestion, limits = simulations.suggest_dose(request.user, **payload.dict())
    return presenters.suggestion_read(suggestion, limits)
