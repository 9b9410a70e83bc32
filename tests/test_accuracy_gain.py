"""Binomial standard errors of accuracy gains."""

import numpy as np
import pytest

from opsd import accuracy_gain, mean_gain


def test_binomial_standard_error_of_a_difference():
    gain, se = accuracy_gain(50.0, 60.0, 1000)
    p1, p2 = (500 + 1) / 1002, (600 + 1) / 1002
    assert gain == pytest.approx(10.0)
    assert se == pytest.approx(100 * np.sqrt(p1 * (1 - p1) / 1000 + p2 * (1 - p2) / 1000))


def test_zero_accuracy_still_has_a_positive_error():
    _, se = accuracy_gain(0.0, 0.0, 30)
    assert se > 0


def test_bad_accuracies_are_named():
    with pytest.raises(ValueError, match="percentages between 0 and 100"):
        accuracy_gain(120.0, 50.0, 10)
    with pytest.raises(ValueError, match="n_problems must be at least 1"):
        accuracy_gain(10.0, 50.0, 0)


def test_mean_gain_of_independent_benchmarks():
    mean, se = mean_gain([[1.0, 2.0], [3.0, 4.0]], [[0.3, 0.3], [0.4, 0.4]])
    np.testing.assert_allclose(mean, [2.0, 3.0])
    np.testing.assert_allclose(se, [0.25, 0.25])
