"""QIDS-SR16 (Quick Inventory of Depressive Symptomatology, self-report, 16 items).

Implements: 16 self-report items for the past 7 days, each 0-3, grouped in 9 DSM symptom
domains. Total = max(items 1-4, sleep) + item 5 (sad mood) + max(items 6-9, appetite/weight)
+ item 10 (concentration) + item 11 (self-view) + item 12 (suicidal ideation) + item 13
(interest) + item 14 (energy) + max(items 15-16, psychomotor) -> 0-27. Bands 0-5 none, 6-10
mild, 11-15 moderate, 16-20 severe, 21-27 very severe. Flag ``qids_item12_positive`` when item
12 is 1 or more (KetaCare rule 22, mirroring PHQ-9 item 9). Each domain score is returned as a
subscore so a clinician can check the domain-maximum arithmetic.

Sources: Rush et al. 2003 items and domain rule (S37a, S37b); ids-qids.org severity table
(S37c).

Licence: item wording and anchors are not shipped; items carry neutral domain labels.

Deliberately not done: no pro-rating (a blank item inside a multi-item domain still makes the
form incomplete, even though the domain maximum might not depend on it).
"""

from __future__ import annotations

from collections.abc import Sequence

from ketacare.clinical.scales._instrument import (
    Answer,
    Domain,
    Instrument,
    ItemFlagRule,
    ItemSpec,
    ScaleKind,
    ScaleResult,
    ScoringRule,
    bands_from_minimums,
    score_by_spec,
)
from ketacare.clinical.scales.references import (
    QIDS_ITEM12_GUIDANCE,
    QIDS_SEVERITY_TABLE,
    RUSH_2003_QIDS,
)
from ketacare.clinical.sources import cited

QIDS_SR16_ITEM_COUNT = cited("QIDS_SR16_ITEM_COUNT", 16, "items", RUSH_2003_QIDS)
QIDS_SR16_ITEM_MIN = cited("QIDS_SR16_ITEM_MIN", 0, "points", RUSH_2003_QIDS)
QIDS_SR16_ITEM_MAX = cited("QIDS_SR16_ITEM_MAX", 3, "points", RUSH_2003_QIDS)
QIDS_SR16_DOMAINS = cited(
    "QIDS_SR16_DOMAINS",
    (
        Domain("sleep", "Sleep", (1, 2, 3, 4)),
        Domain("sad_mood", "Sad mood", (5,)),
        Domain("appetite_weight", "Appetite or weight", (6, 7, 8, 9)),
        Domain("concentration", "Concentration", (10,)),
        Domain("self_view", "View of myself", (11,)),
        Domain("suicidal_ideation", "Suicidal ideation", (12,)),
        Domain("interest", "General interest", (13,)),
        Domain("energy", "Energy level", (14,)),
        Domain("psychomotor", "Psychomotor changes", (15, 16)),
    ),
    "item numbers per domain",
    RUSH_2003_QIDS,
)
QIDS_SR16_MILD_MIN = cited("QIDS_SR16_MILD_MIN", 6, "points", QIDS_SEVERITY_TABLE)
QIDS_SR16_MODERATE_MIN = cited("QIDS_SR16_MODERATE_MIN", 11, "points", QIDS_SEVERITY_TABLE)
QIDS_SR16_SEVERE_MIN = cited("QIDS_SR16_SEVERE_MIN", 16, "points", QIDS_SEVERITY_TABLE)
QIDS_SR16_VERY_SEVERE_MIN = cited("QIDS_SR16_VERY_SEVERE_MIN", 21, "points", QIDS_SEVERITY_TABLE)
QIDS_SR16_ITEM12_POSITIVE_MIN = cited(
    "QIDS_SR16_ITEM12_POSITIVE_MIN", 1, "points", QIDS_ITEM12_GUIDANCE
)

QIDS_SR16_SUICIDALITY_ITEM = 12


def _items() -> tuple[ItemSpec, ...]:
    allowed = tuple(range(QIDS_SR16_ITEM_MIN, QIDS_SR16_ITEM_MAX + 1))
    specs = []
    for domain in QIDS_SR16_DOMAINS:
        for position, number in enumerate(domain.items, start=1):
            suffix = f" ({position} of {len(domain.items)})" if len(domain.items) > 1 else ""
            label = f"Item {number}: {domain.label.lower()}{suffix}"
            specs.append(ItemSpec(number=number, label=label, allowed_values=allowed))
    return tuple(sorted(specs, key=lambda spec: spec.number))


def score_qids_sr16(items: Sequence[Answer]) -> ScaleResult:
    """Score sixteen QIDS-SR16 answers (each 0-3) by the domain-maximum rule: total 0-27."""
    return score_by_spec(QIDS_SR16, items)


QIDS_SR16 = Instrument(
    code="qids_sr16",
    short_name="QIDS-SR16",
    name="Quick Inventory of Depressive Symptomatology, Self-Report (16 items)",
    version="QIDS-SR16 (Rush 2003)",
    kind=ScaleKind.MEASUREMENT,
    recall_period="past 7 days",
    items=_items(),
    scoring=ScoringRule.SUM_OF_DOMAIN_MAXIMA,
    scorer=score_qids_sr16,
    sources=(RUSH_2003_QIDS, QIDS_SEVERITY_TABLE, QIDS_ITEM12_GUIDANCE),
    domains=QIDS_SR16_DOMAINS,
    bands=bands_from_minimums(
        QIDS_SEVERITY_TABLE,
        len(QIDS_SR16_DOMAINS) * QIDS_SR16_ITEM_MAX,
        ("none", "None", len(QIDS_SR16_DOMAINS) * QIDS_SR16_ITEM_MIN),
        ("mild", "Mild", QIDS_SR16_MILD_MIN),
        ("moderate", "Moderate", QIDS_SR16_MODERATE_MIN),
        ("severe", "Severe", QIDS_SR16_SEVERE_MIN),
        ("very_severe", "Very severe", QIDS_SR16_VERY_SEVERE_MIN),
    ),
    flag_rules=(
        ItemFlagRule(
            code="qids_item12_positive",
            item=QIDS_SR16_SUICIDALITY_ITEM,
            values=tuple(range(QIDS_SR16_ITEM12_POSITIVE_MIN, QIDS_SR16_ITEM_MAX + 1)),
            message=(
                "QIDS-SR16 item 12 (suicidal ideation) scored {value}: clinician review today "
                "and a C-SSRS screen, whatever the total."
            ),
            source=QIDS_ITEM12_GUIDANCE,
        ),
    ),
    licence_note="Item wording and anchors not shipped; neutral domain labels only.",
)
