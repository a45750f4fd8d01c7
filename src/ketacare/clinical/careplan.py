"""Treatment-plan rules: the clinic's "integration session after each dose" policy.

Implements ``check_integration_sessions``: given the calendar dates of a patient's doses, the
dates of their integration (psychotherapy) sessions and the clinic's window of N days, each
dose is ``covered`` (an integration session on the dose day or within N days after it),
``pending`` (none yet, but the window is still open on ``as_of``) or ``missing`` (the window
closed without one). ``integration_gaps`` returns only the missing ones.

Source: none. This is a **clinic policy, not a clinical constant**: no guideline retrieved for
KetaCare (clinical reference §1, §3) sets how soon integration psychotherapy must follow a
ketamine or esketamine dose. The rule is off unless a clinic chooses N, and KetaCare ships no
default N. Window bounds below are input sanity only.

Deliberately not done: dates are calendar days in the clinic's time zone (the caller converts
dose times; the core has no clock or zone); one integration session may cover several doses
(the rule asks that each dose be followed within N days, not for one session per dose); no
judgement on the content or quality of the session; no blocking of doses (a gap is shown to the
team, it never refuses treatment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from ketacare.clinical.errors import InvalidClinicalInput

# Input sanity for a clinic-chosen window, not a clinical threshold: 0 means "the same day".
INTEGRATION_WINDOW_DAYS_MIN = 0
INTEGRATION_WINDOW_DAYS_MAX = 90


class IntegrationStatus(StrEnum):
    COVERED = "covered"
    PENDING = "pending"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class IntegrationCheck:
    """One dose and whether an integration session followed it within the window."""

    dose_date: date
    due_by: date  # last calendar day on which an integration session still counts
    status: IntegrationStatus
    covered_by: date | None = None  # the earliest integration session in the window

    @property
    def code(self) -> str:
        return f"integration_session_{self.status.value}"

    @property
    def message(self) -> str:
        if self.status is IntegrationStatus.COVERED:
            return f"Dose on {self.dose_date}: integration session held on {self.covered_by}."
        if self.status is IntegrationStatus.PENDING:
            return f"Dose on {self.dose_date}: integration session due by {self.due_by}."
        return f"Dose on {self.dose_date}: no integration session by {self.due_by} (clinic policy)."


def validate_window_days(window_days: int) -> int:
    """The clinic's window in whole days, within input-sanity bounds."""
    if (
        isinstance(window_days, bool)
        or not isinstance(window_days, int)
        or not INTEGRATION_WINDOW_DAYS_MIN <= window_days <= INTEGRATION_WINDOW_DAYS_MAX
    ):
        raise InvalidClinicalInput(
            "integration_window_out_of_range",
            f"The integration-session window must be a whole number of days from "
            f"{INTEGRATION_WINDOW_DAYS_MIN} to {INTEGRATION_WINDOW_DAYS_MAX}.",
            {"field": "integration_window_days", "value": window_days},
        )
    return window_days


def _dates(values: Sequence[date], field: str) -> list[date]:
    bad = [v for v in values if not isinstance(v, date) or isinstance(v, datetime)]
    if bad:
        raise InvalidClinicalInput(
            "not_a_date", f"{field} must be calendar dates.", {"field": field}
        )
    return sorted(values)


def check_integration_sessions(
    dose_dates: Sequence[date],
    integration_session_dates: Sequence[date],
    *,
    window_days: int,
    as_of: date,
) -> tuple[IntegrationCheck, ...]:
    """One check per dose (oldest first): covered, pending or missing, for a window of
    ``window_days`` calendar days after the dose day (the dose day itself counts)."""
    window = validate_window_days(window_days)
    doses = _dates(dose_dates, "dose_dates")
    sessions = _dates(integration_session_dates, "integration_session_dates")
    if not isinstance(as_of, date) or isinstance(as_of, datetime):
        raise InvalidClinicalInput("not_a_date", "as_of must be a calendar date.")
    checks = []
    for dose in doses:
        due_by = dose + timedelta(days=window)
        held = next((s for s in sessions if dose <= s <= due_by), None)
        if held is not None:
            status = IntegrationStatus.COVERED
        elif as_of <= due_by:
            status = IntegrationStatus.PENDING
        else:
            status = IntegrationStatus.MISSING
        checks.append(IntegrationCheck(dose, due_by, status, held))
    return tuple(checks)


def integration_gaps(
    dose_dates: Sequence[date],
    integration_session_dates: Sequence[date],
    *,
    window_days: int,
    as_of: date,
) -> tuple[IntegrationCheck, ...]:
    """Doses whose window closed without an integration session."""
    return tuple(
        c
        for c in check_integration_sessions(
            dose_dates, integration_session_dates, window_days=window_days, as_of=as_of
        )
        if c.status is IntegrationStatus.MISSING
    )
