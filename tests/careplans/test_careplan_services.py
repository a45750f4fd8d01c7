from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditAction, AuditEntry
from ketacare.careplans import selectors, services
from ketacare.careplans.models import (
    CarePlan,
    CarePlanPolicy,
    ComponentStatus,
    PlanComponent,
    PlanStatus,
    PsychotherapySession,
)
from ketacare.careplans.services import ComponentInput
from ketacare.clinical.careplan import IntegrationStatus
from ketacare.clinical.errors import InvalidClinicalInput


def _components(therapist):
    return [
        ComponentInput(kind="ketamine_course", description="IV ketamine acute series"),
        ComponentInput(
            kind="psychotherapy",
            subkind="integration",
            description="Integration session after each infusion",
            owner_id=therapist.pk,
            frequency="after each dose",
        ),
        ComponentInput(kind="lifestyle", subkind="sleep", description="Regular sleep times"),
    ]


@pytest.fixture
def plan(therapist, patient):
    return services.record_plan(
        actor=therapist,
        patient=patient,
        goals=["PHQ-9 below 5", "Back to work part time"],
        components=_components(therapist),
    )


def test_therapist_records_a_first_plan_with_components_and_it_is_audited(plan, therapist):
    assert plan.version == 1
    assert plan.status == PlanStatus.ACTIVE
    assert [c.kind_label for c in plan.components.all()] == [
        "Ketamine or esketamine course",
        "Psychotherapy: Integration sessions",
        "Lifestyle: Sleep",
    ]
    assert plan.components.all()[1].owner == therapist
    entry = AuditEntry.objects.filter(action=AuditAction.CREATE, target_type="careplans.CarePlan")
    assert entry.get().changes["after"]["version"] == 1


def test_a_changed_plan_is_a_new_version_and_the_old_one_is_kept_superseded(
    plan, prescriber, patient
):
    v2 = services.record_plan(
        actor=prescriber,
        patient=patient,
        goals=["PHQ-9 below 5"],
        components=[ComponentInput(kind="medication_management", description="Taper lorazepam")],
        change_reason="Integration moved to community therapist",
    )
    plan.refresh_from_db()
    assert (v2.version, v2.supersedes, v2.status) == (2, plan, PlanStatus.ACTIVE)
    assert plan.status == PlanStatus.SUPERSEDED
    assert PlanComponent.objects.filter(plan=plan).count() == 3  # old components kept
    assert AuditEntry.objects.filter(action=AuditAction.SUPERSEDE).get().reason == (
        "Integration moved to community therapist"
    )


def test_new_version_without_a_reason_is_refused_and_nothing_changes(
    plan, prescriber, patient, unchanged
):
    check = unchanged(CarePlan, PlanComponent)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.record_plan(actor=prescriber, patient=patient, goals=["x"], components=[])
    assert exc.value.code == "plan_change_reason_required"
    check()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE


def test_nurse_cannot_manage_the_plan(nurse, patient, unchanged):
    check = unchanged(CarePlan, PlanComponent)
    with pytest.raises(PermissionDenied):
        services.record_plan(actor=nurse, patient=patient, goals=["x"], components=[])
    check()


@pytest.mark.parametrize(
    ("component", "code"),
    [
        (ComponentInput(kind="psychotherapy", description="x"), "component_subkind_invalid"),
        (
            ComponentInput(kind="lifestyle", subkind="cbt", description="x"),
            "component_subkind_invalid",
        ),
        (
            ComponentInput(kind="other", subkind="sleep", description="x"),
            "component_subkind_invalid",
        ),
        (
            ComponentInput(
                kind="lifestyle", subkind="sleep", description="x", treatment_course_id=4
            ),
            "course_link_not_a_course",
        ),
        (
            ComponentInput(
                kind="other",
                description="x",
                start_date=date(2026, 3, 2),
                end_date=date(2026, 3, 1),
            ),
            "component_ends_before_start",
        ),
        (ComponentInput(kind="other", description="   "), "component_description_required"),
    ],
)
def test_inconsistent_component_is_refused_and_nothing_is_written(
    therapist, patient, unchanged, component, code
):
    check = unchanged(CarePlan, PlanComponent)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.record_plan(actor=therapist, patient=patient, goals=["x"], components=[component])
    assert exc.value.code == code
    check()


def test_plan_without_a_goal_is_refused(therapist, patient, unchanged):
    check = unchanged(CarePlan)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.record_plan(actor=therapist, patient=patient, goals=["  "], components=[])
    assert exc.value.code == "plan_goal_required"
    check()


