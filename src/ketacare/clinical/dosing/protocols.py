"""Treatment protocols as data: drug, route, indication, dose rule, schedule and monitoring.

Implements the protocol library of the clinical reference §1 and rules 3-6, 15-18:

- IV racemic ketamine 0.5 mg/kg over 40 minutes (Sanacora summary S14b; ELEKT-D S15; Fava
  2020 S22), in two acute-series schedules: ELEKT-D twice weekly for 3 weeks (S15) and Murrough
  three times weekly up to 6 infusions (S16); any racemic acute series flags after 12 sessions
  (KetECT maximum, S17).
- IM racemic ketamine 0.25-0.5 mg/kg (S18) and SC racemic ketamine 0.5-0.9 mg/kg twice weekly for
  4 weeks (KADS, S21).
- Intranasal esketamine (SPRAVATO) for TRD and for MDSI, US label (S2, S3), 28 mg devices with
  5 minutes between devices, 2 hours minimum observation (S1).

Deliberately NOT done here:
- No source says which body weight (actual, ideal, adjusted) to use for mg/kg dosing, so the
  weight basis is a protocol field (default actual) and no IBW/ABW formula is shipped.
- No source gives a minimum observation time after IV/IM/SC racemic ketamine, so those
  protocols ship with ``observation_min=None`` and ``require_observation_min`` refuses to
  proceed until the clinic sets one (``with_clinic_settings``).
- The IV vital-sign schedule (BP every 10 min during and every 15 min after the infusion) is a
  published academic example (S25), shipped as a clinic-configurable example, not a guideline.
- Oral/sublingual ketamine is experimental (S20) and has no standard protocol here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.dosing.references import (
    DUNLOP_EMORY_BP,
    ELEKT_D_2023,
    FAVA_2020,
    IM_VS_IV_2014,
    KADS_2023,
    KETECT_2022,
    MURROUGH_2013,
    SANACORA_2017_SUMMARY,
    SPRAVATO_HCP_DOSING,
    SPRAVATO_LABEL_2019,
    SPRAVATO_LABEL_SUMMARY,
)
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.sources import Source, cited


class Drug(StrEnum):
    RACEMIC_KETAMINE = "racemic_ketamine"
    ESKETAMINE = "esketamine"


class Route(StrEnum):
    IV = "iv"
    IM = "im"
    SC = "sc"
    INTRANASAL = "intranasal"


class Indication(StrEnum):
    TRD = "trd"  # treatment-resistant depression
    MDSI = "mdsi"  # depressive symptoms in MDD with acute suicidal ideation or behavior


class WeightBasis(StrEnum):
    """Which body weight the mg/kg rate multiplies. No source chooses one (reference §1.1)."""

    ACTUAL = "actual"
    IDEAL = "ideal"
    ADJUSTED = "adjusted"


# --- Cited numbers -------------------------------------------------------------------------

# IV racemic: the standard research dose and infusion time (S14b summary; S15 ELEKT-D methods).
IV_STANDARD_DOSE_MG_PER_KG = cited(
    "IV_STANDARD_DOSE_MG_PER_KG", Decimal("0.5"), "mg/kg", ELEKT_D_2023
)
IV_STANDARD_INFUSION_MIN = cited("IV_STANDARD_INFUSION_MIN", 40, "min", ELEKT_D_2023)
# Highest IV dose tested in the cited dose-ranging RCT; no regulatory ceiling exists (S22).
IV_CEILING_MG_PER_KG = cited("IV_CEILING_MG_PER_KG", Decimal("1.0"), "mg/kg", FAVA_2020)
# IM doses compared in the randomized trial (S18); 0.5 is also the highest IM dose tested.
IM_LOW_DOSE_MG_PER_KG = cited("IM_LOW_DOSE_MG_PER_KG", Decimal("0.25"), "mg/kg", IM_VS_IV_2014)
IM_HIGH_DOSE_MG_PER_KG = cited("IM_HIGH_DOSE_MG_PER_KG", Decimal("0.5"), "mg/kg", IM_VS_IV_2014)
# KADS: fixed 0.5 mg/kg, then flexible 0.5-0.9 mg/kg; twice weekly for 4 weeks (S21).
SC_START_DOSE_MG_PER_KG = cited("SC_START_DOSE_MG_PER_KG", Decimal("0.5"), "mg/kg", KADS_2023)
SC_MAX_DOSE_MG_PER_KG = cited("SC_MAX_DOSE_MG_PER_KG", Decimal("0.9"), "mg/kg", KADS_2023)
SC_COURSE_WEEKS = cited("SC_COURSE_WEEKS", 4, "weeks", KADS_2023)
SC_SESSIONS_PER_WEEK = cited("SC_SESSIONS_PER_WEEK", 2, "sessions/week", KADS_2023)
# ELEKT-D: twice per week for an initial 3-week phase (S15).
ELEKT_D_SESSIONS_PER_WEEK = cited("ELEKT_D_SESSIONS_PER_WEEK", 2, "sessions/week", ELEKT_D_2023)
ELEKT_D_ACUTE_WEEKS = cited("ELEKT_D_ACUTE_WEEKS", 3, "weeks", ELEKT_D_2023)
# Murrough: up to six infusions, three times weekly over 12 days (S16).
MURROUGH_SESSIONS_PER_WEEK = cited("MURROUGH_SESSIONS_PER_WEEK", 3, "sessions/week", MURROUGH_2013)
MURROUGH_MAX_INFUSIONS = cited("MURROUGH_MAX_INFUSIONS", 6, "sessions", MURROUGH_2013)
# KetECT: three times weekly, maximum 12 sessions; more than 12 acute sessions is flagged (S17).
ACUTE_SERIES_MAX_SESSIONS = cited("ACUTE_SERIES_MAX_SESSIONS", 12, "sessions", KETECT_2022)

# Esketamine device and dosing (US label, S2/S3; device facts S3, S13).
ESKETAMINE_DEVICE_MG = cited("ESKETAMINE_DEVICE_MG", Decimal("28"), "mg", SPRAVATO_HCP_DOSING)
ESKETAMINE_ALLOWED_DOSES_MG = cited(
    "ESKETAMINE_ALLOWED_DOSES_MG",
    (Decimal("28"), Decimal("56"), Decimal("84")),
    "mg",
    SPRAVATO_HCP_DOSING,
)
ESKETAMINE_LABEL_DOSES_MG = cited(
    "ESKETAMINE_LABEL_DOSES_MG", (Decimal("56"), Decimal("84")), "mg", SPRAVATO_HCP_DOSING
)
ESKETAMINE_TRD_START_DOSE_MG = cited(
    "ESKETAMINE_TRD_START_DOSE_MG", Decimal("56"), "mg", SPRAVATO_HCP_DOSING
)
ESKETAMINE_DEVICE_INTERVAL_MIN = cited(
    "ESKETAMINE_DEVICE_INTERVAL_MIN", 5, "min", SPRAVATO_HCP_DOSING
)
ESKETAMINE_OBSERVATION_MIN = cited("ESKETAMINE_OBSERVATION_MIN", 120, "min", SPRAVATO_LABEL_2019)
# BP "prior to and 40 minutes after administration" (S3).
ESKETAMINE_BP_CHECK_AFTER_DOSE_MIN = cited(
    "ESKETAMINE_BP_CHECK_AFTER_DOSE_MIN", 40, "min", SPRAVATO_HCP_DOSING
)
# TRD: induction weeks 1-4 twice weekly; weeks 5-8 once weekly; week 9+ weekly or every 2 weeks.
ESKETAMINE_TRD_INDUCTION_WEEKS = cited(
    "ESKETAMINE_TRD_INDUCTION_WEEKS", 4, "weeks", SPRAVATO_LABEL_SUMMARY
)
ESKETAMINE_TRD_EARLY_MAINTENANCE_LAST_WEEK = cited(
    "ESKETAMINE_TRD_EARLY_MAINTENANCE_LAST_WEEK", 8, "week", SPRAVATO_LABEL_SUMMARY
)
ESKETAMINE_INDUCTION_SESSIONS_PER_WEEK = cited(
    "ESKETAMINE_INDUCTION_SESSIONS_PER_WEEK", 2, "sessions/week", SPRAVATO_LABEL_SUMMARY
)
ESKETAMINE_MAINTENANCE_SESSIONS_PER_WEEK = cited(
    "ESKETAMINE_MAINTENANCE_SESSIONS_PER_WEEK", 1, "sessions/week", SPRAVATO_LABEL_SUMMARY
)
# MDSI: 84 mg (or 56 mg) twice weekly for 4 weeks; beyond 4 weeks not systematically evaluated.
ESKETAMINE_MDSI_EVALUATED_WEEKS = cited(
    "ESKETAMINE_MDSI_EVALUATED_WEEKS", 4, "weeks", SPRAVATO_LABEL_SUMMARY
)
# Emory example vital-sign schedule for IV ketamine (S25), a clinic-configurable example.
IV_EXAMPLE_VITALS_DURING_EVERY_MIN = cited(
    "IV_EXAMPLE_VITALS_DURING_EVERY_MIN", 10, "min", DUNLOP_EMORY_BP
)
IV_EXAMPLE_VITALS_AFTER_EVERY_MIN = cited(
    "IV_EXAMPLE_VITALS_AFTER_EVERY_MIN", 15, "min", DUNLOP_EMORY_BP
)


# --- Protocol data types -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeightBasedDose:
    """A mg/kg dose rule. Order must hold: minimum <= default <= soft limit <= ceiling.

    Above ``soft_limit_mg_per_kg`` needs a prescriber override; above ``ceiling_mg_per_kg`` is
    refused outright.
    """

    default_mg_per_kg: Decimal
    soft_limit_mg_per_kg: Decimal
    ceiling_mg_per_kg: Decimal
    minimum_mg_per_kg: Decimal | None = None  # below it: a warning (outside studied range)
    weight_basis: WeightBasis = WeightBasis.ACTUAL
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class FixedStepDose:
    """A fixed-dose rule: only the listed doses may be given (e.g. esketamine 28/56/84 mg)."""

    steps_mg: tuple[Decimal, ...]
    start_dose_mg: Decimal | None = None  # the label's first-session dose, if any
    first_session_max_mg: Decimal | None = None  # None: no first-session restriction
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Phase:
    """Course weeks ``first_week``..``last_week`` (inclusive; None = open-ended).

    Course week 1 is days 0-6 from the course start. ``flag_code`` marks sessions that fall in
    this phase with a warning (e.g. MDSI beyond the evaluated 4 weeks).
    """

    first_week: int
    last_week: int | None
    max_sessions_per_week: int
    allowed_doses_mg: tuple[Decimal, ...] = ()  # empty: any dose allowed by the dose rule
    flag_code: str | None = None
    flag_message: str | None = None
    source: Source | None = None

    def contains(self, week: int) -> bool:
        return week >= self.first_week and (self.last_week is None or week <= self.last_week)


@dataclass(frozen=True, slots=True)
class ScheduleRule:
    phases: tuple[Phase, ...]
    planned_sessions: int | None = None  # e.g. ELEKT-D 6; None: open course
    acute_series_flag_above: int | None = None  # flag more sessions than this (KetECT 12)
    review_after_week: int | None = None  # efficacy review due before sessions after this week
    source: Source | None = None

    def phase_for_week(self, week: int) -> Phase | None:
        for phase in self.phases:
            if phase.contains(week):
                return phase
        return None


@dataclass(frozen=True, slots=True)
class VitalsSchedule:
    """When vital signs are due. Minutes count from the start of administration."""

    pre_dose: bool = True
    at_minutes_after_dose: tuple[int, ...] = ()
    during_infusion_every_min: int | None = None
    after_infusion_every_min: int | None = None
    before_discharge: bool = True
    clinic_example_only: bool = False  # True: a published example, not a guideline
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Protocol:
    code: str
    name: str
    drug: Drug
    route: Route
    indication: Indication
    dose_rule: WeightBasedDose | FixedStepDose
    schedule: ScheduleRule
    vitals: VitalsSchedule
    observation_min: int | None = None  # None: the clinic must set it before use
    infusion_duration_min: int | None = None  # IV only
    flag_infusion_faster_than_min: int | None = None  # IV only: flag shorter infusions
    device_interval_min: int | None = None  # intranasal only: minutes between devices
    sources: tuple[Source, ...] = field(default=())

    @property
    def is_weight_based(self) -> bool:
        return isinstance(self.dose_rule, WeightBasedDose)


def _positive(value: Decimal | int | None, name: str, code: str = "invalid_protocol") -> None:
    if value is not None:
        require(value > 0, code, f"Protocol field {name} must be greater than zero.", field=name)


def validate_protocol(p: Protocol) -> Protocol:
    """Refuse inconsistent protocol data (InvalidClinicalInput ``invalid_protocol``); return it."""
    code = "invalid_protocol"
    require(bool(p.code.strip()), code, "A protocol needs a code.", field="code")
    require(bool(p.name.strip()), code, "A protocol needs a name.", field="name")
    rule = p.dose_rule
    if isinstance(rule, WeightBasedDose):
        require(
            p.drug is Drug.RACEMIC_KETAMINE and p.route is not Route.INTRANASAL,
            code,
            "Weight-based dosing is defined here only for IV, IM or SC racemic ketamine.",
            field="dose_rule",
        )
        for name in ("default_mg_per_kg", "soft_limit_mg_per_kg", "ceiling_mg_per_kg"):
            value = getattr(rule, name)
            require(isinstance(value, Decimal), code, f"{name} must be a Decimal.", field=name)
            _positive(value, name)
        if rule.minimum_mg_per_kg is not None:
            _positive(rule.minimum_mg_per_kg, "minimum_mg_per_kg")
            require(
                rule.minimum_mg_per_kg <= rule.default_mg_per_kg,
                code,
                "The minimum mg/kg must not exceed the default mg/kg.",
                field="minimum_mg_per_kg",
            )
        require(
            rule.default_mg_per_kg <= rule.soft_limit_mg_per_kg,
            code,
            "The default mg/kg must not exceed the soft limit.",
            field="default_mg_per_kg",
        )
        require(
            rule.soft_limit_mg_per_kg <= rule.ceiling_mg_per_kg,
            code,
            "The soft limit must not exceed the hard ceiling.",
            field="soft_limit_mg_per_kg",
        )
    else:
        require(bool(rule.steps_mg), code, "A fixed-step rule needs at least one dose.")
        require(
            all(isinstance(s, Decimal) and s > 0 for s in rule.steps_mg),
            code,
            "Every fixed dose step must be a positive Decimal (mg).",
            field="steps_mg",
        )
        require(
            list(rule.steps_mg) == sorted(set(rule.steps_mg)),
            code,
            "Fixed dose steps must be listed once each, in increasing order.",
            field="steps_mg",
        )
        for name in ("start_dose_mg", "first_session_max_mg"):
            value = getattr(rule, name)
            require(
                value is None or value in rule.steps_mg,
                code,
                f"{name} must be one of the allowed dose steps.",
                field=name,
            )
    _validate_schedule(p)
    _positive(p.observation_min, "observation_min")
    _positive(p.device_interval_min, "device_interval_min")
    _positive(p.infusion_duration_min, "infusion_duration_min")
    _positive(p.flag_infusion_faster_than_min, "flag_infusion_faster_than_min")
    if p.route is not Route.IV:
        require(
            p.infusion_duration_min is None and p.flag_infusion_faster_than_min is None,
            code,
            "Infusion duration applies only to IV protocols.",
            field="infusion_duration_min",
        )
    elif p.infusion_duration_min is not None and p.flag_infusion_faster_than_min is not None:
        require(
            p.flag_infusion_faster_than_min <= p.infusion_duration_min,
            code,
            "The planned infusion duration is shorter than the protocol's minimum.",
            field="infusion_duration_min",
        )
    v = p.vitals
    _positive(v.during_infusion_every_min, "vitals.during_infusion_every_min")
    _positive(v.after_infusion_every_min, "vitals.after_infusion_every_min")
    require(
        all(m > 0 for m in v.at_minutes_after_dose),
        code,
        "Vital-sign check times must be after the dose (minutes > 0).",
        field="vitals.at_minutes_after_dose",
    )
    return p


def _validate_schedule(p: Protocol) -> None:
    code = "invalid_protocol"
    s = p.schedule
    require(bool(s.phases), code, "A schedule needs at least one phase.", field="schedule")
    expected_first = 1
    for index, phase in enumerate(s.phases):
        require(
            phase.first_week == expected_first,
            code,
            "Schedule phases must start at week 1 and follow each other without gaps.",
            field=f"schedule.phases[{index}]",
        )
        require(
            phase.last_week is None or phase.last_week >= phase.first_week,
            code,
            "A phase must not end before it starts.",
            field=f"schedule.phases[{index}]",
        )
        require(
            phase.last_week is not None or index == len(s.phases) - 1,
            code,
            "Only the last phase may be open-ended.",
            field=f"schedule.phases[{index}]",
        )
        require(
            1 <= phase.max_sessions_per_week <= 7,
            code,
            "Sessions per week must be between 1 and 7.",
            field=f"schedule.phases[{index}].max_sessions_per_week",
        )
        if isinstance(p.dose_rule, FixedStepDose):
            require(
                all(d in p.dose_rule.steps_mg for d in phase.allowed_doses_mg),
                code,
                "A phase may only allow doses from the protocol's dose steps.",
                field=f"schedule.phases[{index}].allowed_doses_mg",
            )
        require(
            (phase.flag_code is None) == (phase.flag_message is None),
            code,
            "A phase flag needs both a code and a message.",
            field=f"schedule.phases[{index}].flag_code",
        )
        expected_first = (phase.last_week or 0) + 1
    for name in ("planned_sessions", "acute_series_flag_above", "review_after_week"):
        _positive(getattr(s, name), f"schedule.{name}")


def require_observation_min(p: Protocol) -> int:
    """The protocol's minimum observation in minutes; refuses if the clinic has not set it."""
    if p.observation_min is None:
        raise InvalidClinicalInput(
            "observation_minimum_not_set",
            f"Protocol {p.code} has no minimum observation time. No published guideline gives "
            "one for this route; the clinic must set it before the protocol is used.",
            {"protocol": p.code},
        )
    return p.observation_min


