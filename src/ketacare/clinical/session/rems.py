"""The SPRAVATO REMS Patient Monitoring Form data set, and its 7-day submission deadline.

Implements
- ``build_rems_monitoring_form(data)``: checks that every required field of the outpatient
  Patient Monitoring Form (S5, form ©11/2021 and the 2024-2025 manufacturer walkthrough) is
  present and consistent, computes the derived fields (dose category 56/84/other, treatment
  duration in minutes from the first device to completion of monitoring) and returns a frozen
  ``RemsMonitoringForm``. All missing fields are reported at once.
- ``rems_form_overdue``: the outpatient setting must submit a form "within 7 days" of every
  dose (S6b). KetaCare counts the 7 days from the time passed in (the service passes the
  session completion; pass the dose time for the strictest reading); exactly 7 days is on
  time, one second later is overdue.

Deliberately not done: submission to the REMS (the service exports the data set);
inpatient settings submit no form (S6); the tail of the form after the sedation and
dissociation questions was not retrieved, so respiratory depression ([V*], walkthrough) is an
optional field; the form records what happened and never blocks a discharge (that is
``discharge.assess_discharge_readiness``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.session.references import (
    SPRAVATO_REMS_MONITORING_FORM,
    SPRAVATO_REMS_OUTPATIENT_ENROLLMENT,
)
from ketacare.clinical.session.types import require_aware
from ketacare.clinical.sources import cited

# S6b: submit a monitoring form within 7 days of every dose.
REMS_MONITORING_FORM_DUE_DAYS = cited(
    "REMS_MONITORING_FORM_DUE_DAYS", 7, "days", SPRAVATO_REMS_OUTPATIENT_ENROLLMENT
)
# S5: the form's dose check boxes are 56 mg, 84 mg and "other".
REMS_FORM_DOSE_56_MG = cited(
    "REMS_FORM_DOSE_56_MG", Decimal("56"), "mg", SPRAVATO_REMS_MONITORING_FORM
)
REMS_FORM_DOSE_84_MG = cited(
    "REMS_FORM_DOSE_84_MG", Decimal("84"), "mg", SPRAVATO_REMS_MONITORING_FORM
)


class ConcomitantMedicationCategory(StrEnum):
    """Medication classes the form asks about (2021 form; opioids from the walkthrough, [V*])."""

    BENZODIAZEPINES = "benzodiazepines"
    NON_BENZODIAZEPINE_SEDATIVE_HYPNOTICS = "non_benzodiazepine_sedative_hypnotics"
    PSYCHOSTIMULANTS = "psychostimulants"
    MAOIS = "maois"
    OPIOIDS = "opioids"


class RemsDoseCategory(StrEnum):
    MG_56 = "56_mg"
    MG_84 = "84_mg"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class BloodPressure:
    systolic_mmhg: int
    diastolic_mmhg: int

    def __post_init__(self) -> None:
        # Input sanity only (same wide limits as session.vitals), not clinical thresholds.
        require(
            isinstance(self.systolic_mmhg, int)
            and isinstance(self.diastolic_mmhg, int)
            and 30 <= self.systolic_mmhg <= 300
            and 10 <= self.diastolic_mmhg <= 250
            and self.systolic_mmhg > self.diastolic_mmhg,
            "vitals_implausible",
            "Blood pressure must be two whole numbers with systolic above diastolic.",
            field="blood_pressure",
        )


@dataclass(frozen=True, slots=True)
class RemsFormData:
    """Raw answers for the form, any of which may still be missing (None)."""

    patient_first_name: str | None = None
    patient_middle_initial: str | None = None  # optional on the form
    patient_last_name: str | None = None
    patient_birthdate: date | None = None
    patient_sex: str | None = None
    first_treatment: bool | None = None
    patient_enrolled: bool | None = None  # required when first_treatment
    concomitant_medications: frozenset[ConcomitantMedicationCategory] | None = None  # empty = none
    monitoring_provider_name: str | None = None
    monitoring_provider_phone: str | None = None
    monitoring_provider_email: str | None = None
    setting_name: str | None = None
    setting_address: str | None = None
    treatment_date: date | None = None
    dose_mg: Decimal | None = None
    lot_number: str | None = None
    first_device_at: datetime | None = None
    monitoring_completed_at: datetime | None = None
    ready_to_leave_without_minimum_min: int | None = None
    vitals_acceptable_before_administration: bool | None = None
    vitals_acceptable_before_completion: bool | None = None
    bp_before_administration: BloodPressure | None = None
    bp_40_min_after_administration: BloodPressure | None = None
    bp_before_completion: BloodPressure | None = None
    sedation: bool | None = None
    dissociation: bool | None = None
    respiratory_depression: bool | None = None  # [V*] walkthrough; optional


_OPTIONAL = frozenset({"patient_middle_initial", "patient_enrolled", "respiratory_depression"})


@dataclass(frozen=True, slots=True)
class RemsMonitoringForm:
    """The complete, validated data set of one Patient Monitoring Form."""

    patient_first_name: str
    patient_middle_initial: str | None
    patient_last_name: str
    patient_birthdate: date
    patient_sex: str
    first_treatment: bool
    patient_enrolled: bool | None
    concomitant_medications: frozenset[ConcomitantMedicationCategory]
    monitoring_provider_name: str
    monitoring_provider_phone: str
    monitoring_provider_email: str
    setting_name: str
    setting_address: str
    treatment_date: date
    dose_category: RemsDoseCategory
    dose_mg: Decimal
    lot_number: str
    treatment_duration_min: int  # first device administration -> completion of monitoring
    ready_to_leave_without_minimum_min: int  # minutes from start of administration
    vitals_acceptable_before_administration: bool
    vitals_acceptable_before_completion: bool
    bp_before_administration: BloodPressure
    bp_40_min_after_administration: BloodPressure
    bp_before_completion: BloodPressure
    sedation: bool
    dissociation: bool
    respiratory_depression: bool | None


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def build_rems_monitoring_form(data: RemsFormData) -> RemsMonitoringForm:
    """Validate the answers and return the form; raises ``rems_form_incomplete`` listing
    every missing field, or ``rems_form_invalid`` for inconsistent answers."""
    require(isinstance(data, RemsFormData), "invalid_value", "Form answers are required.")
    missing = [
        f.name
        for f in fields(RemsFormData)
        if f.name not in _OPTIONAL and _is_missing(getattr(data, f.name))
    ]
    if data.first_treatment is True and data.patient_enrolled is None:
        missing.append("patient_enrolled")
    if missing:
        raise InvalidClinicalInput(
            "rems_form_incomplete",
            "The REMS monitoring form is missing: " + ", ".join(missing) + ".",
            {"missing": missing},
        )
    first_device_at = data.first_device_at
    completed_at = data.monitoring_completed_at
    dose_mg = data.dose_mg
    if first_device_at is None or completed_at is None or dose_mg is None:  # pragma: no cover
        raise AssertionError("required fields were checked above")
    require_aware(first_device_at, "first_device_at")
    require_aware(completed_at, "monitoring_completed_at")
    require(
        completed_at > first_device_at,
        "rems_form_invalid",
        "Completion of monitoring must be after the first device.",
        field="monitoring_completed_at",
    )
    require(
        isinstance(dose_mg, Decimal) and dose_mg.is_finite() and dose_mg > 0,
        "rems_form_invalid",
        "dose_mg must be a positive Decimal number of milligrams.",
        field="dose_mg",
    )
    ready = data.ready_to_leave_without_minimum_min
    require(
        isinstance(ready, int) and not isinstance(ready, bool) and ready >= 0,
        "rems_form_invalid",
        "ready_to_leave_without_minimum_min must be a whole number of minutes.",
        field="ready_to_leave_without_minimum_min",
    )
    require(
        all(
            isinstance(m, ConcomitantMedicationCategory) for m in data.concomitant_medications or ()
        ),
        "rems_form_invalid",
        "Concomitant medications must be categories listed on the form.",
        field="concomitant_medications",
    )
    if dose_mg == REMS_FORM_DOSE_56_MG:
        category = RemsDoseCategory.MG_56
    elif dose_mg == REMS_FORM_DOSE_84_MG:
        category = RemsDoseCategory.MG_84
    else:
        category = RemsDoseCategory.OTHER
    duration = completed_at - first_device_at
    values = {
        f.name: getattr(data, f.name)
        for f in fields(RemsFormData)
        if f.name not in {"first_device_at", "monitoring_completed_at"}
    }
    values["dose_category"] = category
    values["treatment_duration_min"] = int(duration.total_seconds() // 60)
    values["concomitant_medications"] = frozenset(data.concomitant_medications or ())
    return RemsMonitoringForm(**values)


def rems_form_due_at(session_completed_at: datetime) -> datetime:
    """The submission deadline: 7 days after ``session_completed_at`` (S6b)."""
    require_aware(session_completed_at, "session_completed_at")
    return session_completed_at + timedelta(days=REMS_MONITORING_FORM_DUE_DAYS)


def rems_form_overdue(
    session_completed_at: datetime, submitted_at: datetime | None, as_of: datetime
) -> bool:
    """True when the form was not submitted within 7 days: unsubmitted past the deadline at
    ``as_of``, or submitted after the deadline. Exactly 7 days is on time."""
    due_at = rems_form_due_at(session_completed_at)
    require_aware(as_of, "as_of")
    if submitted_at is not None:
        require_aware(submitted_at, "submitted_at")
        require(
            submitted_at >= session_completed_at and submitted_at <= as_of,
            "rems_form_invalid",
            "The submission time must lie between the session and now.",
            field="submitted_at",
        )
        return submitted_at > due_at
    return as_of > due_at
