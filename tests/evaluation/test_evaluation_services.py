"""Evaluation services: the verdict from the patient's record plus screening answers, stored
with its reasons, TRD count and Maudsley stage; cautions acknowledged by a prescriber."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.access import NotFound
from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry
from ketacare.clinical.eligibility import (
    CssrsRisk,
    CssrsScreen,
    HepaticImpairment,
    MaudsleySeverity,
    Route,
    SubstanceUseDisorder,
    SubstanceUseScreen,
)
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.evaluation.mappers import ScreeningAnswers, age_in_years, whole_months_between
from ketacare.evaluation.models import CautionAcknowledgment, Evaluation
from ketacare.evaluation.selectors import (
    access_evaluation,
    access_latest_evaluation,
    latest_evaluation,
    outstanding_acknowledgments,
)
from ketacare.evaluation.services import acknowledge_cautions, record_evaluation
from ketacare.patients.services import record_medication, record_medication_trial


def answers(**changes) -> ScreeningAnswers:
    """No contraindication or caution, low-risk C-SSRS and negative screens from last week."""
    week_ago = timezone.now() - timedelta(days=7)
    base = ScreeningAnswers(
        route=Route.INTRANASAL,
        severity=MaudsleySeverity.MODERATE,
        ect_used=False,
        aneurysmal_vascular_disease_or_avm=False,
        intracerebral_hemorrhage_history=False,
        hypersensitivity_to_ketamine_or_esketamine=False,
        psychosis_history=False,
        current_psychosis=False,
        substance_use_disorder=SubstanceUseDisorder.NONE,
        pregnant=False,
        breastfeeding=False,
        hepatic_impairment=HepaticImpairment.NONE,
        uncontrolled_hypertension=False,
        hypertensive_encephalopathy_history=False,
        takes_cns_depressants=False,
        takes_psychostimulants=False,
        takes_maois=False,
        cssrs=CssrsScreen(CssrsRisk.LOW, week_ago),
        substance_screen=SubstanceUseScreen(0, 0, week_ago),
        latest_systolic_mmhg=124,
        latest_diastolic_mmhg=78,
    )
    return replace(base, **changes)


def add_trial(prescriber, patient, drug, **changes):
    values = {
        "dose_mg_per_day": Decimal("150"),
        "weeks": 8,
        "adherence": "good",
        "adequate": True,
        "outcome": "no_response",
    }
    values.update(changes)
    return record_medication_trial(actor=prescriber, patient=patient, drug=drug, **values)


@pytest.fixture
def trd_patient(prescriber, patient):
    """Avery: two adequate failed antidepressants in the current episode (onset 2025-06-01)."""
    add_trial(prescriber, patient, "sertraline")
    add_trial(prescriber, patient, "venlafaxine")
    return patient


def evaluate(actor, patient, **changes):
    return record_evaluation(actor=actor, patient=patient, answers=answers(**changes))


def test_patient_with_trd_and_nothing_else_is_eligible_with_trd_count_and_msm(
    prescriber, trd_patient
):
    evaluation = evaluate(prescriber, trd_patient)
    assert evaluation.verdict == "eligible"
    assert evaluation.reasons == []
    assert (evaluation.adequate_failed_trials, evaluation.treatment_resistant) == (2, True)
    months = whole_months_between(date(2025, 6, 1), evaluation.as_of.date())
    duration_points = 1 if months <= 12 else 2 if months <= 24 else 3
    # MSM = duration + severity 3 (moderate) + antidepressants 1 (2 failed) + 0 + 0
    assert evaluation.msm_total == duration_points + 3 + 1
    assert evaluation.episode_duration_months == months
    assert [t["drug"] for t in evaluation.inputs["trials"]] == ["sertraline", "venlafaxine"]
    entry = AuditEntry.objects.filter(target_type="evaluation.Evaluation", action="create").get()
    assert entry.changes["after"]["verdict"] == "eligible"


def test_aneurysmal_vascular_disease_makes_the_patient_not_eligible(prescriber, trd_patient):
    evaluation = evaluate(prescriber, trd_patient, aneurysmal_vascular_disease_or_avm=True)
    assert evaluation.verdict == "not_eligible"
    reason = evaluation.reasons[0]
    assert reason["code"] == "contraindication_aneurysmal_vascular_disease_or_avm"
    assert reason["severity"] == "absolute_contraindication"
    assert reason["source"]["citation"]


def test_one_failed_trial_needs_review_for_treatment_resistance(prescriber, patient):
    add_trial(prescriber, patient, "sertraline")
    add_trial(prescriber, patient, "escitalopram", outcome="intolerance")
    evaluation = evaluate(prescriber, patient)
    assert evaluation.verdict == "needs_review"
    assert "not_treatment_resistant" in [r["code"] for r in evaluation.reasons]
    assert evaluation.adequate_failed_trials == 1


def test_missing_cssrs_screen_needs_review(prescriber, trd_patient):
    evaluation = evaluate(prescriber, trd_patient, cssrs=None)
    assert evaluation.verdict == "needs_review"
    assert [r["code"] for r in evaluation.reasons] == ["cssrs_screen_missing"]


def test_psychosis_history_is_a_caution_needing_acknowledgment(prescriber, trd_patient):
    evaluation = evaluate(prescriber, trd_patient, psychosis_history=True)
    assert evaluation.verdict == "eligible_with_cautions"
    assert evaluation.acknowledgment_required_codes == ["psychosis_history"]
    assert outstanding_acknowledgments(evaluation) == ("psychosis_history",)


def test_a_recorded_benzodiazepine_raises_the_cns_depressant_caution_even_if_answered_no(
    prescriber, trd_patient
):
    record_medication(
        actor=prescriber,
        patient=trd_patient,
        name="lorazepam",
        drug_class="benzodiazepine",
        started_on=date(2025, 1, 1),
    )
    evaluation = evaluate(prescriber, trd_patient, takes_cns_depressants=False)
    assert evaluation.acknowledgment_required_codes == ["cns_depressant_use"]
    assert evaluation.inputs["interacting_medicines_on_record"]["cns_depressants"] is True


def test_a_stopped_benzodiazepine_raises_no_caution(prescriber, trd_patient):
    record_medication(
        actor=prescriber,
        patient=trd_patient,
        name="lorazepam",
        drug_class="benzodiazepine",
        started_on=date(2025, 1, 1),
        stopped_on=date(2025, 2, 1),
    )
    assert evaluate(prescriber, trd_patient).verdict == "eligible"


def test_nurse_cannot_record_an_evaluation(nurse, trd_patient, unchanged):
    check = unchanged(Evaluation)
    with pytest.raises(PermissionDenied):
        evaluate(nurse, trd_patient)
    check()


def test_incomplete_blood_pressure_is_refused_and_nothing_is_recorded(
    prescriber, trd_patient, unchanged
):
    check = unchanged(Evaluation)
    with pytest.raises(InvalidClinicalInput) as err:
        evaluate(prescriber, trd_patient, latest_diastolic_mmhg=None)
    assert err.value.code == "blood_pressure_incomplete"
    check()


def test_episode_duration_must_come_from_the_onset_when_one_is_recorded(
    prescriber, trd_patient, unchanged
):
    check = unchanged(Evaluation)
    with pytest.raises(InvalidClinicalInput) as err:
        evaluate(prescriber, trd_patient, episode_duration_months=300)
    assert err.value.code == "episode_duration_conflicts_with_onset"
    check()


def test_without_onset_or_duration_the_evaluation_is_refused(prescriber, trd_patient, unchanged):
    from ketacare.patients.services import record_demographics

    trd_patient = record_demographics(
        actor=prescriber, patient=trd_patient, changes={"current_episode_onset": None}
    )
    check = unchanged(Evaluation)
    with pytest.raises(InvalidClinicalInput) as err:
        evaluate(prescriber, trd_patient)
    assert err.value.code == "episode_duration_unknown"
    check()
    assert (
        evaluate(prescriber, trd_patient, episode_duration_months=30).episode_duration_months == 30
    )


def test_evaluation_in_the_future_is_refused(prescriber, trd_patient, unchanged):
    check = unchanged(Evaluation)
    with pytest.raises(InvalidClinicalInput):
        record_evaluation(
            actor=prescriber,
            patient=trd_patient,
            answers=answers(),
            as_of=timezone.now() + timedelta(days=1),
        )
    check()


@pytest.mark.parametrize(
    ("born", "on", "age"),
    # Birthday boundary: the day before, the day of, the day after the 18th birthday.
    [
        (date(2000, 5, 17), date(2018, 5, 16), 17),
        (date(2000, 5, 17), date(2018, 5, 17), 18),
        (date(2000, 5, 17), date(2018, 5, 18), 18),
    ],
)
def test_age_is_whole_years_on_the_evaluation_date(born, on, age):
    assert age_in_years(born, on) == age


@pytest.mark.parametrize(
    ("onset", "on", "months"),
    # 12 months is the MSM acute/sub-acute boundary (Fekadu 2018 Table 3).
    [
        (date(2024, 6, 1), date(2025, 5, 31), 11),
        (date(2024, 6, 1), date(2025, 6, 1), 12),
        (date(2024, 6, 1), date(2025, 7, 1), 13),
    ],
)
def test_episode_duration_is_whole_months_from_onset(onset, on, months):
    assert whole_months_between(onset, on) == months


# Acknowledgments


@pytest.fixture
def cautioned(prescriber, trd_patient):
    return evaluate(prescriber, trd_patient, psychosis_history=True, takes_maois=True)


def test_prescriber_acknowledges_all_cautions_with_reason_and_it_is_audited(prescriber, cautioned):
    ack = acknowledge_cautions(
        actor=prescriber, evaluation=cautioned, reason="Remote single episode; MAOI stopped soon"
    )
    assert sorted(ack.codes) == ["maoi_use", "psychosis_history"]
    assert outstanding_acknowledgments(latest_evaluation(cautioned.patient)) == ()
    entry = AuditEntry.objects.filter(action="override").get()
    assert entry.reason == "Remote single episode; MAOI stopped soon"
    assert sorted(entry.changes["after"]["codes"]) == ["maoi_use", "psychosis_history"]


def test_cautions_can_be_acknowledged_one_at_a_time(prescriber, cautioned):
    acknowledge_cautions(
        actor=prescriber, evaluation=cautioned, reason="reviewed", codes=["maoi_use"]
    )
    assert outstanding_acknowledgments(latest_evaluation(cautioned.patient)) == (
        "psychosis_history",
    )


def test_nurse_cannot_acknowledge_cautions(nurse, cautioned, unchanged):
    check = unchanged(CautionAcknowledgment)
    with pytest.raises(PermissionDenied):
        acknowledge_cautions(actor=nurse, evaluation=cautioned, reason="ok")
    check()


def test_blank_reason_is_refused(prescriber, cautioned, unchanged):
    check = unchanged(CautionAcknowledgment)
    with pytest.raises(InvalidClinicalInput) as err:
        acknowledge_cautions(actor=prescriber, evaluation=cautioned, reason="  ")
    assert err.value.code == "override_reason_required"
    check()


def test_acknowledging_a_code_that_is_not_a_caution_is_refused(prescriber, cautioned, unchanged):
    check = unchanged(CautionAcknowledgment)
    with pytest.raises(InvalidClinicalInput) as err:
        acknowledge_cautions(
            actor=prescriber,
            evaluation=cautioned,
            reason="x",
            codes=["contraindication_intracerebral_hemorrhage"],
        )
    assert err.value.code == "acknowledgment_code_not_a_caution"
    check()


def test_acknowledging_twice_is_refused(prescriber, cautioned, unchanged):
    acknowledge_cautions(actor=prescriber, evaluation=cautioned, reason="reviewed")
    check = unchanged(CautionAcknowledgment)
    with pytest.raises(GateBlocked) as err:
        acknowledge_cautions(actor=prescriber, evaluation=cautioned, reason="again")
    assert err.value.code == "cautions_already_acknowledged"
    check()


def test_evaluation_without_cautions_has_nothing_to_acknowledge(prescriber, trd_patient):
    evaluation = evaluate(prescriber, trd_patient)
    with pytest.raises(GateBlocked) as err:
        acknowledge_cautions(actor=prescriber, evaluation=evaluation, reason="x")
    assert err.value.code == "no_cautions_to_acknowledge"


def test_only_the_latest_evaluation_can_be_acknowledged(prescriber, cautioned):
    evaluate(prescriber, cautioned.patient, psychosis_history=True)
    with pytest.raises(GateBlocked) as err:
        acknowledge_cautions(actor=prescriber, evaluation=cautioned, reason="x")
    assert err.value.code == "evaluation_not_latest"


# Reads


def test_latest_evaluation_is_the_most_recent_by_evaluation_time(prescriber, trd_patient):
    now = timezone.now()
    recent = evaluate(prescriber, trd_patient)
    screened = now - timedelta(days=40)
    record_evaluation(
        actor=prescriber,
        patient=trd_patient,
        answers=answers(
            cssrs=CssrsScreen(CssrsRisk.LOW, screened),
            substance_screen=SubstanceUseScreen(0, 0, screened),
        ),
        as_of=now - timedelta(days=30),
    )
    assert latest_evaluation(trd_patient) == recent


def test_other_clinic_clinician_gets_not_found_for_evaluations(outsider, prescriber, trd_patient):
    evaluation = evaluate(prescriber, trd_patient)
    with pytest.raises(NotFound):
        access_latest_evaluation(outsider, trd_patient.pk)
    with pytest.raises(NotFound):
        access_evaluation(outsider, evaluation.pk)


def test_never_evaluated_patient_has_no_latest_evaluation(nurse, patient):
    assert latest_evaluation(patient) is None
    with pytest.raises(NotFound):
        access_latest_evaluation(nurse, patient.pk)
