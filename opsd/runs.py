"""The book's named runs: each expensive result computed once and cached on disk.

A chapter and the reproduction audit that need the same result (the 70B
bootstrap, the synthetic validation, the decomposition family, ...) call the
same function here, so they read the same numbers; the first call computes
and stores the result, and every later call (another chapter, the audit, the
second execution of a chapter in ``make test``, a reader re-running a cell)
loads it.

The cache is keyed by the call's arguments (the data included) and by a
digest of the package's source and of the numerical libraries' versions, so
any change to ``opsd`` recomputes every run.  It lives in ``_build/runs``
beside the book, or wherever the environment variable ``OPSD_RUNS`` points;
``OPSD_RUNS=off`` turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from . import backtest as _bt
from . import recovery as _recovery
from .data import DATA_DIR, GainData
from .decomposition import fit_decomposition as _fit_decomposition
from .resampling import bootstrap as _bootstrap
from .synthetic import validate as _validate

__all__ = ["RUNS_DIR", "cached", "source_digest", "bootstrap", "validate", "fit_decomposition", "recover_se",
           "se_grid_search", "bootstrap_70", "bootstrap_precise", "validation", "decomposition_family"]

RUNS_DIR = Path(os.environ.get("OPSD_RUNS", DATA_DIR.parent / "_build" / "runs"))


@functools.cache
def source_digest() -> str:
    """A digest of every opsd source file and of the numerical libraries' versions."""
    import numpy
    import scipy

    digest = hashlib.sha256(f"numpy {numpy.__version__} scipy {scipy.__version__}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def _memory():
    from joblib import Memory

    return Memory(None if os.environ.get("OPSD_RUNS") == "off" else RUNS_DIR, verbose=0)


def _call(function, name, digest, args, kwargs):
    return function(*args, **kwargs)


def cached(function):
    """``function`` with its results cached on disk by its arguments and :func:`source_digest`."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        memorised = _memory().cache(_call, ignore=["function"])
        return memorised(function, f"{function.__module__}.{function.__qualname__}", source_digest(), args, kwargs)

    return run


bootstrap = cached(_bootstrap)
validate = cached(_validate)
fit_decomposition = cached(_fit_decomposition)
recover_se = cached(_recovery.recover_se)
se_grid_search = cached(_recovery.se_grid_search)
_backtest = cached(_bt.run)


def bootstrap_70(data: GainData, seed: int = 0, rule: str = "aic"):
    """Section 2.5's bootstrap as the paper ran it: 1,000 resamples at 70B (with each refit's sd, for the mixture)."""
    return bootstrap(data, [70.0], n_resamples=1000, seed=seed, rule=rule, with_sd=True)


def bootstrap_precise(data: GainData, seed: int = 1, rule: str = "aic"):
    """20,000 resamples at 70B: the precise interval and, in 20 blocks of 1,000, its Monte-Carlo error."""
    return bootstrap(data, [70.0], n_resamples=20_000, seed=seed, rule=rule)


def validation(data: GainData, seed: int = 0, rule: str = "aic"):
    """Section 2.3's synthetic validation under the book's protocol: 1,000 replicates, 14, 32 and 70B."""
    return validate(data, sizes=(14.0, 32.0, 70.0), n_replicates=1000, seed=seed, rule=rule)


def decomposition_family(data: GainData, seed: int = 0):
    """Every solution of the joint decomposition fit (Eqs. (10)-(13)) from 200 starts."""
    return fit_decomposition(data, n_starts=200, seed=seed)


def calibration_study(seed: int = 0):
    """The backtest of every real series (opsd.series) at holdouts 1-3 with every fast method."""
    from .series import load_series

    return _backtest(load_series(), holdouts=_bt.HOLDOUTS, methods=_bt.FAST_METHODS, seed=seed)


def calibration_slow(seed: int = 0, every: int = 8):
    """Stacking and the bootstrap, which refit every split many times, on every ``every``-th series at holdout 1."""
    from .series import load_series

    series = load_series()
    chosen = series["series"].drop_duplicates().iloc[::every]
    return _backtest(series[series["series"].isin(chosen)], holdouts=(1,), methods=_bt.SLOW_METHODS, seed=seed)
