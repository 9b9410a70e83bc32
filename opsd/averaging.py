"""Model-averaged extrapolation (Section 2.1, Eqs. (8)-(9)).

Weights come from :meth:`opsd.fitting.FitSet.weights` under any rule of
:mod:`opsd.weights` (the paper's Akaike weights, Eq. (7), by default);
:func:`combine` is the one place where Eqs. (8) and (9) are computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .checks import check_level, check_sizes, normal_quantile

if TYPE_CHECKING:
    from .fitting import FitSet

__all__ = ["combine", "AveragedPrediction", "model_average", "mixture_cdf", "mixture_quantile"]


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
    rule: str
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
        z = normal_quantile(level)
        return self.mean - z * self.sd, self.mean + z * self.sd

    def mixture_interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Central ``level`` interval of the model-averaged predictive mixture at each size.

        The mixture is sum_m w_m N(mean_m, sd_m^2): each law's own predictive
        distribution, weighted by its model weight.  Its variance is Eq. (9)
        (the law of total variance), but unlike the normal approximation it
        keeps the shape the laws give it: a law far from the others is a
        separate mode, not a widening of one bell.  See :func:`mixture_quantile`.
        """
        normal_quantile(level)  # checks the level
        tail = (1.0 - level) / 2.0
        return tuple(mixture_quantile(q, self.weights, self.means, self.sds) for q in (tail, 1.0 - tail))

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
        return f"AveragedPrediction({self.rule}; " + "; ".join(parts) + ")"


def mixture_cdf(x, weights, means, sds) -> np.ndarray:
    """P(Delta <= x) under the mixture sum_c w_c N(means_c, sds_c^2), one value per column.

    ``weights`` (c,) sum to one; ``means`` and ``sds`` are (c, t) and ``x``
    (t,).  A component with an infinite sd puts half its weight at each end.
    """
    from scipy.special import ndtr

    means, sds = np.asarray(means, float), np.asarray(sds, float)
    x = np.broadcast_to(np.asarray(x, float), means.shape[1:])
    with np.errstate(all="ignore"):
        z = np.where(np.isfinite(sds), (x - means) / sds, 0.0)
    return np.sum(np.asarray(weights, float)[:, None] * ndtr(z), axis=0)


def mixture_quantile(q: float, weights, means, sds) -> np.ndarray:
    """The ``q`` quantile of the mixture of :func:`mixture_cdf` in each column, by bisection.

    The bracket spans 40 sd around every component with weight, and halves
    200 times, which reaches the last bit of a double long before the end,
    so the result does not depend on rounding.  Where more than ``q`` (or
    1 - ``q``) of the weight sits at infinity the quantile is -inf (or +inf).
    """
    check_level(q, "q")
    weights, means, sds = np.asarray(weights, float), np.asarray(means, float), np.asarray(sds, float)
    finite = (weights[:, None] > 0) & np.isfinite(sds) & np.isfinite(means)
    lo = np.min(np.where(finite, means - 40 * sds, np.inf), axis=0)
    hi = np.max(np.where(finite, means + 40 * sds, -np.inf), axis=0)
    a, b = lo.copy(), hi.copy()
    for _ in range(200):
        mid = 0.5 * (a + b)
        below = mixture_cdf(mid, weights, means, sds) < q
        a, b = np.where(below, mid, a), np.where(below, b, mid)
    out = np.where(mixture_cdf(hi, weights, means, sds) < q, np.inf, 0.5 * (a + b))
    return np.where(mixture_cdf(lo, weights, means, sds) > q, -np.inf, out)


def model_average(fits: FitSet, sizes, rule: str = "aic") -> AveragedPrediction:
    """Eqs. (8)-(9) at ``sizes`` from the usable fits in ``fits``, weighted by ``rule`` (default: AIC, Eq. (7)).

    A fit at a limit of its law predicts with that limiting form and keeps
    its weight; failed fits get weight zero and are listed in ``fits.failed``.
    Within-model variance uses each fit's linearised prediction variance.
    """
    sizes = check_sizes(sizes)
    weights = fits.weights(rule)
    used = fits.usable
    preds = [f.predict(sizes) for f in used]
    means = np.array([m for m, _ in preds])
    sds = np.array([s for _, s in preds])
    w = np.array([weights[f.name] for f in used])
    mean, within, between = combine(w, means, sds)
    return AveragedPrediction(
        sizes=sizes, rule=rule, names=tuple(f.name for f in used), weights=w,
        means=means, sds=sds, mean=mean, within_sd=np.sqrt(within), between_sd=np.sqrt(between),
    )
