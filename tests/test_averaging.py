"""Model-averaged extrapolation: Eqs. (8)-(9), weights under every rule, the paper's 70B average."""

import numpy as np
import pytest

from opsd import RULES, combine, fit_all, model_average

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