def with_clinic_settings(p: Protocol, **changes: object) -> Protocol:
    """A copy of ``p`` with clinic-chosen fields (e.g. ``observation_min``), re-validated."""
    try:
        updated = dataclasses.replace(p, **changes)  # type: ignore[arg-type]
    except TypeError as exc:
        raise InvalidClinicalInput(
            "invalid_protocol", "Unknown protocol field.", {"fields": sorted(changes)}
        ) from exc
    return validate_protocol(updated)


# --- The standard library ------------------------------------------------------------------

_IV_DOSE = WeightBasedDose(
    default_mg_per_kg=IV_STANDARD_DOSE_MG_PER_KG,
    soft_limit_mg_per_kg=IV_STANDARD_DOSE_MG_PER_KG,  # above 0.5 needs a prescriber override
    ceiling_mg_per_kg=IV_CEILING_MG_PER_KG,
    source=FAVA_2020,
)
_IV_VITALS_EXAMPLE = VitalsSchedule(
    pre_dose=True,
    during_infusion_every_min=IV_EXAMPLE_VITALS_DURING_EVERY_MIN,
    after_infusion_every_min=IV_EXAMPLE_VITALS_AFTER_EVERY_MIN,
    before_discharge=True,
    clinic_example_only=True,
    source=DUNLOP_EMORY_BP,
)
_RACEMIC_VITALS_UNSET = VitalsSchedule(pre_dose=True, before_discharge=True)

