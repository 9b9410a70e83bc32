"""Synthetic validation of extrapolation (Sections 2.3 and 3.5).

The paper does not give its protocol, so the book defines one and makes
every choice a parameter of :func:`validate`:

* ground truths: the power-law, logarithmic, saturating and sigmoid laws,
  by default with the parameters each fits to the observed data;
* data: the truth at the observed sizes plus Gaussian noise with the
  observed standard errors, ``n_replicates`` times (seeded);
* methods: each of the five laws alone, the law with the lowest AIC, and
  Akaike model averaging (Eqs. (7)-(9));
* scores at each target size: the absolute percentage error of the
  prediction, and whether the truth lies within two standard deviations
  (the linearised within-model sd for a single law; the total sd of
  Eq. (9) for the average).

MAPE and coverage are averaged over replicates and target sizes; their
Monte-Carlo standard errors are computed from the per-replicate averages.
Failed fits are counted per method and left out of that method's scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .averaging import combine
from .checks import check_count, check_sizes
from .data import GainData
from .fitting import LIMIT, fit_all, refit_all
from .laws import LAWS, get_law
from .weights import akaike_weights

__all__ = ["REGIMES", "METHODS", "ValidationResult", "validate"]

REGIMES = ("power_law", "logarithmic", "saturating", "sigmoid")
METHODS = tuple(LAWS) + ("best_aic", "average")


@dataclass(frozen=True, repr=False)
class ValidationResult:
    """Scores of every method under every ground-truth regime.

    ``ape[regime][method]`` and ``covered[...]`` have shape
    (n_replicates, len(sizes)) with NaN where the method failed.  ``limits``
    counts, per regime and law, the refits whose best fit was a limiting
    form of the law (kept, predicting with that form).
    """

    regimes: tuple[str, ...]
    methods: tuple[str, ...]
    sizes: np.ndarray
    n_replicates: int
    seed: int
    noise_scale: float
    truth_params: dict
    ape: dict
    covered: dict
    failed: dict
    limits: dict

    def _table(self, scores, scale: float):
        import pandas as pd

        mean = {m: {} for m in self.methods}
        mc_se = {m: {} for m in self.methods}
        for r in self.regimes:
            for m in self.methods:
                rows = scores[r][m]
                per_replicate = rows[np.all(np.isfinite(rows), axis=1)].mean(axis=1)
                mean[m][r] = scale * float(np.mean(per_replicate)) if per_replicate.size else np.nan
                mc_se[m][r] = (scale * float(np.std(per_replicate, ddof=1) / np.sqrt(per_replicate.size))
                               if per_replicate.size > 1 else np.nan)
        return pd.DataFrame(mean).T[list(self.regimes)], pd.DataFrame(mc_se).T[list(self.regimes)]

    def mape(self):
        """MAPE (%) per method (rows) and regime (columns), and its Monte-Carlo standard error."""
        return self._table(self.ape, 100.0)

    def coverage(self):
        """Fraction of 2-sigma intervals containing the truth, and its Monte-Carlo standard error."""
        return self._table({r: {m: c.astype(float) for m, c in d.items()} for r, d in self.covered.items()}, 1.0)

    def worst_case(self):
        """Per method: the largest MAPE and the smallest coverage over the regimes."""
        import pandas as pd

        mape, _ = self.mape()
        cover, _ = self.coverage()
        return pd.DataFrame({"worst MAPE (%)": mape.max(axis=1), "worst coverage": cover.min(axis=1)})

    def max_law_ape(self):
        """Per regime: the mean over n_replicates and sizes of the largest single-law error (%).

        The model average is a convex combination of the laws, so its absolute
        error never exceeds the largest law's: this bounds its MAPE.
        """
        import pandas as pd

        laws = [m for m in self.methods if m in LAWS]
        bound = {}
        for r in self.regimes:
            stacked = np.stack([self.ape[r][m] for m in laws])
            bound[r] = 100.0 * float(np.nanmean(np.nanmax(stacked, axis=0)))
        return pd.Series(bound, name="mean of the largest law error (%)")

    def failures(self):
        import pandas as pd

        return pd.DataFrame(self.failed).loc[list(self.methods), list(self.regimes)]

    def limit_counts(self):
        """Refits at a limit of their law, per law (rows) and truth (columns)."""
        import pandas as pd

        return pd.DataFrame(self.limits).loc[[m for m in self.methods if m in LAWS], list(self.regimes)]

    def __repr__(self) -> str:
        return (f"ValidationResult({len(self.regimes)} regimes x {len(self.methods)} methods, "
                f"{self.n_replicates} replicates, sizes {self.sizes.tolist()}, seed {self.seed})")


def validate(data: GainData, regimes=REGIMES, sizes=(14.0, 32.0, 70.0), n_replicates: int = 1000,
             seed: int = 0, truth_params: dict | None = None, rule: str = "aic",
             noise_scale: float = 1.0) -> ValidationResult:
    """Run the synthetic-validation protocol described in the module docstring.

    ``data`` supplies the training sizes, the noise (its ``se``, multiplied
    by ``noise_scale``) and, unless ``truth_params`` overrides them, the true
    parameters of each regime (the fit of that law to ``data``).  The fits
    weigh the points by the noise actually used.
    """
    if not data.sigma_given:
        raise ValueError("synthetic validation draws noise from the standard errors: add an 'se' column")
    n_replicates = check_count(n_replicates, "n_replicates", minimum=2)
    sizes = check_sizes(sizes)
    if not (np.isfinite(noise_scale) and noise_scale > 0):
        raise ValueError(f"noise_scale must be finite and > 0, got {noise_scale!r}")
    base = fit_all(data)
    se = data.se * noise_scale
    truth_params = dict(truth_params or {})
    for regime in regimes:
        get_law(regime)
        if regime not in truth_params:
            if base[regime].status != "interior":
                raise ValueError(f"the {regime} law has no interior fit to the data, so it has no default truth")
            truth_params[regime] = base[regime].params
    laws = [fit.law for fit in base.fits]
    rng = np.random.default_rng(seed)
    ape, covered, failed, limits = {}, {}, {}, {}
    with np.errstate(all="ignore"):
        for regime in regimes:
            truth_law = LAWS[regime]
            params = np.asarray(truth_params[regime], float)
            clean = truth_law(data.sizes, params)
            true_at = truth_law(sizes, params)
            gains = clean + rng.standard_normal((n_replicates, data.n)) * se
            means, sds, crit, status, _ = refit_all(base, gains, se, sizes, rule, clean, with_sd=True)
            limits[regime] = {law.name: int(np.sum(status[:, j] == LIMIT)) for j, law in enumerate(laws)}
            none = ~np.isfinite(crit).any(axis=1)
            weights = np.nan_to_num(akaike_weights(crit))
            avg, within, between = combine(weights, means, sds)
            best = np.argmin(crit, axis=1)
            rows = np.arange(n_replicates)
            predictions = {law.name: (means[:, j], sds[:, j]) for j, law in enumerate(laws)}
            predictions["best_aic"] = (means[rows, best], sds[rows, best])
            predictions["average"] = (avg, np.sqrt(within + between))
            ape[regime], covered[regime], failed[regime] = {}, {}, {}
            for method, (mean, sd) in predictions.items():
                bad = ~np.all(np.isfinite(mean), axis=1) | (none if method in ("best_aic", "average") else False)
                mean = np.where(bad[:, None], np.nan, mean)
                ape[regime][method] = np.abs(mean - true_at) / np.abs(true_at)
                inside = np.abs(mean - true_at) <= 2.0 * sd
                covered[regime][method] = np.where(bad[:, None], np.nan, inside)
                failed[regime][method] = int(bad.sum())
    return ValidationResult(tuple(regimes), tuple(predictions), sizes, n_replicates, seed, float(noise_scale),
                            {k: np.asarray(v) for k, v in truth_params.items()}, ape, covered, failed, limits)
