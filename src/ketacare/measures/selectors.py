"""Reads of measurement-based care: assessments, outcomes, alerts, maintenance timing, the
assessments due and the chart data. Access functions check permission and clinic, answer the
same ``NotFound`` for absent and not-yours, and audit the read (lists once per request).

Outcomes: stored assessments become the core's ``ScoreObservation`` (``mappers``) and doses
come from ``treatment.selectors.list_dose_events``; ``clinical.outcomes.assess_outcomes`` runs
with the clinic's ``OutcomePolicy`` (``protocols.selectors.get_outcome_policy``: the clinic's
remission cutoffs, response/relapse/worsening definitions, or the core's cited defaults).

Maintenance (``maintenance_for``), what is used and why:

- the doses are the treatment app's recorded doses;
- the end of the acute series is the last dose of the acute series, taken from the treatment
  record: for an esketamine course the last dose in course weeks 1-4 (induction, label S2/S3);
  otherwise the last dose of the patient's first course. Until that course's acute sessions
  are all given or closed, the series is "ongoing" and no date is recommended;
- the bounds: esketamine courses use the label bounds (``esketamine_maintenance_policy`` for
  the current treatment week); other routes have no published maintenance interval (S19,
  S24), so they use the clinic policy's min/max/default interval days, and with none set the
  date comes from durability alone;
- the instrument: the depression scale with the most scores after the acute series (PHQ-9,
  MADRS or QIDS-SR16); the threshold is response against baseline (durability of benefit), a
  KetaCare choice that also covers patients who respond without remitting.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.services import record_read
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.outcomes import (
    DoseEvent,
    DurabilityThreshold,
    MaintenancePolicy,
    MaintenanceRecommendation,
    OutcomeAssessment,
    OutcomePolicy,
    assess_outcomes,
    is_due,
    recommend_maintenance,
)
from ketacare.clinical.outcomes.definitions import DEPRESSION_INSTRUMENTS
from ketacare.clinical.outcomes.maintenance import OUTCOMES_ESKETAMINE_INDUCTION_LAST_WEEK
from ketacare.clinical.outcomes.status import remission_source
from ketacare.clinical.scales import get_instrument
from ketacare.compiled_reads import CompiledRead, slot
from ketacare.measures import schedule as sched
from ketacare.measures.mappers import outcome_instrument, to_observations
from ketacare.measures.models import AlertStatus, Assessment, AssessmentSchedule, SafetyAlert
from ketacare.patients.models import Patient
from ketacare.protocols.mappers import maintenance_policy_from, outcome_policy_from
from ketacare.protocols.models import ClinicPolicyVersion
from ketacare.protocols.selectors import get_active_clinic_policy, get_outcome_policy
from ketacare.read_scope import shared_read
from ketacare.treatment.models import Course, DoseAdministration, TreatmentSession
from ketacare.treatment.selectors import courses_with_sessions, dose_given, list_dose_events

_ESKETAMINE = "esketamine"
_OPEN_SESSION_STATES = ("scheduled", "checked_in", "cleared", "dosing", "observation")


def _patient(actor: User, patient_id: int, purpose: str) -> Patient:
    require_permission(actor, Permission.VIEW_MEASURES)
    patient = (
        Patient.objects.filter(pk=patient_id)
        .filter(clinic_id=actor.clinic_id)
        .select_related("clinic")
        .first()
    )
    if patient is None:
        raise NotFound("patient")
    record_read(actor=actor, target=patient, patient_id=patient.pk, summary=purpose)
    return patient


# The chart's reads of a patient's measures, compiled to SQL once per connection
# (compiled_reads.py).
_EVERY_ASSESSMENT = CompiledRead(
    lambda: Assessment.objects.filter(patient_id=slot(Assessment, "patient")).order_by(
        "taken_at", "id"
    )
)
_PATIENT_ALERTS = CompiledRead(
    lambda: SafetyAlert.objects.filter(patient_id=slot(SafetyAlert, "patient")).order_by(
        "-created_at", "-id"
    )
)


@shared_read
def _every_assessment(patient: Patient) -> list[Assessment]:
    return _EVERY_ASSESSMENT.rows(patient=patient.pk)


def patient_assessments(patient: Patient, *, as_of: datetime | None = None) -> list[Assessment]:
    """Every assessment of the patient up to ``as_of``, oldest first (no audit: callers
    have accessed the patient). One query per page: the chart's panels share it."""
    rows = _every_assessment(patient)
    return rows if as_of is None else [r for r in rows if r.taken_at <= as_of]


