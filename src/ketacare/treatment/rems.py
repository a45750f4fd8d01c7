"""The SPRAVATO REMS Patient Monitoring Form data set of a session, from its records.

Maps the session (patient, dose, vitals, ratings, adverse events) to the core's
``RemsFormData`` and asks ``clinical.session.rems.build_rems_monitoring_form`` to validate it.
The form never blocks a discharge (the core says so): when answers the record does not hold
are missing (e.g. the monitoring provider's phone), the stored data set lists them under
``missing`` and ``complete`` is false, so staff complete them before submitting.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.session.monitoring import ESKETAMINE_BP_CHECK_AFTER_ADMINISTRATION_MIN
from ketacare.clinical.session.rems import (
    BloodPressure,
    ConcomitantMedicationCategory,
    RemsFormData,
    build_rems_monitoring_form,
)
from ketacare.patients.models import MedicationClass
from ketacare.treatment.context import observation_anchor_time
from ketacare.treatment.models import DoseAdministration, TreatmentSession, VitalsPhase
from ketacare.treatment.selectors import current_vitals

_MEDICATION_CATEGORY = {
    MedicationClass.BENZODIAZEPINE: ConcomitantMedicationCategory.BENZODIAZEPINES,
    MedicationClass.SEDATIVE_HYPNOTIC: (
        ConcomitantMedicationCategory.NON_BENZODIAZEPINE_SEDATIVE_HYPNOTICS
    ),
    MedicationClass.PSYCHOSTIMULANT: ConcomitantMedicationCategory.PSYCHOSTIMULANTS,
    MedicationClass.MAOI: ConcomitantMedicationCategory.MAOIS,
    MedicationClass.OPIOID: ConcomitantMedicationCategory.OPIOIDS,
}
_RESPIRATORY = {"respiratory_depression", "oxygen_desaturation"}


def _bp(reading) -> BloodPressure | None:
    if reading is None:
        return None
    return BloodPressure(reading.systolic_mmhg, reading.diastolic_mmhg)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, frozenset | set | tuple | list):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, BloodPressure):
        return {"systolic_mmhg": value.systolic_mmhg, "diastolic_mmhg": value.diastolic_mmhg}
    return value


def form_data(
    session: TreatmentSession,
    setup: Any,
    *,
    completed_at: datetime,
    ready_min: int | None,
    staff: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The form's data set; ``staff`` holds answers staff gave that the record does not hold
    (provider phone, setting address...), which take the place of the record's value."""
    patient = session.patient
    dose = DoseAdministration.objects.get(session=session)
    readings = current_vitals(session)
    pre = [v for v in readings if v.phase == VitalsPhase.PRE_DOSE]
    post = [v for v in readings if v.phase != VitalsPhase.PRE_DOSE]
    # "40 min after administration": from where the clinic counts it (the last device by
    # default, the first by clinic choice), like the run sheet and the discharge gate.
    target = observation_anchor_time(dose, setup) + timedelta(
        minutes=ESKETAMINE_BP_CHECK_AFTER_ADMINISTRATION_MIN
    )
    near_40 = min(post, key=lambda v: abs(v.taken_at - target), default=None)
    tolerance = timedelta(minutes=int((setup.values or {}).get("vitals_tolerance_min", 0)))
    if near_40 is not None and abs(near_40.taken_at - target) > tolerance:
        near_40 = None
    after = [o for o in session.observations.all() if not o.pre_dose]
    events = list(session.adverse_events.all())
    earlier = DoseAdministration.objects.filter(
        session__patient=patient, session__course__drug=session.course.drug
    ).exclude(pk=dose.pk)
    first = not earlier.filter(started_at__lt=dose.started_at).exists()
    provider = session.prescriber_on_site or session.discharged_by
    medications = {
        _MEDICATION_CATEGORY[m.drug_class]
        for m in patient.medications.filter(superseded_by__isnull=True, stopped_on__isnull=True)
        if m.drug_class in _MEDICATION_CATEGORY
    }
    data = RemsFormData(
        patient_first_name=patient.given_name,
        patient_last_name=patient.family_name,
        patient_birthdate=patient.date_of_birth,
        patient_sex=patient.sex,
        first_treatment=first,
        patient_enrolled=patient.rems_enrollments.exists() if first else None,
        concomitant_medications=frozenset(medications),
        monitoring_provider_name=provider.get_full_name() if provider else None,
        monitoring_provider_phone=None,  # not held in the record; staff complete it
        monitoring_provider_email=(provider.email or None) if provider else None,
        setting_name=session.clinic.name,
        setting_address=session.clinic.address or None,
        treatment_date=dose.started_at.date(),
        dose_mg=Decimal(dose.dose_mg),
        lot_number=dose.lot_number,
        first_device_at=dose.started_at,
        monitoring_completed_at=completed_at,
        ready_to_leave_without_minimum_min=ready_min,
        vitals_acceptable_before_administration=not pre[-1].alerts if pre else None,
        vitals_acceptable_before_completion=not post[-1].alerts if post else None,
        bp_before_administration=_bp(pre[-1] if pre else None),
        bp_40_min_after_administration=_bp(near_40),
        bp_before_completion=_bp(post[-1] if post else None),
        sedation=any(o.sedation_present for o in after if o.scale == "moaas")
        or any(e.event_type in {"sedation", "loss_of_consciousness"} for e in events),
        dissociation=any(o.total > 0 for o in after if o.scale == "cadss")
        or any(e.event_type == "dissociation" for e in events),
        respiratory_depression=any(e.event_type in _RESPIRATORY for e in events),
    )
    if staff:
        data = replace(data, **staff)
    answers = {name: _jsonable(getattr(data, name)) for name in RemsFormData.__slots__}
    try:
        form = build_rems_monitoring_form(data)
    except InvalidClinicalInput as exc:
        if exc.code != "rems_form_incomplete":
            raise
        return {"answers": answers, "complete": False, "missing": exc.details["missing"]}
    return {
        "answers": answers,
        "complete": True,
        "missing": [],
        "dose_category": form.dose_category.value,
        "treatment_duration_min": form.treatment_duration_min,
    }
