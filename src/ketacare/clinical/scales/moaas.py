"""MOAA/S (Modified Observer's Assessment of Alertness/Sedation), a session rating.

Implements: one observer rating 0-5 with the published level descriptions (5 responds readily
to name spoken in normal tone ... 0 does not respond to painful trapezius squeeze). Following
the Spravato label: sedation is present when the rating is below the patient's pre-dose rating
(any decrease), and a rating of 0 is loss of consciousness (flag
``moaas_loss_of_consciousness``, always raised at 0 whether or not a pre-dose rating is known).

Sources: MOAA/S level descriptions (S38); Spravato US label, sedation warning (S9b, S8).

Deliberately not done: no discharge decision (``clinical.session`` decides readiness to leave);
without a pre-dose rating the result cannot say whether sedation is present, so
``sedation_present`` is ``None`` rather than a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales._instrument import (
    Answer,
    Flag,
    Instrument,
    ItemFlagRule,
    ItemSpec,
    ResponseOption,
    ScaleKind,
    ScaleResult,
    ScoringRule,
    bands_from_minimums,
    score_by_spec,
)
from ketacare.clinical.scales.references import (
    MOAAS_LEVELS,
    MOAAS_SEDATION_GRADING,
    SPRAVATO_LABEL_SEDATION,
)
from ketacare.clinical.sources import cited

MOAAS_MIN = cited("MOAAS_MIN", 0, "points", MOAAS_LEVELS)
MOAAS_MAX = cited("MOAAS_MAX", 5, "points", MOAAS_LEVELS)
MOAAS_LOSS_OF_CONSCIOUSNESS = cited(
    "MOAAS_LOSS_OF_CONSCIOUSNESS", 0, "points", SPRAVATO_LABEL_SEDATION
)
MOAAS_SEDATION_DECREASE_MIN = cited(
    "MOAAS_SEDATION_DECREASE_MIN", 1, "points below pre-dose", SPRAVATO_LABEL_SEDATION
)
# S8 (manufacturer medical information, secondary): in the esketamine phase 3 programme
# MOAA/S 4 = mild sedation and MOAA/S <=3 = moderate or greater sedation. Shown with the
# flag so a clinician sees how deep the sedation is; the flag itself stays "any decrease".
MOAAS_MILD_SEDATION_SCORE = cited("MOAAS_MILD_SEDATION_SCORE", 4, "points", MOAAS_SEDATION_GRADING)
MOAAS_MODERATE_SEDATION_MAX_SCORE = cited(
    "MOAAS_MODERATE_SEDATION_MAX_SCORE", 3, "points", MOAAS_SEDATION_GRADING
)


def sedation_grade(rating: int) -> str:
    """``mild`` (MOAA/S 4), ``moderate_or_deeper`` (<=3), ``loss_of_consciousness`` (0) or
    ``none`` (5), the esketamine programme's grading (S8)."""
    if rating == MOAAS_LOSS_OF_CONSCIOUSNESS:
        return "loss_of_consciousness"
    if rating <= MOAAS_MODERATE_SEDATION_MAX_SCORE:
        return "moderate_or_deeper"
    if rating == MOAAS_MILD_SEDATION_SCORE:
        return "mild"
    return "none"


SEDATION_GRADE_WORDS = {
    "loss_of_consciousness": "loss of consciousness",
    "moderate_or_deeper": "moderate or deeper sedation (MOAA/S <=3)",
    "mild": "mild sedation (MOAA/S 4)",
    "none": "no sedation on the scale",
}

_LEVELS = (
    ("no_response", "Does not respond to painful trapezius squeeze"),
    ("responds_to_trapezius_squeeze", "Responds only after painful trapezius squeeze"),
    ("responds_to_prodding", "Responds only after mild prodding or shaking"),
    ("responds_to_loud_name", "Responds only after name is called loudly and/or repeatedly"),
    ("lethargic_response", "Lethargic response to name spoken in normal tone"),
    ("responds_readily", "Responds readily to name spoken in normal tone"),
)


def _check_pre_dose(pre_dose_rating: object) -> int | None:
    if pre_dose_rating is None:
        return None
    if (
        not isinstance(pre_dose_rating, int)
        or isinstance(pre_dose_rating, bool)
        or not MOAAS_MIN <= pre_dose_rating <= MOAAS_MAX
    ):
        raise InvalidClinicalInput(
            "pre_dose_rating_out_of_range",
            f"MOAA/S pre-dose rating must be {MOAAS_MIN} to {MOAAS_MAX}; got {pre_dose_rating!r}.",
            {"scale": "moaas", "field": "pre_dose_rating"},
        )
    return pre_dose_rating


def score_moaas(items: Sequence[Answer], *, pre_dose_rating: int | None = None) -> ScaleResult:
    """Score one MOAA/S rating (0-5 points); with the pre-dose rating, say if sedation is present.

    ``data`` carries ``pre_dose_rating``, ``sedation_present`` (None without a pre-dose rating)
    and ``loss_of_consciousness``.
    """
    pre_dose = _check_pre_dose(pre_dose_rating)
    result = score_by_spec(MOAAS, items)
    rating = result.total
    sedation_present = None
    flags = result.flags
    if pre_dose is not None and rating is not None:
        sedation_present = pre_dose - rating >= MOAAS_SEDATION_DECREASE_MIN
        if sedation_present:
            flags += (
                Flag(
                    "moaas_sedation_present",
                    f"MOAA/S {rating} is below the pre-dose rating of {pre_dose}: sedation is "
                    "present (any decrease from pre-dose indicates sedation); graded "
                    f"{SEDATION_GRADE_WORDS[sedation_grade(rating)]}.",
                    SPRAVATO_LABEL_SEDATION,
                ),
            )
    return replace(
        result,
        flags=flags,
        data=(
            ("pre_dose_rating", pre_dose),
            ("sedation_present", sedation_present),
            ("loss_of_consciousness", rating == MOAAS_LOSS_OF_CONSCIOUSNESS),
            ("sedation_grade", sedation_grade(rating) if rating is not None else None),
        ),
    )


MOAAS = Instrument(
    code="moaas",
    short_name="MOAA/S",
    name="Modified Observer's Assessment of Alertness/Sedation",
    version="MOAA/S 0-5",
    kind=ScaleKind.SESSION,
    recall_period="at the time of rating",
    items=(
        ItemSpec(
            number=1,
            label="Responsiveness",
            allowed_values=tuple(range(MOAAS_MIN, MOAAS_MAX + 1)),
            options=tuple(
                ResponseOption(value, label)
                for value, (_code, label) in enumerate(_LEVELS, start=MOAAS_MIN)
            ),
        ),
    ),
    scoring=ScoringRule.SINGLE_RATING,
    scorer=score_moaas,
    sources=(MOAAS_LEVELS, SPRAVATO_LABEL_SEDATION),
    bands=bands_from_minimums(
        MOAAS_LEVELS,
        MOAAS_MAX,
        *((code, label, value) for value, (code, label) in enumerate(_LEVELS, start=MOAAS_MIN)),
    ),
    flag_rules=(
        ItemFlagRule(
            code="moaas_loss_of_consciousness",
            item=1,
            values=(MOAAS_LOSS_OF_CONSCIOUSNESS,),
            message="MOAA/S {value}: loss of consciousness (no response to painful stimulus).",
            source=SPRAVATO_LABEL_SEDATION,
        ),
    ),
    licence_note="Level descriptions as published (S38).",
)
