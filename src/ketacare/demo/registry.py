"""`ketacare seed --patients N`: a large synthetic registry for load tests and benchmarks.

Rows are written in bulk batches (one INSERT per batch, not one ORM save per row) inside a
service write, deterministic for a given ``--seed``. The seeding run itself is audited as
one entry; the synthetic rows are not individually audited (they are not clinical events).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from ketacare.accounts.models import Clinic
from ketacare.audit.models import AuditAction, service_write
from ketacare.audit.services import record_write
from ketacare.demo.names import ANTIDEPRESSANTS, FAMILY_NAMES, GIVEN_NAMES
from ketacare.patients.models import MedicationTrial, Patient, WeightMeasurement

BATCH = 2000


def _registry_clinic() -> Clinic:
    clinic, _ = Clinic.objects.get_or_create(
        name="KetaCare Registry Clinic", defaults={"rems_certified": True}
    )
    return clinic


def seed_registry(*, patients: int, seed: int = 1, progress: bool = True) -> Clinic:
    if patients < 1:
        raise ValueError("--patients must be at least 1")
    rng = random.Random(seed)
    clinic = _registry_clinic()
    now = timezone.now()
    start = Patient.objects.filter(clinic=clinic).count()
    bar = tqdm(total=patients, unit="patients", disable=not progress, desc="seeding")
    done = 0
    while done < patients:
        n = min(BATCH, patients - done)
        with transaction.atomic(), service_write():
            rows = []
            for i in range(n):
                k = start + done + i + 1
                rows.append(
                    Patient(
                        clinic=clinic,
                        mrn=f"KC{clinic.pk:02d}-{k:06d}",
                        given_name=rng.choice(GIVEN_NAMES),
                        family_name=rng.choice(FAMILY_NAMES),
                        date_of_birth=date(
                            1945 + rng.randint(0, 57), rng.randint(1, 12), rng.randint(1, 28)
                        ),
                        sex=rng.choice(("female", "male")),
                        current_episode_onset=(now - timedelta(days=rng.randint(120, 1500))).date(),
                        created_at=now,
                        updated_at=now,
                    )
                )
            created = Patient.objects.bulk_create(rows, batch_size=BATCH)
            if created and created[0].pk is None:  # engines that do not return ids
                created = list(Patient.objects.filter(clinic=clinic).order_by("-id")[:n])[::-1]
            weights, trials = [], []
            for p in created:
                w = Decimal(rng.randint(50, 120))
                for days_ago in (150, 90, 30):
                    weights.append(
                        WeightMeasurement(
                            clinic=clinic,
                            patient=p,
                            created_at=now,
                            weight_kg=w + Decimal(rng.randint(-2, 2)),
                            measured_at=now - timedelta(days=days_ago),
                        )
                    )
                for drug, dose in rng.sample(ANTIDEPRESSANTS, k=rng.randint(1, 4)):
                    trials.append(
                        MedicationTrial(
                            clinic=clinic,
                            patient=p,
                            created_at=now,
                            drug=drug,
                            dose_mg_per_day=Decimal(dose),
                            weeks=rng.randint(4, 12),
                            adherence="good",
                            adequate=rng.random() < 0.8,
                            outcome=rng.choice(("no_response", "partial_response")),
                        )
                    )
            WeightMeasurement.objects.bulk_create(weights, batch_size=BATCH)
            MedicationTrial.objects.bulk_create(trials, batch_size=BATCH)
        done += n
        bar.update(n)
    bar.close()
    with transaction.atomic():
        record_write(
            actor=None,
            action=AuditAction.CREATE,
            target=("registry", clinic.pk),
            clinic_id=clinic.pk,
            after={"synthetic_patients": patients, "seed": seed},
            summary="synthetic registry seeded",
        )
    return clinic
