"""The book's named runs: every expensive result, declared once, computed once, cached on disk.

Each run in :data:`RUNS` has a name, a function and its arguments; an
argument read from ``data/`` is an :class:`Input`, loaded when the run is
computed.  A chapter (or the reproduction audit) asks for a run by name::

    result = runs.get("bootstrap_70")                 # the declared run
    result = runs.get("bootstrap_70", data=my_data)   # the same run on other data

and receives the stored result when one exists under the run's key, or
computes it (and stores it) when none does.  The key is everything that can
change the result (:func:`key`): the run's function and its arguments, the
input data by content, the source of every opsd module the function uses
*as it was imported* (:mod:`opsd.sources`), the versions of the numerical
libraries, the Python version, the BLAS kernels and the NumPy loops in use,
and the machine.  When a module a run uses was edited after it was imported,
the run is computed afresh and neither read from nor written to the cache,
so a stale result is never served.

``python -m opsd.runs build [-j N]`` computes every stale run (in ``N``
processes, each run seeded, so the results equal a serial build's), and
``python -m opsd.runs status`` lists the runs, their keys and whether each
is stored.  The cache lives in ``_build/runs`` beside the book, or wherever
the environment variable ``OPSD_RUNS`` points when a run is asked for;
``OPSD_RUNS=off`` computes every run afresh and stores nothing.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import pickle
import platform
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import sources
from ._threads import one_thread
from .backtest import FAST_METHODS, HOLDOUTS, SLOW_METHODS
from .backtest import run as _backtest
from .claims import load_claims
from .data import DATA_DIR, GainData, load_gains
from .decomposition import fit_decomposition, profile
from .fitting import FitSet, fit_all, optimism
from .recovery import recover_se, se_grid_search
from .resampling import bootstrap
from .series import every_nth_series, load_series
from .synthetic import validate

__all__ = ["Input", "Run", "RUNS", "runs_dir", "environment", "key", "get", "status", "build", "main"]

#: Libraries whose version can change a run's numbers (their exact versions are pinned in requirements.txt).
NUMERICAL = ("numpy", "scipy", "pandas")


def runs_dir() -> Path | None:
    """Where results are stored: ``$OPSD_RUNS`` (relative to the root that holds ``data/``), or
    ``_build/runs`` there; None when it is ``off``."""
    chosen = os.environ.get("OPSD_RUNS")
    if chosen == "off":
        return None
    # A relative path is taken from the book's root, wherever the process runs (chapters run in chapters/).
    return DATA_DIR.parent / chosen if chosen else DATA_DIR.parent / "_build" / "runs"


@dataclass(frozen=True)
class Input:
    """An argument read from ``data/`` when a run is computed: ``loader(*args)``, where an
    argument that is itself an :class:`Input` is loaded first."""

    loader: Callable
    args: tuple = ()

    def load(self):
        return self.loader(*(a.load() if isinstance(a, Input) else a for a in self.args))

    @property
    def modules(self) -> list[str]:
        nested = [m for a in self.args if isinstance(a, Input) for m in a.modules]
        return [self.loader.__module__, *nested]


OBSERVED = Input(load_gains, (DATA_DIR / "observed_gains.csv",))
OBSERVED_FITS = Input(fit_all, (OBSERVED,))
CLAIMS = Input(load_claims)
SERIES = Input(load_series)


@dataclass(frozen=True)
class Run:
    """A named computation: ``function(**arguments)``."""

    name: str
    function: Callable
    arguments: dict = field(default_factory=dict)
    about: str = ""
    #: (argument, values): the result is {value: function(**arguments, argument=value)}.
    over: tuple | None = None

    def resolve(self, **overrides) -> dict:
        """The arguments with every :class:`Input` loaded and ``overrides`` applied."""
        unknown = set(overrides) - set(self.arguments)
        if unknown:
            raise ValueError(f"run {self.name!r} has no argument(s) {sorted(unknown)}; "
                             f"it takes {sorted(self.arguments)}")
        merged = {**self.arguments, **overrides}
        return {name: value.load() if isinstance(value, Input) else value for name, value in merged.items()}

    @property
    def modules(self) -> tuple[str, ...]:
        """The opsd modules whose source can change this run's result."""
        loaders = [m for v in self.arguments.values() if isinstance(v, Input) for m in v.modules]
        return sources.dependencies(self.function.__module__, *loaders)

    def compute(self, arguments: dict):
        """``function(**arguments)``, or one call per value of ``over``, with one BLAS thread."""
        with one_thread():
            if self.over is None:
                return self.function(**arguments)
            parameter, values = self.over
            return {value: self.function(**arguments, **{parameter: value}) for value in values}


