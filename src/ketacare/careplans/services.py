"""Writes to the treatment plan. Each is atomic, authorised and audited in the same
transaction; bad input raises ``InvalidClinicalInput`` and changes nothing.

``record_plan`` writes a whole plan version (goals and components). A change is a new version
that supersedes the current one, with a reason; the old version is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import Role, User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.models import AuditAction
from ketacare.audit.services import record_write
from ketacare.careplans.models import (
    SUBKINDS_BY_KIND,
    CarePlan,
    CarePlanPolicy,
    ComponentKind,
    ComponentStatus,
    PlanComponent,
    PlanStatus,
    PsychotherapySession,
)
from ketacare.clinical.careplan import validate_window_days
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.patients.models import Patient
from ketacare.records import save_validated, snapshot

MAX_GOALS = 20
MAX_COMPONENTS = 40


@dataclass(frozen=True, slots=True)
class ComponentInput:
    """One component as the caller describes it (the API schema and the page form map here)."""

    kind: str
    description: str
    subkind: str = ""
    owner_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: str = ComponentStatus.PLANNED
    frequency: str = ""
    treatment_course_id: int | None = None


def _same_clinic(actor: User, patient: Patient) -> None:
    if patient.clinic_id != actor.clinic_id:
        raise InvalidClinicalInput("wrong_clinic", "This patient belongs to another clinic.")


def _clean_goals(goals: list[str]) -> list[str]:
    cleaned = [g.strip() for g in goals if g and g.strip()]
    if not cleaned:
        raise InvalidClinicalInput(
            "plan_goal_required", "A plan needs at least one goal.", {"field": "goals"}
        )
    if len(cleaned) > MAX_GOALS:
        raise InvalidClinicalInput(
            "too_many_goals", f"A plan holds at most {MAX_GOALS} goals.", {"field": "goals"}
        )
    return cleaned


def _owner(actor: User, owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    owner = (
        User.objects.filter(pk=owner_id, clinic_id=actor.clinic_id, is_active=True)
        .exclude(role=Role.PATIENT)
        .first()
    )
    if owner is None:
        raise InvalidClinicalInput(
            "owner_not_on_staff",
            "A component's owner must be an active staff member of this clinic.",
            {"field": "owner_id", "owner_id": owner_id},
        )
    return owner


def _check_component(item: ComponentInput, index: int) -> None:
    allowed = SUBKINDS_BY_KIND.get(item.kind)
    if allowed is not None and item.subkind not in allowed:
        raise InvalidClinicalInput(
            "component_subkind_invalid",
            f"Component {index + 1}: choose one of {sorted(allowed)} for {item.kind}.",
            {"field": "subkind", "component": index},
        )
    if allowed is None and item.subkind:
        raise InvalidClinicalInput(
            "component_subkind_invalid",
            f"Component {index + 1}: {item.kind} has no subkind.",
            {"field": "subkind", "component": index},
        )
    if item.treatment_course_id is not None and item.kind != ComponentKind.KETAMINE_COURSE:
        raise InvalidClinicalInput(
            "course_link_not_a_course",
            f"Component {index + 1}: only a ketamine course component links to a course.",
            {"field": "treatment_course_id", "component": index},
        )
    if item.start_date and item.end_date and item.end_date < item.start_date:
        raise InvalidClinicalInput(
            "component_ends_before_start",
            f"Component {index + 1}: the end date is before the start date.",
            {"field": "end_date", "component": index},
        )
    if not item.description.strip():
        raise InvalidClinicalInput(
            "component_description_required",
            f"Component {index + 1}: describe the component.",
            {"field": "description", "component": index},
        )


@transaction.atomic
def record_plan(
    *,
    actor: User,
    patient: Patient,
    goals: list[str],
    components: list[ComponentInput],
    change_reason: str = "",
    as_of: datetime | None = None,
) -> CarePlan:
    """Create the patient's plan, or a new version superseding the current one (a new
    version needs a reason; the previous version is kept and marked superseded)."""
    require_permission(actor, Permission.MANAGE_PLAN)
    _same_clinic(actor, patient)
    now = as_of or timezone.now()
    cleaned_goals = _clean_goals(goals)
    if len(components) > MAX_COMPONENTS:
        raise InvalidClinicalInput(
            "too_many_components", f"A plan holds at most {MAX_COMPONENTS} components."
        )
    for index, item in enumerate(components):
        _check_component(item, index)
    owners = {item.owner_id: _owner(actor, item.owner_id) for item in components}

    # Lock the patient row so two clinicians saving at once cannot both become "current".
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    current = CarePlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).first()
    reason = change_reason.strip()
    if current is not None and not reason:
        raise InvalidClinicalInput(
            "plan_change_reason_required",
            "Say why the plan changes; the previous version is kept.",
            {"field": "change_reason"},
        )
    if current is not None:
        current.status = PlanStatus.SUPERSEDED
        save_validated(current, update_fields=["status"])
        record_write(
            actor=actor,
            action=AuditAction.SUPERSEDE,
            target=current,
            patient_id=patient.pk,
            before={"status": PlanStatus.ACTIVE},
            after={"status": PlanStatus.SUPERSEDED},
            reason=reason,
            summary=f"care plan v{current.version} superseded",
        )
    plan = CarePlan(
        clinic_id=patient.clinic_id,
        patient=patient,
        version=(current.version + 1) if current else 1,
        status=PlanStatus.ACTIVE,
        goals=cleaned_goals,
        supersedes=current,
        change_reason=reason if current else "",
        created_at=now,
        created_by=actor,
    )
    save_validated(plan)
    for position, item in enumerate(components):
        component = PlanComponent(
            clinic_id=patient.clinic_id,
            plan=plan,
            position=position,
            kind=item.kind,
            subkind=item.subkind,
            description=item.description.strip(),
            owner=owners[item.owner_id],
            start_date=item.start_date,
            end_date=item.end_date,
            status=item.status,
            frequency=item.frequency.strip(),
            treatment_course_id=item.treatment_course_id,
            status_changed_at=now,
            created_at=now,
            created_by=actor,
        )
        save_validated(component)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=plan,
        patient_id=patient.pk,
        after={
            "version": plan.version,
            "goals": cleaned_goals,
            "components": [
                {"kind": c.kind, "subkind": c.subkind, "status": c.status} for c in components
            ],
        },
        reason=reason,
        summary=f"care plan v{plan.version} recorded",
    )
    return plan


COMPONENT_STATUS_FIELDS = ["status", "status_changed_at", "status_reason"]


@transaction.atomic
def record_component_status(
    *,
    actor: User,
    component: PlanComponent,
    status: str,
    reason: str = "",
    as_of: datetime | None = None,
) -> PlanComponent:
    """Move a component of the current plan to planned, active, completed or stopped.
    Stopping needs a reason."""
    require_permission(actor, Permission.MANAGE_PLAN)
    component = (
        PlanComponent.objects.select_for_update().select_related("plan").get(pk=component.pk)
    )
    if component.clinic_id != actor.clinic_id:
        raise InvalidClinicalInput("wrong_clinic", "This plan belongs to another clinic.")
    if component.plan.status != PlanStatus.ACTIVE:
        raise InvalidClinicalInput(
            "plan_not_current",
            "This component belongs to a superseded plan version; change the current plan.",
        )
    if status not in ComponentStatus.values:
        raise InvalidClinicalInput(
            "component_status_invalid",
            f"Choose one of {ComponentStatus.values}.",
            {"field": "status"},
        )
    reason = reason.strip()
    if status == ComponentStatus.STOPPED and not reason:
        raise InvalidClinicalInput(
            "stop_reason_required", "Say why the component stops.", {"field": "reason"}
        )
    if status == component.status:
        return component
    before = snapshot(component, COMPONENT_STATUS_FIELDS)
    component.status = status
    component.status_changed_at = as_of or timezone.now()
    component.status_reason = reason
    save_validated(component, update_fields=COMPONENT_STATUS_FIELDS)
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=component,
        patient_id=component.plan.patient_id,
        before={"status": before["status"]},
        after={"status": status},
        reason=reason,
        summary="care plan component status changed",
    )
    return component


@transaction.atomic
def record_psychotherapy_session(
    *,
    actor: User,
    component: PlanComponent,
    held_on: date,
    note: str = "",
) -> PsychotherapySession:
    """Record that a session of a psychotherapy component (preparation, integration, CBT or
    other) took place on ``held_on``."""
    require_permission(actor, Permission.MANAGE_PLAN)
    component = PlanComponent.objects.select_related("plan").get(pk=component.pk)
    if component.clinic_id != actor.clinic_id:
        raise InvalidClinicalInput("wrong_clinic", "This plan belongs to another clinic.")
    if component.kind != ComponentKind.PSYCHOTHERAPY:
        raise InvalidClinicalInput(
            "not_a_psychotherapy_component",
            "Sessions are recorded against a psychotherapy component.",
        )
    if held_on > timezone.localdate():
        raise InvalidClinicalInput(
            "date_in_future",
            "A session cannot be recorded before it happens.",
            {"field": "held_on"},
        )
    session = PsychotherapySession(
        clinic_id=component.clinic_id,
        patient_id=component.plan.patient_id,
        component=component,
        subkind=component.subkind,
        held_on=held_on,
        note=note.strip(),
        created_at=timezone.now(),
        created_by=actor,
    )
    save_validated(session)
    record_write(
        actor=actor,
        action=AuditAction.CREATE,
        target=session,
        patient_id=session.patient_id,
        after={"subkind": session.subkind, "held_on": held_on},
        summary=f"{component.get_subkind_display().lower()} session recorded",
    )
    return session


@transaction.atomic
def record_integration_policy(*, actor: User, window_days: int | None) -> CarePlanPolicy:
    """Set the clinic's rule "an integration session within N days after each dose" (a
    clinic policy; ``None`` switches it off)."""
    require_permission(actor, Permission.MANAGE_PROTOCOLS)
    if window_days is not None:
        validate_window_days(window_days)
    policy, _ = CarePlanPolicy.objects.select_for_update().get_or_create(
        clinic_id=actor.clinic_id, defaults={"updated_at": timezone.now()}
    )
    before = policy.integration_window_days
    policy.integration_window_days = window_days
    policy.updated_at = timezone.now()
    policy.updated_by = actor
    policy.full_clean()
    policy.save(update_fields=["integration_window_days", "updated_at", "updated_by"])
    record_write(
        actor=actor,
        action=AuditAction.UPDATE,
        target=policy,
        before={"integration_window_days": before},
        after={"integration_window_days": window_days},
        summary="integration-session policy changed",
        clinic_id=actor.clinic_id,
    )
    return policy
