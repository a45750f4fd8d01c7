from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema
from pydantic import AwareDatetime, Field

from ketacare.api.schemas import InputSchema
from ketacare.clinical.plausibility import LIMITS
from ketacare.patients.models import Adherence, MedicationClass, PatientStatus, Sex, TrialOutcome

SexCode = Sex
Name = str


class PatientCreate(InputSchema):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    sex: Sex
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=300)
    emergency_contact: str = Field("", max_length=200)
    current_episode_onset: date | None = None


class PatientUpdate(InputSchema):
    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    date_of_birth: date | None = None
    sex: Sex | None = None
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    address: str | None = Field(None, max_length=300)
    emergency_contact: str | None = Field(None, max_length=200)
    current_episode_onset: date | None = None
    status: PatientStatus | None = None


class PatientRead(Schema):
    id: int
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    phone: str
    email: str
    address: str
    emergency_contact: str
    current_episode_onset: date | None
    status: str
    created_at: datetime
    updated_at: datetime


class PatientListRead(Schema):
    items: list[PatientRead]
    total: int
    limit: int
    offset: int


class MedicationTrialCreate(InputSchema):
    drug: str = Field(min_length=1, max_length=120)
    dose_mg_per_day: Decimal = Field(gt=0, max_digits=7, decimal_places=2)
    weeks: int = Field(ge=0, le=520)
    adherence: Adherence
    adequate: bool
    outcome: TrialOutcome
    augmentation: bool = False
    in_current_episode: bool = True
    notes: str = Field("", max_length=2000)


class MedicationTrialRead(Schema):
    id: int
    patient_id: int
    drug: str
    dose_mg_per_day: Decimal
    weeks: int
    adherence: str
    adequate: bool
    outcome: str
    augmentation: bool
    in_current_episode: bool
    notes: str
    created_at: datetime


class WeightCreate(InputSchema):
    weight_kg: Decimal = Field(
        ge=LIMITS["weight_kg"].low, le=LIMITS["weight_kg"].high, max_digits=5, decimal_places=1
    )
    measured_at: AwareDatetime


class WeightRead(Schema):
    id: int
    weight_kg: Decimal
    measured_at: datetime


class DiagnosisCreate(InputSchema):
    icd10_code: str = Field(min_length=3, max_length=8)
    description: str = Field(min_length=1, max_length=200)
    onset_date: date | None = None


class DiagnosisRead(Schema):
    id: int
    icd10_code: str
    description: str
    onset_date: date | None
    status: str


class MedicationCreate(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    drug_class: MedicationClass
    dose_text: str = Field("", max_length=120)
    started_on: date | None = None
    stopped_on: date | None = None


class MedicationRead(Schema):
    id: int
    name: str
    drug_class: str
    dose_text: str
    started_on: date | None
    stopped_on: date | None
