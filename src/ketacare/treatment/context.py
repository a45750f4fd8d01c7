"""What a session step needs from the database, mapped for the core: the protocol version
with the clinic's policy (``Setup``), today's clearance facts, the discharge facts and a few
small look-ups. Shared by services (writes) and selectors (the session's current blockers).

Same-day suicide-risk screening (rules 22-23) comes from two places: the flags typed at
check-in, and the measures app's record of the patient's assessments taken today (the
clinic's local calendar day, ``TIME_ZONE``) plus any still-open suicide-risk safety alert.
A positive PHQ-9 item 9 or QIDS-SR16 item 12 (rule 22 treats them alike) sets the core's
``phq9_item9_positive_today``; a C-SSRS high-risk result sets ``cssrs_high_risk_today``. The
gate is satisfied only by a ``proceed`` safety assessment recorded for this session the same
day and no earlier than the latest positive screen (a screen after the assessment needs a new
one)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from ketacare.clinical.dosing.dose import DosingPolicy
from ketacare.clinical.dosing.protocols import Protocol
from ketacare.clinical.eligibility.verdict import Verdict
from ketacare.clinical.errors import require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.outcomes.definitions import (
    FLAG_CSSRS_HIGH_RISK,
    FLAG_PHQ9_ITEM9_POSITIVE,
    FLAG_QIDS_ITEM12_POSITIVE,
)
from ketacare.clinical.session.checks import ClearanceContext
from ketacare.clinical.session.discharge import DischargeContext
from ketacare.clinical.session.monitoring import assess_dissociation
from ketacare.clinical.session.policy import SessionPolicy
from ketacare.clinical.session.types import CareSetting
from ketacare.consent.selectors import consent_status_for
from ketacare.evaluation.selectors import latest_evaluation, outstanding_acknowledgments
from ketacare.measures.selectors import list_patient_alerts, patient_assessments
from ketacare.patients.models import Patient
from ketacare.protocols.mappers import (
    dosing_policy_from,
    protocol_for_version,
    session_drug,
    session_policy_for,
    session_route,
)
from ketacare.protocols.models import ProtocolVersion
from ketacare.protocols.selectors import get_clinic_policy_values
from ketacare.treatment.mappers import all_vitals, to_clearance_context
from ketacare.treatment.models import (
    DoseAdministration,
    RemsPatientEnrollment,
    SafetyAssessment,
    SafetyAssessmentOutcome,
    TreatmentSession,
)

_SUICIDE_RISK_FLAGS = (FLAG_PHQ9_ITEM9_POSITIVE, FLAG_QIDS_ITEM12_POSITIVE, FLAG_CSSRS_HIGH_RISK)


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
    """The version's protocol under the clinic's policy; the policy row is read once (the
    protocol's observation minimum and the session thresholds come from the same values)."""
    values = get_clinic_policy_values(version.clinic_id)
    setting = CareSetting((values or {}).get("care_setting", CareSetting.OUTPATIENT.value))
    return Setup(protocol_for_version(version.id, version.parameters, values), values, setting)


def consent_for(patient: Patient, protocol: Protocol, now: datetime) -> tuple[bool, str | None]:
    status = consent_status_for(patient, protocol.route.value, as_of=now)
    return status.valid, status.code


def start_of_clinic_day(now: datetime) -> datetime:
    """Midnight of ``now``'s date on the clinic's calendar (``TIME_ZONE``), as an aware time."""
    local = timezone.localtime(now)
    return datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)


@dataclass(frozen=True, slots=True)
class SameDayScreening:
    """The patient's suicide-risk screening on the clinic day of ``now`` (see module doc)."""

    phq9_item9_positive: bool
    qids_item12_positive: bool
    cssrs_high_risk: bool
    open_alert_codes: tuple[str, ...]
    latest_positive_at: datetime | None  # the latest positive screen (assessment or alert)
    assessment_ids: tuple[int, ...]  # today's positive assessments

    @property
    def positive(self) -> bool:
        return self.phq9_item9_positive or self.qids_item12_positive or self.cssrs_high_risk

    def as_dict(self) -> dict[str, Any]:
        return {
            "phq9_item9_positive": self.phq9_item9_positive,
            "qids_item12_positive": self.qids_item12_positive,
            "cssrs_high_risk": self.cssrs_high_risk,
            "open_alert_codes": list(self.open_alert_codes),
            "latest_positive_at": self.latest_positive_at,
            "assessment_ids": list(self.assessment_ids),
        }


