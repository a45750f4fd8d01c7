"""Reads for the chair-side pages (clinic-day board, run sheet, course ordering, chart panel).

They sit beside ``selectors`` (which the API shares) and add only what a page shows: the
board's rows for the whole clinic day in a fixed number of queries (no per-session or
per-patient look-ups, so the board costs the same for 10 sessions or 60), the run sheet's
vitals highlighting and dose preview, and the chart panel's courses. Every clinical judgement
still comes from ``ketacare.clinical`` (vitals due, minimum observation, dose computation,
proposed schedule, the core's limits); nothing here decides a gate.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ketacare.accounts.models import Role, User
from ketacare.accounts.permissions import Permission, has_permission, require_permission
from ketacare.audit.services import record_read
from ketacare.clinical.dosing.dose import compute_weight_based_dose
from ketacare.clinical.dosing.protocols import (
    ESKETAMINE_DEVICE_MG,
    FixedStepDose,
    Protocol,
    WeightBasedDose,
)
from ketacare.clinical.dosing.schedule import ScheduleParams, propose_schedule
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.session.discharge import minimum_observation_min
from ketacare.clinical.session.monitoring import esketamine_schedule, vitals_due
from ketacare.clinical.session.policy import SessionPolicy
from ketacare.clinical.session.states import SessionState
from ketacare.clinical.session.vitals import predose_bp_limits
from ketacare.compiled_reads import CompiledRead, Slot, slot
from ketacare.measures import schedule as measures_schedule
from ketacare.measures.models import Assessment
from ketacare.measures.selectors import open_alerts, schedule_rules
from ketacare.patients.models import Patient
from ketacare.patients.selectors import latest_weight
from ketacare.protocols.mappers import (
    dosing_policy_from,
    protocol_for_clinic,
    session_drug,
    session_policy_for,
    session_route,
)
from ketacare.protocols.models import ProtocolVersion
from ketacare.protocols.selectors import get_clinic_policy_values
from ketacare.treatment.context import age_years, start_of_clinic_day
from ketacare.treatment.mappers import to_dated_weight
from ketacare.treatment.models import (
    Course,
    DoseAdministration,
    ObservationScale,
    SessionObservation,
    TreatmentSession,
    VitalsPhase,
    VitalsReading,
)
from ketacare.treatment.selectors import (
    PendingRemsForm,
    courses_with_sessions,
    current_vitals,
    pending_rems_forms,
)

S = SessionState
IN_PROGRESS = (S.CHECKED_IN, S.CLEARED, S.DOSING, S.OBSERVATION)

# Which vital sign each core alert code is about (for highlighting the value itself).
ALERT_FIELDS = {
    "systolic_above_threshold": "systolic_mmhg",
    "diastolic_above_threshold": "diastolic_mmhg",
    "heart_rate_below_threshold": "heart_rate_bpm",
    "heart_rate_above_threshold": "heart_rate_bpm",
    "spo2_below_threshold": "spo2_percent",
    "respiratory_rate_below_threshold": "respiratory_rate_per_min",
    "respiratory_rate_above_threshold": "respiratory_rate_per_min",
}

STEP_LABELS = {
    S.CHECKED_IN: "Check in",
    S.CLEARED: "Clear for dosing",
    S.DOSING: "Give the dose",
    S.OBSERVATION: "Start observation",
    S.DISCHARGED: "Discharge",
    S.CANCELLED: "Cancel",
    S.ABORTED: "Abort",
}


# --- protocol and policy, once per page --------------------------------------------------------


@dataclass
class ClinicSetups:
    """The clinic's policy values (read once) and each protocol version's core ``Protocol``
    and ``SessionPolicy``, built on first use (no query per session)."""

    values: dict[str, Any] | None
    _cache: dict[int, tuple[Protocol, SessionPolicy | None, str]] = field(default_factory=dict)

    def for_version(self, version: ProtocolVersion) -> tuple[Protocol, SessionPolicy | None, str]:
        """(protocol, session policy or None when the clinic has set none, problem text)."""
        if version.pk not in self._cache:
            protocol = protocol_for_clinic(version.parameters, self.values)
            try:
                policy: SessionPolicy | None = session_policy_for(self.values, protocol)
                problem = ""
            except InvalidClinicalInput as exc:
                policy, problem = None, exc.message
            self._cache[version.pk] = (protocol, policy, problem)
        return self._cache[version.pk]


def clinic_setups(clinic_id: int) -> ClinicSetups:
    return ClinicSetups(get_clinic_policy_values(clinic_id))


def _monitoring_schedule(protocol: Protocol, policy: SessionPolicy):
    route = session_route(protocol.route)
    if protocol.device_interval_min is not None:
        return esketamine_schedule(tolerance_min=policy.vitals_tolerance_min)
    return policy.schedule_for(route)


def _dose(session: TreatmentSession) -> DoseAdministration | None:
    try:
        return session.dose
    except DoseAdministration.DoesNotExist:
        return None


# --- observation timer and vitals due ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObservationTimer:
    minimum_min: int
    ends_at: datetime
    remaining_min: int  # whole minutes left, rounded up; 0 when complete

    @property
    def complete(self) -> bool:
        return self.remaining_min == 0


def _post_dose_start(dose: DoseAdministration, policy: SessionPolicy) -> datetime:
    from ketacare.clinical.session.policy import observation_start
    from ketacare.treatment.context import dose_ended_at

    return observation_start(dose.started_at, dose_ended_at(dose), policy.observation_from)


def observation_timer(
    protocol: Protocol, policy: SessionPolicy | None, dose: DoseAdministration | None, now: datetime
) -> ObservationTimer | None:
    """The minimum observation from where the clinic counts it (the last device or the end of
    the infusion by default, else the first device; the core's minimum for the drug and
    route); None before the dose or when the clinic set no minimum."""
    if dose is None or policy is None:
        return None
    try:
        minimum = minimum_observation_min(
            session_drug(protocol.drug), session_route(protocol.route), policy
        )
    except InvalidClinicalInput:
        return None
    ends = _post_dose_start(dose, policy) + timedelta(minutes=minimum)
    seconds = max(0.0, (ends - now).total_seconds())
    return ObservationTimer(minimum, ends, int(-(-seconds // 60)))


def checks_due(
    protocol: Protocol,
    policy: SessionPolicy | None,
    dose: DoseAdministration | None,
    readings_taken_at: list[datetime],
    now: datetime,
):
    """The core's scheduled vital-sign checks since the dose (None when none apply)."""
    if dose is None or policy is None:
        return None
    schedule = _monitoring_schedule(protocol, policy)
    if schedule is None:
        return None
    start = (
        _post_dose_start(dose, policy)
        if protocol.device_interval_min is not None  # esketamine: "after administration"
        else dose.started_at
    )
    return vitals_due(
        session_route(protocol.route),
        start,
        readings_taken_at,
        schedule,
        now,
    )


