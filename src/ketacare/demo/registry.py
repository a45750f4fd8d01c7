"""`ketacare seed --patients N`: a large synthetic registry for load tests and benchmarks.

A network of clinics (``PATIENTS_PER_CLINIC`` patients each, so a clinic day holds a few
dozen sessions as in a real clinic) where every patient has weights and prior antidepressant
trials, an eligibility evaluation, a signed consent (documents and versions once per clinic),
one course of intranasal esketamine or IV racemic ketamine with 6-30 sessions (mostly
discharged; today's first half checked in; later ones scheduled), vital signs every 10-15
minutes across each dosed session, MOAA/S and CADSS ratings, the dose, a controlled-substance
container per dose with ledger entries that reconcile (receipt, draw, administration and
witnessed waste of the unused remainder, per-container sequence and running balances), PHQ-9
scores (baseline, before every other session, follow-ups) along one trajectory archetype
(remitter, responder, non-responder, relapser) and a safety alert for each item-9 positive
score (older alerts acknowledged).

How it is written, and why: rows get explicit ids allocated here and go to the database in
one bulk statement per table per batch of patients: PostgreSQL ``COPY ... FROM STDIN``
(psycopg 3) and SQLite ``executemany``, inside ``service_write()`` and one transaction per
batch. One ORM save per row would take hours at 100,000 patients; ORM ``bulk_create`` spends
most of its time preparing values. Values are prepared here in database form (naive UTC
datetimes in a UTC connection, JSON text, decimal strings); indexes are NOT deferred. Scores,
flags and alert texts come from the clinical core (computed once per distinct answer set).
PostgreSQL identity sequences are moved past the ids used, and every filled table is ANALYZEd,
at the end.

Deterministic for a given ``--seed`` and day: times are laid out from today's midnight UTC.
Registry staff accounts have no usable password (benchmarks sign in with ``force_login``).
The seeding run itself is audited as one entry (plus the clinic policy each new clinic saves
through its service); the synthetic rows are not individually audited (not clinical events).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from ketacare.accounts.models import Clinic, Role, User
from ketacare.audit.models import AuditAction, service_write
from ketacare.audit.services import record_write
from ketacare.clinical.eligibility import (
    CssrsRisk,
    CssrsScreen,
    HepaticImpairment,
    MaudsleySeverity,
    SubstanceUseDisorder,
    SubstanceUseScreen,
)
from ketacare.clinical.eligibility import Route as EligibilityRoute
from ketacare.clinical.outcomes import OutcomePolicy, safety_alerts_for
from ketacare.clinical.scales import score, score_cadss, score_moaas
from ketacare.consent.models import ConsentDocument, ConsentDocumentVersion, ConsentSignature
from ketacare.controlled_substances.models import LedgerEntry, StockContainer, Supplier
from ketacare.demo.names import ANTIDEPRESSANTS, FAMILY_NAMES, GIVEN_NAMES
from ketacare.evaluation.mappers import ScreeningAnswers, build_evaluation_input
from ketacare.evaluation.models import Evaluation
from ketacare.measures.mappers import stored_flags, to_observation
from ketacare.measures.models import Assessment, SafetyAlert
from ketacare.patients.models import MedicationTrial, Patient, WeightMeasurement
from ketacare.protocols.demo import DEMO_POLICY
from ketacare.protocols.models import ClinicPolicyVersion, ProtocolVersion
from ketacare.protocols.services import ensure_standard_protocols, record_clinic_policy
from ketacare.treatment.models import (
    Course,
    DoseAdministration,
    RemsPatientEnrollment,
    SessionObservation,
    TreatmentSession,
    VitalsReading,
)

REGISTRY_NAME = "KetaCare Registry Clinic"
PATIENTS_PER_CLINIC = 2000
BATCH_PATIENTS = 500
ESKETAMINE_CODE = "in_esketamine_trd"
IV_CODE = "iv_racemic_elektd"
ARCHETYPES = (("remitter", 0.35), ("responder", 0.15), ("non_responder", 0.35), ("relapser", 0.15))
FOLLOW_UP_WEEKS = (4, 8, 12, 26)
ESKETAMINE_CONC = 140  # mg/mL: 28 mg per 0.2 mL device (NDC 50458-028)
IV_VIAL_ML_TENTHS = 100  # a 10 mL single-dose vial of 10 mg/mL racemic ketamine
ALERT_OPEN_DAYS = 14


def registry_clinics() -> models.QuerySet:
    return Clinic.objects.filter(name__startswith=REGISTRY_NAME).order_by("id")


# --- The fast insert path ---------------------------------------------------------------------


class _Tables:
    """Explicit ids and one bulk insert per table per flush (COPY on PostgreSQL)."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"
        self.next_id: dict[type, int] = {}
        self.specs: dict[type, tuple[str, tuple[str, ...], tuple[Any, ...]]] = {}
        self.rows: dict[type, list[tuple]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self.superuser: bool | None = None

    def declare(self, model: type, columns: tuple[str, ...]) -> None:
        """Columns given per row, in order; every other column gets its model default."""
        fields = {f.column: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise ValueError(f"{model.__name__}: unknown columns {unknown}")
        rest = [c for c in fields if c not in columns]
        tail = tuple(self._default(fields[c]) for c in rest)
        self.specs[model] = (model._meta.db_table, columns + tuple(rest), tail)
        top = model._base_manager.aggregate(m=Max("pk"))["m"] or 0
        self.next_id[model] = top + 1

    @staticmethod
    def _default(field: models.Field) -> Any:
        if not field.has_default() and field.null:
            return None
        value = field.get_default()
        if isinstance(field, models.JSONField):
            return json.dumps(value)
        if value is None:
            raise ValueError(f"{field.model.__name__}.{field.name} needs a value")
        return value

    def take(self, model: type) -> int:
        pk = self.next_id[model]
        self.next_id[model] = pk + 1
        return pk

    def add(self, model: type, row: tuple) -> None:
        self.rows[model].append(row)

    def flush(self) -> None:
        with connection.cursor() as cur:
            for model, (table, columns, tail) in self.specs.items():
                rows = self.rows.pop(model, None)
                if not rows:
                    continue
                self.counts[model.__name__] += len(rows)
                names = ", ".join(connection.ops.quote_name(c) for c in columns)
                if self.pg:
                    sql = f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN"
                    with cur.cursor.copy(sql) as copy:
                        for row in rows:
                            copy.write_row(row + tail)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    into = connection.ops.quote_name(table)
                    sql = f"INSERT INTO {into} ({names}) VALUES ({marks})"
                    cur.executemany(sql, [row + tail for row in rows])

    def bulk_load_settings(self) -> None:
        """For this transaction on PostgreSQL: do not wait for the WAL flush (a synthetic
        registry), and, when the role may (superuser, as pg_restore --disable-triggers
        needs), skip the per-row foreign-key triggers: ids are allocated here, so references
        hold by construction (the SQLite path, which checks every key, runs in the tests).
        This halves the time of a 100,000-patient seed."""
        with connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit TO OFF")
            if self.superuser is None:
                cur.execute("SELECT current_setting('is_superuser')")
                self.superuser = cur.fetchone()[0] == "on"
            if self.superuser:
                cur.execute("SET LOCAL session_replication_role = replica")

    def analyze(self) -> None:
        """Fresh planner statistics for the tables just filled: before autovacuum gets to
        them, PostgreSQL plans a 10-million-row table as if it were empty (a chart's
        latest pre-dose reading took 5 s by sequential scan instead of 0.2 ms by index)."""
        with connection.cursor() as cur:
            for model in self.specs:
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def reset_sequences(self) -> None:
        if not self.pg:
            return  # SQLite's rowid continues from the largest id by itself
        with connection.cursor() as cur:
            for model in self.specs:
                table = model._meta.db_table
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {connection.ops.quote_name(table)}))",
                    [table],
                )


