"""Writes: the prescriber's treatment choice after a recommendation (optionally adopted into
the care plan), the records the recommendation reads (prior treatment reports, the patient's
preferences), the clinic's recommendation settings, and CDS Hooks cards and feedback. Each is
atomic and audited."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.careplans.models import CarePlan, ComponentKind
from ketacare.careplans.selectors import find_current_plan
from ketacare.careplans.services import ComponentInput, record_plan
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.gates import Override
from ketacare.clinical.recommendations import (
    CostClass,
    PriorResponse,
    PriorTreatment,
    TravelBurden,
    TreatmentOption,
    check_prescriber_choice,
    recommend_treatment,
)
from ketacare.interop.mappers import preferences_of, recommendation_input_for_patient
from ketacare.interop.models import (
    CdsCardIssued,
    CdsFeedback,
    PriorTreatmentReport,
    RecommendationSettings,
    TreatmentChoice,
    TreatmentPreference,
)
from ketacare.patients.models import Patient
from ketacare.records import save_validated, snapshot


def _same_clinic(actor: User, patient: Patient) -> None:
    if patient.clinic_id != actor.clinic_id:
        raise InvalidClinicalInput("wrong_clinic", "This patient belongs to another clinic.")


# The plan component an adopted option becomes: ketamine forms are a ketamine course;
# ECT and rTMS are referrals, recorded as "other intervention".
_COMPONENT_KIND = {
    TreatmentOption.ESKETAMINE_INTRANASAL: ComponentKind.KETAMINE_COURSE,
    TreatmentOption.KETAMINE_IV: ComponentKind.KETAMINE_COURSE,
    TreatmentOption.KETAMINE_IM: ComponentKind.KETAMINE_COURSE,
    TreatmentOption.ECT: ComponentKind.OTHER,
    TreatmentOption.RTMS: ComponentKind.OTHER,
}
_ADOPTED_GOAL = "Reduce depressive symptoms (treatment-resistant depression)."
_ADOPTED_PREFIX = "Adopted recommendation: "


def _component_input(component) -> ComponentInput:
    return ComponentInput(
        kind=component.kind,
        description=component.description,
        subkind=component.subkind,
        owner_id=component.owner_id,
        start_date=component.start_date,
        end_date=component.end_date,
        status=component.status,
        frequency=component.frequency,
        treatment_course_id=component.treatment_course_id,
    )


def _replaced(component, option: TreatmentOption) -> bool:
    """An adopted option replaces the plan's ketamine course (any form), or an earlier adopted
    referral; other components (psychotherapy, lifestyle, medicines) are kept."""
    if component.kind == ComponentKind.KETAMINE_COURSE:
        return True
    return component.kind == ComponentKind.OTHER and component.description.startswith(
        _ADOPTED_PREFIX
    )


def _adopt_into_plan(
    *, actor: User, patient: Patient, option: TreatmentOption, reason: str
) -> CarePlan:
    """A new plan version (or the first plan) whose ketamine-course or referral component is
    the adopted option; the rest of the current plan is carried over unchanged."""
    current = find_current_plan(actor, patient)
    kept = [
        _component_input(c)
        for c in (current.components.all() if current else ())
        if not _replaced(c, option)
    ]
    description = f"{_ADOPTED_PREFIX}{option.label}" + (f". {reason}" if reason else "")
    adopted = ComponentInput(kind=_COMPONENT_KIND[option], description=description[:2000])
    return record_plan(
        actor=actor,
        patient=patient,
        goals=list(current.goals) if current else [_ADOPTED_GOAL],
        components=[adopted, *kept],
        change_reason=f"adopted recommendation: {option.value}",
    )


@transaction.atomic
def record_treatment_choice(
    *,
    actor: User,
    patient: Patient,
    option: TreatmentOption,
    reason: str = "",
    override: Override | None = None,
    adopt_into_plan: bool = False,
) -> TreatmentChoice:
    """Adopt ``option``. A choice other than the top option needs a reason; an excluded option
    needs a prescriber override; an absolutely contraindicated one is refused. With
    ``adopt_into_plan`` the care plan gets a new version whose ketamine-course (or referral)
    component is this option, in the same transaction (``careplans.record_plan``, audited)."""
    require_permission(actor, Permission.ORDER_TREATMENT)
    _same_clinic(actor, patient)
    if adopt_into_plan:
        require_permission(actor, Permission.MANAGE_PLAN)
    now = timezone.now()
    rec = recommend_treatment(recommendation_input_for_patient(patient, as_of=now))
    decision = check_prescriber_choice(rec, option, reason)
    overridden = decision.enforce(override)
    if overridden:
        require_permission(actor, Permission.OVERRIDE_CLINICAL_GATE)
    top = rec.top.option.value if rec.top else ""
    plan = (
        _adopt_into_plan(actor=actor, patient=patient, option=option, reason=reason.strip())
        if adopt_into_plan
        else None
    )
    choice = TreatmentChoice(
        clinic_id=patient.clinic_id,
        created_at=now,
        created_by=actor,
        patient=patient,
        chosen_option=option.value,
        top_option=top,
        reason=reason.strip(),
        override_reason=override.reason if overridden and override else "",
        override_codes=sorted(b.code for b in overridden),
        recommendation={
            "ranked": [
                {"option": o.option.value, "suitability": o.suitability.value} for o in rec.options
            ]
        },
        care_plan=plan,
    )
    save_validated(choice)
    record_write(
        actor=actor,
        action=AuditAction.OVERRIDE if overridden else AuditAction.CREATE,
        target=choice,
        patient_id=patient.pk,
        after={
            "chosen_option": option.value,
            "top_option": top,
            "care_plan_version": plan.version if plan else None,
        },
        reason=(override.reason if overridden and override else reason.strip()),
        summary="treatment option adopted from recommendation"
        + (f" into care plan v{plan.version}" if plan else ""),
    )
    return choice


@transaction.atomic
def record_prior_treatment(
    *,
    actor: User,
    patient: Patient,
    option: TreatmentOption,
    sessions: int,
    response: PriorResponse,
    durability_days: int | None = None,
    adequate: bool | None = None,
    ended_on: date | None = None,
    provider: str = "",
    notes: str = "",
) -> PriorTreatmentReport:
    """Record a ketamine, esketamine, ECT or rTMS course given elsewhere, as the history
    reports it. The engine's own checks apply (adequacy only for ECT/rTMS, durability only
    after benefit), so a report the engine would refuse is refused here (422)."""
    require_permission(actor, Permission.RECORD_CLINICAL_HISTORY)
    _same_clinic(actor, patient)
    now = timezone.now()
    if ended_on is not None and ended_on > timezone.localdate(now):
        raise InvalidClinicalInput(
            "date_in_future", "The course cannot end in the future.", {"field": "ended_on"}
        )
    PriorTreatment(option, sessions, response, durability_days, adequate)  # validates
    row = PriorTreatmentReport(
        clinic_id=patient.clinic_id,
        created_at=now,
        created_by=actor,
        patient=patient,
        option=option.value,
        sessions=sessions,
        response=response.value,
        durability_days=durability_days,
        adequate=adequate,
        ended_on=ended_on,
        provider=provider.strip(),
        notes=notes.strip(),
    )
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=patient.pk,
        after={
            "option": row.option,
            "sessions": sessions,
            "response": row.response,
            "durability_days": durability_days,
            "adequate": adequate,
        },
        summary="prior treatment recorded",
    )
    return row


@transaction.atomic
def record_treatment_preferences(
    *,
    actor: User,
    patient: Patient,
    preferred: Sequence[TreatmentOption] = (),
    declined: Sequence[TreatmentOption] = (),
    travel_burden: TravelBurden = TravelBurden.MODERATE,
    cost_class: CostClass = CostClass.SELF_PAY_ACCEPTABLE,
) -> TreatmentPreference:
    """Record what the patient wants now (the latest statement counts; earlier ones are kept)."""
    require_permission(actor, Permission.RECORD_CLINICAL_HISTORY)
    _same_clinic(actor, patient)
    now = timezone.now()
    row = TreatmentPreference(
        clinic_id=patient.clinic_id,
        created_at=now,
        created_by=actor,
        patient=patient,
        preferred=[TreatmentOption(o).value for o in preferred],
        declined=sorted(TreatmentOption(o).value for o in declined),
        travel_burden=TravelBurden(travel_burden).value,
        cost_class=CostClass(cost_class).value,
        stated_at=now,
    )
    preferences_of(row)  # the engine's checks: distinct, not both preferred and declined
    save_validated(row)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=row,
        patient_id=patient.pk,
        after={
            "preferred": row.preferred,
            "declined": row.declined,
            "travel_burden": row.travel_burden,
            "cost_class": row.cost_class,
        },
        summary="treatment preferences recorded",
    )
    return row


_SETTINGS_FIELDS = ["ect_referral", "rtms_referral", "self_pay_options"]


@transaction.atomic
def record_recommendation_settings(
    *,
    actor: User,
    ect_referral: bool,
    rtms_referral: bool,
    self_pay_options: Sequence[TreatmentOption] = (),
) -> RecommendationSettings:
    """Set whether the clinic refers for ECT and rTMS and which options it bills as self-pay
    (clinic configuration; the change is audited with before and after)."""
    require_permission(actor, Permission.MANAGE_PROTOCOLS)
    now = timezone.now()
    setting, _ = RecommendationSettings.objects.select_for_update().get_or_create(
        clinic_id=actor.clinic_id, defaults={"updated_at": now}
    )
    before = snapshot(setting, _SETTINGS_FIELDS)
    setting.ect_referral = ect_referral
    setting.rtms_referral = rtms_referral
    setting.self_pay_options = sorted({TreatmentOption(o).value for o in self_pay_options})
    setting.updated_at = now
    setting.updated_by = actor
    setting.full_clean()
    setting.save(update_fields=[*_SETTINGS_FIELDS, "updated_at", "updated_by"])
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=setting,
        before=before,
        after=snapshot(setting, _SETTINGS_FIELDS),
        summary="recommendation settings changed",
        clinic_id=actor.clinic_id,
    )
    return setting


@transaction.atomic
def record_cds_cards_issued(
    *, cards: list[dict[str, Any]], service_id: str, hook_instance: str, client_iss: str
) -> None:
    """Remember each card's uuid so feedback can name it (no patient identifier stored)."""
    now = timezone.now()
    for card in cards:
        save_validated(
            CdsCardIssued(
                uuid=uuidlib.UUID(card["uuid"]),
                service_id=service_id,
                hook_instance=hook_instance[:100],
                client_iss=client_iss[:300],
                option=card.get("extension", {})
                .get("org.ketacare.recommendation", {})
                .get("option")
                or "",
                indicator=card["indicator"],
                summary=card["summary"],
                created_at=now,
                suggestion_uuids=[str(sg["uuid"]) for sg in card.get("suggestions") or []],
            )
        )


