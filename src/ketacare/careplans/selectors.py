"""Reads of the treatment plan. ``access_plan`` and ``access_component`` check permission and
clinic, answer the same ``NotFound`` for "absent" and "not yours", and audit the read;
``access_own_plan`` is the portal's door to the patient's own plan."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.models import User
from ketacare.accounts.permissions import Permission, require_permission
from ketacare.audit.services import record_read
from ketacare.careplans.models import (
    CarePlan,
    CarePlanPolicy,
    ComponentSubkind,
    PlanComponent,
    PlanStatus,
    PsychotherapySession,
)
from ketacare.clinical.careplan import IntegrationCheck, check_integration_sessions
from ketacare.clinical.careplan import integration_gaps as _integration_gaps
from ketacare.compiled_reads import CompiledRead, attach_children, slot
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_own_patient


def _components():
    return PlanComponent.objects.select_related("owner")


# The current plan and its components (as ``Prefetch("components", _components())`` reads
# them), compiled to SQL once per connection (compiled_reads.py).
_CURRENT_PLAN = CompiledRead(
    lambda: (
        CarePlan.objects.filter(patient_id=slot(CarePlan, "patient"), status=PlanStatus.ACTIVE)
        .select_related("patient", "supersedes")
        .order_by("pk")[:1]
    )
)
_PLAN_COMPONENTS = CompiledRead(lambda: _components().filter(plan_id=slot(PlanComponent, "plan")))
_INTEGRATION_POLICY = CompiledRead(
    lambda: CarePlanPolicy.objects.filter(clinic_id=slot(CarePlanPolicy, "clinic")).order_by("pk")[
        :1
    ]
)


def _current_plan(patient_id: int) -> CarePlan | None:
    plan = _CURRENT_PLAN.first(patient=patient_id)
    if plan is not None:
        attach_children([plan], "components", _PLAN_COMPONENTS.rows(plan=plan.pk), _components())
    return plan


def access_plan(actor: User, patient_id: int) -> CarePlan:
    """The patient's current plan version with its components and owners."""
    require_permission(actor, Permission.VIEW_CARE_PLAN)
    exists = Patient.objects.filter(pk=patient_id).filter(clinic_id=actor.clinic_id).exists()
    if not exists:
        raise NotFound("patient")
    plan = _current_plan(patient_id)
    if plan is None:
        raise NotFound("care plan")
    record_read(actor=actor, target=plan, patient_id=patient_id, summary="care plan")
    return plan


def find_current_plan(actor: User, patient: Patient) -> CarePlan | None:
    """The current plan of a patient the caller already accessed, or ``None`` (audited)."""
    require_permission(actor, Permission.VIEW_CARE_PLAN)
    if patient.clinic_id != actor.clinic_id:
        raise NotFound("patient")
    plan = _current_plan(patient.pk)
    if plan is not None:
        record_read(actor=actor, target=plan, patient_id=patient.pk, summary="care plan")
    return plan


def access_component(actor: User, component_id: int) -> PlanComponent:
    require_permission(actor, Permission.VIEW_CARE_PLAN)
    component = (
        PlanComponent.objects.filter(pk=component_id)
        .filter(clinic_id=actor.clinic_id)
        .select_related("plan", "owner")
        .first()
    )
    if component is None:
        raise NotFound("plan component")
    record_read(
        actor=actor, target=component, patient_id=component.plan.patient_id, summary="plan item"
    )
    return component


def access_own_plan(actor: User) -> tuple[Patient, CarePlan | None]:
    """The portal patient and their current plan (``None`` before the team writes one)."""
    patient = access_own_patient(actor)
    plan = _current_plan(patient.pk)
    if plan is not None:
        record_read(actor=actor, target=plan, patient_id=patient.pk, summary="portal plan")
    return patient, plan


def get_integration_window_days(clinic_id: int) -> int | None:
    """The clinic's chosen N for "integration session within N days after each dose", or
    ``None`` when the clinic has not switched the rule on (the default: no cited N exists)."""
    policy = _INTEGRATION_POLICY.first(clinic=clinic_id)
    return policy.integration_window_days if policy else None


def integration_session_dates(patient: Patient) -> list[date]:
    return list(
        PsychotherapySession.objects.filter(
            patient=patient, subkind=ComponentSubkind.INTEGRATION
        ).values_list("held_on", flat=True)
    )


def _local_dates(times: Iterable[datetime]) -> list[date]:
    # The clinic's calendar day of each dose (settings TIME_ZONE), not the UTC day.
    return [timezone.localdate(t) for t in times]


def integration_gaps(
    patient: Patient,
    dose_times: Iterable[datetime],
    integration_session_dates: Iterable[date],
    window_days: int,
    *,
    as_of: datetime | None = None,
) -> tuple[IntegrationCheck, ...]:
    """Doses of ``patient`` with no integration session within ``window_days`` after them
    (the clinic's policy window; the dose day counts as day 0)."""
    today = timezone.localdate(as_of) if as_of else timezone.localdate()
    return _integration_gaps(
        _local_dates(dose_times),
        list(integration_session_dates),
        window_days=window_days,
        as_of=today,
    )


def integration_checks_for(
    patient: Patient, *, dose_times: Iterable[datetime], as_of: datetime | None = None
) -> tuple[IntegrationCheck, ...]:
    """Every dose's integration status under the clinic's policy; empty when the rule is off."""
    window = get_integration_window_days(patient.clinic_id)
    if window is None:
        return ()
    today = timezone.localdate(as_of) if as_of else timezone.localdate()
    return check_integration_sessions(
        _local_dates(dose_times),
        integration_session_dates(patient),
        window_days=window,
        as_of=today,
    )
