"""Flat, JSON- and CSV-ready forms of ``analytics`` results (suppressed values are None)."""

from __future__ import annotations

from typing import Any

from ketacare.analytics import CohortOutcomes


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def summary_rows(summary: CohortOutcomes) -> list[dict[str, Any]]:
    rows = []
    for p in summary.protocols:
        rows.append(
            {
                "protocol_code": p.protocol_code,
                "patients": p.patients,
                "measured": p.measured,
                "responders": p.response.count,
                "response_rate": _round(p.response.interval.estimate)
                if p.response.interval
                else None,
                "response_ci_lower": _round(p.response.interval.lower)
                if p.response.interval
                else None,
                "response_ci_upper": _round(p.response.interval.upper)
                if p.response.interval
                else None,
                "remitters": p.remission.count,
                "remission_rate": _round(p.remission.interval.estimate)
                if p.remission.interval
                else None,
                "remission_ci_lower": _round(p.remission.interval.lower)
                if p.remission.interval
                else None,
                "remission_ci_upper": _round(p.remission.interval.upper)
                if p.remission.interval
                else None,
                "median_days_to_response": p.median_days_to_response,
                "median_relapse_free_days": p.median_relapse_free_days,
                "suppressed": ";".join(p.suppressed),
            }
        )
    return rows


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