# --- the clinic-day board ----------------------------------------------------------------------


@dataclass
class BoardRow:
    session: TreatmentSession
    patient: Patient
    state_label: str
    next_step: str
    next_check: Any = None  # ScheduledCheck
    overdue_checks: int = 0
    timer: ObservationTimer | None = None
    alerts: list[Any] = field(default_factory=list)
    assessments_due: list[Any] = field(default_factory=list)
    rems_pending: PendingRemsForm | None = None
    problem: str = ""
    text: Any = None  # the row's link and labels as shown (treatment.presenters.BoardRowText)
    html: str = ""  # the row's <tr> as shown (treatment.presenters.row_html)

    @property
    def changes_key(self) -> str:
        """A short fingerprint of what the team watches on this row (state, next step, vitals
        checks due and overdue, observation complete, alerts, assessments and the REMS form).
        The board's page compares it between refreshes to mark the rows that changed
        (``treatment/static/treatment/board.js``); the minutes ticking down are not a change."""
        check = self.next_check
        watched = (
            self.session.state,
            self.next_step,
            (check.minutes_after_start, str(check.status)) if check else None,
            self.overdue_checks,
            self.timer.complete if self.timer else None,
            tuple(sorted(a.pk for a in self.alerts)),
            tuple(sorted(str(d.instrument) for d in self.assessments_due)),
            (self.rems_pending.complete, self.rems_pending.overdue) if self.rems_pending else None,
            self.problem,
        )
        return hashlib.blake2s(repr(watched).encode(), digest_size=6).hexdigest()

    @property
    def overdue(self) -> bool:
        """A vitals check or the REMS form is late: the row says so in words."""
        return bool(self.overdue_checks) or bool(self.rems_pending and self.rems_pending.overdue)


