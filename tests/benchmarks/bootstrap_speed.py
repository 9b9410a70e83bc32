"""Speed of the vectorised bootstrap against a plain scipy curve_fit loop.

Both run the same protocol in the same process: 1,000 parametric resamples
of data/observed_gains.csv (seed 0), each law refitted from the fit to the
observed data and, where that fails, from the law's starting grid; Akaike
weights and the model average at 70B.  Prints both answers, the failed
refits of each, the times and the speed ratio.

    python tests/benchmarks/bootstrap_speed.py [--n 1000]

With ``--loop-only`` it runs the curve_fit loop alone, as a whole process to
time against the ``opsd bootstrap`` command (``farm-bench --vs``).
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from opsd import akaike_weights, bootstrap, fit_all, load_gains, percentile_interval

DATA = Path(__file__).resolve().parents[2] / "data" / "observed_gains.csv"


def curve_fit_loop(data, n_resamples, seed, size=70.0):
    """The textbook implementation: one curve_fit call per law per resample."""
    base = fit_all(data)
    rng = np.random.default_rng(seed)
    resampled = data.gains + rng.standard_normal((n_resamples, data.n)) * data.se
    averages, failed = np.full(n_resamples, np.nan), {f.name: 0 for f in base.fits}
    for row, gains in enumerate(resampled):
        preds, aics = [], []
        for fit in base.fits:
            law = fit.law
            best = None
            for p0 in [fit.params, *law.starts(data.sizes, data.gains)]:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("error", OptimizeWarning)
                        warnings.simplefilter("ignore", RuntimeWarning)
                        popt, _ = curve_fit(lambda n, *p: law(n, np.array(p)), data.sizes, gains, p0=p0,
                                            sigma=data.se, absolute_sigma=True,
                                            bounds=tuple(zip(*law.bounds)) if law.name == "saturating"
                                            else (-np.inf, np.inf))
                except (RuntimeError, OptimizeWarning, ValueError):
                    continue
                chi2 = float(np.sum(((gains - law(data.sizes, popt)) / data.se) ** 2))
                if best is None or chi2 < best[0]:
                    best = (chi2, popt)
                if p0 is fit.params:
                    break
            if best is None:
                failed[law.name] += 1
                continue
            preds.append(law([size], best[1])[0])
            aics.append(best[0] + 2 * law.k)
        if preds:
            averages[row] = akaike_weights(aics) @ np.array(preds)
    return averages, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loop-only", action="store_true", help="run the curve_fit loop alone")
    args = parser.parse_args()
    data = load_gains(DATA)
    if args.loop_only:
        samples, failed = curve_fit_loop(data, args.n, args.seed)
        print(f"curve_fit loop: {args.n} resamples, mean {np.nanmean(samples):.2f}, failed {sum(failed.values())}")
        return
    bootstrap(data, [70.0], 10, args.seed)  # warm caches and imports before timing

    t0 = time.perf_counter()
    samples, failed = curve_fit_loop(data, args.n, args.seed)
    t_scipy = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = bootstrap(data, [70.0], args.n, args.seed)
    t_opsd = time.perf_counter() - t0

    t0 = time.perf_counter()
    bootstrap(data, [70.0], 10_000, args.seed)
    t_big = time.perf_counter() - t0

    lo, hi = percentile_interval(samples)
    print(f"{args.n} resamples, seed {args.seed}, model average at 70B")
    print(f"  curve_fit loop: mean {np.nanmean(samples):.2f}, 95% CI [{lo:.2f}, {hi:.2f}], "
          f"failed {sum(failed.values())} {failed}, {t_scipy:.2f} s")
    lo, hi = result.ci(70.0)
    print(f"  opsd batched:   mean {result.mean(70.0):.2f}, 95% CI [{lo:.2f}, {hi:.2f}], "
          f"failed {result.total_failed} {result.failed}, {t_opsd:.3f} s")
    print(f"  speed ratio (curve_fit loop / opsd): {t_scipy / t_opsd:.0f}x")
    print(f"  opsd, 10,000 resamples of all five laws: {t_big:.2f} s")


if __name__ == "__main__":
    main()