def list_assessments_for_patient(
    actor: User, patient_id: int, *, instrument: str | None = None
) -> tuple[Patient, list[Assessment]]:
    patient = _patient(actor, patient_id, "assessments")
    rows = patient_assessments(patient)
    if instrument:
        rows = [r for r in rows if r.instrument == instrument]
    return patient, rows


# --- Outcomes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeView:
    patient: Patient
    as_of: datetime
    assessment: OutcomeAssessment
    rows: dict[str, Assessment]  # observation id -> stored row
    series: dict[str, list[Assessment]]  # scale code -> rows, oldest first
    doses: tuple[DoseEvent, ...]


def outcomes_for(
    patient: Patient, *, as_of: datetime | None = None, policy: OutcomePolicy | None = None
) -> OutcomeView:
    """``policy``: the clinic's outcome policy when the caller has it; otherwise read here."""
    now = as_of or timezone.now()
    rows = patient_assessments(patient, as_of=now)
    doses = tuple(d for d in list_dose_events(patient) if d.given_at <= now)
    policy = policy or get_outcome_policy(patient.clinic_id)
    result = assess_outcomes(to_observations(rows), doses, policy, as_of=now)
    series: dict[str, list[Assessment]] = {}
    for row in rows:
        series.setdefault(row.instrument, []).append(row)
    return OutcomeView(
        patient=patient,
        as_of=now,
        assessment=result,
        rows={str(r.pk): r for r in rows},
        series=series,
        doses=doses,
    )


def access_outcomes(actor: User, patient_id: int) -> OutcomeView:
    """Status, reasons and series per instrument for one patient (the read is audited)."""
    return outcomes_for(_patient(actor, patient_id, "outcomes"))


# --- Alerts ----------------------------------------------------------------------------------


_SEVERITY_RANK = {"critical": 0, "high": 1, "warning": 2}


_OPEN_ALERTS = CompiledRead(
    lambda: (
        SafetyAlert.objects.filter(clinic_id=slot(SafetyAlert, "clinic"), status=AlertStatus.OPEN)
        .select_related("patient", "assessment")
        .order_by("created_at", "id")
    )
)


def open_alerts(clinic_id: int) -> list[SafetyAlert]:
    """A clinic's open safety alerts, most severe and oldest first. No permission check or
    audit: for a caller that checked ACKNOWLEDGE_ALERT and audits the page it is part of."""
    alerts = _OPEN_ALERTS.rows(clinic=clinic_id)
    alerts.sort(key=lambda a: _SEVERITY_RANK.get(a.severity, 9))
    return alerts


def list_open_alerts(actor: User) -> list[SafetyAlert]:
    """The clinic's open safety alerts, most severe and oldest first (the dashboard list)."""
    require_permission(actor, Permission.ACKNOWLEDGE_ALERT)
    alerts = open_alerts(actor.clinic_id)
    record_read(
        actor=actor,
        target=("measures.SafetyAlert", "open"),
        summary=f"open safety alerts: {len(alerts)}",
    )
    return alerts


@shared_read
def list_patient_alerts(patient: Patient) -> list[SafetyAlert]:
    """Every safety alert of the patient, newest first (no permission check or audit; read
    once per chart page for its header and its measures panel, read_scope.py)."""
    return _PATIENT_ALERTS.rows(patient=patient.pk)


def access_alert(actor: User, alert_id: int) -> SafetyAlert:
    require_permission(actor, Permission.ACKNOWLEDGE_ALERT)
    alert = (
        SafetyAlert.objects.filter(pk=alert_id)
        .filter(clinic_id=actor.clinic_id)
        .select_related("patient", "assessment")
        .first()
    )
    if alert is None:
        raise NotFound("alert")
    record_read(actor=actor, target=alert, patient_id=alert.patient_id, summary="alert")
    return alert


