"""Information criteria (Eq. (6)), Akaike weights (Eq. (7)) and the predictive weighting rules."""

import numpy as np
import pytest

from opsd import akaike_weights
from opsd.weights import CRITERIA, RULES, check_rule, information_criteria, pseudo_bma_weights, stacking_weights


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


def test_aicc_without_degrees_of_freedom_is_infinite():
    assert information_criteria(0.5, n=4, k=3, sigma_given=True)["aicc"] == np.inf


def test_akaike_weights():
    np.testing.assert_allclose(akaike_weights([0.0, 2.0]), [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))])
    np.testing.assert_allclose(akaike_weights([1.0, np.inf]), [1.0, 0.0])
    np.testing.assert_allclose(akaike_weights([-np.inf, -np.inf, 3.0]), [0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="NaN"):
        akaike_weights([1.0, np.nan])


def test_rules_and_their_check():
    assert CRITERIA == ("aic", "aicc", "bic") and RULES == CRITERIA + ("pseudo_bma", "stacking")
    assert [check_rule(rule) for rule in RULES] == list(RULES)
    with pytest.raises(ValueError, match="weighting rule 'waic' is unknown; expected one of aic, aicc, bic, "
                                         "pseudo_bma, stacking"):
        check_rule("waic")
    with pytest.raises(ValueError, match="weighting rule 'stacking' is not available here; "
                                         "expected one of aic, aicc, bic$"):
        check_rule("stacking", CRITERIA)


def test_pseudo_bma_weights_are_proportional_to_exp_elpd():
    lpd = np.log(np.array([[0.5, 0.1], [0.4, 0.2]]))
    elpd = lpd.sum(axis=0)
    np.testing.assert_allclose(pseudo_bma_weights(lpd), np.exp(elpd) / np.exp(elpd).sum())
    with pytest.raises(ValueError, match="no law has a leave-one-out density at every point"):
        pseudo_bma_weights([[np.nan, 0.0], [0.0, np.nan]])


def test_stacking_prefers_the_law_that_predicts_and_sums_to_one():
    lpd = np.log(np.array([[0.5, 0.1], [0.4, 0.1], [0.6, 0.2]]))
    weights = stacking_weights(lpd)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] > 0.99
    # two laws that are each right half the time are best mixed
    mixed = stacking_weights(np.log(np.array([[0.9, 0.01], [0.01, 0.9], [0.9, 0.01], [0.01, 0.9]])))
    np.testing.assert_allclose(mixed, [0.5, 0.5], atol=1e-3)
