"""Bulk export's fast path: FHIR R4 (4.0.1) JSON built straight from value rows.

The vital signs (four Observations per reading) and the in-session MOAA/S and CADSS ratings
are nine in ten of a clinic's exported resources. For these, Bulk export reads plain value
tuples (``values_list``: no model instance per row, no ``select_related`` object) and builds
each resource's JSON text here: each timestamp formatted once per row, the constant parts
(codes, category, profiles, units) encoded once at import, instead of an ORM row, a builder's
dict and a JSON encoding per resource.

``resources`` stays the reference: the read API and search serve its builders' output, and
``tests/interop/fhir/test_bulk_fast_path.py`` exports the demo clinic and checks every line
of these types equals, resource by resource, what those builders make from the same rows
(and is valid against the R4B models and the official FHIR R4 JSON Schema). A change to a
builder there must be made here too; the test fails until it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ketacare.interop.fhir import codes as c
from ketacare.interop.fhir import resources as r

Json = dict[str, Any]


# One encoder for every line (``json.dumps`` builds one per call): compact, UTF-8 as is.
encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def patient_of(resource: Json) -> str | None:
    """The id of the patient a resource is about (None for Practitioner, Questionnaire...)."""
    if resource["resourceType"] == "Patient":
        return resource["id"]
    ref = resource.get("subject") or resource.get("patient") or {}
    text = ref.get("reference", "") if isinstance(ref, dict) else ""
    return text[8:] if text.startswith("Patient/") else None


@dataclass(frozen=True)
class FastPath:
    """``fields`` for ``values_list``; ``build`` turns one such row into the JSON text of
    each source's resource in the group, in the group's order; ``patient``: the index of the
    patient's id in the row."""

    fields: tuple[str, ...]
    build: Callable[[tuple], Iterable[str]]
    patient: int


