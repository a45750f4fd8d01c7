from datetime import timedelta

import pytest
from session_builders import DOSE_AT, make_policy, reading

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.gates import Override
from ketacare.clinical.session.discharge import DischargeContext, assess_discharge_readiness
from ketacare.clinical.session.monitoring import assess_dissociation, iv_example_schedule
from ketacare.clinical.session.types import CareSetting, Drug, Route
from ketacare.clinical.session.vitals import VitalsThresholds


def at(minutes: float):
    return DOSE_AT + timedelta(minutes=minutes)


def esketamine_session(**overrides) -> DischargeContext:
    values = {
        "drug": Drug.ESKETAMINE,
        "route": Route.INTRANASAL,
        "setting": CareSetting.OUTPATIENT,
        "first_dose_at": DOSE_AT,
        # pre-dose, 40 min (S3) and a "before completion" reading (S5)
        "vitals": (reading(-10), reading(40), reading(115)),
        "moaas_predose": 5,
        "moaas_latest": 5,
        "dissociation": assess_dissociation(0, clinician_recorded_resolved=True),
        "clinician_ready": True,
    }
    values.update(overrides)
    return DischargeContext(**values)


def test_a_stable_esketamine_patient_may_leave_at_two_hours():
    assert assess_discharge_readiness(esketamine_session(), make_policy(), as_of=at(120)).allowed


# Esketamine (S1, S4, S5): at least 120 minutes after administration (one device here).
@pytest.mark.parametrize(("minutes", "too_early"), [(119, True), (120, False), (121, False)])
def test_esketamine_discharge_boundary(minutes, too_early):
    decision = assess_discharge_readiness(esketamine_session(), make_policy(), as_of=at(minutes))
    assert ("discharge_too_early" in decision.codes) is too_early


def test_early_discharge_is_overridable_with_a_reason_and_reports_elapsed_minutes():
    decision = assess_discharge_readiness(esketamine_session(), make_policy(), as_of=at(119))
    [blocker] = decision.blockers
    assert blocker.overridable
    assert dict(blocker.data) == {
        "elapsed_min": 119,
        "minimum_min": 120,
        # the shipped default (S1 "after administration"); one device, so the same moment
        "counted_from": "last_dose",
        "observation_ends_at": "2025-03-04T12:00:00+00:00",
    }
    override = Override(reason="Transfer to ED for review", codes=frozenset({blocker.code}))
    assert decision.unresolved(override) == ()


def test_a_clinic_may_observe_longer_than_the_label_but_not_shorter():
    longer = make_policy(esketamine_min_observation_min=150)
    decision = assess_discharge_readiness(esketamine_session(), longer, as_of=at(130))
    assert decision.codes == ("discharge_too_early",)
    with pytest.raises(InvalidClinicalInput):
        make_policy(esketamine_min_observation_min=90)


# IV: the clinic's protocol minimum (no published value); here 60 min.
@pytest.mark.parametrize(("minutes", "too_early"), [(59, True), (60, False), (61, False)])
def test_iv_discharge_uses_the_clinics_protocol_minimum(minutes, too_early):
    policy = make_policy(observation_min_by_route=((Route.INTRAVENOUS, 60),))
    ctx = esketamine_session(
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.INTRAVENOUS,
        vitals=(reading(-10), reading(minutes - 5)),
    )
    decision = assess_discharge_readiness(ctx, policy, as_of=at(minutes))
    assert ("discharge_too_early" in decision.codes) is too_early
    assert [w.code for w in decision.warnings] == ["vitals_schedule_not_configured"]


def test_iv_discharge_without_a_protocol_minimum_is_refused_as_input():
    ctx = esketamine_session(drug=Drug.RACEMIC_KETAMINE, route=Route.INTRAVENOUS)
    with pytest.raises(InvalidClinicalInput) as error:
        assess_discharge_readiness(ctx, make_policy(), as_of=at(180))
    assert error.value.code == "observation_minimum_not_configured"


def test_iv_missed_checks_on_the_clinics_schedule_block_discharge():
    schedule = iv_example_schedule(infusion_min=40, observation_until_min=60, tolerance_min=2)
    policy = make_policy(
        observation_min_by_route=((Route.INTRAVENOUS, 60),),
        schedules_by_route=((Route.INTRAVENOUS, schedule),),
    )
    ctx = esketamine_session(
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.INTRAVENOUS,
        vitals=(reading(10), reading(20), reading(30), reading(40), reading(55)),
    )
    assert assess_discharge_readiness(ctx, policy, as_of=at(61)).allowed
    ctx = esketamine_session(
        drug=Drug.RACEMIC_KETAMINE, route=Route.INTRAVENOUS, vitals=(reading(10), reading(55))
    )
    [blocker] = assess_discharge_readiness(ctx, policy, as_of=at(61)).blockers
    assert blocker.code == "scheduled_vitals_missed"
    assert dict(blocker.data)["missed_minutes"] == (20, 30, 40)


def test_missing_40_minute_bp_blocks_esketamine_discharge_until_a_prescriber_accepts_it():
    ctx = esketamine_session(vitals=(reading(-10), reading(115)))
    [blocker] = assess_discharge_readiness(ctx, make_policy(), as_of=at(120)).blockers
    assert blocker.code == "scheduled_vitals_missed"
    assert blocker.overridable
    assert dict(blocker.data)["missed_minutes"] == (40,)


def test_no_reading_before_completion_blocks_without_override():
    ctx = esketamine_session(vitals=(reading(-10), reading(40)))
    [blocker] = assess_discharge_readiness(ctx, make_policy(), as_of=at(120)).blockers
    assert blocker.code == "discharge_vitals_not_acceptable"
    assert dict(blocker.data)["reason"] == "stale"
    assert not blocker.overridable