def _declare(*runs: Run) -> dict[str, Run]:
    return {run.name: run for run in runs}


#: Every named run of the book, in the order a build starts them (the longest first, as measured).
RUNS = _declare(
    Run("bootstrap_precise", bootstrap,
        {"data": OBSERVED, "sizes": [70.0], "n_resamples": 20_000, "seed": 1, "rule": "aic"},
        "20,000 resamples at 70B: the precise interval and, in 20 blocks of 1,000, its Monte-Carlo error"),
    Run("validation_noise", validate, {"data": OBSERVED, "n_replicates": 500, "seed": 1},
        "the synthetic validation with the standard errors scaled by 1/4, 1/2, 1 and 2",
        over=("noise_scale", (0.25, 0.5, 1.0, 2.0))),
    Run("calibration_study", _backtest,
        {"series_frame": SERIES, "holdouts": HOLDOUTS, "methods": FAST_METHODS, "seed": 0},
        "the backtest of every real series at holdouts 1-3 with every fast method"),
    Run("calibration_slow", _backtest,
        {"series_frame": Input(every_nth_series, (SERIES, 8)), "holdouts": (1,), "methods": SLOW_METHODS, "seed": 0},
        "stacking and the bootstrap, which refit every split many times, on every eighth real series at holdout 1"),
    Run("recover_se", recover_se, {"data": OBSERVED, "claims": CLAIMS},
        "the standard errors that make the fits print the paper's numbers, from random starts"),
    Run("bootstrap_seeds", bootstrap, {"data": OBSERVED, "sizes": [70.0], "n_resamples": 1000, "rule": "aic"},
        "the 70B bootstrap under seeds 1-5", over=("seed", (1, 2, 3, 4, 5))),
    Run("validation_rules", validate, {"data": OBSERVED, "n_replicates": 500, "seed": 3},
        "the synthetic validation under AIC and AICc", over=("rule", ("aic", "aicc"))),
    Run("decomposition_beta_profile", profile,
        {"data": OBSERVED, "name": "beta", "values": tuple(np.linspace(0.0, 0.999, 11)), "n_starts": 30, "seed": 1},
        "the decomposition's best fit with beta fixed, across beta"),
    Run("validation", validate,
        {"data": OBSERVED, "sizes": (14.0, 32.0, 70.0), "n_replicates": 1000, "seed": 0, "rule": "aic"},
        "Section 2.3's synthetic validation under the book's protocol"),
    Run("decomposition_family", fit_decomposition, {"data": OBSERVED, "n_starts": 200, "seed": 0},
        "every solution of the joint decomposition fit (Eqs. (10)-(13)) from 200 starts"),
    Run("validation_405", validate, {"data": OBSERVED, "sizes": (405.0,), "n_replicates": 500, "seed": 2},
        "the synthetic validation at 405B"),
    Run("se_grid_search", se_grid_search,
        {"data": OBSERVED, "claims": CLAIMS, "values": tuple(np.round(np.arange(0.1, 1.01, 0.1), 1))},
        "every standard-error vector on a grid of 0.1 steps that reproduces the paper's printed inputs"),
    Run("optimism", optimism, {"fits": OBSERVED_FITS, "n_replicates": 2000, "seed": 0},
        "each law's optimism by simulation, 2,000 draws"),
    Run("bootstrap_aicc", bootstrap,
        {"data": OBSERVED, "sizes": [70.0], "n_resamples": 1000, "seed": 0, "rule": "aicc"},
        "the 70B bootstrap with AICc weights"),
    Run("decomposition_fixed_N_char", profile,
        {"data": OBSERVED, "name": "N_char", "values": (1.0, 11.5, 100.0), "n_starts": 30, "seed": 3},
        "the decomposition with N_char fixed at 1, 11.5 and 100B"),
    Run("bootstrap_70", bootstrap,
        {"data": OBSERVED, "sizes": [70.0], "n_resamples": 1000, "seed": 0, "rule": "aic", "with_sd": True},
        "Section 2.5's bootstrap as the paper ran it: 1,000 resamples at 70B, with each refit's sd"),
    Run("decomposition_fixed_beta", profile,
        {"data": OBSERVED, "name": "beta", "values": (0.5,), "n_starts": 30, "seed": 2},
        "the decomposition with beta fixed at 0.5"),
)


