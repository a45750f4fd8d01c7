"""Adopting the recommended (or chosen) option into the care plan when the prescriber records
the choice: a new plan version through careplans' ``record_plan``, in the same transaction."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.careplans.models import CarePlan, PlanComponent
from ketacare.careplans.services import ComponentInput, record_plan
from ketacare.interop.models import TreatmentChoice


@pytest.fixture
def evaluated(trd_patient, evaluate):
    evaluate(trd_patient)
    return trd_patient


@pytest.fixture
def current_plan(evaluated, prescriber):
    return record_plan(
        actor=prescriber,
        patient=evaluated,
        goals=["PHQ-9 below 5"],
        components=[
            ComponentInput(kind="ketamine_course", description="IM ketamine series"),
            ComponentInput(kind="psychotherapy", subkind="cbt", description="Weekly CBT"),
        ],
    )


def choose(api, user, patient, **body):
    return api(user).post(f"/patients/{patient.pk}/recommendation/choice", body)


def test_adopting_the_top_option_starts_a_plan_when_there_is_none(api, prescriber, evaluated):
    response = choose(
        api, prescriber, evaluated, option="esketamine_intranasal", adopt_into_plan=True
    )
    assert response.status_code == 201, response.content
    plan = CarePlan.objects.get(patient=evaluated)
    (component,) = plan.components.all()
    assert (component.kind, component.description) == (
        "ketamine_course",
        "Adopted recommendation: Intranasal esketamine (SPRAVATO)",
    )
    assert response.json()["care_plan_version"] == 1
    assert TreatmentChoice.objects.get().care_plan_id == plan.pk


def test_adoption_replaces_the_ketamine_course_and_keeps_the_rest_of_the_plan(
    api, prescriber, evaluated, current_plan
):
    response = choose(
        api, prescriber, evaluated, option="ketamine_iv", reason="Prefers IV", adopt_into_plan=True
    )
    assert response.status_code == 201, response.content
    current_plan.refresh_from_db()
    new = CarePlan.objects.get(patient=evaluated, status="active")
    assert (current_plan.status, new.version, new.goals) == ("superseded", 2, ["PHQ-9 below 5"])
    assert new.change_reason == "adopted recommendation: ketamine_iv"
    assert [(c.kind, c.description) for c in new.components.order_by("position")] == [
        ("ketamine_course", "Adopted recommendation: IV racemic ketamine. Prefers IV"),
        ("psychotherapy", "Weekly CBT"),
    ]


def test_adopted_referral_is_an_other_component_and_a_later_adoption_replaces_it(
    api, prescriber, evaluated, current_plan
):
    choose(api, prescriber, evaluated, option="rtms", reason="Wants no drug", adopt_into_plan=True)
    choose(api, prescriber, evaluated, option="ect", reason="Changed mind", adopt_into_plan=True)
    plan = CarePlan.objects.get(patient=evaluated, status="active")
    assert plan.version == 3
    assert [(c.kind, c.description) for c in plan.components.order_by("position")] == [
        ("other", "Adopted recommendation: Electroconvulsive therapy (ECT). Changed mind"),
        ("psychotherapy", "Weekly CBT"),
    ]


def test_adoption_is_audited_with_the_plan_version(api, prescriber, evaluated, current_plan):
    choose(api, prescriber, evaluated, option="esketamine_intranasal", adopt_into_plan=True)
    entry = AuditEntry.objects.filter(target_type="interop.TreatmentChoice").latest("id")
    assert "care plan v2" in entry.summary
    assert AuditEntry.objects.filter(
        target_type="careplans.CarePlan", action="create", reason__startswith="adopted"
    ).exists()


def test_choice_without_adoption_leaves_the_plan_alone(api, prescriber, evaluated, current_plan):
    response = choose(api, prescriber, evaluated, option="esketamine_intranasal")
    assert response.status_code == 201
    assert response.json()["care_plan_id"] is None
    assert CarePlan.objects.filter(patient=evaluated).count() == 1


def test_refused_choice_adopts_nothing(
    api, prescriber, trd_patient, evaluate, current_plan, unchanged
):
    evaluate(trd_patient, hypersensitivity_to_ketamine_or_esketamine=True)
    check = unchanged(TreatmentChoice, CarePlan, PlanComponent)
    response = choose(
        api,
        prescriber,
        trd_patient,
        option="ketamine_iv",
        reason="insists",
        override_reason="insists",
        override_codes=["option_absolutely_contraindicated"],
        adopt_into_plan=True,
    )
    assert response.status_code == 409
    check()
    assert CarePlan.objects.get(status="active").pk == current_plan.pk
