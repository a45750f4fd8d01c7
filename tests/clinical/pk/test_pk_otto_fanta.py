"""Otto 2021 / Fanta 2015 S-ketamine with S-norketamine: reproduces the reference simulation.

Reference: the nlmixr2lib implementation of the same published model (rxode2 ODE solver),
typical 68 kg adult, 10 mg S-ketamine IV over 30 min (the CHDR1311 design of Otto 2021),
as tabulated to 3 significant figures in its vignette "S-ketamine and S-norketamine
(Otto 2021)". Our closed form must agree within 1 % at every tabulated time.
"""

from decimal import Decimal as D

import numpy as np
import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.pk import (
    Dose,
    PkPatient,
    Route,
    Sex,
    simulate_individual,
    simulate_population,
)

VOLUNTEER = PkPatient(D(68), 23, Sex.MALE)
TEN_MG_OVER_30_MIN = (Dose(D(0), D(10), Route.IV, D(30)),)

# (hours, S-ketamine ng/mL, S-norketamine ng/mL) from the reference simulation
REFERENCE = [
    (0.5, 50.9, 11.8),
    (1, 27.3, 20.9),
    (2, 15.4, 20.5),
    (3, 10.3, 17.1),
    (5, 5.06, 11.7),
    (6, 3.72, 9.90),
    (8, 2.23, 7.41),
    (10, 1.51, 5.79),
]


@pytest.mark.parametrize(("hours", "parent", "metabolite"), REFERENCE)
def test_s_ketamine_and_norketamine_match_the_reference_simulation(hours, parent, metabolite):
    result = simulate_individual("otto_2021", VOLUNTEER, TEN_MG_OVER_30_MIN, 600, 1)
    index = int(hours * 60)
    assert result.concentration_ng_ml[index] == pytest.approx(parent, rel=0.01)
    assert result.metabolite_ng_ml[index] == pytest.approx(metabolite, rel=0.01)


def test_s_ketamine_peaks_at_the_end_of_the_infusion_and_norketamine_about_an_hour_later():
    result = simulate_individual("otto_2021", VOLUNTEER, TEN_MG_OVER_30_MIN, 600, 1)
    assert result.summary.tmax_min == 30
    assert 50 <= result.metabolite_summary.tmax_min <= 90


def test_weight_scales_the_central_volume_so_a_heavier_patient_has_a_lower_peak():
    light = simulate_individual("otto_2021", VOLUNTEER, TEN_MG_OVER_30_MIN, 120, 1)
    heavy = simulate_individual(
        "otto_2021", PkPatient(D(100), 23, Sex.MALE), TEN_MG_OVER_30_MIN, 120, 1
    )
    assert heavy.summary.cmax_ng_ml < light.summary.cmax_ng_ml


def test_correlated_variability_gives_a_reproducible_spread_around_the_typical_peak():
    first = simulate_population("otto_2021", VOLUNTEER, TEN_MG_OVER_30_MIN, 600, 1, 300, 5)
    again = simulate_population("otto_2021", VOLUNTEER, TEN_MG_OVER_30_MIN, 600, 1, 300, 5)
    np.testing.assert_array_equal(first.cmax_ng_ml, again.cmax_ng_ml)
    pct = first.summary_percentiles["cmax_ng_ml"]
    assert pct[5] < 50.9 < pct[95]


def test_oral_s_ketamine_is_not_offered_because_its_absorption_model_was_not_verified():
    with pytest.raises(InvalidClinicalInput) as error:
        simulate_individual("otto_2021", VOLUNTEER, (Dose(D(0), D(20), Route.ORAL),), 600, 1)
    assert error.value.code == "route_not_supported"
