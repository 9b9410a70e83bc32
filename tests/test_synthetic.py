"""Synthetic validation of extrapolation (Sections 2.3 and 3.5)."""

import numpy as np
import pytest

from opsd import LAWS, GainData
from opsd.synthetic import validate


@pytest.mark.slow
def test_validation_recovers_each_truth_without_noise_bias(observed):
    result = validate(observed, n_replicates=200, seed=1, noise_scale=0.01)
    mape, _ = result.mape()
    for regime in ("power_law", "logarithmic", "saturating"):
        assert mape.loc[regime, regime] < 1.0  # the right law, almost no noise
    coverage, _ = result.coverage()
    assert coverage.loc["average"].min() > 0.5


@pytest.mark.slow
def test_validation_is_seeded_and_counts_failures(observed):
    one = validate(observed, n_replicates=50, seed=7)
    two = validate(observed, n_replicates=50, seed=7)
    np.testing.assert_array_equal(one.mape()[0].to_numpy(), two.mape()[0].to_numpy())
    failures = one.failures()
    for regime in one.regimes:
        assert failures.loc["sigmoid", regime] == int(np.isnan(one.ape[regime]["sigmoid"][:, 0]).sum())


def test_result_records_its_sizes_and_replicates(observed):
    result = validate(observed, regimes=("power_law",), sizes=(20.0, 70.0), n_replicates=4, seed=3)
    assert result.sizes.tolist() == [20.0, 70.0] and result.n_replicates == 4
    assert result.ape["power_law"]["average"].shape == (4, 2)


@pytest.mark.slow
def test_average_error_never_exceeds_the_worst_law(observed):
    result = validate(observed, n_replicates=100, seed=2)
    for regime in result.regimes:
        worst = np.nanmax(np.stack([result.ape[regime][m] for m in LAWS]), axis=0)
        assert np.all(result.ape[regime]["average"] <= worst + 1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_replicates": 1}, "n_replicates must be an integer >= 2"),
    ({"sizes": (-1.0,)}, "prediction sizes must be finite and > 0"),
    ({"noise_scale": 0.0}, "noise_scale must be finite and > 0"),
    ({"rule": "waic"}, "weighting rule 'waic' is unknown"),
    ({"rule": "stacking"}, "weighting rule 'stacking' is not available here; expected one of aic, aicc, bic$"),
])
def test_validation_rejects_bad_arguments(observed, kwargs, message):
    with pytest.raises(ValueError, match=message):
        validate(observed, **kwargs)


def test_validation_needs_standard_errors(observed):
    with pytest.raises(ValueError, match="add an 'se' column"):
        validate(GainData.from_arrays(observed.sizes, observed.gains), n_replicates=2)
