"""The demo clinic's assessments: months of history, profiles with different outcomes, an
open item-9 alert for today and a portal patient with a history."""

from django.utils import timezone

from ketacare.demo.seed import seed_demo_clinic
from ketacare.measures.models import Assessment, PortalLink, SafetyAlert
from ketacare.measures.selectors import outcomes_for


def test_demo_has_assessment_histories_alerts_and_a_portal_self_report(db):
    assert seed_demo_clinic(password="demo-password-for-tests")
    assert Assessment.objects.values("patient").distinct().count() == 12
    assert set(Assessment.objects.values_list("context", flat=True)) == {
        "baseline",
        "pre_dose",
        "post_dose",
        "follow_up",
    }
    today = timezone.localdate()
    item9_today = SafetyAlert.objects.filter(code="phq9_item9_positive", status="open")
    assert any(timezone.localtime(a.created_at).date() == today for a in item9_today)
    assert SafetyAlert.objects.filter(status="acknowledged").exists()
    assert Assessment.objects.filter(channel="portal").count() == 1
    assert PortalLink.objects.filter(used_at__isnull=True).count() == 1
    oldest = Assessment.objects.order_by("taken_at").first().taken_at
    assert (timezone.now() - oldest).days >= 90
    # Treated demo patients show each outcome profile (statuses from the core).
    statuses = set()
    for patient_id in Assessment.objects.values_list("patient", flat=True).distinct():
        patient = Assessment.objects.filter(patient_id=patient_id).first().patient
        statuses |= {str(i.status) for i in outcomes_for(patient).assessment.instruments}
    assert {"remission", "responding", "non_response", "relapse"} <= statuses
