"""The fast population path gives the same answers as evaluating every grid point.

Population summaries skip most of the grid (amplitude recurrences between dose times, exact
AUC per mode, windows after each dose plus an upper bound), so they are checked here against
the full-grid evaluation (itself checked against solve_ivp in test_pk_closed_form.py):
identical Cmax, Tmax and time above threshold, AUC equal to the exact integral (the 1-minute
trapezoid differs by far less than 0.1 %), identical values at the band times.
"""

from decimal import Decimal as D

import numpy as np
import pytest

from ketacare.clinical.pk import Dose, PkPatient, Route, Sex, get_model, simulate_population
from ketacare.clinical.pk.engine import (
    _decreasing_after,
    _upper_after,
    evaluate,
    summarize_population,
)
from ketacare.clinical.pk.simulate import PERCENTILES, _inputs, _sample

PATIENT = PkPatient(D(74), 67, Sex.FEMALE)
NASAL_TWICE_WEEKLY = tuple(
    Dose(D(day * 1440), D(84 if day else 56), Route.INTRANASAL) for day in (0, 3, 7)
)
IV_INFUSIONS = (
    Dose(D(0), D(20), Route.IV, D(40)),
    Dose(D("1440.5"), D(35), Route.IV, D(400)),  # off the grid, longer than the window
)


@pytest.mark.parametrize("window", [3, 30, 120])
@pytest.mark.parametrize(
    ("model", "regimen", "threshold"),
    [
        ("perez_ruixo_2021", NASAL_TWICE_WEEKLY, 40.0),
        ("perez_ruixo_2021", NASAL_TWICE_WEEKLY, 5.0),  # crossings far beyond every window
        ("perez_ruixo_2021", IV_INFUSIONS, 15.0),
        ("otto_2021", IV_INFUSIONS, 10.0),
    ],
)
def test_fast_population_summaries_equal_the_full_grid(model, regimen, threshold, window):
    n, step, n_points = 40, 1.0, 10 * 1440 + 1
    pk = get_model(model)
    system, inputs = _inputs(pk, _sample(pk, n, 9), PATIENT, n, regimen)
    full = np.maximum(evaluate(system, inputs, n_points, step), 0.0)  # (P, O, T)
    band_index = np.arange(0, n_points, 37)
    # small windows and chunks so the monotonicity certificate, the crossing bisection, the
    # tail bound, the window-by-window fallback and the threads are all exercised
    fast = summarize_population(
        system, inputs, n_points, step, band_index, threshold, window_points=window, chunk=16
    )
    np.testing.assert_allclose(fast.cmax, full.max(axis=2), rtol=1e-9)
    np.testing.assert_array_equal(fast.tmax_index, full.argmax(axis=2))
    np.testing.assert_array_equal(fast.above, np.count_nonzero(full[:, 0] >= threshold, axis=1))
    trapezoid = (full.sum(axis=2) - 0.5 * (full[:, :, 0] + full[:, :, -1])) * step
    # exact integral vs the 1-minute trapezoid: the trapezoid error near a sharp nasal peak
    # is ~1e-4 of the AUC, inside the 0.1 % tolerance used for every accuracy check
    np.testing.assert_allclose(fast.auc, trapezoid, rtol=1e-3)
    np.testing.assert_allclose(
        np.moveaxis(fast.bands, 2, 0), full[:, :, band_index], rtol=1e-7, atol=1e-9
    )


def test_doses_after_the_horizon_do_not_count():
    pk = get_model("perez_ruixo_2021")
    regimen = (Dose(D(0), D(56), Route.INTRANASAL), Dose(D(5000), D(56), Route.INTRANASAL))
    system, inputs = _inputs(pk, _sample(pk, 5, 1), PATIENT, 5, regimen)
    full = evaluate(system, inputs, 1441, 1.0)
    fast = summarize_population(system, inputs, 1441, 1.0, np.arange(0, 1441, 10))
    np.testing.assert_allclose(fast.cmax, full.max(axis=2), rtol=1e-9)


def _exponential_sums(seed: int, n: int = 400, k: int = 5):
    rng = np.random.default_rng(seed)
    lam = -np.sort(rng.uniform(0.001, 0.5, size=(n, k)), axis=1)[:, ::-1]  # fastest first
    coef = rng.normal(size=(n, k)) * rng.uniform(0.0, 3.0, size=(n, 1))
    s = np.linspace(0.0, 200.0, 4001)
    curves = np.einsum("nk,nks->ns", coef, np.exp(lam[:, :, None] * s))
    return lam, coef, curves


def test_monotonicity_certificate_only_accepts_curves_that_keep_falling():
    # suffix sums (slowest first) of the derivative coefficients all negative => the sum of
    # exponentials is strictly decreasing from s = 0 on; checked on a dense grid
    for seed in range(5):
        lam, coef, curves = _exponential_sums(seed)
        proved = _decreasing_after(coef * lam)
        assert proved.any()  # both outcomes occur in the sample
        assert not proved.all()
        assert np.all(np.diff(curves[proved], axis=1) < 0.0)


def test_tail_upper_bound_is_above_the_curve_and_below_the_positive_parts():
    for seed in range(5):
        _lam, coef, curves = _exponential_sums(seed)
        bound = _upper_after(coef)
        assert np.all(bound >= curves.max(axis=1) - 1e-12)
        assert np.all(bound <= np.clip(coef, 0.0, None).sum(axis=1) + 1e-12)


def test_population_bands_are_the_percentiles_of_every_patient_at_the_band_times():
    regimen = NASAL_TWICE_WEEKLY[:2]
    result = simulate_population("perez_ruixo_2021", PATIENT, regimen, 4 * 1440, 1.0, 57, 3)
    pk = get_model("perez_ruixo_2021")
    system, inputs = _inputs(pk, _sample(pk, 57, 3), PATIENT, 57, regimen)
    full = np.maximum(evaluate(system, inputs, 4 * 1440 + 1, 1.0), 0.0)
    at_bands = full[:, :, result.band_times_min.astype(int)]  # (P, O, B)
    for i, p in enumerate(PERCENTILES):
        expected = np.percentile(at_bands, PERCENTILES, axis=0)[i]  # (O, B)
        np.testing.assert_allclose(result.percentiles_ng_ml[p], expected[0], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(
            result.metabolite_percentiles_ng_ml[p], expected[1], rtol=1e-9, atol=1e-9
        )
