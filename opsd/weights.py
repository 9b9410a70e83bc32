"""Model weights: information criteria (Eq. (6)), Akaike weights (Eq. (7)) and predictive rules.

A weighting rule turns a set of fits into one weight per law.  The paper
uses Akaike weights from AIC; AICc and BIC change the penalty, and two
predictive rules judge each law by how well it predicts points it was not
fitted to: pseudo-BMA weights from the leave-one-out log predictive density
(elpd), and stacking of the leave-one-out predictive distributions (Yao,
Vehtari, Simpson and Gelman 2018).  This module holds the arithmetic; the
fits and their leave-one-out densities are in :mod:`opsd.fitting`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CRITERIA", "RULES", "check_rule", "information_criteria", "akaike_weights",
           "pseudo_bma_weights", "stacking_weights"]

# Rules that weigh by an information criterion, exp(-Delta/2) (Eq. (7)).
CRITERIA = ("aic", "aicc", "bic")
# Every weighting rule; the last two need leave-one-out refits.
RULES = CRITERIA + ("pseudo_bma", "stacking")


def check_rule(rule: str, allowed=RULES) -> str:
    """Return ``rule`` if it is one of ``allowed``, else raise a ValueError naming the choices."""
    if rule not in allowed:
        kind = "not available here" if rule in RULES else "unknown"
        raise ValueError(f"weighting rule {rule!r} is {kind}; expected one of {', '.join(allowed)}")
    return rule


def information_criteria(chi2, n: int, k: int, sigma_given: bool) -> dict[str, np.ndarray]:
    """AIC (Eq. (6)), AICc and BIC.

    With given standard errors, chi^2 is -2 log-likelihood up to a constant,
    and the paper's AIC = chi^2 + 2k is used, with AICc = AIC +
    2k(k+1)/(n-k-1) and BIC = chi^2 + k ln n.  With one estimated sigma, the
    maximised Gaussian log-likelihood gives AIC = n ln(RSS/n) + 2(k+1) (the
    extra parameter is sigma) and likewise for AICc and BIC with k+1
    parameters.  AICc is infinite when its denominator is not positive.
    """
    chi2 = np.asarray(chi2, float)
    if sigma_given:
        fit_term, p = chi2, k
    else:
        with np.errstate(divide="ignore"):
            fit_term, p = n * np.log(chi2 / n), k + 1
    aic = fit_term + 2 * p
    aicc = aic + (2 * p * (p + 1) / (n - p - 1) if n - p - 1 > 0 else np.inf)
    bic = fit_term + p * np.log(n)
    return {"aic": aic, "aicc": aicc, "bic": bic}


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


def _usable_columns(lpd) -> np.ndarray:
    lpd = np.asarray(lpd, float)
    usable = np.all(np.isfinite(lpd), axis=0)
    if not usable.any():
        raise ValueError("no law has a leave-one-out density at every point")
    return usable


def pseudo_bma_weights(lpd) -> np.ndarray:
    """Weights proportional to exp(elpd_loo), elpd_loo = sum_i log p(y_i | y_-i); laws with any missing density get 0.

    ``lpd`` has one row per left-out point and one column per law.
    """
    lpd = np.asarray(lpd, float)
    usable = _usable_columns(lpd)
    elpd = np.where(usable, lpd.sum(axis=0, where=np.isfinite(lpd)), -np.inf)
    raw = np.exp(elpd - elpd.max())
    return raw / raw.sum()


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
    usable = np.flatnonzero(_usable_columns(lpd))
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
