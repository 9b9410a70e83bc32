"""Akaike weights and model-averaged extrapolation (Section 2.1, Eqs. (7)-(9))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fitting import FitSet

__all__ = ["CRITERIA", "akaike_weights", "combine", "AveragedPrediction", "model_average", "weight_table"]

CRITERIA = ("aic", "aicc", "bic")


def akaike_weights(values, axis: int = -1) -> np.ndarray:
    """Eq. (7): w_m proportional to exp(-Delta_m / 2), Delta_m = IC_m - min IC.

    Works along ``axis`` of a batch.  An infinite criterion (a failed fit, or
    AICc with no degrees of freedom left) gets weight 0; if several are
    -inf (perfect fits with an estimated sigma) they share the weight equally.
    NaN criteria are not allowed: they mean a fit was not checked for failure.
    """
    values = np.asarray(values, float)
    if np.isnan(values).any():
        raise ValueError("information criteria contain NaN; failed fits must be given +inf")
    best = np.min(values, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        delta = np.where(np.isneginf(best), np.where(np.isneginf(values), 0.0, np.inf), values - best)
    raw = np.exp(-0.5 * delta)
    total = np.sum(raw, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, raw / total, np.nan)


def combine(weights, means, sds=None):
    """Eqs. (8)-(9): averaged mean, within-model and between-model variance.

    ``weights`` has shape (..., m) and sums to one over the last axis;
    ``means`` and ``sds`` have shape (..., m, t).  Laws whose weight is zero
    may carry NaN predictions (failed fits) without spoiling the result.
    Returns mean, within variance and between variance, each (..., t).
    """
    w = np.asarray(weights, float)[..., :, None]
    used = w > 0
    means = np.where(used, means, 0.0)
    mean = np.sum(w * means, axis=-2)
    between = np.sum(w * np.where(used, (means - mean[..., None, :]) ** 2, 0.0), axis=-2)
    within = np.zeros_like(mean) if sds is None else np.sum(w * np.where(used, np.asarray(sds) ** 2, 0.0), axis=-2)
    return mean, within, between


@dataclass(frozen=True, repr=False)
class AveragedPrediction:
    """Per-law and model-averaged predictions at ``sizes``.

    ``means`` and ``sds`` have one row per law in ``names``; ``mean`` is
    Eq. (8) and ``sd**2 = within_sd**2 + between_sd**2`` is Eq. (9).
    """

    sizes: np.ndarray
    criterion: str
    names: tuple[str, ...]
    weights: np.ndarray
    means: np.ndarray
    sds: np.ndarray
    mean: np.ndarray
    within_sd: np.ndarray
    between_sd: np.ndarray

    @property
    def sd(self) -> np.ndarray:
        return np.hypot(self.within_sd, self.between_sd)

    def interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Normal-approximation interval mean -/+ z sd (Section 2.1's "95% confidence")."""
        from scipy.stats import norm

        z = norm.ppf(0.5 + level / 2)
        return self.mean - z * self.sd, self.mean + z * self.sd

    def at(self, size: float) -> dict:
        """The averaged prediction at one of ``sizes`` as plain floats."""
        matches = np.flatnonzero(np.isclose(self.sizes, size))
        if matches.size == 0:
            raise ValueError(f"size {size:g} was not predicted; predicted sizes: {self.sizes.tolist()}")
        i = matches[0]
        return {"size_b": float(self.sizes[i]), "mean": float(self.mean[i]), "sd": float(self.sd[i]),
                "within_sd": float(self.within_sd[i]), "between_sd": float(self.between_sd[i])}

    def to_frame(self):
        """One row per law and one for the average: weight, then mean and sd at each size."""
        import pandas as pd

        columns = {"weight": list(self.weights) + [float(np.sum(self.weights))]}
        for j, size in enumerate(self.sizes):
            columns[f"mean {size:g}B"] = list(self.means[:, j]) + [self.mean[j]]
            columns[f"sd {size:g}B"] = list(self.sds[:, j]) + [self.sd[j]]
        frame = pd.DataFrame(columns, index=list(self.names) + ["average"])
        frame.index.name = "model"
        return frame

    def __repr__(self) -> str:
        parts = [f"{s:g}B: {m:.1f} +/- {d:.1f}" for s, m, d in zip(self.sizes, self.mean, self.sd)]
        return f"AveragedPrediction({self.criterion}; " + "; ".join(parts) + ")"


def model_average(fits: FitSet, sizes, criterion: str = "aic") -> AveragedPrediction:
    """Eqs. (7)-(9) at ``sizes`` from the usable fits in ``fits``.

    A fit at a limit of its law predicts with that limiting form and keeps
    its weight; failed fits get weight zero and are listed in ``fits.failed``.
    Within-model variance uses each fit's linearised prediction variance.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; expected one of {', '.join(CRITERIA)}")
    sizes = np.atleast_1d(np.asarray(sizes, float))
    if sizes.size == 0 or not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise ValueError(f"prediction sizes must be finite and > 0, got {sizes.tolist()}")
    used = fits.usable
    if not used:
        raise ValueError("no scaling law could be fitted, so there is nothing to average: "
                         + ", ".join(f.name for f in fits.failed) + " failed")
    values = [getattr(f, criterion) for f in used]
    if all(np.isposinf(values)):
        raise ValueError(f"{criterion.upper()} is infinite for every law (too few points for its "
                         "small-sample correction): choose another criterion")
    weights = akaike_weights(values)
    preds = [f.predict(sizes) for f in used]
    means = np.array([m for m, _ in preds])
    sds = np.array([s for _, s in preds])
    mean, within, between = combine(weights, means, sds)
    return AveragedPrediction(
        sizes=sizes, criterion=criterion, names=tuple(f.name for f in used), weights=weights,
        means=means, sds=sds, mean=mean, within_sd=np.sqrt(within), between_sd=np.sqrt(between),
    )


def weight_table(fits: FitSet, criterion: str = "aic"):
    """Table 1 of the paper: k, chi^2, AIC, AICc, BIC and weight per law, best first.

    Failed fits are listed with weight 0; excluded laws are not fitted and
    so do not appear (see ``fits.excluded``).
    """
    import pandas as pd

    average = model_average(fits, [1.0], criterion)
    weight = dict(zip(average.names, average.weights))
    chi2 = "chi2" if fits.sigma_given else "RSS"
    rows = [{"law": f.law.label, "k": f.k, chi2: f.chi2, "AIC": f.aic, "AICc": f.aicc, "BIC": f.bic,
             "weight": float(weight.get(f.name, 0.0)), "status": f.status} for f in fits.fits]
    return pd.DataFrame(rows).sort_values("weight", ascending=False, kind="stable").set_index("law")
