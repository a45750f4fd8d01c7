"""Core results and read models as plain dicts for the API and the pages (no rules here)."""

from __future__ import annotations

from typing import Any

from ketacare.clinical.gates import Finding
from ketacare.clinical.outcomes import ScoreObservation
from ketacare.clinical.outcomes.definitions import DEPRESSION_INSTRUMENTS
from ketacare.clinical.scales import ScaleDescription, ScaleResult
from ketacare.measures.selectors import MaintenanceView, OutcomeView
from ketacare.measures.services import IssuedLink, RecordedAssessment


def scale(description: ScaleDescription) -> dict[str, Any]:
    return description.as_dict()


def scale_score(result: ScaleResult) -> dict[str, Any]:
    return {
        "scale": result.scale_code,
        "version": result.version,
        "total": result.total,
        "severity": (
            {"code": result.severity.code, "label": result.severity.label}
            if result.severity
            else None
        ),
        "flags": [{"code": f.code, "message": f.message} for f in result.flags],
    }


def recorded(result: RecordedAssessment) -> dict[str, Any]:
    return {
        "assessment": result.assessment,
        "alerts": list(result.alerts),
        "crisis_text": result.crisis_text,
    }


def self_report(result: RecordedAssessment) -> dict[str, Any]:
    row = result.assessment
    return {
        "assessment_id": row.pk,
        "instrument": row.instrument,
        "taken_at": row.taken_at,
        "clinic_alerted": bool(result.alerts),
        "crisis_text": result.crisis_text,
    }


def portal_link(issued: IssuedLink) -> dict[str, Any]:
    link = issued.link
    return {
        "id": link.pk,
        "patient_id": link.patient_id,
        "instrument": link.instrument,
        "context": link.context,
        "expires_at": link.expires_at,
        "token": issued.token,
        "path": f"/api/v1/self-report/{issued.token}",
    }


def finding(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "message": f.message,
        "source": f.source.as_dict() if f.source else None,
    }


def _point(o: ScoreObservation) -> dict[str, Any]:
    return {
        "assessment_id": int(o.observation_id) if o.observation_id else None,
        "total": o.total,
        "taken_at": o.taken_at,
        "context": str(o.context),
    }


def outcomes(view: OutcomeView) -> dict[str, Any]:
    result = view.assessment
    instruments = []
    for item in result.instruments:
        instruments.append(
            {
                "instrument": item.instrument,
                "status": str(item.status),
                "reason": finding(item.reason),
                "evidence": [_point(o) for o in item.evidence],
                "baseline": _point(item.baseline) if item.baseline else None,
                "latest": _point(item.latest) if item.latest else None,
                "percent_change": (
                    str(item.percent_change) if item.percent_change is not None else None
                ),
                "flags": [{"code": f.code, "reason": finding(f.reason)} for f in item.flags],
                "series": [_point(o) for o in item.series],
            }
        )
    other = {
        code: [
            {
                "assessment_id": r.pk,
                "total": r.total if r.total is not None else sum(1 for v in r.items if v),
                "taken_at": r.taken_at,
                "context": r.context,
            }
            for r in rows
        ]
        for code, rows in view.series.items()
        if code not in DEPRESSION_INSTRUMENTS
    }
    return {
        "patient_id": view.patient.pk,
        "as_of": view.as_of,
        "first_dose_at": result.first_dose_at,
        "doses_given": result.doses_given,
        "instruments": instruments,
        "not_assessed": [finding(f) for f in result.not_assessed],
        "other_series": other,
    }


def maintenance(view: MaintenanceView) -> dict[str, Any]:
    rec, policy = view.recommendation, view.policy
    return {
        "patient_id": view.patient.pk,
        "as_of": view.as_of,
        "status": view.status,
        "message": view.message,
        "next_dose_at": rec.next_dose_at if rec else None,
        "interval_days": rec.interval_days if rec else None,
        "basis": str(rec.basis) if rec else None,
        "due": view.due,
        "durability_shortening": rec.durability_shortening if rec else False,
        "median_durability_days": (
            str(rec.median_durability_days) if rec and rec.median_durability_days else None
        ),
        "last_dose_at": rec.last_dose_at if rec else None,
        "acute_series_ended_at": view.acute_series_ended_at,
        "drug": view.drug,
        "instrument": view.instrument,
        "threshold": str(policy.threshold) if policy else None,
        "min_interval_days": policy.min_interval_days if policy else None,
        "max_interval_days": policy.max_interval_days if policy else None,
        "bounds_source": (
            policy.bounds_source.as_dict() if policy and policy.bounds_source else None
        ),
        "reasons": [finding(r) for r in rec.reasons] if rec else [],
        "durations": [
            {
                "dose_at": d.dose.given_at,
                "duration_days": str(d.duration_days),
                "censored": d.censored,
                "end_reason": d.end_reason,
                "ended_by_assessment_id": (
                    int(d.ended_by.observation_id)
                    if d.ended_by and d.ended_by.observation_id
                    else None
                ),
            }
            for d in (rec.durations if rec else ())
        ],
        "doses_used": [d.given_at for d in view.doses],
    }
