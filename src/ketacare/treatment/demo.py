"""Demo courses and sessions, written through the treatment services (every gate runs).

For each demo patient with a consent valid three weeks ago and an evaluation that allows a
course (the gates decide; a refused patient is simply left without a course), a course is
ordered three weeks ago: esketamine TRD (REMS enrolment recorded first) or IV ketamine
(ELEKT-D, the last weight on record). Every session scheduled before today is walked through
check-in, vitals, clearance, dose, MOAA/S and CADSS ratings and discharge at its scheduled
time; today's and later sessions stay scheduled (the clinic day of the browser tests). The
older esketamine REMS forms are marked submitted; recent ones wait in the queue.

Treatment seeds before the controlled-substance ledger, so these doses name no stock
container. Every completed dose is left in ``ctx.extra["treatment_doses"]`` (oldest first)
and the ledger demo receives the lots named here before the first session and records each
dose as an administration from stock, so the demo ledger reconciles with the doses given.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.consent.selectors import consent_status_for
from ketacare.treatment import services
from ketacare.treatment.models import DoseAdministration, TreatmentSession

COURSE_DAYS_AGO = 21
MAX_COURSES = 8
# The lots the demo doses come from; the ledger demo receives them (see the module doc).
ESKETAMINE_LOT = "ESK4417"
KETAMINE_LOT = "KD3050"
KETAMINE_VIAL_MG_PER_ML = Decimal("10")


def _vitals(ctx, nurse, session, at: datetime, systolic: int = 122) -> None:
    services.record_vitals(
        actor=nurse,
        session=session,
        systolic_mmhg=systolic + ctx.rng.randint(-6, 8),
        diastolic_mmhg=76 + ctx.rng.randint(-5, 6),
        heart_rate_bpm=70 + ctx.rng.randint(-8, 10),
        spo2_percent=ctx.rng.randint(95, 99),
        respiratory_rate_per_min=ctx.rng.randint(12, 17),
        taken_at=at,
        as_of=at,
    )


def _rating(nurse, session, scale, items, at, resolved=None) -> None:
    services.record_observation(
        actor=nurse,
        session=session,
        scale=scale,
        items=items,
        observed_at=at,
        dissociation_resolved=resolved,
        as_of=at,
    )


def _complete(ctx, session: TreatmentSession, esketamine: bool) -> DoseAdministration:
    nurse, prescriber = ctx.users["nurse"], ctx.users["prescriber"]
    t = session.scheduled_at
    session = services.check_in(actor=nurse, session=session, as_of=t)
    _vitals(ctx, nurse, session, t + timedelta(minutes=5))
    _rating(nurse, session, "moaas", [5], t + timedelta(minutes=6))
    session = services.clear_session(
        actor=nurse,
        session=session,
        npo_confirmed=True,
        ride_home="Family member drives",
        as_of=t + timedelta(minutes=10),
    )
    start = t + timedelta(minutes=15)
    if esketamine:
        dose = session.course.dose_mg or Decimal("56")
        if session.number > 1:
            dose = Decimal("84") if ctx.rng.random() < 0.5 else Decimal("56")
        devices = [start + timedelta(minutes=5 * i) for i in range(int(dose) // 28)]
        given = services.administer_dose(
            actor=prescriber,
            session=session,
            dose_mg=dose,
            device_times=devices,
            lot_number=ESKETAMINE_LOT,
            pulse_oximeter_available=True,
            as_of=devices[-1],
        )
        # Counted from the last device (the default, S1 "after administration").
        after = devices[-1]
        checks = (40, 110)
    else:
        given = services.administer_dose(
            actor=prescriber,
            session=session,
            started_at=start,
            vial_concentration_mg_per_ml=KETAMINE_VIAL_MG_PER_ML,
            lot_number=KETAMINE_LOT,
            pulse_oximeter_available=True,
            as_of=start,
        )
        # The Emory example schedule from the start (every 10 min during the 40-min infusion,
        # every 15 after) up to the 60-min minimum counted from the infusion's end.
        after = start
        checks = (10, 20, 30, 40, 55, 70, 85, 100)
    for minute in checks:
        _vitals(ctx, nurse, session, after + timedelta(minutes=minute), systolic=130)
        if minute == checks[0]:
            _rating(
                nurse, session, "moaas", [ctx.rng.choice([4, 5])], after + timedelta(minutes=minute)
            )
            cadss = [ctx.rng.choice([0, 0, 1, 2]) for _ in range(23)]
            _rating(nurse, session, "cadss", cadss, after + timedelta(minutes=minute))
    end = after + timedelta(minutes=checks[-1] + 5)
    _rating(nurse, session, "moaas", [5], end)
    _rating(nurse, session, "cadss", [0] * 23, end, resolved=True)
    if esketamine and "demo_adverse_event" not in ctx.extra:
        # One transient, resolved dissociation event, so the demo shows an adverse-event record
        # (and FHIR AdverseEvent has a real instance to serve).
        ctx.extra["demo_adverse_event"] = services.record_adverse_event(
            actor=nurse,
            session=session,
            event_type="dissociation",
            severity="mild",
            onset_at=start + timedelta(minutes=40),
            action_taken="Reassurance; observation continued",
            outcome="Resolved without intervention",
            description="Transient dissociation",
            resolved_at=start + timedelta(minutes=70),
            as_of=start + timedelta(minutes=75),
        )
    discharge_at = after + timedelta(minutes=125 if esketamine else 105)
    services.discharge_session(
        actor=nurse,
        session=session,
        clinician_ready=True,
        ready_to_leave_without_minimum_min=ctx.rng.choice([60, 75, 90]) if esketamine else None,
        as_of=discharge_at,
    )
    if esketamine and discharge_at < timezone.now() - timedelta(days=5):
        services.record_rems_form_submitted(
            actor=nurse, session=session, submitted_at=discharge_at + timedelta(days=2)
        )
    return given


def seed_demo(ctx) -> None:
    prescriber = ctx.users["prescriber"]
    routes = ctx.extra.get("consent_routes", {})
    now = timezone.now()
    start = (now - timedelta(days=COURSE_DAYS_AGO)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    dose_times: dict[int, list[datetime]] = {}
    doses: list[DoseAdministration] = []
    ordered = 0
    for patient in ctx.patients:
        route = routes.get(patient.pk)
        if ordered >= MAX_COURSES or route not in ("iv", "intranasal"):
            continue
        if not consent_status_for(patient, route, as_of=start - timedelta(days=1)).valid:
            continue
        esketamine = route == "intranasal"
        if esketamine:
            services.record_rems_enrollment(
                actor=prescriber,
                patient=patient,
                rems_patient_id=f"REMS-DEMO-{patient.pk:04d}",
                enrolled_at=start - timedelta(days=3),
            )
        try:
            course = services.order_course(
                actor=prescriber,
                patient=patient,
                protocol_code="in_esketamine_trd" if esketamine else "iv_racemic_elektd",
                start_at=start,
                sessions=8 if esketamine else None,
                chair=f"Chair {ordered % 4 + 1}",
                as_of=start - timedelta(hours=2),
            ).course
        except (GateBlocked, InvalidClinicalInput):
            continue  # the gates said no (e.g. not eligible): no course for this patient
        ordered += 1
        for session in course.sessions.order_by("number"):
            if session.scheduled_at.date() >= now.date():
                break
            doses.append(_complete(ctx, session, esketamine))
            dose_times.setdefault(patient.pk, []).append(session.scheduled_at)
    ctx.extra.setdefault("dose_times_by_treatment", dose_times)
    ctx.extra["treatment_doses"] = sorted(doses, key=lambda d: (d.created_at, d.pk))
