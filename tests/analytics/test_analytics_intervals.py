"""Wilson score interval (Wilson 1927; formula as in Brown, Cai & DasGupta 2001)."""

import pytest
from scipy.stats import binomtest

from ketacare.analytics import wilson_interval
from ketacare.clinical.errors import InvalidClinicalInput


def test_zero_of_ten_responders_has_upper_bound_z2_over_n_plus_z2():
    # x = 0: lower = 0; upper = z^2 / (n + z^2) = 3.8415 / 13.8415 = 0.27753
    ci = wilson_interval(0, 10)
    assert ci.estimate == 0
    assert ci.lower == pytest.approx(0.0, abs=1e-12)
    assert ci.upper == pytest.approx(0.27753, abs=1e-5)


def test_eight_of_ten_worked_example():
    # p = 0.8, z = 1.95996, z^2 = 3.84146, n = 10
    # centre = (0.8 + 3.84146/20) / (1 + 0.384146) = 0.992073 / 1.384146 = 0.716740
    # half = 1.95996/1.384146 * sqrt(0.016 + 3.84146/400) = 1.416005 * 0.160012 = 0.226578
    # interval = 0.716740 - 0.226578 .. 0.716740 + 0.226578 = 0.490162 .. 0.943318
    ci = wilson_interval(8, 10)
    assert ci.lower == pytest.approx(0.490162, abs=1e-5)
    assert ci.upper == pytest.approx(0.943318, abs=1e-5)


@pytest.mark.parametrize(("x", "n"), [(0, 1), (1, 1), (3, 7), (12, 40), (199, 200), (500, 1000)])
def test_matches_scipy_wilson_interval(x, n):
    expected = binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    ci = wilson_interval(x, n)
    assert ci.lower == pytest.approx(expected.low, abs=1e-9)
    assert ci.upper == pytest.approx(expected.high, abs=1e-9)


@pytest.mark.parametrize(("x", "n"), [(1, 0), (-1, 5), (6, 5)])
def test_impossible_counts_are_invalid_input(x, n):
    with pytest.raises(InvalidClinicalInput):
        wilson_interval(x, n)
