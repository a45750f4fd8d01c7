from dataclasses import replace
from datetime import timedelta

import pytest
from session_builders import DOSE_AT, make_policy, reading

from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.clinical.gates import Acknowledgment, Finding, GateDecision, Override
from ketacare.clinical.session.checks import (
    ClearanceContext,
    PredoseContext,
    check_clear,
    check_predose,
)
from ketacare.clinical.session.types import CareSetting, Drug, Route
from ketacare.clinical.session.vitals import VitalsThresholds


def esketamine_outpatient(**overrides) -> ClearanceContext:
    values = {
        "drug": Drug.ESKETAMINE,
        "route": Route.INTRANASAL,
        "setting": CareSetting.OUTPATIENT,
        "consent_valid": True,
        "consent_code": None,
        "predose_vitals": (reading(-10),),
        "phq9_item9_positive_today": False,
        "cssrs_high_risk_today": False,
        "safety_assessment_documented": False,
        "npo_instructions_confirmed": True,
        "ride_home_confirmed": True,
        "rems_patient_enrolled": True,
        "rems_setting_certified": True,
    }
    values.update(overrides)
    return ClearanceContext(**values)


def iv_outpatient(**overrides) -> ClearanceContext:
    return esketamine_outpatient(drug=Drug.RACEMIC_KETAMINE, route=Route.INTRAVENOUS, **overrides)


def predose(clearance=None, **overrides) -> PredoseContext:
    values = {
        "clearance": clearance or esketamine_outpatient(),
        "prescriber_on_site": True,
        "pulse_oximeter_available": True,
        "dose_decision": GateDecision(),
    }
    values.update(overrides)
    return PredoseContext(**values)


def test_a_ready_esketamine_outpatient_is_cleared_and_may_be_dosed():
    assert check_clear(esketamine_outpatient(), make_policy(), as_of=DOSE_AT).allowed
    decision = check_predose(predose(), make_policy(), as_of=DOSE_AT)
    assert decision.allowed
    assert decision.warnings == ()


# Esketamine label (S2/S2c, [V*]): "consider delaying therapy if >140/90 mmHg".
# ">140/90" means strictly greater: either value above its limit triggers, 140/90 does not.
# Guidance wording in a secondary copy: a warning to acknowledge, never a block (issue 16.2).
@pytest.mark.parametrize(
    ("systolic", "diastolic", "warned"),
    [
        (139, 89, False),
        (140, 90, False),
        (141, 90, True),
        (140, 91, True),
    ],
)
def test_systolic_threshold_boundaries(systolic, diastolic, warned):
    ctx = esketamine_outpatient(
        predose_vitals=(reading(-5, systolic=systolic, diastolic=diastolic),)
    )
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    assert ("bp_above_predose_threshold" in decision.acknowledgment_codes) is warned
    assert "bp_above_predose_threshold" not in decision.codes  # never a blocker


def test_high_predose_bp_is_a_warning_cleared_by_a_documented_acknowledgment():
    ctx = esketamine_outpatient(predose_vitals=(reading(-5, systolic=152, diastolic=88),))
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    assert decision.blockers == ()
    [warning] = decision.acknowledgments
    assert dict(warning.data)["systolic_max_mmhg"] == 140
    assert not warning.source.can_justify_block  # secondary copy of guidance wording
    with pytest.raises(GateBlocked) as refused:
        decision.enforce()
    assert refused.value.code == "bp_above_predose_threshold"
    assert refused.value.details["acknowledgments_required"][0]["acknowledge"] is True
    ack = Acknowledgment(reason="Known hypertension, reviewed", codes=frozenset({warning.code}))
    assert decision.enforce(acknowledgment=ack) == ()


def test_a_prescriber_override_does_not_stand_in_for_the_bp_acknowledgment():
    ctx = esketamine_outpatient(predose_vitals=(reading(-5, systolic=152, diastolic=88),))
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    override = Override("Reviewed", frozenset({"bp_above_predose_threshold"}))
    with pytest.raises(GateBlocked):
        decision.enforce(override)


