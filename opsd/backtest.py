"""Leave-future-out calibration of model-averaged extrapolation (beyond the paper).

The paper's 95% intervals are a claim about the future: a model that is
N times larger than any fitted one should land inside them 95% of the
time.  This module checks that claim on real scaling series by hiding the
largest sizes of each series, fitting the rest and scoring the predictions.

Protocol.  For each series and each holdout ``h`` (default 1, 2 and 3) that
leaves at least :data:`MIN_FIT_POINTS` points to fit, every law is fitted to
the ``n - h`` smallest sizes and each of the ``h`` held-out larger sizes is
predicted.  A row records the series, ``h``, the target size, the largest
fitted size, their ratio (how far the prediction extrapolates), the observed
gain and its standard error.

Methods (:data:`METHODS`).  Each law alone; ``best_aic``, the one law with the
lowest AIC; ``average_aic``, ``average_aicc`` and ``average_bic``, Eqs. (8)-(9)
with Akaike weights of that criterion (:func:`opsd.model_average`);
``stacking``, Eqs. (8)-(9) with stacking weights (leave-one-out refits, so it
is slow); ``bootstrap_aic``, :func:`opsd.bootstrap` of the AIC average with
:data:`N_BOOT` resamples (slow too); and ``last_value``, the last fitted gain
with its standard error, the naive forecast every method should beat.  A law
whose fit failed, a law excluded for having too many parameters, or a rule
that cannot weigh the fits gives a *missing* prediction: a row with
``missing`` true and the reason, never a dropped row.

Predictive distribution.  The held-out gain is itself measured with error,
so a method with mean ``mu`` and standard deviation ``sd`` (its own: the
fitted curve's uncertainty) predicts the observation as Gaussian with
``sd_total = sqrt(sd**2 + se_obs**2)``.  The bootstrap instead predicts with
draws: each resample's averaged prediction plus ``N(0, se_obs**2)`` noise;
its intervals are the draws' empirical quantiles, its mean and ``sd_total``
their mean and standard deviation, and its ``sd`` that of the averages alone.

Scores (Gneiting and Raftery 2007, "Strictly proper scoring rules,
prediction, and estimation", JASA 102:359-378): coverage of the central
50/80/95% intervals; the interval score of the central 95% interval,
``(hi - lo) + (2/alpha) (lo - y)+ + (2/alpha) (y - hi)+`` with
``alpha = 0.05``; and the continuous ranked probability score (CRPS), in
closed form for a Gaussian and ``E|X - y| - E|X - X'| / 2`` over the draws
of the bootstrap.  Both are in percentage points and negatively oriented
(smaller is better; Gneiting and Raftery state them as rewards, the
negatives of these).  A prediction is *wild* (see
:data:`WILD_PP`) when it cannot be a gain at all.

Recalibration.  :func:`calibration_factor` is the factor by which
``sd_total`` must be widened (or narrowed) for the central interval to cover
its nominal share; :func:`leave_one_family_out` estimates it on every model
family but one and applies it to that one, so that no prediction is
calibrated on itself.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .averaging import model_average
from .checks import check_count, normal_quantile
from .data import GainData, csv_rows
from .fitting import fit_all
from .laws import LAW_NAMES
from .resampling import bootstrap

__all__ = ["HOLDOUTS", "MIN_FIT_POINTS", "N_BOOT", "LEVELS", "WILD_PP", "RATIO_EDGES", "METHODS",
           "SLOW_METHODS", "FAST_METHODS", "CLI_METHODS", "run", "predict_holdout", "gaussian_scores",
           "sample_scores", "interval_score", "crps_gaussian", "crps_sample", "wilson_interval", "cluster_interval",
           "summarise",
           "ratio_band", "calibration_factor", "recalibrate", "leave_one_family_out", "read_long_csv"]

#: Holdouts of the study: the 1, 2 and 3 largest sizes of each series.
HOLDOUTS = (1, 2, 3)
#: Fewest points a holdout must leave to fit (a three-parameter law then has one degree of freedom).
MIN_FIT_POINTS = 4
#: Parametric-bootstrap resamples per fit of ``bootstrap_aic`` (the Monte-Carlo error of a 95%
#: interval end from 100 draws is several percent of its width: enough to tell 80% from 95% coverage).
N_BOOT = 100
#: Central interval levels scored.
LEVELS = (0.5, 0.8, 0.95)
#: A prediction is wild when its mean or sd_total is not finite, or |mean| > WILD_PP: a gain is a
#: difference of two accuracies in %, so a mean beyond 100 pp is impossible, not merely wrong.
WILD_PP = 100.0
#: Edges of the extrapolation-ratio bands (target size / largest fitted size) of :func:`ratio_band`.
RATIO_EDGES = (1.0, 2.0, 3.0, 5.0, math.inf)

_AVERAGES = {"average_aic": "aic", "average_aicc": "aicc", "average_bic": "bic", "stacking": "stacking"}
METHODS = LAW_NAMES + ("best_aic", "average_aic", "average_aicc", "average_bic", "stacking", "bootstrap_aic",
                       "last_value")
#: Methods that refit many times per split: stacking (leave-one-out) and the bootstrap (N_BOOT resamples).
SLOW_METHODS = ("stacking", "bootstrap_aic")
FAST_METHODS = tuple(m for m in METHODS if m not in SLOW_METHODS)
#: What ``opsd backtest`` runs.
CLI_METHODS = tuple(m for m in METHODS if m != "bootstrap_aic")
_NEED_ALL_LAWS = ("best_aic", "average_aic", "average_aicc", "average_bic", "stacking", "bootstrap_aic")

_SCORES = ([f"{end}{_p}" for _p in (50, 80, 95) for end in ("lo", "hi")]
           + ["covered50", "covered80", "covered95", "interval_score95", "crps", "abs_error", "wild"])
_PREDICTION = ["method", "missing", "reason", "note", "mean", "sd", "sd_total"] + _SCORES
_TARGET = ["holdout", "size_b", "fitted_up_to", "ratio", "n_fit", "observed", "se_obs"]


def _pct(level: float) -> int:
    return round(100 * level)


def _check_methods(methods) -> tuple[str, ...]:
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        what = f"unknown method {unknown[0]!r}" if unknown else "no method chosen"
        raise ValueError(f"{what}; expected some of {', '.join(METHODS)}")
    return tuple(m for m in METHODS if m in methods)


# --- scores ----------------------------------------------------------------------------------------------

def crps_gaussian(mean, sd, y):
    """CRPS of N(mean, sd^2) at ``y`` (Gneiting and Raftery 2007), in closed form.

    ``sd * (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi))`` with ``z = (y - mean)/sd``;
    infinite where mean or sd is not finite.
    """
    mean, sd, y = np.broadcast_arrays(*(np.asarray(v, float) for v in (mean, sd, y)))
    ok = np.isfinite(mean) & np.isfinite(sd)
    z = np.where(ok, (y - np.where(ok, mean, 0.0)) / np.where(ok, sd, 1.0), 0.0)
    pdf = np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    crps = np.where(ok, sd, 1.0) * (z * (2 * ndtr(z) - 1) + 2 * pdf - 1 / math.sqrt(math.pi))
    return np.where(ok, crps, np.inf)


def crps_sample(draws, y) -> float:
    """CRPS of the empirical distribution of ``draws`` at ``y``: E|X - y| - E|X - X'| / 2.

    (Gneiting and Raftery 2007, the kernel form.)  E|X - X'| over all ordered pairs
    is ``2/M^2 sum_i (2i - M - 1) x_(i)`` for sorted draws.  Infinite if a draw is.
    """
    x = np.sort(np.asarray(draws, float))
    if x.size == 0 or not np.all(np.isfinite(x)):
        return math.inf
    m = x.size
    pairs = 2.0 / m**2 * np.sum((2 * np.arange(1, m + 1) - m - 1) * x)
    return float(np.mean(np.abs(x - y)) - 0.5 * pairs)


def interval_score(lo, hi, y, level: float = 0.95):
    """Interval score of the central ``level`` interval [lo, hi] (Gneiting and Raftery 2007).

    ``(hi - lo) + (2/alpha)(lo - y) 1{y < lo} + (2/alpha)(y - hi) 1{y > hi}``,
    ``alpha = 1 - level``; infinite where an end is not finite.
    """
    lo, hi, y = np.broadcast_arrays(*(np.asarray(v, float) for v in (lo, hi, y)))
    alpha = 1.0 - level
    ok = np.isfinite(lo) & np.isfinite(hi)
    lo_, hi_ = np.where(ok, lo, 0.0), np.where(ok, hi, 0.0)
    score = (hi_ - lo_) + 2 / alpha * np.maximum(lo_ - y, 0.0) + 2 / alpha * np.maximum(y - hi_, 0.0)
    return np.where(ok, score, np.inf)


def _wild(mean, sd_total):
    mean, sd_total = np.asarray(mean, float), np.asarray(sd_total, float)
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(mean) | ~np.isfinite(sd_total) | (np.abs(mean) > WILD_PP)


def _finish(mean, sd_total, y, bounds) -> dict:
    """Score columns from the mean, sd_total and the interval ends {level: (lo, hi)}."""
    out = {}
    with np.errstate(invalid="ignore"):
        for level in LEVELS:
            lo, hi = bounds[level]
            out[f"lo{_pct(level)}"], out[f"hi{_pct(level)}"] = lo, hi
            # An infinite interval says nothing about where the value lies: it covers nothing.
            out[f"covered{_pct(level)}"] = (np.isfinite(lo) & np.isfinite(hi) & (lo <= y) & (y <= hi)).astype(float)
        finite = np.isfinite(mean) & np.isfinite(sd_total)
        out["interval_score95"] = interval_score(*bounds[0.95], y, 0.95)
        out["abs_error"] = np.where(np.isfinite(mean), np.abs(np.where(np.isfinite(mean), mean, 0.0) - y), np.inf)
    out["wild"] = _wild(mean, sd_total).astype(float)
    out["interval_score95"] = np.where(finite, out["interval_score95"], np.inf)
    return out


def gaussian_scores(mean, sd_total, y) -> dict:
    """Intervals and scores of the Gaussian predictions N(mean, sd_total^2) of observations ``y``.

    Returns arrays lo50, hi50, lo80, hi80, lo95, hi95 (mean -/+ z sd_total),
    covered50/80/95 (1.0 or 0.0), interval_score95, crps, abs_error and wild
    (1.0 or 0.0).  A non-finite prediction scores infinite.
    """
    mean, sd_total, y = np.broadcast_arrays(*(np.asarray(v, float) for v in (mean, sd_total, y)))
    with np.errstate(invalid="ignore"):
        bounds = {lv: (mean - normal_quantile(lv) * sd_total, mean + normal_quantile(lv) * sd_total)
                  for lv in LEVELS}
    out = _finish(mean, sd_total, y, bounds)
    out["crps"] = crps_gaussian(mean, sd_total, y)
    return out


def sample_scores(draws, y) -> dict:
    """Mean, sd_total, intervals and scores of predictive ``draws`` (D, t) of observations ``y`` (t,).

    Intervals are the draws' empirical quantiles; NaN draws (resamples with
    no average) are left out, infinite ones make the prediction non-finite.
    """
    draws = np.atleast_2d(np.asarray(draws, float))
    y = np.asarray(y, float)
    cols = [d[~np.isnan(d)] for d in draws.T]
    with np.errstate(invalid="ignore", over="ignore"):
        mean = np.array([np.mean(c) if c.size else np.nan for c in cols])
        sd_total = np.array([np.std(c, ddof=1) if c.size > 1 and np.all(np.isfinite(c)) else np.nan for c in cols])
        bounds = {}
        for lv in LEVELS:
            ends = [np.quantile(c, [(1 - lv) / 2, (1 + lv) / 2]) if c.size and np.all(np.isfinite(c))
                    else (np.nan, np.nan) for c in cols]
            bounds[lv] = (np.array([e[0] for e in ends]), np.array([e[1] for e in ends]))
    out = _finish(mean, sd_total, y, bounds)
    out["crps"] = np.array([crps_sample(c, t) for c, t in zip(cols, y)])
    out["mean"], out["sd_total"] = mean, sd_total
    return out


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``successes / n`` (NaN when n = 0)."""
    if n == 0:
        return (math.nan, math.nan)
    z = normal_quantile(level)
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # At 0 or n successes an end is exactly 0 or 1; rounding would leave it a few ulp away.
    return (0.0 if successes == 0 else centre - half, 1.0 if successes == n else centre + half)