@dataclass
class Board:
    day: datetime
    rows: list[BoardRow]
    alerts: list[Any]
    can_see_alerts: bool
    rems_forms: list[PendingRemsForm]
    assessments_due: list[tuple[Patient, list[Any]]]
    # False for front desk: appointments and check-in state only (no timers, vitals checks,
    # assessments due or REMS paperwork: those need VIEW_TREATMENT).
    clinical: bool = True
    due_items: list[str] = field(default_factory=list)  # treatment.presenters.due_item each

    @property
    def chairs(self) -> list[tuple[str, list[BoardRow]]]:
        grouped: dict[str, list[BoardRow]] = defaultdict(list)
        for row in self.rows:
            grouped[row.session.chair or "No chair assigned"].append(row)
        return sorted(grouped.items(), key=lambda item: (item[0] == "No chair assigned", item[0]))


def _next_step(session: TreatmentSession, pre_dose_vitals: bool, pre_dose_moaas: bool) -> str:
    """What the chair-side team does next, from the state and what is recorded (the gates
    themselves run on the run sheet)."""
    state = S(session.state)
    if state is S.SCHEDULED:
        return "Check in"
    if state is S.CHECKED_IN:
        missing = []
        if not pre_dose_vitals:
            missing.append("pre-dose vitals")
        if not pre_dose_moaas:
            missing.append("pre-dose MOAA/S")
        return ("Record " + " and ".join(missing)) if missing else "Clear for dosing"
    if state is S.CLEARED:
        return "Give the dose"
    if state is S.DOSING:
        return "Record MOAA/S or CADSS after the dose (starts observation)"
    if state is S.OBSERVATION:
        return "Observe; discharge when ready"
    if state is S.DISCHARGED:
        return "Discharged"
    return session.end_reason or state.value.capitalize()


def _scheduled_at(name: str) -> Slot:
    return Slot(name, TreatmentSession._meta.get_field("scheduled_at"))


# The board's sessions (today's, and any still in progress), compiled to SQL once per
# connection (compiled_reads.py).
_BOARD_SESSIONS = CompiledRead(
    lambda: (
        TreatmentSession.objects.filter(clinic_id=slot(TreatmentSession, "clinic"))
        .filter(
            Q(scheduled_at__gte=_scheduled_at("start"), scheduled_at__lt=_scheduled_at("end"))
            | Q(state__in=[s.value for s in IN_PROGRESS])
        )
        .select_related("patient", "course", "course__protocol_version", "dose")
        .order_by("chair", "scheduled_at", "id")
    )
)


