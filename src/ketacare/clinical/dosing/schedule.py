"""Session schedules: proposing a course and checking a proposed session against it.

Implements reference rules 5, 15 and 18:

- Frequency caps per course week from the protocol's phases: esketamine TRD twice weekly in
  weeks 1-4, weekly in weeks 5-8, weekly (or every 2 weeks) from week 9; MDSI twice weekly,
  flagged after week 4 (S2, S3); ELEKT-D twice weekly for 3 weeks (S15); Murrough three times
  weekly up to 6 (S16); KADS twice weekly for 4 weeks (S21).
- More than 12 acute racemic sessions is flagged (KetECT maximum, S17).
- An efficacy review is due before continuing past esketamine induction (S2, S3).

Course week 1 is days 0-6 counted from the course start date; week n is days 7(n-1)..7n-1.
Dates are compared in the timezone of the datetimes the caller passes (use clinic local time).

Minimum spacing (a KetaCare derivation, not a published number, hence a warning that needs an
acknowledgment, ``session_spacing_too_short``, issue 16.2: the US label gives "twice per week"
without a spacing rule; the EU SmPC's "not recommended on two consecutive days" is guidance
read in a copy):
k sessions a week evenly spaced are 7/k days apart; we allow one day of flexibility
(floor(7/k) - 1 days) but never fewer than ``MIN_DAYS_BETWEEN_SESSIONS`` (2) days, because no
cited protocol doses on consecutive days. Twice weekly => at least 2 days apart; three times
weekly => 2 days (Murrough's alternate days); weekly => 6 days.

Deliberately NOT done: maintenance timing after an acute series (individualized, S19), futility
review after 3 infusions (outcomes area), missed-dose re-initiation (S7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from ketacare.clinical.dosing.protocols import FixedStepDose, Indication, Phase, Protocol
from ketacare.clinical.dosing.references import KETECT_2022, SPACING_DERIVED, SPRAVATO_LABEL_SUMMARY
from ketacare.clinical.errors import InvalidClinicalInput, require
from ketacare.clinical.gates import Finding, GateDecision
from ketacare.clinical.sources import cited

MIN_DAYS_BETWEEN_SESSIONS = cited("MIN_DAYS_BETWEEN_SESSIONS", 2, "days", SPACING_DERIVED)
DAYS_PER_WEEK = 7


def min_spacing_days(max_sessions_per_week: int) -> int:
    """Smallest number of calendar days between two sessions for a weekly frequency cap."""
    require(
        isinstance(max_sessions_per_week, int) and 1 <= max_sessions_per_week <= DAYS_PER_WEEK,
        "invalid_frequency",
        "Sessions per week must be between 1 and 7.",
    )
    return max(MIN_DAYS_BETWEEN_SESSIONS, DAYS_PER_WEEK // max_sessions_per_week - 1)


def course_week(course_start: date, on: date) -> int:
    """Course week (1-based) of the date ``on``."""
    require(on >= course_start, "session_before_course_start", "A session precedes the course.")
    return (on - course_start).days // DAYS_PER_WEEK + 1


@dataclass(frozen=True, slots=True)
class ScheduleParams:
    """``sessions``: how many to propose (default: the protocol's planned count).
    ``sessions_per_week``: fewer than the phase maximum, if wanted.
    ``open_phase_every_weeks``: for the open-ended last phase, 1 = weekly, 2 = every 2 weeks."""

    sessions: int | None = None
    sessions_per_week: int | None = None
    open_phase_every_weeks: int = 1


@dataclass(frozen=True, slots=True)
class ProposedSession:
    number: int  # 1-based within the course
    on_date: date
    at: datetime | None  # set when the course start was a datetime (same time of day)
    course_week: int
    max_sessions_per_week: int
    allowed_doses_mg: tuple[Decimal, ...]
    suggested_dose_mg: Decimal | None  # the label's first-session dose, where one exists
    flags: tuple[str, ...]


def _offsets(per_week: int) -> list[int]:
    # Even spacing inside the week: 1 -> [0]; 2 -> [0, 4]; 3 -> [0, 2, 5] (gaps >= 2 days).
    return sorted({round(i * DAYS_PER_WEEK / per_week) for i in range(per_week)})


def propose_schedule(
    protocol: Protocol, start: date | datetime, params: ScheduleParams | None = None
) -> tuple[ProposedSession, ...]:
    """Evenly spaced sessions from ``start`` that respect each phase's weekly cap and spacing."""
    params = params or ScheduleParams()
    if isinstance(start, datetime):
        require(
            start.tzinfo is not None and start.utcoffset() is not None,
            "naive_datetime",
            "The course start must be timezone-aware.",
            field="start",
        )
    start_date = start.date() if isinstance(start, datetime) else start
    count = params.sessions if params.sessions is not None else protocol.schedule.planned_sessions
    if count is None:
        raise InvalidClinicalInput(
            "session_count_required",
            f"Protocol {protocol.code} has no planned number of sessions; say how many.",
            {"protocol": protocol.code},
        )
    require(
        isinstance(count, int) and count >= 1,
        "invalid_session_count",
        "Propose at least one session.",
    )
    require(
        params.sessions_per_week is None
        or (isinstance(params.sessions_per_week, int) and params.sessions_per_week >= 1),
        "invalid_frequency",
        "Sessions per week must be at least 1.",
    )
    require(
        params.open_phase_every_weeks in (1, 2),
        "invalid_interval",
        "The open-ended phase runs weekly (1) or every 2 weeks (2).",
        field="open_phase_every_weeks",
    )
    rule = protocol.dose_rule
    start_dose = rule.start_dose_mg if isinstance(rule, FixedStepDose) else None
    sessions: list[ProposedSession] = []
    week = 1
    while len(sessions) < count:
        phase = protocol.schedule.phase_for_week(week)
        if phase is None:
            raise InvalidClinicalInput(
                "schedule_exceeds_protocol",
                f"Protocol {protocol.code} schedules at most {len(sessions)} sessions; "
                f"{count} were asked for.",
                {"protocol": protocol.code, "requested": count},
            )
        per_week = min(phase.max_sessions_per_week, params.sessions_per_week or DAYS_PER_WEEK)
        if phase.last_week is None and (week - phase.first_week) % params.open_phase_every_weeks:
            week += 1
            continue
        for offset in _offsets(per_week):
            if len(sessions) >= count:
                break
            on = start_date + timedelta(days=(week - 1) * DAYS_PER_WEEK + offset)
            at = start + (on - start_date) if isinstance(start, datetime) else None
            number = len(sessions) + 1
            sessions.append(
                ProposedSession(
                    number=number,
                    on_date=on,
                    at=at,
                    course_week=week,
                    max_sessions_per_week=phase.max_sessions_per_week,
                    allowed_doses_mg=phase.allowed_doses_mg,
                    suggested_dose_mg=start_dose if number == 1 else None,
                    flags=_flags_for(protocol, phase, number),
                )
            )
        week += 1
    return tuple(sessions)


def _flags_for(protocol: Protocol, phase: Phase, number: int) -> tuple[str, ...]:
    flags = []
    if phase.flag_code:
        flags.append(phase.flag_code)
    limit = protocol.schedule.acute_series_flag_above
    if limit is not None and number > limit:
        flags.append("acute_series_over_12")
    return tuple(flags)


def check_schedule(
    protocol: Protocol,
    past_sessions: Sequence[datetime],
    proposed: datetime,
    *,
    course_start: date | datetime,
    efficacy_review_done: bool = False,
) -> GateDecision:
    """Check a proposed session against the course so far (same course, any order of input).

    Blockers (overridable with a prescriber reason): ``schedule_frequency_exceeded``,
    ``induction_review_due``. Acknowledgment-warnings (a licensed clinician's reason):
    ``session_spacing_too_short``. Warnings: ``acute_series_over_12``,
    the phase flag (``mdsi_beyond_4_weeks``), ``beyond_protocol_schedule``,
    ``planned_sessions_exceeded``."""
    require(
        proposed.tzinfo is not None and proposed.utcoffset() is not None,
        "naive_datetime",
        "The proposed session time must be timezone-aware.",
        field="proposed",
    )
    tz = proposed.tzinfo
    for index, t in enumerate(past_sessions):
        require(
            isinstance(t, datetime) and t.tzinfo is not None and t.utcoffset() is not None,
            "naive_datetime",
            "Past session times must be timezone-aware.",
            index=index,
        )
        require(t < proposed, "past_session_after_proposed", "A past session is not earlier.")
    if isinstance(course_start, datetime):
        require(
            course_start.tzinfo is not None and course_start.utcoffset() is not None,
            "naive_datetime",
            "The course start must be timezone-aware.",
            field="course_start",
        )
        start_date = course_start.astimezone(tz).date()
    else:
        start_date = course_start
    past_dates = sorted(t.astimezone(tz).date() for t in past_sessions)
    for d in past_dates:
        course_week(start_date, d)  # refuses a past session before the course start
    on = proposed.date()
    week = course_week(start_date, on)
    schedule = protocol.schedule
    phase = schedule.phase_for_week(week)
    blockers: list[Finding] = []
    warnings: list[Finding] = []
    acknowledgments: list[Finding] = []

    if phase is None:
        last = schedule.phases[-1]
        warnings.append(
            Finding(
                "beyond_protocol_schedule",
                f"Week {week} is after the end of the protocol's schedule (week "
                f"{last.last_week}); continuing is an individual prescriber decision.",
                schedule.source,
                data=(("course_week", week),),
            )
        )
        spacing_cap = last.max_sessions_per_week
    else:
        spacing_cap = phase.max_sessions_per_week
        in_week = sum(1 for d in past_dates if course_week(start_date, d) == week) + 1
        if in_week > phase.max_sessions_per_week:
            blockers.append(
                Finding(
                    "schedule_frequency_exceeded",
                    f"This would be session {in_week} in course week {week}; the protocol "
                    f"allows {phase.max_sessions_per_week} per week in this phase.",
                    phase.source,
                    data=(("course_week", week), ("max_per_week", phase.max_sessions_per_week)),
                )
            )
        if phase.flag_code and phase.flag_message:
            warnings.append(
                Finding(
                    phase.flag_code,
                    phase.flag_message,
                    phase.source,
                    data=(("course_week", week),),
                )
            )

    if past_dates:
        gap = (on - past_dates[-1]).days
        # Across a phase change (e.g. last induction session, then first weekly one) the
        # spacing of the more frequent phase applies, so the label's own schedule passes.
        last_phase = schedule.phase_for_week(course_week(start_date, past_dates[-1]))
        if last_phase is not None:
            spacing_cap = max(spacing_cap, last_phase.max_sessions_per_week)
        need = min_spacing_days(spacing_cap)
        if gap < need:
            acknowledgments.append(
                Finding(
                    "session_spacing_too_short",
                    f"Only {gap} day(s) since the last session; this protocol's sessions are "
                    f"usually at least {need} days apart (a KetaCare rule from the published "
                    "schedules); acknowledge proceeding with a reason.",
                    SPACING_DERIVED,
                    overridable=False,  # acknowledged, not overridden
                    data=(("days_since_last", gap), ("min_days", need)),
                )
            )

    number = len(past_dates) + 1
    limit = schedule.acute_series_flag_above
    if limit is not None and number > limit:
        warnings.append(
            Finding(
                "acute_series_over_12",
                f"This would be session {number}; the longest cited acute series (KetECT) "
                f"allowed at most {limit}.",
                KETECT_2022,
                data=(("session_number", number), ("limit", limit)),
            )
        )
    planned = schedule.planned_sessions
    if planned is not None and number > planned:
        warnings.append(
            Finding(
                "planned_sessions_exceeded",
                f"This would be session {number}; the protocol plans {planned}.",
                schedule.source,
                data=(("session_number", number), ("planned", planned)),
            )
        )
    review_week = schedule.review_after_week
    if review_week is not None and week > review_week and not efficacy_review_done:
        what = (
            "end of the 4-week induction"
            if protocol.indication is Indication.TRD
            else f"first {review_week} weeks"
        )
        blockers.append(
            Finding(
                "induction_review_due",
                f"Evaluate therapeutic benefit at the {what} before continuing (label).",
                SPRAVATO_LABEL_SUMMARY,
                data=(("course_week", week), ("review_after_week", review_week)),
            )
        )
    return GateDecision(tuple(blockers), tuple(warnings), tuple(acknowledgments))
