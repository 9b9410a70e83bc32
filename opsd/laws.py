"""The five candidate scaling laws of Section 2.1, Eqs. (1)-(5).

Each law is defined once, here: its formula, parameter names, bounds (only
where the formula needs them), a data-scaled grid of starting points, its
analytic Jacobian, its LaTeX and its limiting forms.  Every other module (fitting, averaging,
bootstrap, plots, command line) looks laws up in :data:`LAWS`.

Parameters are passed as an array whose last axis has length ``k``; leading
axes broadcast, so one call evaluates a whole batch of fits at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["ScalingLaw", "LAWS", "LAW_NAMES", "get_law"]

Array = np.ndarray


def expit(x) -> Array:
    """The logistic function 1 / (1 + e^-x), accurate in both tails (without importing SciPy).

    With e = exp(-|x|) <= 1, it is 1 / (1 + e) for x >= 0 and e / (1 + e)
    below: no overflow, and no cancellation in either tail.
    """
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0, e) / (1.0 + e)


def _split(params: Array) -> list[Array]:
    """Columns of ``params`` shaped to broadcast against a sizes axis."""
    params = np.asarray(params, dtype=float)
    return [params[..., i, None] for i in range(params.shape[-1])]


@dataclass(frozen=True)
class ScalingLaw:
    """One candidate law Delta(N; theta) with everything a fit needs."""

    name: str
    label: str
    equation: int
    params: tuple[str, ...]
    latex: str
    formula: Callable[[Array, Array], Array]
    jacobian_columns: Callable[[Array, Array], tuple[Array, ...]]
    start_grid: Callable[[Array, Array], Array]
    bounds: tuple[tuple[float, float], ...]
    limit_forms: Callable[[Array], tuple[tuple[str, "ScalingLaw"], ...]] = lambda sizes: ()
    # For laws of the form a g(N; theta): one search axis per shape parameter
    # theta_i, as (an even grid of u, the map u -> theta_i).  With a in closed
    # form, a grid search refined by zooming locates the global optimum
    # without an iterative solver, so it does not depend on rounding.
    shape_axes: Callable[[Array], tuple[tuple[Array, Callable[[Array], Array]], ...]] | None = None
    # Linear in its parameters (Delta = sum_i theta_i x_i(N)): fitted in closed form.
    linear: bool = False

    @property
    def k(self) -> int:
        """Number of fitted parameters."""
        return len(self.params)

    @property
    def noun(self) -> str:
        """The law's name for prose: "power law", "sigmoid law", "sqrt-log law"."""
        words = self.label.lower()
        return words if words.endswith("law") else f"{words} law"

    def __call__(self, sizes, params) -> Array:
        """Delta(N) at ``sizes`` (shape (n,)) for ``params`` (shape (..., k))."""
        return self.formula(np.asarray(sizes, dtype=float), params)

    def jacobian(self, sizes, params) -> Array:
        """d Delta / d theta, shape (..., n, k)."""
        sizes = np.asarray(sizes, dtype=float)
        params = np.asarray(params, dtype=float)
        cols = self.jacobian_columns(sizes, params)
        shape = params.shape[:-1] + sizes.shape
        return np.stack([np.broadcast_to(c, shape) for c in cols], axis=-1)

    def starts(self, sizes, gains) -> Array:
        """Starting points, shape (S, k), scaled to the data."""
        return np.atleast_2d(
            self.start_grid(np.asarray(sizes, float), np.asarray(gains, float))
        )

    def limits(self, sizes) -> tuple[tuple[str, "ScalingLaw"], ...]:
        """The forms this law tends to as its parameters diverge, for data at ``sizes``.

        Each is ``(words, form)``: how the parameters run off, and the
        limiting curve as a law of its own with fewer parameters.  A fit
        whose chi^2 keeps falling towards the edge of the parameter space
        is best described by one of these (see :mod:`opsd.fitting`).
        """
        return self.limit_forms(np.unique(np.asarray(sizes, float)))

    def __repr__(self) -> str:
        return f"ScalingLaw({self.name!r}, Eq. ({self.equation}), params={self.params})"


def _amplitude(gains: Array) -> float:
    """A scale for the amplitude parameter that is never zero."""
    return float(np.max(np.abs(gains))) or 1.0