IV_ELEKT_D = Protocol(
    code="iv_racemic_elektd",
    name="IV racemic ketamine 0.5 mg/kg over 40 min, twice weekly for 3 weeks (ELEKT-D)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.IV,
    indication=Indication.TRD,
    dose_rule=_IV_DOSE,
    schedule=ScheduleRule(
        phases=(Phase(1, ELEKT_D_ACUTE_WEEKS, ELEKT_D_SESSIONS_PER_WEEK, source=ELEKT_D_2023),),
        planned_sessions=ELEKT_D_ACUTE_WEEKS * ELEKT_D_SESSIONS_PER_WEEK,
        acute_series_flag_above=ACUTE_SERIES_MAX_SESSIONS,
        source=ELEKT_D_2023,
    ),
    vitals=_IV_VITALS_EXAMPLE,
    infusion_duration_min=IV_STANDARD_INFUSION_MIN,
    flag_infusion_faster_than_min=IV_STANDARD_INFUSION_MIN,
    sources=(ELEKT_D_2023, SANACORA_2017_SUMMARY, FAVA_2020, KETECT_2022, DUNLOP_EMORY_BP),
)

IV_MURROUGH = Protocol(
    code="iv_racemic_murrough",
    name="IV racemic ketamine 0.5 mg/kg over 40 min, three times weekly up to 6 (Murrough)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.IV,
    indication=Indication.TRD,
    dose_rule=_IV_DOSE,
    schedule=ScheduleRule(
        # Six infusions over 12 days: two course weeks at three per week.
        phases=(Phase(1, 2, MURROUGH_SESSIONS_PER_WEEK, source=MURROUGH_2013),),
        planned_sessions=MURROUGH_MAX_INFUSIONS,
        acute_series_flag_above=ACUTE_SERIES_MAX_SESSIONS,
        source=MURROUGH_2013,
    ),
    vitals=_IV_VITALS_EXAMPLE,
    infusion_duration_min=IV_STANDARD_INFUSION_MIN,
    flag_infusion_faster_than_min=IV_STANDARD_INFUSION_MIN,
    sources=(MURROUGH_2013, SANACORA_2017_SUMMARY, FAVA_2020, KETECT_2022, DUNLOP_EMORY_BP),
)

