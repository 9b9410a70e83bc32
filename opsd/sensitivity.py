"""How much the conclusions depend on the weighting rule.

Akaike weights (Eq. (7)) are one of several ways to weigh candidate laws.
With five points the choice matters: AICc's small-sample correction
(Burnham and Anderson 2002) charges a three-parameter law 30 instead of 6,
BIC charges k ln n, and predictive rules judge each law by how well it
predicts points it was not fitted to: pseudo-BMA weights from the
leave-one-out log predictive density, and stacking of the predictive
distributions (Yao, Vehtari, Simpson and Gelman 2018).
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from .averaging import akaike_weights, combine, model_average
from .data import GainData
from .fitting import FitSet, fit_all

__all__ = ["RULES", "loo_log_predictive", "pseudo_bma_weights", "stacking_weights", "rule_weights",
           "average_by_rule", "backtest"]

RULES = ("aic", "aicc", "bic", "pseudo_bma", "stacking")


def loo_log_predictive(data: GainData, names) -> np.ndarray:
    """log p(y_i | y_-i) for each point i (rows) and law (columns).

    Each law is refitted without point i; its prediction at N_i is Gaussian
    with the linearised parameter variance plus the point's own se^2.  A law
    that cannot be fitted to n - 1 points (k >= n - 1), or whose refit fails,
    gets NaN in that row.
    """
    if not data.sigma_given:
        raise ValueError("leave-one-out predictive densities need standard errors: add an 'se' column")
    out = np.full((data.n, len(names)), np.nan)
    for i in range(data.n):
        keep = np.arange(data.n) != i
        train = GainData.from_arrays(data.sizes[keep], data.gains[keep], data.se[keep], source=data.source)
        fittable = [name for name in names if _fittable(name, train.n)]
        if not fittable:
            continue
        fits = fit_all(train, fittable)
        for j, name in enumerate(names):
            if name not in fittable or not fits[name].usable:
                continue
            mean, sd = fits[name].predict([data.sizes[i]])
            var = sd[0] ** 2 + data.se[i] ** 2
            out[i, j] = -0.5 * np.log(2 * np.pi * var) - 0.5 * (data.gains[i] - mean[0]) ** 2 / var
    return out


def _fittable(name: str, n: int) -> bool:
    from .laws import get_law

    return get_law(name).k < n


def pseudo_bma_weights(lpd) -> np.ndarray:
    """Weights proportional to exp(elpd_loo); laws with any missing density get 0."""
    lpd = np.asarray(lpd, float)
    usable = np.all(np.isfinite(lpd), axis=0)
    if not usable.any():
        raise ValueError("no law has a leave-one-out density at every point")
    elpd = np.where(usable, lpd.sum(axis=0, where=np.isfinite(lpd)), -np.inf)
    return softmax(elpd)


def stacking_weights(lpd, tol: float = 1e-13, max_iter: int = 200_000) -> np.ndarray:
    """Stacking of predictive distributions: argmax_w sum_i log sum_m w_m p_m(y_i | y_-i).

    The objective is concave on the simplex, and it is the log-likelihood of
    mixture weights with fixed components, so the EM update
    w_m <- mean_i w_m p_mi / sum_k w_k p_ki climbs it monotonically to its
    maximum, boundary included (a weight that belongs at zero goes there
    instead of to wherever a quasi-Newton search in softmax coordinates
    stops).  Iterates until no weight moves by more than ``tol``.
    """
    lpd = np.asarray(lpd, float)
    usable = np.flatnonzero(np.all(np.isfinite(lpd), axis=0))
    if usable.size == 0:
        raise ValueError("no law has a leave-one-out density at every point")
    dens = np.exp(lpd[:, usable] - lpd[:, usable].max(axis=1, keepdims=True))
    w = np.full(usable.size, 1.0 / usable.size)
    for _ in range(max_iter):
        resp = w * dens
        new = (resp / resp.sum(axis=1, keepdims=True)).mean(axis=0)
        done = np.max(np.abs(new - w)) <= tol
        w = new
        if done:
            break
    weights = np.zeros(lpd.shape[1])
    weights[usable] = w
    return weights


def rule_weights(fits: FitSet, rules=RULES) -> dict:
    """Rule -> weights over ``fits.usable`` (in that order)."""
    names = [f.name for f in fits.usable]
    out = {}
    lpd = None
    for rule in rules:
        if rule in ("aic", "aicc", "bic"):
            out[rule] = akaike_weights([getattr(f, rule) for f in fits.usable])
        elif rule in ("pseudo_bma", "stacking"):
            lpd = loo_log_predictive(fits.data, names) if lpd is None else lpd
            out[rule] = pseudo_bma_weights(lpd) if rule == "pseudo_bma" else stacking_weights(lpd)
        else:
            raise ValueError(f"unknown weighting rule {rule!r}; expected one of {', '.join(RULES)}")
    return out


def average_by_rule(fits: FitSet, sizes, rules=RULES):
    """Eqs. (8)-(9) at ``sizes`` under each rule: a DataFrame indexed by (rule, size)."""
    import pandas as pd

    sizes = np.atleast_1d(np.asarray(sizes, float))
    per_law = model_average(fits, sizes)  # only its per-law means and sds are used
    rows = []
    for rule, weights in rule_weights(fits, rules).items():
        mean, within, between = combine(weights, per_law.means, per_law.sds)
        for j, size in enumerate(sizes):
            rows.append({"rule": rule, "size_b": size, "mean": mean[j], "within_sd": np.sqrt(within[j]),
                         "between_sd": np.sqrt(between[j]), "sd": np.sqrt(within[j] + between[j])})
    return pd.DataFrame(rows).set_index(["rule", "size_b"])


def backtest(data: GainData, train_max: float, rules=RULES):
    """Leave-future-out check: fit on sizes <= ``train_max``, predict every larger observed size.

    Rows: each law alone, the best-AIC law, and the average under each rule;
    columns: prediction, sd, error (prediction - observed) and z = error / sqrt(sd^2 + se^2).
    Rules that cannot weigh this few points are listed in ``attrs["skipped_rules"]``.
    """
    import pandas as pd

    train_mask = data.sizes <= train_max
    if train_mask.sum() < 3 or train_mask.all():
        raise ValueError(f"train_max={train_max:g} must leave at least 3 points to fit and 1 to predict")
    train = GainData.from_arrays(data.sizes[train_mask], data.gains[train_mask], data.se[train_mask],
                                 source=data.source)
    fits = fit_all(train)
    targets, observed, se = data.sizes[~train_mask], data.gains[~train_mask], data.se[~train_mask]
    preds = {f.name: f.predict(targets) for f in fits.usable}
    best = min(fits.usable, key=lambda f: f.aic).name
    preds["best_aic"] = preds[best]
    means = np.array([preds[f.name][0] for f in fits.usable])
    sds = np.array([preds[f.name][1] for f in fits.usable])
    # Leave-one-out refits need more points than the smallest law's k.
    usable = [r for r in rules if r in ("aic", "aicc", "bic") or train.n - 1 > 2]
    skipped = [r for r in rules if r not in usable]
    for rule, weights in rule_weights(fits, usable).items():
        if not np.all(np.isfinite(weights)):
            skipped.append(rule)  # e.g. AICc with n - k - 1 <= 0 for every law
            continue
        mean, within, between = combine(weights, means, sds)
        preds[f"average ({rule})"] = (mean, np.sqrt(within + between))
    rows = []
    for method, (mean, sd) in preds.items():
        for size, m, s, y, e in zip(targets, mean, sd, observed, se):
            rows.append({"method": method, "size_b": size, "prediction": m, "sd": s, "observed": y,
                         "error": m - y, "z": (m - y) / np.sqrt(s**2 + e**2)})
    frame = pd.DataFrame(rows).set_index(["method", "size_b"])
    frame.attrs["best_aic"] = best
    frame.attrs["skipped_rules"] = skipped
    return frame