def clinic_day_board(actor: User, now: datetime) -> Board:
    """Today's sessions (and any still in progress) with what is due next, the observation
    timers, open safety alerts, assessments due and pending REMS forms. A fixed number of
    queries whatever the clinic's size; one read audit entry for the list. Without
    ``VIEW_TREATMENT`` (front desk) the board is the day's appointments and their states."""
    require_permission(actor, Permission.VIEW_PATIENT)
    clinical = has_permission(actor, Permission.VIEW_TREATMENT)
    day_start = start_of_clinic_day(now)
    sessions = _BOARD_SESSIONS.rows(
        clinic=actor.clinic_id, start=day_start, end=day_start + timedelta(days=1)
    )
    # The readings and ratings the board needs, as plain values (a board of 30 sessions has
    # a few hundred readings: model instances for them cost more than the query): each
    # session's reading times and whether it has pre-dose vitals and a pre-dose MOAA/S.
    ids = [s.pk for s in sessions]
    taken_at: dict[int, list[datetime]] = defaultdict(list)
    pre_dose_vitals: set[int] = set()
    for session_id, when, phase in (
        VitalsReading.objects.current()
        .filter(session_id__in=ids)
        .order_by("taken_at", "id")
        .values_list("session_id", "taken_at", "phase")
    ):
        taken_at[session_id].append(when)
        if phase == VitalsPhase.PRE_DOSE:
            pre_dose_vitals.add(session_id)
    pre_dose_moaas = set(
        SessionObservation.objects.filter(
            session_id__in=ids, scale=ObservationScale.MOAAS, pre_dose=True
        ).values_list("session_id", flat=True)
    )
    setups = clinic_setups(actor.clinic_id)
    can_see_alerts = has_permission(actor, Permission.ACKNOWLEDGE_ALERT)
    alerts = open_alerts(actor.clinic_id) if can_see_alerts else []
    alerts_by_patient: dict[int, list[Any]] = defaultdict(list)
    for alert in alerts:
        alerts_by_patient[alert.patient_id].append(alert)
    # One read entry for everything this request shows: sessions, pending REMS forms and
    # open safety alerts.
    rems_forms = pending_rems_forms(actor.clinic_id, now) if clinical else []
    shown = f"{len(sessions)} sessions, {len(rems_forms)} pending REMS forms"
    if can_see_alerts:
        shown += f", {len(alerts)} open safety alerts"
    record_read(
        actor=actor,
        target=("treatment.TreatmentSession", "board"),
        summary=f"clinic-day board: {shown}",
    )
    rems_by_session = {f.session_id: f for f in rems_forms}
    due_by_patient = (
        _assessments_due_for(actor.clinic_id, [s.patient for s in sessions], sessions, now)
        if clinical
        else {}
    )
    rows = []
    for session in sessions:
        dose = _dose(session)
        protocol, policy, problem = setups.for_version(session.course.protocol_version)
        row = BoardRow(
            session=session,
            patient=session.patient,
            state_label=session.get_state_display(),
            next_step=_next_step(
                session, session.pk in pre_dose_vitals, session.pk in pre_dose_moaas
            ),
            alerts=alerts_by_patient.get(session.patient_id, []),
            assessments_due=due_by_patient.get(session.patient_id, []),
            rems_pending=rems_by_session.get(session.pk),
            problem=problem if clinical else None,
        )
        if clinical and session.state in (S.DOSING, S.OBSERVATION):
            due = checks_due(protocol, policy, dose, taken_at[session.pk], now)
            if due is not None:
                row.next_check = due.next_due
                row.overdue_checks = len(due.overdue)
            row.timer = observation_timer(protocol, policy, dose, now)
        rows.append(row)
    patients = {s.patient_id: s.patient for s in sessions}
    return Board(
        day=day_start,
        rows=rows,
        alerts=alerts,
        can_see_alerts=can_see_alerts,
        rems_forms=rems_forms,
        assessments_due=[
            (patients[pid], due) for pid, due in sorted(due_by_patient.items()) if due
        ],
        clinical=clinical,
    )