# --- the protocol ----------------------------------------------------------------------------------------

def cluster_interval(predictions: pd.DataFrame, method: str, level: float = 0.95, by: str = "family",
                     versus: str | None = None, n_resamples: int = 4000, seed: int = 0) -> tuple[float, float]:
    """Percentile interval of ``method``'s coverage at ``level`` when whole clusters are resampled.

    The predictions of one cluster (by default one model family: its
    benchmarks, holdouts and target sizes) are not independent, which the
    Wilson interval assumes.  Resampling the clusters with replacement and
    recomputing the pooled coverage keeps whatever they share.  With
    ``versus``, the interval is of the difference in coverage between
    ``method`` and ``versus`` on the same resampled clusters (a paired
    comparison).  With few clusters the interval is itself rough; it says
    how much the answer could move had other families been collected.
    """
    check_count(n_resamples, "n_resamples")
    column = f"covered{_pct(level)}"
    made = predictions[~predictions["missing"].astype(bool)]
    clusters = sorted(made[by].unique())
    counts = np.random.default_rng(seed).multinomial(len(clusters), np.full(len(clusters), 1 / len(clusters)),
                                                     size=n_resamples)

    def coverage(name):
        rows = made[made["method"] == name]
        if rows.empty:
            raise ValueError(f"no predictions of method {name!r}")
        grouped = rows.groupby(by, observed=True)[column].agg(["sum", "count"]).reindex(clusters, fill_value=0)
        return (counts @ grouped["sum"].to_numpy()) / (counts @ grouped["count"].to_numpy())

    with np.errstate(invalid="ignore", divide="ignore"):  # a resample without the method's clusters is NaN
        draws = coverage(method) - (coverage(versus) if versus is not None else 0.0)
    lo, hi = np.nanquantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