def same_day_screening(patient: Patient, now: datetime) -> SameDayScreening:
    """Today's positive self-reports and open suicide-risk alerts from the measures app (no
    audit: callers have accessed the session)."""
    day_start = start_of_clinic_day(now)
    today = [a for a in patient_assessments(patient, as_of=now) if a.taken_at >= day_start]
    positive = [a for a in today if set(a.flags) & set(_SUICIDE_RISK_FLAGS)]
    alerts = [
        a
        for a in list_patient_alerts(patient)
        if a.status == "open"
        and a.created_at <= now
        and (a.code in _SUICIDE_RISK_FLAGS or a.requires_safety_assessment_before_session)
    ]
    flags = {f for a in positive for f in a.flags} | {a.code for a in alerts}
    times = [a.taken_at for a in positive] + [a.assessment.taken_at for a in alerts]
    return SameDayScreening(
        phq9_item9_positive=FLAG_PHQ9_ITEM9_POSITIVE in flags,
        qids_item12_positive=FLAG_QIDS_ITEM12_POSITIVE in flags,
        cssrs_high_risk=FLAG_CSSRS_HIGH_RISK in flags
        or any(a.requires_safety_assessment_before_session for a in alerts),
        open_alert_codes=tuple(sorted({a.code for a in alerts})),
        latest_positive_at=max(times, default=None),
        assessment_ids=tuple(a.pk for a in positive),
    )


def safety_assessment_documented(
    session: TreatmentSession, screening: SameDayScreening, now: datetime
) -> bool:
    """A ``proceed`` assessment for this session on today's clinic calendar, recorded no
    earlier than the latest positive screen."""
    day_start = start_of_clinic_day(now)
    for row in session.safety_assessments.all():
        if row.outcome != SafetyAssessmentOutcome.PROCEED:
            continue
        if not day_start <= row.assessed_at <= now:
            continue
        if screening.latest_positive_at is not None and row.assessed_at < (
            screening.latest_positive_at
        ):
            continue
        return True
    return False


def latest_safety_assessment(session: TreatmentSession) -> SafetyAssessment | None:
    rows = sorted(session.safety_assessments.all(), key=lambda r: (r.assessed_at, r.pk))
    return rows[-1] if rows else None


def clearance_for(session: TreatmentSession, setup: Setup, now: datetime) -> ClearanceContext:
    valid, code = consent_for(session.patient, setup.protocol, now)
    ctx = to_clearance_context(
        session,
        setup.protocol,
        setting=setup.setting,
        consent_valid=valid,
        consent_code=code,
        rems_patient_enrolled=rems_enrolled(session.patient, now),
        rems_setting_certified=session.clinic.rems_certified,
    )
    screening = same_day_screening(session.patient, now)
    # QIDS-SR16 item 12 is rule 22's equivalent of PHQ-9 item 9; the core has one flag for both.
    return replace(
        ctx,
        phq9_item9_positive_today=ctx.phq9_item9_positive_today
        or screening.phq9_item9_positive
        or screening.qids_item12_positive,
        cssrs_high_risk_today=ctx.cssrs_high_risk_today or screening.cssrs_high_risk,
        safety_assessment_documented=safety_assessment_documented(session, screening, now),
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


def dose_ended_at(dose: DoseAdministration) -> datetime:
    """When administration ended: the last esketamine device, the infusion's end, or the
    start (IM/SC/oral)."""
    from ketacare.clinical.session.policy import last_dose_time

    devices = tuple(datetime.fromisoformat(t) for t in (dose.device_times or []))
    return last_dose_time(dose.started_at, devices, dose.infusion_duration_min)


def observation_anchor_time(dose: DoseAdministration, setup: Setup) -> datetime:
    """Where the session's observation and post-dose checks count from (clinic's choice)."""
    from ketacare.clinical.session.policy import observation_start

    return observation_start(dose.started_at, dose_ended_at(dose), setup.session.observation_from)


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
        last_dose_at=dose_ended_at(dose),
        vitals=all_vitals(session),
        moaas_predose=baseline,
        moaas_latest=moaas[-1].total if moaas else None,
        dissociation=dissociation,
        clinician_ready=clinician_ready,
    )
