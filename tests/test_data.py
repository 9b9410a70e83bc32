"""Observed gains: loading, validation, subsets, and binomial standard errors of accuracy gains."""

import numpy as np
import pytest

from opsd import GainData, accuracy_gain, load_gains, mean_gain
from opsd.audit import printed

from .conftest import OBSERVED


def test_observed_data_load(claims):
    data = load_gains(OBSERVED)
    section_3_1 = claims[claims["quantity"] == "observed_gain"].sort_values("size_b")
    assert data.sizes.tolist() == section_3_1["size_b"].tolist()
    assert data.gains.tolist() == [printed(claims, claim_id) for claim_id in section_3_1.index]
    assert data.se.tolist() == [0.4, 0.3, 0.4, 0.5, 0.6]  # recovered by the book, not printed
    assert not data.sizes.flags.writeable


def test_rows_are_sorted_and_extra_columns_ignored(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("gain,note,size_b\n3,b,2\n1,a,0.5\n2,c,1\n", encoding="utf-8")
    data = load_gains(path)
    assert data.sizes.tolist() == [0.5, 1.0, 2.0]
    assert data.gains.tolist() == [1.0, 2.0, 3.0]
    assert not data.sigma_given


def test_from_arrays_validates():
    with pytest.raises(ValueError, match="index 1, column 'size_b': must be > 0"):
        GainData.from_arrays([1.0, -1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="different lengths"):
        GainData.from_arrays([1.0, 2.0], [1.0])


@pytest.mark.parametrize("keep", [np.array([True, False, True, True, False]), [0, 2, 3]])
def test_subset_keeps_the_errors_and_the_source(observed, keep):
    part = observed.subset(keep)
    assert part.sizes.tolist() == observed.sizes[[0, 2, 3]].tolist()
    assert part.gains.tolist() == observed.gains[[0, 2, 3]].tolist()
    assert part.se.tolist() == observed.se[[0, 2, 3]].tolist()
    assert part.source == observed.source
    assert observed.subset(keep, source="train").source == "train"


def test_subset_without_errors_stays_without():
    data = GainData.from_arrays([1.0, 2.0, 4.0], [1.0, 2.0, 3.0])
    assert data.subset([True, False, True]).se is None


@pytest.mark.parametrize("mask", [np.ones(4, bool), np.ones(6, bool), np.ones((5, 1), bool)])
def test_subset_rejects_a_mask_of_the_wrong_shape(observed, mask):
    with pytest.raises(ValueError, match=r"a mask over 5 points has shape"):
        observed.subset(mask)


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