def test_an_acknowledgment_needs_a_reason_and_codes():
    with pytest.raises(InvalidClinicalInput) as no_reason:
        Acknowledgment(reason="  ", codes=frozenset({"bp_above_predose_threshold"}))
    with pytest.raises(InvalidClinicalInput) as no_codes:
        Acknowledgment(reason="Reviewed")
    assert (no_reason.value.code, no_codes.value.code) == (
        "acknowledgment_reason_required",
        "acknowledgment_codes_required",
    )


def test_the_newest_reading_in_the_window_decides_the_bp_check():
    ctx = esketamine_outpatient(
        predose_vitals=(reading(-20, systolic=150), reading(-3, systolic=132))
    )
    assert check_clear(ctx, make_policy(), as_of=DOSE_AT).allowed


# Hard limit: a clinic setting with no cited default; here 180/110, strictly above blocks.
@pytest.mark.parametrize(("systolic", "blocked"), [(179, False), (180, False), (181, True)])
def test_clinic_hard_bp_limit_blocks_without_override(systolic, blocked):
    policy = make_policy(
        vitals_thresholds=VitalsThresholds(spo2_min_percent=92, predose_hard_systolic_max_mmhg=180)
    )
    ctx = esketamine_outpatient(predose_vitals=(reading(-5, systolic=systolic),))
    decision = check_clear(ctx, policy, as_of=DOSE_AT)
    assert ("bp_above_hard_limit" in decision.codes) is blocked
    if blocked:
        hard = next(b for b in decision.blockers if b.code == "bp_above_hard_limit")
        assert not hard.overridable


def test_without_a_hard_limit_setting_a_very_high_bp_still_needs_only_an_acknowledgment():
    ctx = esketamine_outpatient(predose_vitals=(reading(-5, systolic=185, diastolic=105),))
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    assert decision.codes == ()
    assert decision.acknowledgment_codes == ("bp_above_predose_threshold",)


# Pre-dose vitals window (clinic setting, here 30 min): older than 30 min is missing.
@pytest.mark.parametrize(("minutes_before", "missing"), [(29, False), (30, False), (31, True)])
def test_predose_vitals_older_than_the_clinic_window_count_as_missing(minutes_before, missing):
    ctx = esketamine_outpatient(predose_vitals=(reading(-minutes_before),))
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    assert ("predose_vitals_missing" in decision.codes) is missing


def test_no_predose_vitals_blocks_without_override():
    decision = check_clear(esketamine_outpatient(predose_vitals=()), make_policy(), as_of=DOSE_AT)
    [blocker] = decision.blockers
    assert blocker.code == "predose_vitals_missing"
    assert not blocker.overridable


def test_a_reading_timed_after_the_check_is_refused_as_input():
    with pytest.raises(InvalidClinicalInput) as error:
        check_clear(
            esketamine_outpatient(predose_vitals=(reading(1),)), make_policy(), as_of=DOSE_AT
        )
    assert error.value.code == "vitals_in_future"


# Each blocker alone: (context change, expected code, overridable).
ALONE = [
    ({"consent_valid": False, "consent_code": "consent_superseded"}, "consent_missing", False),
    (
        {"phq9_item9_positive_today": True},
        "safety_assessment_required",
        False,
    ),
    ({"cssrs_high_risk_today": True}, "safety_assessment_required", False),
    ({"ride_home_confirmed": False}, "ride_home_missing", True),
    ({"rems_patient_enrolled": False}, "rems_patient_not_enrolled", False),
    ({"rems_setting_certified": False}, "rems_setting_not_certified", False),
]


@pytest.mark.parametrize(("change", "code", "overridable"), ALONE)
def test_each_clearance_blocker_alone(change, code, overridable):
    decision = check_clear(esketamine_outpatient(**change), make_policy(), as_of=DOSE_AT)
    [blocker] = decision.blockers
    assert (blocker.code, blocker.overridable) == (code, overridable)
    # The pre-dose check re-runs clearance, so the same blocker stands at the dose.
    assert check_predose(
        predose(esketamine_outpatient(**change)), make_policy(), as_of=DOSE_AT
    ).codes == (code,)