@contextmanager
def _timed(timing, key):
    t0 = time.process_time()
    try:
        yield
    finally:
        if timing is not None:
            timing[key] = timing.get(key, 0.0) + time.process_time() - t0


def _missing(reason):
    return {"missing": True, "reason": reason}


def _gaussian(mean, sd, note=""):
    return {"missing": False, "mean": np.asarray(mean, float), "sd": np.asarray(sd, float), "note": note}


def predict_holdout(data: GainData, holdout: int, methods=METHODS, seed: int = 0, timing=None) -> list[dict]:
    """Fit ``data`` without its ``holdout`` largest sizes and score every method on them.

    Returns one dict per (target size, method) with the columns of
    :func:`run` other than the series'.  ``timing`` (a dict), if given,
    accumulates CPU seconds per method; "fit_all" is the fit shared by the laws,
    best_aic and the averages.  ``seed`` seeds the bootstrap.
    """
    methods = _check_methods(methods)
    if not data.sigma_given:
        raise ValueError(f"{data.source}: the backtest needs standard errors (an 'se' column)")
    n_fit = data.n - holdout
    if holdout < 1 or n_fit < MIN_FIT_POINTS:
        raise ValueError(f"{data.source}: holdout {holdout} of {data.n} points leaves {n_fit} to fit; "
                         f"need holdout >= 1 and at least {MIN_FIT_POINTS}")
    train = data.subset(np.arange(n_fit))
    targets, observed, se_obs = data.sizes[n_fit:], data.gains[n_fit:], data.se[n_fit:]

    forecasts = {}
    laws = LAW_NAMES if any(m in methods for m in _NEED_ALL_LAWS) else [m for m in methods if m in LAW_NAMES]
    fits = None
    if laws:
        with _timed(timing, "fit_all"):
            fits = fit_all(train, laws)
    for method in methods:
        with _timed(timing, method):
            forecasts[method] = _forecast(method, fits, train, targets, se_obs, seed)

    rows = []
    base = {"holdout": holdout, "fitted_up_to": float(train.sizes[-1]), "n_fit": n_fit}
    for method, fc in forecasts.items():
        if fc["missing"]:
            scores = {"mean": np.full(holdout, np.nan), "sd": np.full(holdout, np.nan),
                      "sd_total": np.full(holdout, np.nan)}
            scores.update({c: np.full(holdout, np.nan) for c in _SCORES})
        elif "draws" in fc:
            scores = sample_scores(fc["draws"], observed)
            scores["sd"] = fc["sd"]
        else:
            sd_total = np.hypot(fc["sd"], se_obs)
            scores = {"mean": fc["mean"], "sd": fc["sd"], "sd_total": sd_total}
            scores.update(gaussian_scores(fc["mean"], sd_total, observed))
        for j in range(holdout):
            row = dict(base, size_b=float(targets[j]), ratio=float(targets[j] / train.sizes[-1]),
                       observed=float(observed[j]), se_obs=float(se_obs[j]), method=method,
                       missing=fc["missing"], reason=fc.get("reason", ""), note=fc.get("note", ""))
            row.update({c: float(v[j]) for c, v in scores.items()})
            rows.append(row)
    return rows


