"""Argument checks at the package boundary: one clear ValueError wherever a bad value enters."""

import numpy as np
import pytest

from opsd.checks import check_count, check_sizes, normal_quantile


def test_check_sizes_returns_a_float_array():
    sizes = check_sizes(70)
    assert sizes.dtype == float and sizes.tolist() == [70.0]
    assert check_sizes([0.5, 405]).tolist() == [0.5, 405.0]


@pytest.mark.parametrize("sizes", [[0.0], [-5.0], [np.nan], [np.inf], [], [[1.0, 2.0]]])
def test_check_sizes_rejects(sizes):
    with pytest.raises(ValueError, match=r"candidate sizes must be finite and > 0, got "):
        check_sizes(sizes, "candidate sizes")


def test_check_count_accepts_integers_from_the_minimum():
    assert check_count(np.int64(2), "n", minimum=2) == 2 and type(check_count(np.int64(2), "n")) is int


@pytest.mark.parametrize("value", [0, -3, 2.5, True, "3", None])
def test_check_count_rejects(value):
    with pytest.raises(ValueError, match=r"n_draws must be an integer >= 1, got "):
        check_count(value, "n_draws")


def test_check_count_names_its_minimum():
    with pytest.raises(ValueError, match="n_replicates must be an integer >= 2, got 1"):
        check_count(1, "n_replicates", minimum=2)


def test_normal_quantile():
    assert normal_quantile(0.95) == pytest.approx(1.959963984540054)
    assert normal_quantile(0.5) == pytest.approx(0.6744897501960817)
    assert normal_quantile(np.float64(0.9)) > normal_quantile(0.5)


@pytest.mark.parametrize("level", [0, 1, -0.5, 1.5, np.nan, "0.95", None])
def test_normal_quantile_rejects(level):
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        normal_quantile(level)


@pytest.mark.parametrize("level", [0.0, 1.0, 95, -0.5, float("nan"), "0.95", True])
def test_a_level_outside_zero_one_is_named(level):
    from opsd import percentile_interval
    from opsd.averaging import mixture_quantile

    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        percentile_interval([1.0, 2.0, 3.0], level)
    with pytest.raises(ValueError, match="q must be between 0 and 1"):
        mixture_quantile(level, np.array([1.0]), np.array([[0.0]]), np.array([[1.0]]))


def test_a_bootstrap_summary_names_its_level(observed):
    from opsd import bootstrap

    result = bootstrap(observed, [70.0], n_resamples=30, seed=0)
    at_90, at_95 = result.summary(0.90)[0], result.summary()[0]
    assert "ci90" in at_90 and "ci95" not in at_90 and "ci90" in at_90["models"]["power_law"]
    assert at_90["ci90"] == list(result.ci(70.0, level=0.90)) and at_95["ci95"] == list(result.ci(70.0))
