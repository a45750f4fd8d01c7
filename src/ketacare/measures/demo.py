"""Demo assessments: months of PHQ-9 (and GAD-7, C-SSRS baseline) history for the first demo
patients, written through ``measures.services`` so scores, alerts and audit entries are real.

Timing follows the default schedule: baseline two days before the first dose, PHQ-9 an hour
before each dose, PHQ-9 24 hours after the first dose, then weekly follow-ups.

Dose times are the patient's recorded doses (``ctx.extra["dose_times_by_treatment"]`` from the
treatment demo step, else ``treatment.selectors.list_dose_events``). Patients with recorded
doses come first, so the outcome profiles land on treated patients. A patient without recorded
doses gets the same assessment calendar over months on a planned timeline (twice-weekly acute
series of six, then every three weeks), but no dose is invented: their outcomes read "not yet
assessed" until treatment data exist.

Profiles, in rotation over the treated patients first: remitter, responder, non-responder,
relapser. Each curve is scaled to the time since the patient's first dose, so even a three-week
course shows its profile (the relapser responds, then scores 10+ on consecutive assessments).
One patient reports PHQ-9 item 9 today (an open alert); the relapser's worsening alerts are
acknowledged except the newest; the portal patient (the first demo patient) always has a
history, a portal self-report and an unused self-report link.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.utils import timezone

from ketacare.measures import services
from ketacare.measures.selectors import list_patient_alerts
from ketacare.treatment.selectors import list_dose_events

PROFILES = ("remitter", "responder", "non_responder", "relapser")
DEMO_ASSESSED_PATIENTS = 12
_ACUTE_DAYS = (0, 3, 7, 10, 14, 17)
_MAINTENANCE_EVERY_DAYS = 21


def _items(total: int, item9: int = 0) -> list[int]:
    items = [0] * 9
    items[8] = item9
    left = total - item9
    for i in range(8):
        items[i] = min(3, left)
        left -= items[i]
    return items


def _planned_doses(first: datetime, now: datetime) -> list[datetime]:
    times = [first + timedelta(days=d) for d in _ACUTE_DAYS]
    nxt = times[-1] + timedelta(days=_MAINTENANCE_EVERY_DAYS)
    while nxt < now - timedelta(days=1):
        times.append(nxt)
        nxt += timedelta(days=_MAINTENANCE_EVERY_DAYS)
    return times


def _curve(profile: str, baseline: int, days: float, span_days: float) -> int:
    """PHQ-9 total ``days`` after the first dose, for a history ``span_days`` long (smooth,
    no jumps of 2+ points except where the relapser worsens on purpose)."""
    floor = {"remitter": 2, "responder": 8, "non_responder": baseline - 3, "relapser": 4}[profile]
    tau = max(span_days / 8, 1.5)
    value = floor + (baseline - floor) * math.exp(-max(days, 0) / tau)
    turn = span_days * 0.55
    if profile == "relapser" and days > turn:
        value = min(baseline - 4, floor + (days - turn) * (baseline - floor) / (span_days * 0.3))
    return max(0, min(27, round(value)))


def seed_demo(ctx) -> None:
    nurse, therapist = ctx.users["nurse"], ctx.users["therapist"]
    services.schedule_assessments(actor=ctx.users["admin"])
    now = timezone.now().replace(second=0, microsecond=0)
    planned_patients = []
    by_treatment = ctx.extra.get("dose_times_by_treatment", {})
    recorded_doses = {
        p.pk: list(by_treatment.get(p.pk) or [d.given_at for d in list_dose_events(p)])
        for p in ctx.patients
    }
    treated = [p for p in ctx.patients if recorded_doses[p.pk]]
    untreated = [p for p in ctx.patients if not recorded_doses[p.pk]]
    chosen = (treated + untreated)[:DEMO_ASSESSED_PATIENTS]
    if ctx.patients and ctx.patients[0] not in chosen:
        chosen[-1] = ctx.patients[0]  # the portal patient always has a history
    for index, patient in enumerate(chosen):
        profile = PROFILES[index % len(PROFILES)]
        recorded = recorded_doses[patient.pk]
        if recorded:
            doses = sorted(recorded)
        else:
            planned_patients.append(patient.pk)
            doses = _planned_doses(now - timedelta(days=ctx.rng.randint(90, 150)), now)
        baseline = ctx.rng.randint(17, 23)
        first = doses[0]
        span = max((now - first).total_seconds() / 86400, 7)

        def record(total: int, at: datetime, context: str, *, patient=patient, item9: int = 0):
            return services.record_assessment(
                actor=nurse,
                patient=patient,
                instrument="phq9",
                items=_items(total, item9),
                context=context,
                taken_at=at,
            )

        base_at = first - timedelta(days=2)
        record(baseline, base_at, "baseline")
        services.record_assessment(
            actor=nurse,
            patient=patient,
            instrument="gad7",
            items=[2, 2, 2, 1, 1, 2, 1],
            context="baseline",
            taken_at=base_at + timedelta(minutes=10),
        )
        services.record_assessment(
            actor=nurse,
            patient=patient,
            instrument="cssrs_screener",
            items=[0, 0, None, None, None, 0],
            context="baseline",
            taken_at=base_at + timedelta(minutes=20),
        )
        for dose_at in doses[1:]:
            days = (dose_at - first).total_seconds() / 86400
            record(_curve(profile, baseline, days, span), dose_at - timedelta(hours=1), "pre_dose")
        record(_curve(profile, baseline, 1, span), first + timedelta(hours=24), "post_dose")
        week = first + timedelta(days=21)
        while week < now - timedelta(days=2):
            if not any(abs((week - d).total_seconds()) < 6 * 3600 for d in doses):
                days = (week - first).total_seconds() / 86400
                record(_curve(profile, baseline, days, span), week, "follow_up")
            week += timedelta(days=7)
        last_score_at = now - timedelta(days=1, hours=3)
        if recorded and doses[-1] < last_score_at - timedelta(days=1):
            # A recent follow-up after the last dose, so maintenance timing has data to read.
            record(_curve(profile, baseline, span, span), last_score_at, "follow_up")
        if profile == "relapser":
            for alert in list_patient_alerts(patient)[1:]:  # newest stays open
                services.acknowledge_alert(
                    actor=therapist,
                    alert=alert,
                    note="Reviewed with the prescriber; earlier maintenance dose offered.",
                )
        if index == 2:
            # Today's item 9: an open alert for the dashboard.
            today = _curve(profile, baseline, span, span)
            record(today, now - timedelta(hours=2), "follow_up", item9=1)

    portal_user = ctx.users.get("patient")
    if portal_user is not None:
        services.record_self_report(
            actor=portal_user,
            instrument="phq9",
            items=_items(3),
            context="follow_up",
            taken_at=now - timedelta(days=1),
        )
        services.issue_portal_link(
            actor=nurse, patient=ctx.patients[0], instrument="phq9", expires_in=timedelta(days=3)
        )
    ctx.extra["measures_planned_timeline_patients"] = planned_patients
