"""Treatment plans: /api/v1/patients/{id}/plan and its components."""

from __future__ import annotations

from ninja import Router, Status

from ketacare.accounts.permissions import Permission
from ketacare.api.auth import guard
from ketacare.api.schemas import ERROR_RESPONSES, RecordId
from ketacare.careplans import selectors, services
from ketacare.careplans.schemas import (
    CarePlanCreate,
    CarePlanRead,
    ComponentStatusUpdate,
    IntegrationPolicyRead,
    IntegrationPolicyUpdate,
    PlanComponentCreate,
    PlanComponentRead,
    PsychotherapySessionCreate,
    PsychotherapySessionRead,
)
from ketacare.patients.selectors import access_patient

router = Router(tags=["care plans"])


def _component_input(item: PlanComponentCreate) -> services.ComponentInput:
    return services.ComponentInput(**{**item.dict(), "subkind": item.subkind or ""})


@router.get(
    "/patients/{patient_id}/plan",
    response={200: CarePlanRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_CARE_PLAN),
)
def get_plan(request, patient_id: RecordId):
    """The patient's current treatment plan: goals and components (ketamine course,
    psychotherapy, lifestyle, medication management, other), each with owner, dates and status.
    404 `not_found` when no plan has been written yet."""
    return selectors.access_plan(request.user, patient_id)


@router.post(
    "/patients/{patient_id}/plan",
    response={201: CarePlanRead, **ERROR_RESPONSES},
    **guard(
        Permission.MANAGE_PLAN,
        links={
            "GetPlan": (
                "ketacare_careplans_api_get_plan",
                {"patient_id": "$request.path.patient_id"},
            )
        },
    ),
)
def record_plan(request, patient_id: RecordId, payload: CarePlanCreate):
    """Write the patient's plan. When a plan exists this creates a new version that supersedes
    it (`change_reason` required; the old version is kept). Send the whole plan each time."""
    patient = access_patient(request.user, patient_id, purpose="record plan")
    plan = services.record_plan(
        actor=request.user,
        patient=patient,
        goals=payload.goals,
        components=[_component_input(c) for c in payload.components],
        change_reason=payload.change_reason,
    )
    return Status(201, plan)


@router.post(
    "/plan-components/{component_id}/status",
    response={200: PlanComponentRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_PLAN),
)
def record_component_status(request, component_id: RecordId, payload: ComponentStatusUpdate):
    """Move a component of the current plan to planned, active, completed or stopped
    (stopping needs a `reason`). Components of superseded versions answer 422."""
    component = selectors.access_component(request.user, component_id)
    return services.record_component_status(
        actor=request.user, component=component, status=payload.status, reason=payload.reason
    )


@router.post(
    "/plan-components/{component_id}/sessions",
    response={201: PsychotherapySessionRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_PLAN),
)
def record_psychotherapy_session(
    request, component_id: RecordId, payload: PsychotherapySessionCreate
):
    """Record that a session of a psychotherapy component (preparation, integration, CBT or
    other) took place. Integration sessions count toward the clinic's integration policy."""
    component = selectors.access_component(request.user, component_id)
    created = services.record_psychotherapy_session(
        actor=request.user, component=component, held_on=payload.held_on, note=payload.note
    )
    return Status(201, created)


@router.get(
    "/plan-policy",
    response={200: IntegrationPolicyRead, **ERROR_RESPONSES},
    **guard(Permission.VIEW_PATIENT),
)
def get_plan_policy(request):
    """The clinic's integration-session rule: N days, or null when off (the default)."""
    return {
        "integration_window_days": selectors.get_integration_window_days(request.user.clinic_id)
    }


@router.post(
    "/plan-policy",
    response={200: IntegrationPolicyRead, **ERROR_RESPONSES},
    **guard(Permission.MANAGE_PROTOCOLS),
)
def record_plan_policy(request, payload: IntegrationPolicyUpdate):
    """Set or switch off "an integration session within N days after each dose". N is the
    clinic's own policy choice (no clinical source sets it)."""
    policy = services.record_integration_policy(
        actor=request.user, window_days=payload.integration_window_days
    )
    return {"integration_window_days": policy.integration_window_days}
