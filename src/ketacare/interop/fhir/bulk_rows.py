"""Bulk export's fast path: FHIR R4 (4.0.1) JSON built straight from value rows.

The vital signs (four Observations per reading) and the in-session MOAA/S and CADSS ratings
are nine in ten of a clinic's exported resources. For these, Bulk export reads plain value
tuples (``values_list``: no model instance per row, no ``select_related`` object) and builds
each resource here, each timestamp formatted once per row and the constant parts (codes,
category, profiles) shared, instead of going through ``resources``' builders one ORM row at a
time.

``resources`` stays the reference: the read API and search serve its builders' output, and
``tests/interop/fhir/test_bulk_fast_path.py`` exports the demo clinic and checks every line
of these types equals, resource by resource, what those builders make from the same rows
(and is valid against the R4B models and the official FHIR R4 JSON Schema). A change to a
builder there must be made here too; the test fails until it is.

The dicts returned share their constant parts with each other: they are for serialising
only, never to be changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ketacare.interop.fhir import codes as c
from ketacare.interop.fhir import resources as r

Json = dict[str, Any]


@dataclass(frozen=True)
class FastPath:
    """``fields`` for ``values_list``; ``build`` turns one such row into the resources of
    every source in the group, in the group's order."""

    fields: tuple[str, ...]
    build: Callable[[tuple], Iterable[Json]]


_VITAL_CATEGORY = [r.concept(c.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")]
_EXAM_CATEGORY = [r.concept(c.OBSERVATION_CATEGORY, "exam", "Exam")]


def _code(loinc: str, display: str) -> Json:
    return r.concept(c.LOINC, loinc, display)


_BP_CODE = _code(c.BP_PANEL, "Blood pressure panel with all children optional")
_SYSTOLIC_CODE = _code(c.BP_SYSTOLIC, "Systolic blood pressure")
_DIASTOLIC_CODE = _code(c.BP_DIASTOLIC, "Diastolic blood pressure")
_HEART_RATE_CODE = _code(c.HEART_RATE, "Heart rate")
_RESP_RATE_CODE = _code(c.RESPIRATORY_RATE, "Respiratory rate")
_SPO2_CODE = {
    "coding": [
        r.coding(c.LOINC, c.SPO2, "Oxygen saturation in Arterial blood by Pulse oximetry"),
        r.coding(c.LOINC, c.SPO2_ARTERIAL, "Oxygen saturation in Arterial blood"),
    ]
}
_PROFILES = {loinc: list(c.VITAL_PROFILES[loinc]) for loinc in c.VITAL_PROFILES}


def _vitals_rows(row: tuple) -> tuple[Json, Json, Json, Json]:
    """One reading: blood pressure, heart rate, SpO2, respiratory rate (``server``'s order)."""
    pk, taken_at, created_at, systolic, diastolic, heart_rate, spo2, resp_rate, session, patient = (
        row
    )
    effective = taken_at.isoformat()
    issued = created_at.isoformat()
    subject = {"reference": f"Patient/{patient}"}
    encounter = {"reference": f"Encounter/{session}"}

    def observation(oid: str, loinc: str, code: Json) -> Json:
        return {
            "resourceType": "Observation",
            "id": oid,
            "meta": {"lastUpdated": issued, "profile": _PROFILES[loinc]},
            "status": "final",
            "category": _VITAL_CATEGORY,
            "code": code,
            "subject": subject,
            "effectiveDateTime": effective,
            "issued": issued,
            "encounter": encounter,
        }

    bp = observation(f"bp-{pk}", c.BP_PANEL, _BP_CODE)
    bp["component"] = [
        {"code": _SYSTOLIC_CODE, "valueQuantity": _mmhg(systolic)},
        {"code": _DIASTOLIC_CODE, "valueQuantity": _mmhg(diastolic)},
    ]
    hr = observation(f"heart-rate-{pk}", c.HEART_RATE, _HEART_RATE_CODE)
    hr["valueQuantity"] = _quantity(heart_rate, "beats/minute", "/min")
    ox = observation(f"spo2-{pk}", c.SPO2, _SPO2_CODE)
    ox["valueQuantity"] = _quantity(spo2, "%", "%")
    rr = observation(f"resp-rate-{pk}", c.RESPIRATORY_RATE, _RESP_RATE_CODE)
    rr["valueQuantity"] = _quantity(resp_rate, "breaths/minute", "/min")
    return bp, hr, ox, rr


def _quantity(value: int, unit: str, code: str) -> Json:
    # The vital signs are whole numbers (PositiveSmallIntegerField): no Decimal to convert.
    return {"value": value, "unit": unit, "system": c.UCUM, "code": code}


def _mmhg(value: int) -> Json:
    return {"value": value, "unit": "mmHg", "system": c.UCUM, "code": "mm[Hg]"}


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
)

_SCALE_CODES: dict[str, Json] = {}


def _scale_code(scale: str) -> Json:
    code = _SCALE_CODES.get(scale)
    if code is None:
        name = {"moaas": "MOAA/S", "cadss": "CADSS"}.get(scale, scale)
        code = r.local(
            c.SESSION_SCALE_CODES.get(scale, f"{scale}-total"),
            f"{name} {'score' if scale == 'moaas' else 'total'}",
        )
        _SCALE_CODES[scale] = code
    return code


def _session_scale_rows(row: tuple) -> tuple[Json]:
    pk, created_at, observed_at, scale, total, session, patient = row
    return (
        {
            "resourceType": "Observation",
            "id": f"session-scale-{pk}",
            "meta": {"lastUpdated": created_at.isoformat()},
            "status": "final",
            "category": _EXAM_CATEGORY,
            "code": _scale_code(scale),
            "subject": {"reference": f"Patient/{patient}"},
            "effectiveDateTime": observed_at.isoformat(),
            "issued": created_at.isoformat(),
            "encounter": {"reference": f"Encounter/{session}"},
            "valueQuantity": {
                "value": total,
                "unit": "{score}",
                "system": c.UCUM,
                "code": "{score}",
            },
        },
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
)

# (FHIR type, the group's key: ``Source.shared`` or the source's name) -> its fast path.
FAST_PATHS: dict[tuple[str, str], FastPath] = {
    ("Observation", "vitals"): VITALS,
    ("Observation", "session-scale"): SESSION_SCALES,
}
