"""The batched Levenberg-Marquardt solver: agreement with SciPy, batched predictions, failures, conditioning."""

import warnings

import numpy as np
import pytest
from scipy.optimize import OptimizeWarning, curve_fit

from opsd import LAWS
from opsd.fitting import INTERIOR, _classify, _limit_fits
from opsd.solver import MAX_CONDITION, condition, covariance, predict_batch, refit, solve_batch


@pytest.mark.slow
def test_vectorised_refits_agree_with_curve_fit(observed, observed_fits):
    rng = np.random.default_rng(11)
    resampled = observed.gains + rng.standard_normal((40, observed.n)) * observed.se
    compared = 0
    for fit in observed_fits.fits:
        law = fit.law
        params, chi2, ok = refit(law, observed.sizes, resampled, observed.se, fit.params, observed.gains)
        # Rows whose supremum is a limit of the law have no optimum to agree on.
        interior = _classify(chi2, ok, _limit_fits(law, observed.sizes, resampled, observed.se)[2])[0] == INTERIOR
        for row in range(len(resampled)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", OptimizeWarning)
                    popt, pcov = curve_fit(lambda n, *p: law(n, np.array(p)), observed.sizes, resampled[row],
                                           p0=fit.params, sigma=observed.se, absolute_sigma=True,
                                           ftol=1e-15, xtol=1e-15, gtol=1e-15, maxfev=20_000)
            except (RuntimeError, OptimizeWarning):
                continue
            if not interior[row]:
                continue
            scipy_chi2 = np.sum(((resampled[row] - law(observed.sizes, popt)) / observed.se) ** 2)
            assert chi2[row] <= scipy_chi2 * (1 + 1e-9) + 1e-12
            # Agreement measured in standard errors: on the ill-conditioned
            # sigmoid and sqrt-log directions MINPACK stops earlier than the
            # batched solver, so relative digits would test scipy, not us.
            assert np.all(np.abs(params[row] - popt) <= 1e-5 * np.sqrt(np.diag(pcov)))
            compared += 1
    assert compared > 150


@pytest.mark.parametrize("name", list(LAWS))
def test_predict_batch_matches_fit_result(observed_fits, observed, name):
    fit = observed_fits[name]
    mean, sd = predict_batch(fit.law, observed.sizes, observed.se, np.vstack([fit.params, fit.params]), [14.0, 70.0])
    ref_mean, ref_sd = fit.predict([14.0, 70.0])
    np.testing.assert_allclose(mean[1], ref_mean, rtol=1e-12)
    np.testing.assert_allclose(sd[1], ref_sd, rtol=1e-8)


def test_a_fit_that_cannot_converge_is_reported_failed():
    # A straight line in N has no finite saturating optimum (N0 -> infinity).
    sizes = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    params, chi2, ok = solve_batch(LAWS["saturating"], sizes, [2.0 * sizes], np.ones(5), [[10.0, 5.0]],
                                   max_iter=20)
    assert not ok[0]


def test_condition_ignores_the_scale_of_the_parameters():
    r = 0.5  # scaled to a unit diagonal, [[4, 6r], [6r, 9]] is [[1, r], [r, 1]]: eigenvalues 1 -/+ r
    batch = np.array([np.diag([1.0, 1e12]), [[4.0, 6.0 * r], [6.0 * r, 9.0]], np.ones((2, 2)), np.diag([1.0, 0.0])])
    np.testing.assert_allclose(condition(batch), [1.0, (1 + r) / (1 - r), np.inf, np.inf])


def test_condition_of_a_single_matrix_is_that_of_a_batch_of_one():
    matrix = np.array([[4.0, 3.0], [3.0, 9.0]])
    assert condition(matrix) == pytest.approx(condition(matrix[None]))


def test_covariance_of_an_ill_conditioned_fit_is_infinite(observed):
    law = LAWS["power_law"]
    weights = 1.0 / observed.se**2
    # With a = 0 the exponent has no effect: no standard error can be given.
    assert np.all(np.isposinf(covariance(law, observed.sizes, weights, np.array([0.0, 0.6]))))
    params = np.array([2.0, 0.6])
    jac = law.jacobian(observed.sizes, params)
    hess = jac.T @ (jac * weights[:, None])
    assert condition(hess[None])[0] < MAX_CONDITION
    np.testing.assert_allclose(covariance(law, observed.sizes, weights, params) @ hess, np.eye(2), atol=1e-10)