def _declare_all(t: _Tables) -> None:
    # In foreign-key order: a flush writes the tables in this order.
    t.declare(
        Patient,
        (
            "id", "clinic_id", "created_at", "mrn", "given_name", "family_name",
            "date_of_birth", "sex", "current_episode_onset", "updated_at",
        ),
    )  # fmt: skip
    t.declare(
        WeightMeasurement,
        ("id", "clinic_id", "created_at", "patient_id", "weight_kg", "measured_at"),
    )
    t.declare(
        MedicationTrial,
        (
            "id", "clinic_id", "created_at", "patient_id", "drug", "dose_mg_per_day", "weeks",
            "adherence", "adequate", "outcome",
        ),
    )  # fmt: skip
    t.declare(
        Evaluation,
        (
            "id", "clinic_id", "created_at", "created_by_id", "patient_id", "as_of", "route",
            "age_years", "episode_duration_months", "severity", "inputs", "verdict",
            "adequate_failed_trials", "treatment_resistant", "evaluated_by_id",
        ),
    )  # fmt: skip
    t.declare(
        ConsentSignature,
        (
            "id", "clinic_id", "created_at", "created_by_id", "patient_id", "version_id",
            "signed_text_snapshot", "typed_name", "signed_at", "witness_id",
        ),
    )  # fmt: skip
    t.declare(
        RemsPatientEnrollment,
        ("id", "clinic_id", "created_at", "created_by_id", "patient_id", "rems_patient_id",
         "enrolled_at"),
    )  # fmt: skip
    t.declare(
        Course,
        (
            "id", "clinic_id", "created_at", "created_by_id", "patient_id", "protocol_version_id",
            "protocol_code", "route", "drug", "start_at", "planned_sessions",
            "sessions_per_week", "mg_per_kg", "dose_mg", "status", "eligibility_verdict",
        ),
    )  # fmt: skip
    t.declare(
        TreatmentSession,
        (
            "id", "clinic_id", "created_at", "created_by_id", "course_id", "patient_id", "number",
            "course_week", "scheduled_at", "state", "chair", "checked_in_at", "cleared_at",
            "dosing_started_at", "observation_started_at", "discharged_at", "ended_at",
            "end_reason", "npo_confirmed", "ride_home", "prescriber_on_site_id",
            "pulse_oximeter_available", "discharged_by_id", "updated_at",
        ),
    )  # fmt: skip
    t.declare(
        VitalsReading,
        (
            "id", "clinic_id", "created_at", "created_by_id", "session_id", "taken_at", "phase",
            "systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent",
            "respiratory_rate_per_min",
        ),
    )  # fmt: skip
    t.declare(
        SessionObservation,
        (
            "id", "clinic_id", "created_at", "created_by_id", "session_id", "observed_at",
            "scale", "pre_dose", "items", "total", "flags", "sedation_present",
            "dissociation_resolved",
        ),
    )  # fmt: skip
    t.declare(
        StockContainer,
        (
            "id", "clinic_id", "created_at", "created_by_id", "drug", "concentration_mg_per_ml",
            "description", "size_ml", "device_count", "lot", "expires_on", "ndc",
            "received_at", "supplier_id",
        ),
    )  # fmt: skip
    t.declare(
        DoseAdministration,
        (
            "id", "clinic_id", "created_at", "created_by_id", "session_id", "protocol_code",
            "route", "dose_mg", "volume_ml", "mg_per_kg", "weight_kg", "weight_measured_at",
            "vial_concentration_mg_per_ml", "started_at", "device_times",
            "infusion_duration_min", "lot_number", "container_id",
        ),
    )  # fmt: skip
    t.declare(
        LedgerEntry,
        (
            "id", "clinic_id", "created_at", "created_by_id", "container_id", "sequence", "kind",
            "occurred_at", "quantity_ml", "quantity_mg", "balance_after_ml", "drawn_after_ml",
            "witness_id", "patient_id", "session_id", "dose_mg",
        ),
    )  # fmt: skip
    t.declare(
        Assessment,
        (
            "id", "clinic_id", "created_at", "created_by_id", "patient_id", "instrument",
            "instrument_version", "items", "total", "severity", "severity_label", "flags",
            "context", "taken_at", "submitted_by_id", "channel", "session_id",
        ),
    )  # fmt: skip
    t.declare(
        SafetyAlert,
        (
            "id", "clinic_id", "created_at", "created_by_id", "patient_id", "assessment_id",
            "code", "severity", "message", "source", "requires_safety_assessment_before_session",
            "status", "acknowledged_by_id", "acknowledged_at", "acknowledgement_note",
        ),
    )  # fmt: skip


