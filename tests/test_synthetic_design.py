"""Synthetic validation, experiment design, benchmark reconstruction and the batched helpers."""

import numpy as np
import pytest

from opsd import LAWS, GainData, combine, design, fit_all, model_average
from opsd.benchmarks import reconstruct
from opsd.fitting import predict_batch
from opsd.synthetic import validate


@pytest.mark.parametrize("name", list(LAWS))
def test_predict_batch_matches_fit_result(observed_fits, observed, name):
    fit = observed_fits[name]
    mean, sd = predict_batch(fit.law, observed.sizes, observed.se, np.vstack([fit.params, fit.params]), [14.0, 70.0])
    ref_mean, ref_sd = fit.predict([14.0, 70.0])
    np.testing.assert_allclose(mean[1], ref_mean, rtol=1e-12)
    np.testing.assert_allclose(sd[1], ref_sd, rtol=1e-8)


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


def test_validation_recovers_each_truth_without_noise_bias(observed):
    result = validate(observed, replicates=200, seed=1, noise_scale=0.01)
    mape, _ = result.mape()
    for regime in ("power_law", "logarithmic", "saturating"):
        assert mape.loc[regime, regime] < 1.0  # the right law, almost no noise
    coverage, _ = result.coverage()
    assert coverage.loc["average"].min() > 0.5


def test_validation_is_seeded_and_counts_failures(observed):
    one = validate(observed, replicates=50, seed=7)
    two = validate(observed, replicates=50, seed=7)
    np.testing.assert_array_equal(one.mape()[0].to_numpy(), two.mape()[0].to_numpy())
    failures = one.failures()
    for regime in one.regimes:
        assert failures.loc["sigmoid", regime] == int(np.isnan(one.ape[regime]["sigmoid"][:, 0]).sum())


def test_average_error_never_exceeds_the_worst_law(observed):
    result = validate(observed, replicates=100, seed=2)
    for regime in result.regimes:
        worst = np.nanmax(np.stack([result.ape[regime][m] for m in LAWS]), axis=0)
        assert np.all(result.ape[regime]["average"] <= worst + 1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"replicates": 1}, "replicates must be an integer >= 2"),
    ({"targets": (-1.0,)}, "target sizes must be finite and > 0"),
    ({"noise_scale": 0.0}, "noise_scale must be finite and > 0"),
])
def test_validation_rejects_bad_arguments(observed, kwargs, message):
    with pytest.raises(ValueError, match=message):
        validate(observed, **kwargs)


def test_information_is_the_between_model_variance(observed_fits):
    sizes = [14.0, 70.0, 405.0]
    np.testing.assert_allclose(design.information(observed_fits, sizes),
                               model_average(observed_fits, sizes).between_sd ** 2)


def test_information_grows_with_size_so_its_argmax_is_the_grid_top(observed_fits):
    for top in (140.0, 405.0, 1000.0):
        grid = np.array([14.0, 32.0, 70.0, 100.0, top])
        assert grid[np.argmax(design.information(observed_fits, grid))] == top


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


def test_cost_follows_the_papers_two_prices():
    g = design.cost_exponent(70.0, 16_000.0, 405.0, 400_000.0)
    assert design.cost([405.0], 70.0, 16_000.0, g)[0] == pytest.approx(400_000.0)
    assert 1.8 < g < 1.9


def test_reconstruction_reproduces_targets_and_keeps_weights(observed, observed_fits):
    series = reconstruct(observed, {"A": 20.2, "B": 18.4})
    base = model_average(observed_fits, [70.0])
    for name, target in {"A": 20.2, "B": 18.4}.items():
        factor, data = series[name]
        avg = model_average(fit_all(data), [70.0])
        assert avg.mean[0] == pytest.approx(target, rel=1e-7)
        np.testing.assert_allclose(avg.weights, base.weights, atol=1e-9)
        assert "illustrative" in data.source
    with pytest.raises(ValueError, match="opposite sign"):
        reconstruct(observed, {"C": -3.0})
