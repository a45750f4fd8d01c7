"""Demo eligibility evaluations, recorded through ``record_evaluation`` weeks to months ago.

Each patient's verdict comes from the core over their demo trial history plus these answers,
so the mix is real: eligible, eligible with cautions (some acknowledged by the prescriber),
needs review (too few failed trials, a missing screen, a high-risk C-SSRS) and one not
eligible (history of intracerebral hemorrhage).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ketacare.clinical.eligibility import (
    CssrsRisk,
    CssrsScreen,
    HepaticImpairment,
    MaudsleySeverity,
    Route,
    SubstanceUseDisorder,
    SubstanceUseScreen,
)
from ketacare.evaluation.mappers import ScreeningAnswers
from ketacare.evaluation.services import acknowledge_cautions, record_evaluation

_SEVERITIES = (
    MaudsleySeverity.MODERATE,
    MaudsleySeverity.SEVERE_WITHOUT_PSYCHOSIS,
    MaudsleySeverity.MODERATE,
    MaudsleySeverity.MILD,
)


def _answers(ctx, index: int, route: str | None, as_of) -> ScreeningAnswers:
    screened = as_of - timedelta(days=ctx.rng.randint(1, 10))
    cssrs_risk = {8: CssrsRisk.MODERATE, 11: CssrsRisk.HIGH}.get(index, CssrsRisk.LOW)
    systolic, diastolic = ctx.rng.randint(112, 136), ctx.rng.randint(70, 86)
    if index == 9:
        systolic, diastolic = 152, 94  # above the 140/90 caution
    return ScreeningAnswers(
        route=Route(route) if route else None,
        severity=_SEVERITIES[index % len(_SEVERITIES)],
        ect_used=index % 10 == 6,
        aneurysmal_vascular_disease_or_avm=False,
        intracerebral_hemorrhage_history=index == 27,
        hypersensitivity_to_ketamine_or_esketamine=False,
        psychosis_history=index in (3, 17),
        current_psychosis=False,
        substance_use_disorder=(
            SubstanceUseDisorder.IN_REMISSION if index == 13 else SubstanceUseDisorder.NONE
        ),
        pregnant=False,
        breastfeeding=False,
        hepatic_impairment=HepaticImpairment.NONE,
        uncontrolled_hypertension=False,
        hypertensive_encephalopathy_history=False,
        takes_cns_depressants=index in (4, 21),
        takes_psychostimulants=False,
        takes_maois=False,
        cssrs=None if index == 15 else CssrsScreen(cssrs_risk, screened),
        substance_screen=SubstanceUseScreen(
            1 if index == 19 else 0, 0, screened
        ),  # one positive alcohol screen
        latest_systolic_mmhg=systolic,
        latest_diastolic_mmhg=diastolic,
    )


def seed_demo(ctx) -> None:
    prescriber = ctx.users["prescriber"]
    routes = ctx.extra.get("consent_routes", {})
    now = timezone.now()
    for index, patient in enumerate(ctx.patients):
        if index == len(ctx.patients) - 1:
            continue  # one new patient not yet evaluated
        as_of = now - timedelta(days=ctx.rng.randint(100, 180))
        evaluation = record_evaluation(
            actor=prescriber,
            patient=patient,
            answers=_answers(ctx, index, routes.get(patient.pk, "iv"), as_of),
            as_of=as_of,
        )
        if evaluation.acknowledgment_required_codes and index % 2 == 0:
            acknowledge_cautions(
                actor=prescriber,
                evaluation=evaluation,
                reason="Discussed with the patient; risks monitored at each session.",
            )
