"""The three-mechanism decomposition of the OPSD gain (Sections 2.2 and 3.4).

    Delta(N) = Delta_DM(N) + Delta_DK(N) + Delta_Reg(N)          Eq. (10)
    Delta_DM(N)  = alpha N^beta,  beta < 1                        Eq. (11)
    Delta_DK(N)  = gamma (1 - exp(-N / N_char))                   Eq. (12)
    Delta_Reg(N) = delta ln(1 + eta N)                            Eq. (13)

All six parameters are fitted jointly by weighted least squares with
L-BFGS-B under bounds, from many starting points, as the paper describes.
With six parameters and five observations the fit is not identified: many
parameter vectors fit the data exactly.  :func:`fit_decomposition` therefore
keeps every local solution, and :func:`profile` fixes one parameter at a
time, so that the chapter can show the whole family instead of one member.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._threads import one_thread
from .data import GainData

__all__ = ["PARAMS", "COMPONENTS", "BOUNDS", "components", "total", "jacobian", "Decomposition",
           "DecompositionFits", "fit_decomposition", "profile", "fit_component"]

PARAMS = ("alpha", "beta", "gamma", "N_char", "delta", "eta")
COMPONENTS = ("distribution_match", "dark_knowledge", "regularisation")
COMPONENT_LABELS = {"distribution_match": "Distribution match", "dark_knowledge": "Dark knowledge",
                    "regularisation": "Regularisation"}
LATEX = {"alpha": r"\alpha", "beta": r"\beta", "gamma": r"\gamma", "N_char": r"N_{\mathrm{char}}",
         "delta": r"\delta", "eta": r"\eta"}

#: Bounds of the joint fit: beta < 1 (Eq. (11)), every amplitude and scale
#: non-negative or positive.  Finite upper bounds give the random starts a
#: range; they lie far outside anything the data support.
BOUNDS = {
    "alpha": (0.0, 100.0),
    "beta": (0.0, 1.0 - 1e-9),
    "gamma": (0.0, 100.0),
    "N_char": (1e-3, 1e4),
    "delta": (0.0, 100.0),
    "eta": (1e-4, 1e4),
}
# Parameters whose random starts are drawn log-uniformly (scales spanning decades).
_LOG_SCALE = {"alpha", "gamma", "N_char", "delta", "eta"}


def components(sizes, params) -> dict[str, np.ndarray]:
    """Eqs. (11)-(13) at ``sizes`` for ``params`` (alpha, beta, gamma, N_char, delta, eta)."""
    n = np.asarray(sizes, float)
    alpha, beta, gamma, n_char, delta, eta = np.asarray(params, float)
    return {
        "distribution_match": alpha * n**beta,
        "dark_knowledge": gamma * -np.expm1(-n / n_char),
        "regularisation": delta * np.log1p(eta * n),
    }


def total(sizes, params) -> np.ndarray:
    """Eq. (10): the sum of the three components."""
    return sum(components(sizes, params).values())


def jacobian(sizes, params) -> np.ndarray:
    """d total / d params, shape (n, 6)."""
    n = np.asarray(sizes, float)
    alpha, beta, gamma, n_char, delta, eta = np.asarray(params, float)
    nb = n**beta
    e = np.exp(-n / n_char)
    return np.stack([
        nb, alpha * nb * np.log(n),
        -np.expm1(-n / n_char), -gamma * e * n / n_char**2,
        np.log1p(eta * n), delta * n / (1.0 + eta * n),
    ], axis=-1)


@dataclass(frozen=True, repr=False)
class Decomposition:
    """One parameter vector of Eqs. (10)-(13) and its fit to the data."""

    params: np.ndarray
    chi2: float
    converged: bool

    @property
    def param_dict(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(PARAMS, self.params)}

    def components(self, sizes) -> dict[str, np.ndarray]:
        return components(sizes, self.params)

    def total(self, sizes) -> np.ndarray:
        return total(sizes, self.params)

    def fractions(self, sizes) -> dict[str, np.ndarray]:
        """Share of the total that each component contributes."""
        parts = self.components(sizes)
        whole = sum(parts.values())
        with np.errstate(invalid="ignore", divide="ignore"):
            return {name: part / whole for name, part in parts.items()}

    def table(self, sizes=(0.5, 1.0, 8.0, 70.0, 405.0)):
        """Table 2 of the paper: each component and the total at ``sizes`` (pp)."""
        import pandas as pd

        parts = self.components(sizes)
        frame = pd.DataFrame({COMPONENT_LABELS[k]: v for k, v in parts.items()},
                             index=pd.Index(np.asarray(sizes, float), name="size_b"))
        frame["Total"] = frame.sum(axis=1)
        return frame

    def active_bounds(self, rtol: float = 1e-6) -> tuple[str, ...]:
        """The parameters that sit on a bound of :data:`BOUNDS`, as "name = value (lower/upper bound)"."""
        out = []
        for name, value in self.param_dict.items():
            lo, hi = BOUNDS[name]
            for side, bound in (("lower", lo), ("upper", hi)):
                if abs(value - bound) <= rtol * max(abs(bound), 1.0):
                    out.append(f"{name} = {bound:g} ({side} bound)")
        return tuple(out)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.param_dict.items())
        return f"Decomposition({params}; chi2={self.chi2:.4g}{'' if self.converged else ', FAILED'})"


@dataclass(frozen=True, repr=False)
class DecompositionFits:
    """Every converged local solution of the joint fit, best first."""

    data: GainData
    solutions: tuple[Decomposition, ...]
    n_starts: int
    n_failed: int
    fixed: dict

    @property
    def best(self) -> Decomposition:
        return self.solutions[0]

    def near_best(self, tolerance: float = 1.0) -> tuple[Decomposition, ...]:
        """Solutions whose chi^2 is within ``tolerance`` of the best.

        With the default of 1, these fits differ from the best by less than
        one standard error's worth of misfit: the data cannot tell them apart.
        """
        return tuple(s for s in self.solutions if s.chi2 <= self.best.chi2 + tolerance)

    def ranges(self, sizes=(0.5, 1.0, 8.0, 70.0, 405.0), tolerance: float = 1.0):
        """Table 2 as the ridge it is: each component's and the total's least and greatest value
        at ``sizes`` over the solutions within ``tolerance`` of the best chi^2 (pp)."""
        import pandas as pd

        family = self.near_best(tolerance)
        rows = {}
        for s in family:
            table = s.table(sizes)
            for column in table.columns:
                rows.setdefault(column, []).append(table[column].to_numpy())
        out = {}
        for column, values in rows.items():
            values = np.array(values)
            out[(column, "min")] = values.min(axis=0)
            out[(column, "max")] = values.max(axis=0)
        return pd.DataFrame(out, index=pd.Index(np.asarray(sizes, float), name="size_b"))

    def to_frame(self, sizes=(70.0, 405.0)):
        """One row per solution: chi^2, parameters, totals and distribution-match share at ``sizes``."""
        import pandas as pd

        rows = []
        for s in self.solutions:
            row = {"chi2": s.chi2, **s.param_dict}
            tot, dm = s.total(sizes), s.fractions(sizes)["distribution_match"]
            for size, t, f in zip(sizes, tot, dm):
                row[f"total {size:g}B"] = t
                row[f"DM share {size:g}B"] = f
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"DecompositionFits({len(self.solutions)} solutions from {self.n_starts} starts, "
                f"{self.n_failed} failed; best {self.best!r})")


def _random_starts(rng, count: int, free: list[str]) -> np.ndarray:
    cols = []
    for name in free:
        lo, hi = BOUNDS[name]
        if name in _LOG_SCALE:
            lo = max(lo, 1e-3)
            cols.append(np.exp(rng.uniform(np.log(lo), np.log(hi if hi < 1e3 else 1e3), count)))
        else:
            cols.append(rng.uniform(lo, hi, count))
    return np.column_stack(cols)


@one_thread()
def fit_decomposition(data: GainData, n_starts: int = 200, seed: int = 0, fixed: dict | None = None,
                      distinct: float = 1e-6) -> DecompositionFits:
    """Joint weighted fit of Eqs. (10)-(13) by L-BFGS-B from ``n_starts`` random starts.

    ``fixed`` holds parameters pinned to given values (the rest are fitted).
    Starts are drawn (seeded) uniformly, or log-uniformly for scales, within
    :data:`BOUNDS`.  Every start that ends at a finite chi^2 is kept, also
    when L-BFGS-B stops because its line search can no longer improve (on
    the flat ridge of equally good fits it often does, at a point whose
    chi^2 is as good as any); solutions whose parameters agree to
    ``distinct`` (relative) are merged.  Starts that end at a non-finite
    chi^2 are counted in ``n_failed``.
    """
    from scipy.optimize import minimize

    if not data.sigma_given:
        raise ValueError("the decomposition fit is weighted by the standard errors: add an 'se' column")
    fixed = dict(fixed or {})
    unknown = set(fixed) - set(PARAMS)
    if unknown:
        raise ValueError(f"unknown decomposition parameter(s) {sorted(unknown)}; expected {PARAMS}")
    for name, value in fixed.items():
        lo, hi = BOUNDS[name]
        if not lo <= value <= hi:
            raise ValueError(f"{name}={value} is outside its bounds [{lo}, {hi}]")
    free = [p for p in PARAMS if p not in fixed]
    idx = [PARAMS.index(p) for p in free]
    weights = 1.0 / data.se**2

    def full(x):
        p = np.array([fixed.get(name, 0.0) for name in PARAMS])
        p[idx] = x
        return p

    def objective(x):
        p = full(x)
        resid = data.gains - total(data.sizes, p)
        grad = -2.0 * (weights * resid) @ jacobian(data.sizes, p)
        return float(np.sum(weights * resid**2)), grad[idx]

    rng = np.random.default_rng(seed)
    solutions, failed = [], 0
    bounds = [BOUNDS[name] for name in free]
    with np.errstate(all="ignore"):
        for start in _random_starts(rng, n_starts, free):
            res = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
            if not (np.isfinite(res.fun) and np.all(np.isfinite(res.x))):
                failed += 1
                continue
            solutions.append(Decomposition(full(res.x), float(res.fun), True))
    if not solutions:
        raise ValueError(f"no start of the decomposition fit reached a finite chi^2 ({n_starts} tried)")
    solutions.sort(key=lambda s: s.chi2)
    merged: list[Decomposition] = []
    for s in solutions:
        if not any(np.allclose(s.params, m.params, rtol=distinct, atol=1e-9) for m in merged):
            merged.append(s)
    return DecompositionFits(data, tuple(merged), n_starts, failed, fixed)


def profile(data: GainData, name: str, values, n_starts: int = 40, seed: int = 0) -> list[Decomposition]:
    """Best fit with ``name`` fixed at each of ``values`` (a profile of chi^2)."""
    return [fit_decomposition(data, n_starts, seed, fixed={name: float(v)}).best for v in values]


def fit_component(sizes, values, component: str, fixed: dict) -> dict:
    """Least-squares amplitude of one component given its shape parameter.

    Used to infer the paper's alpha (or gamma) from a printed column of
    Table 2 when the paper states beta (or N_char) but not the amplitude.
    """
    sizes = np.asarray(sizes, float)
    values = np.asarray(values, float)
    unit = np.array([1.0, fixed.get("beta", 0.5), 1.0, fixed.get("N_char", 1.0), 1.0, fixed.get("eta", 1.0)])
    shape = components(sizes, unit)[component]
    amplitude = float(shape @ values / (shape @ shape))
    key = {"distribution_match": "alpha", "dark_knowledge": "gamma", "regularisation": "delta"}[component]
    return {key: amplitude, "rms_misfit": float(np.sqrt(np.mean((amplitude * shape - values) ** 2)))}