def test_no_post_dose_reading_at_all_is_reported_as_missing():
    ctx = esketamine_session(vitals=(reading(-10),))
    decision = assess_discharge_readiness(ctx, make_policy(), as_of=at(120))
    vitals_blocker = next(
        b for b in decision.blockers if b.code == "discharge_vitals_not_acceptable"
    )
    assert dict(vitals_blocker.data)["reason"] == "missing"


# Pre-completion reading must be at most 15 min old (clinic setting in the test policy).
@pytest.mark.parametrize(("taken_min", "blocked"), [(104, True), (105, False), (106, False)])
def test_pre_completion_reading_age_boundary(taken_min, blocked):
    ctx = esketamine_session(vitals=(reading(-10), reading(40), reading(taken_min)))
    decision = assess_discharge_readiness(ctx, make_policy(), as_of=at(120))
    assert ("discharge_vitals_not_acceptable" in decision.codes) is blocked


def test_latest_vitals_out_of_the_clinics_range_block_but_may_be_overridden():
    policy = make_policy(vitals_thresholds=VitalsThresholds(spo2_min_percent=92))
    ctx = esketamine_session(vitals=(reading(-10), reading(40), reading(115, spo2=90)))
    [blocker] = assess_discharge_readiness(ctx, policy, as_of=at(120)).blockers
    assert blocker.code == "discharge_vitals_not_acceptable"
    assert blocker.overridable
    assert dict(blocker.data)["findings"] == ("spo2_below_threshold",)


@pytest.mark.parametrize(("latest", "blocked"), [(4, True), (5, False)])
def test_sedation_must_return_to_the_predose_moaas(latest, blocked):
    ctx = esketamine_session(moaas_predose=5, moaas_latest=latest)
    decision = assess_discharge_readiness(ctx, make_policy(), as_of=at(120))
    assert ("sedation_not_resolved" in decision.codes) is blocked
    if blocked:
        assert not decision.blockers[0].overridable


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"moaas_latest": None}, "sedation_not_resolved"),
        ({"dissociation": None}, "dissociation_not_resolved"),
        (
            {"dissociation": assess_dissociation(6, clinician_recorded_resolved=False)},
            "dissociation_not_resolved",
        ),
        ({"clinician_ready": False}, "clinician_readiness_missing"),
    ],
)
def test_each_discharge_blocker_alone_is_not_overridable(change, code):
    [blocker] = assess_discharge_readiness(
        esketamine_session(**change), make_policy(), as_of=at(120)
    ).blockers
    assert blocker.code == code
    assert not blocker.overridable


def test_discharge_cannot_be_assessed_before_the_first_dose():
    with pytest.raises(InvalidClinicalInput) as error:
        assess_discharge_readiness(esketamine_session(), make_policy(), as_of=at(-1))
    assert error.value.code == "discharge_before_dose"


# --- observation counted from the end of administration (issue 16.3) -------------------------
# Label (S1): "at least 2 hours after administration"; S3: BP "40 minutes after
# administration". With 84 mg (three devices 5 minutes apart) administration ends 10 minutes
# after the first device, so by default the 120 minutes run from the last device.


def eighty_four_mg(**overrides) -> DischargeContext:
    values = {
        "last_dose_at": at(10),  # third device
        "vitals": (reading(-10), reading(50), reading(125)),  # 40 min after the last device
    }
    values.update(overrides)
    return esketamine_session(**values)


def test_the_shipped_default_counts_observation_after_administration():
    from ketacare.clinical.session.policy import ObservationAnchor

    assert make_policy().observation_from is ObservationAnchor.LAST_DOSE


# 84 mg: three devices 5 minutes apart (0, 5, 10 min); the default counts from the third.
@pytest.mark.parametrize(
    ("minutes", "too_early"), [(125, True), (129, True), (130, False), (131, False)]
)
def test_84mg_discharge_not_before_two_hours_after_the_last_device(minutes, too_early):
    decision = assess_discharge_readiness(eighty_four_mg(), make_policy(), as_of=at(minutes))
    assert ("discharge_too_early" in decision.codes) is too_early
    if too_early:
        blocker = next(b for b in decision.blockers if b.code == "discharge_too_early")
        assert dict(blocker.data)["counted_from"] == "last_dose"
        assert "end of administration" in blocker.message


def test_a_clinic_may_count_from_the_first_device_as_the_rems_form_does():
    from ketacare.clinical.session.policy import ObservationAnchor

    policy = make_policy(observation_from=ObservationAnchor.FIRST_DOSE)
    ctx = eighty_four_mg(vitals=(reading(-10), reading(40), reading(115)))
    assert assess_discharge_readiness(ctx, policy, as_of=at(120)).allowed


def test_84mg_the_40_minute_bp_is_due_40_minutes_after_the_last_device():
    # A reading at 40 min after the first device is only 30 min after the last: too early.
    ctx = eighty_four_mg(vitals=(reading(-10), reading(40), reading(125)))
    decision = assess_discharge_readiness(ctx, make_policy(), as_of=at(130))
    assert "scheduled_vitals_missed" in decision.codes
    # ...and met by a reading 40 min after the third device (50 min after the first).
    assert assess_discharge_readiness(eighty_four_mg(), make_policy(), as_of=at(130)).allowed


def test_last_dose_before_the_first_is_refused_as_input():
    with pytest.raises(InvalidClinicalInput):
        esketamine_session(last_dose_at=at(-1))


def test_infusion_end_and_last_device_are_when_administration_ended():
    from ketacare.clinical.session.policy import last_dose_time

    assert last_dose_time(at(0), (at(0), at(5), at(10))) == at(10)
    assert last_dose_time(at(0), infusion_duration_min=40) == at(40)
    assert last_dose_time(at(0)) == at(0)
