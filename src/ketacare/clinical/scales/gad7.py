"""GAD-7 (Generalized Anxiety Disorder, 7 items), anxiety severity.

Implements: 7 self-report items for the past 2 weeks, each 0 ("Not at all") to 3 ("Nearly
every day"); total = sum, 0-21; bands 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.

Sources: Spitzer, Kroenke, Williams & Löwe 2006 (S38a); response labels as for the PHQ (S51c).

Licence: free to use; we ship the response labels and short item labels, not the item wording.

Deliberately not done: no pro-rating; no diagnosis of generalized anxiety disorder (a total of
10 or more only suggests further evaluation, which the caller may show as advice).
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
from ketacare.clinical.scales.phq9 import FREQUENCY_OPTIONS
from ketacare.clinical.scales.references import PHQ_RESPONSE_OPTIONS, SPITZER_2006
from ketacare.clinical.sources import cited

GAD7_ITEM_COUNT = cited("GAD7_ITEM_COUNT", 7, "items", SPITZER_2006)
GAD7_ITEM_MIN = cited("GAD7_ITEM_MIN", 0, "points", SPITZER_2006)
GAD7_ITEM_MAX = cited("GAD7_ITEM_MAX", 3, "points", SPITZER_2006)
GAD7_MILD_MIN = cited("GAD7_MILD_MIN", 5, "points", SPITZER_2006)
GAD7_MODERATE_MIN = cited("GAD7_MODERATE_MIN", 10, "points", SPITZER_2006)
GAD7_SEVERE_MIN = cited("GAD7_SEVERE_MIN", 15, "points", SPITZER_2006)

_ITEM_LABELS = (
    "Item 1: nervous or on edge",
    "Item 2: unable to stop worrying",
    "Item 3: worrying too much",
    "Item 4: trouble relaxing",
    "Item 5: restlessness",
    "Item 6: irritability",
    "Item 7: feeling afraid",
)


def score_gad7(items: Sequence[Answer]) -> ScaleResult:
    """Score seven GAD-7 answers (each 0-3): total 0-21 points and severity band."""
    return score_by_spec(GAD7, items)


GAD7 = Instrument(
    code="gad7",
    short_name="GAD-7",
    name="Generalized Anxiety Disorder-7",
    version="GAD-7 (Spitzer 2006)",
    kind=ScaleKind.MEASUREMENT,
    recall_period="past 2 weeks",
    items=numbered_items(
        _ITEM_LABELS[:GAD7_ITEM_COUNT],
        tuple(range(GAD7_ITEM_MIN, GAD7_ITEM_MAX + 1)),
        FREQUENCY_OPTIONS,
    ),
    scoring=ScoringRule.SUM,
    scorer=score_gad7,
    sources=(SPITZER_2006, PHQ_RESPONSE_OPTIONS),
    bands=bands_from_minimums(
        SPITZER_2006,
        GAD7_ITEM_COUNT * GAD7_ITEM_MAX,
        ("minimal", "Minimal", GAD7_ITEM_COUNT * GAD7_ITEM_MIN),
        ("mild", "Mild", GAD7_MILD_MIN),
        ("moderate", "Moderate", GAD7_MODERATE_MIN),
        ("severe", "Severe", GAD7_SEVERE_MIN),
    ),
    licence_note="Free to use; response labels shipped, full item wording not shipped.",
)
