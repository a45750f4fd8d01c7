from datetime import datetime

import pytest
from session_builders import DOSE_AT, reading

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.session.references import (
    KETACARE_CLINIC_SETTING,
    SPRAVATO_LABEL_BP_SUMMARY,
)
from ketacare.clinical.session.vitals import (
    Vitals,
    VitalsThresholds,
    assess_vitals,
    predose_bp_limits,
)


def test_normal_readings_are_accepted():
    v = reading(systolic=118, diastolic=76, heart_rate=70, spo2=99, resp_rate=14)
    assert (v.systolic_mmhg, v.diastolic_mmhg) == (118, 76)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("spo2", 101),  # saturation above 100% is impossible
        ("spo2", 0),
        ("systolic", 400),  # typo / unit error
        ("diastolic", 300),  # MIMIC keeps dbp below 300 mmHg
        ("heart_rate", 0),
        ("resp_rate", 0),
        ("resp_rate", 120),
    ],
)
def test_physiologically_impossible_readings_are_refused(field, value):
    with pytest.raises(InvalidClinicalInput) as error:
        reading(**{field: value})
    assert error.value.code == "vitals_implausible"


@pytest.mark.parametrize(("systolic", "diastolic"), [(80, 120), (90, 90)])
def test_systolic_not_above_diastolic_is_refused_as_swapped_values(systolic, diastolic):
    with pytest.raises(InvalidClinicalInput) as error:
        reading(systolic=systolic, diastolic=diastolic)
    assert error.value.code == "vitals_implausible"
    assert error.value.details["field"] == "systolic_mmhg"


def test_a_reading_without_a_timezone_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        Vitals(120, 80, 70, 98, 14, datetime(2025, 3, 4, 10, 0))
    assert error.value.code == "naive_datetime"


def test_decimal_or_boolean_readings_are_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        Vitals(120.5, 80, 70, 98, 14, DOSE_AT)  # type: ignore[arg-type]
    assert error.value.code == "vitals_not_a_whole_number"


def test_spo2_threshold_is_a_required_clinic_setting():
    with pytest.raises(TypeError):
        VitalsThresholds()  # type: ignore[call-arg]


@pytest.mark.parametrize("spo2_min", [0, 101])
def test_spo2_threshold_outside_a_percentage_is_refused(spo2_min):
    with pytest.raises(InvalidClinicalInput) as error:
        VitalsThresholds(spo2_min_percent=spo2_min)
    assert error.value.code == "threshold_invalid"


def test_unset_predose_bp_limits_are_the_esketamine_label_140_over_90_for_esketamine():
    limits = predose_bp_limits(VitalsThresholds(spo2_min_percent=92), esketamine=True)
    assert (limits.systolic_max_mmhg, limits.diastolic_max_mmhg) == (140, 90)
    assert limits.from_label_default
    assert limits.source is SPRAVATO_LABEL_BP_SUMMARY


def test_unset_predose_bp_limits_are_left_unset_for_racemic_ketamine_routes():
    # No source for IV/IM/SC racemic ketamine gives a value (issue 16.2): the clinic sets it.
    assert predose_bp_limits(VitalsThresholds(spo2_min_percent=92), esketamine=False) is None


def test_clinic_predose_bp_limits_replace_the_label_default_for_other_routes():
    thresholds = VitalsThresholds(
        spo2_min_percent=92, predose_systolic_max_mmhg=150, predose_diastolic_max_mmhg=95
    )
    limits = predose_bp_limits(thresholds, esketamine=False)
    assert (limits.systolic_max_mmhg, limits.diastolic_max_mmhg) == (150, 95)
    assert limits.source is KETACARE_CLINIC_SETTING


def test_a_clinic_cannot_loosen_the_esketamine_label_limit_only_tighten_it():
    looser = VitalsThresholds(
        spo2_min_percent=92, predose_systolic_max_mmhg=150, predose_diastolic_max_mmhg=95
    )
    limits = predose_bp_limits(looser, esketamine=True)
    assert (limits.systolic_max_mmhg, limits.diastolic_max_mmhg) == (140, 90)
    assert limits.source is SPRAVATO_LABEL_BP_SUMMARY
    stricter = VitalsThresholds(
        spo2_min_percent=92, predose_systolic_max_mmhg=135, predose_diastolic_max_mmhg=85
    )
    limits = predose_bp_limits(stricter, esketamine=True)
    assert (limits.systolic_max_mmhg, limits.diastolic_max_mmhg) == (135, 85)
    assert limits.source is KETACARE_CLINIC_SETTING


def test_setting_only_one_predose_bp_limit_is_refused():
    with pytest.raises(InvalidClinicalInput):
        VitalsThresholds(spo2_min_percent=92, predose_systolic_max_mmhg=150)


# SpO2 lower limit is a clinic setting (here 92%): below flags, at/above does not.
@pytest.mark.parametrize(("spo2", "flagged"), [(91, True), (92, False), (93, False)])
def test_spo2_below_the_clinic_limit_is_flagged(spo2, flagged):
    findings = assess_vitals(reading(spo2=spo2), VitalsThresholds(spo2_min_percent=92))
    assert ("spo2_below_threshold" in [f.code for f in findings]) is flagged


# In-session systolic upper limit (clinic setting, here 160): strictly above flags.
@pytest.mark.parametrize(("systolic", "flagged"), [(159, False), (160, False), (161, True)])
def test_in_session_systolic_above_the_clinic_limit_is_flagged(systolic, flagged):
    thresholds = VitalsThresholds(spo2_min_percent=92, systolic_max_mmhg=160)
    findings = assess_vitals(reading(systolic=systolic), thresholds)
    assert ("systolic_above_threshold" in [f.code for f in findings]) is flagged


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"diastolic": 101}, "diastolic_above_threshold"),
        ({"heart_rate": 49}, "heart_rate_below_threshold"),
        ({"heart_rate": 121}, "heart_rate_above_threshold"),
        ({"resp_rate": 7}, "respiratory_rate_below_threshold"),
        ({"resp_rate": 31}, "respiratory_rate_above_threshold"),
    ],
)
def test_each_configured_limit_flags_its_own_reading(kwargs, code):
    thresholds = VitalsThresholds(
        spo2_min_percent=92,
        diastolic_max_mmhg=100,
        heart_rate_min_bpm=50,
        heart_rate_max_bpm=120,
        respiratory_rate_min_per_min=8,
        respiratory_rate_max_per_min=30,
    )
    findings = assess_vitals(reading(**kwargs), thresholds)
    assert [f.code for f in findings] == [code]
    assert findings[0].overridable


def test_unset_limits_are_not_checked_by_the_core():
    findings = assess_vitals(
        reading(systolic=200, diastolic=110, heart_rate=140), VitalsThresholds(spo2_min_percent=92)
    )
    assert findings == ()
