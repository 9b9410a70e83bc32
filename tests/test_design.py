"""Choosing the next experiment size (Sections 2.4 and 3.7): Eq. (14), information gain and cost."""

import numpy as np
import pytest

from opsd import GainData, design, fit_all, model_average
from opsd.audit import printed


def test_information_is_the_between_model_variance(observed_fits):
    sizes = [14.0, 70.0, 405.0]
    np.testing.assert_allclose(design.information(observed_fits, sizes),
                               model_average(observed_fits, sizes).between_sd ** 2)
    np.testing.assert_allclose(design.information(observed_fits, sizes, rule="bic"),
                               model_average(observed_fits, sizes, "bic").between_sd ** 2)


def test_information_grows_with_size_so_its_argmax_is_the_grid_top(observed_fits):
    for top in (140.0, 405.0, 1000.0):
        grid = np.array([14.0, 32.0, 70.0, 100.0, top])
        assert grid[np.argmax(design.information(observed_fits, grid))] == top


def test_bad_candidates_are_named(observed_fits):
    with pytest.raises(ValueError, match="candidate sizes must be finite and > 0"):
        design.information(observed_fits, [0.0])
    with pytest.raises(ValueError, match="candidate sizes must be finite and > 0"):
        design.expected_information_gain(observed_fits, [])


def test_expected_information_gain_bounds(observed_fits):
    avg = model_average(observed_fits, [70.0])
    entropy = float(-np.sum(avg.weights * np.log2(avg.weights)))
    eig = design.expected_information_gain(observed_fits, [14.0, 70.0, 1000.0], noise_sd=1.0)
    assert np.all(eig >= 0) and np.all(eig <= entropy + 1e-6)
    noisy = design.expected_information_gain(observed_fits, [14.0, 70.0, 1000.0], noise_sd=10.0)
    assert np.all(noisy < eig)


def test_two_identical_laws_give_no_information():
    sizes = np.array([1.0, 2.0, 4.0, 8.0])
    data = GainData.from_arrays(sizes, 2.0 * np.log(sizes) + 1.0, np.full(4, 0.3))
    fits = fit_all(data, laws=["logarithmic", "logarithmic"])
    assert design.expected_information_gain(fits, [70.0], 1.0)[0] == pytest.approx(0.0, abs=1e-6)


def test_cost_follows_the_papers_two_prices(claims):
    cost_70, cost_405 = printed(claims, "s1_cost_70"), printed(claims, "s1_cost_405")
    g = design.cost_exponent(70.0, cost_70, 405.0, cost_405)
    assert design.cost([405.0], 70.0, cost_70, g)[0] == pytest.approx(cost_405)
    assert 1.8 < g < 1.9
