from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field

from ketacare.api.schemas import InputSchema, RecordId
from ketacare.consent.models import ConsentRoute


def _plausible_year(value: datetime) -> datetime:
    # Keeps offsets arithmetic away from datetime's year 1 / 9999 edges.
    if not 1900 <= value.year <= 2200:
        raise ValueError("the year must be between 1900 and 2200")
    return value


ClinicDatetime = Annotated[AwareDatetime, AfterValidator(_plausible_year)]


class ConsentVersionCreate(InputSchema):
    route: ConsentRoute
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000)
    effective_at: ClinicDatetime
    material_change: bool


class ConsentVersionRead(Schema):
    id: int
    document_id: int
    version_number: int
    body: str
    effective_at: datetime
    material_change: bool
    created_at: datetime
    created_by_id: int | None


class ConsentDocumentRead(Schema):
    id: int
    route: str
    title: str
    versions: list[ConsentVersionRead]

    @staticmethod
    def resolve_versions(obj) -> list:
        return sorted(obj.versions.all(), key=lambda v: -v.version_number)


class ConsentCreate(InputSchema):
    version_id: RecordId
    typed_name: str = Field(min_length=1, max_length=200)
    signed_at: ClinicDatetime | None = None


class ConsentWithdraw(InputSchema):
    reason: str = Field(min_length=1, max_length=2000)


class ConsentRead(Schema):
    id: int
    patient_id: int
    version_id: int
    route: str
    version_number: int
    signed_text_snapshot: str
    typed_name: str
    signed_at: datetime
    witness_id: int
    withdrawn_at: datetime | None
    withdrawn_by_id: int | None
    withdrawal_reason: str

    @staticmethod
    def resolve_route(obj) -> str:
        return obj.version.document.route

    @staticmethod
    def resolve_version_number(obj) -> int:
        return obj.version.version_number


class RouteConsentStatusRead(Schema):
    route: str
    valid: bool
    code: str
    message: str
    signature_id: int | None
    signed_version_number: int | None


class PatientConsentsRead(Schema):
    signatures: list[ConsentRead]
    status: list[RouteConsentStatusRead]
