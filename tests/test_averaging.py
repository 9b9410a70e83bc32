"""Model-averaged extrapolation: Eqs. (8)-(9), weights under every rule, the paper's 70B average."""

import numpy as np
import pytest

from opsd import RULES, combine, fit_all, model_average
from opsd.averaging import mixture_cdf, mixture_quantile

from .conftest import as_printed


def test_combine_is_eqs_8_and_9():
    w = np.array([0.25, 0.75])
    means = np.array([[10.0], [20.0]])
    sds = np.array([[1.0], [2.0]])
    mean, within, between = combine(w, means, sds)
    assert mean[0] == pytest.approx(17.5)
    assert within[0] == pytest.approx(0.25 * 1 + 0.75 * 4)
    assert between[0] == pytest.approx(0.25 * 7.5**2 + 0.75 * 2.5**2)
    # a failed law with zero weight may carry NaN
    mean, within, between = combine([1.0, 0.0], np.array([[5.0], [np.nan]]), np.array([[1.0], [np.nan]]))
    assert (mean[0], within[0], between[0]) == (5.0, 1.0, 0.0)


def test_model_average_at_70b(observed_fits, claims):
    avg = model_average(observed_fits, [70.0]).at(70.0)
    assert as_printed(avg["mean"], claims, "s32_avg70_mean")
    assert as_printed(avg["sd"], claims, "s32_avg70_sd")
    assert avg["sd"] ** 2 == pytest.approx(avg["within_sd"] ** 2 + avg["between_sd"] ** 2)


@pytest.mark.parametrize("rule", RULES)
def test_weights_of_every_rule_sum_to_one_and_are_the_averages(observed_fits, rule):
    weights = observed_fits.weights(rule)
    average = model_average(observed_fits, [70.0], rule)
    assert list(weights) == [f.name for f in observed_fits.fits]
    assert sum(weights.values()) == pytest.approx(1.0)
    assert all(w >= 0 for w in weights.values())
    assert average.rule == rule
    np.testing.assert_array_equal(average.weights, [weights[name] for name in average.names])


def test_interval_is_the_normal_approximation(observed_fits):
    average = model_average(observed_fits, [14.0, 70.0])
    lo, hi = average.interval(0.95)
    np.testing.assert_allclose((lo + hi) / 2, average.mean)
    np.testing.assert_allclose(hi - lo, 2 * 1.959963984540054 * average.sd)
    narrow = average.interval(0.5)
    assert np.all((narrow[0] > lo) & (narrow[1] < hi))


def test_unknown_rule(observed_fits):
    with pytest.raises(ValueError, match="weighting rule 'dic' is unknown; expected one of"):
        model_average(observed_fits, [70.0], "dic")


@pytest.mark.parametrize("sizes", [[0.0], [-5.0], [np.nan], [np.inf], []])
def test_bad_prediction_sizes(observed_fits, sizes):
    with pytest.raises(ValueError, match="prediction sizes must be finite and > 0"):
        model_average(observed_fits, sizes)


def test_failed_fits_get_no_weight(observed):
    fits = fit_all(observed)
    failed = fits["sigmoid"].__class__(**{**fits["sigmoid"].__dict__, "status": "failed"})
    broken = fits.__class__(fits.data, tuple(failed if f.name == "sigmoid" else f for f in fits.fits))
    average = model_average(broken, [70.0])
    assert "sigmoid" not in average.names
    assert [f.name for f in broken.failed] == ["sigmoid"]
    assert broken.weights()["sigmoid"] == 0.0


def test_mixture_of_one_law_is_its_normal_interval(observed_fits):
    avg = model_average(fit_all(observed_fits.data, ["power_law"]), [14.0, 70.0])
    for got, want in zip(avg.mixture_interval(0.9), avg.interval(0.9)):
        np.testing.assert_allclose(got, want, rtol=1e-9)


def test_mixture_quantiles_invert_its_cdf_and_keep_two_modes_apart():
    w, means, sds = np.array([0.5, 0.5]), np.array([[0.0], [100.0]]), np.array([[1.0], [1.0]])
    lo = mixture_quantile(0.025, w, means, sds)
    hi = mixture_quantile(0.975, w, means, sds)
    assert mixture_cdf(lo, w, means, sds)[0] == pytest.approx(0.025, abs=1e-12)
    assert mixture_cdf(hi, w, means, sds)[0] == pytest.approx(0.975, abs=1e-12)
    # Each end lies in its own mode, not where a normal with Eq. 9's variance would put it.
    assert -3 < lo[0] < 0 and 100 < hi[0] < 103


def test_mixture_with_an_infinite_sd_has_infinite_ends():
    w, means, sds = np.array([0.5, 0.5]), np.array([[0.0], [1.0]]), np.array([[1.0], [np.inf]])
    assert mixture_quantile(0.1, w, means, sds)[0] == -np.inf
    assert mixture_quantile(0.9, w, means, sds)[0] == np.inf
    assert np.isfinite(mixture_quantile(0.5, w, means, sds)[0])


def test_mixture_interval_at_70b_includes_every_law(observed_fits):
    avg = model_average(observed_fits, [70.0])
    lo, hi = avg.mixture_interval(0.95)
    assert lo[0] < avg.means[:, 0].min() and hi[0] > avg.means[:, 0].max()
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        avg.mixture_interval(1.5)