# --- Per-clinic reference data (few rows, through the ORM and services) -----------------------


@dataclass
class _ClinicCtx:
    clinic: Clinic
    prescriber_id: int
    nurse_id: int
    witness_id: int
    protocol_ids: dict[str, int]
    consent_versions: dict[str, tuple[int, str]]  # route -> (version id, body)
    supplier_id: int


_STAFF = (
    ("prescriber", Role.PRESCRIBER),
    ("nurse", Role.NURSE),
    ("nurse2", Role.NURSE),
    ("admin", Role.CLINIC_ADMIN),
)


def _clinic_setup(index: int) -> _ClinicCtx:
    name = REGISTRY_NAME if index == 1 else f"{REGISTRY_NAME} {index}"
    clinic, _ = Clinic.objects.get_or_create(
        name=name, defaults={"rems_certified": True, "rems_setting_id": f"RS-REG-{index:04d}"}
    )
    users = {}
    for key, role in _STAFF:
        username = f"registry{index:03d}-{key}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, clinic=clinic, first_name=key.title())
            user.last_name = f"Registry {index}"
            if role == Role.PRESCRIBER:
                user.license_number = f"MD-REG-{index:05d}"
                user.license_expiry = date(2099, 12, 31)
            user.set_unusable_password()
            user.save()
        users[key] = user
    ensure_standard_protocols(clinic=clinic)
    if not ClinicPolicyVersion.objects.filter(clinic=clinic, active=True).exists():
        record_clinic_policy(
            actor=users["admin"], values=dict(DEMO_POLICY), reason="registry clinic settings"
        )
    protocol_ids = dict(
        ProtocolVersion.objects.filter(clinic=clinic, active=True).values_list("code", "id")
    )
    now = timezone.now()
    versions = {}
    with service_write():
        for route, title in (("intranasal", "Esketamine nasal spray"), ("iv", "IV ketamine")):
            doc = ConsentDocument.objects.filter(clinic=clinic, route=route).first()
            if doc is None:
                doc = ConsentDocument.objects.create(
                    clinic=clinic, created_at=now, route=route, title=f"Consent: {title}"
                )
                ConsentDocumentVersion.objects.create(
                    clinic=clinic,
                    created_at=now,
                    document=doc,
                    version_number=1,
                    body=f"Synthetic registry consent text for {title.lower()} treatment.",
                    effective_at=now - timedelta(days=4000),
                    material_change=False,
                )
            version = doc.versions.order_by("-version_number").first()
            versions[route] = (version.pk, version.body)
        supplier = Supplier.objects.filter(clinic=clinic).first()
        if supplier is None:
            supplier = Supplier.objects.create(
                clinic=clinic,
                created_at=now,
                name="Registry Pharma Distribution",
                address="1 Warehouse Way, Springfield",
                dea_number="RP1234563",
            )
    return _ClinicCtx(
        clinic=clinic,
        prescriber_id=users["prescriber"].pk,
        nurse_id=users["nurse"].pk,
        witness_id=users["nurse2"].pk,
        protocol_ids=protocol_ids,
        consent_versions=versions,
        supplier_id=supplier.pk,
    )


