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

from .averaging import combine, model_average
from .data import GainData
from .fitting import FitSet, fit_all
from .weights import CRITERIA, RULES

__all__ = ["average_by_rule", "backtest"]


def average_by_rule(fits: FitSet, sizes, rules=RULES):
    """Eqs. (8)-(9) at ``sizes`` under each rule: a DataFrame indexed by (rule, size)."""
    import pandas as pd

    per_law = model_average(fits, sizes)  # only its per-law means and sds are used
    rows = []
    sizes = per_law.sizes
    for rule in rules:
        by_law = fits.weights(rule)
        mean, within, between = combine([by_law[name] for name in per_law.names], per_law.means, per_law.sds)
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
    train = data.subset(train_mask)
    fits = fit_all(train)
    targets, observed, se = data.sizes[~train_mask], data.gains[~train_mask], data.se[~train_mask]
    preds = {f.name: f.predict(targets) for f in fits.usable}
    best = min(fits.usable, key=lambda f: f.aic).name
    preds["best_aic"] = preds[best]
    means = np.array([preds[f.name][0] for f in fits.usable])
    sds = np.array([preds[f.name][1] for f in fits.usable])
    # Leave-one-out refits need more points than the smallest law's k.
    usable = [r for r in rules if r in CRITERIA or train.n - 1 > 2]
    skipped = [r for r in rules if r not in usable]
    for rule in usable:
        try:
            by_law = fits.weights(rule)
        except ValueError:
            skipped.append(rule)  # e.g. AICc with n - k - 1 <= 0 for every law
            continue
        mean, within, between = combine([by_law[f.name] for f in fits.usable], means, sds)
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
