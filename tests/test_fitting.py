"""Weighted fits, their statuses and limits, the paper's Table 1, and the results' reports."""

import re
from statistics import NormalDist

import numpy as np
import pytest
from scipy.optimize import curve_fit
from scipy.stats import norm

from opsd import LAWS, GainData, fit_all, fit_law, model_average
from opsd.fitting import loo_log_predictive, refit_all
from opsd.weights import pseudo_bma_weights

from .conftest import as_printed


def _curve_fit(data, fit):
    """SciPy's absolute-sigma fit of ``fit``'s law from ``fit``'s optimum."""
    law = fit.law
    return curve_fit(lambda n, *p: law(n, np.array(p)), data.sizes, data.gains,
                     p0=fit.params, sigma=data.se, absolute_sigma=True,
                     ftol=1e-14, xtol=1e-14, gtol=1e-14, maxfev=100_000)


@pytest.mark.parametrize("name", LAWS)
def test_covariance_is_absolute_and_matches_curve_fit(observed, observed_fits, name):
    fit = observed_fits[name]
    popt, pcov = _curve_fit(observed, fit)
    np.testing.assert_allclose(fit.params, popt, rtol=1e-6)
    np.testing.assert_allclose(fit.cov, pcov, rtol=1e-5)


@pytest.mark.parametrize("name", LAWS)
def test_stderr_is_the_root_of_the_covariance_diagonal_and_curve_fits_perr(observed, observed_fits, name):
    fit = observed_fits[name]
    assert list(fit.stderr) == list(fit.law.params)
    np.testing.assert_array_equal(list(fit.stderr.values()), np.sqrt(np.diag(fit.cov)))
    _, pcov = _curve_fit(observed, fit)
    # Both are sqrt(diag((J^T W J)^-1)) at optima that agree to ~1e-8; SciPy's
    # finite-difference Jacobian is good to ~1e-8 relative, which the normal
    # matrices of the three-parameter laws (condition ~1e3) amplify to the
    # ~1e-7 seen here: 1e-6 leaves a factor of ten.
    np.testing.assert_allclose(list(fit.stderr.values()), np.sqrt(np.diag(pcov)), rtol=1e-6)


@pytest.mark.parametrize("name", LAWS)
def test_wald_interval_is_centred_and_widens_with_level(observed_fits, name):
    fit = observed_fits[name]
    widths = []
    for level in (0.5, 0.9, 0.95, 0.99):
        bounds = fit.interval(level)
        assert list(bounds) == list(fit.param_dict)
        z = NormalDist().inv_cdf(0.5 + level / 2)
        for param, (lo, hi) in bounds.items():
            assert (lo + hi) / 2 == pytest.approx(fit.param_dict[param], rel=1e-12, abs=1e-12)
            assert hi - lo == pytest.approx(2 * z * fit.stderr[param], rel=1e-12)
        widths.append([hi - lo for lo, hi in bounds.values()])
    assert np.all(np.diff(widths, axis=0) > 0)
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        fit.interval(1.0)


def test_reports_name_every_law_and_parameter(observed_fits):
    whole = observed_fits.report()
    weights = observed_fits.weights()
    for fit in observed_fits.fits:
        text = fit.report()
        assert text in whole
        assert fit.law.label in text and fit.status in text
        for param, value in fit.param_dict.items():
            assert re.search(rf"\b{re.escape(param)} = {value:.5g} \+/- {fit.stderr[param]:.3g}\b", text)
        assert f"{text}\n  weight (aic) = {weights[fit.name]:.3f}" in whole


def test_report_lists_excluded_laws_and_warnings():
    fits = fit_all(GainData.from_arrays([1.7, 4.0, 8.0], [2.4, 1.0, 2.2]))
    text = fits.report("bic")
    for name, reason in fits.excluded:
        assert f"{name}: excluded, {reason}" in text
    assert "weight (bic)" in text and "weight (aic)" not in text
    assert "one sigma estimated" in text and f"warning: {fits.warnings()[0]}" in text


@pytest.mark.parametrize("rule", ["aic", "aicc", "bic"])
def test_to_frame_is_table_1_best_first(observed_fits, rule):
    frame = observed_fits.to_frame(rule)
    weights = observed_fits.weights(rule)
    assert frame.index.name == "law" and sorted(frame.index) == sorted(LAWS)
    assert frame["rank"].tolist() == list(range(1, len(LAWS) + 1))
    assert frame["weight"].is_monotonic_decreasing
    assert frame["weight"].sum() == pytest.approx(1.0)
    criterion = {"aic": "AIC", "aicc": "AICc", "bic": "BIC"}[rule]
    assert frame[f"d{criterion}"].min() == 0.0
    np.testing.assert_allclose(frame[f"d{criterion}"], frame[criterion] - frame[criterion].min())
    for name, row in frame.iterrows():
        fit = observed_fits[name]
        assert (row["label"], row["k"], row["chi2"], row["AIC"], row["status"]) == (
            fit.law.label, fit.k, fit.chi2, fit.aic, fit.status)
        assert row["weight"] == weights[name]


