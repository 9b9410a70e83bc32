"""The vectorised parametric bootstrap (Section 2.5)."""

import numpy as np
import pytest

from opsd import GainData, bootstrap
from opsd.audit import printed


@pytest.mark.slow
def test_bootstrap_is_reproducible_and_counts_failures(observed):
    one = bootstrap(observed, [70.0], 300, seed=3)
    two = bootstrap(observed, [70.0], 300, seed=3)
    np.testing.assert_array_equal(one.average_samples, two.average_samples)
    assert one.ci(70.0) == two.ci(70.0)
    for name, count in one.failed.items():
        assert count == int(np.isnan(one.law_samples[name][:, 0]).sum())
    assert one.no_average == int(np.isnan(one.average_samples[:, 0]).sum())
    assert np.all(np.isnan(one.weight_samples) | (one.weight_samples >= 0))
    ok = ~np.isnan(one.average_samples[:, 0])
    np.testing.assert_allclose(np.nansum(one.weight_samples[ok], axis=1), 1.0)


@pytest.mark.slow
def test_bootstrap_near_the_paper(observed, claims):
    result = bootstrap(observed, [70.0], 1000, seed=0)
    lo, hi = result.ci(70.0)
    # Allowances around the paper's numbers from 1,000 resamples: its Monte-Carlo error, and above the
    # printed upper end the book's convention for refits at a limit (compared in the bootstrap chapter).
    assert printed(claims, "s36_boot_mean") - 1.3 < result.mean(70.0) < printed(claims, "s36_boot_mean") + 1.2
    assert abs(lo - printed(claims, "s36_boot_lo")) < 1.0
    assert printed(claims, "s36_boot_hi") - 2.6 < hi < printed(claims, "s36_boot_hi") + 3.4


def test_interval_is_ci_at_every_size(observed):
    result = bootstrap(observed, [14.0, 70.0], 100, seed=5)
    for law, convention, level in [(None, "limit", 0.95), ("sigmoid", "limit", 0.9),
                                   (None, "drop the law", 0.8), (None, "drop the resample", 0.95)]:
        lo, hi = result.interval(level, law, convention)
        assert lo.shape == hi.shape == (2,)
        for j, size in enumerate(result.sizes):
            assert (lo[j], hi[j]) == result.ci(size, law, level, convention)
    (lo50, hi50), (lo95, hi95) = result.interval(0.5), result.interval()
    assert np.all((lo95 < lo50) & (hi50 < hi95))


def test_bootstrap_records_its_rule(observed):
    result = bootstrap(observed, [70.0], 20, seed=1, rule="bic")
    assert result.rule == "bic"


@pytest.mark.parametrize("rule, kind", [("waic", "unknown"), ("stacking", "not available here"),
                                        ("pseudo_bma", "not available here")])
def test_bootstrap_weighs_only_by_a_criterion(observed, rule, kind):
    with pytest.raises(ValueError, match=f"weighting rule '{rule}' is {kind}; expected one of aic, aicc, bic$"):
        bootstrap(observed, [70.0], 10, rule=rule)


def test_bootstrap_needs_standard_errors(observed):
    with pytest.raises(ValueError, match="needs standard errors"):
        bootstrap(GainData.from_arrays(observed.sizes, observed.gains), [70.0], 10)


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bootstrap_rejects_bad_resample_counts(observed, n):
    with pytest.raises(ValueError, match="n_resamples must be an integer >= 1"):
        bootstrap(observed, [70.0], n)


def test_summary_shape(observed):
    summary = bootstrap(observed, [14.0, 70.0], 50, seed=1).summary()
    assert [s["size_b"] for s in summary] == [14.0, 70.0]
    assert set(summary[0]["models"]) == {"power_law", "logarithmic", "saturating", "sigmoid", "sqrt_log"}
    lo, hi = summary[1]["ci95"]
    assert lo < summary[1]["mean"] < hi


@pytest.mark.slow
def test_progress_bar_goes_to_stderr(observed, capsys):
    quiet = bootstrap(observed, [70.0], 50, seed=2)
    shown = bootstrap(observed, [70.0], 50, seed=2, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "bootstrap refits" in captured.err
    np.testing.assert_array_equal(quiet.average_samples, shown.average_samples)


def test_mixture_interval_needs_the_sds_and_is_wider_than_the_point_interval(observed):
    result = bootstrap(observed, [70.0], 200, seed=3, with_sd=True)
    plain = bootstrap(observed, [70.0], 200, seed=3)
    with pytest.raises(ValueError, match="with_sd=True"):
        plain.mixture_interval(70.0)
    np.testing.assert_array_equal(result.average_samples, plain.average_samples)
    lo, hi = result.mixture_interval(70.0)
    point_lo, point_hi = result.ci(70.0)
    assert lo < point_lo and hi > point_hi


def test_selection_frequencies_count_the_largest_weight(observed):
    result = bootstrap(observed, [70.0], 200, seed=4)
    freq = result.selection_frequencies()
    assert set(freq) == set(result.names) and sum(freq.values()) == pytest.approx(1.0)
    ok = np.all(np.isfinite(result.weight_samples), axis=1)
    winners = np.argmax(result.weight_samples[ok], axis=1)
    for j, name in enumerate(result.names):
        assert freq[name] == pytest.approx(np.mean(winners == j))
