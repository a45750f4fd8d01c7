"""When test patients were registered: long enough ago that the history a scenario records
(weights, scales, sessions in the past) falls after registration, as in a real clinic where
a reading cannot predate the patient's record (ketacare.clinical.plausibility)."""

from datetime import datetime, timedelta

from django.utils import timezone


def registered_long_ago() -> datetime:
    return timezone.now() - timedelta(days=5 * 365)
