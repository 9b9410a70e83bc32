"""Choosing the next experiment size (Sections 2.4 and 3.7).

The paper's criterion, Eq. (14), is the Akaike-weighted variance of the
laws' predictions at a candidate size: the between-model part of Eq. (9).
It ignores what an experiment costs and how noisy its result would be.
:func:`expected_information_gain` replaces it with the mutual information
between the observed gain and the identity of the true law, and
:func:`cost` prices a run with the paper's own figures.
"""

from __future__ import annotations

import numpy as np

from .averaging import model_average
from .checks import check_sizes
from .fitting import FitSet

__all__ = ["information", "expected_information_gain", "cost", "cost_exponent", "CANDIDATES"]

#: Candidate sizes (billions of parameters) from 14B up to 1T.
CANDIDATES = (14.0, 20.0, 32.0, 50.0, 70.0, 100.0, 140.0, 200.0, 300.0, 405.0, 600.0, 1000.0)


def information(fits: FitSet, candidates=CANDIDATES, rule: str = "aic") -> np.ndarray:
    """Eq. (14): sum_m w_m (Delta_m(N) - Delta_avg(N))^2 at each candidate size (pp^2)."""
    return model_average(fits, check_sizes(candidates, "candidate sizes"), rule).between_sd ** 2


def _normal_entropy(var):
    return 0.5 * np.log(2.0 * np.pi * np.e * var)


def expected_information_gain(fits: FitSet, candidates=CANDIDATES, noise_sd: float = 1.0,
                              rule: str = "aic", points: int = 4001) -> np.ndarray:
    """Expected information (bits) an experiment at each candidate gives about which law holds.

    Under law m, with prior probability its Akaike weight w_m, the gain
    measured at N is Gaussian with the law's prediction as mean and variance
    sigma_m(N)^2 + noise_sd^2 (the law's own parameter uncertainty plus the
    measurement noise).  The expected information gain is the mutual
    information I(M; y) = H(y) - sum_m w_m H(y | m), computed by quadrature
    on ``points`` nodes.  It is at most the entropy of the weights.
    """
    if not (np.isfinite(noise_sd) and noise_sd >= 0):
        raise ValueError(f"noise_sd must be finite and >= 0, got {noise_sd!r}")
    avg = model_average(fits, check_sizes(candidates, "candidate sizes"), rule)
    w = avg.weights[:, None]
    var = avg.sds**2 + noise_sd**2
    if np.any(var <= 0):
        raise ValueError("a law predicts with zero variance and noise_sd is 0: the information is unbounded")
    sd = np.sqrt(var)
    gains = []
    for j in range(avg.sizes.size):
        lo = np.min(avg.means[:, j] - 10 * sd[:, j])
        hi = np.max(avg.means[:, j] + 10 * sd[:, j])
        y = np.linspace(lo, hi, points)
        dens = np.exp(-0.5 * ((y[None, :] - avg.means[:, j, None]) / sd[:, j, None]) ** 2) / (
            np.sqrt(2 * np.pi) * sd[:, j, None])
        mix = np.sum(w * dens, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h_mix = -np.trapezoid(np.where(mix > 0, mix * np.log(mix), 0.0), y)
        h_cond = float(np.sum(w[:, 0] * _normal_entropy(var[:, j])))
        gains.append((h_mix - h_cond) / np.log(2.0))
    return np.array(gains)


def cost_exponent(size_a: float, cost_a: float, size_b: float, cost_b: float) -> float:
    """The exponent g of cost proportional to N^g through two (size, cost) points."""
    return float(np.log(cost_b / cost_a) / np.log(size_b / size_a))


def cost(sizes, reference_size: float, reference_cost: float, exponent: float) -> np.ndarray:
    """Cost of a run at ``sizes``, scaled from a reference run as N^exponent."""
    return reference_cost * (check_sizes(sizes, "sizes") / reference_size) ** exponent
