"""Weighting rules, leave-one-out densities, stacking and the backtest."""

import numpy as np
import pytest
from scipy.stats import norm

from opsd import GainData, fit_all, model_average
from opsd import sensitivity as sens


def test_information_criterion_rules_match_model_average(observed_fits):
    weights = sens.rule_weights(observed_fits, ("aic", "aicc", "bic"))
    for rule in ("aic", "aicc", "bic"):
        np.testing.assert_allclose(weights[rule], model_average(observed_fits, [70.0], rule).weights)


def test_loo_density_matches_a_hand_refit(observed):
    lpd = sens.loo_log_predictive(observed, ["power_law"])
    keep = np.arange(observed.n) != 2
    train = GainData.from_arrays(observed.sizes[keep], observed.gains[keep], observed.se[keep])
    mean, sd = fit_all(train, ["power_law"])["power_law"].predict([observed.sizes[2]])
    expected = norm.logpdf(observed.gains[2], mean[0], np.hypot(sd[0], observed.se[2]))
    assert lpd[2, 0] == pytest.approx(expected)


def test_loo_marks_laws_that_cannot_be_refitted():
    data = GainData.from_arrays([1.0, 2.0, 4.0, 8.0], [1.0, 2.0, 3.1, 4.0], [0.2] * 4)
    lpd = sens.loo_log_predictive(data, ["power_law", "sigmoid"])
    assert np.all(np.isfinite(lpd[:, 0])) and np.all(np.isnan(lpd[:, 1]))
    assert sens.pseudo_bma_weights(lpd).tolist() == [1.0, 0.0]


def test_stacking_prefers_the_law_that_predicts_and_sums_to_one():
    lpd = np.log(np.array([[0.5, 0.1], [0.4, 0.1], [0.6, 0.2]]))
    weights = sens.stacking_weights(lpd)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] > 0.99
    # two laws that are each right half the time are best mixed
    mixed = sens.stacking_weights(np.log(np.array([[0.9, 0.01], [0.01, 0.9], [0.9, 0.01], [0.01, 0.9]])))
    np.testing.assert_allclose(mixed, [0.5, 0.5], atol=1e-3)


def test_average_by_rule_and_backtest(observed_fits, observed):
    table = sens.average_by_rule(observed_fits, [70.0])
    assert table.loc[("aic", 70.0), "mean"] == pytest.approx(model_average(observed_fits, [70.0]).mean[0])
    test = sens.backtest(observed, train_max=4.0)
    assert set(test.index.get_level_values("size_b")) == {8.0}
    assert test.attrs["best_aic"] == "saturating"
    assert np.all(np.isfinite(test["z"]))
    short = sens.backtest(observed, train_max=2.0)
    assert set(short.attrs["skipped_rules"]) == {"aicc", "pseudo_bma", "stacking"}
    with pytest.raises(ValueError, match="at least 3 points to fit and 1 to predict"):
        sens.backtest(observed, train_max=1.0)


def test_unknown_rule(observed_fits):
    with pytest.raises(ValueError, match="unknown weighting rule 'waic'"):
        sens.rule_weights(observed_fits, ("waic",))
