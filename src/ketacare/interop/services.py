"""Writes: the prescriber's treatment choice after a recommendation, and CDS Hooks cards and
feedback. Each is atomic and audited."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.gates import Override
from ketacare.clinical.recommendations import (
    TreatmentOption,
    check_prescriber_choice,
    recommend_treatment,
)
from ketacare.interop.mappers import recommendation_input_for_patient
from ketacare.interop.models import CdsCardIssued, CdsFeedback, TreatmentChoice
from ketacare.patients.models import Patient
from ketacare.records import save_validated


@transaction.atomic
def record_treatment_choice(
    *,
    actor: User,
    patient: Patient,
    option: TreatmentOption,
    reason: str = "",
    override: Override | None = None,
) -> TreatmentChoice:
    """Adopt ``option`` for the plan. A choice other than the top option needs a reason; an
    excluded option needs a prescriber override; an absolutely contraindicated one is refused."""
    require_permission(actor, Permission.ORDER_TREATMENT)
    if patient.clinic_id != actor.clinic_id:
        raise InvalidClinicalInput("wrong_clinic", "This patient belongs to another clinic.")
    now = timezone.now()
    rec = recommend_treatment(recommendation_input_for_patient(patient, as_of=now))
    decision = check_prescriber_choice(rec, option, reason)
    overridden = decision.enforce(override)
    if overridden:
        require_permission(actor, Permission.OVERRIDE_CLINICAL_GATE)
    top = rec.top.option.value if rec.top else ""
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
    )
    save_validated(choice)
    record_write(
        actor=actor,
        action=AuditAction.OVERRIDE if overridden else AuditAction.CREATE,
        target=choice,
        patient_id=patient.pk,
        after={"chosen_option": option.value, "top_option": top},
        reason=(override.reason if overridden and override else reason.strip()),
        summary="treatment option adopted from recommendation",
    )
    return choice


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
            )
        )


class UnknownCard(Exception):
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
        reason = item.get("overrideReason") or {}
        coding = reason.get("reason") or {}
        when: datetime = parse_time(item["outcomeTimestamp"])
        fb = CdsFeedback(
            card=card,
            outcome=item["outcome"],
            accepted_suggestions=[s.get("id") for s in item.get("acceptedSuggestions") or []],
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
