"""Population simulation: seeded, reproducible, ordered percentile bands."""

from decimal import Decimal as D

import numpy as np
import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.pk import Dose, PkPatient, Route, Sex, simulate_population

PATIENT = PkPatient(D(74), 45, Sex.FEMALE)
TWICE_WEEKLY = (
    Dose(D(0), D(56), Route.INTRANASAL),
    Dose(D(3 * 1440), D(56), Route.INTRANASAL),
    Dose(D(7 * 1440), D(84), Route.INTRANASAL),
)


def run(seed: int, n: int = 400):
    return simulate_population(
        "perez_ruixo_2021", PATIENT, TWICE_WEEKLY, 10 * 1440, 5, n, seed, threshold_ng_ml=50
    )


def test_same_seed_gives_the_same_virtual_population():
    first, second = run(7), run(7)
    for p in (5, 50, 95):
        np.testing.assert_array_equal(first.percentiles_ng_ml[p], second.percentiles_ng_ml[p])
    np.testing.assert_array_equal(first.cmax_ng_ml, second.cmax_ng_ml)


def test_another_seed_gives_another_virtual_population():
    assert not np.array_equal(run(7).cmax_ng_ml, run(8).cmax_ng_ml)


def test_percentile_bands_are_ordered_at_every_time():
    result = run(11)
    bands = result.percentiles_ng_ml
    assert np.all(bands[5] <= bands[25])
    assert np.all(bands[25] <= bands[50])
    assert np.all(bands[50] <= bands[75])
    assert np.all(bands[75] <= bands[95])
    assert np.all(bands[95] - bands[5] >= 0)
    assert bands[95].max() > bands[5].max()  # variability is really there
    summary = result.summary_percentiles["cmax_ng_ml"]
    assert summary[5] < summary[50] < summary[95]
    assert result.metabolite_percentiles_ng_ml is not None


def test_population_summaries_agree_with_per_patient_values():
    result = run(3)
    assert result.cmax_ng_ml.shape == (400,)
    assert result.summary_percentiles["auc_ng_h_ml"][50] == pytest.approx(
        float(np.percentile(result.auc_ng_h_ml, 50))
    )
    assert np.all(result.time_above_min <= 10 * 1440 + 5)
    assert np.all(result.tmax_min >= 0)


def test_model_without_published_variability_refuses_population_simulation():
    with pytest.raises(InvalidClinicalInput) as error:
        simulate_population(
            "kamp_2020", PATIENT, (Dose(D(0), D(35), Route.IV, D(40)),), 600, 1, 10, 1
        )
    assert error.value.code == "no_between_subject_variability"


def test_population_larger_than_the_limit_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        simulate_population("perez_ruixo_2021", PATIENT, TWICE_WEEKLY, 600, 1, 100_001, 1)
    assert error.value.code == "invalid_population_size"


def test_too_many_patient_time_points_is_refused_as_horizon_too_large():
    with pytest.raises(InvalidClinicalInput) as error:
        simulate_population("perez_ruixo_2021", PATIENT, TWICE_WEEKLY, 84 * 1440, 1, 100_000, 1)
    assert error.value.code == "horizon_too_large"