IM_RACEMIC = Protocol(
    code="im_racemic",
    name="IM racemic ketamine 0.25-0.5 mg/kg",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.IM,
    indication=Indication.TRD,
    dose_rule=WeightBasedDose(
        default_mg_per_kg=IM_HIGH_DOSE_MG_PER_KG,
        soft_limit_mg_per_kg=IM_HIGH_DOSE_MG_PER_KG,
        # No IM dose above 0.5 mg/kg was tested in the cited trial, so the hard ceiling is the
        # highest tested IM dose; a clinic wanting more defines its own protocol.
        ceiling_mg_per_kg=IM_HIGH_DOSE_MG_PER_KG,
        minimum_mg_per_kg=IM_LOW_DOSE_MG_PER_KG,
        source=IM_VS_IV_2014,
    ),
    # The IM trial gave single doses; no IM schedule is cited. Twice weekly follows the KADS
    # SC course (S21) as the nearest cited non-IV schedule, with the KetECT acute-series flag.
    schedule=ScheduleRule(
        phases=(Phase(1, None, SC_SESSIONS_PER_WEEK, source=KADS_2023),),
        acute_series_flag_above=ACUTE_SERIES_MAX_SESSIONS,
        source=KADS_2023,
    ),
    vitals=_RACEMIC_VITALS_UNSET,
    sources=(IM_VS_IV_2014, KADS_2023, KETECT_2022),
)

