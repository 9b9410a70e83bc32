"""Speed of the leave-future-out study (opsd.backtest.run) against a plain scipy curve_fit loop.

Both do the same work in the same process: every real series of
opsd.series.load_series(), every holdout of 1, 2 and 3 sizes that leaves at
least 4 points, the five laws fitted to the smaller sizes and each law's
prediction at the held-out sizes.  The loop calls curve_fit once per law
per starting point of the law's own grid (1 to 10 starts) and keeps the
lowest chi^2; opsd fits each law with its batched solver, shape search and
limiting forms (the law's fit status).  Prints both times (CPU and wall),
their ratio and how often the two predictions agree.  ``--all`` also times
the whole study with every method and prints the CPU seconds per method.

    python tests/benchmarks/backtest_speed.py [--all]
"""

import argparse
import time
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from opsd import LAW_NAMES, GainData, fit_all, get_law
from opsd.backtest import HOLDOUTS, METHODS, MIN_FIT_POINTS, run, summarise
from opsd.series import load_series


def splits(series):
    """(series id, holdout, training data, target sizes) of every split the study runs."""
    for name, rows in series.groupby("series", sort=False):
        data = GainData.from_arrays(rows["size_b"], rows["gain"], rows["se"], source=name)
        for h in HOLDOUTS:
            if data.n - h >= MIN_FIT_POINTS:
                yield name, h, data.subset(np.arange(data.n - h)), data.sizes[data.n - h:]


def curve_fit_loop(series):
    """The textbook implementation: curve_fit per law per start, best chi^2 kept; predictions at the targets."""
    out = {}
    for name, h, train, targets in splits(series):
        for law_name in LAW_NAMES:
            law = get_law(law_name)
            bounds = tuple(zip(*law.bounds)) if law_name == "saturating" else (-np.inf, np.inf)
            best = None
            for p0 in law.starts(train.sizes, train.gains):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("error", OptimizeWarning)
                        warnings.simplefilter("ignore", RuntimeWarning)
                        popt, _ = curve_fit(lambda n, *p: law(n, np.array(p)), train.sizes, train.gains, p0=p0,
                                            sigma=train.se, absolute_sigma=True, bounds=bounds)
                except (RuntimeError, OptimizeWarning, ValueError):
                    continue
                with np.errstate(all="ignore"):
                    chi2 = float(np.sum(((train.gains - law(train.sizes, popt)) / train.se) ** 2))
                if np.isfinite(chi2) and (best is None or chi2 < best[0]):
                    best = (chi2, popt)
            with np.errstate(all="ignore"):
                pred = np.full(targets.size, np.nan) if best is None else law(targets, best[1]).ravel()
            for size, value in zip(targets, pred):
                out[(name, h, float(size), law_name)] = value
    return out


def timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.process_time() - cpu, time.perf_counter() - wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="also time the whole study with every method")
    args = parser.parse_args()
    series = load_series()
    n_splits = sum(1 for _ in splits(series))
    run(series[series.series == series.series.iloc[0]], holdouts=(1,), methods=LAW_NAMES)  # warm imports

    scipy_preds, scipy_cpu, scipy_wall = timed(curve_fit_loop, series)
    predictions, opsd_cpu, opsd_wall = timed(run, series, methods=LAW_NAMES)

    ours = {(r.series, r.holdout, r.size_b, r.method): r.mean for r in predictions.itertuples()}
    keys = sorted(ours)
    a, b = np.array([ours[k] for k in keys]), np.array([scipy_preds[k] for k in keys])
    agree = np.isclose(a, b, rtol=1e-3, atol=0.01)
    print(f"{series.series.nunique()} series, {n_splits} splits (holdouts {HOLDOUTS}), five laws each: "
          f"{len(keys)} predictions")
    print(f"  curve_fit loop:     {scipy_cpu:7.2f} s CPU, {scipy_wall:7.2f} s wall; "
          f"{int(np.sum(~np.isfinite(b)))} predictions without a fit")
    print(f"  opsd.backtest.run:  {opsd_cpu:7.2f} s CPU, {opsd_wall:7.2f} s wall; "
          f"{int(predictions.missing.sum())} missing; laws at a limit: "
          f"{int(predictions.note.str.startswith('limit').sum())}")
    print(f"  ratio (opsd / curve_fit): {opsd_cpu / scipy_cpu:.2f} CPU, {opsd_wall / scipy_wall:.2f} wall")
    print(f"  predictions that agree (within 0.1% or 0.01 pp): {agree.sum()} of {agree.size}")
    for law in LAW_NAMES:
        mine = np.array([k[3] == law for k in keys])
        print(f"    {law:12s} {int(agree[mine].sum()):4d} of {int(mine.sum())}")
    train = [t for _, _, t, _ in splits(series)]
    per_law = {law: timed(lambda: [fit_all(t, [law]) for t in train])[1] for law in LAW_NAMES}
    print("  opsd CPU seconds per law (fit_all of that law alone, all splits): "
          + ", ".join(f"{law} {t:.1f}" for law, t in per_law.items()))

    if args.all:
        full, cpu, wall = timed(run, series, methods=METHODS)
        print(f"\nthe whole study, every method: {cpu:.1f} s CPU, {wall:.1f} s wall; CPU seconds per method "
              "(fit_all is shared by the laws, best_aic and the averages):")
        for method, seconds in sorted(full.attrs["timing"].items(), key=lambda kv: -kv[1]):
            print(f"    {method:14s} {seconds:8.2f}")
        print(summarise(full).round(3).to_string(index=False))



if __name__ == "__main__":
    main()
