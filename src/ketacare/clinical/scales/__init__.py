"""Rating scales: one declarative spec per instrument, one registry, one ``score`` door.

Measurement scales (``ScaleKind.MEASUREMENT``): PHQ-9, GAD-7, MADRS, QIDS-SR16, C-SSRS
screener. Session scales (``ScaleKind.SESSION``), rated during a dosing session: MOAA/S, CADSS.
Each module's docstring gives the instrument version, its sources and what it does not do;
every cut-point is a cited constant listed in docs/clinical-sources.md ("Rating scales").

``score(code, items)`` validates and scores with each instrument's default policy. Use the
instrument's own function for options the generic door does not take
(``score_moaas(items, pre_dose_rating=...)``, ``score_cssrs_screener(items, policy)``,
``score_cadss(items, policy)``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales._instrument import (
    Answer,
    Band,
    Flag,
    Instrument,
    ItemSpec,
    ResponseOption,
    ScaleDescription,
    ScaleKind,
    ScaleResult,
    ScoringRule,
    Severity,
    Subscore,
)
from ketacare.clinical.scales.cadss import CADSS, CadssPolicy, score_cadss
from ketacare.clinical.scales.cssrs import (
    CSSRS_SCREENER_INSTRUMENT,
    CssrsRiskPolicy,
    RiskLevel,
    score_cssrs_screener,
)
from ketacare.clinical.scales.gad7 import GAD7, score_gad7
from ketacare.clinical.scales.madrs import MADRS, score_madrs
from ketacare.clinical.scales.moaas import MOAAS, score_moaas
from ketacare.clinical.scales.phq9 import PHQ9, score_phq9
from ketacare.clinical.scales.qids_sr16 import QIDS_SR16, score_qids_sr16

__all__ = [
    "SCALES",
    "Answer",
    "Band",
    "CadssPolicy",
    "CssrsRiskPolicy",
    "Flag",
    "Instrument",
    "ItemSpec",
    "ResponseOption",
    "RiskLevel",
    "ScaleDescription",
    "ScaleKind",
    "ScaleResult",
    "ScoringRule",
    "Severity",
    "Subscore",
    "describe_scale",
    "get_instrument",
    "list_scales",
    "score",
    "score_cadss",
    "score_cssrs_screener",
    "score_gad7",
    "score_madrs",
    "score_moaas",
    "score_phq9",
    "score_qids_sr16",
]

SCALES: dict[str, Instrument] = {
    instrument.code: instrument
    for instrument in (
        PHQ9,
        GAD7,
        MADRS,
        QIDS_SR16,
        CSSRS_SCREENER_INSTRUMENT,
        MOAAS,
        CADSS,
    )
}


def get_instrument(code: str) -> Instrument:
    """The instrument spec for ``code``; unknown codes raise ``unknown_scale``."""
    instrument = SCALES.get(code) if isinstance(code, str) else None
    if instrument is None:
        raise InvalidClinicalInput(
            "unknown_scale",
            f"Unknown rating scale {code!r}; known scales: {', '.join(SCALES)}.",
            {"scale": code if isinstance(code, str) else repr(code), "known": list(SCALES)},
        )
    return instrument


def score(code: str, items: Sequence[Answer]) -> ScaleResult:
    """Validate and score ``items`` (item 1 first) on scale ``code`` with default policies."""
    return get_instrument(code).score(items)


def describe_scale(code: str) -> ScaleDescription:
    """What an API listing shows for one scale: items, allowed values, shippable labels, bands."""
    return get_instrument(code).describe()


def list_scales(kind: ScaleKind | None = None) -> tuple[ScaleDescription, ...]:
    """Descriptions of every scale, or only measurement or only session scales."""
    return tuple(
        instrument.describe()
        for instrument in SCALES.values()
        if kind is None or instrument.kind is kind
    )
