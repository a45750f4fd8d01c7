from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from ketacare.api.schemas import InputSchema


class OwnTokenRead(Schema):
    id: int
    created_at: datetime
    created_ip: str | None
    last_used_at: datetime | None
    expires_at: datetime
    revoked_at: datetime | None
    status: str


class ClinicUserRead(Schema):
    id: int
    username: str
    full_name: str
    role: str
    is_active: bool
    second_factor: bool
    live_tokens: int


class ReasonCreate(InputSchema):
    reason: str = Field(min_length=1, max_length=500)


class RevokedRead(Schema):
    revoked: int
