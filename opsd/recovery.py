"""The standard errors behind the paper's fits, recovered from its printed numbers.

The paper prints chi^2 per law (Table 1) and 70B predictions (Section 3.2)
but not the standard errors its weighted fits used.  Which standard errors
make the fits print the paper's numbers?  :func:`recover_se` solves for
them, :func:`se_grid_search` checks every vector on a grid, and
:func:`error_models` compares simpler error models.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .claims import digit_errors, input_claims
from .data import GainData
from .laws import LAWS
from .solver import multistart

__all__ = ["SeRecovery", "recover_se", "se_grid_search", "error_models"]


def _batched_numbers(data: GainData, se_rows, claims) -> np.ndarray:
    """Computed value of every input claim for every row of standard errors (B, n)."""
    se_rows = np.atleast_2d(se_rows)
    gains = np.broadcast_to(data.gains, se_rows.shape)
    out = np.full((len(se_rows), len(claims)), np.nan)
    cache = {}
    for j, (_, row) in enumerate(claims.iterrows()):
        law = LAWS[row["law"]]
        if law.name not in cache:
            cache[law.name] = multistart(law, data.sizes, gains, se_rows, law.starts(data.sizes, data.gains))
        params, chi2, ok = cache[law.name]
        value = chi2 if row["quantity"] == "chi2" else law([row["size_b"]], params)[:, 0]
        out[:, j] = np.where(ok, value, np.nan)
    return out


@dataclass(frozen=True)
class SeRecovery:
    """Standard errors recovered from the printed chi^2 and 70B predictions."""

    se: np.ndarray
    rounded: np.ndarray
    z: np.ndarray
    z_rounded: np.ndarray
    claims: object

    @property
    def reproduced(self) -> int:
        """How many input claims the rounded errors reproduce to the printed digit."""
        return int(np.sum(np.abs(self.z_rounded) <= 1.0))


def recover_se(data: GainData, claims, n_starts: int = 4, seed: int = 0, decimals: int = 1) -> SeRecovery:
    """Solve for the standard errors that make the fits print the paper's numbers.

    Least squares on the :func:`digit_errors` of the printed chi^2 and 70B
    predictions over log(se), from ``n_starts`` random starting vectors drawn
    uniformly in [0.1, 1] (seeded; the answer is never fed in), then rounds
    the best solution to ``decimals`` places.
    """
    from scipy.optimize import least_squares

    inputs = input_claims(claims)

    def residuals(log_se):
        return np.nan_to_num(digit_errors(_batched_numbers(data, np.exp(log_se), inputs)[0], inputs), nan=1e6)

    def jacobian(log_se, step=1e-6):
        # All forward differences in one batch of fits instead of one fit per coordinate.
        rows = np.vstack([log_se, log_se + step * np.eye(len(log_se))])
        z = np.nan_to_num(digit_errors(_batched_numbers(data, np.exp(rows), inputs), inputs), nan=1e6)
        return ((z[1:] - z[0]) / step).T

    rng = np.random.default_rng(seed)
    best = None
    for start in np.log(rng.uniform(0.1, 1.0, size=(n_starts, data.n))):
        res = least_squares(residuals, start, jac=jacobian, x_scale=1.0)
        if best is None or res.cost < best.cost:
            best = res
    se = np.exp(best.x)
    rounded = np.round(se, decimals)
    z = digit_errors(_batched_numbers(data, se, inputs)[0], inputs)
    z_rounded = digit_errors(_batched_numbers(data, rounded, inputs)[0], inputs)
    return SeRecovery(se=se, rounded=rounded, z=z, z_rounded=z_rounded, claims=inputs)


def se_grid_search(data: GainData, claims, values=np.round(np.arange(0.1, 1.01, 0.1), 1)) -> np.ndarray:
    """Every vector of standard errors on a grid that reproduces all printed input digits.

    Laws are checked one at a time, so the costly three-parameter fits run
    only on the vectors the two-parameter laws left standing.
    """
    inputs = input_claims(claims)
    candidates = np.array(list(itertools.product(values, repeat=data.n)))
    for law in dict.fromkeys(inputs["law"]):
        rows = inputs[inputs["law"] == law]
        z = digit_errors(_batched_numbers(data, candidates, rows), rows)
        candidates = candidates[np.all(np.abs(z) <= 1.0, axis=1)]
        if len(candidates) == 0:
            break
    return candidates


def error_models(data: GainData, claims, recovered: np.ndarray):
    """Best-scaled constant and proportional error models beside ``recovered``.

    Each simple model has one free scale, chosen to minimise the digit
    errors of the input claims.  Returns two DataFrames with one column per
    model: the standard errors at each size, and the digit error z of each
    input claim.
    """
    import pandas as pd
    from scipy.optimize import minimize_scalar

    inputs = input_claims(claims)

    def z_of(se):
        return digit_errors(_batched_numbers(data, se, inputs)[0], inputs)

    shapes = {"constant": np.ones(data.n), "proportional to the gain": data.gains / data.gains.mean()}
    se_by_model = {}
    for name, shape in shapes.items():
        def misfit(log_scale, shape=shape):
            return float(np.sum(np.nan_to_num(z_of(np.exp(log_scale) * shape), nan=1e6) ** 2))

        res = minimize_scalar(misfit, bounds=(np.log(0.01), np.log(10.0)), method="bounded")
        se_by_model[name] = np.exp(res.x) * shape
    se_by_model["recovered"] = np.asarray(recovered, float)
    se_table = pd.DataFrame(se_by_model, index=pd.Index(data.sizes, name="size_b"))
    z_table = pd.DataFrame({name: z_of(se) for name, se in se_by_model.items()}, index=inputs.index)
    return se_table, z_table
