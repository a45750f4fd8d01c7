"""Monitoring during a dosing session: vital-sign schedule, sedation, dissociation, adverse events.

Implements
- ``MonitoringSchedule`` and ``vitals_due``: which vital-sign checks are done, due, overdue or
  upcoming, relative to the dose start. Two schedules ship:
  * ``esketamine_schedule``: BP 40 minutes after administration (S3, label section 2), then
    "as clinically warranted" (no fixed times, so none are generated);
  * ``iv_example_schedule``: the Emory academic protocol (S25, [V*]) of BP every 10 min during
    the infusion and every 15 min afterwards. It is an EXAMPLE a clinic may adopt, not a
    guideline (reference §3.3: no consensus IV schedule found).
  The matching tolerance (how far from the check time a reading still counts) is a clinic
  setting with no published value, so every schedule requires it.
- ``assess_sedation``: MOAA/S (0-5, S38). "Any decrease in MOAA/S from pre-dose is considered
  to indicate the presence of sedation"; MOAA/S 0 = loss of consciousness (S9b, S8).
- ``assess_dissociation``: CADSS total. The CADSS item and total ranges are memory-only ([M])
  and no published "resolved" cutoff exists, so the core takes the total as a non-negative
  whole number, treats resolution as the clinician's recorded judgement, and applies an
  optional clinic cutoff (no default) on top.
- ``AdverseEvent`` with ``AdverseEventType`` and ``AdverseEventSeverity`` graded on the CTCAE
  v5.0 general grade definitions (1 mild ... 5 death).

Deliberately not done: no alarms or escalation rules (the service and staff act on
findings); the 40-minute BP is timed from ``dose_started_at`` as passed by the caller (the
discharge gate and the run sheet pass the clinic's observation anchor: by default the last
device or the infusion's end, the label's "after administration"; the REMS form counts from
the first device).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.session.references import (
    CTCAE_V5,
    EMORY_IV_BP_SCHEDULE,
    MOAAS_SCALE,
    SPRAVATO_HCP_DOSING,
    SPRAVATO_SEDATION_MOAAS,
)
from ketacare.clinical.session.types import Route, require_aware
from ketacare.clinical.sources import Source, cited

# S3 / label section 2: BP "prior to and 40 minutes after administration".
ESKETAMINE_BP_CHECK_AFTER_ADMINISTRATION_MIN = cited(
    "ESKETAMINE_BP_CHECK_AFTER_ADMINISTRATION_MIN", 40, "min", SPRAVATO_HCP_DOSING
)
# S25 [V*], example only: BP every 10 min during the infusion, every 15 min afterwards.
IV_EXAMPLE_BP_INTERVAL_DURING_INFUSION_MIN = cited(
    "IV_EXAMPLE_BP_INTERVAL_DURING_INFUSION_MIN", 10, "min", EMORY_IV_BP_SCHEDULE
)
IV_EXAMPLE_BP_INTERVAL_AFTER_INFUSION_MIN = cited(
    "IV_EXAMPLE_BP_INTERVAL_AFTER_INFUSION_MIN", 15, "min", EMORY_IV_BP_SCHEDULE
)
# S38: MOAA/S runs from 0 (no response to trapezius squeeze) to 5 (responds readily).
MOAAS_MIN_SCORE = cited("MOAAS_MIN_SCORE", 0, "points", MOAAS_SCALE)
MOAAS_MAX_SCORE = cited("MOAAS_MAX_SCORE", 5, "points", MOAAS_SCALE)
# S9b/S8: loss of consciousness = MOAA/S 0.
MOAAS_LOSS_OF_CONSCIOUSNESS_SCORE = cited(
    "MOAAS_LOSS_OF_CONSCIOUSNESS_SCORE", 0, "points", SPRAVATO_SEDATION_MOAAS
)


def _whole(value: object, field: str, *, minimum: int = 0) -> int:
    require(
        isinstance(value, int) and not isinstance(value, bool) and value >= minimum,
        "invalid_minutes" if field.endswith("_min") else "invalid_value",
        f"{field} must be a whole number of at least {minimum}.",
        field=field,
    )
    return value  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class MonitoringSchedule:
    """When vital signs are due, in minutes after the dose start.

    ``fixed_checks_min``: single check times. ``interval_during_min`` repeats from the start
    up to ``active_phase_min`` (e.g. the infusion length); ``interval_after_min`` repeats from
    ``active_phase_min`` (0 if unset) up to ``until_min``. A reading within
    ``tolerance_min`` either side of a check time satisfies it (clinic setting).
    """

    name: str
    routes: frozenset[Route]
    tolerance_min: int
    source: Source
    fixed_checks_min: tuple[int, ...] = ()
    interval_during_min: int | None = None
    active_phase_min: int | None = None
    interval_after_min: int | None = None
    until_min: int | None = None

    def __post_init__(self) -> None:
        require(bool(self.routes), "schedule_invalid", "A schedule must name its routes.")
        _whole(self.tolerance_min, "tolerance_min")
        for minute in self.fixed_checks_min:
            _whole(minute, "fixed_checks_min", minimum=1)
        if self.interval_during_min is not None:
            _whole(self.interval_during_min, "interval_during_min", minimum=1)
            require(
                self.active_phase_min is not None,
                "schedule_invalid",
                "A during-phase interval needs active_phase_min (e.g. the infusion length).",
                field="active_phase_min",
            )
        if self.active_phase_min is not None:
            _whole(self.active_phase_min, "active_phase_min", minimum=1)
        if self.interval_after_min is not None:
            _whole(self.interval_after_min, "interval_after_min", minimum=1)
            require(
                self.until_min is not None,
                "schedule_invalid",
                "An after-phase interval needs until_min (end of the observation window).",
                field="until_min",
            )
        if self.until_min is not None:
            _whole(self.until_min, "until_min", minimum=1)

    def check_minutes(self) -> tuple[int, ...]:
        """All check times in minutes after the dose start, sorted, without duplicates."""
        minutes = set(self.fixed_checks_min)
        if self.interval_during_min is not None and self.active_phase_min is not None:
            minutes.update(
                range(self.interval_during_min, self.active_phase_min + 1, self.interval_during_min)
            )
        if self.interval_after_min is not None and self.until_min is not None:
            start = self.active_phase_min or 0
            minutes.update(
                range(start + self.interval_after_min, self.until_min + 1, self.interval_after_min)
            )
        return tuple(sorted(minutes))


def esketamine_schedule(*, tolerance_min: int) -> MonitoringSchedule:
    """BP 40 min after administration (S3); later checks are "as clinically warranted"."""
    return MonitoringSchedule(
        name="esketamine_label",
        routes=frozenset({Route.INTRANASAL}),
        tolerance_min=tolerance_min,
        source=SPRAVATO_HCP_DOSING,
        fixed_checks_min=(ESKETAMINE_BP_CHECK_AFTER_ADMINISTRATION_MIN,),
    )


def iv_example_schedule(
    *, infusion_min: int, observation_until_min: int, tolerance_min: int
) -> MonitoringSchedule:
    """The Emory example (S25, [V*]): every 10 min during the infusion, every 15 min after.
    Infusion length and observation end come from the clinic's protocol."""
    return MonitoringSchedule(
        name="iv_example_emory",
        routes=frozenset({Route.INTRAVENOUS}),
        tolerance_min=tolerance_min,
        source=EMORY_IV_BP_SCHEDULE,
        interval_during_min=IV_EXAMPLE_BP_INTERVAL_DURING_INFUSION_MIN,
        active_phase_min=infusion_min,
        interval_after_min=IV_EXAMPLE_BP_INTERVAL_AFTER_INFUSION_MIN,
        until_min=observation_until_min,
    )


