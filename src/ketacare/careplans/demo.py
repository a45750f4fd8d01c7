"""Demo plans: the therapist writes a plan for most demo patients (some revised once), and
records preparation and integration sessions; the demo clinic switches the integration rule
on with its own example window (a clinic choice, not a clinical constant)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ketacare.careplans import services
from ketacare.careplans.services import ComponentInput

DEMO_INTEGRATION_WINDOW_DAYS = 7  # the demo clinic's own policy choice


def seed_demo(ctx) -> None:
    therapist, prescriber = ctx.users["therapist"], ctx.users["prescriber"]
    services.record_integration_policy(
        actor=ctx.users["admin"], window_days=DEMO_INTEGRATION_WINDOW_DAYS
    )
    today = timezone.localdate()
    for index, patient in enumerate(ctx.patients[:20]):
        start = today - timedelta(days=ctx.rng.randint(20, 120))
        components = [
            ComponentInput(
                kind="ketamine_course",
                description="Acute course as ordered by the prescriber",
                owner_id=prescriber.pk,
                start_date=start,
                status="active",
                frequency="twice weekly",
            ),
            ComponentInput(
                kind="psychotherapy",
                subkind="preparation",
                description="Preparation session before the first dose",
                owner_id=therapist.pk,
                start_date=start - timedelta(days=3),
                end_date=start,
                status="completed",
            ),
            ComponentInput(
                kind="psychotherapy",
                subkind="integration",
                description="Integration session after doses",
                owner_id=therapist.pk,
                start_date=start,
                status="active",
                frequency="weekly",
            ),
            ComponentInput(
                kind="lifestyle",
                subkind=ctx.rng.choice(["sleep", "activity", "alcohol"]),
                description="One small, specific weekly goal agreed with the patient",
                owner_id=therapist.pk,
                status="active",
            ),
            ComponentInput(
                kind="medication_management",
                description="Review oral antidepressant and sedating medicines",
                owner_id=prescriber.pk,
                status="planned",
            ),
        ]
        plan = services.record_plan(
            actor=therapist,
            patient=patient,
            goals=["PHQ-9 in remission range", "Return to usual activities"],
            components=components,
        )
        if index % 4 == 0:
            plan = services.record_plan(
                actor=prescriber,
                patient=patient,
                goals=["PHQ-9 in remission range", "Return to work part time"],
                components=components,
                change_reason="Goal refined at the end-of-induction review",
            )
        preparation = plan.components.get(subkind="preparation")
        integration = plan.components.get(subkind="integration")
        services.record_psychotherapy_session(
            actor=therapist, component=preparation, held_on=start - timedelta(days=2)
        )
        day = start + timedelta(days=2)
        while day < today:
            if ctx.rng.random() < 0.8:  # some weeks missed, so the chart shows gaps
                services.record_psychotherapy_session(
                    actor=therapist, component=integration, held_on=day
                )
            day += timedelta(days=7)
    ctx.extra["careplans_seeded"] = True
