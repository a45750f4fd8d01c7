"""Weight-based and fixed-step dose checks (reference rules 3, 4, 6, 16, 17)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ketacare.clinical.dosing.dose import (
    DatedWeight,
    DosingPolicy,
    PastDose,
    check_cumulative_exposure,
    check_device_interval,
    check_fixed_dose,
    check_infusion_duration,
    compute_weight_based_dose,
)
from ketacare.clinical.dosing.protocols import (
    ESKETAMINE_MDSI,
    ESKETAMINE_TRD,
    IM_RACEMIC,
    IV_ELEKT_D,
    SC_KADS,
    WeightBasis,
)
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.gates import Override

D = Decimal
NOW = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)


def policy(**changes):
    base = {
        "weight_max_age_days": 30,
        "plausible_weight_min_kg": D("30"),
        "plausible_weight_max_kg": D("250"),
        "syringe_increment_ml": D("0.01"),
    }
    base.update(changes)
    return DosingPolicy(**base)


def weight(kg="70", days_ago=1, basis=WeightBasis.ACTUAL):
    return DatedWeight(D(kg), NOW - timedelta(days=days_ago), basis)


def dose(mg_per_kg="0.5", conc="100", protocol=IV_ELEKT_D, w=None, pol=None):
    return compute_weight_based_dose(
        protocol, w or weight(), D(mg_per_kg), D(conc), as_of=NOW, policy=pol or policy()
    )


def test_standard_iv_dose_is_weight_times_rate():
    # 70 kg x 0.5 mg/kg = 35 mg; 35 mg / 100 mg/mL = 0.35 mL (exact at 0.01 mL).
    plan = dose()
    assert plan.dose_mg == D("35")
    assert plan.volume_ml == D("0.35")
    assert plan.mg_per_kg_effective == D("0.5")
    assert plan.decision.allowed
    assert "no rounding" in plan.rounding_note


def test_dose_is_rounded_down_to_the_syringe_increment():
    # 70 kg x 0.5 = 35 mg at 100 mg/mL = 0.35 mL; a 0.1 mL syringe measures 0.3 mL = 30 mg.
    plan = dose(pol=policy(syringe_increment_ml=D("0.1")))
    assert plan.volume_ml == D("0.3")
    assert plan.dose_mg == D("30")
    assert plan.unrounded_dose_mg == D("35.0")
    # 30 mg / 70 kg = 0.42857... shown to 4 places, rounded down.
    assert plan.mg_per_kg_effective == D("0.4285")
    assert "rounded down" in plan.rounding_note


def test_rounding_never_increases_the_dose():
    # 73.3 kg x 0.5 = 36.65 mg at 10 mg/mL = 3.665 mL -> 3.66 mL = 36.6 mg.
    plan = dose(conc="10", w=weight("73.3"))
    assert plan.volume_ml == D("3.66")
    assert plan.dose_mg == D("36.60")
    assert plan.dose_mg <= plan.unrounded_dose_mg


def test_dose_smaller_than_the_syringe_can_measure_is_invalid_input():
    # 30 kg x 0.1 mg/kg = 3 mg at 100 mg/mL = 0.03 mL < one 0.1 mL step.
    with pytest.raises(InvalidClinicalInput) as err:
        dose(
            mg_per_kg="0.1",
            w=weight("30"),
            pol=policy(syringe_increment_ml=D("0.1")),
        )
    assert err.value.code == "dose_below_measurable_volume"


# Boundaries of the IV protocol: soft limit 0.5 mg/kg (S14b/S15), ceiling 1.0 mg/kg (S22).
@pytest.mark.parametrize(
    ("mg_per_kg", "codes", "overridable"),
    [
        ("0.49", (), None),  # below soft limit
        ("0.5", (), None),  # at soft limit
        ("0.51", ("dose_above_soft_limit",), True),  # above soft limit
        ("0.99", ("dose_above_soft_limit",), True),  # below ceiling
        ("1.0", ("dose_above_soft_limit",), True),  # at ceiling
        ("1.01", ("dose_above_ceiling",), False),  # above ceiling
    ],
)
def test_iv_soft_limit_and_ceiling_boundaries(mg_per_kg, codes, overridable):
    plan = dose(mg_per_kg=mg_per_kg)
    assert plan.decision.codes == codes
    if codes:
        assert plan.decision.blockers[0].overridable is overridable


def test_prescriber_can_override_the_soft_limit_but_not_the_ceiling():
    above_soft = dose(mg_per_kg="0.75").decision
    assert above_soft.unresolved(None) == above_soft.blockers
    reason = Override("partial response at 0.5 mg/kg", frozenset({"dose_above_soft_limit"}))
    assert above_soft.unresolved(reason) == ()
    above_ceiling = dose(mg_per_kg="1.5").decision
    forced = Override("asked", frozenset({"dose_above_ceiling"}))
    assert above_ceiling.unresolved(forced) == above_ceiling.blockers


# SC KADS range 0.5-0.9 mg/kg (S21): soft limit 0.5, ceiling 0.9.
@pytest.mark.parametrize(
    ("mg_per_kg", "codes"),
    [
        ("0.89", ("dose_above_soft_limit",)),
        ("0.9", ("dose_above_soft_limit",)),
        ("0.91", ("dose_above_ceiling",)),
    ],
)
def test_sc_ceiling_boundary(mg_per_kg, codes):
    assert dose(mg_per_kg=mg_per_kg, protocol=SC_KADS).decision.codes == codes


# IM 0.25-0.5 mg/kg (S18): below 0.25 is a warning, above 0.5 is refused.
@pytest.mark.parametrize(
    ("mg_per_kg", "blockers", "warnings"),
    [
        ("0.24", (), ("dose_below_protocol_range",)),
        ("0.25", (), ()),
        ("0.26", (), ()),
        ("0.5", (), ()),
        ("0.51", ("dose_above_ceiling",), ()),
    ],
)
def test_im_range_boundaries(mg_per_kg, blockers, warnings):
    decision = dose(mg_per_kg=mg_per_kg, protocol=IM_RACEMIC).decision
    assert decision.codes == blockers
    assert tuple(w.code for w in decision.warnings) == warnings


# Clinic setting: weight no older than 30 days (no published value; required policy field).
@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(days=30) - timedelta(seconds=1), True),
        (timedelta(days=30), True),
        (timedelta(days=30, seconds=1), False),
    ],
)
def test_weight_age_boundary(age, accepted):
    w = DatedWeight(D("70"), NOW - age)
    if accepted:
        assert dose(w=w).dose_mg == D("35")
    else:
        with pytest.raises(InvalidClinicalInput) as err:
            dose(w=w)
        assert err.value.code == "weight_too_old"


@pytest.mark.parametrize(
    ("kg", "accepted"),
    [("29.9", False), ("30", True), ("250", True), ("250.1", False)],
)
def test_weight_outside_plausible_range_is_invalid_input(kg, accepted):
    if accepted:
        assert dose(w=weight(kg)).weight_kg == D(kg)
    else:
        with pytest.raises(InvalidClinicalInput) as err:
            dose(w=weight(kg))
        assert err.value.code == "weight_implausible"


def test_weight_dated_after_the_dose_is_invalid_input():
    with pytest.raises(InvalidClinicalInput) as err:
        dose(w=DatedWeight(D("70"), NOW + timedelta(minutes=1)))
    assert err.value.code == "weight_measured_in_future"


def test_ideal_body_weight_on_an_actual_weight_protocol_is_refused():
    with pytest.raises(InvalidClinicalInput) as err:
        dose(w=weight(basis=WeightBasis.IDEAL))
    assert err.value.code == "weight_basis_mismatch"


def test_float_weight_and_naive_time_are_refused():
    with pytest.raises(InvalidClinicalInput):
        DatedWeight(70.0, NOW)
    with pytest.raises(InvalidClinicalInput):
        DatedWeight(D("70"), datetime(2025, 3, 12, 9, 0))


def test_policy_requires_the_clinic_to_set_weight_rules():
    with pytest.raises(TypeError):
        DosingPolicy()  # no invented defaults
    with pytest.raises(InvalidClinicalInput):
        policy(plausible_weight_min_kg=D("300"))


def test_weight_based_dose_on_esketamine_protocol_is_refused():
    with pytest.raises(InvalidClinicalInput) as err:
        dose(protocol=ESKETAMINE_TRD)
    assert err.value.code == "protocol_not_weight_based"


# --- esketamine fixed doses (S2, S3; HK label S12) -----------------------------------------


@pytest.mark.parametrize("mg", ["28", "56", "84"])
def test_esketamine_device_multiples_are_allowed_after_the_first_session(mg):
    assert check_fixed_dose(ESKETAMINE_TRD, D(mg), is_first_session=False, policy=policy()).allowed


@pytest.mark.parametrize("mg", ["14", "42", "112", "56.5"])
def test_esketamine_dose_that_is_not_a_device_multiple_is_blocked(mg):
    decision = check_fixed_dose(ESKETAMINE_TRD, D(mg), is_first_session=False, policy=policy())
    assert decision.codes == ("dose_not_allowed_step",)
    assert decision.blockers[0].overridable is False


def test_84_mg_is_never_given_at_the_first_trd_session():
    decision = check_fixed_dose(ESKETAMINE_TRD, D("84"), is_first_session=True, policy=policy())
    assert decision.codes == ("esketamine_84mg_first_session",)
    assert decision.blockers[0].overridable is False


def test_56_mg_first_trd_session_is_the_label_start():
    decision = check_fixed_dose(ESKETAMINE_TRD, D("56"), is_first_session=True, policy=policy())
    assert decision.allowed
    assert decision.warnings == ()


def test_28_mg_first_session_warns_when_older_adult_option_is_off():
    decision = check_fixed_dose(
        ESKETAMINE_TRD, D("28"), is_first_session=True, policy=policy(), age_years=70
    )
    assert decision.allowed
    assert [w.code for w in decision.warnings] == ["first_dose_differs_from_label_start"]


# HK label older-adult start at 28 mg: age 65 (S12); policy switch on.
@pytest.mark.parametrize(
    ("age", "mg", "warnings"),
    [
        (64, "28", ["first_dose_differs_from_label_start"]),
        (64, "56", []),
        (65, "28", []),
        (65, "56", ["esketamine_older_adult_start_28mg"]),
        (66, "56", ["esketamine_older_adult_start_28mg"]),
    ],
)
def test_older_adult_28_mg_start_option(age, mg, warnings):
    decision = check_fixed_dose(
        ESKETAMINE_TRD,
        D(mg),
        is_first_session=True,
        policy=policy(esketamine_older_adult_28mg_start=True),
        age_years=age,
    )
    assert decision.allowed
    assert [w.code for w in decision.warnings] == warnings


def test_older_adult_option_needs_the_age():
    with pytest.raises(InvalidClinicalInput) as err:
        check_fixed_dose(
            ESKETAMINE_TRD,
            D("28"),
            is_first_session=True,
            policy=policy(esketamine_older_adult_28mg_start=True),
        )
    assert err.value.code == "age_required"


def test_mdsi_starts_at_84_mg_without_a_first_session_block():
    assert check_fixed_dose(
        ESKETAMINE_MDSI, D("84"), is_first_session=True, policy=policy()
    ).allowed


def test_28_mg_in_maintenance_is_outside_the_label_doses():
    decision = check_fixed_dose(
        ESKETAMINE_TRD, D("28"), is_first_session=False, policy=policy(), course_week=6
    )
    assert [w.code for w in decision.warnings] == ["dose_outside_phase_doses"]


def test_fixed_dose_check_on_weight_based_protocol_is_refused():
    with pytest.raises(InvalidClinicalInput):
        check_fixed_dose(IV_ELEKT_D, D("35"), is_first_session=True, policy=policy())


# --- devices and infusion rate -------------------------------------------------------------


# 5 minutes between devices (S3).
@pytest.mark.parametrize(
    ("gap", "codes"),
    [
        (timedelta(minutes=4, seconds=59), ("device_interval_too_short",)),
        (timedelta(minutes=5), ()),
        (timedelta(minutes=6), ()),
    ],
)
def test_device_interval_boundary(gap, codes):
    times = [NOW, NOW + timedelta(minutes=5), NOW + timedelta(minutes=5) + gap]
    assert check_device_interval(ESKETAMINE_TRD, times).codes == codes


# Infusions shorter than 40 min are flagged (S15, S27).
@pytest.mark.parametrize(("minutes", "flagged"), [(39, True), (40, False), (41, False)])
def test_fast_infusion_is_flagged(minutes, flagged):
    decision = check_infusion_duration(IV_ELEKT_D, minutes)
    assert decision.allowed
    assert bool(decision.warnings) is flagged


# --- cumulative exposure -------------------------------------------------------------------


def test_cumulative_limits_are_not_enforced_unless_the_clinic_sets_them():
    past = [PastDose(NOW - timedelta(days=d), D("84")) for d in (3, 10, 17, 24)]
    result = check_cumulative_exposure(ESKETAMINE_TRD, past, D("84"), as_of=NOW, policy=policy())
    # 7 days: 84 (3 days ago) + 84 = 168 mg; 30 days: 4 x 84 + 84 = 420 mg.
    assert (result.total_mg_7_days, result.total_mg_30_days) == (D("168"), D("420"))
    assert result.decision.allowed


# Clinic limit 168 mg per rolling 7 days (an example clinic value, no published limit).
@pytest.mark.parametrize(("proposed", "blocked"), [("83", False), ("84", False), ("85", True)])
def test_rolling_7_day_limit_boundary(proposed, blocked):
    past = [PastDose(NOW - timedelta(days=3), D("84"))]
    result = check_cumulative_exposure(
        ESKETAMINE_TRD,
        past,
        D(proposed),
        as_of=NOW,
        policy=policy(max_mg_per_rolling_7_days=D("168")),
    )
    assert ("cumulative_dose_7_days_exceeded" in result.decision.codes) is blocked


def test_dose_exactly_7_days_ago_is_outside_the_rolling_week():
    past = [PastDose(NOW - timedelta(days=7), D("56"))]
    result = check_cumulative_exposure(ESKETAMINE_TRD, past, D("56"), as_of=NOW, policy=policy())
    assert result.total_mg_7_days == D("56")
    assert result.total_mg_30_days == D("112")


def test_third_session_in_any_7_days_exceeds_twice_weekly():
    past = [PastDose(NOW - timedelta(days=d), D("35")) for d in (2, 4)]
    result = check_cumulative_exposure(IV_ELEKT_D, past, D("35"), as_of=NOW, policy=policy())
    assert result.sessions_7_days == 3
    assert result.decision.codes == ("sessions_per_7_days_exceeded",)


def test_past_dose_after_the_proposed_dose_is_invalid_input():
    past = [PastDose(NOW + timedelta(hours=1), D("35"))]
    with pytest.raises(InvalidClinicalInput) as err:
        check_cumulative_exposure(IV_ELEKT_D, past, D("35"), as_of=NOW, policy=policy())
    assert err.value.code == "past_dose_in_future"
