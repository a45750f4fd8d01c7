"""KetaCare's records become the recommendation engine's input (interop/mappers.py): the
evaluation's answers, the latest scores and C-SSRS, blood pressure, KetaCare courses with their
measured response and durability, reports of courses given elsewhere, preferences and the
clinic's capabilities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketacare.clinical.eligibility.screening import CssrsRisk, SubstanceUseDisorder
from ketacare.clinical.eligibility.verdict import Caution
from ketacare.clinical.recommendations import (
    Contraindication,
    PriorResponse,
    PriorTreatment,
    TreatmentOption,
    recommend_treatment,
)
from ketacare.clinical.recommendations.inputs import UNCONFIRMABLE_FACTS
from ketacare.interop.mappers import recommendation_input_for_patient

IV = TreatmentOption.KETAMINE_IV


def mapped(patient):
    patient.refresh_from_db()
    return recommendation_input_for_patient(patient, as_of=timezone.now())


def test_without_an_evaluation_or_c_ssrs_every_screening_fact_is_unconfirmed(trd_patient):
    assert mapped(trd_patient).unconfirmed_facts == UNCONFIRMABLE_FACTS


def test_the_latest_evaluation_confirms_the_screening_answers(trd_patient, evaluate):
    evaluate(trd_patient, current_psychosis=True, substance_use_disorder="in_remission")
    inp = mapped(trd_patient)
    assert inp.unconfirmed_facts == frozenset()
    assert inp.current_psychosis is True
    assert inp.substance_use_disorder is SubstanceUseDisorder.IN_REMISSION
    assert Caution.SUBSTANCE_USE_DISORDER_IN_REMISSION in inp.eligibility.cautions
    assert inp.scores.cssrs_risk is CssrsRisk.LOW


def test_a_newer_evaluation_replaces_an_older_one(trd_patient, evaluate):
    evaluate(
        trd_patient,
        as_of=timezone.now() - timedelta(days=3),
        hypersensitivity_to_ketamine_or_esketamine=True,
    )
    evaluate(trd_patient)
    assert mapped(trd_patient).eligibility.contraindications == frozenset()


def test_contraindication_in_the_evaluation_excludes_every_ketamine_form(trd_patient, evaluate):
    evaluate(trd_patient, aneurysmal_vascular_disease_or_avm=True)
    inp = mapped(trd_patient)
    assert inp.eligibility.contraindications == {
        Contraindication.ANEURYSMAL_VASCULAR_DISEASE_OR_AVM
    }
    rec = recommend_treatment(inp)
    assert rec.option(TreatmentOption.ESKETAMINE_INTRANASAL).exclusion == "absolute"


def test_newer_c_ssrs_screener_in_measures_outranks_the_evaluation_screen(
    trd_patient, evaluate, nurse
):
    from ketacare.measures.services import record_assessment

    evaluate(trd_patient, as_of=timezone.now() - timedelta(days=2), cssrs="low")
    # Q3 yes (thoughts with method): moderate in KetaCare's default grading.
    record_assessment(
        actor=nurse,
        patient=trd_patient,
        instrument="cssrs_screener",
        items=[1, 1, 1, 0, 0, 0],
        context="follow_up",
        taken_at=timezone.now() - timedelta(hours=1),
    )
    inp = mapped(trd_patient)
    assert inp.scores.cssrs_risk is CssrsRisk.MODERATE
    assert Caution.CSSRS_MODERATE_RISK in inp.eligibility.cautions


def test_c_ssrs_screener_without_ideation_counts_as_low_risk(trd_patient, nurse):
    from ketacare.measures.services import record_assessment

    record_assessment(
        actor=nurse,
        patient=trd_patient,
        instrument="cssrs_screener",
        items=[0, 0, None, None, None, 0],
        context="baseline",
        taken_at=timezone.now() - timedelta(hours=1),
    )
    inp = mapped(trd_patient)
    assert inp.scores.cssrs_risk is CssrsRisk.LOW
    assert "cssrs_risk" not in inp.unconfirmed_facts


def test_current_scores_are_the_latest_outside_the_session_after_a_dose(
    trd_patient, score, give_course
):
    now = timezone.now()
    give_course(trd_patient, [now - timedelta(days=1)])
    score(trd_patient, "phq9", 20, now - timedelta(days=5), "baseline")
    score(trd_patient, "phq9", 14, now - timedelta(hours=3), "pre_dose")
    score(trd_patient, "phq9", 4, now - timedelta(hours=1), "post_dose")
    score(trd_patient, "madrs", 31, now - timedelta(days=5), "baseline")
    scores = mapped(trd_patient).scores
    assert (scores.phq9_total, scores.phq9_item9, scores.madrs_total) == (14, 0, 31)


def test_latest_pre_dose_vitals_are_newer_than_the_evaluation_reading(
    trd_patient, evaluate, give_course, prescriber
):
    from ketacare.audit.models import service_write
    from ketacare.treatment.models import VitalsReading

    now = timezone.now()
    evaluate(
        trd_patient,
        as_of=now - timedelta(days=10),
        latest_systolic_mmhg=150,
        latest_diastolic_mmhg=95,
    )
    _, sessions = give_course(trd_patient, [now - timedelta(days=1)])
    with service_write():
        for minutes, phase, bp in ((-10, "pre_dose", (128, 80)), (40, "during", (165, 100))):
            VitalsReading.objects.create(
                clinic=prescriber.clinic,
                created_at=now,
                created_by=prescriber,
                session=sessions[0],
                taken_at=now - timedelta(days=1) + timedelta(minutes=minutes),
                phase=phase,
                systolic_mmhg=bp[0],
                diastolic_mmhg=bp[1],
                heart_rate_bpm=70,
                spo2_percent=98,
                respiratory_rate_per_min=14,
            )
    inp = mapped(trd_patient)
    # The rise 40 minutes after the dose is the drug's effect, not the patient's status.
    assert (inp.latest_systolic_mmhg, inp.latest_diastolic_mmhg) == (128, 80)


def _series(give_course, patient, first, count=6, every_days=3):
    return give_course(patient, [first + timedelta(days=every_days * i) for i in range(count)])


def test_six_iv_infusions_without_response_exclude_racemic_ketamine(
    trd_patient, evaluate, score, give_course
):
    # MADRS 30 -> 27: a 10% fall, below the 50% response cutoff -> non-response.
    now = timezone.now()
    first = now - timedelta(days=30)
    evaluate(trd_patient)
    score(trd_patient, "madrs", 30, first - timedelta(days=1), "baseline")
    _series(give_course, trd_patient, first)
    score(trd_patient, "madrs", 27, first + timedelta(days=17), "follow_up")
    inp = mapped(trd_patient)
    assert inp.history == (PriorTreatment(IV, 6, PriorResponse.NO_RESPONSE, None, None),)
    rec = recommend_treatment(inp)
    assert "prior_ketamine_nonresponse" in rec.option(IV).codes
    assert rec.option(IV).exclusion == "relative"


def test_response_lost_three_days_after_the_last_infusion_is_relapse_within_days(
    trd_patient, evaluate, score, give_course
):
    # MADRS 30 baseline; 14 after the series (53% fall: response, above the remission cutoff);
    # 28 three days after the last infusion (no longer a response): benefit lasted 3 days,
    # fewer than 7 (the weekly labelled maintenance interval).
    now = timezone.now()
    first = now - timedelta(days=30)
    evaluate(trd_patient)
    score(trd_patient, "madrs", 30, first - timedelta(days=1), "baseline")
    _series(give_course, trd_patient, first)
    last = first + timedelta(days=15)
    score(trd_patient, "madrs", 14, last + timedelta(days=1), "follow_up")
    score(trd_patient, "madrs", 28, last + timedelta(days=3), "follow_up")
    inp = mapped(trd_patient)
    assert inp.history == (PriorTreatment(IV, 6, PriorResponse.RESPONSE, 3, None),)
    assert "rapid_relapse_after_each_dose" in recommend_treatment(inp).option(IV).codes


def test_durable_response_favours_the_same_form_again(trd_patient, evaluate, score, give_course):
    # MADRS 30 -> 12 three weeks after the series (60% fall): benefit, and no loss observed,
    # so durability is unknown (None) and the benefit counts in the ranking.
    now = timezone.now()
    first = now - timedelta(days=40)
    evaluate(trd_patient)
    score(trd_patient, "madrs", 30, first - timedelta(days=1), "baseline")
    _series(give_course, trd_patient, first)
    last = first + timedelta(days=15)
    score(trd_patient, "madrs", 12, last + timedelta(days=21), "follow_up")
    inp = mapped(trd_patient)
    (prior,) = inp.history
    assert (prior.option, prior.sessions, prior.durability_days) == (IV, 6, None)
    assert prior.response in (PriorResponse.RESPONSE, PriorResponse.REMISSION)
    assert "prior_response" in {f.code for f in recommend_treatment(inp).option(IV).reasons_for}


def test_course_without_a_score_after_a_dose_is_left_out(trd_patient, score, give_course):
    now = timezone.now()
    score(trd_patient, "madrs", 30, now - timedelta(days=5), "baseline")
    give_course(trd_patient, [now - timedelta(days=3), now - timedelta(days=1)])
    assert mapped(trd_patient).history == ()


def test_each_course_is_judged_on_the_scores_of_its_own_window(
    trd_patient, evaluate, score, give_course
):
    # Course 1 (IV): 30 -> 27, non-response. Course 2 (esketamine, 8 doses): baseline 29, then
    # 14 after (52% fall): response. Course 1's follow-up is not read as course 2's outcome.
    now = timezone.now()
    evaluate(trd_patient)
    first = now - timedelta(days=90)
    score(trd_patient, "madrs", 30, first - timedelta(days=1), "baseline")
    _series(give_course, trd_patient, first)
    score(trd_patient, "madrs", 27, first + timedelta(days=17), "follow_up")
    second = now - timedelta(days=40)
    score(trd_patient, "madrs", 29, second - timedelta(days=1), "baseline")
    give_course(
        trd_patient,
        [second + timedelta(days=3 * i + (i % 2)) for i in range(8)],
        code="in_esketamine_trd",
    )
    score(trd_patient, "madrs", 14, second + timedelta(days=26), "follow_up")
    history = mapped(trd_patient).history
    assert [(p.option, p.sessions, p.response) for p in history] == [
        (IV, 6, PriorResponse.NO_RESPONSE),
        (TreatmentOption.ESKETAMINE_INTRANASAL, 8, PriorResponse.RESPONSE),
    ]


def test_reported_courses_given_elsewhere_come_first(trd_patient, prescriber):
    from ketacare.interop.services import record_prior_treatment

    record_prior_treatment(
        actor=prescriber,
        patient=trd_patient,
        option=TreatmentOption.ECT,
        sessions=10,
        response=PriorResponse.REMISSION,
        adequate=True,
    )
    assert mapped(trd_patient).history == (
        PriorTreatment(TreatmentOption.ECT, 10, PriorResponse.REMISSION, None, True),
    )


def test_clinic_without_protocols_yet_gets_the_standard_routes(trd_patient):
    clinic = mapped(trd_patient).clinic
    assert (clinic.offers_iv_ketamine, clinic.offers_im_ketamine) == (True, True)
    assert clinic.esketamine_rems_certified is True  # clinic A is certified
    assert (clinic.ect_referral, clinic.rtms_referral) == (True, True)


def test_esketamine_needs_rems_certification_as_well_as_a_protocol(trd_patient):
    from ketacare.accounts.models import Clinic

    Clinic.objects.filter(pk=trd_patient.clinic_id).update(rems_certified=False)
    assert mapped(trd_patient).clinic.esketamine_rems_certified is False


def test_clinic_settings_set_referral_and_self_pay(trd_patient, clinic_admin):
    from ketacare.interop.services import record_recommendation_settings

    record_recommendation_settings(
        actor=clinic_admin, ect_referral=False, rtms_referral=True, self_pay_options=[IV]
    )
    clinic = mapped(trd_patient).clinic
    assert (clinic.ect_referral, clinic.self_pay_options) == (False, frozenset({IV}))


@pytest.mark.parametrize(
    ("preferred", "declined", "travel", "cost"),
    [
        ((IV,), (), "high", "covered_only"),
        ((), (TreatmentOption.ECT,), "low", "self_pay_acceptable"),
    ],
)
def test_latest_preferences_are_read(trd_patient, prescriber, preferred, declined, travel, cost):
    from ketacare.interop.services import record_treatment_preferences

    record_treatment_preferences(actor=prescriber, patient=trd_patient, travel_burden="moderate")
    record_treatment_preferences(
        actor=prescriber,
        patient=trd_patient,
        preferred=preferred,
        declined=declined,
        travel_burden=travel,
        cost_class=cost,
    )
    prefs = mapped(trd_patient).preferences
    assert (prefs.preferred, prefs.declined, prefs.travel_burden, prefs.cost_class) == (
        preferred,
        frozenset(declined),
        travel,
        cost,
    )
