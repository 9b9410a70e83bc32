"""The five scaling laws: Jacobians, recovery of known parameters, invariance."""

import numpy as np
import pytest

from opsd import LAWS, GainData, fit_all, fit_law, model_average
from opsd.laws import get_law

SIZES = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
TRUE = {
    "power_law": [2.0, 0.6],
    "logarithmic": [2.3, 2.3],
    "saturating": [9.0, 4.0],
    "sigmoid": [18.0, 0.9, 2.3],
    "sqrt_log": [-3.9, 5.6, 1.5],
}


def test_five_laws_in_paper_order():
    assert list(LAWS) == ["power_law", "logarithmic", "saturating", "sigmoid", "sqrt_log"]
    assert [law.equation for law in LAWS.values()] == [1, 2, 3, 4, 5]
    # Table 1's k column (the claims file holds only the fitted numbers).
    assert [law.k for law in LAWS.values()] == [2, 2, 2, 3, 3]


def test_unknown_law_is_named():
    with pytest.raises(ValueError, match="unknown scaling law 'cubic'"):
        get_law("cubic")


@pytest.mark.parametrize("name", LAWS)
def test_jacobian_matches_finite_differences(name):
    law = LAWS[name]
    rng = np.random.default_rng(1)
    sizes = np.array([0.3, 1.0, 7.0, 70.0, 405.0])
    for params in [np.array(TRUE[name]), np.array(TRUE[name]) * rng.uniform(0.7, 1.3, law.k)]:
        analytic = law.jacobian(sizes, params)
        numeric = np.empty_like(analytic)
        for i in range(law.k):
            h = 1e-6 * max(1.0, abs(params[i]))
            up, down = params.copy(), params.copy()
            up[i] += h
            down[i] -= h
            numeric[:, i] = (law(sizes, up) - law(sizes, down)) / (2 * h)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", LAWS)
def test_jacobian_is_batched(name):
    law = LAWS[name]
    batch = np.array([TRUE[name], np.array(TRUE[name]) * 1.1])
    jac = law.jacobian(SIZES, batch)
    assert jac.shape == (2, len(SIZES), law.k)
    np.testing.assert_allclose(jac[1], law.jacobian(SIZES, batch[1]))


@pytest.mark.parametrize("name", LAWS)
def test_noiseless_data_recover_the_parameters(name):
    law = LAWS[name]
    sizes = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
    data = GainData.from_arrays(sizes, law(sizes, TRUE[name]), np.full(len(sizes), 0.5))
    fit = fit_law(law, data)
    assert fit.status == "interior"
    assert fit.chi2 < 1e-16
    np.testing.assert_allclose(fit.params, TRUE[name], rtol=1e-7)


def test_scaling_gains_and_errors_scales_predictions(observed, observed_fits):
    c = 3.7
    scaled = GainData.from_arrays(observed.sizes, c * observed.gains, c * observed.se)
    base = model_average(observed_fits, [14.0, 70.0, 405.0])
    other = model_average(fit_all(scaled), [14.0, 70.0, 405.0])
    np.testing.assert_allclose(other.weights, base.weights, rtol=1e-9)
    np.testing.assert_allclose(other.means, c * base.means, rtol=1e-7)
    np.testing.assert_allclose(other.sds, c * base.sds, rtol=1e-6)
    np.testing.assert_allclose(other.sd, c * base.sd, rtol=1e-6)


@pytest.mark.parametrize("params", [[1.0, 3.0, -10.0], [2.0, 5.0, -20.0], [1.0, 0.5, 30.0]])
def test_sigmoid_jacobian_keeps_its_digits_where_the_curve_saturates(params):
    # Far from any optimum the sigmoid is within rounding of 0 or a; its
    # derivative must still be the exact e^{-u} / (1 + e^{-u})^2, u = b (ln N - c).
    sizes = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
    a, b, c = params
    u = b * (np.log(sizes) - c)
    ds = np.exp(-np.abs(u)) / (1.0 + np.exp(-np.abs(u))) ** 2  # symmetric in u, no cancellation
    jac = LAWS["sigmoid"].jacobian(sizes, np.array(params))
    np.testing.assert_allclose(jac[:, 2], -a * b * ds, rtol=1e-12)
    np.testing.assert_allclose(jac[:, 1], a * ds * (np.log(sizes) - c), rtol=1e-12)
    assert np.all(jac[:, 2] != 0.0)


@pytest.mark.parametrize("name", LAWS)
def test_jacobians_match_finite_differences_far_from_the_optimum(name):
    law = LAWS[name]
    sizes = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 70.0])
    far = {"power_law": [50.0, -1.5], "logarithmic": [-3.0, 40.0], "saturating": [200.0, 0.05],
           "sigmoid": [30.0, 2.5, 4.0], "sqrt_log": [7.0, -4.0, 2.0]}[name]
    params = np.array(far)
    jac = law.jacobian(sizes, params)
    for i in range(law.k):
        h = 1e-6 * max(abs(params[i]), 1.0)
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        numeric = (law(sizes, up) - law(sizes, down)) / (2 * h)
        np.testing.assert_allclose(jac[:, i], numeric, rtol=1e-5, atol=1e-8 * np.max(np.abs(law(sizes, params))))


def test_every_law_has_a_noun_for_prose():
    nouns = {name: law.noun for name, law in LAWS.items()}
    assert nouns["power_law"] == "power law" and nouns["sigmoid"] == "sigmoid law"
    assert all(noun.endswith("law") and "law law" not in noun for noun in nouns.values())


def test_expit_is_accurate_in_both_tails():
    from scipy.special import expit as reference

    from opsd.laws import expit

    x = np.concatenate([np.linspace(-700.0, 700.0, 20001), [-1e-300, 0.0, 1e-300]])
    np.testing.assert_allclose(expit(x), reference(x), rtol=4e-16, atol=0.0)
    assert expit(-745.0) > 0.0 and expit(745.0) == 1.0
    np.testing.assert_array_equal(expit([-np.inf, np.inf]), [0.0, 1.0])
    assert np.isnan(expit(np.nan))
