"""Small input types for the session core: drug, route and care setting.

Defined here (not imported from ``clinical.dosing``) so the session gates can be built and
tested on their own; the service layer maps between the two when they are wired together.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from ketacare.clinical.errors import require


class Drug(StrEnum):
    ESKETAMINE = "esketamine"  # SPRAVATO nasal spray, REMS programme
    RACEMIC_KETAMINE = "racemic_ketamine"  # off-label IV/IM/SC/oral


class Route(StrEnum):
    INTRANASAL = "intranasal"
    INTRAVENOUS = "intravenous"
    INTRAMUSCULAR = "intramuscular"
    SUBCUTANEOUS = "subcutaneous"
    ORAL = "oral"
    SUBLINGUAL = "sublingual"


class CareSetting(StrEnum):
    OUTPATIENT = "outpatient"
    INPATIENT = "inpatient"  # REMS: certified setting, no patient enrolment or forms


def is_esketamine(drug: Drug, route: Route) -> bool:
    """True for SPRAVATO (esketamine nasal spray), the only product with label/REMS rules."""
    require(
        drug is not Drug.ESKETAMINE or route is Route.INTRANASAL,
        "route_not_supported_for_drug",
        "Esketamine (SPRAVATO) is given only as a nasal spray.",
        drug=str(drug),
        route=str(route),
    )
    return drug is Drug.ESKETAMINE


def require_aware(value: datetime, field: str) -> None:
    """Reject naive datetimes: every session time is timezone-aware."""
    require(
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None,
        "naive_datetime",
        f"{field} must be a timezone-aware date and time.",
        field=field,
    )