class CheckStatus(StrEnum):
    DONE = "done"  # a reading falls within the tolerance window
    DUE = "due"  # inside the window now, no reading yet
    OVERDUE = "overdue"  # window has passed without a reading
    UPCOMING = "upcoming"  # window has not opened yet


@dataclass(frozen=True, slots=True)
class ScheduledCheck:
    minutes_after_start: int
    due_at: datetime
    status: CheckStatus


@dataclass(frozen=True, slots=True)
class VitalsDue:
    """Every scheduled check with its status; ``next_due`` is the first not yet overdue or
    done (``None`` when nothing is left); ``overdue`` lists the missed ones."""

    checks: tuple[ScheduledCheck, ...]

    @property
    def next_due(self) -> ScheduledCheck | None:
        return next(
            (c for c in self.checks if c.status in (CheckStatus.DUE, CheckStatus.UPCOMING)),
            None,
        )

    @property
    def overdue(self) -> tuple[ScheduledCheck, ...]:
        return tuple(c for c in self.checks if c.status is CheckStatus.OVERDUE)


def vitals_due(
    route: Route,
    dose_started_at: datetime,
    recorded_times: Iterable[datetime],
    schedule: MonitoringSchedule,
    as_of: datetime,
) -> VitalsDue:
    """Status of each scheduled vital-sign check at ``as_of`` (minutes from ``dose_started_at``).
    A check at T is done if a reading lies in [T - tolerance, T + tolerance]."""
    require(
        isinstance(schedule, MonitoringSchedule),
        "schedule_required",
        "A monitoring schedule is required.",
    )
    require(
        route in schedule.routes,
        "schedule_route_mismatch",
        f"The {schedule.name} schedule does not apply to the {Route(route).value} route.",
        route=str(route),
        schedule=schedule.name,
    )
    require_aware(dose_started_at, "dose_started_at")
    require_aware(as_of, "as_of")
    times = tuple(recorded_times)
    for taken in times:
        require_aware(taken, "recorded_times")
    tolerance = timedelta(minutes=schedule.tolerance_min)
    checks = []
    for minute in schedule.check_minutes():
        due_at = dose_started_at + timedelta(minutes=minute)
        opens, closes = due_at - tolerance, due_at + tolerance
        if any(opens <= t <= closes for t in times):
            status = CheckStatus.DONE
        elif as_of < opens:
            status = CheckStatus.UPCOMING
        elif as_of <= closes:
            status = CheckStatus.DUE
        else:
            status = CheckStatus.OVERDUE
        checks.append(ScheduledCheck(minute, due_at, status))
    return VitalsDue(tuple(checks))