def _linear(name: str, label: str, params: tuple[str, ...], latex: str, columns) -> ScalingLaw:
    """A law linear in its parameters, Delta = sum_i theta_i x_i(N), from its columns x_i."""

    def formula(n, p):
        return sum(c * x for c, x in zip(_split(p), columns(n)))

    def jacobian(n, p):
        return tuple(columns(n))

    def starts(n, y):
        return np.zeros((1, len(params)))

    return ScalingLaw(name, label, 0, params, latex, formula, jacobian, starts, ((-np.inf, np.inf),) * len(params),
                      linear=True)


_CONSTANT = _linear("constant", "Constant", ("a",), r"\Delta(N) = a", lambda n: [np.ones_like(n)])
_PROPORTIONAL = _linear("proportional", "Straight line", ("s",), r"\Delta(N) = s N", lambda n: [n])


def _step(up: bool, threshold: float) -> ScalingLaw:
    """A step of height a at N = ``threshold``: 0 below and a above (``up``), or
    the reverse; a size exactly at the threshold gets a/2, the sigmoid's value
    at its centre."""

    def column(n):
        side = (n > threshold) if up else (n < threshold)
        return [side + 0.5 * (n == threshold)]

    sign = ">" if up else "<"
    return _linear(f"step_{'up' if up else 'down'}", "Step", ("a",),
                   rf"\Delta(N) = a\,[N {sign} {threshold:.3g}]", column)


# Eq. (1): Delta = a N^b
def _power(n, p):
    a, b = _split(p)
    return a * n**b


def _power_jac(n, p):
    a, b = _split(p)
    nb = n**b
    return nb, a * nb * np.log(n)


def _power_starts(n, y):
    top = y[np.argmax(n)] or _amplitude(y)
    return np.array([[top / n.max() ** b, b] for b in (0.25, 0.5, 1.0)])


# Eq. (2): Delta = a ln N + c
def _log(n, p):
    a, c = _split(p)
    return a * np.log(n) + c


def _log_jac(n, p):
    ln = np.log(n)
    return ln, np.ones_like(ln)


def _log_starts(n, y):
    return np.array([[0.0, float(np.mean(y))]])


# Eq. (3): Delta = a (1 - exp(-N / N0))
def _saturating(n, p):
    a, n0 = _split(p)
    return a * -np.expm1(-n / n0)


def _saturating_jac(n, p):
    a, n0 = _split(p)
    e = np.exp(-n / n0)
    return -np.expm1(-n / n0), -a * e * n / n0**2


def _saturating_starts(n, y):
    nmax = n.max()
    rows = []
    for scale in (0.25, 1.0, 4.0):
        n0 = scale * nmax
        rows.append([y[np.argmax(n)] / -np.expm1(-nmax / n0) or _amplitude(y), n0])
    return np.array(rows)


# Eq. (4): Delta = a / (1 + exp(-b (ln N - c)))
def _sigmoid(n, p):
    a, b, c = _split(p)
    return a * expit(b * (np.log(n) - c))


def _sigmoid_jac(n, p):
    a, b, c = _split(p)
    x = np.log(n) - c
    s = expit(b * x)
    ds = s * expit(-b * x)  # not s (1 - s), which loses every digit as s -> 1
    return s, a * ds * x, -a * b * ds


def _sigmoid_starts(n, y):
    ln = np.log(n)
    top = _amplitude(y)
    rows = []
    # Centres far beyond the data too: some fits have a shallow optimum there.
    for c in (np.median(ln), ln.max(), ln.max() + 2.0, ln.max() + 5.0, ln.max() + 9.0):
        for b in (1.0, 2.0):
            rows.append([top / expit(b * (ln.max() - c)), b, c])
    return np.array(rows)


# Eq. (5): Delta = a sqrt(ln(N + 1)) + b ln(N + 1) + c
def _sqrt_log(n, p):
    a, b, c = _split(p)
    ln1 = np.log1p(n)
    return a * np.sqrt(ln1) + b * ln1 + c


def _sqrt_log_jac(n, p):
    ln1 = np.log1p(n)
    return np.sqrt(ln1), ln1, np.ones_like(ln1)


