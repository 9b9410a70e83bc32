"""The three-mechanism decomposition (Eqs. (10)-(13))."""

import numpy as np
import pytest

from opsd import GainData
from opsd import decomposition as dec

TRUTH = np.array([0.3, 0.7, 2.0, 5.0, 1.5, 0.2])  # alpha, beta, gamma, N_char, delta, eta


def test_components_sum_to_the_total():
    sizes = np.array([0.5, 3.0, 70.0, 405.0])
    parts = dec.components(sizes, TRUTH)
    np.testing.assert_allclose(sum(parts.values()), dec.total(sizes, TRUTH))
    shares = dec.Decomposition(TRUTH, 0.0, True).fractions(sizes)
    np.testing.assert_allclose(sum(shares.values()), 1.0)
    table = dec.Decomposition(TRUTH, 0.0, True).table(sizes)
    np.testing.assert_allclose(table["Total"], table.drop(columns="Total").sum(axis=1))


def test_jacobian_matches_finite_differences():
    sizes = np.array([0.5, 2.0, 8.0, 70.0])
    numeric = np.empty((len(sizes), 6))
    for i in range(6):
        h = 1e-6 * max(1.0, abs(TRUTH[i]))
        up, down = TRUTH.copy(), TRUTH.copy()
        up[i] += h
        down[i] -= h
        numeric[:, i] = (dec.total(sizes, up) - dec.total(sizes, down)) / (2 * h)
    np.testing.assert_allclose(dec.jacobian(sizes, TRUTH), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.slow
def test_recovers_known_parameters_where_identifiable():
    # With many sizes over six decades the six parameters are identified.
    sizes = np.geomspace(0.05, 5000.0, 16)
    data = GainData.from_arrays(sizes, dec.total(sizes, TRUTH), np.full(len(sizes), 0.05))
    fits = dec.fit_decomposition(data, n_starts=150, seed=4)
    assert fits.best.chi2 < 1e-8
    np.testing.assert_allclose(fits.best.params, TRUTH, rtol=1e-3)


@pytest.mark.slow
def test_bounds_are_respected(observed):
    fits = dec.fit_decomposition(observed, n_starts=40, seed=5)
    for solution in fits.solutions:
        for name, value in solution.param_dict.items():
            lo, hi = dec.BOUNDS[name]
            assert lo <= value <= hi
        assert solution.param_dict["beta"] < 1


def test_fixed_parameters_stay_fixed(observed):
    fits = dec.fit_decomposition(observed, n_starts=20, seed=6, fixed={"beta": 0.5, "eta": 2.0})
    assert all(s.params[1] == 0.5 and s.params[5] == 2.0 for s in fits.solutions)
    with pytest.raises(ValueError, match="unknown decomposition parameter"):
        dec.fit_decomposition(observed, fixed={"kappa": 1.0})
    with pytest.raises(ValueError, match="beta=1.5 is outside its bounds"):
        dec.fit_decomposition(observed, fixed={"beta": 1.5})


def test_the_fit_needs_standard_errors(observed):
    with pytest.raises(ValueError, match="add an 'se' column"):
        dec.fit_decomposition(GainData.from_arrays(observed.sizes, observed.gains))


@pytest.mark.slow
def test_five_points_leave_the_mechanisms_unidentified(observed):
    fits = dec.fit_decomposition(observed, n_starts=100, seed=0)
    shares = [s.fractions([405.0])["distribution_match"][0] for s in fits.near_best(1.0)]
    assert fits.best.chi2 < 1e-3
    assert min(shares) < 0.05 and max(shares) > 0.9


def test_fit_component_recovers_an_amplitude():
    sizes = np.array([0.5, 1.0, 8.0, 70.0])
    column = 0.4 * sizes**0.8
    out = dec.fit_component(sizes, column, "distribution_match", {"beta": 0.8})
    assert out["alpha"] == pytest.approx(0.4) and out["rms_misfit"] < 1e-12

