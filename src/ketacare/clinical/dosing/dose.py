"""Dose calculation and dose checks: weight-based racemic ketamine and fixed-step esketamine.

Implements reference rules 3, 4, 6, 16 and 17:

- ``compute_weight_based_dose``: dose = prescribed mg/kg x dated weight, rounded DOWN to the
  smallest volume the clinic's syringe can measure, with the protocol's soft limit (prescriber
  override, ``dose_above_soft_limit``) and hard ceiling (never overridable,
  ``dose_above_ceiling``). Sources: S14b, S15, S22 (0.5 and 1.0 mg/kg), S18, S21.
- ``check_fixed_dose``: esketamine only 28, 56 or 84 mg (S2, S3, S13); 84 mg never at the first
  TRD session (S3); the Hong Kong label's 28 mg start for patients >= 65 years (S12) is a policy
  switch, default off, because the US label equivalent was not found.
- ``check_cumulative_exposure``: mg per rolling 7 and 30 days against clinic limits, and the
  number of sessions in any rolling 7 days against the protocol's highest weekly frequency.
- ``check_infusion_duration`` (flag faster than 40 min; S15, S27) and ``check_device_interval``
  (5 minutes between 28 mg devices; S3).

Deliberately NOT done:
- No source gives a maximum age of the weight used for dosing, a plausible adult weight range or
  cumulative mg limits for ketamine in depression. ``DosingPolicy`` therefore has REQUIRED fields
  for weight age, plausible range and syringe increment (the clinic must set them) and
  cumulative limits default to None, meaning NOT enforced.
- No ideal/adjusted body-weight formula: the caller supplies the weight on the protocol's basis.
- Rounding is always down (never up): a dose is never larger than prescribed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from ketacare.clinical.dosing.protocols import (
    FixedStepDose,
    Protocol,
    Route,
    WeightBasedDose,
    WeightBasis,
)
from ketacare.clinical.dosing.references import (
    CHEO_MONOGRAPH,
    SPRAVATO_HCP_DOSING,
    SPRAVATO_HK_LABEL,
)
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.plausibility import MAX_PLAUSIBLE_AGE_YEARS
from ketacare.clinical.sources import cited

# Hong Kong label only: patients >= 65 years start at 28 mg (S12). Used only when the clinic
# switches ``esketamine_older_adult_28mg_start`` on.
ESKETAMINE_OLDER_ADULT_AGE_YEARS = cited(
    "ESKETAMINE_OLDER_ADULT_AGE_YEARS", 65, "years", SPRAVATO_HK_LABEL
)
ESKETAMINE_OLDER_ADULT_START_DOSE_MG = cited(
    "ESKETAMINE_OLDER_ADULT_START_DOSE_MG", Decimal("28"), "mg", SPRAVATO_HK_LABEL
)

_MG_PER_KG_DISPLAY = Decimal("0.0001")


def _aware(value: datetime, name: str) -> None:
    require(
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None,
        "naive_datetime",
        f"{name} must be a timezone-aware datetime.",
        field=name,
    )


def _decimal(value: object, name: str, *, positive: bool = True) -> Decimal:
    require(isinstance(value, Decimal), "invalid_number", f"{name} must be a Decimal.", field=name)
    assert isinstance(value, Decimal)
    require(value.is_finite(), "invalid_number", f"{name} must be a finite number.", field=name)
    if positive:
        require(value > 0, "invalid_number", f"{name} must be greater than zero.", field=name)
    return value


@dataclass(frozen=True, slots=True)
class DosingPolicy:
    """Clinic dosing settings. Fields without defaults have no published value: the clinic sets
    them. Cumulative limits default to None = not enforced (no source gives one)."""

    weight_max_age_days: int  # weight older than this is refused
    plausible_weight_min_kg: Decimal
    plausible_weight_max_kg: Decimal
    # Smallest volume the clinic's syringe measures (an equipment fact, e.g. 0.01 mL on a 1 mL
    # syringe, 0.1 mL on a 3 mL syringe); doses round DOWN to a multiple of it.
    syringe_increment_ml: Decimal
    esketamine_older_adult_28mg_start: bool = False  # HK label option (S12), default off
    max_mg_per_rolling_7_days: Decimal | None = None
    max_mg_per_rolling_30_days: Decimal | None = None

    def __post_init__(self) -> None:
        require(
            isinstance(self.weight_max_age_days, int) and self.weight_max_age_days >= 0,
            "invalid_policy",
            "weight_max_age_days must be a whole number of days, 0 or more.",
            field="weight_max_age_days",
        )
        low = _decimal(self.plausible_weight_min_kg, "plausible_weight_min_kg")
        high = _decimal(self.plausible_weight_max_kg, "plausible_weight_max_kg")
        require(
            low < high,
            "invalid_policy",
            "The plausible weight minimum must be below the maximum.",
            field="plausible_weight_min_kg",
        )
        _decimal(self.syringe_increment_ml, "syringe_increment_ml")
        for name in ("max_mg_per_rolling_7_days", "max_mg_per_rolling_30_days"):
            if getattr(self, name) is not None:
                _decimal(getattr(self, name), name)


@dataclass(frozen=True, slots=True)
class DatedWeight:
    weight_kg: Decimal
    measured_at: datetime
    basis: WeightBasis = WeightBasis.ACTUAL

    def __post_init__(self) -> None:
        _decimal(self.weight_kg, "weight_kg")
        _aware(self.measured_at, "measured_at")
        require(
            isinstance(self.basis, WeightBasis),
            "invalid_weight_basis",
            "The weight basis must be actual, ideal or adjusted.",
            field="basis",
        )


@dataclass(frozen=True, slots=True)
class DosePlan:
    """A computed dose. ``decision`` holds the soft-limit and ceiling blockers and warnings."""

    protocol_code: str
    dose_mg: Decimal  # what the measured volume contains
    volume_ml: Decimal
    mg_per_kg_prescribed: Decimal
    mg_per_kg_effective: Decimal  # dose_mg / weight_kg, to 4 decimal places (display)
    unrounded_dose_mg: Decimal
    weight_kg: Decimal
    weight_basis: WeightBasis
    vial_concentration_mg_per_ml: Decimal
    rounding_note: str
    decision: GateDecision

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.decision.blockers + self.decision.warnings


def compute_weight_based_dose(
    protocol: Protocol,
    weight: DatedWeight,
    mg_per_kg: Decimal,
    vial_concentration_mg_per_ml: Decimal,
    *,
    as_of: datetime,
    policy: DosingPolicy,
) -> DosePlan:
    """Dose in mg and volume in mL for ``mg_per_kg`` x weight, volume rounded down to the
    syringe increment. Refuses stale or implausible weights; returns limit findings."""
    rule = protocol.dose_rule
    if not isinstance(rule, WeightBasedDose):
        raise InvalidClinicalInput(
            "protocol_not_weight_based",
            f"Protocol {protocol.code} uses fixed doses, not mg/kg.",
            {"protocol": protocol.code},
        )
    _aware(as_of, "as_of")
    rate = _decimal(mg_per_kg, "mg_per_kg")
    concentration = _decimal(vial_concentration_mg_per_ml, "vial_concentration_mg_per_ml")
    require(
        weight.measured_at <= as_of,
        "weight_measured_in_future",
        "The weight is dated after the time of dosing.",
        field="measured_at",
    )
    age = as_of - weight.measured_at
    require(
        age <= timedelta(days=policy.weight_max_age_days),
        "weight_too_old",
        f"The weight is older than the clinic's limit of {policy.weight_max_age_days} days; "
        "record a current weight.",
        field="measured_at",
        max_age_days=policy.weight_max_age_days,
    )
    require(
        policy.plausible_weight_min_kg <= weight.weight_kg <= policy.plausible_weight_max_kg,
        "weight_implausible",
        f"The weight is outside the plausible range {policy.plausible_weight_min_kg}–"
        f"{policy.plausible_weight_max_kg} kg; check the entry.",
        field="weight_kg",
    )
    require(
        weight.basis is rule.weight_basis,
        "weight_basis_mismatch",
        f"Protocol {protocol.code} doses on {rule.weight_basis.value} body weight; "
        f"a {weight.basis.value} weight was given.",
        field="basis",
    )

    unrounded_mg = weight.weight_kg * rate
    increment = policy.syringe_increment_ml
    # Round the volume DOWN to what the syringe can measure, so the dose never exceeds the
    # prescription; the dose is then what that volume contains.
    steps = (unrounded_mg / concentration / increment).to_integral_value(rounding=ROUND_FLOOR)
    volume_ml = steps * increment
    if volume_ml <= 0:
        raise InvalidClinicalInput(
            "dose_below_measurable_volume",
            "The dose is smaller than the smallest volume the syringe measures at this vial "
            "concentration; use a more dilute preparation.",
            {"unrounded_dose_mg": str(unrounded_mg), "syringe_increment_ml": str(increment)},
        )
    dose_mg = volume_ml * concentration
    effective = (dose_mg / weight.weight_kg).quantize(_MG_PER_KG_DISPLAY, rounding=ROUND_FLOOR)
    if dose_mg == unrounded_mg:
        note = f"{volume_ml} mL is exactly measurable; no rounding."
    else:
        note = (
            f"Volume rounded down from {unrounded_mg / concentration} mL to {volume_ml} mL "
            f"(syringe increment {increment} mL); dose {dose_mg} mg instead of {unrounded_mg} mg."
        )

    blockers: list[Finding] = []
    warnings: list[Finding] = []
    data = (("mg_per_kg", str(rate)),)
    if rate > rule.ceiling_mg_per_kg:
        blockers.append(
            Finding(
                "dose_above_ceiling",
                f"{rate} mg/kg is above the protocol's hard ceiling of "
                f"{rule.ceiling_mg_per_kg} mg/kg; this cannot be overridden.",
                rule.source,
                overridable=False,
                data=(*data, ("ceiling_mg_per_kg", str(rule.ceiling_mg_per_kg))),
            )
        )
    elif rate > rule.soft_limit_mg_per_kg:
        blockers.append(
            Finding(
                "dose_above_soft_limit",
                f"{rate} mg/kg is above the protocol's usual limit of "
                f"{rule.soft_limit_mg_per_kg} mg/kg; a prescriber must confirm with a reason.",
                rule.source,
                overridable=True,
                data=(*data, ("soft_limit_mg_per_kg", str(rule.soft_limit_mg_per_kg))),
            )
        )
    if rule.minimum_mg_per_kg is not None and rate < rule.minimum_mg_per_kg:
        warnings.append(
            Finding(
                "dose_below_protocol_range",
                f"{rate} mg/kg is below the protocol's studied range starting at "
                f"{rule.minimum_mg_per_kg} mg/kg.",
                rule.source,
                data=(*data, ("minimum_mg_per_kg", str(rule.minimum_mg_per_kg))),
            )
        )
    return DosePlan(
        protocol_code=protocol.code,
        dose_mg=dose_mg,
        volume_ml=volume_ml,
        mg_per_kg_prescribed=rate,
        mg_per_kg_effective=effective,
        unrounded_dose_mg=unrounded_mg,
        weight_kg=weight.weight_kg,
        weight_basis=weight.basis,
        vial_concentration_mg_per_ml=concentration,
        rounding_note=note,
        decision=GateDecision(tuple(blockers), tuple(warnings)),
    )


def check_fixed_dose(
    protocol: Protocol,
    dose_mg: Decimal,
    *,
    is_first_session: bool,
    policy: DosingPolicy,
    age_years: int | None = None,
    course_week: int | None = None,
) -> GateDecision:
    """Check a fixed-step dose (esketamine): allowed step, first-session rule, phase doses."""
    rule = protocol.dose_rule
    if not isinstance(rule, FixedStepDose):
        raise InvalidClinicalInput(
            "protocol_not_fixed_dose",
            f"Protocol {protocol.code} is dosed in mg/kg, not fixed steps.",
            {"protocol": protocol.code},
        )
    dose = _decimal(dose_mg, "dose_mg")
    older_start = policy.esketamine_older_adult_28mg_start
    if older_start and is_first_session:
        require(
            isinstance(age_years, int) and 18 <= age_years <= MAX_PLAUSIBLE_AGE_YEARS,
            "age_required",
            "The older-adult starting-dose option is on: give the patient's age in years.",
            field="age_years",
        )
    if course_week is not None:
        require(
            isinstance(course_week, int) and course_week >= 1,
            "invalid_course_week",
            "The course week starts at 1.",
            field="course_week",
        )
    steps = ", ".join(str(s) for s in rule.steps_mg)
    if dose not in rule.steps_mg:
        return GateDecision(
            blockers=(
                Finding(
                    "dose_not_allowed_step",
                    f"{dose} mg is not an allowed dose for {protocol.name}; allowed: {steps} mg.",
                    rule.source,
                    overridable=False,
                    data=(("dose_mg", str(dose)),),
                ),
            )
        )
    blockers: list[Finding] = []
    warnings: list[Finding] = []
    older_adult = (
        older_start and age_years is not None and (age_years >= ESKETAMINE_OLDER_ADULT_AGE_YEARS)
    )
    if is_first_session and rule.first_session_max_mg is not None:
        if dose > rule.first_session_max_mg:
            blockers.append(
                Finding(
                    "esketamine_84mg_first_session",
                    f"{dose} mg may not be given at the first session; the label starts at "
                    f"{rule.start_dose_mg} mg and allows 84 mg only after that start.",
                    SPRAVATO_HCP_DOSING,
                    overridable=False,
                    data=(("dose_mg", str(dose)),),
                )
            )
        elif older_adult and dose > ESKETAMINE_OLDER_ADULT_START_DOSE_MG:
            warnings.append(
                Finding(
                    "esketamine_older_adult_start_28mg",
                    f"Clinic policy follows the Hong Kong label: patients aged "
                    f"{ESKETAMINE_OLDER_ADULT_AGE_YEARS} or older start at "
                    f"{ESKETAMINE_OLDER_ADULT_START_DOSE_MG} mg.",
                    SPRAVATO_HK_LABEL,
                    data=(("dose_mg", str(dose)), ("age_years", age_years)),
                )
            )
        elif dose != rule.start_dose_mg and not (
            older_adult and dose == ESKETAMINE_OLDER_ADULT_START_DOSE_MG
        ):
            warnings.append(
                Finding(
                    "first_dose_differs_from_label_start",
                    f"The label's first-session dose is {rule.start_dose_mg} mg; {dose} mg "
                    "was chosen.",
                    SPRAVATO_HCP_DOSING,
                    data=(("dose_mg", str(dose)),),
                )
            )
    if course_week is not None and not blockers:
        phase = protocol.schedule.phase_for_week(course_week)
        allowed = phase.allowed_doses_mg if phase else ()
        exempt = older_adult and dose == ESKETAMINE_OLDER_ADULT_START_DOSE_MG
        if allowed and dose not in allowed and not exempt:
            warnings.append(
                Finding(
                    "dose_outside_phase_doses",
                    f"{dose} mg is not a label dose for week {course_week} of this course "
                    f"(label doses: {', '.join(str(a) for a in allowed)} mg).",
                    phase.source if phase else None,
                    data=(("dose_mg", str(dose)), ("course_week", course_week)),
                )
            )
    return GateDecision(tuple(blockers), tuple(warnings))


@dataclass(frozen=True, slots=True)
class PastDose:
    administered_at: datetime
    dose_mg: Decimal

    def __post_init__(self) -> None:
        _aware(self.administered_at, "administered_at")
        _decimal(self.dose_mg, "dose_mg")


@dataclass(frozen=True, slots=True)
class CumulativeExposure:
    """mg and sessions in the rolling windows that end at ``as_of`` (proposed dose included)."""

    total_mg_7_days: Decimal
    total_mg_30_days: Decimal
    sessions_7_days: int
    decision: GateDecision


def check_cumulative_exposure(
    protocol: Protocol,
    past_doses: Sequence[PastDose],
    proposed_dose_mg: Decimal,
    *,
    as_of: datetime,
    policy: DosingPolicy,
) -> CumulativeExposure:
    """Totals for the rolling 7 and 30 days ending at ``as_of`` (the proposed dose is given at
    ``as_of``). A window covers the preceding 7x24 h (30x24 h): a dose exactly 7 days earlier
    is outside it. mg limits apply only when the clinic sets them (default: not enforced)."""
    _aware(as_of, "as_of")
    proposed = _decimal(proposed_dose_mg, "proposed_dose_mg")
    for index, dose in enumerate(past_doses):
        require(
            isinstance(dose, PastDose),
            "invalid_past_dose",
            "Past doses must be PastDose entries.",
            index=index,
        )
        require(
            dose.administered_at <= as_of,
            "past_dose_in_future",
            "A past dose is dated after the proposed dose.",
            index=index,
        )

    def window(days: int) -> list[PastDose]:
        start = as_of - timedelta(days=days)
        return [d for d in past_doses if d.administered_at > start]

    week, month = window(7), window(30)
    total_7 = sum((d.dose_mg for d in week), Decimal(0)) + proposed
    total_30 = sum((d.dose_mg for d in month), Decimal(0)) + proposed
    sessions_7 = len(week) + 1
    blockers: list[Finding] = []
    for code, total, limit, days in (
        ("cumulative_dose_7_days_exceeded", total_7, policy.max_mg_per_rolling_7_days, 7),
        ("cumulative_dose_30_days_exceeded", total_30, policy.max_mg_per_rolling_30_days, 30),
    ):
        if limit is not None and total > limit:
            blockers.append(
                Finding(
                    code,
                    f"{total} mg in the last {days} days would exceed the clinic's limit of "
                    f"{limit} mg.",
                    None,  # a clinic setting; no published limit exists
                    data=(("total_mg", str(total)), ("limit_mg", str(limit))),
                )
            )
    max_per_week = max(p.max_sessions_per_week for p in protocol.schedule.phases)
    if sessions_7 > max_per_week:
        blockers.append(
            Finding(
                "sessions_per_7_days_exceeded",
                f"{sessions_7} sessions in 7 days exceeds the protocol's highest frequency of "
                f"{max_per_week} per week.",
                protocol.schedule.source,
                data=(("sessions", sessions_7), ("max_per_week", max_per_week)),
            )
        )
    return CumulativeExposure(total_7, total_30, sessions_7, GateDecision(tuple(blockers)))


def check_infusion_duration(protocol: Protocol, duration_min: int) -> GateDecision:
    """Flag an IV infusion faster than the protocol's minimum (rapid IV ketamine can cause
    respiratory depression and a pressor response; S27)."""
    require(
        protocol.route is Route.IV,
        "protocol_not_iv",
        f"Protocol {protocol.code} is not an infusion.",
    )
    require(
        isinstance(duration_min, int) and duration_min > 0,
        "invalid_duration",
        "The infusion duration must be a positive whole number of minutes.",
        field="duration_min",
    )
    minimum = protocol.flag_infusion_faster_than_min
    if minimum is not None and duration_min < minimum:
        return GateDecision(
            warnings=(
                Finding(
                    "infusion_faster_than_protocol",
                    f"An infusion over {duration_min} min is faster than the protocol's "
                    f"{minimum} min; rapid IV ketamine may cause respiratory depression and "
                    "raise blood pressure.",
                    CHEO_MONOGRAPH,
                    data=(("duration_min", duration_min), ("minimum_min", minimum)),
                ),
            )
        )
    return GateDecision()


def check_device_interval(protocol: Protocol, device_times: Sequence[datetime]) -> GateDecision:
    """Block when consecutive nasal devices are closer than the protocol's interval (5 min)."""
    interval = protocol.device_interval_min
    require(
        interval is not None,
        "protocol_has_no_devices",
        f"Protocol {protocol.code} is not given by nasal device.",
    )
    assert interval is not None
    for index, t in enumerate(device_times):
        _aware(t, f"device_times[{index}]")
    ordered = list(device_times)
    require(
        ordered == sorted(ordered),
        "device_times_out_of_order",
        "Device times must be listed in the order the devices were used.",
    )
    for index in range(1, len(ordered)):
        gap = ordered[index] - ordered[index - 1]
        if gap < timedelta(minutes=interval):
            return GateDecision(
                blockers=(
                    Finding(
                        "device_interval_too_short",
                        f"Device {index + 1} followed the previous device after "
                        f"{gap.total_seconds() / 60:g} min; wait at least {interval} min "
                        "between devices.",
                        SPRAVATO_HCP_DOSING,
                        data=(("device", index + 1), ("interval_min", interval)),
                    ),
                )
            )
    return GateDecision()
