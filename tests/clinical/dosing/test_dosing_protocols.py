"""Protocol library and protocol validation (reference §1, rules 3-6, 15-18)."""

import dataclasses
from decimal import Decimal

import pytest

from ketacare.clinical.dosing.protocols import (
    ESKETAMINE_MDSI,
    ESKETAMINE_TRD,
    IM_RACEMIC,
    IV_ELEKT_D,
    SC_KADS,
    STANDARD_PROTOCOLS,
    FixedStepDose,
    Phase,
    WeightBasedDose,
    require_observation_min,
    validate_protocol,
    with_clinic_settings,
)
from ketacare.clinical.errors import InvalidClinicalInput

D = Decimal


def test_standard_library_holds_iv_im_sc_and_both_esketamine_indications():
    assert set(STANDARD_PROTOCOLS) == {
        "iv_racemic_elektd",
        "iv_racemic_murrough",
        "im_racemic",
        "sc_racemic_kads",
        "in_esketamine_trd",
        "in_esketamine_mdsi",
    }


def test_iv_protocol_is_half_mg_per_kg_over_40_minutes_with_ceiling_one_mg_per_kg():
    # S15 ELEKT-D / S14b: 0.5 mg/kg over 40 min; S22 Fava 2020: highest tested 1.0 mg/kg.
    rule = IV_ELEKT_D.dose_rule
    assert isinstance(rule, WeightBasedDose)
    assert (rule.default_mg_per_kg, rule.soft_limit_mg_per_kg, rule.ceiling_mg_per_kg) == (
        D("0.5"),
        D("0.5"),
        D("1.0"),
    )
    assert IV_ELEKT_D.infusion_duration_min == 40
    assert rule.weight_basis.value == "actual"


def test_im_and_sc_ranges_follow_their_trials():
    # S18: IM 0.25-0.5 mg/kg. S21 KADS: SC 0.5-0.9 mg/kg.
    im, sc = IM_RACEMIC.dose_rule, SC_KADS.dose_rule
    assert (im.minimum_mg_per_kg, im.ceiling_mg_per_kg) == (D("0.25"), D("0.5"))
    assert (sc.minimum_mg_per_kg, sc.soft_limit_mg_per_kg, sc.ceiling_mg_per_kg) == (
        D("0.5"),
        D("0.5"),
        D("0.9"),
    )


def test_esketamine_protocols_use_28_mg_devices_5_minutes_apart_and_2_hour_observation():
    for p in (ESKETAMINE_TRD, ESKETAMINE_MDSI):
        assert isinstance(p.dose_rule, FixedStepDose)
        assert p.dose_rule.steps_mg == (D("28"), D("56"), D("84"))
        assert p.device_interval_min == 5
        assert p.observation_min == 120
        assert p.vitals.at_minutes_after_dose == (40,)
    assert ESKETAMINE_TRD.dose_rule.start_dose_mg == D("56")
    assert ESKETAMINE_MDSI.dose_rule.start_dose_mg == D("84")


def test_esketamine_trd_phases_are_twice_weekly_then_weekly():
    # S2/S3: weeks 1-4 twice weekly, 5-8 weekly, 9+ weekly or every 2 weeks.
    phases = ESKETAMINE_TRD.schedule.phases
    assert [(p.first_week, p.last_week, p.max_sessions_per_week) for p in phases] == [
        (1, 4, 2),
        (5, 8, 1),
        (9, None, 1),
    ]


def test_racemic_protocols_have_no_invented_observation_time():
    # Reference §3.3: minimum post-infusion observation NOT FOUND.
    for p in (IV_ELEKT_D, IM_RACEMIC, SC_KADS):
        assert p.observation_min is None
        with pytest.raises(InvalidClinicalInput) as err:
            require_observation_min(p)
        assert err.value.code == "observation_minimum_not_set"


def test_clinic_can_set_observation_time_on_a_copy():
    mine = with_clinic_settings(IV_ELEKT_D, observation_min=60)
    assert require_observation_min(mine) == 60
    assert IV_ELEKT_D.observation_min is None


def test_iv_vitals_schedule_is_marked_as_an_example_not_a_guideline():
    # S25 Emory: every 10 min during, every 15 min after.
    v = IV_ELEKT_D.vitals
    assert (v.during_infusion_every_min, v.after_infusion_every_min) == (10, 15)
    assert v.clinic_example_only is True


def _iv_rule(**changes):
    return dataclasses.replace(IV_ELEKT_D, dose_rule=dataclasses.replace(_IV_RULE, **changes))


_IV_RULE = IV_ELEKT_D.dose_rule


@pytest.mark.parametrize(
    "changes",
    [
        {"default_mg_per_kg": D("0.6")},  # default above soft limit
        {"soft_limit_mg_per_kg": D("1.2")},  # soft limit above ceiling
        {"ceiling_mg_per_kg": D("0")},
        {"minimum_mg_per_kg": D("0.6")},  # minimum above default
        {"default_mg_per_kg": 0.5},  # float, not Decimal
    ],
)
def test_inconsistent_weight_based_rule_is_refused(changes):
    with pytest.raises(InvalidClinicalInput) as err:
        validate_protocol(_iv_rule(**changes))
    assert err.value.code == "invalid_protocol"


def test_rule_with_default_equal_to_soft_limit_equal_to_ceiling_is_valid():
    p = _iv_rule(soft_limit_mg_per_kg=D("0.5"), ceiling_mg_per_kg=D("0.5"))
    assert validate_protocol(p) is p


@pytest.mark.parametrize(
    "phases",
    [
        (Phase(2, 4, 2),),  # does not start at week 1
        (Phase(1, 3, 2), Phase(5, None, 1)),  # gap at week 4
        (Phase(1, None, 2), Phase(2, None, 1)),  # open-ended phase not last
        (Phase(1, 4, 8),),  # more than 7 a week
    ],
)
def test_inconsistent_schedule_is_refused(phases):
    p = dataclasses.replace(
        IV_ELEKT_D, schedule=dataclasses.replace(IV_ELEKT_D.schedule, phases=phases)
    )
    with pytest.raises(InvalidClinicalInput):
        validate_protocol(p)


def test_fixed_steps_out_of_order_or_phase_dose_not_a_step_is_refused():
    bad_steps = dataclasses.replace(
        ESKETAMINE_TRD,
        dose_rule=dataclasses.replace(ESKETAMINE_TRD.dose_rule, steps_mg=(D("56"), D("28"))),
    )
    with pytest.raises(InvalidClinicalInput):
        validate_protocol(bad_steps)
    bad_phase = dataclasses.replace(
        ESKETAMINE_TRD,
        schedule=dataclasses.replace(
            ESKETAMINE_TRD.schedule, phases=(Phase(1, None, 2, (D("112"),)),)
        ),
    )
    with pytest.raises(InvalidClinicalInput):
        validate_protocol(bad_phase)


def test_infusion_duration_on_a_non_iv_protocol_is_refused():
    with pytest.raises(InvalidClinicalInput):
        with_clinic_settings(SC_KADS, infusion_duration_min=40)


def test_unknown_clinic_setting_is_refused():
    with pytest.raises(InvalidClinicalInput):
        with_clinic_settings(IV_ELEKT_D, observation_minutes=60)
