"""Cards for the patient-view treatment-recommendation service (CDS Hooks 2.0 card attributes:
``uuid``, ``summary`` < 140 characters, ``indicator`` info|warning|critical, ``source`` with
``label`` and ``url``, ``detail`` in markdown, ``suggestions`` with ``selectionBehavior``,
``overrideReasons``). Cards carry the engine's codes, messages and sources unchanged, plus a
KetaCare extension with the option and reason codes."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from ketacare.clinical.gates import Finding
from ketacare.clinical.recommendations import RankedOption, Recommendation
from ketacare.interop.fhir import codes as c
from ketacare.interop.fhir.inbound import PrefetchReading
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


def _evidence(f: Finding) -> str:
    """The finding's evidence in one line: source, locator and grade (issue 16.5), so a
    prescriber can weigh a general guide differently from a label contraindication."""
    if f.source is None:
        return ""
    cite = f"[{f.source.key}]({f.source.url})" if f.source.url else f.source.key
    return f" Evidence: {f.source.evidence_line} ({cite})"


def _bullets(title: str, findings: tuple[Finding, ...]) -> str:
    if not findings:
        return ""
    lines = [f"**{title}**", ""]
    for f in findings:
        lines.append(f"- {f.message} `{f.code}`{_evidence(f)}")
    return "\n".join(lines) + "\n\n"


def _source(url: str | None, finding: Finding | None = None) -> dict[str, str]:
    label = SOURCE_LABEL
    if finding is not None and finding.source is not None:
        label = f"{SOURCE_LABEL} ({finding.source.grade_label})"
    return {"label": label, "url": url or FALLBACK_URL}


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
                "detail": f"{f.message} `{f.code}`{_evidence(f)}\n\n_{rec.disclaimer}_",
                "source": _source(f.source.url if f.source else None, f),
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
        # A suggestion is a proposal for the clinician, not an adopted plan (CDS Hooks: the
        # CDS client decides; FHIR CarePlan status draft, intent proposal).
        plan["status"], plan["intent"] = "draft", "proposal"
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
                "detail": f"{f.message} `{f.code}`{_evidence(f)}\n\n_{rec.disclaimer}_",
                "source": _source(f.source.url if f.source else None, f),
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
                    o.exclusion_reasons[0].source.url if o.exclusion_reasons[0].source else None,
                    o.exclusion_reasons[0],
                ),
                "extension": _ext(o.option.value, codes, o.rank),
            }
        )
    return cards


TERMINOLOGY_LABEL = "KetaCare terminology check"
_LABEL_URL = "https://www.oncologynurseadvisor.com/drug/spravato/"  # S2, label summary
_TRD_URL = (
    "http://core-varnish-new.prod.aop.cambridge.org/core/journals/cns-spectrums/article/"
    "effects-of-esketamine-nasal-spray-on-depressive-symptom-severity-in-adults-with-"
    "treatmentresistant-depression-and-associations-between-the-montgomeryasberg-depression-"
    "rating-scale-and-the-9item-patient-health-questionnaire/57EB8D14B3F87B81C65DD97390F7E787"
)
UNRECOGNISED_SHOWN = 25


def build_reading_cards(reading: PrefetchReading) -> list[dict[str, Any]]:
    """Cards for what the engine cannot weigh: recognised conditions with no rule here, trials
    counted from the EHR's medication history, and codes KetaCare does not recognise."""
    cards: list[dict[str, Any]] = []
    if reading.review:
        names = ", ".join(r.concept.value.replace("_", " ") for r in reading.review)
        cards.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _summary(f"Review before any ketamine option: {names}"),
                "indicator": "warning",
                "detail": "\n".join(
                    f"- {r.message} `{r.code}` ({r.coding})" for r in reading.review
                ),
                "source": {"label": TERMINOLOGY_LABEL, "url": _LABEL_URL},
                "extension": _ext(None, [r.code for r in reading.review]),
            }
        )
    if reading.ehr_trials:
        lines = [
            f"- {t.ingredient}: {t.weeks} week(s)"
            + (" (augmentation, not counted)" if t.augmentation else "")
            for t in reading.ehr_trials
        ]
        counted = len({t.ingredient for t in reading.ehr_trials if not t.augmentation})
        cards.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _summary(
                    f"{counted} antidepressant trial(s) counted from the EHR: confirm adequacy"
                ),
                "indicator": "warning",
                "detail": (
                    "Completed or stopped antidepressants in the EHR's medication history were "
                    "counted as failed trials in this episode. The EHR did not record whether "
                    "dose and duration were adequate or how the patient responded; confirm "
                    "before relying on the treatment-resistance count.\n\n" + "\n".join(lines)
                ),
                "source": {"label": TERMINOLOGY_LABEL, "url": _TRD_URL},
                "extension": _ext(None, ["ehr_antidepressant_trials_unconfirmed"]),
            }
        )
    if reading.unrecognised:
        shown = reading.unrecognised[:UNRECOGNISED_SHOWN]
        more = len(reading.unrecognised) - len(shown)
        cards.append(
            {
                "uuid": str(uuid.uuid4()),
                "summary": _summary(
                    f"Unrecognised codes: {len(reading.unrecognised)} not assessed by KetaCare"
                ),
                "indicator": "warning",
                "detail": (
                    "KetaCare does not recognise these codes, so it could not check them for "
                    "contraindications or warnings. They were NOT treated as absent: review "
                    "them before acting on these cards.\n\n"
                    + "\n".join(f"- {u}" for u in shown)
                    + (f"\n- … and {more} more" if more else "")
                ),
                "source": {"label": TERMINOLOGY_LABEL, "url": _LABEL_URL},
                "extension": _ext(None, ["unrecognised_codes"]),
            }
        )
    return cards


def smart_links(patient_id: str, launch_url: str | None) -> list[dict[str, Any]]:
    """Card links of type ``smart`` that launch KetaCare's chart or run sheet through SMART
    (the CDS client adds ``iss`` and ``launch``). ``launch_url`` is KetaCare's SMART launch
    endpoint (``KETACARE_SMART_LAUNCH_URL``); without one there are no links rather than a
    link that leads nowhere."""
    if not launch_url:
        return []
    return [
        {
            "label": "Open the KetaCare chart",
            "url": launch_url,
            "type": "smart",
            "appContext": json.dumps({"view": "chart", "patient": patient_id}),
        },
        {
            "label": "Open the KetaCare run sheet",
            "url": launch_url,
            "type": "smart",
            "appContext": json.dumps({"view": "run-sheet", "patient": patient_id}),
        },
    ]


def with_links(cards: list[dict[str, Any]], links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if links:
        for card in cards:
            card["links"] = links
    return cards
