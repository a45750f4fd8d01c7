"""The closed form agrees with a numerical ODE solution (scipy solve_ivp) within 0.1 %."""

import itertools
from decimal import Decimal as D

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ketacare.clinical.pk import Dose, PkPatient, Route, Sex, get_model
from ketacare.clinical.pk.engine import Input, LinearSystem, evaluate
from ketacare.clinical.pk.simulate import _inputs, _typical

RTOL = 1e-3  # issue 8: relative error <= 0.1 %


def ode_reference(system: LinearSystem, inputs, times: np.ndarray) -> np.ndarray:
    """Integrate dx/dt = A x + u(t) piecewise between input events (one patient)."""
    a = system.rate_matrix_per_min[0]
    n = a.shape[0]
    breaks = sorted(
        {0.0, float(times[-1])}
        | {i.start_min for i in inputs}
        | {i.start_min + i.duration_min for i in inputs if i.duration_min > 0}
    )
    x = np.zeros(n)
    out = np.zeros((len(system.observed), len(times)))
    for left, right in itertools.pairwise(breaks):
        rate = np.zeros(n)
        for item in inputs:
            if item.duration_min <= 0 and abs(item.start_min - left) < 1e-12:
                x[item.compartment] += item.amount_mg[0]
            if (
                item.duration_min > 0
                and item.start_min <= left < item.start_min + item.duration_min
            ):
                rate[item.compartment] += item.amount_mg[0] / item.duration_min
        mask = (times >= left) & (times < right) if right < times[-1] else (times >= left)
        sol = solve_ivp(
            lambda _t, y, rate=rate: a @ y + rate,
            (left, right),
            x,
            method="LSODA",
            t_eval=times[mask] if mask.any() else None,
            rtol=1e-11,
            atol=1e-14,
        )
        if mask.any():
            for k, o in enumerate(system.observed):
                out[k, mask] = sol.y[o] / system.volumes_l[0, k] * 1000.0
        x = solve_ivp(
            lambda _t, y, rate=rate: a @ y + rate,
            (left, right),
            x,
            method="LSODA",
            rtol=1e-11,
            atol=1e-14,
        ).y[:, -1]
    return out


def assert_close(closed: np.ndarray, reference: np.ndarray) -> None:
    # compare where the concentration is clinically visible (> 0.1 % of the peak)
    visible = reference > 1e-3 * reference.max()
    rel = np.abs(closed[visible] - reference[visible]) / reference[visible]
    assert rel.max() <= RTOL, f"max relative error {rel.max():.2e}"


ADULT = PkPatient(D(70), 45, Sex.MALE)


@pytest.mark.parametrize(
    ("model", "regimen"),
    [
        ("kamp_2020", (Dose(D(0), D(35), Route.IV),)),  # 1-compartment bolus
        ("kamp_2020", (Dose(D(0), D(35), Route.IV, D(40)),)),  # 1-compartment infusion
        ("clements_250", (Dose(D(0), D(35), Route.IV, D(40)),)),  # 2-compartment infusion
        ("domino", (Dose(D(0), D("17.5"), Route.IV),)),  # 3-compartment bolus
        ("perez_ruixo_2021", (Dose(D(0), D(28), Route.IV, D(40)),)),  # hepato-portal, IV
        ("perez_ruixo_2021", (Dose(D(0), D(84), Route.ORAL),)),  # first-order + zero-order
        ("perez_ruixo_2021", (Dose(D(0), D(56), Route.INTRANASAL),)),  # nasal + swallowed
    ],
)
def test_closed_form_matches_ode_solver_for_each_structure_and_route(model, regimen):
    spec = get_model(model)
    system, inputs = _inputs(spec, _typical(spec, 1), ADULT, 1, regimen)
    times = np.arange(0.0, 720.0 + 0.5, 0.5)
    closed = evaluate(system, inputs, len(times), 0.5)[0]
    reference = ode_reference(system, inputs, times)
    for k in range(len(system.observed)):  # parent and, where modelled, the metabolite
        assert_close(closed[k], reference[k])


def test_two_twice_weekly_nasal_doses_superpose_with_metabolite():
    spec = get_model("perez_ruixo_2021")
    regimen = (
        Dose(D(0), D(56), Route.INTRANASAL),
        Dose(D(3 * 1440 + 30), D(84), Route.INTRANASAL),
    )
    system, inputs = _inputs(spec, _typical(spec, 1), ADULT, 1, regimen)
    times = np.arange(0.0, 7 * 1440 + 1.0, 2.0)
    closed = evaluate(system, inputs, len(times), 2.0)[0]
    reference = ode_reference(system, inputs, times)
    assert_close(closed[0], reference[0])
    assert_close(closed[1], reference[1])
    # superposition: both doses together equal the sum of each alone
    first = evaluate(system, inputs[:2], len(times), 2.0)[0]
    second = evaluate(system, inputs[2:], len(times), 2.0)[0]
    np.testing.assert_allclose(closed, first + second, rtol=1e-9, atol=1e-9)


def test_absorption_rate_equal_to_elimination_rate_is_solved_exactly():
    # depot -> central with ka = k = 0.01/min makes A defective; the closed form must still
    # agree with the ODE (analytically C(t) = D ka t exp(-k t) / V).
    k = 0.01
    a = np.array([[[-k, 0.0], [k, -k]]])
    system = LinearSystem(a, (1,), np.array([[50.0]]))
    inputs = [Input(0.0, 0, np.array([100.0]))]
    times = np.arange(0.0, 1000.0, 1.0)
    closed = evaluate(system, inputs, len(times), 1.0)[0, 0]
    exact = 100.0 * k * times * np.exp(-k * times) / 50.0 * 1000.0
    assert_close(closed, exact)
    assert_close(closed, ode_reference(system, inputs, times)[0])


def test_dose_between_grid_points_is_placed_at_its_exact_time():
    spec = get_model("kamp_2020")
    regimen = (Dose(D("10.3"), D(35), Route.IV, D("7.7")),)
    system, inputs = _inputs(spec, _typical(spec, 1), ADULT, 1, regimen)
    times = np.arange(0.0, 300.0 + 1.0, 1.0)
    closed = evaluate(system, inputs, len(times), 1.0)[0]
    assert_close(closed[0], ode_reference(system, inputs, times)[0])
    assert closed[0, 10] == 0.0  # before the dose
