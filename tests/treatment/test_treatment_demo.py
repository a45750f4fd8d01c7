from ketacare.audit.services import verify_chain
from ketacare.demo.seed import seed_demo_clinic
from ketacare.treatment.models import (
    Course,
    DoseAdministration,
    RemsForm,
    SessionObservation,
    TreatmentSession,
    VitalsReading,
)


def test_demo_has_courses_completed_sessions_with_vitals_and_scores_and_rems_forms(db):
    assert seed_demo_clinic(password="demo-password-for-tests")
    assert Course.objects.filter(route="intranasal").exists()
    assert Course.objects.filter(route="iv").exists()
    done = TreatmentSession.objects.filter(state="discharged")
    assert done.count() >= 6
    assert TreatmentSession.objects.filter(state="scheduled").exists()  # today and later
    assert DoseAdministration.objects.count() == done.count()
    assert VitalsReading.objects.filter(session__in=done).count() >= 3 * done.count()
    assert SessionObservation.objects.filter(scale="cadss").exists()
    assert RemsForm.objects.filter(submitted_at__isnull=False).exists()
    assert RemsForm.objects.filter(submitted_at__isnull=True).exists()
    assert verify_chain().ok
