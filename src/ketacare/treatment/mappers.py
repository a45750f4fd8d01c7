"""Rows of the treatment app as the core's session and dosing types."""

from __future__ import annotations

from decimal import Decimal

from ketacare.clinical.dosing.dose import DatedWeight, PastDose
from ketacare.clinical.dosing.protocols import Protocol, WeightBasis
from ketacare.clinical.session.checks import ClearanceContext
from ketacare.clinical.session.types import CareSetting
from ketacare.clinical.session.vitals import Vitals
from ketacare.patients.models import WeightMeasurement
from ketacare.protocols.mappers import session_drug, session_route
from ketacare.treatment.models import (
    DoseAdministration,
    TreatmentSession,
    VitalsPhase,
    VitalsReading,
)
from ketacare.treatment.selectors import current_vitals


def to_vitals(row: VitalsReading) -> Vitals:
    return Vitals(
        systolic_mmhg=row.systolic_mmhg,
        diastolic_mmhg=row.diastolic_mmhg,
        heart_rate_bpm=row.heart_rate_bpm,
        spo2_percent=row.spo2_percent,
        respiratory_rate_per_min=row.respiratory_rate_per_min,
        taken_at=row.taken_at,
    )


def predose_vitals(session: TreatmentSession) -> tuple[Vitals, ...]:
    return tuple(to_vitals(v) for v in current_vitals(session) if v.phase == VitalsPhase.PRE_DOSE)


def all_vitals(session: TreatmentSession) -> tuple[Vitals, ...]:
    return tuple(to_vitals(v) for v in current_vitals(session))


def to_clearance_context(
    session: TreatmentSession,
    protocol: Protocol,
    *,
    setting: CareSetting,
    consent_valid: bool,
    consent_code: str | None,
    rems_patient_enrolled: bool,
    rems_setting_certified: bool,
) -> ClearanceContext:
    return ClearanceContext(
        drug=session_drug(protocol.drug),
        route=session_route(protocol.route),
        setting=setting,
        consent_valid=consent_valid,
        consent_code=consent_code,
        predose_vitals=predose_vitals(session),
        phq9_item9_positive_today=session.phq9_item9_positive_today,
        cssrs_high_risk_today=session.cssrs_high_risk_today,
        safety_assessment_documented=bool(session.safety_assessment.strip()),
        npo_instructions_confirmed=session.npo_confirmed,
        ride_home_confirmed=bool(session.ride_home.strip()),
        rems_patient_enrolled=rems_patient_enrolled,
        rems_setting_certified=rems_setting_certified,
        last_food_at=session.last_food_at,
        last_liquids_at=session.last_liquids_at,
    )


def to_ordering_clearance(
    protocol: Protocol,
    *,
    setting: CareSetting,
    rems_patient_enrolled: bool,
    rems_setting_certified: bool,
) -> ClearanceContext:
    """Clearance facts for ordering a course, where only the REMS findings are used: the
    day-of-session facts (vitals, fasting, ride home) are not known yet and their findings
    are discarded by the caller; consent is judged by the consent gate itself."""
    return ClearanceContext(
        drug=session_drug(protocol.drug),
        route=session_route(protocol.route),
        setting=setting,
        consent_valid=True,
        consent_code=None,
        predose_vitals=(),
        phq9_item9_positive_today=False,
        cssrs_high_risk_today=False,
        safety_assessment_documented=False,
        npo_instructions_confirmed=False,
        ride_home_confirmed=False,
        rems_patient_enrolled=rems_patient_enrolled,
        rems_setting_certified=rems_setting_certified,
    )


def to_dated_weight(row: WeightMeasurement, basis: WeightBasis) -> DatedWeight:
    # The patient record stores measured (actual) body weight; a protocol dosing on ideal or
    # adjusted weight is refused by the core (``weight_basis_mismatch``) rather than guessed.
    del basis
    return DatedWeight(weight_kg=Decimal(row.weight_kg), measured_at=row.measured_at)


def to_past_doses(rows: list[DoseAdministration]) -> tuple[PastDose, ...]:
    return tuple(PastDose(administered_at=r.started_at, dose_mg=Decimal(r.dose_mg)) for r in rows)