def _assessments_due_for(
    clinic_id: int, patients: list[Patient], sessions: list[TreatmentSession], now: datetime
) -> dict[int, list[Any]]:
    """``measures.selectors.assessments_due`` for many patients at once: the same inputs to
    the same schedule rules, read with one query per kind instead of per patient."""
    ids = sorted({p.pk for p in patients})
    if not ids:
        return {}
    rules = schedule_rules(clinic_id)
    taken: dict[int, list[Any]] = defaultdict(list)
    for patient_id, instrument, context, when in Assessment.objects.filter(
        patient_id__in=ids, taken_at__lte=now
    ).values_list("patient_id", "instrument", "context", "taken_at"):
        taken[patient_id].append(measures_schedule.TakenAssessment(instrument, context, when))
    doses: dict[int, list[datetime]] = defaultdict(list)
    for patient_id, started in DoseAdministration.objects.filter(
        session__patient_id__in=ids
    ).values_list("session__patient_id", "started_at"):
        doses[patient_id].append(started)
    day_start = start_of_clinic_day(now)
    today: dict[int, list[datetime]] = defaultdict(list)
    for s in sessions:
        if s.state in ("scheduled", "checked_in", "cleared") and (
            day_start <= s.scheduled_at < day_start + timedelta(days=1)
        ):
            today[s.patient_id].append(timezone.localtime(s.scheduled_at))
    return {
        pid: measures_schedule.due_assessments(
            rules, taken[pid], doses[pid], sorted(today[pid]), as_of=now
        )
        for pid in ids
    }


# --- the run sheet -----------------------------------------------------------------------------


@dataclass
class VitalsRow:
    reading: VitalsReading
    flagged: dict[str, str]  # field -> the reason it is highlighted


