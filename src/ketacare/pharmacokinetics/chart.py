"""The pharmacokinetics panel of the clinician chart (issue 8): the predicted concentration
curve of the patient's next dose against the reference exposure (0.5 mg/kg IV over 40 min in
a 70 kg adult, same model), drawn by the existing ``pharmacokinetics:preview`` partial
(``templates/pharmacokinetics/predicted_curve.html``), which the panel loads with htmx.

Which dose is shown:

- with an active course: the course's next dose from its protocol and the latest weight. For
  a weight-based protocol, the course's mg/kg (or the protocol default) x the latest weight
  (the next dose is computed from the current weight); for a fixed-step protocol, the last
  dose given in the course (the titrated step the next session continues from), else the
  course's ordered dose, else the protocol's starting dose; IV infusions use the protocol's
  infusion duration;
- without an active course: the reference regimen scaled to the patient's latest weight
  (0.5 mg/kg IV over 40 min), so the team sees the exposure a standard first infusion gives.

Nothing is shown without a weight, a recorded sex (both covariates of the models), or a PK
model for the course's drug and route (e.g. IM/SC racemic ketamine: no verified absorption
model, docs/pk-validation.md). Staff with ``USE_CLINICAL_TOOLS`` only. The weight and the
courses are the rows the chart's other panels read (``read_scope``), whatever the history.
Decision support: nothing is stored.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.accounts.permissions import Permission, has_permission
from ketacare.clinical.dosing.protocols import FixedStepDose, WeightBasedDose
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.pk import ReferenceRegimen
from ketacare.patients.selectors import latest_weight
from ketacare.protocols.mappers import protocol_from_data
from ketacare.treatment.models import Course, CourseStatus
from ketacare.treatment.selectors import courses_with_sessions, dose_given
from ketacare.web.chart import ChartPanel
from ketacare.web.presenters import protocol_label

# (drug, route) -> the PK model used for the curve (docs/pk-validation.md).
PK_MODEL_FOR = {
    ("esketamine", "intranasal"): "perez_ruixo_2021",
    ("racemic_ketamine", "iv"): "kamp_2020",
}
_DOSE_QUANTUM_MG = Decimal("0.1")


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _course_dose(course: Course, weight_kg: Decimal) -> tuple[dict[str, Any], str] | None:
    """(preview parameters without the patient, how the dose was chosen), or None."""
    try:
        protocol = protocol_from_data(course.protocol_version.parameters)
    except InvalidClinicalInput:
        return None
    model = PK_MODEL_FOR.get((protocol.drug.value, protocol.route.value))
    if model is None:
        return None
    rule = protocol.dose_rule
    if isinstance(rule, WeightBasedDose):
        mg_per_kg = course.mg_per_kg or rule.default_mg_per_kg
        dose = (mg_per_kg * weight_kg).quantize(_DOSE_QUANTUM_MG)
        basis = f"{mg_per_kg.normalize()} mg/kg x {weight_kg} kg (latest weight)"
    else:
        assert isinstance(rule, FixedStepDose)
        given = [d for s in course.sessions.all() if (d := dose_given(s)) is not None]
        last = max(given, key=lambda d: (d.started_at, d.pk)).dose_mg if given else None
        dose = last or course.dose_mg or rule.start_dose_mg or rule.steps_mg[0]
        basis = "the last dose given in this course" if last else "the course's first dose"
    params = {
        "model": model,
        "route": protocol.route.value,
        "dose_mg": str(dose),
        "duration_min": str(protocol.infusion_duration_min or 0),
    }
    return params, f"{protocol_label(course)}: {dose.normalize():f} mg, {basis}"


def _reference_dose(weight_kg: Decimal) -> tuple[dict[str, Any], str]:
    ref = ReferenceRegimen()
    dose = (ref.dose_mg_per_kg * weight_kg).quantize(_DOSE_QUANTUM_MG)
    params = {
        "model": PK_MODEL_FOR[("racemic_ketamine", "iv")],
        "route": "iv",
        "dose_mg": str(dose),
        "duration_min": str(ref.infusion_min),
    }
    label = (
        f"No active course: the reference regimen at this patient's weight, "
        f"{ref.dose_mg_per_kg} mg/kg x {weight_kg} kg = {dose} mg IV over {ref.infusion_min} min"
    )
    return params, label


# The chart shows this panel only to a user holding it (web.views.patient_chart).
PANEL_PERMISSION = Permission.VIEW_TREATMENT


def chart_panels(request, patient) -> list[ChartPanel]:
    if not has_permission(request.user, Permission.USE_CLINICAL_TOOLS):
        return []
    weight = latest_weight(patient)
    course = next(
        (c for c in courses_with_sessions(patient) if c.status == CourseStatus.ACTIVE), None
    )
    params = note = None
    missing = None
    if weight is None:
        missing = "No weight recorded: the curve needs the patient's weight."
    elif patient.sex not in ("female", "male"):
        missing = "The PK models need the patient's sex (female or male) as a covariate."
    else:
        chosen = (
            _course_dose(course, weight.weight_kg)
            if course is not None
            else _reference_dose(weight.weight_kg)
        )
        if chosen is None:
            missing = (
                f"No verified PK model for {course.drug.replace('_', ' ')} "  # type: ignore[union-attr]
                f"by the {course.route} route."  # type: ignore[union-attr]
            )
        else:
            params, note = chosen
            params = {
                **params,
                "weight_kg": str(weight.weight_kg),
                "age_years": str(_age(patient.date_of_birth, timezone.localdate())),
                "sex": patient.sex,
            }
    return [
        ChartPanel(
            key="pharmacokinetics",
            title="Predicted concentration",
            template="pharmacokinetics/chart_panel.html",
            order=60,
            context={"pk_params": params, "dose_note": note, "missing": missing},
            open_by_default=False,  # decision support: out of the way of the safety facts
        )
    ]