# The constant parts, encoded once. Only integers (primary keys, whole-number readings) and
# datetime.isoformat() strings (digits, "-", ":", ".", "T", "+") are put between them: no
# character that JSON would escape.
_OBSERVATION_HEAD = '{"resourceType":"Observation","id":"'
_VITAL_CATEGORY = encode([r.concept(c.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")])
_EXAM_CATEGORY = encode([r.concept(c.OBSERVATION_CATEGORY, "exam", "Exam")])


def _vital_head(prefix: str, loinc: str) -> tuple[str, str]:
    """The text before the reading's pk and the text between its ``lastUpdated`` and the
    subject, for one vital sign."""
    profiles = encode(list(c.VITAL_PROFILES[loinc]))
    return (
        f"{_OBSERVATION_HEAD}{prefix}-",
        f'","profile":{profiles}}},"status":"final","category":{_VITAL_CATEGORY},"code":',
    )


def _code(loinc: str, display: str) -> str:
    return encode(r.concept(c.LOINC, loinc, display))


def _quantity_tail(unit: str, code: str) -> str:
    return f',"unit":{encode(unit)},"system":{encode(c.UCUM)},"code":{encode(code)}}}'


_BP = _vital_head("bp", c.BP_PANEL)
_BP_CODE = _code(c.BP_PANEL, "Blood pressure panel with all children optional")
_SYSTOLIC = '{"code":' + _code(c.BP_SYSTOLIC, "Systolic blood pressure") + ',"valueQuantity":'
_DIASTOLIC = '{"code":' + _code(c.BP_DIASTOLIC, "Diastolic blood pressure") + ',"valueQuantity":'
_MMHG = _quantity_tail("mmHg", "mm[Hg]")
_HEART_RATE = _vital_head("heart-rate", c.HEART_RATE)
_HEART_RATE_CODE = _code(c.HEART_RATE, "Heart rate")
_BPM = _quantity_tail("beats/minute", "/min")
_SPO2 = _vital_head("spo2", c.SPO2)
_SPO2_CODE = encode(
    {
        "coding": [
            r.coding(c.LOINC, c.SPO2, "Oxygen saturation in Arterial blood by Pulse oximetry"),
            r.coding(c.LOINC, c.SPO2_ARTERIAL, "Oxygen saturation in Arterial blood"),
        ]
    }
)
_PERCENT = _quantity_tail("%", "%")
_RESP_RATE = _vital_head("resp-rate", c.RESPIRATORY_RATE)
_RESP_RATE_CODE = _code(c.RESPIRATORY_RATE, "Respiratory rate")
_BREATHS = _quantity_tail("breaths/minute", "/min")


def _vitals_rows(row: tuple) -> tuple[str, str, str, str]:
    """One reading: blood pressure, heart rate, SpO2, respiratory rate (``server``'s order);
    as ``resources.blood_pressure`` and its siblings build them."""
    pk, taken_at, created_at, systolic, diastolic, heart_rate, spo2, resp_rate, session, patient = (
        row
    )
    issued = created_at.isoformat()
    meta = f'{pk:d}","meta":{{"lastUpdated":"{issued}'
    common = (
        f',"subject":{{"reference":"Patient/{patient:d}"}},"effectiveDateTime":'
        f'"{taken_at.isoformat()}","issued":"{issued}",'
        f'"encounter":{{"reference":"Encounter/{session:d}"}}'
    )
    return (
        f"{_BP[0]}{meta}{_BP[1]}{_BP_CODE}{common},"
        f'"component":[{_SYSTOLIC}{{"value":{systolic:d}{_MMHG}}},'
        f'{_DIASTOLIC}{{"value":{diastolic:d}{_MMHG}}}]}}',
        f"{_HEART_RATE[0]}{meta}{_HEART_RATE[1]}{_HEART_RATE_CODE}{common},"
        f'"valueQuantity":{{"value":{heart_rate:d}{_BPM}}}',
        f"{_SPO2[0]}{meta}{_SPO2[1]}{_SPO2_CODE}{common},"
        f'"valueQuantity":{{"value":{spo2:d}{_PERCENT}}}',
        f"{_RESP_RATE[0]}{meta}{_RESP_RATE[1]}{_RESP_RATE_CODE}{common},"
        f'"valueQuantity":{{"value":{resp_rate:d}{_BREATHS}}}',
    )


VITALS = FastPath(
    fields=(
        "pk",
        "taken_at",
        "created_at",
        "systolic_mmhg",
        "diastolic_mmhg",
        "heart_rate_bpm",
        "spo2_percent",
        "respiratory_rate_per_min",
        "session_id",
        "session__patient_id",
    ),
    build=_vitals_rows,
    patient=9,
)

_SCALE_HEAD = f',"status":"final","category":{_EXAM_CATEGORY},"code":'  # after the meta
_SCORE = _quantity_tail("{score}", "{score}")
_SCALE_CODES: dict[str, str] = {}


def _scale_code(scale: str) -> str:
    code = _SCALE_CODES.get(scale)
    if code is None:
        name = {"moaas": "MOAA/S", "cadss": "CADSS"}.get(scale, scale)
        code = encode(
            r.local(
                c.SESSION_SCALE_CODES.get(scale, f"{scale}-total"),
                f"{name} {'score' if scale == 'moaas' else 'total'}",
            )
        )
        _SCALE_CODES[scale] = code
    return code


def _session_scale_rows(row: tuple) -> tuple[str]:
    """One MOAA/S or CADSS rating, as ``resources.session_scale`` builds it."""
    pk, created_at, observed_at, scale, total, session, patient = row
    issued = created_at.isoformat()
    return (
        f'{_OBSERVATION_HEAD}session-scale-{pk:d}","meta":{{"lastUpdated":"{issued}"}}'
        f"{_SCALE_HEAD}{_scale_code(scale)},"
        f'"subject":{{"reference":"Patient/{patient:d}"}},'
        f'"effectiveDateTime":"{observed_at.isoformat()}","issued":"{issued}",'
        f'"encounter":{{"reference":"Encounter/{session:d}"}},'
        f'"valueQuantity":{{"value":{total:d}{_SCORE}}}',
    )


SESSION_SCALES = FastPath(
    fields=(
        "pk",
        "created_at",
        "observed_at",
        "scale",
        "total",
        "session_id",
        "session__patient_id",
    ),
    build=_session_scale_rows,
    patient=6,
)

# (FHIR type, the group's key: ``Source.shared`` or the source's name) -> its fast path.
FAST_PATHS: dict[tuple[str, str], FastPath] = {
    ("Observation", "vitals"): VITALS,
    ("Observation", "session-scale"): SESSION_SCALES,
}