def vitals_rows(session: TreatmentSession, protocol: Protocol, policy: SessionPolicy | None):
    """Each reading with the values outside the clinic's thresholds named: in-session alerts
    as the core recorded them, and pre-dose BP against the core's pre-dose limits."""
    limits = None
    if policy is not None:
        limits = predose_bp_limits(
            policy.vitals_thresholds, esketamine=protocol.device_interval_min is not None
        )
    rows = []
    for reading in current_vitals(session):
        flagged: dict[str, str] = {}
        for alert in reading.alerts:
            name = ALERT_FIELDS.get(alert.get("code", ""))
            if name:
                flagged[name] = alert.get("message", "outside the clinic's threshold")
        if limits is not None and reading.phase == "pre_dose":
            if reading.systolic_mmhg > limits.systolic_max_mmhg:
                flagged["systolic_mmhg"] = (
                    f"above the pre-dose limit of {limits.systolic_max_mmhg} mmHg"
                )
            if reading.diastolic_mmhg > limits.diastolic_max_mmhg:
                flagged["diastolic_mmhg"] = (
                    f"above the pre-dose limit of {limits.diastolic_max_mmhg} mmHg"
                )
        rows.append(VitalsRow(reading, flagged))
    return rows


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the chair-side team does next on the run sheet, in words, with the form it is
    done in (``anchor``, the section's id) and, for a due or overdue vital-sign check, the
    check itself (``check``: minutes after the dose, due time, status)."""

    label: str
    anchor: str = ""
    detail: str = ""
    urgent: bool = False
    check: dict[str, Any] | None = None


def _clock(when: datetime) -> str:
    return timezone.localtime(when).strftime("%H:%M")


def run_sheet_next_step(
    session: TreatmentSession,
    *,
    vitals_due: list[dict[str, Any]],
    blockers: list[dict[str, Any]],
    timer: ObservationTimer | None,
) -> NextStep:
    """The run sheet's one next step, from the state, what is recorded, the core's due
    vital-sign checks and what blocks the next transition (the gates run in the services;
    this only says which form comes next)."""
    state = S(session.state)
    readings = current_vitals(session)
    ratings = list(session.observations.all())
    if state is S.SCHEDULED:
        return NextStep("Check the patient in", "step-check-in")
    if state is S.CHECKED_IN:
        if not any(r.phase == VitalsPhase.PRE_DOSE for r in readings):
            return NextStep("Record the pre-dose vital signs", "step-vitals")
        if not any(o.scale == ObservationScale.MOAAS and o.pre_dose for o in ratings):
            return NextStep("Record the pre-dose MOAA/S (baseline)", "step-moaas")
        if blockers:
            return NextStep(
                "Resolve what blocks clearance",
                "blockers-region",
                f"{len(blockers)} item(s) stand before clearance for dosing.",
                urgent=True,
            )
        return NextStep("Clear for dosing", "step-clear")
    if state is S.CLEARED:
        return NextStep("Give the dose", "step-dose")
    if state in (S.DOSING, S.OBSERVATION):
        overdue = [c for c in vitals_due if c["status"] == "overdue"]
        due_now = [c for c in vitals_due if c["status"] == "due"]
        if overdue:
            c = overdue[0]
            return NextStep(
                f"Record the {c['minutes_after_start']}-minute vital signs: overdue",
                "step-vitals",
                f"Due at {_clock(c['due_at'])}.",
                urgent=True,
                check=c,
            )
        if due_now:
            c = due_now[0]
            return NextStep(
                f"Record the {c['minutes_after_start']}-minute vital signs now",
                "step-vitals",
                f"Due at {_clock(c['due_at'])}.",
                urgent=True,
                check=c,
            )
        if state is S.DOSING:
            return NextStep(
                "Record MOAA/S or CADSS after the dose (starts observation)", "step-moaas"
            )
        upcoming = next((c for c in vitals_due if c["status"] == "upcoming"), None)
        if timer is not None and timer.complete and not blockers:
            return NextStep("Discharge when the patient is ready", "step-discharge")
        detail = []
        if upcoming is not None:
            detail.append(
                f"Next reading: the {upcoming['minutes_after_start']}-minute one at "
                f"{_clock(upcoming['due_at'])}."
            )
        if timer is not None and not timer.complete:
            detail.append(f"Minimum observation ends at {_clock(timer.ends_at)}.")
        elif blockers:
            detail.append(f"{len(blockers)} item(s) stand before discharge.")
        return NextStep(
            "Observe the patient",
            "step-vitals" if upcoming is not None else "blockers-region",
            " ".join(detail),
            check=upcoming,
        )
    return NextStep("Nothing more: the session is closed")


def prescribers_on_duty(actor: User) -> list[User]:
    """Active prescribers of the actor's clinic (the "prescriber on site" choice)."""
    return list(
        User.objects.filter(clinic_id=actor.clinic_id, role=Role.PRESCRIBER, is_active=True)
        .only("id", "first_name", "last_name", "username")
        .order_by("last_name", "first_name", "id")
    )


@dataclass
class DosePreview:
    kind: str  # "weight" or "fixed"
    dose_mg: Decimal | None = None
    volume_ml: Decimal | None = None
    mg_per_kg: Decimal | None = None
    weight_kg: Decimal | None = None
    weight_measured_at: datetime | None = None
    rounding_note: str = ""
    devices: int | None = None
    device_mg: Decimal | None = None
    device_interval_min: int | None = None
    allowed_mg: tuple[Decimal, ...] = ()
    findings: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, str] | None = None
    limits: dict[str, Decimal | None] = field(default_factory=dict)


