"""The Django side of the core's plausibility rules (``ketacare.clinical.plausibility``):
the clinic's clock-skew setting and the patient's registration time, for every service that
stores a reading or a dose."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from ketacare.clinical.plausibility import require_plausible_reading_time


def clock_skew() -> timedelta:
    """``KETACARE_CLOCK_SKEW_SECONDS`` (default 300): how far ahead of the server a reading
    may be dated before it counts as in the future."""
    return timedelta(seconds=settings.CLOCK_SKEW_SECONDS)


def require_reading_time(
    patient: Any,
    when: datetime,
    field: str,
    *,
    now: datetime | None = None,
    future_code: str = "time_in_future",
) -> None:
    """``when`` is not before ``patient``'s registration nor beyond now plus the skew."""
    require_plausible_reading_time(
        when,
        field=field,
        registered_at=getattr(patient, "created_at", None),
        now=now or timezone.now(),
        clock_skew=clock_skew(),
        future_code=future_code,
    )