def _forecast(method, fits, train, targets, se_obs, seed) -> dict:
    """One method's prediction at ``targets``: Gaussian (mean, sd), draws, or missing with a reason."""
    if method in LAW_NAMES:
        excluded = dict(fits.excluded)
        if method in excluded:
            return _missing(f"excluded: {excluded[method]}")
        fit = fits[method]
        if not fit.usable:
            return _missing("fit failed: the solver found no finite optimum")
        mean, sd = fit.predict(targets)
        return _gaussian(mean, sd, fit.status + (f": {fit.limit}" if fit.limit else ""))
    if method == "best_aic":
        if not fits.usable:
            return _missing("no law could be fitted")
        best = min(fits.usable, key=lambda f: f.aic)
        return _gaussian(*best.predict(targets), best.name)
    if method in _AVERAGES:
        try:
            # A leave-one-out refit that explodes (a power law with b ~ 1e4 on a floor series) has an
            # infinite mean and sd: its density is NaN and that law gets no stacking weight.
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                average = model_average(fits, targets, _AVERAGES[method])
        except ValueError as exc:  # e.g. AICc infinite for every law, or no leave-one-out density
            return _missing(str(exc))
        top = int(np.argmax(average.weights))
        return _gaussian(average.mean, average.sd, f"top weight {average.names[top]} {average.weights[top]:.2f}")
    if method == "bootstrap_aic":
        try:
            result = bootstrap(train, targets, N_BOOT, seed, "aic", fits=fits)  # fits: all five laws
        except ValueError as exc:
            return _missing(str(exc))
        averages = np.asarray(result.average_samples)
        noise = np.random.default_rng([seed, 1]).standard_normal(averages.shape) * se_obs
        with np.errstate(invalid="ignore", over="ignore"):
            sd = np.array([np.std(c[np.isfinite(c)], ddof=1) if np.isfinite(c).sum() > 1 else np.nan
                           for c in averages.T])
        note = f"{result.no_average} of {N_BOOT} resamples without an average" if result.no_average else ""
        return {"missing": False, "draws": averages + noise, "sd": sd, "note": note}
    if method == "last_value":
        return _gaussian(np.full(targets.shape, train.gains[-1]), np.full(targets.shape, train.se[-1]),
                         f"gain at {train.sizes[-1]:g}B")
    raise AssertionError(method)