def test_blocked_consent_carries_the_consent_modules_code():
    ctx = esketamine_outpatient(consent_valid=False, consent_code="consent_superseded")
    [blocker] = check_clear(ctx, make_policy(), as_of=DOSE_AT).blockers
    assert dict(blocker.data)["consent_code"] == "consent_superseded"


def test_a_documented_safety_assessment_lets_a_high_risk_patient_proceed():
    ctx = esketamine_outpatient(cssrs_high_risk_today=True, safety_assessment_documented=True)
    assert check_clear(ctx, make_policy(), as_of=DOSE_AT).allowed


# Esketamine fasting: patients are advised to avoid food 2 h (120 min) and liquids 30 min
# before (nausea, vomiting); guidance read in the manufacturer's patient page (S58,
# secondary), so a shortfall needs an acknowledgment with a reason, never a block (16.2).
@pytest.mark.parametrize(("food_min_ago", "too_soon"), [(119, True), (120, False), (121, False)])
def test_esketamine_food_within_two_hours_asks_for_an_acknowledgment(food_min_ago, too_soon):
    ctx = esketamine_outpatient(last_food_at=DOSE_AT - timedelta(minutes=food_min_ago))
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    assert decision.codes == ()
    assert ("npo_not_confirmed" in decision.acknowledgment_codes) is too_soon


@pytest.mark.parametrize(("liquid_min_ago", "too_soon"), [(29, True), (30, False), (31, False)])
def test_esketamine_liquids_within_thirty_minutes_asks_for_an_acknowledgment(
    liquid_min_ago, too_soon
):
    ctx = esketamine_outpatient(last_liquids_at=DOSE_AT - timedelta(minutes=liquid_min_ago))
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    assert decision.codes == ()
    assert ("npo_not_confirmed" in decision.acknowledgment_codes) is too_soon


def test_esketamine_fasting_not_confirmed_is_acknowledged_not_overridden():
    ctx = esketamine_outpatient(npo_instructions_confirmed=False)
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    [ack] = decision.acknowledgments
    assert ack.code == "npo_not_confirmed"
    assert not ack.source.can_justify_block  # a secondary copy of guidance wording
    assert decision.blockers == ()
    assert not decision.allowed
    acknowledged = Acknowledgment(
        reason="Ate a light breakfast 90 min ago; no nausea history", codes=frozenset({ack.code})
    )
    assert decision.unacknowledged(acknowledged) == ()
    # The dose step re-runs clearance: the same acknowledgment stands at the dose.
    dose = check_predose(predose(ctx), make_policy(), as_of=DOSE_AT)
    assert dose.acknowledgment_codes == ("npo_not_confirmed",)


def test_iv_fasting_is_a_confirmation_of_the_clinics_instructions_only():
    decision = check_clear(
        iv_outpatient(npo_instructions_confirmed=False, last_food_at=DOSE_AT),
        make_policy(),
        as_of=DOSE_AT,
    )
    [blocker] = decision.blockers
    assert blocker.code == "npo_not_confirmed"
    assert dict(blocker.data) == {"confirmed": False}
    assert check_clear(iv_outpatient(last_food_at=DOSE_AT), make_policy(), as_of=DOSE_AT).allowed


def test_iv_session_ignores_rems_and_says_the_clinic_has_set_no_bp_limit():
    ctx = iv_outpatient(rems_patient_enrolled=False, rems_setting_certified=False)
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    assert decision.allowed
    assert [w.code for w in decision.warnings] == ["predose_bp_limit_not_set"]


def test_iv_session_with_a_high_bp_is_not_judged_by_the_esketamine_label_number():
    # No IV/IM/SC source gives a pre-dose limit: 150/95 raises nothing until the clinic sets one.
    ctx = iv_outpatient(predose_vitals=(reading(-5, systolic=150, diastolic=95),))
    decision = check_clear(ctx, make_policy(), as_of=DOSE_AT)
    assert decision.acknowledgments == ()
    assert decision.blockers == ()