def dose_preview(
    *,
    patient: Patient,
    protocol: Protocol,
    values: dict[str, Any] | None,
    mg_per_kg: Decimal | None,
    dose_mg: Decimal | None,
    vial_concentration_mg_per_ml: Decimal | None,
    now: datetime,
) -> DosePreview:
    """What the dose would be for the patient's latest weight (weight-based protocols: the
    core's dose and volume, rounded down to the syringe step, with its soft-limit and ceiling
    findings) or the fixed dose and its devices. Nothing is written."""
    rule = protocol.dose_rule
    if isinstance(rule, WeightBasedDose):
        preview = DosePreview(
            kind="weight",
            mg_per_kg=mg_per_kg if mg_per_kg is not None else rule.default_mg_per_kg,
            limits={
                "default": rule.default_mg_per_kg,
                "soft_limit": rule.soft_limit_mg_per_kg,
                "ceiling": rule.ceiling_mg_per_kg,
                "minimum": rule.minimum_mg_per_kg,
            },
        )
        weight = latest_weight(patient)
        if weight is None:
            preview.error = {
                "code": "weight_missing",
                "message": "Record the patient's weight before a weight-based dose.",
            }
            return preview
        preview.weight_kg, preview.weight_measured_at = weight.weight_kg, weight.measured_at
        if vial_concentration_mg_per_ml is None:
            return preview
        try:
            plan = compute_weight_based_dose(
                protocol,
                to_dated_weight(weight, rule.weight_basis),
                preview.mg_per_kg,
                vial_concentration_mg_per_ml,
                as_of=now,
                policy=dosing_policy_from(values),
            )
        except InvalidClinicalInput as exc:
            preview.error = {"code": exc.code, "message": exc.message}
            return preview
        preview.dose_mg, preview.volume_ml = plan.dose_mg, plan.volume_ml
        preview.rounding_note = plan.rounding_note
        preview.findings = [f.as_dict() for f in plan.findings]
        return preview
    assert isinstance(rule, FixedStepDose)
    dose = dose_mg if dose_mg is not None else rule.start_dose_mg
    preview = DosePreview(
        kind="fixed",
        dose_mg=dose,
        allowed_mg=rule.steps_mg,
        device_interval_min=protocol.device_interval_min,
    )
    if dose is not None and protocol.device_interval_min is not None:
        preview.device_mg = ESKETAMINE_DEVICE_MG
        devices = Decimal(dose) / ESKETAMINE_DEVICE_MG
        if devices == devices.to_integral_value():
            preview.devices = int(devices)
    return preview


def schedule_preview(
    protocol: Protocol,
    start_at: datetime,
    *,
    sessions: int | None,
    sessions_per_week: int | None,
    open_phase_every_weeks: int,
):
    """The core's proposed schedule for the ordering form (raises ``InvalidClinicalInput``)."""
    return propose_schedule(
        protocol,
        timezone.localtime(start_at),
        ScheduleParams(
            sessions=sessions,
            sessions_per_week=sessions_per_week,
            open_phase_every_weeks=open_phase_every_weeks,
        ),
    )


PK_MODELS = {
    # (drug, route) -> the PK model the preview panel uses (docs/pk-validation.md).
    ("esketamine", "intranasal"): "perez_ruixo_2021",
    ("racemic_ketamine", "iv"): "kamp_2020",
}


def pk_preview_params(
    patient: Patient, protocol: Protocol, preview: DosePreview, now: datetime
) -> dict[str, Any] | None:
    """Query parameters for ``pharmacokinetics:preview`` (None when no model fits the route,
    or the dose or weight is not known yet)."""
    model = PK_MODELS.get((protocol.drug.value, protocol.route.value))
    if model is None or preview.error:
        return None
    weight = preview.weight_kg
    dose = preview.dose_mg
    if preview.kind == "weight" and dose is None and weight is not None and preview.mg_per_kg:
        dose = weight * preview.mg_per_kg  # the preview's curve before volume rounding
    if dose is None:
        return None
    if weight is None:
        row = latest_weight(patient)
        weight = row.weight_kg if row is not None else None
    if weight is None or patient.sex not in ("female", "male"):
        return None
    return {
        "model": model,
        "route": protocol.route.value,
        "dose_mg": str(dose),
        "duration_min": str(protocol.infusion_duration_min or 0),
        "weight_kg": str(weight),
        "age_years": str(age_years(patient.date_of_birth, timezone.localdate(now))),
        "sex": patient.sex,
    }


# --- the chart panel ---------------------------------------------------------------------------


def list_courses_for_chart(patient: Patient) -> list[Course]:
    """The patient's courses, newest first, each with its sessions and doses (no audit: the
    chart read the patient)."""
    return courses_with_sessions(patient)
