"""Weighted fits, the estimated-sigma path, exclusions and failures."""

import numpy as np
import pytest
from scipy.optimize import curve_fit

from opsd import LAWS, GainData, akaike_weights, fit_all, fit_law, model_average
from opsd.fitting import information_criteria, solve_batch


@pytest.mark.parametrize("name", LAWS)
def test_covariance_is_absolute_and_matches_curve_fit(observed, observed_fits, name):
    fit = observed_fits[name]
    law = fit.law
    popt, pcov = curve_fit(lambda n, *p: law(n, np.array(p)), observed.sizes, observed.gains,
                           p0=fit.params, sigma=observed.se, absolute_sigma=True,
                           ftol=1e-14, xtol=1e-14, gtol=1e-14, maxfev=100_000)
    np.testing.assert_allclose(fit.params, popt, rtol=1e-6)
    np.testing.assert_allclose(fit.cov, pcov, rtol=1e-5)


def test_information_criteria_given_sigma():
    ic = information_criteria(0.5, n=5, k=3, sigma_given=True)
    assert ic["aic"] == pytest.approx(6.5)
    assert ic["aicc"] == pytest.approx(6.5 + 2 * 3 * 4 / 1)
    assert ic["bic"] == pytest.approx(0.5 + 3 * np.log(5))


def test_information_criteria_estimated_sigma():
    ic = information_criteria(2.0, n=6, k=2, sigma_given=False)
    assert ic["aic"] == pytest.approx(6 * np.log(2.0 / 6) + 2 * 3)
    assert ic["aicc"] == pytest.approx(ic["aic"] + 2 * 3 * 4 / (6 - 3 - 1))
    assert ic["bic"] == pytest.approx(6 * np.log(2.0 / 6) + 3 * np.log(6))


def test_estimated_sigma_path(observed):
    data = GainData.from_arrays(observed.sizes, observed.gains)
    fits = fit_all(data)
    assert not fits.sigma_given
    fit = fits["power_law"]
    # Same point estimate as an unweighted fit; covariance scaled by RSS/(n-k).
    popt, pcov = curve_fit(lambda n, a, b: a * n**b, data.sizes, data.gains, p0=[2, 0.6],
                           ftol=1e-14, xtol=1e-14, gtol=1e-14)
    np.testing.assert_allclose(fit.params, popt, rtol=1e-6)
    np.testing.assert_allclose(fit.cov, pcov, rtol=1e-5)
    assert fit.aic == pytest.approx(5 * np.log(fit.chi2 / 5) + 2 * 3)
    average = model_average(fits, [70.0])
    assert np.isclose(average.weights.sum(), 1.0)


def test_laws_with_too_many_parameters_are_excluded_with_a_reason():
    data = GainData.from_arrays([1.0, 2.0, 4.0], [1.0, 2.0, 3.5], [0.2, 0.2, 0.2])
    fits = fit_all(data)
    assert [f.name for f in fits.fits] == ["power_law", "logarithmic", "saturating"]
    assert dict(fits.excluded) == {
        "sigmoid": "k=3 parameters but only n=3 points",
        "sqrt_log": "k=3 parameters but only n=3 points",
    }
    with pytest.raises(ValueError, match="sigmoid has k=3 parameters but only n=3 points"):
        fit_law("sigmoid", data)


def test_two_points_cannot_be_fitted():
    data = GainData.from_arrays([1.0, 2.0], [1.0, 2.0], [0.2, 0.2])
    with pytest.raises(ValueError, match="no scaling law can be fitted to n=2 points"):
        fit_all(data)


def test_a_fit_that_cannot_converge_is_reported_failed():
    # A straight line in N has no finite saturating optimum (N0 -> infinity).
    sizes = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    params, chi2, ok = solve_batch(LAWS["saturating"], sizes, [2.0 * sizes], np.ones(5), [[10.0, 5.0]],
                                   max_iter=20)
    assert not ok[0]


def test_failed_fits_get_no_weight(observed):
    fits = fit_all(observed)
    failed = fits["sigmoid"].__class__(**{**fits["sigmoid"].__dict__, "status": "failed"})
    broken = fits.__class__(fits.data, tuple(failed if f.name == "sigmoid" else f for f in fits.fits))
    average = model_average(broken, [70.0])
    assert "sigmoid" not in average.names
    assert [f.name for f in broken.failed] == ["sigmoid"]


def test_akaike_weights():
    np.testing.assert_allclose(akaike_weights([0.0, 2.0]), [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))])
    np.testing.assert_allclose(akaike_weights([1.0, np.inf]), [1.0, 0.0])
    np.testing.assert_allclose(akaike_weights([-np.inf, -np.inf, 3.0]), [0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="NaN"):
        akaike_weights([1.0, np.nan])


def test_unknown_criterion(observed_fits):
    with pytest.raises(ValueError, match="unknown criterion 'dic'"):
        model_average(observed_fits, [70.0], "dic")


@pytest.mark.parametrize("sizes", [[0.0], [-5.0], [np.nan], [np.inf], []])
def test_bad_prediction_sizes(observed_fits, sizes):
    with pytest.raises(ValueError, match="prediction sizes must be finite and > 0"):
        model_average(observed_fits, sizes)


@pytest.mark.parametrize("law, truth, limit, expected", [
    ("saturating", lambda n: 2.0 * n, "proportional", [2.0]),
    ("saturating", lambda n: np.full_like(n, 3.0), "constant", [3.0]),
    ("sigmoid", lambda n: 1.5 * n**0.7, "power_law", [1.5, 0.7]),
    ("sigmoid", lambda n: 2.0 * np.log(n) + 1.0, "logarithmic", [2.0, 1.0]),
])
def test_a_fit_without_interior_optimum_is_its_limit(law, truth, limit, expected):
    sizes = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
    fit = fit_law(law, GainData.from_arrays(sizes, truth(sizes), np.full(5, 0.3)))
    assert fit.status == "limit" and fit.model.name == limit and fit.usable
    assert fit.limit.startswith(("N0", "b", "c"))
    np.testing.assert_allclose(fit.params, expected, rtol=1e-7)
    assert fit.chi2 < 1e-12
    assert fit.k == LAWS[law].k  # the law's own k in the criteria
    np.testing.assert_allclose(fit.aic, fit.chi2 + 2 * LAWS[law].k)
    mean, sd = fit.predict([70.0])
    np.testing.assert_allclose(mean, truth(np.array([70.0])), rtol=1e-7)
    assert np.all(np.isfinite(sd) & (sd > 0))
    assert "limit" in repr(fit)


def test_an_interior_optimum_beats_the_limits(observed_fits):
    assert all(f.status == "interior" for f in observed_fits.fits)


def test_a_limit_keeps_its_weight():
    # Three points, one shared sigma estimated: the saturating law's best fit is a constant.
    data = GainData.from_arrays([1.7, 4.0, 8.0], [2.4, 1.0, 2.2])
    fits = fit_all(data)
    assert fits["saturating"].status == "limit" and fits["saturating"].model.name == "constant"
    average = model_average(fits, [70.0])
    weights = dict(zip(average.names, average.weights))
    assert weights["saturating"] == pytest.approx(0.319, abs=0.001)
    assert average.mean[0] == pytest.approx(1.48, abs=0.01)
    # The constant's own residual degrees of freedom (n - 1) scale its sd.
    np.testing.assert_allclose(fits["saturating"].predict([70.0])[1], np.sqrt(fits["saturating"].chi2 / 2 / 3))
    assert average.sd[0] == pytest.approx(2.07, abs=0.01)
