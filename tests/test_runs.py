"""The book's named runs: computed once, cached on disk, the same numbers as a direct call."""

import importlib

import numpy as np
import pytest


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSD_RUNS", str(tmp_path / "runs"))
    import opsd.runs

    module = importlib.reload(opsd.runs)
    yield module
    monkeypatch.delenv("OPSD_RUNS")
    importlib.reload(opsd.runs)


@pytest.mark.slow
def test_a_run_is_computed_once_and_read_back(runs, observed, tmp_path):
    import opsd

    first = runs.bootstrap(observed, [70.0], n_resamples=50, seed=4)
    stored = list((tmp_path / "runs").rglob("output.pkl"))
    assert len(stored) == 1
    again = runs.bootstrap(observed, [70.0], n_resamples=50, seed=4)
    assert list((tmp_path / "runs").rglob("output.pkl")) == stored
    direct = opsd.bootstrap(observed, [70.0], n_resamples=50, seed=4)
    np.testing.assert_array_equal(again.average_samples, direct.average_samples)
    np.testing.assert_array_equal(first.average_samples, direct.average_samples)


@pytest.mark.slow
def test_other_arguments_are_another_run(runs, observed, tmp_path):
    one = runs.bootstrap(observed, [70.0], n_resamples=50, seed=4)
    two = runs.bootstrap(observed, [70.0], n_resamples=50, seed=5)
    assert len(list((tmp_path / "runs").rglob("output.pkl"))) == 2
    assert not np.array_equal(one.average_samples, two.average_samples)


def test_the_key_includes_the_source(runs):
    digest = runs.source_digest()
    assert len(digest) == 16 and digest == runs.source_digest()