def _feed(h, value) -> None:
    """Feed a canonical encoding of ``value`` into the hash ``h`` (by content, never by identity)."""
    import pandas as pd

    if isinstance(value, GainData):  # by its numbers, not by the path it was read from
        _feed(h, ("GainData", value.sizes, value.gains, value.se))
    elif isinstance(value, FitSet):
        _feed(h, ("FitSet", value.data, value.excluded,
                  [(fit.name, fit.params, fit.chi2, fit.status) for fit in value.fits]))
    elif isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        h.update(f"ndarray {array.dtype.str} {array.shape}".encode())
        h.update(array.tobytes())
    elif isinstance(value, pd.DataFrame):
        h.update(b"DataFrame")
        h.update(repr(list(value.dtypes.astype(str).items())).encode())
        h.update(value.to_csv().encode())
    elif isinstance(value, dict):
        h.update(b"dict")
        for k in sorted(value, key=repr):
            _feed(h, k)
            _feed(h, value[k])
    elif isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__} {len(value)}".encode())
        for item in value:
            _feed(h, item)
    elif value is None or isinstance(value, (str, bool, int, float, np.generic)):
        h.update(f"{type(value).__name__}:{value!r}".encode())
    else:
        raise TypeError(f"a run argument of type {type(value).__name__} has no content fingerprint")


@functools.cache
def environment() -> dict:
    """What, besides the code and the data, can change a run's numbers: library versions, Python, the BLAS
    kernels, the NumPy loops chosen for this CPU, and the machine."""
    from importlib.metadata import version

    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS, so that threadpoolctl sees it)
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    from threadpoolctl import threadpool_info

    kernels = sorted({(lib.get("internal_api"), lib.get("version"), lib.get("architecture"))
                      for lib in threadpool_info() if lib.get("user_api") == "blas"}, key=repr)
    return {"python": sys.version.split()[0], **{name: version(name) for name in NUMERICAL},
            "blas": [" ".join(str(part) for part in kernel) for kernel in kernels],
            "numpy loops": [target for target in __cpu_dispatch__ if __cpu_features__.get(target)],
            "machine": platform.machine()}


def key(run: Run, arguments: dict) -> str:
    """The cache key of ``run`` with resolved ``arguments`` (see the module docstring)."""
    h = hashlib.sha256()
    # runs itself too: Run.compute assembles the result.
    _feed(h, (run.function.__module__, run.function.__qualname__, arguments, run.over,
              sources.digest((*run.modules, "runs")),
              json.dumps(environment(), sort_keys=True)))
    return h.hexdigest()[:20]


def _path(run: Run, run_key: str) -> Path | None:
    directory = runs_dir()
    return None if directory is None else directory / run.name / f"{run_key}.pkl"


def _lookup(name: str) -> Run:
    if name not in RUNS:
        raise ValueError(f"no run named {name!r}; the runs are {', '.join(RUNS)}")
    return RUNS[name]


