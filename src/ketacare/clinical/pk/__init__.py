"""Pharmacokinetics: closed-form linear compartment models of ketamine and esketamine.

Public entry points: ``list_models``, ``get_model``, ``simulate_individual``,
``simulate_population`` and ``individualize_dose`` (see ``simulate``), over the published
parameter sets in ``models`` solved by ``engine``. See docs/pk-validation.md.
"""

from ketacare.clinical.pk.models import Route
from ketacare.clinical.pk.simulate import (
    Dose,
    DoseSuggestion,
    IndividualResult,
    PkPatient,
    PkSummary,
    PopulationResult,
    ReferenceRegimen,
    Sex,
    get_model,
    individualize_dose,
    list_models,
    simulate_individual,
    simulate_population,
)

__all__ = [
    "Dose",
    "DoseSuggestion",
    "IndividualResult",
    "PkPatient",
    "PkSummary",
    "PopulationResult",
    "ReferenceRegimen",
    "Route",
    "Sex",
    "get_model",
    "individualize_dose",
    "list_models",
    "simulate_individual",
    "simulate_population",
]
