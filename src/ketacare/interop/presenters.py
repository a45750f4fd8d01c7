"""Plain-data views of a ``Recommendation`` for the API, the chart and CDS cards: the same
codes, messages and sources everywhere."""

from __future__ import annotations

from typing import Any

from ketacare.clinical.gates import Finding
from ketacare.clinical.recommendations import Recommendation


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "message": f.message,
        "source": f.source.as_dict() if f.source else None,
    }


def recommendation_dict(rec: Recommendation) -> dict[str, Any]:
    return {
        "decision_support": rec.decision_support,
        "disclaimer": rec.disclaimer,
        "top_option": rec.top.option.value if rec.top else None,
        "no_top_reason": finding_dict(rec.no_top_reason) if rec.no_top_reason else None,
        "urgent": [finding_dict(f) for f in rec.urgent],
        "notes": [finding_dict(f) for f in rec.notes],
        "options": [
            {
                "option": o.option.value,
                "label": o.label,
                "rank": o.rank,
                "suitability": o.suitability.value,
                "exclusion": o.exclusion.value if o.exclusion else None,
                "available": o.available,
                "declined_by_patient": o.declined_by_patient,
                "reasons_for": [finding_dict(f) for f in o.reasons_for],
                "reasons_against": [finding_dict(f) for f in o.reasons_against],
                "cautions": [finding_dict(f) for f in o.cautions],
                "exclusion_reasons": [finding_dict(f) for f in o.exclusion_reasons],
                "evidence": {
                    "level": o.evidence.level,
                    "summary": o.evidence.summary,
                    "sources": [s.as_dict() for s in o.evidence.sources],
                },
            }
            for o in rec.options
        ],
    }
