"""C-SSRS screener (Columbia-Suicide Severity Rating Scale, screen version): risk level.

Implements the six screener questions, coded as integers so every scale shares one answer shape:

- Q1-Q5 (ideation, past month): 0 = No, 1 = Yes.
- Skip logic: if Q2 is No, Q3-Q5 are not asked and must be ``None``; if Q2 is Yes they must be
  answered. Q1, Q2 and Q6 are always asked.
- Q6 (suicidal behaviour): 0 = No, 1 = Yes, more than 3 months ago, 2 = Yes, within the past
  3 months.

Risk level (the result's ``severity``), highest applicable level wins:

- HIGH: Yes to Q4 or Q5 (past month), or suicidal behaviour within the past 3 months. This is
  Columbia's triage rule (S40a, S40d) and is not configurable. It raises ``cssrs_high_risk``:
  patient safety precautions and a documented same-day safety assessment before the session
  proceeds (rule 23; the core only flags, it does not block MDSI treatment).
- MODERATE (``CssrsRiskPolicy``): Yes to Q3, and lifetime behaviour more than 3 months ago.
  This is the C-SSRS Screener with triage colours as two independent descriptions of that
  Columbia form give it (Rula, Blueprint; the form itself was not retrieved, so [V*]).
  Columbia's triage page says "you might use the cut-offs described as your anchors", so
  both are clinic-configurable with these defaults.
- LOW: Yes to Q1 and/or Q2 only (the same triage-colour screener, [V*]).
- NONE: every answer No.

``total`` is ``None`` by choice: the screener is not a summed scale, and a count of Yes answers
would rank "Yes to Q1, Q2 and Q3" above "behaviour last week", the opposite of the triage rule.

Licence: Columbia's question wording is not shipped; items carry short category labels.

Deliberately not done: the full C-SSRS (intensity, lifetime/since-last-visit forms) and any
decision about hospitalisation or treatment; callers act on the flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales._instrument import (
    Answer,
    Flag,
    Instrument,
    ItemSpec,
    ResponseOption,
    ScaleKind,
    ScaleResult,
    ScoringRule,
    Severity,
    check_answers,
    raise_problems,
)
from ketacare.clinical.scales.references import (
    COLUMBIA_TRIAGE,
    CSSRS_REMOTE_BEHAVIOUR_CHOICE,
    CSSRS_SCREENER,
    CSSRS_SECONDARY_BANDS,
)
from ketacare.clinical.sources import Source, cited

CSSRS_SCREENER_ITEM_COUNT = cited("CSSRS_SCREENER_ITEM_COUNT", 6, "questions", CSSRS_SCREENER)
CSSRS_IDEATION_LOOKBACK_MONTHS = cited(
    "CSSRS_IDEATION_LOOKBACK_MONTHS", 1, "months", CSSRS_SCREENER
)
CSSRS_RECENT_BEHAVIOUR_MONTHS = cited("CSSRS_RECENT_BEHAVIOUR_MONTHS", 3, "months", COLUMBIA_TRIAGE)

NO, YES = 0, 1
BEHAVIOUR_NONE, BEHAVIOUR_OVER_3_MONTHS, BEHAVIOUR_WITHIN_3_MONTHS = 0, 1, 2
GATE_QUESTION = 2  # "No" here skips Q3-Q5
SKIPPABLE_QUESTIONS = (3, 4, 5)


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


_RANK = {RiskLevel.NONE: 0, RiskLevel.LOW: 1, RiskLevel.MODERATE: 2, RiskLevel.HIGH: 3}
_LABELS = {
    RiskLevel.NONE: "No suicidal ideation or behaviour reported",
    RiskLevel.LOW: "Low risk",
    RiskLevel.MODERATE: "Moderate risk",
    RiskLevel.HIGH: "High risk",
}


@dataclass(frozen=True, slots=True)
class CssrsRiskPolicy:
    """Clinic-configurable grading of answers Columbia leaves to the setting."""

    # Q3 yes (thoughts with method, no intent or plan): moderate on the C-SSRS Screener with
    # triage colours (two secondary descriptions of the Columbia form).
    thoughts_with_method_level: RiskLevel = RiskLevel.MODERATE
    # Q6 behaviour more than 3 months ago (lifetime): moderate on the same screener.
    remote_behaviour_level: RiskLevel = RiskLevel.MODERATE

    def __post_init__(self) -> None:
        for name in ("thoughts_with_method_level", "remote_behaviour_level"):
            value = getattr(self, name)
            # A "yes" is never "no risk"; HIGH is allowed for a stricter clinic.
            if not isinstance(value, RiskLevel) or value is RiskLevel.NONE:
                raise InvalidClinicalInput(
                    "invalid_policy",
                    f"C-SSRS policy {name} must be low, moderate or high; got {value!r}.",
                    {"field": name},
                )


DEFAULT_CSSRS_POLICY = CssrsRiskPolicy()

_YES_NO = (ResponseOption(NO, "No"), ResponseOption(YES, "Yes"))
_MONTHS = CSSRS_RECENT_BEHAVIOUR_MONTHS
_PAST = "past month" if CSSRS_IDEATION_LOOKBACK_MONTHS == 1 else "lookback period"
_ITEMS = (
    ItemSpec(1, f"Q1: wish to be dead ({_PAST})", (NO, YES), _YES_NO),
    ItemSpec(2, f"Q2: non-specific active suicidal thoughts ({_PAST})", (NO, YES), _YES_NO),
    ItemSpec(3, f"Q3: thoughts with method, no plan or intent ({_PAST})", (NO, YES), _YES_NO, True),
    ItemSpec(4, f"Q4: intent to act, without specific plan ({_PAST})", (NO, YES), _YES_NO, True),
    ItemSpec(5, f"Q5: intent with specific plan ({_PAST})", (NO, YES), _YES_NO, True),
    ItemSpec(
        6,
        "Q6: suicidal behaviour (ever), with recency",
        (BEHAVIOUR_NONE, BEHAVIOUR_OVER_3_MONTHS, BEHAVIOUR_WITHIN_3_MONTHS),
        (
            ResponseOption(BEHAVIOUR_NONE, "No"),
            ResponseOption(BEHAVIOUR_OVER_3_MONTHS, f"Yes, more than {_MONTHS} months ago"),
            ResponseOption(BEHAVIOUR_WITHIN_3_MONTHS, f"Yes, within the past {_MONTHS} months"),
        ),
    ),
)


def _check_skip_logic(answers: tuple[Answer, ...]) -> None:
    gate_yes = answers[GATE_QUESTION - 1] == YES
    problems = []
    for number in SKIPPABLE_QUESTIONS:
        value = answers[number - 1]
        if gate_yes and value is None:
            problems.append(
                {
                    "item": number,
                    "code": "item_missing",
                    "message": (
                        f"C-SSRS screener item {number} is missing; it must be answered when "
                        "item 2 is Yes"
                    ),
                }
            )
        elif not gate_yes and value is not None:
            problems.append(
                {
                    "item": number,
                    "code": "item_not_applicable",
                    "message": (
                        f"C-SSRS screener item {number} must be left blank when item 2 is No "
                        f"(skip to item 6); got {value!r}"
                    ),
                }
            )
    if problems:
        raise_problems(CSSRS_SCREENER_INSTRUMENT, problems)


def score_cssrs_screener(
    items: Sequence[Answer], policy: CssrsRiskPolicy = DEFAULT_CSSRS_POLICY
) -> ScaleResult:
    """Grade six C-SSRS screener answers to a risk level (``severity``); ``total`` is None."""
    answers = check_answers(CSSRS_SCREENER_INSTRUMENT, items)
    _check_skip_logic(answers)
    q1, q2, q3, q4, q5, q6 = answers

    # (level, reason, source) for every positive answer; the highest level decides.
    findings: list[tuple[RiskLevel, str, Source]] = []
    if q4 == YES:
        findings.append((RiskLevel.HIGH, "Q4 yes: intent to act (past month)", COLUMBIA_TRIAGE))
    if q5 == YES:
        findings.append((RiskLevel.HIGH, "Q5 yes: intent with plan (past month)", COLUMBIA_TRIAGE))
    if q6 == BEHAVIOUR_WITHIN_3_MONTHS:
        findings.append(
            (
                RiskLevel.HIGH,
                f"Q6: suicidal behaviour within the past {_MONTHS} months",
                COLUMBIA_TRIAGE,
            )
        )
    if q3 == YES:
        findings.append(
            (
                policy.thoughts_with_method_level,
                "Q3 yes: thoughts with method (past month)",
                CSSRS_SECONDARY_BANDS,
            )
        )
    if q6 == BEHAVIOUR_OVER_3_MONTHS:
        findings.append(
            (
                policy.remote_behaviour_level,
                f"Q6: suicidal behaviour more than {_MONTHS} months ago",
                CSSRS_REMOTE_BEHAVIOUR_CHOICE,
            )
        )
    if q1 == YES:
        findings.append((RiskLevel.LOW, "Q1 yes: wish to be dead", CSSRS_SECONDARY_BANDS))
    if q2 == YES:
        findings.append((RiskLevel.LOW, "Q2 yes: suicidal thoughts", CSSRS_SECONDARY_BANDS))

    if findings:
        level = max((f[0] for f in findings), key=_RANK.__getitem__)
        deciding = [f for f in findings if f[0] is level]
        source = deciding[0][2]
        reasons = tuple(f[1] for f in deciding)
    else:
        level, source, reasons = RiskLevel.NONE, CSSRS_SCREENER, ()

    flags: tuple[Flag, ...] = ()
    if level is RiskLevel.HIGH:
        flags = (
            Flag(
                "cssrs_high_risk",
                "C-SSRS screener high risk ("
                + "; ".join(reasons)
                + "): patient safety precautions and a documented same-day safety assessment "
                "by a mental health professional before the session proceeds.",
                COLUMBIA_TRIAGE,
            ),
        )

    return ScaleResult(
        scale_code=CSSRS_SCREENER_INSTRUMENT.code,
        version=CSSRS_SCREENER_INSTRUMENT.version,
        total=None,
        severity=Severity(level.value, _LABELS[level], source),
        is_complete=True,
        flags=flags,
        items=answers,
        data=(("risk_level", level.value), ("reasons", reasons)),
    )


CSSRS_SCREENER_INSTRUMENT = Instrument(
    code="cssrs_screener",
    short_name="C-SSRS screener",
    name="Columbia-Suicide Severity Rating Scale, screen version",
    version="C-SSRS screen version (past month ideation, behaviour with 3-month recency)",
    kind=ScaleKind.MEASUREMENT,
    recall_period="past month (ideation); ever, with recency (behaviour)",
    items=_ITEMS[:CSSRS_SCREENER_ITEM_COUNT],
    scoring=ScoringRule.RISK_CATEGORY,
    scorer=score_cssrs_screener,
    sources=(CSSRS_SCREENER, COLUMBIA_TRIAGE, CSSRS_SECONDARY_BANDS, CSSRS_REMOTE_BEHAVIOUR_CHOICE),
    levels=tuple(
        Severity(level.value, _LABELS[level])
        for level in (RiskLevel.NONE, RiskLevel.LOW, RiskLevel.MODERATE, RiskLevel.HIGH)
    ),
    licence_note="Columbia question wording not shipped; short category labels only.",
)