SC_KADS = Protocol(
    code="sc_racemic_kads",
    name="SC racemic ketamine 0.5-0.9 mg/kg twice weekly for 4 weeks (KADS)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.SC,
    indication=Indication.TRD,
    dose_rule=WeightBasedDose(
        default_mg_per_kg=SC_START_DOSE_MG_PER_KG,
        soft_limit_mg_per_kg=SC_START_DOSE_MG_PER_KG,  # titration above 0.5 is a prescriber act
        ceiling_mg_per_kg=SC_MAX_DOSE_MG_PER_KG,
        minimum_mg_per_kg=SC_START_DOSE_MG_PER_KG,
        source=KADS_2023,
    ),
    schedule=ScheduleRule(
        phases=(Phase(1, SC_COURSE_WEEKS, SC_SESSIONS_PER_WEEK, source=KADS_2023),),
        planned_sessions=SC_COURSE_WEEKS * SC_SESSIONS_PER_WEEK,
        acute_series_flag_above=ACUTE_SERIES_MAX_SESSIONS,
        source=KADS_2023,
    ),
    vitals=_RACEMIC_VITALS_UNSET,
    sources=(KADS_2023, KETECT_2022),
)

_ESKETAMINE_DOSE_TRD = FixedStepDose(
    steps_mg=ESKETAMINE_ALLOWED_DOSES_MG,
    start_dose_mg=ESKETAMINE_TRD_START_DOSE_MG,
    first_session_max_mg=ESKETAMINE_TRD_START_DOSE_MG,  # 84 mg only after a 56 mg start
    source=SPRAVATO_HCP_DOSING,
)
_ESKETAMINE_VITALS = VitalsSchedule(
    pre_dose=True,
    at_minutes_after_dose=(ESKETAMINE_BP_CHECK_AFTER_DOSE_MIN,),
    before_discharge=True,
    source=SPRAVATO_HCP_DOSING,
)