def _moaas(value: object, field: str) -> int:
    require(
        isinstance(value, int)
        and not isinstance(value, bool)
        and MOAAS_MIN_SCORE <= value <= MOAAS_MAX_SCORE,
        "moaas_out_of_range",
        f"{field} must be a MOAA/S score from {MOAAS_MIN_SCORE} to {MOAAS_MAX_SCORE}.",
        field=field,
    )
    return value  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class SedationAssessment:
    moaas_predose: int
    moaas_now: int
    decrease: int  # points below the pre-dose score (0 if none)
    sedated: bool  # any decrease from pre-dose (S9b)
    loss_of_consciousness: bool  # MOAA/S 0 (S9b, S8)
    source: Source = SPRAVATO_SEDATION_MOAAS


def assess_sedation(moaas_predose: int, moaas_now: int) -> SedationAssessment:
    """Sedation = any decrease in MOAA/S from the pre-dose score; 0 = loss of consciousness."""
    before = _moaas(moaas_predose, "moaas_predose")
    now = _moaas(moaas_now, "moaas_now")
    decrease = max(0, before - now)
    return SedationAssessment(
        moaas_predose=before,
        moaas_now=now,
        decrease=decrease,
        sedated=decrease > 0,
        loss_of_consciousness=now == MOAAS_LOSS_OF_CONSCIOUSNESS_SCORE,
    )


@dataclass(frozen=True, slots=True)
class DissociationAssessment:
    cadss_total: int
    clinician_recorded_resolved: bool
    resolved_max_total: int | None  # clinic cutoff; None = clinician judgement alone
    resolved: bool
    reason: str


