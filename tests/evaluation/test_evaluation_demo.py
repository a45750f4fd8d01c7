"""The demo clinic's consent and evaluation history: written through the services, with the
mix of consent states and verdicts the demo promises."""

from collections import Counter

from django.utils import timezone

from ketacare.consent.selectors import consent_status_for
from ketacare.demo.seed import seed_demo_clinic
from ketacare.evaluation.models import CautionAcknowledgment, Evaluation
from ketacare.patients.models import Patient


def test_demo_has_consents_in_every_state_and_a_mix_of_verdicts(db):
    assert seed_demo_clinic(password="demo-password-for-tests")
    now = timezone.now()
    codes = Counter()
    for patient in Patient.objects.all():
        statuses = {
            consent_status_for(patient, route, as_of=now).code
            for route in ("iv", "im", "sc", "intranasal")
        }
        codes.update(statuses - {"consent_missing"} or {"consent_missing"})
    assert codes["consent_valid"] >= 20
    assert codes["consent_withdrawn"] == 1
    assert codes["consent_superseded"] == 1
    assert codes["consent_missing"] == 4

    verdicts = Counter(Evaluation.objects.values_list("verdict", flat=True))
    assert set(verdicts) == {"eligible", "eligible_with_cautions", "needs_review", "not_eligible"}
    assert CautionAcknowledgment.objects.exists()