ESKETAMINE_TRD = Protocol(
    code="in_esketamine_trd",
    name="Intranasal esketamine (SPRAVATO) for TRD, US label",
    drug=Drug.ESKETAMINE,
    route=Route.INTRANASAL,
    indication=Indication.TRD,
    dose_rule=_ESKETAMINE_DOSE_TRD,
    schedule=ScheduleRule(
        phases=(
            Phase(
                1,
                ESKETAMINE_TRD_INDUCTION_WEEKS,
                ESKETAMINE_INDUCTION_SESSIONS_PER_WEEK,
                ESKETAMINE_LABEL_DOSES_MG,
                source=SPRAVATO_LABEL_SUMMARY,
            ),
            Phase(
                ESKETAMINE_TRD_INDUCTION_WEEKS + 1,
                ESKETAMINE_TRD_EARLY_MAINTENANCE_LAST_WEEK,
                ESKETAMINE_MAINTENANCE_SESSIONS_PER_WEEK,
                ESKETAMINE_LABEL_DOSES_MG,
                source=SPRAVATO_LABEL_SUMMARY,
            ),
            # Week 9+: weekly or every 2 weeks; the cap is the weekly option.
            Phase(
                ESKETAMINE_TRD_EARLY_MAINTENANCE_LAST_WEEK + 1,
                None,
                ESKETAMINE_MAINTENANCE_SESSIONS_PER_WEEK,
                ESKETAMINE_LABEL_DOSES_MG,
                source=SPRAVATO_LABEL_SUMMARY,
            ),
        ),
        review_after_week=ESKETAMINE_TRD_INDUCTION_WEEKS,
        source=SPRAVATO_LABEL_SUMMARY,
    ),
    vitals=_ESKETAMINE_VITALS,
    observation_min=ESKETAMINE_OBSERVATION_MIN,
    device_interval_min=ESKETAMINE_DEVICE_INTERVAL_MIN,
    sources=(SPRAVATO_LABEL_2019, SPRAVATO_LABEL_SUMMARY, SPRAVATO_HCP_DOSING),
)

