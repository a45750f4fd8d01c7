"""Dose individualization: match the reference exposure within the protocol's limits."""

from decimal import Decimal as D

import pytest

from ketacare.clinical.pk import (
    Dose,
    PkPatient,
    Route,
    Sex,
    individualize_dose,
    simulate_individual,
)


def test_reference_adult_gets_the_reference_dose_back():
    # 0.5 mg/kg x 70 kg = 35 mg over 40 min is the reference regimen itself
    suggestion = individualize_dose(
        "kamp_2020", PkPatient(D(70), 40, Sex.MALE), Route.IV, "auc", D(10), D(100), D(40)
    )
    assert suggestion.dose_mg == pytest.approx(D(35), abs=D("0.1"))
    assert suggestion.label == "decision_support"
    assert suggestion.limited_by is None


@pytest.mark.parametrize("exposure", ["peak", "auc"])
def test_heavier_patient_dose_hits_the_reference_exposure(exposure):
    patient = PkPatient(D(110), 50, Sex.FEMALE)
    suggestion = individualize_dose(
        "clements_250", patient, Route.IV, exposure, D(10), D(200), D(40)
    )
    assert suggestion.achieved == pytest.approx(suggestion.target, rel=0.01)
    assert suggestion.achieved <= suggestion.target * 1.0001  # rounded down, never above
    check = simulate_individual(
        "clements_250",
        patient,
        (Dose(D(0), suggestion.dose_mg, Route.IV, D(40)),),
        24 * 60,
        1,
    )
    measured = check.summary.cmax_ng_ml if exposure == "peak" else check.summary.auc_ng_h_ml
    assert measured == pytest.approx(suggestion.achieved)
    assert "Decision support" in suggestion.message


def test_nasal_esketamine_dose_matching_iv_peak_is_found():
    suggestion = individualize_dose(
        "perez_ruixo_2021", PkPatient(D(74), 45, Sex.MALE), Route.INTRANASAL, "peak", D(28), D(112)
    )
    assert suggestion.achieved == pytest.approx(suggestion.target, rel=0.01)


def test_suggestion_never_exceeds_the_protocol_maximum():
    suggestion = individualize_dose(
        "kamp_2020", PkPatient(D(150), 40, Sex.MALE), Route.IV, "auc", D(10), D(50), D(40)
    )
    assert suggestion.dose_mg == D(50)
    assert suggestion.limited_by == "max_mg"
    assert suggestion.achieved < suggestion.target
    assert "maximum" in suggestion.message or "max mg" in suggestion.message


def test_suggestion_never_goes_below_the_protocol_minimum():
    suggestion = individualize_dose(
        "kamp_2020", PkPatient(D(30), 40, Sex.FEMALE), Route.IV, "auc", D(30), D(100), D(40)
    )
    assert suggestion.dose_mg == D(30)
    assert suggestion.limited_by == "min_mg"
