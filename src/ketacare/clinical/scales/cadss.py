"""CADSS (Clinician-Administered Dissociative States Scale), 23-item version, a session rating.

Implements: the 23-item CADSS used in the ketamine and esketamine literature (Rodrigues et
al. J Affect Disord 2021, abstract: "the 23-item CADSS"; Bremner 1998 developed the original,
whose administration instructions describe "a 28-item scale", not this form), total = sum of
items. The item
count (23) is verified; the item range 0-4 and the total
range 0-92 are NOT verified in a primary text: the clinical reference marks them memory-only
[M], and the only text found (a secondary copy of a trial registration, NCT04226963) says "each
item is scored 0 (normal) to 4 (severe)... 0 to 92". So they are fields of ``CadssPolicy``
whose defaults cite that unverified source (``verified=False``); a clinic using another version
(e.g. the 28-item instrument, or the CADSS-6 short form) sets its own.

Deliberately not done: no severity bands and no flags (no cited cut-offs exist; the Spravato
label reports dissociation by CADSS change, not by a threshold); no item wording (items are
"Item N"); no CADSS-6 subscore (its items are published, but the 6-item scoring is not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales._instrument import (
    Answer,
    Instrument,
    ScaleKind,
    ScaleResult,
    ScoringRule,
    numbered_items,
    score_by_spec,
)
from ketacare.clinical.scales.references import BREMNER_1998_CADSS, CADSS_ITEM_RANGE
from ketacare.clinical.sources import cited

CADSS_ITEM_COUNT = cited("CADSS_ITEM_COUNT", 23, "items", BREMNER_1998_CADSS)
CADSS_ITEM_MIN = cited("CADSS_ITEM_MIN", 0, "points", CADSS_ITEM_RANGE)
CADSS_ITEM_MAX = cited("CADSS_ITEM_MAX", 4, "points", CADSS_ITEM_RANGE)


@dataclass(frozen=True, slots=True)
class CadssPolicy:
    """Item count and item range for the CADSS version a clinic uses (defaults: 23 x 0-4)."""

    item_count: int = CADSS_ITEM_COUNT
    item_max: int = CADSS_ITEM_MAX  # unverified default; see module docstring

    def __post_init__(self) -> None:
        for name in ("item_count", "item_max"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidClinicalInput(
                    "invalid_policy",
                    f"CADSS policy {name} must be a whole number of at least 1; got {value!r}.",
                    {"field": name},
                )


DEFAULT_CADSS_POLICY = CadssPolicy()


@cache
def cadss_instrument(policy: CadssPolicy = DEFAULT_CADSS_POLICY) -> Instrument:
    """The CADSS spec for ``policy`` (one per policy; specs are immutable)."""
    return Instrument(
        code="cadss",
        short_name="CADSS",
        name="Clinician-Administered Dissociative States Scale",
        version=f"CADSS {policy.item_count}-item, items {CADSS_ITEM_MIN}-{policy.item_max}",
        kind=ScaleKind.SESSION,
        recall_period="at the time of rating",
        items=numbered_items(
            [f"Item {n}" for n in range(1, policy.item_count + 1)],
            tuple(range(CADSS_ITEM_MIN, policy.item_max + 1)),
        ),
        scoring=ScoringRule.SUM,
        scorer=partial(_score_with_policy, policy=policy),
        sources=(BREMNER_1998_CADSS, CADSS_ITEM_RANGE),
        licence_note=(
            "Item wording not shipped. Item range 0-4 and total 0-92 are unverified defaults "
            "(clinic-configurable)."
        ),
    )


def _score_with_policy(items: Sequence[Answer], policy: CadssPolicy) -> ScaleResult:
    return score_by_spec(
        cadss_instrument(policy),
        items,
        data=(("item_range_verified", CADSS_ITEM_RANGE.verified),),
    )


def score_cadss(items: Sequence[Answer], policy: CadssPolicy = DEFAULT_CADSS_POLICY) -> ScaleResult:
    """Sum CADSS item ratings (default 23 items, each 0-4: total 0-92 points; range unverified)."""
    return _score_with_policy(items, policy)


CADSS = cadss_instrument(DEFAULT_CADSS_POLICY)
