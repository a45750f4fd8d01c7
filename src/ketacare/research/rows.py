"""Loading a cohort's de-identified rows: a fixed number of queries whatever the cohort size.

Each table is read once with ``values()`` of the columns that are exported (plus the ids and
times needed to pseudonymise and re-time them), filtered to the actor's clinic and, for the
per-patient tables, to the cohort's patients in chunks of ``_CHUNK`` ids (so the statement
count grows by one per ``_CHUNK`` patients, never per patient). Identifying columns (names,
MRN, contact, address, free text, lot numbers, device times) are never selected.

Callers authorise and audit; these functions only read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketacare.analytics import PatientScores, ScorePoint
from ketacare.evaluation.models import Evaluation
from ketacare.measures.models import Assessment
from ketacare.patients.models import Patient
from ketacare.research.cohorts import Cohort
from ketacare.research.deidentify import age_in_years, age_label, days_since, pseudonym
from ketacare.treatment.models import (
    AdverseEventRecord,
    Course,
    DoseAdministration,
    TreatmentSession,
)

_CHUNK = 2000

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": (
        "patient", "sex", "age_at_first_dose", "first_dose_protocol", "first_dose_route",
        "treatment_resistant", "adequate_failed_trials", "msm_total", "msm_band",
        "eligibility_verdict", "evaluation_day", "baseline_phq9_total", "baseline_phq9_severity",
    ),
    "courses": (
        "patient", "course", "protocol_code", "route", "drug", "start_day", "planned_sessions",
        "sessions_per_week", "mg_per_kg", "dose_mg", "status",
    ),
    "sessions": (
        "patient", "course", "session_number", "course_week", "state", "scheduled_day",
        "dose_day", "dose_mg", "mg_per_kg", "weight_kg", "volume_ml", "infusion_duration_min",
        "dose_route", "dose_protocol_code", "discharged_day",
    ),
    "assessments": (
        "patient", "instrument", "day", "before_first_dose", "context", "total", "severity",
        "flags", "items",
    ),
    "adverse_events": (
        "patient", "course", "session_number", "event_type", "severity", "ctcae_grade",
        "onset_day", "resolved_day",
    ),
}  # fmt: skip


@dataclass
class CohortRows:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scores: list[PatientScores] = field(default_factory=list)

    @property
    def patient_count(self) -> int:
        return len(self.tables.get("patients", []))

    def row_counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


@dataclass
class _Index:
    patient_id: int
    first_dose_at: datetime
    first_dose_on: date
    protocol_code: str
    route: str


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _local(dt: datetime | None) -> date | None:
    return timezone.localdate(dt) if dt is not None else None


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _index_doses(clinic_id: int, cohort: Cohort, as_of: datetime) -> dict[int, _Index]:
    """Each patient's first dose (and the course it belongs to), filtered by the cohort's
    protocol, route and window. One statement."""
    doses = (
        DoseAdministration.objects.filter(clinic_id=clinic_id, started_at__lte=as_of)
        .order_by("started_at", "id")
        .values_list(
            "session__patient_id",
            "started_at",
            "session__course__protocol_code",
            "session__course__route",
        )
    )
    first: dict[int, _Index] = {}
    for patient_id, started_at, code, route in doses:
        if patient_id not in first:
            first[patient_id] = _Index(patient_id, started_at, _local(started_at), code, route)
    keep = {}
    for pid, ix in first.items():
        if cohort.protocol_codes and ix.protocol_code not in cohort.protocol_codes:
            continue
        if cohort.route and ix.route != cohort.route:
            continue
        if cohort.first_dose_from and ix.first_dose_on < cohort.first_dose_from:
            continue
        if cohort.first_dose_to and ix.first_dose_on > cohort.first_dose_to:
            continue
        keep[pid] = ix
    return keep


def load_cohort_rows(*, clinic_id: int, cohort: Cohort, as_of: datetime, key: bytes) -> CohortRows:
    """The cohort's de-identified tables and PHQ-9 series, pseudonymised with ``key``."""
    index = _index_doses(clinic_id, cohort, as_of)
    ids = sorted(index)

    demographics: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row in Patient.objects.filter(clinic_id=clinic_id, pk__in=chunk).values(
            "id", "date_of_birth", "sex"
        ):
            age = age_in_years(row["date_of_birth"], index[row["id"]].first_dose_on)
            if cohort.age_min is not None and age < cohort.age_min:
                continue
            if cohort.age_max is not None and age > cohort.age_max:
                continue
            demographics[row["id"]] = {"sex": row["sex"], "age": age}
    ids = sorted(demographics)

    evaluation: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row in (
            Evaluation.objects.filter(clinic_id=clinic_id, patient_id__in=chunk, as_of__lte=as_of)
            .order_by("patient_id", "-as_of", "-id")
            .values(
                "patient_id",
                "as_of",
                "treatment_resistant",
                "adequate_failed_trials",
                "msm_total",
                "msm_band",
                "verdict",
            )
        ):
            pid = row["patient_id"]
            if pid not in evaluation and row["as_of"] <= index[pid].first_dose_at:
                evaluation[pid] = row

    assessments: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        for row in (
            Assessment.objects.filter(
                clinic_id=clinic_id, patient_id__in=chunk, taken_at__lte=as_of
            )
            .order_by("patient_id", "taken_at", "id")
            .values(
                "patient_id",
                "instrument",
                "taken_at",
                "context",
                "total",
                "severity",
                "flags",
                "items",
            )
        ):
            assessments[row["patient_id"]].append(row)

    def baseline_phq9(pid: int) -> dict[str, Any] | None:
        before = [
            a
            for a in assessments[pid]
            if a["instrument"] == "phq9" and a["taken_at"] < index[pid].first_dose_at
        ]
        return before[-1] if before else None

    final: list[int] = []
    for pid in ids:
        if cohort.treatment_resistant is not None:
            ev = evaluation.get(pid)
            if ev is None or ev["treatment_resistant"] is not cohort.treatment_resistant:
                continue
        if cohort.baseline_severity:
            base = baseline_phq9(pid)
            if base is None or base["severity"] not in cohort.baseline_severity:
                continue
        final.append(pid)

    names = {pid: pseudonym(key, "patient", pid) for pid in final}
    rows = CohortRows({name: [] for name in TABLE_COLUMNS})

    for pid in final:
        ix, ev, base = index[pid], evaluation.get(pid), baseline_phq9(pid)
        anchor = ix.first_dose_on
        rows.tables["patients"].append(
            {
                "patient": names[pid],
                "sex": demographics[pid]["sex"],
                "age_at_first_dose": age_label(demographics[pid]["age"]),
                "first_dose_protocol": ix.protocol_code,
                "first_dose_route": ix.route,
                "treatment_resistant": ev["treatment_resistant"] if ev else None,
                "adequate_failed_trials": ev["adequate_failed_trials"] if ev else None,
                "msm_total": ev["msm_total"] if ev else None,
                "msm_band": (ev["msm_band"] or None) if ev else None,
                "eligibility_verdict": ev["verdict"] if ev else None,
                "evaluation_day": days_since(anchor, _local(ev["as_of"])) if ev else None,
                "baseline_phq9_total": base["total"] if base else None,
                "baseline_phq9_severity": base["severity"] if base else None,
            }
        )
        points = []
        for a in assessments[pid]:
            day = days_since(anchor, _local(a["taken_at"]))
            before = a["taken_at"] < ix.first_dose_at
            rows.tables["assessments"].append(
                {
                    "patient": names[pid],
                    "instrument": a["instrument"],
                    "day": day,
                    "before_first_dose": before,
                    "context": a["context"],
                    "total": a["total"],
                    "severity": a["severity"] or None,
                    "flags": ";".join(a["flags"] or []),
                    "items": ";".join("" if v is None else str(v) for v in a["items"] or []),
                }
            )
            if a["instrument"] == "phq9" and a["total"] is not None:
                points.append(ScorePoint(min(day, 0) if before else day, a["total"], before))
        rows.scores.append(PatientScores(names[pid], ix.protocol_code, tuple(points)))

    course_number: dict[int, int] = {}
    per_patient: dict[int, int] = defaultdict(int)
    for chunk in _chunks(final):
        for c in (
            Course.objects.filter(clinic_id=clinic_id, patient_id__in=chunk, start_at__lte=as_of)
            .order_by("patient_id", "start_at", "id")
            .values(
                "id",
                "patient_id",
                "protocol_code",
                "route",
                "drug",
                "start_at",
                "planned_sessions",
                "sessions_per_week",
                "mg_per_kg",
                "dose_mg",
                "status",
            )
        ):
            pid = c["patient_id"]
            per_patient[pid] += 1
            course_number[c["id"]] = per_patient[pid]
            rows.tables["courses"].append(
                {
                    "patient": names[pid],
                    "course": per_patient[pid],
                    "protocol_code": c["protocol_code"],
                    "route": c["route"],
                    "drug": c["drug"],
                    "start_day": days_since(index[pid].first_dose_on, _local(c["start_at"])),
                    "planned_sessions": c["planned_sessions"],
                    "sessions_per_week": c["sessions_per_week"],
                    "mg_per_kg": _num(c["mg_per_kg"]),
                    "dose_mg": _num(c["dose_mg"]),
                    "status": c["status"],
                }
            )

    for chunk in _chunks(final):
        for s in (
            TreatmentSession.objects.filter(
                clinic_id=clinic_id, patient_id__in=chunk, scheduled_at__lte=as_of
            )
            .order_by("patient_id", "scheduled_at", "number", "id")
            .values(
                "patient_id",
                "course_id",
                "number",
                "course_week",
                "state",
                "scheduled_at",
                "discharged_at",
                "dose__started_at",
                "dose__dose_mg",
                "dose__mg_per_kg",
                "dose__weight_kg",
                "dose__volume_ml",
                "dose__infusion_duration_min",
                "dose__route",
                "dose__protocol_code",
            )
        ):
            pid = s["patient_id"]
            if s["course_id"] not in course_number:
                continue
            anchor = index[pid].first_dose_on
            dosed = s["dose__started_at"] is not None and s["dose__started_at"] <= as_of
            rows.tables["sessions"].append(
                {
                    "patient": names[pid],
                    "course": course_number[s["course_id"]],
                    "session_number": s["number"],
                    "course_week": s["course_week"],
                    "state": s["state"],
                    "scheduled_day": days_since(anchor, _local(s["scheduled_at"])),
                    "dose_day": days_since(anchor, _local(s["dose__started_at"]))
                    if dosed
                    else None,
                    "dose_mg": _num(s["dose__dose_mg"]) if dosed else None,
                    "mg_per_kg": _num(s["dose__mg_per_kg"]) if dosed else None,
                    "weight_kg": _num(s["dose__weight_kg"]) if dosed else None,
                    "volume_ml": _num(s["dose__volume_ml"]) if dosed else None,
                    "infusion_duration_min": s["dose__infusion_duration_min"] if dosed else None,
                    "dose_route": s["dose__route"] if dosed else None,
                    "dose_protocol_code": s["dose__protocol_code"] if dosed else None,
                    "discharged_day": days_since(anchor, _local(s["discharged_at"])),
                }
            )

    for chunk in _chunks(final):
        for e in (
            AdverseEventRecord.objects.filter(
                clinic_id=clinic_id, session__patient_id__in=chunk, onset_at__lte=as_of
            )
            .order_by("session__patient_id", "onset_at", "id")
            .values(
                "session__patient_id",
                "session__course_id",
                "session__number",
                "event_type",
                "severity",
                "ctcae_grade",
                "onset_at",
                "resolved_at",
            )
        ):
            pid = e["session__patient_id"]
            anchor = index[pid].first_dose_on
            rows.tables["adverse_events"].append(
                {
                    "patient": names[pid],
                    "course": course_number.get(e["session__course_id"]),
                    "session_number": e["session__number"],
                    "event_type": e["event_type"],
                    "severity": e["severity"],
                    "ctcae_grade": e["ctcae_grade"],
                    "onset_day": days_since(anchor, _local(e["onset_at"])),
                    "resolved_day": days_since(anchor, _local(e["resolved_at"])),
                }
            )
    return rows