class UnknownCard(Exception):
    pass


class UnknownSuggestion(Exception):
    pass


@transaction.atomic
def record_cds_feedback(
    *, service_id: str, items: list[dict[str, Any]], client_iss: str, parse_time
) -> list[CdsFeedback]:
    """Record accepted or overridden cards (with the override reason) from an EHR."""
    now = timezone.now()
    saved = []
    for item in items:
        card = CdsCardIssued.objects.filter(uuid=item["card"], service_id=service_id).first()
        if card is None:
            raise UnknownCard(item["card"])
        accepted = [str(sg["id"]) for sg in item.get("acceptedSuggestions") or []]
        unknown = sorted(set(accepted) - set(card.suggestion_uuids or []))
        if unknown:
            raise UnknownSuggestion(unknown)
        reason = item.get("overrideReason") or {}
        coding = reason.get("reason") or {}
        when: datetime = parse_time(item["outcomeTimestamp"])
        fb = CdsFeedback(
            card=card,
            outcome=item["outcome"],
            accepted_suggestions=accepted,
            override_reason_code=str(coding.get("code", ""))[:100],
            override_reason_display=str(coding.get("display", ""))[:300],
            user_comment=str(reason.get("userComment", "")),
            outcome_timestamp=when,
            client_iss=client_iss[:300],
            received_at=now,
        )
        save_validated(fb)
        record_write(
            actor=None,
            action=AuditAction.CREATE,
            target=fb,
            after={"card": str(card.uuid), "outcome": fb.outcome},
            reason=fb.user_comment,
            summary=f"CDS feedback from {client_iss[:60]}",
            clinic_id=None,
        )
        saved.append(fb)
    return saved
