"""The illustrative per-benchmark reconstruction (Section 3.8)."""

import numpy as np
import pytest

from opsd import fit_all, model_average
from opsd.benchmarks import reconstruct


@pytest.fixture(scope="module")
def targets(claims):
    """The paper's model-averaged 70B prediction of each benchmark."""
    rows = claims[claims["quantity"] == "benchmark_prediction"]
    assert (rows["size_b"] == 70).all()
    return dict(zip(rows["law"], rows["printed"].astype(float)))


def test_reconstruction_reproduces_targets_and_keeps_weights(observed, observed_fits, targets):
    series = reconstruct(observed, targets)
    base = model_average(observed_fits, [70.0])
    assert list(series) == list(targets)
    for name, target in targets.items():
        factor, data = series[name]
        avg = model_average(fit_all(data), [70.0])
        assert avg.mean[0] == pytest.approx(target, rel=1e-7)
        np.testing.assert_allclose(avg.weights, base.weights, atol=1e-9)
        assert "illustrative" in data.source
    with pytest.raises(ValueError, match="opposite sign"):
        reconstruct(observed, {"C": -3.0})


def test_reconstruction_needs_targets(observed):
    with pytest.raises(ValueError, match="no benchmark targets given"):
        reconstruct(observed, {})
