"""Checks of one ketamine or esketamine order's dose against the cited ceilings (rules 3, 16).

``check_order_dose(drug, dose_mg, weight_kg)`` returns findings (``Finding``), each with a stable
code, a message, the source and, where one exists, ``data["fix_dose_mg"]``: the dose that
fixes the order (the order-sign CDS service turns it into a suggestion).

- esketamine (intranasal): the dose must be 28, 56 or 84 mg (devices of 28 mg; 84 mg is the
  label's highest single-session dose, S2/S3). Above 84 mg: ``dose_above_ceiling``, fix 84 mg;
  between allowed doses: ``dose_not_a_device_multiple``, fix the next lower allowed dose.
- racemic ketamine IV/IM: dose per kg needs a recorded weight (``weight_missing`` otherwise);
  above ``IV_CEILING_MG_PER_KG`` (1.0 mg/kg, the highest IV dose tested in the cited RCT, S22):
  ``dose_above_ceiling`` with the fix at the ceiling; above the standard 0.5 mg/kg (S14b/S15):
  ``dose_above_standard`` (prescriber review, no fix proposed).

What it deliberately does not do: choose the weight basis (actual, ideal, adjusted: no source
chooses one), or check the schedule (the treatment services do).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from ketacare.clinical.dosing.protocols import (
    ESKETAMINE_ALLOWED_DOSES_MG,
    IV_CEILING_MG_PER_KG,
    IV_STANDARD_DOSE_MG_PER_KG,
)
from ketacare.clinical.dosing.references import (
    ELEKT_D_2023,
    FAVA_2020,
    SPRAVATO_HCP_DOSING,
)
from ketacare.clinical.errors import require
from ketacare.clinical.gates import Finding


class OrderedDrug(StrEnum):
    ESKETAMINE = "esketamine"
    KETAMINE = "ketamine"


def _f(code: str, message: str, source, **data: object) -> Finding:
    return Finding(code=code, message=message, source=source, data=tuple(sorted(data.items())))


def check_order_dose(
    drug: OrderedDrug, dose_mg: Decimal, weight_kg: Decimal | None
) -> tuple[Finding, ...]:
    require(
        isinstance(dose_mg, Decimal) and dose_mg.is_finite() and dose_mg > 0,
        "order_dose_invalid",
        "The ordered dose must be a positive number of mg.",
    )
    if drug is OrderedDrug.ESKETAMINE:
        allowed = sorted(ESKETAMINE_ALLOWED_DOSES_MG)
        top = allowed[-1]
        if dose_mg > top:
            return (
                _f(
                    "dose_above_ceiling",
                    f"Esketamine {dose_mg} mg is above the label's highest session dose of {top} "
                    "mg.",
                    SPRAVATO_HCP_DOSING,
                    dose_mg=str(dose_mg),
                    ceiling_mg=str(top),
                    fix_dose_mg=str(top),
                ),
            )
        if dose_mg not in allowed:
            lower = [d for d in allowed if d < dose_mg]
            fix = lower[-1] if lower else allowed[0]
            return (
                _f(
                    "dose_not_a_device_multiple",
                    f"Esketamine {dose_mg} mg is not a whole number of 28 mg devices "
                    f"({', '.join(str(d) for d in allowed)} mg).",
                    SPRAVATO_HCP_DOSING,
                    dose_mg=str(dose_mg),
                    fix_dose_mg=str(fix),
                ),
            )
        return ()
    if weight_kg is None:
        return (
            _f(
                "weight_missing",
                "No recorded body weight: a ketamine dose in mg/kg cannot be checked.",
                FAVA_2020,
            ),
        )
    require(
        isinstance(weight_kg, Decimal) and weight_kg.is_finite() and weight_kg > 0,
        "order_weight_invalid",
        "The body weight must be a positive number of kg.",
    )
    per_kg = (dose_mg / weight_kg).quantize(Decimal("0.01"))
    if per_kg > IV_CEILING_MG_PER_KG:
        fix = (IV_CEILING_MG_PER_KG * weight_kg).quantize(Decimal("1"), rounding=ROUND_DOWN)
        return (
            _f(
                "dose_above_ceiling",
                f"Ketamine {dose_mg} mg is {per_kg} mg/kg at {weight_kg} kg, above the ceiling "
                f"of {IV_CEILING_MG_PER_KG} mg/kg.",
                FAVA_2020,
                dose_mg_per_kg=str(per_kg),
                ceiling_mg_per_kg=str(IV_CEILING_MG_PER_KG),
                fix_dose_mg=str(fix),
            ),
        )
    if per_kg > IV_STANDARD_DOSE_MG_PER_KG:
        return (
            _f(
                "dose_above_standard",
                f"Ketamine {per_kg} mg/kg is above the standard {IV_STANDARD_DOSE_MG_PER_KG} "
                "mg/kg: prescriber review.",
                ELEKT_D_2023,
                dose_mg_per_kg=str(per_kg),
            ),
        )
    return ()