def _sqrt_log_starts(n, y):
    return np.array([[0.0, 0.0, float(np.mean(y))]])


_FREE = (-np.inf, np.inf)

POWER_LAW = ScalingLaw(
    "power_law", "Power law", 1, ("a", "b"),
    r"\Delta(N) = a \cdot N^{b}",
    _power, _power_jac, _power_starts, (_FREE, _FREE),
    shape_axes=lambda sizes: ((np.arange(-3.0, 3.0001, 0.05), _identity),),
)
LOGARITHMIC = ScalingLaw(
    "logarithmic", "Logarithmic", 2, ("a", "c"),
    r"\Delta(N) = a \cdot \ln N + c",
    _log, _log_jac, _log_starts, (_FREE, _FREE), linear=True,
)


def _saturating_limits(sizes):
    return (
        ("N0 -> 0: a constant a", _CONSTANT),
        ("N0 -> infinity with a/N0 fixed: a straight line through the origin, s N", _PROPORTIONAL),
    )


def _identity(u):
    return u


def _sigmoid_axes(sizes):
    """Slopes of both signs (b = sinh u) and centres from below the data to far beyond it.

    Centres reach 15 units of ln N beyond the largest size, where a shallow
    optimum can lie; past that the curve is the power-law limit.
    """
    ln = np.log(sizes)
    return ((np.arange(-3.0, 3.0001, 0.2), np.sinh),
            (np.arange(ln.min() - 3.0, ln.max() + 15.0001, 0.4), _identity))


def _sigmoid_limits(sizes):
    forms = [
        ("c -> +infinity (b > 0) or -infinity (b < 0): a power law A N^b", POWER_LAW),
        ("b -> 0 with a b fixed: a logarithmic law", LOGARITHMIC),
        ("c -> -infinity (b > 0) or +infinity (b < 0): a constant a", _CONSTANT),
    ]
    gaps = [np.sqrt(lo * hi) for lo, hi in zip(sizes[:-1], sizes[1:])]
    for up in (True, False):
        direction = "+infinity" if up else "-infinity"
        shape = "from 0 to a" if up else "from a to 0"
        for threshold in gaps:
            forms.append((f"b -> {direction}: a step {shape} at {threshold:.3g}B", _step(up, threshold)))
        for size in sizes:
            forms.append((f"b -> {direction} with c = ln {size:g}: a step {shape} through a/2 at {size:g}B",
                          _step(up, size)))
    return tuple(forms)


LAWS: dict[str, ScalingLaw] = {
    law.name: law
    for law in (
        POWER_LAW,
        LOGARITHMIC,
        ScalingLaw(
            "saturating", "Saturating", 3, ("a", "N0"),
            r"\Delta(N) = a \left(1 - e^{-N/N_0}\right)",
            # N0 <= 0 turns the saturating curve into an exploding one.
            _saturating, _saturating_jac, _saturating_starts, (_FREE, (0.0, np.inf)), _saturating_limits,
            lambda sizes: ((np.arange(np.log(sizes.min() / 100), np.log(sizes.max() * 100) + 1e-9, 0.05), np.exp),),
        ),
        ScalingLaw(
            "sigmoid", "Sigmoid", 4, ("a", "b", "c"),
            r"\Delta(N) = \frac{a}{1 + e^{-b(\ln N - c)}}",
            _sigmoid, _sigmoid_jac, _sigmoid_starts, (_FREE, _FREE, _FREE), _sigmoid_limits,
            _sigmoid_axes,
        ),
        ScalingLaw(
            "sqrt_log", "Sqrt-log", 5, ("a", "b", "c"),
            r"\Delta(N) = a\sqrt{\ln(N+1)} + b \ln(N+1) + c",
            _sqrt_log, _sqrt_log_jac, _sqrt_log_starts, (_FREE, _FREE, _FREE),
        ),
    )
}

LAW_NAMES: tuple[str, ...] = tuple(LAWS)


def get_law(name: str) -> ScalingLaw:
    """The law called ``name``, or a ValueError listing the valid names."""
    try:
        return LAWS[name]
    except KeyError:
        raise ValueError(
            f"unknown scaling law {name!r}; expected one of {', '.join(LAW_NAMES)}"
        ) from None
