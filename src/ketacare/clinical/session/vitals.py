"""Vital signs for a dosing session: plausibility at the door, and out-of-range findings.

Implements
- ``Vitals``: one set of readings (BP, heart rate, SpO2, respiratory rate) with a
  timezone-aware time. ``__post_init__`` rejects physiologically impossible input.
- ``VitalsThresholds``: the clinic's alert thresholds, and ``assess_vitals``, which returns a
  ``Finding`` for every reading outside them.
- ``predose_bp_limits``: the pre-dose "needs a prescriber decision" BP limits.

Sources
- Esketamine (SPRAVATO) label, section 2 (secondary copy, [V*], S2/S2c): assess BP prior to
  dosing and "consider delaying therapy if >140/90 mmHg". ">140/90" is read as strictly
  greater: 140/90 itself does not trigger; 141/90 or 140/91 does (either value above).
- No published threshold was found for IV/IM/SC racemic ketamine (reference §3.3, NOT FOUND),
  and no citable sedation-monitoring SpO2 cutoff could be verified (the esketamine phase 3
  programme used SpO2 <93% as an exclusion/reporting level, a trial criterion, not a
  monitoring standard). So every alert threshold is a clinic setting:
  * ``spo2_min_percent`` is REQUIRED (no default);
  * heart-rate, respiratory-rate and in-session BP limits are optional (unset = not checked by
    the core; the clinician judges);
  * the pre-dose BP "needs an acknowledged risk-benefit decision" limits: for esketamine the
    label's 140/90 (a clinic may set stricter, never looser); for other routes the clinic's
    limits, and none when the clinic leaves them unset (no racemic-ketamine source gives a
    value; the run sheet says the clinic has not set one).
  * a hard, non-overridable pre-dose BP block is a clinic setting with NO default.

Deliberately not done
- The plausibility limits are input-sanity limits (typos, unit mix-ups, swapped fields),
  not clinical thresholds: ``ketacare.clinical.plausibility.LIMITS``, each cited there.
- No trend analysis (e.g. "BP rising over three readings"); no MAP computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ketacare.clinical.errors import require
from ketacare.clinical.gates import Finding
from ketacare.clinical.plausibility import require_plausible
from ketacare.clinical.session.references import (
    KETACARE_CLINIC_SETTING,
    SPRAVATO_LABEL_BP_SUMMARY,
)
from ketacare.clinical.session.types import require_aware
from ketacare.clinical.sources import Source, cited

# S2/S2c [V*]: "consider delaying therapy if >140/90 mmHg" (strictly greater).
ESKETAMINE_PREDOSE_SYSTOLIC_MAX_MMHG = cited(
    "ESKETAMINE_PREDOSE_SYSTOLIC_MAX_MMHG", 140, "mmHg", SPRAVATO_LABEL_BP_SUMMARY
)
ESKETAMINE_PREDOSE_DIASTOLIC_MAX_MMHG = cited(
    "ESKETAMINE_PREDOSE_DIASTOLIC_MAX_MMHG", 90, "mmHg", SPRAVATO_LABEL_BP_SUMMARY
)

# Input-sanity limits, not clinical thresholds: cited in ketacare.clinical.plausibility.
_PLAUSIBLE_FIELDS = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "spo2_percent",
    "respiratory_rate_per_min",
)


@dataclass(frozen=True, slots=True)
class Vitals:
    """One set of vital signs. BP in mmHg, heart rate in beats/min, SpO2 in %, breaths/min."""

    systolic_mmhg: int
    diastolic_mmhg: int
    heart_rate_bpm: int
    spo2_percent: int
    respiratory_rate_per_min: int
    taken_at: datetime

    def __post_init__(self) -> None:
        for field in _PLAUSIBLE_FIELDS:
            value = getattr(self, field)
            require(
                isinstance(value, int) and not isinstance(value, bool),
                "vitals_not_a_whole_number",
                f"{field} must be a whole number.",
                field=field,
            )
            require_plausible(field, value, code="vitals_implausible")
        require(
            self.systolic_mmhg > self.diastolic_mmhg,
            "vitals_implausible",
            "Systolic pressure must be higher than diastolic pressure; check for swapped values.",
            field="systolic_mmhg",
            systolic_mmhg=self.systolic_mmhg,
            diastolic_mmhg=self.diastolic_mmhg,
        )
        require_aware(self.taken_at, "taken_at")


def _check_optional_limit(name: str, value: int | None) -> None:
    if value is None:
        return
    require(
        isinstance(value, int) and not isinstance(value, bool) and value > 0,
        "threshold_invalid",
        f"{name} must be a positive whole number.",
        field=name,
    )


@dataclass(frozen=True, slots=True)
class VitalsThresholds:
    """The clinic's vital-sign alert thresholds (see module docstring for which are required).

    Upper limits flag values strictly above them; lower limits flag values strictly below.
    """

    spo2_min_percent: int  # REQUIRED clinic setting: no verified published cutoff
    predose_systolic_max_mmhg: int | None = None  # None -> label 140 (S2, [V*])
    predose_diastolic_max_mmhg: int | None = None  # None -> label 90 (S2, [V*])
    predose_hard_systolic_max_mmhg: int | None = None  # no cited default; non-overridable
    predose_hard_diastolic_max_mmhg: int | None = None
    systolic_max_mmhg: int | None = None  # in-session / discharge limits: clinic setting
    diastolic_max_mmhg: int | None = None
    heart_rate_min_bpm: int | None = None
    heart_rate_max_bpm: int | None = None
    respiratory_rate_min_per_min: int | None = None
    respiratory_rate_max_per_min: int | None = None

    def __post_init__(self) -> None:
        require(
            isinstance(self.spo2_min_percent, int)
            and not isinstance(self.spo2_min_percent, bool)
            and 1 <= self.spo2_min_percent <= 100,
            "threshold_invalid",
            "spo2_min_percent must be a whole percentage between 1 and 100.",
            field="spo2_min_percent",
        )
        for name in (
            "predose_systolic_max_mmhg",
            "predose_diastolic_max_mmhg",
            "predose_hard_systolic_max_mmhg",
            "predose_hard_diastolic_max_mmhg",
            "systolic_max_mmhg",
            "diastolic_max_mmhg",
            "heart_rate_min_bpm",
            "heart_rate_max_bpm",
            "respiratory_rate_min_per_min",
            "respiratory_rate_max_per_min",
        ):
            _check_optional_limit(name, getattr(self, name))
        require(
            (self.predose_systolic_max_mmhg is None) == (self.predose_diastolic_max_mmhg is None),
            "threshold_invalid",
            "Set both pre-dose BP limits (systolic and diastolic) or neither.",
            field="predose_systolic_max_mmhg",
        )
        for low, high in (
            ("heart_rate_min_bpm", "heart_rate_max_bpm"),
            ("respiratory_rate_min_per_min", "respiratory_rate_max_per_min"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            require(
                lo is None or hi is None or lo < hi,
                "threshold_invalid",
                f"{low} must be lower than {high}.",
                field=low,
            )


@dataclass(frozen=True, slots=True)
class PredoseBpLimits:
    """Resolved pre-dose BP limits and where they came from."""

    systolic_max_mmhg: int
    diastolic_max_mmhg: int
    source: Source
    from_label_default: bool


def predose_bp_limits(thresholds: VitalsThresholds, *, esketamine: bool) -> PredoseBpLimits | None:
    """The pre-dose BP limits above which a licensed clinician acknowledges a risk-benefit
    decision before dosing.

    Esketamine: the label's 140/90 (S2, [V*]: "consider delaying", guidance wording), or the
    clinic's limits where they are stricter (a clinic may not loosen the label). Other routes
    (IV, IM, SC racemic ketamine): the clinic's limits; None when the clinic set none, because
    no source for those routes gives a value (issue 16.2: the label's number is not borrowed).
    """
    label_sys = ESKETAMINE_PREDOSE_SYSTOLIC_MAX_MMHG
    label_dia = ESKETAMINE_PREDOSE_DIASTOLIC_MAX_MMHG
    clinic_sys = thresholds.predose_systolic_max_mmhg
    clinic_dia = thresholds.predose_diastolic_max_mmhg
    if clinic_sys is None or clinic_dia is None:
        if not esketamine:
            return None
        return PredoseBpLimits(label_sys, label_dia, SPRAVATO_LABEL_BP_SUMMARY, True)
    if esketamine and (clinic_sys > label_sys or clinic_dia > label_dia):
        stricter_sys, stricter_dia = min(clinic_sys, label_sys), min(clinic_dia, label_dia)
        from_label = (stricter_sys, stricter_dia) == (label_sys, label_dia)
        source = SPRAVATO_LABEL_BP_SUMMARY if from_label else KETACARE_CLINIC_SETTING
        return PredoseBpLimits(stricter_sys, stricter_dia, source, from_label)
    return PredoseBpLimits(clinic_sys, clinic_dia, KETACARE_CLINIC_SETTING, False)


def _above(code: str, label: str, value: int, limit: int | None, unit: str) -> Finding | None:
    if limit is None or value <= limit:
        return None
    return Finding(
        code=code,
        message=f"{label} {value} {unit} is above the clinic's limit of {limit} {unit}.",
        source=KETACARE_CLINIC_SETTING,
        overridable=True,
        data=(("value", value), ("limit", limit)),
    )


def _below(code: str, label: str, value: int, limit: int | None, unit: str) -> Finding | None:
    if limit is None or value >= limit:
        return None
    return Finding(
        code=code,
        message=f"{label} {value} {unit} is below the clinic's limit of {limit} {unit}.",
        source=KETACARE_CLINIC_SETTING,
        overridable=True,
        data=(("value", value), ("limit", limit)),
    )


def assess_vitals(vitals: Vitals, thresholds: VitalsThresholds) -> tuple[Finding, ...]:
    """Findings for every reading outside the clinic's in-session thresholds (empty = all
    within range, or the limit is not configured). Pre-dose BP is judged by ``check_predose``."""
    require(isinstance(vitals, Vitals), "vitals_required", "A set of vital signs is required.")
    require(
        isinstance(thresholds, VitalsThresholds),
        "thresholds_required",
        "The clinic's vital-sign thresholds are required.",
    )
    t = thresholds
    candidates = (
        _above(
            "systolic_above_threshold",
            "Systolic BP",
            vitals.systolic_mmhg,
            t.systolic_max_mmhg,
            "mmHg",
        ),
        _above(
            "diastolic_above_threshold",
            "Diastolic BP",
            vitals.diastolic_mmhg,
            t.diastolic_max_mmhg,
            "mmHg",
        ),
        _below(
            "heart_rate_below_threshold",
            "Heart rate",
            vitals.heart_rate_bpm,
            t.heart_rate_min_bpm,
            "/min",
        ),
        _above(
            "heart_rate_above_threshold",
            "Heart rate",
            vitals.heart_rate_bpm,
            t.heart_rate_max_bpm,
            "/min",
        ),
        _below("spo2_below_threshold", "SpO2", vitals.spo2_percent, t.spo2_min_percent, "%"),
        _below(
            "respiratory_rate_below_threshold",
            "Respiratory rate",
            vitals.respiratory_rate_per_min,
            t.respiratory_rate_min_per_min,
            "/min",
        ),
        _above(
            "respiratory_rate_above_threshold",
            "Respiratory rate",
            vitals.respiratory_rate_per_min,
            t.respiratory_rate_max_per_min,
            "/min",
        ),
    )
    return tuple(f for f in candidates if f is not None)