@pytest.mark.parametrize("owner_name", ["patient_user", "outsider"])
def test_component_owner_must_be_staff_of_this_clinic(
    request, therapist, patient, unchanged, owner_name
):
    owner = request.getfixturevalue(owner_name)
    check = unchanged(CarePlan, PlanComponent)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.record_plan(
            actor=therapist,
            patient=patient,
            goals=["x"],
            components=[ComponentInput(kind="other", description="x", owner_id=owner.pk)],
        )
    assert exc.value.code == "owner_not_on_staff"
    check()


def test_component_status_change_is_audited_with_before_and_after(plan, therapist):
    component = plan.components.all()[0]
    services.record_component_status(actor=therapist, component=component, status="active")
    component.refresh_from_db()
    assert component.status == ComponentStatus.ACTIVE
    entry = AuditEntry.objects.filter(
        action=AuditAction.UPDATE, target_type="careplans.PlanComponent"
    ).get()
    assert entry.changes == {"before": {"status": "planned"}, "after": {"status": "active"}}


def test_stopping_a_component_needs_a_reason(plan, therapist, unchanged):
    component = plan.components.all()[0]
    check = unchanged(PlanComponent)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.record_component_status(actor=therapist, component=component, status="stopped")
    assert exc.value.code == "stop_reason_required"
    check()


def test_component_of_a_superseded_plan_cannot_change(plan, therapist, patient, unchanged):
    old = plan.components.all()[0]
    services.record_plan(
        actor=therapist, patient=patient, goals=["x"], components=[], change_reason="simplified"
    )
    check = unchanged(PlanComponent)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.record_component_status(actor=therapist, component=old, status="active")
    assert exc.value.code == "plan_not_current"
    check()


def test_integration_rule_is_off_by_default(plan, patient):
    dose = timezone.now() - timedelta(days=30)
    assert selectors.get_integration_window_days(patient.clinic_id) is None
    assert selectors.integration_checks_for(patient, dose_times=[dose]) == ()


def test_only_a_clinic_admin_sets_the_integration_policy(clinic_admin, therapist):
    with pytest.raises(PermissionDenied):
        services.record_integration_policy(actor=therapist, window_days=7)
    services.record_integration_policy(actor=clinic_admin, window_days=7)
    assert CarePlanPolicy.objects.get().integration_window_days == 7
    entry = AuditEntry.objects.filter(target_type="careplans.CarePlanPolicy").get()
    assert entry.changes == {
        "before": {"integration_window_days": None},
        "after": {"integration_window_days": 7},
    }


def _local_noon(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 12))


# Clinic policy N = 7 (the clinic's own choice; no clinical source sets N).
@pytest.mark.parametrize(
    ("days_after_dose", "expected"),
    [
        (6, IntegrationStatus.COVERED),  # N-1
        (7, IntegrationStatus.COVERED),  # N
        (8, IntegrationStatus.MISSING),  # N+1
    ],
)
def test_recorded_integration_session_counts_within_the_clinics_window(
    plan, patient, therapist, clinic_admin, days_after_dose, expected
):
    services.record_integration_policy(actor=clinic_admin, window_days=7)
    today = timezone.localdate()
    dose_day = today - timedelta(days=20)
    integration = plan.components.get(subkind="integration")
    services.record_psychotherapy_session(
        actor=therapist,
        component=integration,
        held_on=dose_day + timedelta(days=days_after_dose),
    )
    (check,) = selectors.integration_checks_for(patient, dose_times=[_local_noon(dose_day)])
    assert check.status is expected
    gaps = selectors.integration_gaps(
        patient, [_local_noon(dose_day)], selectors.integration_session_dates(patient), 7
    )
    assert len(gaps) == (1 if expected is IntegrationStatus.MISSING else 0)


def test_sessions_are_recorded_only_against_psychotherapy_components(plan, therapist, unchanged):
    course = plan.components.get(kind="ketamine_course")
    check = unchanged(PsychotherapySession)
    with pytest.raises(InvalidClinicalInput) as exc:
        services.record_psychotherapy_session(
            actor=therapist, component=course, held_on=timezone.localdate()
        )
    assert exc.value.code == "not_a_psychotherapy_component"
    check()


def test_portal_patient_reaches_their_own_plan(plan, patient_user, patient):
    own_patient, own_plan = selectors.access_own_plan(patient_user)
    assert (own_patient, own_plan) == (patient, plan)
