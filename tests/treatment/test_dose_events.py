from datetime import timedelta

from django.utils import timezone

from ketacare.clinical.outcomes.definitions import DoseEvent
from ketacare.treatment.selectors import list_dose_events


def test_dose_events_list_every_dose_oldest_first_for_the_outcomes_engine(
    raw_session, raw_dose, patient
):
    now = timezone.now()
    later = raw_dose(raw_session(number=1), now - timedelta(days=3))
    earlier = raw_dose(raw_session(number=1), now - timedelta(days=7))
    events = list_dose_events(patient)
    assert events == [
        DoseEvent(given_at=earlier.started_at, dose_id=str(earlier.pk)),
        DoseEvent(given_at=later.started_at, dose_id=str(later.pk)),
    ]


def test_a_patient_without_doses_has_no_dose_events(patient):
    assert list_dose_events(patient) == []