# --- Maintenance -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaintenanceView:
    patient: Patient
    as_of: datetime
    status: str  # recommended, no_doses, acute_series_ongoing, no_depression_scores
    message: str
    recommendation: MaintenanceRecommendation | None = None
    acute_series_ended_at: datetime | None = None
    drug: str | None = None
    instrument: str | None = None
    policy: MaintenancePolicy | None = None
    due: bool = False
    doses: tuple[DoseEvent, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class _History:
    """What maintenance timing reads of one patient, loaded once (for one patient or, in
    bulk, for a whole clinic's list)."""

    doses: tuple[DoseEvent, ...]  # every dose, oldest first
    course: Course | None  # the first course
    course_sessions: tuple[TreatmentSession, ...]  # of the first course
    dose_times: dict[int, datetime]  # session id -> dose start, for the first course
    rows: list[Assessment]  # every assessment, oldest first


def _history(patient: Patient) -> _History:
    # The courses as the chart's treatment panel reads them (shared within a page).
    course = min(courses_with_sessions(patient), key=lambda c: (c.start_at, c.pk), default=None)
    sessions = tuple(course.sessions.all()) if course else ()
    times = {s.pk: dose.started_at for s in sessions if (dose := dose_given(s)) is not None}
    return _History(
        tuple(list_dose_events(patient)), course, sessions, times, patient_assessments(patient)
    )


def _histories(patient_ids: list[int]) -> dict[int, _History]:
    """The same for many patients in five queries, whatever their number."""
    doses: dict[int, list[DoseEvent]] = {}
    times: dict[int, datetime] = {}
    for pid, sid, pk, at in (
        DoseAdministration.objects.filter(session__patient_id__in=patient_ids)
        .order_by("started_at", "id")
        .values_list("session__patient_id", "session_id", "pk", "started_at")
    ):
        doses.setdefault(pid, []).append(DoseEvent(given_at=at, dose_id=str(pk)))
        times[sid] = at
    first: dict[int, Course] = {}
    for course in Course.objects.filter(patient_id__in=patient_ids).order_by("start_at", "id"):
        first.setdefault(course.patient_id, course)
    sessions: dict[int, list[TreatmentSession]] = {}
    for row in TreatmentSession.objects.filter(course__in=[c.pk for c in first.values()]):
        sessions.setdefault(row.course_id, []).append(row)
    rows: dict[int, list[Assessment]] = {}
    for row in Assessment.objects.filter(patient_id__in=patient_ids).order_by("taken_at", "id"):
        rows.setdefault(row.patient_id, []).append(row)
    result = {}
    for pid in patient_ids:
        course = first.get(pid)
        course_sessions = tuple(sessions.get(course.pk, ())) if course else ()
        result[pid] = _History(
            tuple(doses.get(pid, ())),
            course,
            course_sessions,
            {s.pk: times[s.pk] for s in course_sessions if s.pk in times},
            rows.get(pid, []),
        )
    return result


def _acute_series(history: _History, as_of: datetime) -> tuple[str | None, datetime | None, bool]:
    """(drug, end of the acute series, whether it is still ongoing) from the treatment
    record; see the module docstring."""
    course = history.course
    if course is None:
        return None, None, False
    sessions = history.course_sessions
    if course.drug == _ESKETAMINE:
        sessions = tuple(
            s for s in sessions if s.course_week <= OUTCOMES_ESKETAMINE_INDUCTION_LAST_WEEK
        )
    given = [
        history.dose_times[s.pk]
        for s in sessions
        if s.pk in history.dose_times and history.dose_times[s.pk] <= as_of
    ]
    pending = any(s.state in _OPEN_SESSION_STATES and s.scheduled_at <= as_of for s in sessions)
    later = any(s.state == "scheduled" and s.scheduled_at > as_of for s in sessions)
    return course.drug, max(given, default=None), pending or later


def _treatment_week(first_dose_at: datetime, as_of: datetime) -> int:
    return (as_of - first_dose_at).days // 7 + 1


_NO_CLINIC_POLICY = object()


def maintenance_for(
    patient: Patient,
    *,
    as_of: datetime | None = None,
    history: _History | None = None,
    clinic_policy: ClinicPolicyVersion | object | None = _NO_CLINIC_POLICY,
) -> MaintenanceView:
    """``clinic_policy``: the clinic's active policy row when the caller already has it (the
    due list reads it once for all patients); otherwise it is read here."""
    now = as_of or timezone.now()
    history = history or _history(patient)
    doses = tuple(d for d in history.doses if d.given_at <= now)
    if not doses:
        return MaintenanceView(patient, now, "no_doses", "No dose has been given yet.")
    drug, acute_end, ongoing = _acute_series(history, now)
    if ongoing or acute_end is None:
        return MaintenanceView(
            patient,
            now,
            "acute_series_ongoing",
            "The acute series is not finished; maintenance timing starts after its last dose.",
            drug=drug,
            doses=doses,
        )
    rows = [r for r in history.rows if r.taken_at <= now]
    counts = Counter(
        outcome_instrument(r.instrument)
        for r in rows
        if outcome_instrument(r.instrument) in DEPRESSION_INSTRUMENTS and r.taken_at > acute_end
    )
    if not counts:
        return MaintenanceView(
            patient,
            now,
            "no_depression_scores",
            "No PHQ-9, MADRS or QIDS-SR16 score since the acute series; durability cannot be "
            "measured.",
            acute_series_ended_at=acute_end,
            drug=drug,
            doses=doses,
        )
    instrument = sorted(counts, key=lambda code: (-counts[code], code))[0]
    threshold = DurabilityThreshold.RESPONSE
    week = _treatment_week(doses[0].given_at, now)
    row = (
        get_active_clinic_policy(patient.clinic_id)
        if clinic_policy is _NO_CLINIC_POLICY
        else clinic_policy
    )
    esketamine = drug == _ESKETAMINE and week > OUTCOMES_ESKETAMINE_INDUCTION_LAST_WEEK
    policy = maintenance_policy_from(
        row,
        instrument=instrument,
        threshold=threshold,
        esketamine_week=week if esketamine else None,
        outcome_policy=outcome_policy_from(row),
    )
    recommendation = recommend_maintenance(
        to_observations(rows), doses, acute_end, policy, as_of=now
    )
    return MaintenanceView(
        patient,
        now,
        "recommended" if recommendation.next_dose_at else "clinician_sets_date",
        "; ".join(r.message for r in recommendation.reasons),
        recommendation=recommendation,
        acute_series_ended_at=acute_end,
        drug=drug,
        instrument=instrument,
        policy=policy,
        due=is_due(recommendation, now),
        doses=doses,
    )


def access_maintenance(actor: User, patient_id: int) -> MaintenanceView:
    return maintenance_for(_patient(actor, patient_id, "maintenance timing"))


def list_patients_due_for_maintenance(
    actor: User, *, as_of: datetime | None = None
) -> list[MaintenanceView]:
    """Patients whose recommended maintenance date has been reached, or whose durability is
    shortening, soonest first. Audited once for the list."""
    require_permission(actor, Permission.VIEW_MEASURES)
    now = as_of or timezone.now()
    dosed = (
        DoseAdministration.objects.filter(clinic_id=actor.clinic_id)
        .values_list("session__patient_id", flat=True)
        .distinct()
    )
    patients = list(Patient.objects.filter(pk__in=dosed).select_related("clinic").order_by("id"))
    histories = _histories([p.pk for p in patients])  # a fixed number of queries, not per patient
    clinic_policy = get_active_clinic_policy(actor.clinic_id)
    views = []
    for patient in patients:
        try:
            view = maintenance_for(
                patient, as_of=now, history=histories[patient.pk], clinic_policy=clinic_policy
            )
        except InvalidClinicalInput:
            continue  # inconsistent history: the patient's own page shows the problem
        rec = view.recommendation
        if rec is not None and (view.due or rec.durability_shortening):
            views.append(view)
    views.sort(key=lambda v: v.recommendation.next_dose_at or now)  # type: ignore[union-attr]
    record_read(
        actor=actor,
        target=("measures.Maintenance", "due"),
        summary=f"patients due for maintenance: {len(views)}",
    )
    return views


# --- Schedule and due assessments ------------------------------------------------------------


def schedule_rules(clinic_id: int) -> list[sched.ScheduleRule]:
    """The clinic's active schedule, or the product defaults when it has set none."""
    rows = AssessmentSchedule.objects.filter(clinic_id=clinic_id, active=True).order_by("id")
    rules = [
        sched.ScheduleRule(
            instrument=r.instrument,
            phase=r.phase,
            offset_hours=r.offset_hours,
            window_hours=r.window_hours,
            interval_days=r.interval_days,
        )
        for r in rows
    ]
    return rules or list(sched.DEFAULT_SCHEDULE)


def assessments_due(patient: Patient, as_of: datetime) -> list[sched.DueAssessment]:
    """What the patient should complete now, from the clinic's schedule (no audit: callers
    accessed the patient)."""
    taken = [
        sched.TakenAssessment(r.instrument, r.context, r.taken_at)
        for r in patient_assessments(patient, as_of=as_of)
    ]
    doses = [d.given_at for d in list_dose_events(patient)]
    local = timezone.localtime(as_of)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    sessions_today = [
        timezone.localtime(at)
        for at in TreatmentSession.objects.filter(
            patient=patient,
            state__in=("scheduled", "checked_in", "cleared"),
            scheduled_at__gte=day_start,
            scheduled_at__lt=day_start + timedelta(days=1),
        )
        .order_by("scheduled_at")
        .values_list("scheduled_at", flat=True)
    ]
    return sched.due_assessments(
        schedule_rules(patient.clinic_id), taken, doses, sessions_today, as_of=as_of
    )


def access_assessments_due(actor: User, patient_id: int) -> list[sched.DueAssessment]:
    patient = _patient(actor, patient_id, "assessments due")
    return assessments_due(patient, timezone.now())


# --- Chart data ------------------------------------------------------------------------------


def trajectory_for(
    patient: Patient, *, as_of: datetime | None = None, policy: OutcomePolicy | None = None
) -> dict[str, dict[str, Any]]:
    """Chart data per scale code, for ``web/components/trajectory_chart.html``::

        {"phq9": {"instrument": "phq9", "instrument_label": "PHQ-9",
                  "min_total": 0, "max_total": 27,
                  "points": [{"at": datetime, "total": 18, "band_label": "Moderately severe",
                              "context": "baseline"}, ...],          # oldest first
                  "bands": [{"label": "Minimal", "min_total": 0, "max_total": 4}, ...],
                  "remission_max_total": 4,                          # from the OutcomePolicy
                  "doses": [{"at": datetime, "label": "Dose 1"}, ...]}}

    Bands are the instrument's cited bands from the core; a scale without a total (the C-SSRS
    screener) is left out. No audit: callers accessed the patient.
    """
    now = as_of or timezone.now()
    policy = policy or get_outcome_policy(patient.clinic_id)
    doses = [
        {"at": d.given_at, "label": f"Dose {n}"}
        for n, d in enumerate(list_dose_events(patient), start=1)
        if d.given_at <= now
    ]
    charts: dict[str, dict[str, Any]] = {}
    for row in patient_assessments(patient, as_of=now):
        if row.total is None:
            continue
        if row.instrument not in charts:
            spec = get_instrument(row.instrument)
            charts[row.instrument] = {
                "instrument": row.instrument,
                "instrument_label": spec.short_name,
                "min_total": spec.min_total or 0,
                "max_total": spec.max_total,
                "points": [],
                "bands": [
                    {"label": b.label, "min_total": b.min_total, "max_total": b.max_total}
                    for b in spec.bands
                ],
                "remission_max_total": policy.remission_max_total(row.instrument),
                "remission_source": (
                    src.as_dict()
                    if row.instrument in DEPRESSION_INSTRUMENTS
                    and (src := remission_source(row.instrument, policy))
                    else None
                ),
                "doses": doses,
            }
        charts[row.instrument]["points"].append(
            {
                "at": row.taken_at,
                "total": row.total,
                "band_label": row.severity_label,
                "context": row.context,
            }
        )
    return charts


def portal_link_for_token(token: str, *, as_of: datetime | None = None):
    """What a self-report link is for (patient, instrument, expiry), without spending it.
    The token is the credential, so no user is involved; reading it is not a chart read."""
    from ketacare.measures.services import find_redeemable_link

    return find_redeemable_link(token, as_of or timezone.now(), for_update=False)


# --- Registry-wide outcome rates -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProtocolOutcomeRates:
    """Courses of one protocol and how many met response and remission on PHQ-9."""

    protocol_code: str
    courses: int
    measured: int  # courses whose patient has a first PHQ-9 and a later one
    responders: int
    remitters: int

    @property
    def response_rate(self) -> float | None:
        return self.responders / self.measured if self.measured else None

    @property
    def remission_rate(self) -> float | None:
        return self.remitters / self.measured if self.measured else None


_RATES_SQL = """
WITH ranked AS (
  SELECT a.patient_id, a.total,
         ROW_NUMBER() OVER (PARTITION BY a.patient_id ORDER BY a.taken_at, a.id) AS from_first,
         ROW_NUMBER() OVER (PARTITION BY a.patient_id ORDER BY a.taken_at DESC, a.id DESC)
           AS from_latest
  FROM measures_assessment a
  WHERE a.instrument = 'phq9' {clinic_filter}
), scores AS (
  SELECT patient_id,
         MAX(CASE WHEN from_first = 1 THEN total END) AS first_total,
         MAX(CASE WHEN from_latest = 1 THEN total END) AS latest_total,
         COUNT(*) AS n
  FROM ranked WHERE from_first = 1 OR from_latest = 1
  GROUP BY patient_id
)
SELECT c.protocol_code,
       COUNT(*),
       SUM(CASE WHEN s.n > 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.n > 1 AND 100 * s.latest_total <= %s * s.first_total THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.n > 1 AND s.latest_total <= %s THEN 1 ELSE 0 END)
FROM treatment_course c LEFT JOIN scores s ON s.patient_id = c.patient_id
{course_filter}
GROUP BY c.protocol_code
ORDER BY c.protocol_code
"""


def outcome_rates_by_protocol(
    *, clinic_ids: list[int] | None = None, policy: OutcomePolicy | None = None
) -> list[ProtocolOutcomeRates]:
    """Per protocol code: response (latest PHQ-9 at least the policy's reduction below the
    patient's first PHQ-9) and remission (latest at or below the policy's PHQ-9 remission
    total), for every course of the given clinics (all clinics when None).

    Aggregated in the database in one statement: one pass over the PHQ-9 scores with two
    window functions, then one GROUP BY; never a row per patient in Python. (The ORM form,
    four correlated subqueries per course, measured 4x slower.) De-identified counts only;
    callers check permission (research exports, benchmarks)."""
    policy = policy or OutcomePolicy()
    keep_pct = 100 - int(policy.response_min_reduction_pct)
    params: list[Any] = [keep_pct, policy.phq9_remission_max_total]
    clinic_filter = course_filter = ""
    if clinic_ids is not None:
        ids = [int(i) for i in clinic_ids] or [0]
        marks = ", ".join(["%s"] * len(ids))
        clinic_filter = f"AND a.clinic_id IN ({marks})"
        course_filter = f"WHERE c.clinic_id IN ({marks})"
        params = [*ids, *params, *ids]
    sql = _RATES_SQL.format(clinic_filter=clinic_filter, course_filter=course_filter)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [
        ProtocolOutcomeRates(code, int(courses), int(m or 0), int(r or 0), int(x or 0))
        for code, courses, m, r, x in rows
    ]
