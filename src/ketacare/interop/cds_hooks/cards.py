"""Cards for the patient-view treatment-recommendation service (CDS Hooks 2.0 card attributes:
``uuid``, ``summary`` < 140 characters, ``indicator`` info|warning|critical, ``source`` with
``label`` and ``url``, ``detail`` in markdown, ``suggestions`` with ``selectionBehavior``,
``overrideReasons``). Cards carry the engine's codes, messages and sources unchanged, plus a
KetaCare extension with the option and reason codes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ketacare.clinical.gates import Finding
from ketacare.clinical.recommendations import RankedOption, Recommendation
from ketacare.interop.fhir import codes as c
from ketacare.interop.fhir.outbound import as_json, care_plan_for_choice

SUMMARY_MAX = 139  # the specification: "<140 characters"
SOURCE_LABEL = "KetaCare treatment recommendation"
FALLBACK_URL = "https://pubmed.ncbi.nlm.nih.gov/27486154/"
EXTENSION = "org.ketacare.recommendation"
OVERRIDE_REASONS = [
    {"system": c.LOCAL, "code": "patient-preference", "display": "Patient preference"},
    {"system": c.LOCAL, "code": "clinical-judgment", "display": "Different clinical judgment"},
    {"system": c.LOCAL, "code": "not-available", "display": "Not available to this patient"},
]


def _summary(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def _bullets(title: str, findings: tuple[Finding, ...]) -> str:
    if not findings:
        return ""
    lines = [f"**{title}**", ""]
    for f in findings:
        cite = f" ([{f.source.key}]({f.source.url}))" if f.source and f.source.url else ""
        lines.append(f"- {f.message} `{f.code}`{cite}")
    return "\n".join(lines) + "\n\n"


def _source(url: str | None) -> dict[str, str]:
    return {"label": SOURCE_LABEL, "url": url or FALLBACK_URL}


def _option_detail(o: RankedOption, rec: Recommendation) -> str:
    return (
        f"**{o.label}**: suitability {o.suitability.value}, rank {o.rank}.\n\n"
        + _bullets("Reasons for", o.reasons_for)
        + _bullets("Reasons against", o.reasons_against)
        + _bullets("Cautions", o.cautions)
        + f"**Evidence:** {o.evidence.level}. {o.evidence.summary}\n\n"
        + f"_{rec.disclaimer}_"
    )


def _ext(option: str | None, codes: list[str], rank: int | None = None) -> dict[str, Any]:
    return {EXTENSION: {"option": option, "rank": rank, "codes": sorted(codes)}}


def build_cards(rec: Recommendation, *, patient_id: str, as_of: datetime) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = []
    for f in rec.urgent:
        cards.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _summary(f.message.split(":")[0] + ": same-day safety review"),
                "indicator": "critical",
                "detail": f"{f.message} `{f.code}`\n\n_{rec.disclaimer}_",
                "source": _source(f.source.url if f.source else None),
                "extension": _ext(None, [f.code]),
            }
        )
    top = rec.top
    if top is not None:
        plan = as_json(
            care_plan_for_choice(
                patient_id,
                "ketacare-proposed",
                option=top.option,
                reason="",
                created=as_of,
                top_option=top.option,
            )
        )
        plan.pop("id", None)
        cards.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _summary(f"Consider {top.label} ({top.suitability.value} suitability)"),
                "indicator": "warning" if top.cautions or top.reasons_against else "info",
                "detail": _option_detail(top, rec),
                "source": _source(top.evidence.sources[0].url),
                "suggestions": [
                    {
                        "label": f"Add {top.label} to the treatment plan",
                        "uuid": str(uuid.uuid4()),
                        "isRecommended": False,
                        "actions": [
                            {
                                "type": "create",
                                "description": "Proposed care plan activity",
                                "resource": plan,
                            }
                        ],
                    }
                ],
                "selectionBehavior": "at-most-one",
                "overrideReasons": OVERRIDE_REASONS,
                "extension": _ext(top.option.value, sorted(top.codes), top.rank),
            }
        )
    elif rec.no_top_reason is not None:
        f = rec.no_top_reason
        cards.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _summary("No ketamine or neurostimulation option is a first step yet"),
                "indicator": "info",
                "detail": f"{f.message} `{f.code}`\n\n_{rec.disclaimer}_",
                "source": _source(f.source.url if f.source else None),
                "extension": _ext(None, [f.code]),
            }
        )
    for o in rec.options:
        if o.exclusion is None:
            continue
        codes = [f.code for f in o.exclusion_reasons]
        cards.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _summary(f"Not recommended: {o.label} ({o.exclusion.value} exclusion)"),
                "indicator": "warning",
                "detail": _bullets("Why it is excluded", o.exclusion_reasons)
                + f"_{rec.disclaimer}_",
                "source": _source(
                    o.exclusion_reasons[0].source.url if o.exclusion_reasons[0].source else None
                ),
                "extension": _ext(o.option.value, codes, o.rank),
            }
        )
    return cards
