"""What a session step needs from the database, mapped for the core: the protocol version
with the clinic's policy (``Setup``), today's clearance facts, the discharge facts and a few
small look-ups. Shared by services (writes) and selectors (the session's current blockers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ketacare.clinical.dosing.dose import DosingPolicy
from ketacare.clinical.dosing.protocols import Protocol
from ketacare.clinical.eligibility.verdict import Verdict
from ketacare.clinical.errors import require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.session.checks import ClearanceContext
from ketacare.clinical.session.discharge import DischargeContext
from ketacare.clinical.session.monitoring import assess_dissociation
from ketacare.clinical.session.policy import SessionPolicy
from ketacare.clinical.session.types import CareSetting
from ketacare.consent.selectors import consent_status_for
from ketacare.evaluation.selectors import latest_evaluation, outstanding_acknowledgments
from ketacare.patients.models import Patient
from ketacare.protocols.mappers import (
    dosing_policy_from,
    session_drug,
    session_policy_for,
    session_route,
)
from ketacare.protocols.models import ProtocolVersion
from ketacare.protocols.selectors import get_clinic_policy_values, protocol_of
from ketacare.treatment.mappers import all_vitals, to_clearance_context
from ketacare.treatment.models import DoseAdministration, RemsPatientEnrollment, TreatmentSession


def eligibility_gate(patient: Patient) -> GateDecision:
    """The course-ordering gate from the patient's latest stored eligibility verdict (the
    evaluation app stores the core's verdict and reasons; this maps them back to findings).

    - no evaluation: ``eligibility_not_evaluated`` (not overridable: evaluate first);
    - ``not_eligible``: ``not_eligible`` listing the core's reasons (a prescriber may
      override with a reason, as the issue requires);
    - ``needs_review``: ``eligibility_needs_review`` (overridable);
    - cautions still to acknowledge: ``cautions_not_acknowledged`` (not overridable here:
      the prescriber acknowledges them in the evaluation, with a reason).
    """
    evaluation = latest_evaluation(patient)
    if evaluation is None:
        return GateDecision(
            blockers=(
                Finding(
                    "eligibility_not_evaluated",
                    "The patient has no eligibility evaluation; evaluate before ordering.",
                    overridable=False,
                ),
            )
        )
    reasons = "; ".join(r.get("message", r.get("code", "")) for r in evaluation.reasons)
    blockers: list[Finding] = []
    data = (
        ("evaluation_id", evaluation.pk),
        ("reasons", tuple(r["code"] for r in evaluation.reasons)),
    )
    if evaluation.verdict == Verdict.NOT_ELIGIBLE:
        blockers.append(
            Finding("not_eligible", f"The latest evaluation is not eligible: {reasons}", data=data)
        )
    elif evaluation.verdict == Verdict.NEEDS_REVIEW:
        blockers.append(
            Finding(
                "eligibility_needs_review",
                f"The latest evaluation needs clinical review: {reasons}",
                data=data,
            )
        )
    outstanding = outstanding_acknowledgments(evaluation)
    if outstanding:
        blockers.append(
            Finding(
                "cautions_not_acknowledged",
                "Acknowledge the evaluation's cautions first: " + ", ".join(outstanding) + ".",
                overridable=False,
                data=(("codes", tuple(outstanding)),),
            )
        )
    return GateDecision(tuple(blockers))


def rems_enrolled(patient: Patient, as_of: datetime) -> bool:
    return RemsPatientEnrollment.objects.filter(patient=patient, enrolled_at__lte=as_of).exists()


@dataclass(frozen=True, slots=True)
class Setup:
    protocol: Protocol
    values: dict[str, Any] | None
    setting: CareSetting

    @property
    def dosing(self) -> DosingPolicy:
        return dosing_policy_from(self.values)

    @property
    def session(self) -> SessionPolicy:
        return session_policy_for(self.values, self.protocol)


def setup_for(version: ProtocolVersion) -> Setup:
    values = get_clinic_policy_values(version.clinic_id)
    setting = CareSetting((values or {}).get("care_setting", CareSetting.OUTPATIENT.value))
    return Setup(protocol_of(version), values, setting)


def consent_for(patient: Patient, protocol: Protocol, now: datetime) -> tuple[bool, str | None]:
    status = consent_status_for(patient, protocol.route.value, as_of=now)
    return status.valid, status.code


def clearance_for(session: TreatmentSession, setup: Setup, now: datetime) -> ClearanceContext:
    valid, code = consent_for(session.patient, setup.protocol, now)
    return to_clearance_context(
        session,
        setup.protocol,
        setting=setup.setting,
        consent_valid=valid,
        consent_code=code,
        rems_patient_enrolled=rems_enrolled(session.patient, now),
        rems_setting_certified=session.clinic.rems_certified,
    )


def age_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def first_dose_of_drug(patient: Patient, protocol: Protocol) -> bool:
    return not DoseAdministration.objects.filter(
        session__patient=patient, session__course__drug=protocol.drug.value
    ).exists()


def predose_moaas(session: TreatmentSession) -> int | None:
    rows = [o for o in session.observations.all() if o.scale == "moaas" and o.pre_dose]
    return rows[-1].total if rows else None


def discharge_context(session: TreatmentSession, setup: Setup, *, clinician_ready: bool):
    """The core's discharge facts for ``session`` (raises when the dose or the pre-dose
    MOAA/S baseline is missing)."""
    dose = DoseAdministration.objects.filter(session=session).first()
    require(dose is not None, "dose_missing", "No dose is recorded for this session.")
    baseline = predose_moaas(session)
    require(
        baseline is not None,
        "moaas_predose_missing",
        "Record a pre-dose MOAA/S rating; sedation is judged against it.",
    )
    after = [o for o in session.observations.all() if not o.pre_dose]
    moaas = [o for o in after if o.scale == "moaas"]
    cadss = [o for o in after if o.scale == "cadss"]
    dissociation = None
    if cadss:
        cutoff = (setup.values or {}).get("cadss_resolved_max_total")
        dissociation = assess_dissociation(
            cadss[-1].total,
            clinician_recorded_resolved=bool(cadss[-1].dissociation_resolved),
            resolved_max_total=cutoff,
        )
    return DischargeContext(
        drug=session_drug(setup.protocol.drug),
        route=session_route(setup.protocol.route),
        setting=setup.setting,
        first_dose_at=dose.started_at,
        vitals=all_vitals(session),
        moaas_predose=baseline,
        moaas_latest=moaas[-1].total if moaas else None,
        dissociation=dissociation,
        clinician_ready=clinician_ready,
    )