# --- Scores from the core, computed once per distinct answer set -------------------------------


class _Scores:
    def __init__(self) -> None:
        self.phq9: dict[tuple[int, ...], tuple] = {}
        self.gad7: dict[tuple[int, ...], tuple] = {}
        self.moaas = {(v, pre): self._moaas(v, pre) for v in (3, 4, 5) for pre in (True, False)}
        rng = random.Random(7)
        self.cadss_peak = [self._cadss([rng.choice((0, 0, 1, 1, 2, 3)) for _ in range(23)])
                           for _ in range(64)]  # fmt: skip
        self.cadss_resolved = self._cadss([0] * 23)
        self.evaluation_inputs = {r: self._evaluation_inputs(r) for r in ("intranasal", "iv")}
        items = (1, 1, 1, 1, 1, 1, 1, 1, 1)
        result = score("phq9", items)
        probe = Assessment(
            instrument="phq9",
            total=result.total,
            items=list(items),
            flags=stored_flags(result),
            context="follow_up",
            taken_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
        spec = next(
            s
            for s in safety_alerts_for(to_observation(probe), None, OutcomePolicy())
            if s.code == "phq9_item9_positive"
        )
        self.item9_alert = (
            spec.code,
            str(spec.severity),
            spec.message,
            json.dumps(spec.source.as_dict()),
            spec.requires_safety_assessment_before_session,
        )

    @staticmethod
    def _evaluation_inputs(route: str) -> str:
        """The evaluation app's JSON record of a typical screen (no contraindication, low
        C-SSRS risk, normal blood pressure), built by its own mapper once per route so every
        reader of ``Evaluation.inputs`` finds the keys it expects."""
        when = datetime(2024, 1, 1, 10, tzinfo=UTC)
        answers = ScreeningAnswers(
            route=EligibilityRoute(route),
            severity=MaudsleySeverity.MODERATE,
            ect_used=False,
            aneurysmal_vascular_disease_or_avm=False,
            intracerebral_hemorrhage_history=False,
            hypersensitivity_to_ketamine_or_esketamine=False,
            psychosis_history=False,
            current_psychosis=False,
            substance_use_disorder=SubstanceUseDisorder.NONE,
            pregnant=False,
            breastfeeding=False,
            hepatic_impairment=HepaticImpairment.NONE,
            uncontrolled_hypertension=False,
            hypertensive_encephalopathy_history=False,
            takes_cns_depressants=False,
            takes_psychostimulants=False,
            takes_maois=False,
            cssrs=CssrsScreen(CssrsRisk.LOW, when - timedelta(days=2)),
            substance_screen=SubstanceUseScreen(0, 0, when - timedelta(days=2)),
            latest_systolic_mmhg=124,
            latest_diastolic_mmhg=78,
        )
        patient = Patient(date_of_birth=date(1980, 1, 1), current_episode_onset=date(2022, 1, 1))
        _, inputs = build_evaluation_input(
            patient=patient, trials=(), medications=(), answers=answers, as_of=when
        )
        return json.dumps(inputs, cls=DjangoJSONEncoder)

    @staticmethod
    def _moaas(value: int, pre: bool) -> tuple:
        result = score_moaas([value], pre_dose_rating=None if pre else 5)
        sedation = None if pre else result.datum("sedation_present")
        return (json.dumps([value]), result.total, json.dumps(list(result.flag_codes)), sedation)

    @staticmethod
    def _cadss(items: list[int]) -> tuple:
        result = score_cadss(items)
        return (json.dumps(items), result.total, json.dumps(list(result.flag_codes)))

    def scale(self, code: str, items: tuple[int, ...]) -> tuple:
        cache = self.phq9 if code == "phq9" else self.gad7
        hit = cache.get(items)
        if hit is None:
            r = score(code, items)
            hit = cache[items] = (
                r.version,
                json.dumps(list(items)),
                r.total,
                r.severity.code if r.severity else "",
                r.severity.label if r.severity else "",
                json.dumps(stored_flags(r)),
                "phq9_item9_positive" in r.flag_codes,
            )
        return hit


def _spread(total: int, n_items: int, top: int, first: int) -> tuple[int, ...]:
    """``total`` spread over ``n_items`` items of 0..top, starting at item ``first``."""
    items = [0] * n_items
    left = total
    i = first
    while left > 0:
        if items[i % n_items] < top:
            items[i % n_items] += 1
            left -= 1
        i += 1
    return tuple(items)


def _phq9_items(total: int, item9: int, pattern: int) -> tuple[int, ...]:
    rest = max(0, min(24, total - item9))  # eight items of 0-3 besides item 9
    return (*_spread(rest, 8, 3, pattern), item9)


def _trajectory(archetype: str, baseline: int, weeks: float, after_course: bool) -> float:
    """Expected PHQ-9 total ``weeks`` after the first dose for the archetype."""
    drop = 1 - 2 ** (-weeks / 1.5)  # half of the eventual change every 1.5 weeks
    if archetype == "remitter":
        return baseline - (baseline - 2.5) * drop
    if archetype == "responder":
        return baseline - baseline * 0.6 * drop
    if archetype == "non_responder":
        return baseline - baseline * 0.2 * drop
    # relapser: remits during the course, then climbs back after it ends
    if after_course:
        return max(3.0, baseline * 0.85 * min(1.0, weeks / 12))
    return baseline - (baseline - 3) * drop


# --- Per-patient schedule -------------------------------------------------------------------


def _session_days(esketamine: bool, count: int) -> list[int]:
    if esketamine:  # twice weekly weeks 1-4, weekly weeks 5-8, then every other week
        days = [0, 3, 7, 10, 14, 17, 21, 24, 28, 35, 42, 49]
    else:  # twice weekly for three weeks (ELEKT-D), then every other week
        days = [0, 3, 7, 10, 14, 17]
    while len(days) < count:
        days.append(days[-1] + 14)
    return days[:count]


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


def _dec(tenths: int, places: int = 3) -> str:
    return f"{tenths / 10:.{places}f}"


class _Generator:
    def __init__(
        self, rng: random.Random, t: _Tables, now: datetime, course_start_days: tuple[int, int]
    ) -> None:
        self.rng = rng
        self.course_start_days = course_start_days
        self.t = t
        self.now = _naive(now)
        self.anchor = datetime.combine(self.now.date(), time())
        self.scores = _Scores()
        noise = random.Random(rng.random())
        self.vitals_noise = [
            (
                noise.randint(-8, 10),
                noise.randint(-6, 7),
                noise.randint(-8, 12),
                noise.randint(95, 99),
                noise.randint(12, 18),
            )
            for _ in range(4096)
        ]
        self.steps = [noise.randint(10, 15) for _ in range(4096)]
        self.k = 0

    def _noise(self) -> tuple[int, int, int, int, int]:
        self.k = (self.k + 1) & 4095
        return self.vitals_noise[self.k]

    def _step(self) -> int:
        self.k = (self.k + 1) & 4095
        return self.steps[self.k]

    def patient(self, c: _ClinicCtx, k: int) -> None:
        rng, t, cid = self.rng, self.t, c.clinic.pk
        pid = t.take(Patient)
        dob = date(1945 + rng.randint(0, 57), rng.randint(1, 12), rng.randint(1, 28))
        start_day = rng.randint(*self.course_start_days)
        start = self.anchor + timedelta(days=start_day)
        onset = (start - timedelta(days=rng.randint(120, 1500))).date()
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        created = start - timedelta(days=30)
        t.add(
            Patient,
            (pid, cid, created, f"KC{cid:02d}-{k:06d}", given, family, dob,
             rng.choice(("female", "male")), onset, created),
        )  # fmt: skip
        weight = rng.randint(50, 120)
        weight_at = start - timedelta(days=14)
        for days_before in (150, 90, 14):
            t.add(
                WeightMeasurement,
                (t.take(WeightMeasurement), cid, created, pid,
                 str(weight + (rng.randint(-2, 2) if days_before != 14 else 0)),
                 start - timedelta(days=days_before)),
            )  # fmt: skip
        adequate = 0
        for drug, dose in rng.sample(ANTIDEPRESSANTS, k=rng.randint(2, 4)):
            ok = rng.random() < 0.8
            adequate += ok
            t.add(
                MedicationTrial,
                (t.take(MedicationTrial), cid, created, pid, drug, str(dose),
                 rng.randint(4, 12), "good", ok,
                 rng.choice(("no_response", "partial_response"))),
            )  # fmt: skip
        esketamine = rng.random() < 0.55
        route = "intranasal" if esketamine else "iv"
        code = ESKETAMINE_CODE if esketamine else IV_CODE
        age = (start.date() - dob).days // 365
        verdict = "eligible" if rng.random() < 0.85 else "eligible_with_cautions"
        eval_at = start - timedelta(days=10)
        inputs = self.scores.evaluation_inputs[route]
        t.add(
            Evaluation,
            (t.take(Evaluation), cid, eval_at, c.prescriber_id, pid, eval_at, route,
             min(age, 120), min((start.date() - onset).days // 30, 999),
             rng.choice(("moderate", "severe_without_psychosis")), inputs, verdict, adequate,
             adequate >= 2, c.prescriber_id),
        )  # fmt: skip
        version_id, body = c.consent_versions[route]
        signed = start - timedelta(days=7)
        t.add(
            ConsentSignature,
            (t.take(ConsentSignature), cid, signed, c.nurse_id, pid, version_id, body,
             f"{given} {family}", signed, c.nurse_id),
        )  # fmt: skip
        if esketamine:
            t.add(
                RemsPatientEnrollment,
                (t.take(RemsPatientEnrollment), cid, signed, c.prescriber_id, pid,
                 f"REMS-{pid:08d}", signed),
            )  # fmt: skip
        count = rng.randint(6, 30)
        days = _session_days(esketamine, count)
        course_id = t.take(Course)
        last_day = start + timedelta(days=days[-1])
        status = "completed" if last_day < self.anchor else "active"
        t.add(
            Course,
            (course_id, cid, start - timedelta(days=3), c.prescriber_id, pid,
             c.protocol_ids[code], code, route, "esketamine" if esketamine else "racemic_ketamine",
             start, count, 2, None if esketamine else "0.5000",
             "56.00" if esketamine else None, status, verdict),
        )  # fmt: skip
        archetype = rng.choices([a for a, _ in ARCHETYPES], [w for _, w in ARCHETYPES])[0]
        baseline = rng.randint(15, 24)
        pattern = rng.randrange(8)
        baseline_at = start - timedelta(days=7, hours=-10)
        item9 = 1 if rng.random() < 0.1 else 0
        self._assessment(c, pid, "phq9", baseline, baseline_at, "baseline", None, pattern, item9)
        self._assessment(c, pid, "gad7", rng.randint(8, 18), baseline_at, "baseline", None, pattern)
        first_dose: datetime | None = None
        last_dose: datetime | None = None
        hour = 13 + rng.randrange(8)
        minute = rng.choice((0, 30))
        chair = f"Chair {rng.randint(1, 6)}"
        for number, day in enumerate(days, start=1):
            at = start + timedelta(days=day, hours=hour, minutes=minute)
            sid = t.take(TreatmentSession)
            week = day // 7 + 1
            if at.date() > self.anchor.date() or (at.date() == self.anchor.date() and hour >= 17):
                t.add(
                    TreatmentSession,
                    (sid, cid, start - timedelta(days=3), c.prescriber_id, course_id, pid, number,
                     week, at, "scheduled", chair, None, None, None, None, None, None, "", False,
                     "", None, False, None, start - timedelta(days=3)),
                )  # fmt: skip
                continue
            if at.date() == self.anchor.date():
                checked = min(at, self.now)
                t.add(
                    TreatmentSession,
                    (sid, cid, start - timedelta(days=3), c.prescriber_id, course_id, pid, number,
                     week, at, "checked_in", chair, checked, None, None, None, None, None, "",
                     False, "", None, False, None, checked),
                )  # fmt: skip
                self._vitals(c, sid, checked, "pre_dose", 122)
                continue
            if rng.random() < 0.03:
                t.add(
                    TreatmentSession,
                    (sid, cid, start - timedelta(days=3), c.prescriber_id, course_id, pid, number,
                     week, at, "cancelled", chair, None, None, None, None, None, at,
                     "Patient cancelled", False, "", None, False, None, at),
                )  # fmt: skip
                continue
            dose_at = at + timedelta(minutes=15)
            devices = None
            if esketamine:
                devices = 2 if number == 1 or rng.random() < 0.5 else 3
                # observation counted from the last device (S1 "after administration")
                obs_start = dose_at + timedelta(minutes=5 * (devices - 1))
                end = obs_start + timedelta(minutes=120)
                discharged = obs_start + timedelta(minutes=125)
            else:
                # the demo's 60-min minimum counted from the end of the 40-min infusion
                obs_start = dose_at + timedelta(minutes=40)
                end = obs_start + timedelta(minutes=60)
                discharged = obs_start + timedelta(minutes=65)
            t.add(
                TreatmentSession,
                (sid, cid, start - timedelta(days=3), c.prescriber_id, course_id, pid, number,
                 week, at, "discharged", chair, at, at + timedelta(minutes=10), dose_at,
                 obs_start, discharged, None, "", True, "Family member drives",
                 c.prescriber_id, True, c.nurse_id, discharged),
            )  # fmt: skip
            self._vitals(c, sid, at + timedelta(minutes=5), "pre_dose", 122)
            m = at + timedelta(minutes=10 + self._step())
            while m <= end:
                phase = "during" if m < obs_start else "post_dose"
                self._vitals(c, sid, m, phase, 130)
                m += timedelta(minutes=self._step())
            self._observations(c, sid, at, dose_at, end)
            self._dose(c, pid, sid, esketamine, dose_at, weight, weight_at, devices)
            first_dose = first_dose or dose_at
            last_dose = dose_at
            if number % 2 == 1:
                weeks = (at - start).days / 7
                expected = _trajectory(archetype, baseline, weeks, False)
                total = round(expected + rng.uniform(-2, 2))
                self._assessment(c, pid, "phq9", total, at + timedelta(minutes=2), "pre_dose",
                                 sid, pattern, item9=1 if total >= 15 and rng.random() < 0.08
                                 else 0)  # fmt: skip
        if last_dose is None:
            return
        for w in FOLLOW_UP_WEEKS:
            at = datetime.combine(last_dose.date(), time(15)) + timedelta(weeks=w)
            if at >= self.now:
                break
            weeks = (at - start).days / 7
            expected = _trajectory(archetype, baseline, weeks if archetype != "relapser" else w,
                                   archetype == "relapser")  # fmt: skip
            total = round(expected + rng.uniform(-2, 2))
            self._assessment(c, pid, "phq9", total, at, "follow_up", None, pattern,
                             item9=1 if total >= 15 and rng.random() < 0.15 else 0)  # fmt: skip

    def _vitals(self, c: _ClinicCtx, sid: int, at: datetime, phase: str, systolic: int) -> None:
        ds, dd, dh, spo2, rr = self._noise()
        self.t.add(
            VitalsReading,
            (self.t.take(VitalsReading), c.clinic.pk, at, c.nurse_id, sid, at, phase,
             systolic + ds, 76 + dd, 70 + dh, spo2, rr),
        )  # fmt: skip

    def _observations(
        self, c: _ClinicCtx, sid: int, at: datetime, dose_at: datetime, end: datetime
    ) -> None:
        t, cid, s, rng = self.t, c.clinic.pk, self.scores, self.rng
        peak = dose_at + timedelta(minutes=40)
        rows = (
            (at + timedelta(minutes=6), "moaas", True, s.moaas[(5, True)], None),
            (peak, "moaas", False, s.moaas[(rng.choice((4, 5, 5)), False)], None),
            (peak, "cadss", False, s.cadss_peak[rng.randrange(64)], None),
            (end, "cadss", False, s.cadss_resolved, True),
        )
        for when, scale, pre, scored, resolved in rows:
            sedation = scored[3] if scale == "moaas" else None
            t.add(
                SessionObservation,
                (t.take(SessionObservation), cid, when, c.nurse_id, sid, when, scale, pre,
                 scored[0], scored[1], scored[2], sedation, resolved),
            )  # fmt: skip

    def _dose(
        self,
        c: _ClinicCtx,
        pid: int,
        sid: int,
        esketamine: bool,
        dose_at: datetime,
        weight: int,
        weight_at: datetime,
        devices: int | None,
    ) -> None:
        t, cid, rng = self.t, c.clinic.pk, self.rng
        container = t.take(StockContainer)
        received = dose_at - timedelta(days=rng.randint(3, 20))
        lot = f"LOT{received:%y%m}{cid:03d}"
        expires = received.date() + timedelta(days=730)
        if esketamine:
            size = 2 * (devices or 2)  # tenths of a mL: 0.2 mL per device
            dose_mg = 28 * (devices or 2)
            t.add(
                StockContainer,
                (container, cid, received, c.prescriber_id, "esketamine", "140.00",
                 f"SPRAVATO {dose_mg} mg kit ({devices} devices)", _dec(size), devices, lot,
                 expires, f"50458-028-0{devices}", received, c.supplier_id),
            )  # fmt: skip
            times = json.dumps(
                [
                    (dose_at + timedelta(minutes=5 * i)).replace(tzinfo=UTC).isoformat()
                    for i in range(devices or 2)
                ]
            )
            t.add(
                DoseAdministration,
                (t.take(DoseAdministration), cid, dose_at, c.prescriber_id, sid,
                 ESKETAMINE_CODE, "intranasal", f"{dose_mg}.00", _dec(size), None, None, None,
                 None, dose_at, times, None, lot, container),
            )  # fmt: skip
            entries = (
                ("receive", received, size, size, 0, c.prescriber_id, None, None, None, None),
                ("draw", dose_at, size, 0, size, c.nurse_id, None, pid, sid, None),
                ("administer", dose_at, size, 0, 0, c.prescriber_id, None, pid, sid, dose_mg),
            )
            conc = ESKETAMINE_CONC
        else:
            dose_mg = weight // 2  # 0.5 mg/kg, whole mg (0.1 mL of 10 mg/mL)
            vial = IV_VIAL_ML_TENTHS
            t.add(
                StockContainer,
                (container, cid, received, c.prescriber_id, "racemic_ketamine", "10.00",
                 "10 mL single-dose vial", _dec(vial), None, lot, expires, "", received,
                 c.supplier_id),
            )  # fmt: skip
            t.add(
                DoseAdministration,
                (t.take(DoseAdministration), cid, dose_at, c.prescriber_id, sid, IV_CODE, "iv",
                 f"{dose_mg}.00", _dec(dose_mg), "0.5000", f"{weight}.0", weight_at, "10.00",
                 dose_at, "[]", 40, lot, container),
            )  # fmt: skip
            rest = vial - dose_mg
            entries = (
                ("receive", received, vial, vial, 0, c.prescriber_id, None, None, None, None),
                ("draw", dose_at, vial, 0, vial, c.nurse_id, None, pid, sid, None),
                ("administer", dose_at, dose_mg, 0, rest, c.prescriber_id, None, pid, sid,
                 dose_mg),
                ("waste", dose_at + timedelta(minutes=45), rest, 0, 0, c.nurse_id,
                 c.witness_id, pid, sid, None),
            )  # fmt: skip
            conc = 10
        for seq, (kind, when, q, bal, drawn, by, witness, p, s, mg) in enumerate(entries, 1):
            t.add(
                LedgerEntry,
                (t.take(LedgerEntry), cid, when, by, container, seq, kind, when, _dec(q),
                 f"{q * conc / 10:.5f}", _dec(bal), _dec(drawn), witness, p, s,
                 None if mg is None else f"{mg}.00"),
            )  # fmt: skip

    def _assessment(
        self,
        c: _ClinicCtx,
        pid: int,
        instrument: str,
        total: int,
        at: datetime,
        context: str,
        sid: int | None,
        pattern: int,
        item9: int = 0,
    ) -> None:
        t, cid = self.t, c.clinic.pk
        if instrument == "phq9":
            items = _phq9_items(max(0, total), item9, pattern)
        else:
            items = _spread(max(0, min(21, total)), 7, 3, pattern)
        version, items_json, score_total, sev, label, flags, item9_positive = self.scores.scale(
            instrument, items
        )
        aid = t.take(Assessment)
        t.add(
            Assessment,
            (aid, cid, at, c.nurse_id, pid, instrument, version, items_json, score_total, sev,
             label, flags, context, at, c.nurse_id, "clinician", sid),
        )  # fmt: skip
        if item9_positive:
            code, severity, message, source, requires = self.scores.item9_alert
            open_ = at >= self.anchor - timedelta(days=ALERT_OPEN_DAYS)
            ack_at = None if open_ else at + timedelta(hours=2)
            t.add(
                SafetyAlert,
                (t.take(SafetyAlert), cid, at, c.nurse_id, pid, aid, code, severity, message,
                 source, requires, "open" if open_ else "acknowledged",
                 None if open_ else c.prescriber_id, ack_at,
                 "" if open_ else "Same-day safety assessment done; safety plan reviewed."),
            )  # fmt: skip


# --- Entry point ------------------------------------------------------------------------------


def seed_registry(
    *,
    patients: int,
    seed: int = 1,
    progress: bool = True,
    course_start_days: tuple[int, int] = (-1000, 20),
) -> Clinic:
    """Add ``patients`` synthetic patients with full histories to the registry network;
    returns the first registry clinic. Each course starts on a day drawn from
    ``course_start_days`` (offsets from today; (-3, -3) puts every patient's second session
    on today's board)."""
    if patients < 1:
        raise ValueError("--patients must be at least 1")
    rng = random.Random(seed)
    now = timezone.now()
    start = Patient.objects.filter(clinic__in=registry_clinics()).count()
    first = _clinic_setup(1)
    t = _Tables()
    _declare_all(t)
    gen = _Generator(rng, t, now, course_start_days)
    clinics: dict[int, _ClinicCtx] = {1: first}
    bar = tqdm(total=patients, unit="patients", disable=not progress, desc="seeding")
    done = 0
    while done < patients:
        n = min(BATCH_PATIENTS, patients - done)
        with transaction.atomic(), service_write():
            if t.pg:
                t.bulk_load_settings()
            for i in range(n):
                k = start + done + i + 1
                index = (k - 1) // PATIENTS_PER_CLINIC + 1
                if index not in clinics:
                    clinics[index] = _clinic_setup(index)
                gen.patient(clinics[index], k)
            t.flush()
        done += n
        bar.update(n)
    bar.close()
    with transaction.atomic():
        t.reset_sequences()
        t.analyze()
        record_write(
            actor=None,
            action=AuditAction.CREATE,
            target=("registry", first.clinic.pk),
            clinic_id=first.clinic.pk,
            after={"synthetic_patients": patients, "seed": seed, "rows": dict(t.counts)},
            summary="synthetic registry seeded",
        )
    return first.clinic


__all__ = ["PATIENTS_PER_CLINIC", "REGISTRY_NAME", "registry_clinics", "seed_registry"]
