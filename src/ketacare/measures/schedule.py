"""Which assessments are due: the clinic's schedule rules applied to one patient's timeline.

The default schedule is a KetaCare PRODUCT CHOICE, not a published rule; a clinic replaces it
with its own rows (``services.schedule_assessments``). Defaults:

- baseline (before the first dose): PHQ-9, GAD-7 and the C-SSRS screener; a baseline older
  than 30 days is repeated;
- before each dose: PHQ-9 (its item 9 doubles as the same-day suicidality screen, rule 22);
- after the first dose: PHQ-9 at 24 h, due from 20 h to 28 h (the outcomes engine's rapid
  response flag counts scores up to 24 h after the first dose, S16);
- follow-up: PHQ-9 and GAD-7 every 7 days once treatment has started.

Caveat shown to clinicians in the docs: PHQ-9 and GAD-7 ask about the past two weeks, so a
24-hour or weekly repeat measures change within an overlapping recall window.

``due_assessments`` is a plain function over plain data (no database, no clock), so it is
tested with fixed instants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

BASELINE = "baseline"
PRE_DOSE = "pre_dose"
AFTER_FIRST_DOSE = "after_first_dose"
FOLLOW_UP = "follow_up"

# The assessment context a due item is recorded in.
CONTEXT_FOR_PHASE = {
    BASELINE: "baseline",
    PRE_DOSE: "pre_dose",
    AFTER_FIRST_DOSE: "post_dose",
    FOLLOW_UP: "follow_up",
}


@dataclass(frozen=True, slots=True)
class ScheduleRule:
    instrument: str
    phase: str
    offset_hours: int | None = None
    window_hours: int | None = None
    interval_days: int | None = None


DEFAULT_SCHEDULE: tuple[ScheduleRule, ...] = (
    ScheduleRule("phq9", BASELINE, interval_days=30),
    ScheduleRule("gad7", BASELINE, interval_days=30),
    ScheduleRule("cssrs_screener", BASELINE, interval_days=30),
    ScheduleRule("phq9", PRE_DOSE),
    ScheduleRule("phq9", AFTER_FIRST_DOSE, offset_hours=24, window_hours=4),
    ScheduleRule("phq9", FOLLOW_UP, interval_days=7),
    ScheduleRule("gad7", FOLLOW_UP, interval_days=7),
)


@dataclass(frozen=True, slots=True)
class TakenAssessment:
    instrument: str
    context: str
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class DueAssessment:
    instrument: str
    phase: str
    context: str
    due_from: datetime
    due_until: datetime | None
    reason: str


def due_assessments(
    rules: Iterable[ScheduleRule],
    taken: Sequence[TakenAssessment],
    dose_times: Sequence[datetime],
    sessions_today: Sequence[datetime],
    *,
    as_of: datetime,
) -> list[DueAssessment]:
    """Assessments due at ``as_of``. ``sessions_today`` are the scheduled, not yet dosed
    sessions on the day of ``as_of``; ``dose_times`` every dose given (any order)."""
    doses = sorted(t for t in dose_times if t <= as_of)
    first_dose = doses[0] if doses else None
    due: list[DueAssessment] = []

    def latest(instrument: str, contexts: set[str], since: datetime | None = None):
        times = [
            a.taken_at
            for a in taken
            if a.instrument == instrument
            and a.context in contexts
            and a.taken_at <= as_of
            and (since is None or a.taken_at >= since)
        ]
        return max(times) if times else None

    for rule in rules:
        context = CONTEXT_FOR_PHASE[rule.phase]
        if rule.phase == BASELINE:
            if first_dose is not None:
                continue
            validity = timedelta(days=rule.interval_days or 30)
            last = latest(rule.instrument, {"baseline"})
            if last is None or as_of - last > validity:
                due.append(
                    DueAssessment(
                        rule.instrument,
                        rule.phase,
                        context,
                        last + validity if last else as_of,
                        None,
                        "No recent baseline before the first dose.",
                    )
                )
        elif rule.phase == PRE_DOSE:
            for session_at in sessions_today:
                day_start = session_at.replace(hour=0, minute=0, second=0, microsecond=0)
                if latest(rule.instrument, {"pre_dose"}, since=day_start) is None:
                    due.append(
                        DueAssessment(
                            rule.instrument,
                            rule.phase,
                            context,
                            day_start,
                            session_at,
                            f"Before today's session at {session_at:%H:%M}.",
                        )
                    )
                    break
        elif rule.phase == AFTER_FIRST_DOSE:
            if first_dose is None or rule.offset_hours is None:
                continue
            window = timedelta(hours=rule.window_hours or 0)
            target = first_dose + timedelta(hours=rule.offset_hours)
            start, end = target - window, target + window
            done = latest(rule.instrument, {"post_dose"}, since=first_dose + timedelta(hours=1))
            if start <= as_of <= end and done is None:
                due.append(
                    DueAssessment(
                        rule.instrument,
                        rule.phase,
                        context,
                        start,
                        end,
                        f"{rule.offset_hours} hours after the first dose.",
                    )
                )
        elif rule.phase == FOLLOW_UP:
            if first_dose is None or rule.interval_days is None:
                continue
            interval = timedelta(days=rule.interval_days)
            # Any score outside the acute drug effect counts (pre-dose scores in the acute
            # series keep the weekly follow-up from doubling up).
            last = latest(rule.instrument, {"baseline", "pre_dose", "follow_up"}, since=first_dose)
            due_from = (last or first_dose) + interval
            if as_of >= due_from:
                due.append(
                    DueAssessment(
                        rule.instrument,
                        rule.phase,
                        context,
                        due_from,
                        None,
                        f"Every {rule.interval_days} days during treatment and follow-up.",
                    )
                )
    return sorted(due, key=lambda d: (d.due_from, d.instrument))
