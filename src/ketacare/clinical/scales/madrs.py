"""MADRS (Montgomery-Åsberg Depression Rating Scale), clinician-rated depression severity.

Implements: 10 clinician-rated items, each 0-6; total = sum, 0-60; Snaith grade bands 0-6
absent (normal), 7-19 mild, 20-34 moderate, 35-60 severe.

Sources: Montgomery & Åsberg 1979 (items and range, S36); Snaith et al. 1986 (bands, S36).
Other published cut-points exist (12/24/35; Müller 2003: 31 for moderate vs severe); we ship
Snaith's, as the reference does, and report the band code so a clinic can re-grade later.

Licence: the item wording and rating anchors are not shipped. Items carry short neutral
domain labels ("Item 2: reported sadness") and no response-option labels.

Deliberately not done: no pro-rating; no response or remission judgement (that belongs to
``clinical.outcomes``, which compares a series of results).
"""

from __future__ import annotations

from collections.abc import Sequence

from ketacare.clinical.scales._instrument import (
    Answer,
    Instrument,
    ScaleKind,
    ScaleResult,
    ScoringRule,
    bands_from_minimums,
    numbered_items,
    score_by_spec,
)
from ketacare.clinical.scales.references import MONTGOMERY_ASBERG_1979, SNAITH_1986
from ketacare.clinical.sources import cited

MADRS_ITEM_COUNT = cited("MADRS_ITEM_COUNT", 10, "items", MONTGOMERY_ASBERG_1979)
MADRS_ITEM_MIN = cited("MADRS_ITEM_MIN", 0, "points", MONTGOMERY_ASBERG_1979)
MADRS_ITEM_MAX = cited("MADRS_ITEM_MAX", 6, "points", MONTGOMERY_ASBERG_1979)
MADRS_MILD_MIN = cited("MADRS_MILD_MIN", 7, "points", SNAITH_1986)
MADRS_MODERATE_MIN = cited("MADRS_MODERATE_MIN", 20, "points", SNAITH_1986)
MADRS_SEVERE_MIN = cited("MADRS_SEVERE_MIN", 35, "points", SNAITH_1986)

_ITEM_LABELS = (
    "Item 1: apparent sadness",
    "Item 2: reported sadness",
    "Item 3: inner tension",
    "Item 4: reduced sleep",
    "Item 5: reduced appetite",
    "Item 6: concentration difficulties",
    "Item 7: lassitude",
    "Item 8: inability to feel",
    "Item 9: pessimistic thoughts",
    "Item 10: suicidal thoughts",
)


def score_madrs(items: Sequence[Answer]) -> ScaleResult:
    """Score ten MADRS ratings (each 0-6): total 0-60 points and Snaith severity band."""
    return score_by_spec(MADRS, items)


MADRS = Instrument(
    code="madrs",
    short_name="MADRS",
    name="Montgomery-Åsberg Depression Rating Scale",
    version="MADRS (Montgomery & Åsberg 1979), Snaith 1986 bands",
    kind=ScaleKind.MEASUREMENT,
    recall_period="past week (clinical interview)",
    items=numbered_items(
        _ITEM_LABELS[:MADRS_ITEM_COUNT], tuple(range(MADRS_ITEM_MIN, MADRS_ITEM_MAX + 1))
    ),
    scoring=ScoringRule.SUM,
    scorer=score_madrs,
    sources=(MONTGOMERY_ASBERG_1979, SNAITH_1986),
    bands=bands_from_minimums(
        SNAITH_1986,
        MADRS_ITEM_COUNT * MADRS_ITEM_MAX,
        ("absent", "Absent (normal)", MADRS_ITEM_COUNT * MADRS_ITEM_MIN),
        ("mild", "Mild", MADRS_MILD_MIN),
        ("moderate", "Moderate", MADRS_MODERATE_MIN),
        ("severe", "Severe", MADRS_SEVERE_MIN),
    ),
    licence_note="Item wording and anchors not shipped; neutral domain labels only.",
)