def _store(run: Run, run_key: str, result, seconds: float) -> bool:
    """Write ``result`` atomically under its key, unless a module it used changed since import."""
    path = _path(run, run_key)
    if path is None:
        return False
    edited = sources.changed_since_import(run.modules)
    if edited:
        warnings.warn(f"run {run.name!r} computed afresh and not stored: {', '.join(edited)} changed since "
                      "opsd was imported (restart the kernel to use the new code)", stacklevel=3)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(suffix=".tmp", dir=path.parent)
    with os.fdopen(handle, "wb") as file:
        pickle.dump(result, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)
    path.with_suffix(".json").write_text(json.dumps({"seconds": round(seconds, 2), **environment()}, indent=1))
    return True


def get(name: str, **overrides):
    """The result of the run ``name`` (with ``overrides`` of its arguments): stored, or computed now."""
    run = _lookup(name)
    arguments = run.resolve(**overrides)
    run_key = key(run, arguments)
    path = _path(run, run_key)
    # A module loaded after the snapshot, or edited since, may hold other code than the key says:
    # then nothing is served (and, in _store, nothing is stored).
    if path is not None and path.exists() and not sources.changed_since_import(run.modules):
        return pickle.loads(path.read_bytes())
    start = time.perf_counter()
    result = run.compute(arguments)
    _store(run, run_key, result, time.perf_counter() - start)
    return result


def status(names=None) -> list[dict]:
    """Each declared run: its name, key, whether it is stored, and the modules it depends on."""
    out = []
    for name in names or RUNS:
        run = _lookup(name)
        run_key = key(run, run.resolve())
        path = _path(run, run_key)
        out.append({"run": name, "key": run_key, "stored": path is not None and path.exists(),
                    "modules": run.modules})
    return out


def _build_one(name: str) -> tuple[str, float, bool]:
    print(f"  computing {name} ...", flush=True)
    run = _lookup(name)
    arguments = run.resolve()
    start = time.perf_counter()
    result = run.compute(arguments)
    seconds = time.perf_counter() - start
    return name, seconds, _store(run, key(run, arguments), result, seconds)


def build(names=None, jobs: int = 1, out=functools.partial(print, flush=True)) -> list[tuple[str, float]]:
    """Compute every stale run among ``names`` (default: all), in ``jobs`` processes.

    Each run is one task with its own seed, so a parallel build stores the
    same results as a serial one.  Prints each run as it starts and its time
    as it ends (flushed at once, as the workers print, so that the lines keep
    their order in a log); returns (name, seconds) of the runs computed.
    """
    if runs_dir() is None:
        raise ValueError("OPSD_RUNS=off: there is no cache to build")
    stale = [row["run"] for row in status(names) if not row["stored"]]
    out(f"{len(stale)} of {len(names or RUNS)} runs to compute" + (f" in {jobs} processes" if stale else ""))
    done = []

    def report(name, seconds, stored):
        done.append((name, seconds))
        out(f"  done {name} in {seconds:.1f} s" + ("" if stored else " (not stored)"))

    if jobs <= 1 or len(stale) <= 1:
        for name in stale:
            report(*_build_one(name))
        return done
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_build_one, name) for name in stale]
        for future in as_completed(futures):
            report(*future.result())
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opsd.runs", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="compute every stale run")
    make.add_argument("-j", "--jobs", type=int, default=1, help="processes to use (default 1)")
    make.add_argument("names", nargs="*", help="runs to build (default: all)")
    show = commands.add_parser("status", help="list every run, its key and whether it is stored")
    show.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    names = args.names or None
    try:  # bad names or settings are one line; an error inside a run keeps its traceback
        for name in names or ():
            _lookup(name)
        if args.command == "build" and runs_dir() is None:
            raise ValueError("OPSD_RUNS=off: there is no cache to build")
    except ValueError as error:
        print(f"python -m opsd.runs: {error}", file=sys.stderr)
        return 2
    if args.command == "build":
        start = time.perf_counter()
        build(names, args.jobs)
        print(f"runs built in {time.perf_counter() - start:.1f} s into {runs_dir()}")
    else:
        for row in status(names):
            print(f"{row['run']:28} {row['key']}  {'stored' if row['stored'] else 'STALE'}  "
                  f"({', '.join(row['modules'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
