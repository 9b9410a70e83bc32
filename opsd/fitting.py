"""Fits of the scaling laws and what they mean (Section 2.1, Eqs. (1)-(7)).

Every law is fitted by the batched solver of :mod:`opsd.solver`.  This
module decides what a fit found: an interior optimum, a limiting form of
the law at the edge of its parameter space, or a numerical failure; it
holds the user-facing results (:class:`FitResult`, :class:`FitSet`) with
their criteria, standard errors, weights under every rule and reports.

Standard errors are taken as absolute: the parameter covariance is
``(J^T W J)^-1`` with ``W = diag(1/se^2)``, not rescaled by the reduced
chi-square.  When no standard errors are given, one shared sigma is
estimated by maximum likelihood (see :func:`fit_law`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .checks import check_count, normal_quantile
from .data import GainData
from .laws import LAWS, ScalingLaw, get_law
from .solver import covariance, linear_fit, multistart, polish_from_search, predict_batch, profile_chi2, refit
from .weights import CRITERIA, akaike_weights, check_rule, information_criteria, pseudo_bma_weights, stacking_weights

__all__ = ["FitResult", "FitSet", "fit_law", "fit_all", "refit_all", "fit_rows", "loo_log_predictive",
           "profile_interval", "optimism", "STATUSES"]

# Below this many residual degrees of freedom per estimated parameter, weights
# from an estimated sigma come with a warning (see FitSet.warnings).
RESIDUAL_DOF_PER_PARAMETER = 3
# An interior optimum must beat the law's best limiting form by this much
# (relative to max(chi^2, 1)); a fit running off towards a limit approaches
# the limit's chi^2 from above, wherever the optimiser happens to stop, and
# an optimum less than this below the limit is the limit for every purpose.
LIMIT_TOL = 1e-6
# What a fit found: an interior optimum, a limiting form of the law at the
# edge of its parameter space (see ScalingLaw.limits), or nothing at all.
STATUSES = ("interior", "limit", "failed")
INTERIOR, LIMIT, FAILED = range(3)


def _limit_fits(law: ScalingLaw, sizes, gains, se):
    """Best fit of each limiting form of ``law`` to every row of ``gains``.

    Returns the forms [(words, form)], their parameters [(B, k_form)] and
    their chi^2 (B, L), infinite where a form could not be fitted.
    """
    forms = law.limits(sizes)
    params, chi2 = [], np.full((len(gains), len(forms)), np.inf)
    for j, (_, form) in enumerate(forms):
        if form.linear:
            p, c, ok = linear_fit(form, sizes, gains, se)
        else:
            p, c, ok = multistart(form, sizes, gains, se, form.starts(sizes, gains[0]))
        params.append(p)
        chi2[:, j] = np.where(ok, c, np.inf)
    return forms, params, chi2


def _classify(chi2, ok, limit_chi2):
    """Status (INTERIOR, LIMIT or FAILED) and best limiting form of every row.

    A row is interior when its optimum beats every limiting form of the law
    by more than LIMIT_TOL; otherwise the supremum of the likelihood is the
    best limiting form, if any could be fitted.
    """
    limit_chi2 = np.atleast_2d(limit_chi2)
    best = np.argmin(limit_chi2, axis=1) if limit_chi2.shape[1] else np.zeros(len(chi2), int)
    best_chi2 = limit_chi2[np.arange(len(chi2)), best] if limit_chi2.shape[1] else np.full(len(chi2), np.inf)
    margin = LIMIT_TOL * np.maximum(np.nan_to_num(best_chi2, posinf=1.0), 1.0)
    interior = ok & (chi2 < best_chi2 - margin)
    status = np.where(interior, INTERIOR, np.where(np.isfinite(best_chi2), LIMIT, FAILED))
    return status, best, np.where(interior, chi2, best_chi2)


def _settle(law, sizes, gains, se, params, chi2, ok):
    """From each row's local fit to its result: the global shape search, then interior or limit.

    Returns the interior params, the chi^2 of the result, the status, the
    index of the best limiting form, the forms and their fitted params.
    """
    forms, limit_params, limit_chi2 = _limit_fits(law, sizes, gains, se)
    params, chi2, ok = polish_from_search(law, sizes, gains, se, params, chi2, ok)
    status, best, chi2 = _classify(chi2, ok, limit_chi2)
    return params, chi2, status, best, forms, limit_params


def fit_rows(law: ScalingLaw, sizes, gains, se, at, warm=None, typical=None, with_sd: bool = False):
    """Fit ``law`` to every row of ``gains`` and predict at ``at``, limits included.

    The interior optimum is sought as in :func:`opsd.solver.refit` and by the law's global
    shape search (:func:`opsd.solver.polish_from_search`); where it does not beat
    the law's best limiting form (or none is found) the row is that limit,
    and its predictions and standard deviations are the limiting form's.
    Returns means (B, t), sds (B, t) or None, chi^2 (B,), status (B,), an
    index into :data:`STATUSES`, and for limit rows the index of the
    limiting form in ``law.limits(sizes)`` (-1 elsewhere); failed rows have
    NaN predictions.
    """
    sizes = np.asarray(sizes, float)
    gains = np.atleast_2d(np.asarray(gains, float))
    se = np.asarray(se, float)
    at = np.atleast_1d(np.asarray(at, float))
    params, chi2, ok = refit(law, sizes, gains, se, warm, typical)
    params, chi2_out, status, best, forms, limit_params = _settle(law, sizes, gains, se, params, chi2, ok)
    mean = np.full((len(gains), at.size), np.nan)
    sd = np.full_like(mean, np.nan) if with_sd else None
    groups = [(status == INTERIOR, law, params)]
    groups += [((status == LIMIT) & (best == j), form, limit_params[j]) for j, (_, form) in enumerate(forms)]
    with np.errstate(all="ignore"):
        for rows, form, p in groups:
            rows = np.flatnonzero(rows)
            if rows.size == 0:
                continue
            if with_sd:
                m, d = predict_batch(form, sizes, se[rows] if se.ndim == 2 else se, p[rows], at)
                mean[rows], sd[rows] = m, d
            else:
                mean[rows] = form(at, p[rows])
    return mean, sd, chi2_out, status, np.where(status == LIMIT, best, -1)


def refit_all(base: "FitSet", gains, se, at, rule: str = "aic", typical=None, with_sd: bool = False):
    """Refit every law of ``base`` to each row of ``gains`` and predict at ``at``.

    Each law starts from its fit in ``base`` (see :func:`fit_rows`); a fit
    at a limit of its law keeps its weight, with the law's own k in the
    criterion.  Returns means (B, m, t), sds (B, m, t) or None, the
    criterion (B, m), the status (B, m) and the limiting form (B, m; see
    :func:`fit_rows`); a refit that fails (or, with
    ``with_sd``, predicts a non-finite value) has NaN predictions and an
    infinite criterion, so that it gets no weight.
    """
    check_rule(rule, CRITERIA)
    gains = np.atleast_2d(np.asarray(gains, float))
    n = base.data.n
    means, sds, crit, statuses, forms = [], [], [], [], []
    for fit in base.fits:
        law = fit.law
        warm = fit.params if fit.status == "interior" else None
        mean, sd, chi2, status, form = fit_rows(law, base.data.sizes, gains, se, at, warm, typical, with_sd)
        forms.append(form)
        ok = status != FAILED
        ok &= np.all(np.isfinite(mean), axis=1)
        if with_sd:
            ok &= np.all(np.isfinite(sd), axis=1)
            sds.append(np.where(ok[:, None], sd, np.nan))
        means.append(np.where(ok[:, None], mean, np.nan))
        crit.append(np.where(ok, information_criteria(chi2, n, law.k, base.sigma_given)[rule], np.inf))
        statuses.append(np.where(ok, status, FAILED))
    return (np.stack(means, 1), (np.stack(sds, 1) if with_sd else None), np.stack(crit, 1),
            np.stack(statuses, 1), np.stack(forms, 1))


@dataclass(frozen=True, repr=False)
class FitResult:
    """The best weighted least-squares fit of one law to one data set."""

    law: ScalingLaw
    params: np.ndarray
    cov: np.ndarray
    chi2: float
    n: int
    sigma_given: bool
    status: str
    criteria: dict = field(default_factory=dict)
    limit: str = ""
    limit_form: ScalingLaw | None = None

    @property
    def model(self) -> ScalingLaw:
        """The curve this fit describes: the law, or the limiting form it ran to.

        ``params`` and ``cov`` are the model's.
        """
        return self.limit_form if self.status == "limit" else self.law

    @property
    def usable(self) -> bool:
        """Whether the fit has a curve to predict from (an interior optimum or a limit)."""
        return self.status != "failed"

    @property
    def name(self) -> str:
        return self.law.name

    @property
    def k(self) -> int:
        return self.law.k

    @property
    def aic(self) -> float:
        return self.criteria["aic"]

    @property
    def aicc(self) -> float:
        return self.criteria["aicc"]

    @property
    def bic(self) -> float:
        return self.criteria["bic"]

    @property
    def param_dict(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(self.model.params, self.params)}

    @property
    def stderr(self) -> dict[str, float]:
        """Standard error of each parameter, sqrt(diag C) (infinite where the fit is ill-conditioned)."""
        with np.errstate(invalid="ignore"):
            return {name: float(np.sqrt(v)) for name, v in zip(self.model.params, np.diag(self.cov))}

    def interval(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Wald interval of each parameter, estimate +/- z sd (z the normal quantile for ``level``).

        Linearised, like the prediction sd; the decomposition chapter shows
        where a profile-likelihood interval differs.
        """
        z = normal_quantile(level)
        return {name: (value - z * self.stderr[name], value + z * self.stderr[name])
                for name, value in self.param_dict.items()}

    def predict(self, sizes) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of Delta(N) at ``sizes``.

        The standard deviation is linearised error propagation,
        sqrt(g^T C g) with g the Jacobian at ``sizes`` (Section 2.1).
        """
        sizes = np.atleast_1d(np.asarray(sizes, float))
        # Far extrapolation of a wild fit may overflow: that is an inf, not a warning.
        with np.errstate(all="ignore"):
            mean = self.model(sizes, self.params)
            if np.all(np.isposinf(self.cov)):
                return mean, np.full(sizes.shape, np.inf)
            grad = self.model.jacobian(sizes, self.params)
            var = np.einsum("ni,ij,nj->n", grad, self.cov, grad)
            return mean, np.sqrt(np.maximum(var, 0.0))

    def report(self) -> str:
        """A readable summary: status, fit statistics, and each parameter with its standard error."""
        head = f"{self.law.label} (Eq. ({self.law.equation})): {self.status}"
        if self.status == "limit":
            head += f", {self.limit}"
        lines = [head]
        if self.status == "failed":
            return "\n".join(lines + ["  no fit: the solver found no finite optimum"])
        chi2 = "chi2" if self.sigma_given else "RSS"
        lines.append(f"  n = {self.n}, k = {self.k}, {chi2} = {self.chi2:.4g}, AIC = {self.aic:.3f}, "
                     f"AICc = {self.aicc:.3f}, BIC = {self.bic:.3f}")
        for name, value in self.param_dict.items():
            lines.append(f"  {name:>4} = {value:.5g} +/- {self.stderr[name]:.3g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.param_dict.items())
        state = {"interior": "", "limit": f", limit: {self.limit}", "failed": ", FAILED"}[self.status]
        return f"FitResult({self.name}: {params}; chi2={self.chi2:.3f}, AIC={self.aic:.2f}{state})"


@dataclass(frozen=True, repr=False)
class FitSet:
    """All laws fitted to one data set; laws that could not be fitted are in ``excluded``."""

    data: GainData
    fits: tuple[FitResult, ...]
    excluded: tuple[tuple[str, str], ...] = ()

    @property
    def sigma_given(self) -> bool:
        return self.data.sigma_given

    @property
    def usable(self) -> tuple[FitResult, ...]:
        """The fits with a curve: interior optima and limits."""
        return tuple(f for f in self.fits if f.usable)

    @property
    def limits(self) -> tuple[FitResult, ...]:
        return tuple(f for f in self.fits if f.status == "limit")

    @property
    def failed(self) -> tuple[FitResult, ...]:
        return tuple(f for f in self.fits if f.status == "failed")

    @cached_property
    def loo(self) -> np.ndarray:
        """Leave-one-out log predictive densities of the usable fits (:func:`loo_log_predictive`)."""
        return loo_log_predictive(self.data, [f.name for f in self.usable])

    def profile(self, name: str, param: str, values) -> np.ndarray:
        """Profile chi^2 of law ``name``'s shape parameter ``param`` at ``values``.

        With given standard errors chi^2 is -2 log-likelihood up to a
        constant, so :func:`profile_interval` reads a likelihood-ratio
        interval from it.
        """
        if not self.sigma_given:
            raise ValueError("a profile likelihood needs standard errors: add an 'se' column to the data")
        return profile_chi2(get_law(name), self.data.sizes, self.data.gains, self.data.se, param, values)

    def weights(self, rule: str = "aic") -> dict[str, float]:
        """Weight of every fitted law under ``rule`` (see :data:`opsd.weights.RULES`); failed fits get 0.

        "aic", "aicc" and "bic" are Akaike weights of that criterion
        (Eq. (7)); "pseudo_bma" and "stacking" come from leave-one-out
        refits (:func:`loo_log_predictive`) and need standard errors.
        """
        check_rule(rule)
        used = self.usable
        if not used:
            raise ValueError("no scaling law could be fitted, so there is nothing to weigh: "
                             + ", ".join(f.name for f in self.failed) + " failed")
        if rule in CRITERIA:
            values = [f.criteria[rule] for f in used]
            if all(np.isposinf(values)):
                raise ValueError(f"{rule.upper()} is infinite for every law (too few points for its "
                                 "small-sample correction): choose another rule")
            w = akaike_weights(values)
        else:
            w = pseudo_bma_weights(self.loo) if rule == "pseudo_bma" else stacking_weights(self.loo)
        weights = dict(zip((f.name for f in used), map(float, w)))
        return {f.name: weights.get(f.name, 0.0) for f in self.fits}

    def warnings(self) -> list[str]:
        """What a reader of these fits' weights should be told.

        With one sigma estimated from the residuals, AIC rewards a law that
        interpolates the points: a law with k parameters and sigma leaves
        n - k - 1 residual degrees of freedom to estimate sigma, and with
        fewer than three per estimated parameter its weight says more about
        the noise in RSS than about the law.
        """
        if self.sigma_given:
            return []
        thin = [f.name for f in self.fits if (self.data.n - f.k - 1) < RESIDUAL_DOF_PER_PARAMETER * (f.k + 1)]
        if not thin:
            return []
        return [f"sigma is estimated from the residuals of {self.data.n} points, which leaves fewer than "
                f"{RESIDUAL_DOF_PER_PARAMETER} residual degrees of freedom per estimated parameter for "
                f"{', '.join(thin)}: AIC then rewards interpolation and the weights are unreliable; add an "
                "'se' column with the measured standard errors"]

    def __getitem__(self, name: str) -> FitResult:
        for fit in self.fits:
            if fit.name == name:
                return fit
        raise KeyError(f"no fit of {name!r}; fitted laws: {', '.join(f.name for f in self.fits)}")

    def to_frame(self, rule: str = "aic"):
        """Table 1: per law (index: name) its label, k, chi^2, AIC, AICc, BIC, weight under ``rule``,
        rank and status, best first.

        For a criterion rule the table also has that criterion's distance
        from the best law (e.g. "dAIC").  Failed fits are listed with weight
        0; excluded laws are not fitted and so do not appear (see ``excluded``).
        """
        import pandas as pd

        weights = self.weights(rule)
        chi2 = "chi2" if self.sigma_given else "RSS"
        rows = [{"law": f.name, "label": f.law.label, "k": f.k, chi2: f.chi2, "AIC": f.aic, "AICc": f.aicc,
                 "BIC": f.bic, "weight": weights[f.name], "status": f.status} for f in self.fits]
        frame = pd.DataFrame(rows).set_index("law")
        if rule in CRITERIA:
            column = {"aic": "AIC", "aicc": "AICc", "bic": "BIC"}[rule]
            values = frame[column].where(frame["status"] != "failed")
            frame.insert(frame.columns.get_loc("weight"), f"d{column}", values - values.min())
        frame = frame.sort_values("weight", ascending=False, kind="stable")
        frame.insert(frame.columns.get_loc("weight") + 1, "rank", range(1, len(frame) + 1))
        return frame

    def report(self, rule: str = "aic") -> str:
        """A readable summary: the data, every fit's report and the weights under ``rule``."""
        sigma = "standard errors given" if self.sigma_given else "one sigma estimated from the residuals"
        lines = [f"{self.data.n} points from {self.data.source}, {sigma}"]
        weights = self.weights(rule)
        for fit in self.fits:
            lines += [fit.report(), f"  weight ({rule}) = {weights[fit.name]:.3f}"]
        lines += [f"{name}: excluded, {reason}" for name, reason in self.excluded]
        lines += [f"warning: {w}" for w in self.warnings()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        lines = [f"FitSet(n={self.data.n}, sigma {'given' if self.sigma_given else 'estimated'})"]
        lines += [f"  {fit!r}" for fit in self.fits]
        lines += [f"  excluded {name}: {reason}" for name, reason in self.excluded]
        return "\n".join(lines)


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
        train = data.subset(np.arange(data.n) != i)
        fittable = [name for name in names if get_law(name).k < train.n]
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


def fit_law(law: ScalingLaw | str, data: GainData) -> FitResult:
    """Fit one law to ``data`` from every starting point; keep the best.

    With ``data.se`` given, chi^2 is Eq. (6) and the covariance is
    ``(J^T W J)^-1``.  Without it, the fit is unweighted, sigma^2 is estimated
    as RSS/n (maximum likelihood) for the criteria, and the covariance is
    ``(J^T J)^-1 RSS/(n-k)`` so prediction intervals carry the residual scatter.
    When no interior optimum beats the law's limiting forms, the fit is the
    best limiting form (status "limit"): its parameters, covariance and
    chi^2, with the law's own k in the criteria.
    """
    law = get_law(law) if isinstance(law, str) else law
    if law.k >= data.n:
        raise ValueError(f"{law.name} has k={law.k} parameters but only n={data.n} points; it needs n > k")
    se = data.se if data.sigma_given else np.ones(data.n)
    gains = data.gains[None, :]
    params, chi2, ok = multistart(law, data.sizes, gains, se, law.starts(data.sizes, data.gains))
    params, chi2, status, best, forms, limit_params = _settle(law, data.sizes, gains, se, params, chi2, ok)
    status, chi2 = STATUSES[int(status[0])], float(chi2[0])
    words, model = "", law
    if status == "limit":
        words, model = forms[int(best[0])]
        params = limit_params[int(best[0])]
    if status == "failed":
        params = np.full(law.k, np.nan)
        cov = np.full((law.k, law.k), np.nan)
    else:
        params = params[0]
        cov = covariance(model, data.sizes, 1.0 / se**2, params)
        if not data.sigma_given and np.all(np.isfinite(cov)):
            cov = cov * chi2 / (data.n - model.k)
    criteria = {k: float(v) for k, v in information_criteria(chi2, data.n, law.k, data.sigma_given).items()}
    params.setflags(write=False)
    cov.setflags(write=False)
    return FitResult(law, params, cov, chi2, data.n, data.sigma_given, status, criteria, words,
                     model if status == "limit" else None)


def fit_all(data: GainData, laws=None) -> FitSet:
    """Fit every law (default: all five, Eqs. (1)-(5)) to ``data``.

    A law with at least as many parameters as data points is excluded and
    the reason recorded; a law whose best fit is a limit of the law is kept
    as that limit, and one whose fit fails is kept and marked failed.
    """
    laws = [get_law(name) if isinstance(name, str) else name for name in (laws or LAWS)]
    fits, excluded = [], []
    for law in laws:
        if law.k >= data.n:
            excluded.append((law.name, f"k={law.k} parameters but only n={data.n} points"))
        else:
            fits.append(fit_law(law, data))
    if not fits:
        need = min(law.k for law in laws) + 1
        raise ValueError(
            f"no scaling law can be fitted to n={data.n} points: each needs more points "
            f"than parameters (at least {need})"
        )
    return FitSet(data, tuple(fits), tuple(excluded))


def profile_interval(values, chi2, level: float = 0.95) -> tuple[float, float]:
    """Profile-likelihood interval: where the profile ``chi2`` is within z^2 of its least value.

    z^2, the square of the two-sided normal quantile for ``level``, is the
    chi-square quantile with one degree of freedom (3.84 at 95%).  The ends
    are interpolated linearly between grid points; an end the profile never
    crosses inside ``values`` is infinite, since the data do not bound it.
    """
    values, chi2 = np.asarray(values, float), np.asarray(chi2, float)
    if values.ndim != 1 or values.shape != chi2.shape or values.size < 3 or np.any(np.diff(values) <= 0):
        raise ValueError("a profile needs at least three increasing values and one chi^2 per value")
    threshold = np.min(chi2) + normal_quantile(level) ** 2
    ends = []
    for step in (-1, 1):
        i = int(np.argmin(chi2))
        while 0 <= i + step < values.size and chi2[i + step] <= threshold:
            i += step
        j = i + step
        if not 0 <= j < values.size:
            ends.append(step * np.inf)
            continue
        ends.append(float(values[i] + (threshold - chi2[i]) * (values[j] - values[i]) / (chi2[j] - chi2[i])))
    return ends[0], ends[1]


def optimism(fits: "FitSet", n_replicates: int = 2000, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Expected optimism of each law's chi^2, by simulation: the penalty an information criterion estimates.

    For each law, new gains are drawn from its fitted curve with the data's
    standard errors, the law is refitted to each draw, and the chi^2 of the
    refit on a fresh, independent draw is compared with its chi^2 on the
    draw it was fitted to.  The mean difference is the optimism that AIC's
    2k estimates (exactly 2k for a law linear in its parameters with known
    errors).  Returns law -> (mean optimism, its Monte-Carlo standard error);
    failed refits are left out of the mean.
    """
    if not fits.sigma_given:
        raise ValueError("the optimism with known errors needs standard errors: add an 'se' column to the data")
    n_replicates = check_count(n_replicates, "n_replicates")
    data, rng = fits.data, np.random.default_rng(seed)
    out = {}
    for fit in fits.usable:
        truth = fit.model(data.sizes, fit.params)
        fitted_to = truth + rng.standard_normal((n_replicates, data.n)) * data.se
        fresh = truth + rng.standard_normal((n_replicates, data.n)) * data.se
        mean, _, chi2, status, _ = fit_rows(fit.law, data.sizes, fitted_to, data.se, data.sizes, fit.params)
        gap = np.sum(((fresh - mean) / data.se) ** 2, axis=1) - chi2
        gap = gap[(status != FAILED) & np.isfinite(gap)]
        out[fit.name] = (float(np.mean(gap)), float(np.std(gap, ddof=1) / np.sqrt(gap.size)))
    return out
