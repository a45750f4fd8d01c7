"""Clinical vignettes for the treatment recommendation, run through three doors: the pure
engine, the chart API (/api/v1/patients/{id}/recommendation) and the CDS Hooks patient-view
service (FHIR prefetch only).

Each vignette is written from a guideline or label statement (its ``why``) and states the
expected top option (or None) with the reason code that must explain it, plus codes that given
options must carry (an exclusion, a concern or a caution).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from tests.support.registration import registered_long_ago

from ketacare.clinical.eligibility.maudsley import MaudsleyBand
from ketacare.clinical.eligibility.screening import CssrsRisk, SubstanceUseDisorder
from ketacare.clinical.eligibility.verdict import Caution
from ketacare.clinical.recommendations import (
    ClinicCapabilities,
    Contraindication,
    CostClass,
    CurrentScores,
    EligibilityFacts,
    ExclusionKind,
    Preferences,
    PriorResponse,
    PriorTreatment,
    Recommendation,
    RecommendationInput,
    TravelBurden,
    TreatmentOption,
    recommend_treatment,
)

AS_OF = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ESK = TreatmentOption.ESKETAMINE_INTRANASAL
IV = TreatmentOption.KETAMINE_IV
IM = TreatmentOption.KETAMINE_IM
ECT = TreatmentOption.ECT
RTMS = TreatmentOption.RTMS
FULL_CLINIC = ClinicCapabilities(
    offers_iv_ketamine=True,
    offers_im_ketamine=True,
    esketamine_rems_certified=True,
    ect_referral=True,
    rtms_referral=True,
)


@dataclass(frozen=True)
class Vignette:
    name: str
    why: str
    top: TreatmentOption | None
    code: str  # must explain the outcome (a reason on the top option, an urgent or no-top code)
    option_codes: tuple[tuple[TreatmentOption, str], ...] = ()
    age_years: int = 45
    failed_antidepressants: int = 3
    contraindications: frozenset[Contraindication] = frozenset()
    cautions: frozenset[Caution] = frozenset()
    history: tuple[PriorTreatment, ...] = ()
    phq9_total: int | None = 18
    phq9_item9: int | None = 0
    madrs_total: int | None = 30
    cssrs: CssrsRisk | None = CssrsRisk.LOW
    psychosis: bool = False
    pregnant: bool = False
    uncontrolled_hypertension: bool = False
    sud: SubstanceUseDisorder = SubstanceUseDisorder.NONE
    bp: tuple[int, int] | None = (122, 78)
    preferred: tuple[TreatmentOption, ...] = ()
    declined: frozenset[TreatmentOption] = frozenset()
    travel: TravelBurden = TravelBurden.LOW
    cost: CostClass = CostClass.SELF_PAY_ACCEPTABLE
    clinic: ClinicCapabilities = field(default=FULL_CLINIC)


def build_input(v: Vignette) -> RecommendationInput:
    return RecommendationInput(
        as_of=AS_OF,
        age_years=v.age_years,
        eligibility=EligibilityFacts(
            contraindications=v.contraindications,
            cautions=v.cautions,
            adequate_failed_antidepressants=v.failed_antidepressants,
            maudsley_band=MaudsleyBand.MODERATE if v.failed_antidepressants else None,
        ),
        history=v.history,
        scores=CurrentScores(
            phq9_total=v.phq9_total,
            phq9_item9=v.phq9_item9,
            madrs_total=v.madrs_total,
            qids_sr16_total=None,
            cssrs_risk=v.cssrs,
        ),
        current_psychosis=v.psychosis,
        pregnant=v.pregnant,
        uncontrolled_hypertension=v.uncontrolled_hypertension,
        substance_use_disorder=v.sud,
        latest_systolic_mmhg=v.bp[0] if v.bp else None,
        latest_diastolic_mmhg=v.bp[1] if v.bp else None,
        preferences=Preferences(
            preferred=v.preferred, declined=v.declined, travel_burden=v.travel, cost_class=v.cost
        ),
        clinic=v.clinic,
    )


def outcome_codes(recommendation: Recommendation) -> set[str]:
    codes = {f.code for f in recommendation.urgent}
    if recommendation.no_top_reason is not None:
        codes.add(recommendation.no_top_reason.code)
    if recommendation.top is not None:
        codes |= {f.code for f in recommendation.top.reasons_for}
    return codes


def prior(option, sessions, response, durability_days=None, adequate=None):
    return PriorTreatment(option, sessions, PriorResponse(response), durability_days, adequate)


VIGNETTES = [
    Vignette(
        "typical_trd_gets_labelled_esketamine_onsite",
        "Label: esketamine is indicated for TRD (>=2 failed antidepressants); REMS clinic.",
        ESK,
        "esketamine_labelled_for_trd",
    ),
    Vignette(
        "trd_patient_who_prefers_iv_gets_iv_ketamine",
        "CANMAT 2021: IV ketamine Level 1 for acute TRD; preference breaks the tie.",
        IV,
        "patient_preference",
        preferred=(IV,),
    ),
    Vignette(
        "aneurysm_excludes_every_ketamine_form_and_rtms_leads",
        "Label contraindication: aneurysmal vascular disease or AVM (S2, S9).",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        (
            (ESK, "contraindication_aneurysmal_vascular_disease_or_avm"),
            (IV, "contraindication_aneurysmal_vascular_disease_or_avm"),
            (ECT, "vascular_or_hypersensitivity_history_for_team"),
        ),
        contraindications=frozenset({Contraindication.ANEURYSMAL_VASCULAR_DISEASE_OR_AVM}),
    ),
    Vignette(
        "intracerebral_hemorrhage_excludes_ketamine",
        "Label contraindication: history of intracerebral hemorrhage (S2, S9).",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((IM, "contraindication_intracerebral_hemorrhage_history"),),
        contraindications=frozenset({Contraindication.INTRACEREBRAL_HEMORRHAGE_HISTORY}),
    ),
    Vignette(
        "ketamine_hypersensitivity_excludes_ketamine",
        "Label contraindication: hypersensitivity to esketamine or ketamine (S9).",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((ESK, "contraindication_hypersensitivity_to_ketamine_or_esketamine"),),
        contraindications=frozenset({Contraindication.HYPERSENSITIVITY_TO_KETAMINE}),
    ),
    Vignette(
        "acute_suicidality_needs_same_day_assessment_and_ect_leads",
        "Columbia triage: high risk needs same-day evaluation; CANMAT: ECT first-line with "
        "suicidal ideation.",
        ECT,
        "acute_suicidality_safety_assessment",
        ((ECT, "ect_first_line_psychosis_or_suicidality"), (ESK, "esketamine_labelled_for_mdsi")),
        cssrs=CssrsRisk.HIGH,
        phq9_item9=3,
        phq9_total=24,
    ),
    Vignette(
        "acute_suicidality_without_ect_referral_gets_esketamine_for_mdsi",
        "Label: esketamine 84 mg twice weekly for MDSI; does not replace hospitalization.",
        ESK,
        "esketamine_labelled_for_mdsi",
        cssrs=CssrsRisk.HIGH,
        phq9_item9=2,
        clinic=replace(FULL_CLINIC, ect_referral=False),
    ),
    Vignette(
        "psychotic_depression_goes_to_ect_and_ketamine_is_excluded",
        "CANMAT: ECT first-line with psychotic features; Sanacora: best ketamine data without "
        "psychosis; label: assess psychosis carefully.",
        ECT,
        "ect_first_line_psychosis_or_suicidality",
        ((ESK, "current_psychosis"), (IV, "current_psychosis")),
        psychosis=True,
    ),
    Vignette(
        "pregnancy_excludes_ketamine_and_needs_perinatal_input",
        "Label: esketamine not recommended in pregnancy (embryo-fetal toxicity).",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((ESK, "pregnancy"), (IV, "pregnancy"), (RTMS, "pregnancy_specialist_input")),
        pregnant=True,
    ),
    Vignette(
        "uncontrolled_hypertension_excludes_ketamine_until_controlled",
        "Label: do not administer if a blood-pressure rise poses serious risk.",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((ESK, "uncontrolled_hypertension"),),
        uncontrolled_hypertension=True,
        bp=(172, 104),
    ),
    Vignette(
        "active_substance_use_disorder_excludes_ketamine",
        "Label: abuse and misuse (CIII), careful consideration with substance use disorder.",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((IV, "active_substance_use_disorder"), (IM, "active_substance_use_disorder")),
        sud=SubstanceUseDisorder.ACTIVE,
    ),
    Vignette(
        "no_response_after_six_iv_infusions_excludes_racemic_ketamine",
        "Sanacora: few respond after more than three infusions if none before; ELEKT-D "
        "series of 6.",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((IV, "prior_ketamine_nonresponse"), (ESK, "sibling_ketamine_nonresponse")),
        history=(prior(IV, 6, "no_response"),),
    ),
    Vignette(
        "no_response_after_full_esketamine_induction_excludes_esketamine",
        "Label: evaluate benefit at the end of the 4-week twice-weekly induction.",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((ESK, "prior_ketamine_nonresponse"), (IV, "sibling_ketamine_nonresponse")),
        history=(prior(ESK, 8, "no_response"),),
    ),
    Vignette(
        "relapse_within_days_after_each_dose_moves_to_neurostimulation",
        "Label maintenance is at most weekly; CANMAT: ketamine maintenance Level 3, case-by-case.",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((IV, "rapid_relapse_after_each_dose"), (ESK, "rapid_relapse_after_each_dose")),
        history=(prior(IV, 6, "response", durability_days=3),),
    ),
    Vignette(
        "durable_response_to_iv_ketamine_before_favours_iv_again",
        "Prior durable response to the same treatment (benefit lasted 3 weeks).",
        IV,
        "prior_response",
        history=(prior(IV, 6, "response", durability_days=21),),
    ),
    Vignette(
        "one_failed_antidepressant_is_not_trd_and_rtms_leads",
        "TRD needs >=2 failed antidepressants (S56a); CANMAT 2016: rTMS first-line after >=1.",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((ESK, "not_treatment_resistant"), (ECT, "not_treatment_resistant")),
        failed_antidepressants=1,
    ),
    Vignette(
        "no_failed_antidepressant_means_no_option_here",
        "None of these is a first step before any antidepressant has failed.",
        None,
        "first_line_treatment_not_tried",
        failed_antidepressants=0,
    ),
    Vignette(
        "clinic_without_rems_certification_offers_iv_ketamine",
        "REMS: esketamine only in a certified setting.",
        IV,
        "iv_ketamine_level1_acute_trd",
        ((ESK, "not_available_at_clinic"),),
        clinic=replace(FULL_CLINIC, esketamine_rems_certified=False),
    ),
    Vignette(
        "patient_declines_nasal_spray_gets_iv_ketamine",
        "The patient's refusal is respected; IV ketamine is the next onsite option.",
        IV,
        "iv_ketamine_level1_acute_trd",
        ((ESK, "patient_declined"),),
        declined=frozenset({ESK}),
    ),
    Vignette(
        "high_travel_burden_favours_rtms_over_twice_weekly_visits",
        "Esketamine induction twice weekly (label); ECT three times weekly (ELEKT-D).",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((ESK, "travel_burden_high"), (ECT, "travel_burden_high"), (RTMS, "rtms_schedule_check")),
        travel=TravelBurden.HIGH,
    ),
    Vignette(
        "covered_only_patient_is_not_steered_to_self_pay_iv",
        "The clinic bills racemic ketamine as self-pay; the patient accepts covered care only.",
        ESK,
        "esketamine_labelled_for_trd",
        ((IV, "self_pay_not_acceptable"),),
        preferred=(IV,),
        cost=CostClass.COVERED_ONLY,
        clinic=replace(FULL_CLINIC, self_pay_options=frozenset({IV, IM})),
    ),
    Vignette(
        "seventeen_year_old_cannot_have_esketamine",
        "Label: not approved under 18 years.",
        RTMS,
        "rtms_first_line_after_failed_antidepressant",
        ((ESK, "age_below_esketamine_approval"), (IV, "age_below_adult_evidence")),
        age_years=17,
    ),
    Vignette(
        "earlier_ect_remission_favours_ect",
        "Prior remission with an adequate ECT course.",
        ECT,
        "prior_response",
        history=(prior(ECT, 10, "remission", adequate=True),),
    ),
    Vignette(
        "phq9_item9_positive_asks_for_same_day_review",
        "PHQ-9 item 9 above 0 warrants same-day follow-up whatever the total.",
        ESK,
        "phq9_item9_positive",
        phq9_item9=1,
    ),
    Vignette(
        "blood_pressure_above_140_90_is_a_caution_not_an_exclusion",
        "Label: consider delaying if >140/90 mmHg; weigh risk against benefit.",
        ESK,
        "esketamine_labelled_for_trd",
        ((ESK, "blood_pressure_above_caution"),),
        bp=(150, 95),
    ),
    Vignette(
        "benzodiazepine_use_is_carried_as_a_sedation_caution",
        "Label: CNS depressants increase sedation; monitor closely.",
        ESK,
        "esketamine_labelled_for_trd",
        ((ESK, "cns_depressant_use"), (IV, "off_label")),
        cautions=frozenset({Caution.CNS_DEPRESSANT_USE}),
    ),
]


def check_outcome(vignette: Vignette, recommendation: Recommendation) -> None:
    top = recommendation.top
    assert (top.option if top else None) is vignette.top, vignette.why
    assert vignette.code in outcome_codes(recommendation), vignette.why
    for option, code in vignette.option_codes:
        assert code in recommendation.option(option).codes, (option, code)


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
def test_vignette_through_the_engine(vignette: Vignette):
    check_outcome(vignette, recommend_treatment(build_input(vignette)))


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
def test_absolutely_contraindicated_options_are_never_top_and_say_why(vignette):
    recommendation = recommend_treatment(build_input(vignette))
    for ranked in recommendation.options:
        if ranked.exclusion is ExclusionKind.ABSOLUTE:
            assert recommendation.top is None or recommendation.top.option is not ranked.option
            assert ranked.exclusion_reasons


def test_the_table_holds_at_least_twenty_vignettes_with_distinct_names():
    assert len(VIGNETTES) >= 20
    assert len({v.name for v in VIGNETTES}) == len(VIGNETTES)


def birth_date_for(inp: RecommendationInput) -> date:
    # Born the day after as_of's date, age_years + 1 years earlier: exactly age_years old.
    d = inp.as_of.date()
    return date(d.year - inp.age_years - 1, d.month, d.day) + timedelta(days=1)


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
def test_vignette_input_survives_fhir_prefetch_and_back(vignette):
    from ketacare.interop.fhir import inbound, outbound

    inp = build_input(vignette)
    prefetch = outbound.prefetch_for_input(inp, patient_id="ehr-1", birth_date=birth_date_for(inp))
    parsed = inbound.parse_prefetch(json.loads(json.dumps(prefetch)))
    back = inbound.recommendation_input_from_prefetch(parsed, as_of=inp.as_of, clinic=inp.clinic)
    assert back == inp


# --- the API door and the CDS Hooks door (database) ----------------------------------------------

CDS_URL = "/cds-services/ketacare-treatment-recommendation"


def cds_headers(ehr, url: str = CDS_URL) -> dict[str, str]:
    return ehr.headers(f"http://testserver{url}")


def clinic_setting(clinic: ClinicCapabilities) -> dict:
    return {
        "offers_iv_ketamine": clinic.offers_iv_ketamine,
        "offers_im_ketamine": clinic.offers_im_ketamine,
        "esketamine_rems_certified": clinic.esketamine_rems_certified,
        "ect_referral": clinic.ect_referral,
        "rtms_referral": clinic.rtms_referral,
        "self_pay_options": sorted(o.value for o in clinic.self_pay_options),
    }


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
def test_vignette_through_the_cds_hooks_endpoint(vignette, client, settings, db):
    from tests.support.cds_client import CdsClient

    from ketacare.interop.fhir import outbound

    ehr = CdsClient(settings)
    settings.KETACARE_CDS_HOOKS_CLINIC = clinic_setting(vignette.clinic)
    inp = build_input(vignette)
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/1", "patientId": "ehr-1"},
        "prefetch": outbound.prefetch_for_input(
            inp, patient_id="ehr-1", birth_date=birth_date_for(inp)
        ),
    }
    import time_machine

    with time_machine.travel(AS_OF, tick=False):
        response = client.post(
            CDS_URL, json.dumps(body), content_type="application/json", headers=cds_headers(ehr)
        )
    assert response.status_code == 200, response.content
    cards = response.json()["cards"]
    ext = [c["extension"]["org.ketacare.recommendation"] for c in cards]
    suggested = [e["option"] for c, e in zip(cards, ext, strict=True) if c.get("suggestions")]
    assert suggested == ([vignette.top.value] if vignette.top else []), vignette.why
    assert vignette.code in {code for e in ext for code in e["codes"]}, vignette.why
    for option, code in vignette.option_codes:
        # exclusion codes are on the option's exclusion card; others on the top card when top
        carried = {code for e in ext if e["option"] == option.value for code in e["codes"]}
        if option is vignette.top or any(
            code == f.code for f in recommend_treatment(inp).option(option).exclusion_reasons
        ):
            assert code in carried, (option, code)


def _items_summing_to(total: int, count: int, top: int, last: int | None = None) -> list[int]:
    """``count`` answers of at most ``top`` each summing to ``total`` (the last answer fixed
    to ``last`` when given, e.g. PHQ-9 item 9)."""
    items = [0] * count
    left = total
    if last is not None:
        items[-1] = last
        left -= last
    for i in range(count - (last is not None)):
        items[i] = min(top, left)
        left -= items[i]
    assert left == 0
    return items


_SCREENING_NO = (
    "ect_used",
    "psychosis_history",
    "breastfeeding",
    "hypertensive_encephalopathy_history",
)
# C-SSRS screener answers (Q1-Q6) for each triage level: Q4 yes is high; Q3 yes is moderate
# (KetaCare's default grading); Q1 yes alone is low.
_CSSRS_SCREENER = {
    CssrsRisk.HIGH: [1, 1, 0, 1, 0, 0],
    CssrsRisk.MODERATE: [1, 1, 1, 0, 0, 0],
    CssrsRisk.LOW: [1, 0, None, None, None, 0],
}


def record_vignette_patient(vignette: Vignette, prescriber, clinic_admin):
    """Build the vignette's patient through the services, at ``AS_OF``: registration and
    antidepressant trials (patients), the screening answers (evaluation.record_evaluation),
    PHQ-9, MADRS and the C-SSRS screener (measures.record_assessment), courses given elsewhere
    and preferences (interop services), and the clinic's settings (interop; REMS certification
    is a field of the clinic row, which has no service)."""
    from ketacare.accounts.models import Clinic
    from ketacare.evaluation.mappers import ScreeningAnswers
    from ketacare.evaluation.services import record_evaluation
    from ketacare.interop import services
    from ketacare.measures.services import record_assessment
    from ketacare.patients.services import record_medication_trial, register_patient

    inp = build_input(vignette)
    patient = register_patient(
        as_of=registered_long_ago(),
        actor=prescriber,
        given_name="Vignette",
        family_name=vignette.name[:90],
        date_of_birth=birth_date_for(inp),
        sex="unknown",
    )
    for i in range(vignette.failed_antidepressants):
        record_medication_trial(
            actor=prescriber,
            patient=patient,
            drug=f"antidepressant {i + 1}",
            dose_mg_per_day=Decimal("100"),
            weeks=8,
            adherence="good",
            adequate=True,
            outcome="no_response",
        )
    screened_at = AS_OF - timedelta(hours=2)
    ci = vignette.contraindications
    answers = {
        **dict.fromkeys(_SCREENING_NO, False),
        "route": None,
        "severity": "moderate",
        "episode_duration_months": 12,
        "hepatic_impairment": "none",
        "aneurysmal_vascular_disease_or_avm": Contraindication.ANEURYSMAL_VASCULAR_DISEASE_OR_AVM
        in ci,
        "intracerebral_hemorrhage_history": Contraindication.INTRACEREBRAL_HEMORRHAGE_HISTORY in ci,
        "hypersensitivity_to_ketamine_or_esketamine": Contraindication.HYPERSENSITIVITY_TO_KETAMINE
        in ci,
        "current_psychosis": vignette.psychosis,
        "pregnant": vignette.pregnant,
        "uncontrolled_hypertension": vignette.uncontrolled_hypertension,
        "substance_use_disorder": vignette.sud.value,
        "takes_cns_depressants": Caution.CNS_DEPRESSANT_USE in vignette.cautions,
        "takes_psychostimulants": Caution.PSYCHOSTIMULANT_USE in vignette.cautions,
        "takes_maois": Caution.MAOI_USE in vignette.cautions,
        "cssrs": None,
        "substance_screen": {
            "heavy_drinking_days_past_year": 0,
            "drug_use_times_past_year": 0,
            "screened_at": screened_at,
        },
        "latest_systolic_mmhg": vignette.bp[0] if vignette.bp else None,
        "latest_diastolic_mmhg": vignette.bp[1] if vignette.bp else None,
    }
    record_evaluation(
        actor=prescriber,
        patient=patient,
        answers=ScreeningAnswers.from_dict(answers),
        as_of=screened_at,
    )
    scored_at = AS_OF - timedelta(hours=1)
    if vignette.phq9_total is not None:
        record_assessment(
            actor=prescriber,
            patient=patient,
            instrument="phq9",
            items=_items_summing_to(vignette.phq9_total, 9, 3, last=vignette.phq9_item9 or 0),
            context="baseline",
            taken_at=scored_at,
        )
    if vignette.madrs_total is not None:
        record_assessment(
            actor=prescriber,
            patient=patient,
            instrument="madrs",
            items=_items_summing_to(vignette.madrs_total, 10, 6),
            context="baseline",
            taken_at=scored_at,
        )
    if vignette.cssrs is not None:
        record_assessment(
            actor=prescriber,
            patient=patient,
            instrument="cssrs_screener",
            items=_CSSRS_SCREENER[vignette.cssrs],
            context="baseline",
            taken_at=scored_at,
        )
    for prior_course in vignette.history:
        services.record_prior_treatment(
            actor=prescriber,
            patient=patient,
            option=prior_course.option,
            sessions=prior_course.sessions,
            response=prior_course.response,
            durability_days=prior_course.durability_days,
            adequate=prior_course.adequate,
        )
    services.record_treatment_preferences(
        actor=prescriber,
        patient=patient,
        preferred=vignette.preferred,
        declined=sorted(vignette.declined),
        travel_burden=vignette.travel,
        cost_class=vignette.cost,
    )
    services.record_recommendation_settings(
        actor=clinic_admin,
        ect_referral=vignette.clinic.ect_referral,
        rtms_referral=vignette.clinic.rtms_referral,
        self_pay_options=sorted(vignette.clinic.self_pay_options),
    )
    Clinic.objects.filter(pk=prescriber.clinic_id).update(
        rems_certified=vignette.clinic.esketamine_rems_certified
    )
    return patient


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
def test_vignette_built_from_records_gives_the_engine_the_same_input(
    vignette, prescriber, clinic_admin
):
    """Every fact of the vignette survives the records and the mapper unchanged (nothing is
    left unconfirmed), apart from the Maudsley band, which the evaluation stages itself."""
    import time_machine

    from ketacare.interop.mappers import recommendation_input_for_patient

    with time_machine.travel(AS_OF, tick=False):
        patient = record_vignette_patient(vignette, prescriber, clinic_admin)
        patient.clinic.refresh_from_db()
        mapped = recommendation_input_for_patient(patient, as_of=AS_OF)
    expected = build_input(vignette)
    assert mapped.unconfirmed_facts == frozenset()
    assert replace(mapped, eligibility=replace(mapped.eligibility, maudsley_band=None)) == replace(
        expected, eligibility=replace(expected.eligibility, maudsley_band=None)
    )


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
def test_vignette_through_the_chart_api(vignette, api, prescriber, clinic_admin):
    """The patient is built from real records (``record_vignette_patient``) and the API reads
    them through the mapper: no seam is patched."""
    import time_machine

    with time_machine.travel(AS_OF, tick=False):
        patient = record_vignette_patient(vignette, prescriber, clinic_admin)
        response = api(prescriber).get(f"/patients/{patient.pk}/recommendation")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["top_option"] == (vignette.top.value if vignette.top else None), vignette.why
    codes = {f["code"] for f in data["urgent"]}
    if data["no_top_reason"]:
        codes.add(data["no_top_reason"]["code"])
    if data["top_option"]:
        codes |= {f["code"] for f in data["options"][0]["reasons_for"]}
    assert vignette.code in codes, vignette.why
    by_option = {o["option"]: o for o in data["options"]}
    for option, code in vignette.option_codes:
        o = by_option[option.value]
        carried = {
            f["code"]
            for key in ("reasons_for", "reasons_against", "cautions", "exclusion_reasons")
            for f in o[key]
        }
        assert code in carried, (option, code)
