"""Every invalid input is refused with a stable code; nothing is simulated."""

from decimal import Decimal as D

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.pk import (
    Dose,
    PkPatient,
    Route,
    Sex,
    get_model,
    individualize_dose,
    list_models,
    simulate_individual,
)

ADULT = PkPatient(D(70), 45, Sex.MALE)
IV = (Dose(D(0), D(35), Route.IV, D(40)),)


def code_of(call) -> str:
    with pytest.raises(InvalidClinicalInput) as error:
        call()
    return error.value.code


def test_every_shipped_model_names_its_source_population_and_routes():
    codes = {m.code for m in list_models()}
    assert codes == {"clements_250", "domino", "kamp_2020", "otto_2021", "perez_ruixo_2021"}
    for model in list_models():
        assert model.source.citation
        assert model.population
        assert model.routes
        assert set(model.units) == set(model.typical)
    assert get_model("perez_ruixo_2021").metabolite == "noresketamine"


def test_unknown_model_is_refused():
    assert code_of(lambda: simulate_individual("fanta_2015", ADULT, IV, 60, 1)) == (
        "unknown_pk_model"
    )


@pytest.mark.parametrize("amount", [D(0), D(-5)])
def test_zero_or_negative_dose_is_refused(amount):
    regimen = (Dose(D(0), amount, Route.IV),)
    assert code_of(lambda: simulate_individual("kamp_2020", ADULT, regimen, 60, 1)) == (
        "invalid_dose"
    )


@pytest.mark.parametrize("route", [Route.INTRAMUSCULAR, Route.ORAL, Route.SUBLINGUAL])
def test_route_without_published_parameters_is_refused(route):
    regimen = (Dose(D(0), D(35), route),)
    assert code_of(lambda: simulate_individual("clements_250", ADULT, regimen, 60, 1)) == (
        "route_not_supported"
    )


def test_infusion_for_a_nasal_dose_is_refused():
    regimen = (Dose(D(0), D(56), Route.INTRANASAL, D(10)),)
    assert code_of(lambda: simulate_individual("perez_ruixo_2021", ADULT, regimen, 60, 1)) == (
        "invalid_infusion"
    )


def test_negative_dose_time_is_refused():
    regimen = (Dose(D(-1), D(35), Route.IV),)
    assert code_of(lambda: simulate_individual("kamp_2020", ADULT, regimen, 60, 1)) == (
        "invalid_dose_time"
    )


@pytest.mark.parametrize(
    ("horizon_min", "step_min", "code"),
    [
        (250_000, 1, "horizon_too_large"),  # 250,001 points, one above the limit
        (249_999, 1, None),  # 250,000 points: at the limit
        (0, 1, "invalid_horizon"),
        (60, 0, "invalid_step"),
    ],
)
def test_horizon_limits(horizon_min, step_min, code):
    def call():
        return simulate_individual("kamp_2020", ADULT, IV, horizon_min, step_min)

    if code is None:
        assert call().times_min.shape == (250_000,)
    else:
        assert code_of(call) == code


def test_empty_regimen_and_bad_threshold_and_window_are_refused():
    assert code_of(lambda: simulate_individual("kamp_2020", ADULT, (), 60, 1)) == "empty_regimen"
    assert (
        code_of(lambda: simulate_individual("kamp_2020", ADULT, IV, 60, 1, threshold_ng_ml=0))
        == "invalid_threshold"
    )
    assert (
        code_of(lambda: simulate_individual("kamp_2020", ADULT, IV, 60, 1, auc_window_min=(30, 90)))
        == "invalid_auc_window"
    )


def test_implausible_patients_are_refused():
    assert code_of(lambda: PkPatient(D(0), 45, Sex.MALE)) == "invalid_weight"
    assert code_of(lambda: PkPatient(D(70), 130, Sex.MALE)) == "invalid_age"
    assert code_of(lambda: PkPatient(D(70), 45, Sex.MALE, japanese=True)) == "invalid_covariates"


@pytest.mark.parametrize(("age_years", "accepted"), [(121, True), (122, True), (123, False)])
def test_a_pk_patient_may_be_as_old_as_the_oldest_verified_human(age_years, accepted):
    # plausibility.MAX_PLAUSIBLE_AGE_YEARS, 122 (Calment); the old uncited bound was 120.
    if accepted:
        assert PkPatient(D(70), age_years, Sex.FEMALE).age_years == age_years
    else:
        assert code_of(lambda: PkPatient(D(70), age_years, Sex.FEMALE)) == "invalid_age"


def test_bad_dose_limits_are_refused():
    def call():
        return individualize_dose("kamp_2020", ADULT, Route.IV, "auc", D(50), D(10))

    assert code_of(call) == "invalid_dose_limits"
