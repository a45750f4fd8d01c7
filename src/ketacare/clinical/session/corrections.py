"""Taking back a mistyped vital-sign reading: a superseding correction, never an edit.

A reading, once recorded, is a clinical record: it is never changed or deleted. A reading the
nurse mistyped can be *superseded* by a correction record shortly after it was recorded; the
original stays (with who recorded it and when), the correction says who took it back, when
and why, and every clinical decision from then on (pre-dose gate, vitals due, discharge
readiness, the REMS form) reads only the readings that are not superseded.

Rules (``check_vitals_undo``):

- only within ``VITALS_UNDO_WINDOW`` of the moment the reading was *recorded* (not the time
  it was taken, which may be typed as earlier);
- only by the person who recorded it (a colleague's reading stands as theirs);
- only while the session is in progress (a discharged session's readings are what the
  discharge and the REMS form were decided on).

What this deliberately does not do: correct a reading after the window. Past it the reading
stands, and the clinician records a new one; the window bounds how long a value that others
may already have acted on can silently disappear from the gates.

The one-minute window is a product rule of the run sheet (issue 17.3: "undo within a minute
for a mistyped reading"), not a clinical number, so it has no ``cited`` source.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ketacare.clinical.errors import require

# Product rule (issue 17.3), not a clinical value: how long after recording a reading its
# recorder may take it back as mistyped.
VITALS_UNDO_WINDOW = timedelta(minutes=1)


def vitals_undo_deadline(recorded_at: datetime) -> datetime:
    """The last instant at which a reading recorded at ``recorded_at`` may be taken back."""
    return recorded_at + VITALS_UNDO_WINDOW


def check_vitals_undo(
    *,
    recorded_at: datetime,
    recorded_by: object,
    actor: object,
    already_superseded: bool,
    session_in_progress: bool,
    as_of: datetime,
) -> None:
    """Raise ``InvalidClinicalInput`` unless the reading may be superseded now.

    ``recorded_by``/``actor`` are compared for identity (user ids); ``as_of`` is aware."""
    require(
        recorded_at.tzinfo is not None and as_of.tzinfo is not None,
        "naive_datetime",
        "Times must be timezone-aware.",
    )
    require(
        not already_superseded,
        "reading_already_superseded",
        "This reading has already been taken back.",
    )
    require(
        session_in_progress,
        "session_not_in_progress",
        "Readings can only be taken back while the session is in progress.",
    )
    require(
        recorded_by == actor,
        "undo_not_recorder",
        "Only the person who recorded a reading can take it back; record a new reading instead.",
    )
    deadline = vitals_undo_deadline(recorded_at)
    require(
        as_of <= deadline,
        "undo_window_passed",
        "A reading can be taken back only within a minute of recording it; "
        "this one stands. Record a new reading instead.",
        deadline=deadline.isoformat(),
    )