def test_iv_session_with_clinic_bp_limits_gets_the_acknowledgment_warning():
    policy = make_policy(
        vitals_thresholds=VitalsThresholds(
            spo2_min_percent=92, predose_systolic_max_mmhg=150, predose_diastolic_max_mmhg=95
        )
    )
    ctx = iv_outpatient(predose_vitals=(reading(-5, systolic=151, diastolic=90),))
    decision = check_clear(ctx, policy, as_of=DOSE_AT)
    assert decision.acknowledgment_codes == ("bp_above_predose_threshold",)
    assert decision.acknowledgments[0].source.grade.value == "clinic"


def test_inpatient_esketamine_needs_a_certified_setting_but_no_patient_enrolment_or_ride():
    ctx = esketamine_outpatient(
        setting=CareSetting.INPATIENT, rems_patient_enrolled=False, ride_home_confirmed=False
    )
    assert check_clear(ctx, make_policy(), as_of=DOSE_AT).allowed
    ctx = replace(ctx, rems_setting_certified=False)
    assert check_clear(ctx, make_policy(), as_of=DOSE_AT).codes == ("rems_setting_not_certified",)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"prescriber_on_site": False}, "prescriber_not_on_site"),
        ({"pulse_oximeter_available": False}, "pulse_oximeter_unavailable"),
        ({"dose_decision": None}, "dose_not_within_limits"),
    ],
)
def test_each_predose_blocker_alone_for_esketamine_is_not_overridable(change, code):
    [blocker] = check_predose(predose(**change), make_policy(), as_of=DOSE_AT).blockers
    assert blocker.code == code
    assert not blocker.overridable


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"prescriber_on_site": False}, "prescriber_not_on_site"),
        ({"pulse_oximeter_available": False}, "pulse_oximeter_unavailable"),
    ],
)
def test_for_iv_staffing_and_oximeter_blockers_are_a_clinic_policy_a_prescriber_may_override(
    change, code
):
    ctx = predose(iv_outpatient(), **change)
    [blocker] = check_predose(ctx, make_policy(), as_of=DOSE_AT).blockers
    assert (blocker.code, blocker.overridable) == (code, True)
    relaxed = make_policy(
        require_prescriber_on_site_other_routes=False, require_pulse_oximeter_other_routes=False
    )
    assert check_predose(ctx, relaxed, as_of=DOSE_AT).allowed


def test_the_dosing_decision_is_merged_with_its_own_codes_and_overridability():
    dosing = GateDecision(
        blockers=(Finding(code="dose_above_ceiling", message="Above ceiling", overridable=False),),
        warnings=(Finding(code="dose_above_default", message="Above default"),),
    )
    decision = check_predose(predose(dose_decision=dosing), make_policy(), as_of=DOSE_AT)
    assert decision.codes == ("dose_above_ceiling",)
    assert not decision.blockers[0].overridable
    assert [w.code for w in decision.warnings] == ["dose_above_default"]


def test_several_problems_are_all_listed_at_once():
    ctx = esketamine_outpatient(consent_valid=False, ride_home_confirmed=False, predose_vitals=())
    decision = check_predose(predose(ctx, prescriber_on_site=False), make_policy(), as_of=DOSE_AT)
    assert set(decision.codes) == {
        "consent_missing",
        "ride_home_missing",
        "predose_vitals_missing",
        "prescriber_not_on_site",
    }


def test_esketamine_by_a_route_other_than_nasal_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        esketamine_outpatient(route=Route.INTRAVENOUS)
    assert error.value.code == "route_not_supported_for_drug"


def test_a_naive_as_of_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        check_clear(esketamine_outpatient(), make_policy(), as_of=DOSE_AT.replace(tzinfo=None))
    assert error.value.code == "naive_datetime"
