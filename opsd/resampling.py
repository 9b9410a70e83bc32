"""Parametric bootstrap of the model-averaged extrapolation (Section 2.5).

Each resample adds Gaussian noise with the observed standard errors to the
observed gains, refits every law (from the fit to the observed data, and
from the law's starting grid where that fails), recomputes the Akaike weights (Eq. (7)) and
averages the predictions (Eq. (8)).  All resamples of one law are fitted in
one vectorised batch.  A refit whose best fit is a limiting form of its law
(the sigmoid becoming a power law, say) predicts with that form, keeps its
weight and is counted per law.  A refit that fails numerically is counted
per law and left out of that resample's average; a resample in which every
law fails has no average and is counted too.  Nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .averaging import combine
from .checks import check_count, check_level, check_sizes
from .data import GainData
from .fitting import FAILED, LIMIT, FitSet, fit_all, refit_all
from .weights import CRITERIA, akaike_weights, check_rule

__all__ = ["BootstrapResult", "bootstrap", "percentile_interval"]

CHUNK = 2000


def percentile_interval(samples, level: float = 0.95) -> tuple[float, float]:
    """Equal-tailed percentile interval of the finite ``samples``."""
    level = check_level(level)
    samples = np.asarray(samples, float)
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return (float("nan"), float("nan"))
    tail = 50.0 * (1.0 - level)
    lo, hi = np.percentile(samples, [tail, 100.0 - tail])
    return float(lo), float(hi)


@dataclass(frozen=True, repr=False)
class BootstrapResult:
    """Bootstrap draws of per-law and model-averaged predictions.

    ``law_samples[name]`` and ``average_samples`` have shape
    (n_resamples, len(sizes)); entries of failed refits are NaN and are
    counted in ``failed`` (per law) and ``no_average`` (whole resamples).
    Refits at a limit of their law are counted in ``limits`` (per law) and,
    by the limiting form they reached, in ``limit_forms`` (law -> {form: count}).
    With ``with_sd``, ``law_sd_samples[name]`` holds each refit's linearised
    prediction sd, for :meth:`mixture_interval`.
    """

    sizes: np.ndarray
    n_resamples: int
    seed: int
    rule: str
    law_samples: dict
    weight_samples: np.ndarray
    average_samples: np.ndarray
    failed: dict
    no_average: int
    limits: dict
    status_samples: np.ndarray
    limit_forms: dict
    law_sd_samples: dict | None = None

    CONVENTIONS = ("limit", "drop the law", "drop the resample")

    def average_under(self, convention: str = "limit") -> np.ndarray:
        """Samples (n_resamples, len(sizes)) of the average under a convention for refits at a limit.

        "limit" keeps such a refit as its limiting form, with its weight (the
        book's default); "drop the law" gives it weight zero in that resample
        and renormalises the others; "drop the resample" discards every
        resample in which any law ran to a limit (NaN rows).
        """
        if convention not in self.CONVENTIONS:
            raise ValueError(f"unknown convention {convention!r}; expected one of {', '.join(self.CONVENTIONS)}")
        if convention == "limit":
            return self.average_samples
        at_limit = self.status_samples == LIMIT
        if convention == "drop the resample":
            return np.where(at_limit.any(axis=1)[:, None], np.nan, self.average_samples)
        weights = np.where(at_limit, 0.0, np.nan_to_num(self.weight_samples))
        total = weights.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            weights = weights / total
        stacked = np.nan_to_num(np.stack([self.law_samples[name] for name in self.names], axis=1))
        average = np.einsum("bm,bms->bs", weights, stacked)
        return np.where(total > 0, average, np.nan)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.law_samples)

    @property
    def total_failed(self) -> int:
        return int(sum(self.failed.values()))

    def _index(self, size: float) -> int:
        matches = np.flatnonzero(np.isclose(self.sizes, size))
        if matches.size == 0:
            raise ValueError(f"size {size:g} was not bootstrapped; sizes: {self.sizes.tolist()}")
        return int(matches[0])

    def selection_frequencies(self) -> dict[str, float]:
        """Bootstrap-frequency weights: the share of resamples in which each law has the largest weight.

        Buckland, Burnham and Augustin (1997) offer these as an alternative to
        Akaike weights.  Resamples without an average are left out; ties go
        to the law listed first.
        """
        weights = self.weight_samples[np.all(np.isfinite(self.weight_samples), axis=1)]
        if weights.size == 0:
            return {name: float("nan") for name in self.names}
        counts = np.bincount(np.argmax(weights, axis=1), minlength=len(self.names))
        return {name: float(c) / len(weights) for name, c in zip(self.names, counts)}

    def mean(self, size: float, law: str | None = None) -> float:
        """Mean over resamples of the averaged (or one law's) prediction."""
        column = self._column(size, law)
        return float(np.mean(column[np.isfinite(column)])) if np.isfinite(column).any() else float("nan")

    def ci(self, size: float, law: str | None = None, level: float = 0.95,
           convention: str = "limit") -> tuple[float, float]:
        """Percentile interval of the averaged (or one law's) prediction."""
        return percentile_interval(self._column(size, law, convention), level)

    def _column(self, size, law, convention="limit"):
        samples = self.average_under(convention) if law is None else self.law_samples[law]
        return samples[:, self._index(size)]

    def mixture_interval(self, size: float, level: float = 0.95) -> tuple[float, float]:
        """Central ``level`` interval of the bootstrap of the predictive mixture at ``size``.

        Every resample contributes its own mixture sum_m w_m N(mean_m, sd_m^2)
        (its weights, its refits' predictions and their linearised sds), with
        weight 1/R among the R resamples that have an average; the interval
        is that of the pooled mixture, computed exactly (no draws).  It
        carries the data noise, the jitter of the weights and the
        disagreement between the laws.  Needs a run with ``with_sd=True``.
        """
        from .averaging import mixture_quantile

        if self.law_sd_samples is None:
            raise ValueError("the mixture needs each refit's sd: run bootstrap(..., with_sd=True)")
        j = self._index(size)
        names = list(self.law_samples)
        means = np.stack([self.law_samples[n][:, j] for n in names], axis=1).ravel()
        sds = np.stack([self.law_sd_samples[n][:, j] for n in names], axis=1).ravel()
        weights = np.nan_to_num(self.weight_samples).ravel()
        weights = weights / weights.sum()
        tail = (1.0 - level) / 2.0
        lo, hi = (mixture_quantile(q, weights, means[:, None], sds[:, None])[0] for q in (tail, 1.0 - tail))
        return float(lo), float(hi)

    def interval(self, level: float = 0.95, law: str | None = None, convention: str = "limit"):
        """Percentile intervals at every one of ``sizes``: arrays (lo, hi), as :meth:`ci` gives for one size."""
        bounds = np.array([self.ci(size, law, level, convention) for size in self.sizes])
        return bounds[:, 0], bounds[:, 1]

    def split_intervals(self, size: float, parts: int, level: float = 0.95,
                        convention: str = "limit") -> np.ndarray:
        """Intervals of the average from ``parts`` disjoint blocks of resamples, shape (parts, 2).

        Their spread is the Monte-Carlo error of an interval computed from
        ``n_resamples / parts`` resamples.
        """
        column = self._column(size, None, convention)
        if parts < 2 or len(column) // parts < 2:
            raise ValueError(f"cannot split {len(column)} resamples into {parts} blocks of at least 2")
        blocks = column[: len(column) // parts * parts].reshape(parts, -1)
        return np.array([percentile_interval(b, level) for b in blocks])

    def block_statistics(self, size: float, parts: int, level: float = 0.95, convention: str = "limit"):
        """Mean, interval ends and width of the average in ``parts`` disjoint blocks of resamples.

        One row per block (a DataFrame with columns mean, ci_low, ci_high,
        ci_width); their standard deviations are the Monte-Carlo errors of
        those statistics from ``n_resamples / parts`` resamples.
        """
        import pandas as pd

        intervals = self.split_intervals(size, parts, level, convention)
        column = self._column(size, None, convention)
        blocks = column[: len(column) // parts * parts].reshape(parts, -1)
        return pd.DataFrame({"mean": np.nanmean(blocks, axis=1), "ci_low": intervals[:, 0],
                             "ci_high": intervals[:, 1], "ci_width": intervals[:, 1] - intervals[:, 0]})

    def summary(self, level: float = 0.95) -> list[dict]:
        """Per size: mean and interval of the average and of each law, the interval under a key
        that names its level (``ci95``, ``ci90``, ``ci97.5``)."""
        label = f"ci{100 * check_level(level):g}"
        out = []
        for size in self.sizes:
            out.append({
                "size_b": float(size),
                "mean": self.mean(size),
                label: list(self.ci(size, level=level)),
                "models": {name: {"mean": self.mean(size, name), label: list(self.ci(size, name, level))}
                           for name in self.names},
            })
        return out

    def to_frame(self, level: float = 0.95):
        import pandas as pd

        rows = []
        for size in self.sizes:
            for name in self.names + ("average",):
                law = None if name == "average" else name
                lo, hi = self.ci(size, law, level)
                rows.append({"size_b": float(size), "model": name, "mean": self.mean(size, law),
                             "ci_low": lo, "ci_high": hi, "width": hi - lo,
                             "limits": (int((self.status_samples == LIMIT).any(axis=1).sum()) if law is None
                                        else self.limits[name]),
                             "failed": self.no_average if law is None else self.failed[name]})
        return pd.DataFrame(rows).set_index(["size_b", "model"])

    def __repr__(self) -> str:
        parts = []
        for size in self.sizes:
            lo, hi = self.ci(size)
            parts.append(f"{size:g}B: mean {self.mean(size):.1f}, 95% CI [{lo:.1f}, {hi:.1f}]")
        return (f"BootstrapResult({self.n_resamples} resamples, seed {self.seed}; " + "; ".join(parts)
                + f"; refits at a limit {sum(self.limits.values())}; failed refits {self.total_failed})")


def bootstrap(data: GainData, sizes=(70.0,), n_resamples: int = 1000, seed: int = 0,
              rule: str = "aic", progress: bool = False, with_sd: bool = False,
              fits: FitSet | None = None) -> BootstrapResult:
    """Parametric bootstrap of Section 2.5 with ``n_resamples`` resamples.

    Requires standard errors: the noise of each resample is
    ``N(0, se_i^2)`` at each observed size.  Each resample's weights come
    from the criterion ``rule`` (predictive rules would need leave-one-out
    refits of every resample and are not offered).  ``progress=True`` shows a
    progress bar on stderr.  ``with_sd=True`` also keeps each refit's
    prediction sd (for :meth:`BootstrapResult.mixture_interval`); a refit
    whose sd is not finite then counts as failed.  ``fits``, the fits of
    every law to ``data`` if already at hand, saves refitting them.
    """
    if not data.sigma_given:
        raise ValueError("the parametric bootstrap needs standard errors: add an 'se' column to the data")
    check_rule(rule, CRITERIA)
    n_resamples = check_count(n_resamples, "n_resamples")
    sizes = check_sizes(sizes)

    if fits is not None and fits.data is not data:
        raise ValueError("fits must be the fits to the data being resampled")
    base = fit_all(data) if fits is None else fits
    rng = np.random.default_rng(seed)
    resampled = data.gains + rng.standard_normal((n_resamples, data.n)) * data.se

    laws = [fit.law for fit in base.fits]
    preds = {law.name: np.full((n_resamples, sizes.size), np.nan) for law in laws}
    sd_preds = {law.name: np.full((n_resamples, sizes.size), np.nan) for law in laws} if with_sd else None
    crit = np.full((n_resamples, len(laws)), np.inf)

    chunks = [(lo, min(lo + CHUNK, n_resamples)) for lo in range(0, n_resamples, CHUNK)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_resamples * len(laws), desc="bootstrap refits", unit="fit", leave=False)
    status = np.empty((n_resamples, len(laws)), int)
    form = np.empty((n_resamples, len(laws)), int)
    for lo, hi in chunks:
        means, sds, crit[lo:hi], status[lo:hi], form[lo:hi] = refit_all(
            base, resampled[lo:hi], data.se, sizes, rule, data.gains, with_sd=with_sd)
        for j, law in enumerate(laws):
            preds[law.name][lo:hi] = means[:, j]
            if with_sd:
                sd_preds[law.name][lo:hi] = sds[:, j]
        if bar is not None:
            bar.update((hi - lo) * len(laws))
    if bar is not None:
        bar.close()

    no_average = ~np.isfinite(crit).any(axis=1)
    weights = np.where(no_average[:, None], np.nan, akaike_weights(crit))
    stacked = np.stack([preds[law.name] for law in laws], axis=1)  # (B, m, s)
    average, _, _ = combine(np.nan_to_num(weights), stacked)
    average[no_average] = np.nan
    failed = {law.name: int(np.sum(status[:, j] == FAILED)) for j, law in enumerate(laws)}
    limits = {law.name: int(np.sum(status[:, j] == LIMIT)) for j, law in enumerate(laws)}
    limit_forms = {}
    for j, law in enumerate(laws):
        counts = np.bincount(form[status[:, j] == LIMIT, j], minlength=len(law.limits(data.sizes)))
        limit_forms[law.name] = {words: int(c) for (words, _), c in zip(law.limits(data.sizes), counts) if c}
    for arr in (weights, average, status, *preds.values()):
        arr.setflags(write=False)
    return BootstrapResult(
        sizes=sizes, n_resamples=n_resamples, seed=seed, rule=rule, law_samples=preds,
        weight_samples=weights, average_samples=average, failed=failed, no_average=int(no_average.sum()),
        limits=limits, status_samples=status, limit_forms=limit_forms, law_sd_samples=sd_preds,
    )
