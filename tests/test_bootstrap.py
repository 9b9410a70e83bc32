"""The vectorised parametric bootstrap (Section 2.5)."""

import warnings

import numpy as np
import pytest
from scipy.optimize import OptimizeWarning, curve_fit

from opsd import GainData, bootstrap
from opsd.fitting import INTERIOR, _classify, _limit_fits, refit


def test_bootstrap_is_reproducible_and_counts_failures(observed):
    one = bootstrap(observed, [70.0], 300, seed=3)
    two = bootstrap(observed, [70.0], 300, seed=3)
    np.testing.assert_array_equal(one.average_samples, two.average_samples)
    assert one.ci(70.0) == two.ci(70.0)
    for name, count in one.failed.items():
        assert count == int(np.isnan(one.law_samples[name][:, 0]).sum())
    assert one.no_average == int(np.isnan(one.average_samples[:, 0]).sum())
    assert np.all(np.isnan(one.weight_samples) | (one.weight_samples >= 0))
    ok = ~np.isnan(one.average_samples[:, 0])
    np.testing.assert_allclose(np.nansum(one.weight_samples[ok], axis=1), 1.0)


def test_bootstrap_near_the_paper(observed):
    result = bootstrap(observed, [70.0], 1000, seed=0)
    lo, hi = result.ci(70.0)
    # Paper: mean 19.8, 95% CI [10.5, 32.6] from 1,000 resamples.
    assert 18.5 < result.mean(70.0) < 21.0
    assert 9.5 < lo < 11.5 and 30.0 < hi < 36.0


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


def test_bootstrap_needs_standard_errors(observed):
    with pytest.raises(ValueError, match="needs standard errors"):
        bootstrap(GainData.from_arrays(observed.sizes, observed.gains), [70.0], 10)


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bootstrap_rejects_bad_resample_counts(observed, n):
    with pytest.raises(ValueError, match="positive integer"):
        bootstrap(observed, [70.0], n)


def test_summary_shape(observed):
    summary = bootstrap(observed, [14.0, 70.0], 50, seed=1).summary()
    assert [s["size_b"] for s in summary] == [14.0, 70.0]
    assert set(summary[0]["models"]) == {"power_law", "logarithmic", "saturating", "sigmoid", "sqrt_log"}
    lo, hi = summary[1]["ci95"]
    assert lo < summary[1]["mean"] < hi


def test_progress_bar_goes_to_stderr(observed, capsys):
    quiet = bootstrap(observed, [70.0], 50, seed=2)
    shown = bootstrap(observed, [70.0], 50, seed=2, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "bootstrap refits" in captured.err
    np.testing.assert_array_equal(quiet.average_samples, shown.average_samples)