def assess_dissociation(
    cadss_total: int,
    *,
    clinician_recorded_resolved: bool,
    resolved_max_total: int | None = None,
) -> DissociationAssessment:
    """Dissociation is resolved when the clinician records it resolved and, if the clinic
    set a CADSS cutoff, the total is at or below it (no published cutoff: no default)."""
    total = _whole(cadss_total, "cadss_total")
    if resolved_max_total is not None:
        _whole(resolved_max_total, "resolved_max_total")
    require(
        isinstance(clinician_recorded_resolved, bool),
        "invalid_value",
        "clinician_recorded_resolved must be yes or no.",
        field="clinician_recorded_resolved",
    )
    if not clinician_recorded_resolved:
        resolved, reason = False, "clinician_has_not_recorded_resolution"
    elif resolved_max_total is not None and total > resolved_max_total:
        resolved, reason = False, "cadss_total_above_clinic_cutoff"
    else:
        resolved, reason = True, "resolved"
    return DissociationAssessment(
        cadss_total=total,
        clinician_recorded_resolved=clinician_recorded_resolved,
        resolved_max_total=resolved_max_total,
        resolved=resolved,
        reason=reason,
    )


class AdverseEventType(StrEnum):
    """Session adverse events named in the esketamine label's boxed warning and warnings
    (sedation, dissociation, respiratory depression, BP increase, suicidality; reference
    §2.4) plus ``OTHER`` with a required description."""

    SEDATION = "sedation"
    LOSS_OF_CONSCIOUSNESS = "loss_of_consciousness"
    DISSOCIATION = "dissociation"
    RESPIRATORY_DEPRESSION = "respiratory_depression"
    OXYGEN_DESATURATION = "oxygen_desaturation"
    BLOOD_PRESSURE_INCREASE = "blood_pressure_increase"
    SUICIDAL_IDEATION_OR_BEHAVIOR = "suicidal_ideation_or_behavior"
    OTHER = "other"


class AdverseEventSeverity(StrEnum):
    """CTCAE v5.0 general grades (NCI, 2017)."""

    MILD = "mild"  # grade 1: asymptomatic or mild; intervention not indicated
    MODERATE = "moderate"  # grade 2: minimal, local or noninvasive intervention indicated
    SEVERE = "severe"  # grade 3: medically significant, not immediately life-threatening
    LIFE_THREATENING = "life_threatening"  # grade 4: urgent intervention indicated
    DEATH = "death"  # grade 5: death related to the adverse event

    @property
    def ctcae_grade(self) -> int:
        return _CTCAE_GRADE[self]


_CTCAE_GRADE = {
    AdverseEventSeverity.MILD: 1,
    AdverseEventSeverity.MODERATE: 2,
    AdverseEventSeverity.SEVERE: 3,
    AdverseEventSeverity.LIFE_THREATENING: 4,
    AdverseEventSeverity.DEATH: 5,
}
ADVERSE_EVENT_SEVERITY_SOURCE = CTCAE_V5


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """One adverse event during a session; ``OTHER`` needs a description."""

    event_type: AdverseEventType
    severity: AdverseEventSeverity
    onset_at: datetime
    description: str = ""
    resolved_at: datetime | None = None

    def __post_init__(self) -> None:
        try:
            AdverseEventType(self.event_type)
            AdverseEventSeverity(self.severity)
        except ValueError:
            raise InvalidClinicalInput(
                "adverse_event_invalid",
                "Adverse event type or severity is not a known value.",
                {"event_type": str(self.event_type), "severity": str(self.severity)},
            ) from None
        require(
            self.event_type is not AdverseEventType.OTHER or bool(self.description.strip()),
            "adverse_event_description_required",
            "Describe an adverse event recorded as 'other'.",
            field="description",
        )
        require_aware(self.onset_at, "onset_at")
        if self.resolved_at is not None:
            require_aware(self.resolved_at, "resolved_at")
            require(
                self.resolved_at >= self.onset_at,
                "adverse_event_invalid",
                "An adverse event cannot resolve before its onset.",
                field="resolved_at",
            )
