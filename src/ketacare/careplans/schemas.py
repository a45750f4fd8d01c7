from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field

from ketacare.api.schemas import InputSchema, RecordId
from ketacare.careplans.models import ComponentKind, ComponentStatus, ComponentSubkind

Goal = Annotated[str, Field(min_length=1, max_length=500)]


class PlanComponentCreate(InputSchema):
    kind: ComponentKind
    subkind: ComponentSubkind | None = Field(
        None,
        description="psychotherapy: preparation, integration, cbt or other_therapy; "
        "lifestyle: sleep, activity, alcohol or substance_use; empty for other kinds.",
    )
    description: str = Field(min_length=1, max_length=2000)
    owner_id: RecordId | None = Field(None, description="A staff user of the clinic.")
    start_date: date | None = None
    end_date: date | None = None
    status: ComponentStatus = ComponentStatus.PLANNED
    frequency: str = Field("", max_length=120, description="Free text, e.g. 'weekly'.")
    treatment_course_id: RecordId | None = Field(
        None, description="Only for a ketamine_course component: the treatment course."
    )


class CarePlanCreate(InputSchema):
    goals: list[Goal] = Field(min_length=1, max_length=20)
    components: list[PlanComponentCreate] = Field(default_factory=list, max_length=40)
    change_reason: str = Field(
        "", max_length=2000, description="Required when a plan exists (a new version)."
    )


class ComponentStatusUpdate(InputSchema):
    status: ComponentStatus
    reason: str = Field("", max_length=2000, description="Required when stopping.")


class PsychotherapySessionCreate(InputSchema):
    held_on: date
    note: str = Field("", max_length=4000)


class OwnerRead(Schema):
    id: int
    name: str
    role: str


class PlanComponentRead(Schema):
    id: int
    plan_id: int
    kind: str
    subkind: str
    description: str
    owner: OwnerRead | None
    start_date: date | None
    end_date: date | None
    status: str
    frequency: str
    treatment_course_id: int | None
    status_changed_at: datetime | None
    status_reason: str

    @staticmethod
    def resolve_owner(obj) -> dict | None:
        if obj.owner is None:
            return None
        return {
            "id": obj.owner.pk,
            "name": obj.owner.get_full_name() or obj.owner.username,
            "role": obj.owner.role,
        }


class CarePlanRead(Schema):
    id: int
    patient_id: int
    version: int
    status: str
    goals: list[str]
    supersedes_id: int | None
    change_reason: str
    created_at: datetime
    components: list[PlanComponentRead]

    @staticmethod
    def resolve_components(obj) -> list:
        return list(obj.components.all())


class PsychotherapySessionRead(Schema):
    id: int
    component_id: int
    subkind: str
    held_on: date
    note: str


class IntegrationPolicyUpdate(InputSchema):
    integration_window_days: int | None = Field(
        None,
        ge=0,
        le=90,
        description="The clinic's N for 'an integration session within N days after each "
        "dose'. A clinic policy, not a clinical constant; null switches the rule off.",
    )


class IntegrationPolicyRead(Schema):
    integration_window_days: int | None
