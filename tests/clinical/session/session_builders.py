"""Shared builders for the dosing-session core tests (no database, fixed instants).

A plain module (not conftest.py) with a unique name so test files can import it directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ketacare.clinical.session.policy import SessionPolicy
from ketacare.clinical.session.vitals import Vitals, VitalsThresholds

DOSE_AT = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


def reading(
    minutes_from_dose: float = -10,
    *,
    systolic: int = 120,
    diastolic: int = 80,
    heart_rate: int = 72,
    spo2: int = 98,
    resp_rate: int = 14,
) -> Vitals:
    return Vitals(
        systolic_mmhg=systolic,
        diastolic_mmhg=diastolic,
        heart_rate_bpm=heart_rate,
        spo2_percent=spo2,
        respiratory_rate_per_min=resp_rate,
        taken_at=DOSE_AT + timedelta(minutes=minutes_from_dose),
    )


def make_policy(**overrides) -> SessionPolicy:
    values = {
        "vitals_thresholds": VitalsThresholds(spo2_min_percent=92),
        "predose_vitals_max_age_min": 30,
        "predischarge_vitals_max_age_min": 15,
        "vitals_tolerance_min": 5,
    }
    values.update(overrides)
    return SessionPolicy(**values)
