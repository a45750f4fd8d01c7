"""PHQ-9 (Patient Health Questionnaire, 9 items), depression severity.

Implements: 9 self-report items for the past 2 weeks, each 0 ("Not at all") to 3 ("Nearly
every day"); total = sum, 0-27; severity bands 0-4 none/minimal, 5-9 mild, 10-14 moderate,
15-19 moderately severe, 20-27 severe; flag ``phq9_item9_positive`` when item 9 is 1 or more,
whatever the total, for same-day clinician review and a C-SSRS screen (rule 22).

Sources: Kroenke, Spitzer & Williams 2001 (S33); response labels from the LOINC answer list
(S51c); item 9 follow-up guidance (S33c, secondary).

Licence: the PHQ-9 is free to use; we ship the response labels and short item labels only, not
the full item wording. The optional "difficulty" question is not scored here.

Deliberately not done: no pro-rating of missing items; no diagnosis (the cut-points grade
severity, they do not diagnose major depression).
"""

from __future__ import annotations

from collections.abc import Sequence

from ketacare.clinical.scales._instrument import (
    Answer,
    Instrument,
    ItemFlagRule,
    ResponseOption,
    ScaleKind,
    ScaleResult,
    ScoringRule,
    bands_from_minimums,
    numbered_items,
    score_by_spec,
)
from ketacare.clinical.scales.references import (
    KROENKE_2001,
    PHQ9_ITEM9_GUIDANCE,
    PHQ_RESPONSE_OPTIONS,
)
from ketacare.clinical.sources import cited

PHQ9_ITEM_COUNT = cited("PHQ9_ITEM_COUNT", 9, "items", KROENKE_2001)
PHQ9_ITEM_MIN = cited("PHQ9_ITEM_MIN", 0, "points", KROENKE_2001)
PHQ9_ITEM_MAX = cited("PHQ9_ITEM_MAX", 3, "points", KROENKE_2001)
PHQ9_MILD_MIN = cited("PHQ9_MILD_MIN", 5, "points", KROENKE_2001)
PHQ9_MODERATE_MIN = cited("PHQ9_MODERATE_MIN", 10, "points", KROENKE_2001)
PHQ9_MODERATELY_SEVERE_MIN = cited("PHQ9_MODERATELY_SEVERE_MIN", 15, "points", KROENKE_2001)
PHQ9_SEVERE_MIN = cited("PHQ9_SEVERE_MIN", 20, "points", KROENKE_2001)
PHQ9_ITEM9_POSITIVE_MIN = cited("PHQ9_ITEM9_POSITIVE_MIN", 1, "points", PHQ9_ITEM9_GUIDANCE)

PHQ9_SUICIDALITY_ITEM = 9

FREQUENCY_OPTIONS = (
    ResponseOption(0, "Not at all"),
    ResponseOption(1, "Several days"),
    ResponseOption(2, "More than half the days"),
    ResponseOption(3, "Nearly every day"),
)

_ITEM_LABELS = (
    "Item 1: little interest or pleasure",
    "Item 2: feeling down or hopeless",
    "Item 3: sleep problems",
    "Item 4: tiredness or low energy",
    "Item 5: appetite problems",
    "Item 6: feeling bad about oneself",
    "Item 7: trouble concentrating",
    "Item 8: slowed or restless",
    "Item 9: thoughts of death or self-harm",
)


def score_phq9(items: Sequence[Answer]) -> ScaleResult:
    """Score nine PHQ-9 answers (each 0-3): total 0-27 points, band, item 9 flag."""
    return score_by_spec(PHQ9, items)


PHQ9 = Instrument(
    code="phq9",
    short_name="PHQ-9",
    name="Patient Health Questionnaire-9",
    version="PHQ-9 (Kroenke 2001)",
    kind=ScaleKind.MEASUREMENT,
    recall_period="past 2 weeks",
    items=numbered_items(
        _ITEM_LABELS[:PHQ9_ITEM_COUNT],
        tuple(range(PHQ9_ITEM_MIN, PHQ9_ITEM_MAX + 1)),
        FREQUENCY_OPTIONS,
    ),
    scoring=ScoringRule.SUM,
    scorer=score_phq9,
    sources=(KROENKE_2001, PHQ_RESPONSE_OPTIONS, PHQ9_ITEM9_GUIDANCE),
    bands=bands_from_minimums(
        KROENKE_2001,
        PHQ9_ITEM_COUNT * PHQ9_ITEM_MAX,
        ("none_minimal", "None or minimal", PHQ9_ITEM_COUNT * PHQ9_ITEM_MIN),
        ("mild", "Mild", PHQ9_MILD_MIN),
        ("moderate", "Moderate", PHQ9_MODERATE_MIN),
        ("moderately_severe", "Moderately severe", PHQ9_MODERATELY_SEVERE_MIN),
        ("severe", "Severe", PHQ9_SEVERE_MIN),
    ),
    flag_rules=(
        ItemFlagRule(
            code="phq9_item9_positive",
            item=PHQ9_SUICIDALITY_ITEM,
            values=tuple(range(PHQ9_ITEM9_POSITIVE_MIN, PHQ9_ITEM_MAX + 1)),
            message=(
                "PHQ-9 item 9 (thoughts of death or self-harm) scored {value}: clinician "
                "review today and a C-SSRS screen, whatever the total."
            ),
            source=PHQ9_ITEM9_GUIDANCE,
        ),
    ),
    licence_note="Free to use; response labels shipped, full item wording not shipped.",
)
