from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field

from ketacare.api.schemas import InputSchema, RecordId
from ketacare.controlled_substances.models import (
    BusinessTime,
    DiscrepancyClassification,
    Drug,
    EntryKind,
)


def _plausible_year(value: datetime) -> datetime:
    # Far-off years cannot be ledger times and overflow timezone conversion.
    if not 2000 <= value.year <= 2200:
        raise ValueError("the time must fall between the years 2000 and 2200")
    return value


LedgerTime = Annotated[AwareDatetime, AfterValidator(_plausible_year)]
Millilitres = Annotated[Decimal, Field(gt=0, le=1000, max_digits=7, decimal_places=3)]
Text = Annotated[str, Field(max_length=2000)]


class SupplierCreate(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=300)
    dea_number: str = Field(
        min_length=9,
        max_length=9,
        pattern=r"^[A-Za-z][A-Za-z9][0-9]{7}$",
        description="DEA registration number; the check digit is verified.",
    )


class ReceiptCreate(InputSchema):
    drug: Drug
    concentration_mg_per_ml: Decimal = Field(gt=0, le=1000, max_digits=7, decimal_places=2)
    description: str = Field(min_length=1, max_length=120)
    size_ml: Millilitres
    device_count: int | None = Field(
        None, ge=1, le=50, description="Esketamine kits only: devices of 28 mg each."
    )
    lot: str = Field(min_length=1, max_length=40)
    expires_on: date
    ndc: str = Field("", max_length=14, pattern=r"^[0-9-]*$")
    container_count: int = Field(1, ge=1, le=200)
    supplier: SupplierCreate
    received_at: LedgerTime | None = None


class SupplierRead(Schema):
    id: int
    name: str
    address: str
    dea_number: str


class ContainerRead(Schema):
    id: int
    drug: str
    concentration_mg_per_ml: Decimal
    description: str
    size_ml: Decimal
    device_count: int | None
    lot: str
    expires_on: date
    ndc: str
    received_at: datetime
    supplier: SupplierRead


class ReceiptRead(Schema):
    containers: list[ContainerRead]


class LedgerEntryRead(Schema):
    id: int
    container_id: int
    sequence: int
    kind: str
    occurred_at: datetime
    quantity_ml: Decimal
    quantity_mg: Decimal
    balance_after_ml: Decimal
    drawn_after_ml: Decimal
    actor_id: int | None
    witness_id: int | None
    patient_id: int | None
    session_id: int | None
    dose_mg: Decimal | None
    reason: str
    corrects_id: int | None
    count_line_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_actor_id(obj) -> int | None:
        return obj.created_by_id


class LedgerPage(Schema):
    items: list[LedgerEntryRead]
    total: int
    limit: int
    offset: int


class LedgerFilter(Schema):
    container_id: RecordId | None = None
    kind: EntryKind | None = None
    since: LedgerTime | None = None
    until: LedgerTime | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class DrawCreate(InputSchema):
    container_id: RecordId
    quantity_ml: Millilitres
    patient_id: RecordId | None = None
    session_id: RecordId | None = None
    occurred_at: LedgerTime | None = None


class WasteCreate(InputSchema):
    container_id: RecordId
    quantity_ml: Millilitres
    witness_id: RecordId | None = Field(
        None, description="The second licensed person (prescriber or nurse) present."
    )
    witness_password: str = Field(
        "",
        max_length=128,
        description="Entered by the witness at the point of waste; never stored or echoed.",
    )
    witness_otp: str = Field(
        "",
        max_length=64,
        description="The witness's current one-time code, needed when the witness has a second "
        "factor and last gave a code longer ago than the clinic's step-up limit (15 minutes).",
    )
    reason: Text = ""
    patient_id: RecordId | None = None
    session_id: RecordId | None = None
    occurred_at: LedgerTime | None = None


class ReturnCreate(InputSchema):
    container_id: RecordId
    quantity_ml: Millilitres | None = Field(None, description="Omit to return all stock left.")
    reason: str = Field(min_length=1, max_length=2000)
    occurred_at: LedgerTime | None = None


class CorrectionCreate(InputSchema):
    entry_id: RecordId
    quantity_ml: Decimal = Field(
        ge=-1000, le=1000, max_digits=7, decimal_places=3, description="Signed stock change."
    )
    reason: str = Field(min_length=1, max_length=2000)
    occurred_at: LedgerTime | None = None


class CountLineCreate(InputSchema):
    container_id: RecordId
    counted_ml: Decimal = Field(ge=0, le=1000, max_digits=7, decimal_places=3)
    estimated: bool = Field(
        False, description="Schedule III opened containers may be estimated (21 CFR 1304.11)."
    )


class CountCreate(InputSchema):
    business_time: BusinessTime
    complete: bool = Field(description="A complete inventory of every container with drug left.")
    lines: list[CountLineCreate] = Field(min_length=1, max_length=500)
    witness_id: RecordId | None = None
    notes: Text = ""
    counted_at: LedgerTime | None = None


class DiscrepancyRead(Schema):
    id: int
    container_id: int
    count_line_id: int
    discrepancy_ml: Decimal
    discrepancy_mg: Decimal
    discovered_at: datetime
    classification: str
    reportable: bool = Field(description="Theft or significant loss: the DEA deadlines apply.")
    written_notice_due_on: date
    form_106_due_on: date
    status: str
    investigation_notes: str
    dea_notice_sent_on: date | None
    form_106_filed_on: date | None
    closed_at: datetime | None
    closing_notes: str


class CountLineRead(Schema):
    id: int
    container_id: int
    expected_ml: Decimal
    counted_ml: Decimal
    discrepancy_ml: Decimal
    estimated: bool
    status: str
    discrepancy_id: int | None

    @staticmethod
    def resolve_discrepancy_id(obj) -> int | None:
        found = getattr(obj, "discrepancy", None)
        return found.pk if found else None


class CountRead(Schema):
    id: int
    counted_at: datetime
    business_time: str
    complete: bool
    counted_by_id: int | None
    witness_id: int | None
    notes: str
    lines: list[CountLineRead]

    @staticmethod
    def resolve_counted_by_id(obj) -> int | None:
        return obj.created_by_id


class InventoryStatusRead(Schema):
    last_complete_inventory_on: date | None
    last_complete_inventory_id: int | None
    interval_years: int
    due_on: date | None
    overdue: bool
    days_overdue: int
    alert_code: str | None
    alert_message: str | None


class BalanceRead(Schema):
    container: ContainerRead
    balance_ml: Decimal
    balance_mg: Decimal
    drawn_ml: Decimal
    expired: bool


class BalancesRead(Schema):
    items: list[BalanceRead]
    inventory: InventoryStatusRead


class DiscrepancyFilter(Schema):
    include_closed: bool = False


class ClassifyCreate(InputSchema):
    classification: DiscrepancyClassification
    notes: str = Field(min_length=1, max_length=4000)


class CloseCreate(InputSchema):
    closing_notes: str = Field(min_length=1, max_length=4000)
    dea_notice_sent_on: date | None = None
    form_106_filed_on: date | None = None