def _series_id(key) -> str:
    return "/".join(str(k) for k in key)


def run(series_frame: pd.DataFrame, holdouts=HOLDOUTS, methods=METHODS, group="series", progress: bool = False,
        seed: int = 0) -> pd.DataFrame:
    """The leave-future-out study: one row per series x holdout x target size x method.

    ``series_frame`` is long: the ``group`` columns (default "series") name a
    series, and ``size_b``, ``gain`` and ``se`` give its points, as
    :func:`opsd.series.load_series` returns.  Other columns constant within
    every series (kind, family, floor, ...) are copied to its rows.  A series
    with too few points for every holdout is skipped and listed in
    ``attrs["skipped"]``; a holdout that leaves fewer than
    :data:`MIN_FIT_POINTS` points is not run for that series.

    Columns: the group columns and ``series`` (their values joined by "/"),
    the copied columns, ``holdout``, ``size_b`` (target), ``fitted_up_to``,
    ``ratio`` (target / fitted_up_to), ``n_fit``, ``observed``, ``se_obs``,
    ``method``, ``missing`` and ``reason``, ``note`` (a law's fit status,
    best_aic's law, an average's top weight), ``mean``, ``sd`` (the method's
    own), ``sd_total``, ``lo``/``hi`` 50, 80 and 95, ``covered50/80/95``,
    ``interval_score95``, ``crps``, ``abs_error`` and ``wild`` (flags are
    1.0/0.0, NaN on missing rows, so that a mean is a share).

    ``methods`` chooses a subset of :data:`METHODS` (e.g. :data:`FAST_METHODS`);
    split i's bootstrap is seeded from ``numpy.random.SeedSequence(seed)``.
    ``attrs["timing"]`` holds the CPU seconds of this process spent per
    method ("fit_all": the fit that the laws, best_aic and the averages
    share; CPU rather than wall time, so that a busy machine does not
    inflate it).  ``progress=True``
    shows a bar on stderr.
    """
    group = [group] if isinstance(group, str) else list(group)
    methods = _check_methods(methods)
    holdouts = tuple(holdouts)
    if not holdouts or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in holdouts):
        raise ValueError(f"holdouts must be integers >= 1, got {holdouts!r}")
    absent = [c for c in (*group, "size_b", "gain", "se") if c not in series_frame.columns]
    if absent:
        raise ValueError(f"the series table has no column {absent[0]!r} (columns: {', '.join(series_frame.columns)})")
    frame = series_frame.reset_index(drop=True)
    candidates = [c for c in frame.columns if c not in (*group, "series", "size_b", "gain", "se")]
    grouped = frame.groupby(group, sort=False, dropna=False)
    constant = grouped[candidates].nunique(dropna=False).max() <= 1 if candidates else pd.Series(dtype=bool)
    carried = [c for c in candidates if constant.get(c, False)]
    id_columns = group + (["series"] if "series" not in group else [])

    splits, skipped = [], []
    for key, rows in grouped:
        key = key if isinstance(key, tuple) else (key,)
        info = dict(zip(group, key))
        info.setdefault("series", _series_id(key))
        info.update({c: rows[c].iloc[0] for c in carried})
        data = GainData.from_arrays(rows["size_b"], rows["gain"], rows["se"], source=f"series {_series_id(key)}")
        usable = [h for h in holdouts if data.n - h >= MIN_FIT_POINTS]
        if not usable:
            skipped.append({**{c: info[c] for c in id_columns}, "n": data.n,
                            "reason": f"{data.n} points: holdout {min(holdouts)} leaves fewer than "
                                      f"{MIN_FIT_POINTS} to fit"})
        splits += [(info, data, h) for h in usable]

    timing: dict[str, float] = {}
    seeds = np.random.SeedSequence(seed).spawn(len(splits))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(splits), desc="backtest fits", unit="fit", leave=False)
    out = []
    try:
        for (info, data, h), sequence in zip(splits, seeds):
            split_seed = int(sequence.generate_state(1)[0])
            out += [{**info, **row} for row in predict_holdout(data, h, methods, split_seed, timing)]
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
    predictions = pd.DataFrame(out, columns=id_columns + carried + _TARGET + _PREDICTION)
    predictions["missing"] = predictions["missing"].astype(bool)
    predictions.attrs.update(skipped=skipped, timing=timing, methods=list(methods), holdouts=list(holdouts),
                             n_boot=N_BOOT, group=group)
    return predictions