def test_to_frame_of_a_predictive_rule_has_no_criterion_distance(observed_fits):
    frame = observed_fits.to_frame("pseudo_bma")
    assert not any(column.startswith("d") for column in frame.columns)
    assert frame["weight"].to_dict() == observed_fits.weights("pseudo_bma")


@pytest.mark.parametrize("name", LAWS)
def test_table_1(observed_fits, claims, name):
    fit = observed_fits[name]
    assert fit.status == "interior"
    assert as_printed(fit.chi2, claims, f"t1_chi2_{name}")
    assert as_printed(fit.aic, claims, f"t1_aic_{name}")
    assert as_printed(observed_fits.weights()[name], claims, f"t1_weight_{name}")


@pytest.mark.parametrize("name", LAWS)
def test_70b_predictions(observed_fits, claims, name):
    mean, _ = observed_fits[name].predict([70.0])
    assert as_printed(mean[0], claims, f"s32_pred70_{name}")


def test_unknown_rule_is_named(observed_fits, observed):
    with pytest.raises(ValueError, match="weighting rule 'waic' is unknown; expected one of aic, "):
        observed_fits.weights("waic")
    with pytest.raises(ValueError, match="weighting rule 'waic' is unknown"):
        refit_all(observed_fits, observed.gains, observed.se, [70.0], rule="waic")
    # refits weigh by a criterion: the predictive rules would need refits of refits
    with pytest.raises(ValueError, match="weighting rule 'stacking' is not available here; "
                                         "expected one of aic, aicc, bic$"):
        refit_all(observed_fits, observed.gains, observed.se, [70.0], rule="stacking")


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


def test_loo_density_matches_a_hand_refit(observed):
    lpd = loo_log_predictive(observed, ["power_law"])
    keep = np.arange(observed.n) != 2
    train = GainData.from_arrays(observed.sizes[keep], observed.gains[keep], observed.se[keep])
    mean, sd = fit_all(train, ["power_law"])["power_law"].predict([observed.sizes[2]])
    expected = norm.logpdf(observed.gains[2], mean[0], np.hypot(sd[0], observed.se[2]))
    assert lpd[2, 0] == pytest.approx(expected)


def test_loo_marks_laws_that_cannot_be_refitted():
    data = GainData.from_arrays([1.0, 2.0, 4.0, 8.0], [1.0, 2.0, 3.1, 4.0], [0.2] * 4)
    lpd = loo_log_predictive(data, ["power_law", "sigmoid"])
    assert np.all(np.isfinite(lpd[:, 0])) and np.all(np.isnan(lpd[:, 1]))
    assert pseudo_bma_weights(lpd).tolist() == [1.0, 0.0]


@pytest.mark.parametrize("name, param", [("power_law", "b"), ("saturating", "N0"), ("sigmoid", "b"), ("sigmoid", "c")])
def test_profile_touches_the_fit_at_its_estimate_and_lies_above_it(observed_fits, name, param):
    fit = observed_fits[name]
    estimate = fit.param_dict[param]
    grid = estimate * np.array([0.5, 0.8, 1.0, 1.25, 2.0])
    profile = observed_fits.profile(name, param, grid)
    assert profile[2] == pytest.approx(fit.chi2, rel=1e-6, abs=1e-9)
    assert np.all(profile >= fit.chi2 - 1e-9)


def test_profile_interval_of_a_parabola_is_the_wald_interval():
    from opsd import profile_interval

    grid = np.linspace(-2.0, 4.0, 601)
    lo, hi = profile_interval(grid, ((grid - 1.0) / 0.5) ** 2)
    z = NormalDist().inv_cdf(0.975)
    assert lo == pytest.approx(1.0 - z * 0.5, abs=1e-4) and hi == pytest.approx(1.0 + z * 0.5, abs=1e-4)
    # A profile that never crosses the threshold on one side has no end there.
    assert profile_interval(grid, np.minimum(((grid - 1.0) / 0.5) ** 2, 1.0)) == (-np.inf, np.inf)
    assert profile_interval(grid, np.where(grid < 1.0, ((grid - 1.0) / 0.5) ** 2, 0.0))[1] == np.inf


def test_profile_rejects_what_it_cannot_do(observed, observed_fits):
    from opsd import profile_interval

    with pytest.raises(ValueError, match="shape parameters: b"):
        observed_fits.profile("power_law", "a", [1.0, 2.0])
    with pytest.raises(ValueError, match="none"):
        observed_fits.profile("logarithmic", "c", [1.0, 2.0])
    without_se = fit_all(GainData.from_arrays(observed.sizes, observed.gains))
    with pytest.raises(ValueError, match="standard errors"):
        without_se.profile("power_law", "b", [0.5, 0.6])
    with pytest.raises(ValueError, match="increasing"):
        profile_interval([1.0, 0.5, 2.0], [1.0, 0.0, 1.0])


def test_optimism_of_a_linear_law_with_known_errors_is_2k(observed):
    from opsd.fitting import optimism

    fits = fit_all(observed, ["logarithmic", "sqrt_log"])
    for name, (mean, mc_se) in optimism(fits, n_replicates=1000, seed=5).items():
        assert abs(mean - 2 * fits[name].k) < 4 * mc_se
    with pytest.raises(ValueError, match="standard errors"):
        optimism(fit_all(GainData.from_arrays(observed.sizes, observed.gains)))