ESKETAMINE_MDSI = Protocol(
    code="in_esketamine_mdsi",
    name="Intranasal esketamine (SPRAVATO) for MDD with acute suicidal ideation, US label",
    drug=Drug.ESKETAMINE,
    route=Route.INTRANASAL,
    indication=Indication.MDSI,
    dose_rule=FixedStepDose(
        steps_mg=ESKETAMINE_ALLOWED_DOSES_MG,
        start_dose_mg=ESKETAMINE_LABEL_DOSES_MG[-1],  # 84 mg, may reduce to 56 mg
        source=SPRAVATO_HCP_DOSING,
    ),
    schedule=ScheduleRule(
        phases=(
            Phase(
                1,
                ESKETAMINE_MDSI_EVALUATED_WEEKS,
                ESKETAMINE_INDUCTION_SESSIONS_PER_WEEK,
                ESKETAMINE_LABEL_DOSES_MG,
                source=SPRAVATO_LABEL_SUMMARY,
            ),
            Phase(
                ESKETAMINE_MDSI_EVALUATED_WEEKS + 1,
                None,
                ESKETAMINE_INDUCTION_SESSIONS_PER_WEEK,
                ESKETAMINE_LABEL_DOSES_MG,
                flag_code="mdsi_beyond_4_weeks",
                flag_message="Esketamine for MDSI beyond 4 weeks has not been systematically "
                "evaluated (US label).",
                source=SPRAVATO_LABEL_SUMMARY,
            ),
        ),
        review_after_week=ESKETAMINE_MDSI_EVALUATED_WEEKS,
        source=SPRAVATO_LABEL_SUMMARY,
    ),
    vitals=_ESKETAMINE_VITALS,
    observation_min=ESKETAMINE_OBSERVATION_MIN,
    device_interval_min=ESKETAMINE_DEVICE_INTERVAL_MIN,
    sources=(SPRAVATO_LABEL_2019, SPRAVATO_LABEL_SUMMARY, SPRAVATO_HCP_DOSING),
)

STANDARD_PROTOCOLS: dict[str, Protocol] = {
    p.code: validate_protocol(p)
    for p in (IV_ELEKT_D, IV_MURROUGH, IM_RACEMIC, SC_KADS, ESKETAMINE_TRD, ESKETAMINE_MDSI)
}
