"""Flat, JSON- and CSV-ready forms of ``analytics`` results (suppressed values are None)."""

from __future__ import annotations

from typing import Any

from ketacare.analytics import CohortOutcomes
from ketacare.analytics.cohort import Rate


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def _proportion(name: str, count_key: str, outcome: Rate) -> dict[str, Any]:
    """``count_key``, ``<name>_rate`` and its 95% interval (None while suppressed)."""
    interval = outcome.interval
    return {
        count_key: outcome.count,
        f"{name}_rate": _round(interval.estimate) if interval else None,
        f"{name}_ci_lower": _round(interval.lower) if interval else None,
        f"{name}_ci_upper": _round(interval.upper) if interval else None,
    }


def summary_rows(summary: CohortOutcomes) -> list[dict[str, Any]]:
    return [
        {
            "protocol_code": p.protocol_code,
            "patients": p.patients,
            "measured": p.measured,
            **_proportion("response", "responders", p.response),
            **_proportion("remission", "remitters", p.remission),
            "median_days_to_response": p.median_days_to_response,
            "median_relapse_free_days": p.median_relapse_free_days,
            "suppressed": ";".join(p.suppressed),
        }
        for p in summary.protocols
    ]


def curve_points(summary: CohortOutcomes) -> dict[str, list[dict[str, Any]]]:
    """Relapse-free curves by protocol: [{day, survival, at_risk}] starting at day 0."""
    curves: dict[str, list[dict[str, Any]]] = {}
    for p in summary.protocols:
        c = p.relapse_free_curve
        if c is None:
            continue
        points = [{"day": 0, "survival": 1.0, "at_risk": c.subjects}]
        for t, s, n in zip(c.times, c.survival, c.at_risk, strict=True):
            points.append({"day": t, "survival": round(s, 4), "at_risk": n})
        curves[p.protocol_code] = points
    return curves
