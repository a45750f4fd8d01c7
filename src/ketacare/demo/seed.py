"""The demo clinic: one login per role and synthetic patients with months of history,
all written through the same services the clinic uses (so the demo's audit trail is real).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketacare.accounts import second_factor
from ketacare.accounts.models import Clinic, Role, User
from ketacare.accounts.services import create_user
from ketacare.apps_registry import CLINIC_APPS, optional_module
from ketacare.demo.names import ANTIDEPRESSANTS, FAMILY_NAMES, GIVEN_NAMES
from ketacare.patients import services as patient_services

DEMO_CLINIC_NAME = "KetaCare Demo Clinic"
DEMO_USERNAMES = ("prescriber", "nurse", "therapist", "frontdesk", "admin", "researcher", "patient")
DEMO_PATIENT_COUNT = 30
_DEFAULT_DEMO_PASSWORD = "ketacare-demo"


@dataclass
class DemoContext:
    """What each app's ``demo.seed_demo(ctx)`` step receives. Steps may add to ``extra``."""

    clinic: Clinic
    users: dict[str, User]
    patients: list
    rng: random.Random
    extra: dict = field(default_factory=dict)


def demo_password() -> str:
    return os.environ.get("KETACARE_DEMO_PASSWORD") or _DEFAULT_DEMO_PASSWORD


def demo_totp_secret() -> str | None:
    """One base32 authenticator key for every demo staff login (scripted runs), read when the
    demo is first seeded; otherwise each login gets its own random key, which the demo prints."""
    return os.environ.get("KETACARE_DEMO_TOTP_SECRET") or None


STAFF = (
    ("prescriber", Role.PRESCRIBER, "Dana", "Okoye"),
    ("nurse", Role.NURSE, "Sam", "Lindqvist"),
    ("therapist", Role.THERAPIST, "Priya", "Raman"),
    ("frontdesk", Role.FRONT_DESK, "Alex", "Moreno"),
    ("admin", Role.CLINIC_ADMIN, "Jamie", "Fischer"),
    ("researcher", Role.RESEARCHER, "Robin", "Achebe"),
)


def _staff(clinic: Clinic, password: str) -> dict[str, User]:
    users = {}
    today = timezone.localdate()
    for username, role, first, last in STAFF:
        users[username] = create_user(
            actor=None,
            clinic=clinic,
            username=username,
            password=password,
            role=role,
            first_name=first,
            last_name=last,
            license_number={Role.PRESCRIBER: "MD-DEMO-0001", Role.NURSE: "RN-DEMO-0001"}.get(
                role, ""
            ),
            # Licensed clinicians: the prescriber, and the nurse (who may acknowledge warnings).
            license_expiry=(
                today + timedelta(days=730) if role in (Role.PRESCRIBER, Role.NURSE) else None
            ),
            validate=False,
        )
    users["admin"].is_staff = True
    users["admin"].save(update_fields=["is_staff"])
    # Every staff login signs in with a second factor, as the clinic's would.
    for user in users.values():
        second_factor.provision_totp_device(user=user, base32_key=demo_totp_secret())
    return users


REGISTERED_DAYS_AGO = 1000


def _patients(users: dict[str, User], rng: random.Random) -> list:
    frontdesk, nurse, prescriber = users["frontdesk"], users["nurse"], users["prescriber"]
    now = timezone.now()
    patients = []
    for i in range(DEMO_PATIENT_COUNT):
        onset = (now - timedelta(days=rng.randint(200, 900))).date()
        patient = patient_services.register_patient(
            actor=frontdesk,
            # Registered before the history recorded below (no reading predates registration).
            as_of=now - timedelta(days=REGISTERED_DAYS_AGO),
            given_name=GIVEN_NAMES[i % len(GIVEN_NAMES)],
            family_name=FAMILY_NAMES[(i * 7) % len(FAMILY_NAMES)],
            date_of_birth=date(1950 + rng.randint(0, 50), rng.randint(1, 12), rng.randint(1, 28)),
            sex=rng.choice(["female", "male"]),
            phone=f"555-01{i:02d}",
            current_episode_onset=onset,
        )
        patient_services.record_diagnosis(
            actor=prescriber,
            patient=patient,
            icd10_code=rng.choice(["F33.1", "F33.2", "F32.2", "F33.1"]),
            description="Major depressive disorder",
            onset_date=onset,
        )
        base_weight = Decimal(rng.randint(52, 110))
        for months_ago in (5, 3, 1):
            patient_services.record_weight(
                actor=nurse,
                patient=patient,
                weight_kg=base_weight + Decimal(rng.randint(-2, 2)),
                measured_at=now - timedelta(days=30 * months_ago),
            )
        for drug, dose in rng.sample(ANTIDEPRESSANTS, k=rng.randint(1, 4)):
            patient_services.record_medication_trial(
                actor=prescriber,
                patient=patient,
                drug=drug,
                dose_mg_per_day=Decimal(dose),
                weeks=rng.randint(4, 12),
                adherence=rng.choice(["good", "good", "partial"]),
                adequate=rng.random() < 0.8,
                outcome=rng.choice(
                    ["no_response", "no_response", "partial_response", "intolerance"]
                ),
            )
        patients.append(patient)
    return patients


def seed_demo_clinic(*, password: str) -> bool:
    """Seed once; return False when the demo clinic already exists."""
    if Clinic.objects.filter(name=DEMO_CLINIC_NAME).exists():
        return False
    rng = random.Random(20261126)
    with transaction.atomic():
        clinic = Clinic.objects.create(
            name=DEMO_CLINIC_NAME,
            address="1 Example Way, Springfield",
            dea_registration="AB1234563",
            rems_certified=True,
            rems_setting_id="DEMO-REMS-001",
        )
        users = _staff(clinic, password)
        patients = _patients(users, rng)
        portal_user = create_user(
            actor=None,
            clinic=clinic,
            username="patient",
            password=password,
            role=Role.PATIENT,
            first_name=patients[0].given_name,
            last_name=patients[0].family_name,
            patient=patients[0],
            validate=False,
        )
        ctx = DemoContext(
            clinic=clinic, users={**users, "patient": portal_user}, patients=patients, rng=rng
        )
        # Later parts of the clinic add their history (evaluations, consents, courses,
        # sessions, assessments, ledger) through their own services, in app order.
        for app in CLINIC_APPS:
            step = optional_module(app, "demo")
            if step is not None:
                step.seed_demo(ctx)
    return True


def demo_totp_keys() -> dict[str, str]:
    """Each demo staff login's authenticator key (base32), to print."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    devices = TOTPDevice.objects.filter(
        user__clinic__name=DEMO_CLINIC_NAME, user__username__in=DEMO_USERNAMES, confirmed=True
    ).select_related("user")
    return {d.user.username: second_factor.base32_secret(d) for d in devices}


def demo_totp_code(username: str) -> str | None:
    """The current one-time code of a demo clinic staff login."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(
        user__clinic__name=DEMO_CLINIC_NAME, user__username=username, confirmed=True
    ).first()
    return None if device is None else second_factor.authenticator_code(device)