# --- summaries -------------------------------------------------------------------------------------------

def ratio_band(ratio, edges=RATIO_EDGES) -> pd.Categorical:
    """Extrapolation-ratio band of each ratio, e.g. "2-3x" for 2 <= ratio < 3 (edges :data:`RATIO_EDGES`)."""
    edges = list(edges)
    labels = [f"{lo:g}-{hi:g}x" if math.isfinite(hi) else f">={lo:g}x" for lo, hi in zip(edges[:-1], edges[1:])]
    return pd.cut(np.asarray(ratio, float), edges, right=False, labels=labels)


def summarise(predictions: pd.DataFrame, by=None) -> pd.DataFrame:
    """Per method (and per value of each ``by`` column): how well its predictions did.

    Columns: ``n`` (predictions made), ``missing`` (predictions the method
    could not make), ``coverage50/80/95`` with their Wilson 95% intervals
    (``coverage95_lo``, ``coverage95_hi``, ...; a non-finite interval
    counts as a miss), ``interval_score95`` and ``crps`` (means over the
    predictions that are not wild: one wild prediction's score, infinite or
    10^29, would be the whole mean; ``share_wild`` says how many are left
    out), ``median_interval_score95`` (over every prediction, wild ones
    included), ``median_abs_error`` and ``share_wild``.  Every number is a plain mean,
    median or count over the rows of ``predictions``.  For bands of the
    extrapolation ratio, add a column first:
    ``summarise(p.assign(band=ratio_band(p.ratio)), by=["band"])``.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    keys = ["method"] + by
    rows = []
    for key, group in predictions.groupby(keys, sort=False, dropna=False, observed=True):
        made = group[~group["missing"].astype(bool)]
        n = len(made)
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row.update(n=n, missing=int(len(group) - n))
        for level in LEVELS:
            p = _pct(level)
            hits = int(made[f"covered{p}"].sum())
            row[f"coverage{p}"] = hits / n if n else math.nan
            row[f"coverage{p}_lo"], row[f"coverage{p}_hi"] = wilson_interval(hits, n)
        tame = made[made["wild"] == 0]
        for score in ("interval_score95", "crps"):
            row[score] = float(tame[score].mean()) if len(tame) else math.nan
        row["median_interval_score95"] = float(made["interval_score95"].median()) if n else math.nan
        row["median_abs_error"] = float(made["abs_error"].median()) if n else math.nan
        row["share_wild"] = float(made["wild"].mean()) if n else math.nan
        rows.append(row)
    columns = keys + ["n", "missing"] + [f"coverage{_pct(lv)}{s}" for lv in LEVELS for s in ("", "_lo", "_hi")]
    return pd.DataFrame(rows, columns=columns + ["interval_score95", "median_interval_score95", "crps",
                                                 "median_abs_error", "share_wild"])


# --- recalibration ---------------------------------------------------------------------------------------

def calibration_factor(predictions: pd.DataFrame, method: str = "average_aic", level: float = 0.95) -> float:
    """Factor k such that mean -/+ z k sd_total covers ``level`` of ``method``'s predictions.

    k = (the ``level`` quantile of |observed - mean| / sd_total) / z, z the
    normal quantile of ``level``, over the predictions with a finite mean
    and sd_total.  No factor can make an infinite interval informative, so
    those are left out here and stay misses after recalibration (as are
    missing predictions): the factor aims at ``level`` coverage among the
    finite intervals.  The factor is a statement about exactly these
    predictions: apply it to others (:func:`leave_one_family_out`), never
    back to these.
    """
    rows = predictions[(predictions["method"] == method) & ~predictions["missing"].astype(bool)]
    rows = rows[np.isfinite(rows["mean"]) & np.isfinite(rows["sd_total"])]
    if rows.empty:
        raise ValueError(f"no finite predictions of method {method!r} to calibrate on")
    ratio = np.abs(rows["observed"].to_numpy() - rows["mean"].to_numpy()) / rows["sd_total"].to_numpy()
    return float(np.quantile(ratio, level, method="inverted_cdf") / normal_quantile(level))


def recalibrate(predictions: pd.DataFrame, factor, method: str = "average_aic", name: str | None = None):
    """``method``'s rows with sd_total multiplied by ``factor`` (a number or one per row), rescored.

    The recalibrated prediction is Gaussian, N(mean, (factor sd_total)^2),
    whatever the method's own form (the bootstrap's draws included); ``sd``
    is left as the method's.  Rows are renamed ``name`` (default
    ``method + "_recalibrated"``) and carry the factor in ``calibration_factor``.
    """
    rows = predictions[predictions["method"] == method].copy()
    factor = np.broadcast_to(np.asarray(factor, float), (len(rows),))
    made = ~rows["missing"].astype(bool).to_numpy()
    sd_total = rows["sd_total"].to_numpy() * factor
    scores = gaussian_scores(rows["mean"].to_numpy(), sd_total, rows["observed"].to_numpy())
    rows["sd_total"] = np.where(made, sd_total, np.nan)
    for column, values in scores.items():
        rows[column] = np.where(made, values, np.nan)
    rows["method"] = name or f"{method}_recalibrated"
    rows["calibration_factor"] = factor
    return rows


def leave_one_family_out(predictions: pd.DataFrame, method: str = "average_aic", level: float = 0.95,
                         column: str = "family") -> pd.DataFrame:
    """``method``'s predictions recalibrated family by family, each with a factor from the other families.

    For each value f of ``column``, k_f = :func:`calibration_factor` of the
    rows whose ``column`` is not f, applied to the rows whose ``column`` is f
    (:func:`recalibrate`).  Returns the recalibrated rows (method
    ``method + "_recalibrated"``) in the order of ``predictions``, to be
    summarised alone or concatenated with the others.
    """
    rows = predictions[predictions["method"] == method]
    if rows.empty:
        raise ValueError(f"no predictions of method {method!r}")
    if rows[column].isna().any():
        raise ValueError(f"column {column!r} has missing values: every prediction needs a {column}")
    families = rows[column].unique()
    if len(families) < 2:
        raise ValueError(f"leave-one-{column}-out needs at least two values of {column!r}, got {list(families)}")
    factor = pd.Series(np.nan, index=rows.index)
    for family in families:
        held = rows[column] == family
        factor[held] = calibration_factor(rows[~held], method, level)
    return recalibrate(rows, factor.to_numpy(), method)


# --- reading a long CSV ----------------------------------------------------------------------------------

def read_long_csv(path, group) -> pd.DataFrame:
    """A long CSV of series: the ``group`` columns, ``size_b``, ``gain`` and ``se``, validated.

    Other columns are ignored and blank lines skipped.  Any problem (an
    unreadable file, a missing column, a ragged row, a non-numeric or
    non-finite value, a size or se <= 0, a size twice within one series)
    raises a ``ValueError`` naming the file, line and column.
    """
    path = Path(path)
    group = [group] if isinstance(group, str) else list(group)
    header, rows = csv_rows(path, f"{', '.join(group)}, size_b, gain, se")
    numeric = ("size_b", "gain", "se")
    clash = [g for g in group if g in numeric]
    if clash:
        raise ValueError(f"{clash[0]!r} cannot name a series: it is one of the columns size_b, gain, se")
    for name in (*group, *numeric):
        if name not in header:
            raise ValueError(f"{path}: missing column {name!r} in the header (found "
                             f"{', '.join(repr(h) for h in header)}; expected {', '.join(group)}, size_b, gain, se)")
        if header.count(name) > 1:
            raise ValueError(f"{path}: column {name!r} appears more than once in the header")
    if not rows:
        raise ValueError(f"{path}: no data rows")
    records, seen = [], {}
    for line, row in rows:
        if len(row) != len(header):
            raise ValueError(f"{path}, line {line}: {len(row)} fields, but the header has {len(header)}")
        record = {name: row[header.index(name)].strip() for name in group}
        for name in numeric:
            text = row[header.index(name)].strip()
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{path}, line {line}, column {name!r}: {text!r} is not a number") from None
            if not math.isfinite(value):
                raise ValueError(f"{path}, line {line}, column {name!r}: value {value} is not finite")
            if name in ("size_b", "se") and value <= 0:
                raise ValueError(f"{path}, line {line}, column {name!r}: must be > 0, got {value:g}")
            record[name] = value
        key = (tuple(record[g] for g in group), record["size_b"])
        if key in seen:
            where = ", ".join(f"{g}={record[g]!r}" for g in group)
            raise ValueError(f"{path}, line {line}, column 'size_b': duplicate size_b {record['size_b']:g} in the "
                             f"series {where} (also at line {seen[key]})")
        seen[key] = line
        records.append(record)
    return pd.DataFrame(records, columns=[*group, *numeric])
