"""The demo clinic's plans: written through the services, revised for some patients, with
integration sessions recorded under the demo clinic's own example policy."""

from ketacare.careplans.models import CarePlan, CarePlanPolicy, PsychotherapySession
from ketacare.demo.seed import seed_demo_clinic


def test_demo_has_current_and_superseded_plans_and_integration_sessions(db):
    assert seed_demo_clinic(password="demo-password-for-tests")
    assert CarePlan.objects.filter(status="active").count() == 20
    assert CarePlan.objects.filter(status="superseded").count() == 5
    assert PsychotherapySession.objects.filter(subkind="integration").exists()
    assert CarePlanPolicy.objects.get().integration_window_days == 7
