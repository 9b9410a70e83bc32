"""The batched Levenberg-Marquardt solver behind every fit (Section 2.1, Eq. (6)).

A Levenberg-Marquardt iteration vectorised over a batch of independent
weighted least-squares problems (rows), using each law's analytic Jacobian.
A single fit is a batch of its starting points; a bootstrap is a batch of
resamples times starting points.  For laws of the form a g(N; theta) a
global search over the shape parameters, with the amplitude in closed form,
finds the optimum that the iteration then polishes, so which local optimum
is reported does not depend on where the iteration happens to stop.

Standard errors are absolute: the parameter covariance is ``(J^T W J)^-1``
with ``W = diag(1/se^2)``.  The solver knows laws and weighted residuals;
what a fit means (limits, criteria, weights) is decided in
:mod:`opsd.fitting` and :mod:`opsd.weights`.
"""

from __future__ import annotations

import numpy as np

from ._threads import one_thread
from .laws import ScalingLaw

__all__ = ["solve_batch", "linear_fit", "multistart", "refit", "predict_batch", "shape_search", "polish_from_search",
           "covariance", "condition", "profile_chi2", "MAX_CONDITION"]

# A fit has converged when the Gauss-Newton model predicts that no step can
# lower chi^2 by more than this (relative to max(chi^2, 1)): the parameters
# are then within ~1e-8 standard errors of the stationary point.
DECREMENT_TOL = 1e-16
STALL_TOL = 1e-10
MAX_ITER = 100
# Iterations of the solver's polish after a law's global shape search.
GRID_ITER = 200
# Fits whose scaled normal matrix is worse conditioned than this have no
# linearised standard deviation (rounding decides even its sign): it is
# reported as infinite.
MAX_CONDITION = 1e10


def _normal_equations(law, sizes, gains, weights, params):
    """chi^2, J^T W J and J^T W r for every row of ``params``."""
    resid = gains - law(sizes, params)
    jac = law.jacobian(sizes, params)
    wjac = jac * weights[..., :, None]
    chi2 = np.sum(weights * resid**2, axis=-1)
    wjac_t = np.swapaxes(wjac, -1, -2)
    hess = wjac_t @ jac
    grad = (wjac_t @ resid[..., None])[..., 0]
    return chi2, hess, grad


def _cross(a, b):
    """Cross products of (B, 3) rows: the products np.cross forms, without its per-call overhead."""
    return np.stack([a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1], a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
                     a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]], axis=-1)


def _solve(matrix, rhs):
    """Batched solve of (B, k, k) systems; singular systems give non-finite rows.

    The laws have two or three parameters, for which the explicit inverse
    (adjugate over determinant) is many times faster than a LAPACK call per
    row and needs no exception handling.
    """
    k = rhs.shape[-1]
    m = matrix
    if k == 2:
        det = m[:, 0, 0] * m[:, 1, 1] - m[:, 0, 1] * m[:, 1, 0]
        x0 = m[:, 1, 1] * rhs[:, 0] - m[:, 0, 1] * rhs[:, 1]
        x1 = m[:, 0, 0] * rhs[:, 1] - m[:, 1, 0] * rhs[:, 0]
        return np.stack([x0, x1], axis=-1) / det[:, None]
    if k == 3:
        r0, r1, r2 = m[:, 0], m[:, 1], m[:, 2]
        # Columns of the inverse are the cofactor rows (cross products) / det.
        c0, c1, c2 = _cross(r1, r2), _cross(r2, r0), _cross(r0, r1)
        det = np.sum(r0 * c0, axis=-1)
        return (c0 * rhs[:, :1] + c1 * rhs[:, 1:2] + c2 * rhs[:, 2:]) / det[:, None]
    return np.linalg.solve(matrix, rhs[..., None])[..., 0]


def _keep_inside(law: ScalingLaw, params, step):
    """Shorten steps so that parameters stay strictly inside the law's bounds.

    A step may go at most 90% of the way to a bound (the fraction-to-boundary
    rule of interior-point methods), so an open bound such as N0 > 0 is
    never touched.
    """
    scale = np.ones(len(params))
    for i, (lo, hi) in enumerate(law.bounds):
        if np.isfinite(lo):
            going = step[:, i] < 0
            room = np.where(going, 0.9 * (params[:, i] - lo) / np.where(going, -step[:, i], 1.0), np.inf)
            scale = np.minimum(scale, room)
        if np.isfinite(hi):
            going = step[:, i] > 0
            room = np.where(going, 0.9 * (hi - params[:, i]) / np.where(going, step[:, i], 1.0), np.inf)
            scale = np.minimum(scale, room)
    return step * scale[:, None]


@one_thread()
def solve_batch(law: ScalingLaw, sizes, gains, se, starts, max_iter: int = MAX_ITER):
    """Levenberg-Marquardt on a batch of independent weighted fits.

    Parameters
    ----------
    law : the scaling law (Eqs. (1)-(5)).
    sizes : (n,) model sizes.
    gains : (B, n) observed gains, one row per problem.
    se : (n,) standard errors shared by all rows, or (B, n); absolute.
    starts : (B, k) starting parameters.

    Returns
    -------
    params (B, k), chi2 (B,), converged (B,) boolean.  A row that does not
    pass the convergence test within ``max_iter`` iterations, that stalls
    (no step lowers chi^2 even with the largest damping), or whose numbers
    become non-finite, is returned with ``converged=False``.  The common
    case of a row that never converges is a fit with no finite optimum,
    whose parameters crawl off towards a limit of the law (the sigmoid
    becoming a power law as c grows without bound).
    """
    sizes = np.asarray(sizes, float)
    y = np.atleast_2d(np.asarray(gains, float))
    w = 1.0 / np.asarray(se, float) ** 2
    batched_w = w.ndim == 2
    p = np.array(starts, dtype=float).reshape(len(y), law.k)
    out_params = p.copy()
    out_chi2 = np.full(len(y), np.inf)
    converged = np.zeros(len(y), dtype=bool)
    rows = np.arange(len(y))
    lam = np.full(len(y), 1e-3)
    eye = np.eye(law.k)

    def retire(keep, done=None):
        """Store finished rows and shrink the working arrays to the rest."""
        nonlocal rows, p, y, w, lam
        gone = ~keep
        out_params[rows[gone]] = p[gone]
        out_chi2[rows[gone]] = c[gone]
        if done is not None:
            converged[rows[done]] = True
        rows, p, y, lam = rows[keep], p[keep], y[keep], lam[keep]
        if batched_w:
            w = w[keep]

    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            if rows.size == 0:
                break
            c, hess, grad = _normal_equations(law, sizes, y, w, p)
            # Stationary: even the full Gauss-Newton step would gain almost nothing.
            decrement = np.sum(grad * _solve(hess, grad), axis=-1)
            done = np.isfinite(decrement) & (np.abs(decrement) <= DECREMENT_TOL * np.maximum(c, 1.0))
            keep = ~done & np.isfinite(c)
            retire(keep, done)
            c, hess, grad, decrement = c[keep], hess[keep], grad[keep], decrement[keep]
            if rows.size == 0:
                break
            diag = np.einsum("bii->bi", hess)
            damping = lam[:, None] * (diag + 1e-12 * diag.max(axis=1, keepdims=True))
            step = _keep_inside(law, p, _solve(hess + damping[:, :, None] * eye, grad))
            trial = p + step
            c_new = np.sum(w * (y - law(sizes, trial)) ** 2, axis=-1)
            better = np.isfinite(c_new) & (c_new < c)
            p = np.where(better[:, None], trial, p)
            c = np.where(better, c_new, c)
            lam = np.where(better, lam * 0.3, lam * 10.0)
            # Damping this large means even a tiny gradient step cannot lower
            # chi^2.  Where the Gauss-Newton model agrees that little is left
            # to gain, rounding has stopped the row at its minimum; otherwise
            # it has stalled and failed.
            stalled = lam >= 1e20
            retire(~stalled, stalled & (decrement <= STALL_TOL * np.maximum(c, 1.0)))
        else:
            if rows.size:
                c = np.sum(w * (y - law(sizes, p)) ** 2, axis=-1)
                retire(np.zeros(rows.size, dtype=bool))
    finite = np.all(np.isfinite(out_params), axis=1) & np.isfinite(out_chi2)
    return out_params, out_chi2, converged & finite


@one_thread()
def linear_fit(law: ScalingLaw, sizes, gains, se):
    """The weighted least-squares fit of a law linear in its parameters (``law.linear``) to every row.

    The normal equations are solved directly; returns params (B, k), chi2
    (B,) and ok (B,), as :func:`multistart` does (not ok where the columns
    are collinear at ``sizes``).
    """
    gains = np.atleast_2d(np.asarray(gains, float))
    w = 1.0 / np.broadcast_to(np.asarray(se, float), gains.shape) ** 2
    cols = law.jacobian(sizes, np.zeros(law.k))  # (n, k): the columns x_i(N)
    with np.errstate(all="ignore"):
        hess = np.einsum("ni,bn,nj->bij", cols, w, cols)
        params = _solve(hess, (w * gains) @ cols)
        chi2 = np.sum(w * (gains - params @ cols.T) ** 2, axis=-1)
    ok = np.all(np.isfinite(params), axis=1) & np.isfinite(chi2)
    return params, np.where(ok, chi2, np.inf), ok


@one_thread()
def multistart(law: ScalingLaw, sizes, gains, se, starts):
    """Fit every row of ``gains`` from every start; keep the best converged one.

    ``starts`` has shape (S, k) (shared by all rows) or (B, S, k).
    Returns params (B, k), chi2 (B,), converged (B,).
    """
    gains = np.atleast_2d(np.asarray(gains, float))
    starts = np.asarray(starts, float)
    if starts.ndim == 2:
        starts = np.broadcast_to(starts, (len(gains),) + starts.shape)
    n_rows, n_starts, _ = starts.shape
    se = np.asarray(se, float)
    rep_se = np.repeat(se, n_starts, axis=0) if se.ndim == 2 else se
    params, chi2, ok = solve_batch(
        law, sizes, np.repeat(gains, n_starts, axis=0), rep_se, starts.reshape(-1, law.k)
    )
    params = params.reshape(n_rows, n_starts, law.k)
    ranked = np.where(ok, chi2, np.inf).reshape(n_rows, n_starts)
    best = np.argmin(ranked, axis=1)
    rows = np.arange(n_rows)
    found = np.isfinite(ranked[rows, best])
    return params[rows, best], ranked[rows, best], found


@one_thread()
def refit(law: ScalingLaw, sizes, gains, se, warm=None, typical=None):
    """Fit ``law`` to every row of ``gains``: from ``warm`` (a fit to similar
    data) first, then, for the rows where that fails, from every point of the
    law's starting grid (keeping the best).  Without ``warm`` every row uses
    the grid.  The grid is scaled to ``typical`` gains (default: the first
    row).  Returns params (B, k), chi2 (B,), converged (B,).
    """
    gains = np.atleast_2d(np.asarray(gains, float))
    grid = law.starts(sizes, gains[0] if typical is None else typical)
    if warm is None or not np.all(np.isfinite(warm)):
        return multistart(law, sizes, gains, se, grid)
    params, chi2, ok = solve_batch(law, sizes, gains, se, np.broadcast_to(warm, (len(gains), law.k)))
    retry = np.flatnonzero(~ok)
    if retry.size:
        se = np.asarray(se, float)
        retry_se = se[retry] if se.ndim == 2 else se
        params[retry], chi2[retry], ok[retry] = multistart(law, sizes, gains[retry], retry_se, grid)
    return params, chi2, ok


@one_thread()
def predict_batch(law: ScalingLaw, sizes, se, params, at):
    """Predictions and linearised standard deviations for a batch of fits.

    ``params`` (B, k) are fits to data at ``sizes`` with absolute errors
    ``se`` (n,); returns mean and sd at ``at``, each (B, len(at)), with the
    covariance ``(J^T W J)^-1`` of each fit propagated as in
    :meth:`FitResult.predict`.  Rows with non-finite parameters give NaN.
    """
    at = np.atleast_1d(np.asarray(at, float))
    with np.errstate(all="ignore"):
        jac = law.jacobian(sizes, params)
        wjac = jac / np.asarray(se, float)[..., :, None] ** 2
        hess = np.swapaxes(wjac, -1, -2) @ jac
        grad = law.jacobian(at, params)  # (B, t, k)
        solved = np.stack([_solve(hess, grad[:, j]) for j in range(at.size)], axis=1)
        var = np.sum(grad * solved, axis=-1)
        singular = condition(hess) > MAX_CONDITION
        var = np.where(singular[:, None] | (var < 0), np.inf, var)
        return law(at, params), np.sqrt(var)


def condition(hess) -> np.ndarray:
    """Condition number of each normal matrix after scaling its diagonal to one (inf if not finite)."""
    hess = np.asarray(hess, float)
    hess = hess[None] if hess.ndim == 2 else hess  # one matrix is a batch of one
    with np.errstate(all="ignore"):  # a zero diagonal (a parameter with no effect) is singular: inf below
        scale = np.sqrt(np.abs(np.einsum("bii->bi", hess)))
        scaled = hess / (scale[:, :, None] * scale[:, None, :])
    ok = np.all(np.isfinite(scaled), axis=(1, 2))
    eig = np.linalg.eigvalsh(np.where(ok[:, None, None], scaled, np.eye(hess.shape[-1])))
    with np.errstate(all="ignore"):
        return np.where(ok & (eig[:, 0] > 0), eig[:, -1] / eig[:, 0], np.inf)


def _closed_form(law, sizes, w, wy, theta):
    """Best amplitude and the chi^2 it saves at shape parameters ``theta`` (..., P, k - 1), per row.

    For Delta = a g(N; theta), a = sum w y g / sum w g^2 and chi^2 falls
    from sum w y^2 by (sum w y g)^2 / sum w g^2.
    """
    params = np.concatenate([np.ones(theta.shape[:-1] + (1,)), theta], axis=-1)
    g = law(sizes, params)
    if g.ndim == 2:  # one grid shared by every row
        num, den = wy @ g.T, w @ (g * g).T
    else:
        num, den = np.einsum("bn,bpn->bp", wy, g), np.einsum("bn,bpn->bp", w, g * g)
    saved = np.where(den > 0, num * num / den, -np.inf)
    return num / den, np.where(np.isfinite(saved), saved, -np.inf)


def _zoom(law, sizes, w, wy, theta, best_u, best_saved, best_a, step, free, rounds, zoom):
    """Refine ``best_u`` (B, ..., m) on local grids ``zoom`` times finer per round, along the axes ``free``."""
    offsets = np.arange(-zoom, zoom + 1) / zoom
    local = np.stack(np.meshgrid(*[offsets if i in free else [0.0] for i in range(best_u.shape[-1])],
                                 indexing="ij"), axis=-1).reshape(-1, best_u.shape[-1])
    step = np.asarray(step, float)
    for _ in range(rounds):
        candidates = best_u[..., None, :] + local * step
        shape = candidates.shape
        flat = candidates.reshape(shape[0], -1, shape[-1])
        a, saved = _closed_form(law, sizes, w, wy, theta(flat))
        a, saved = a.reshape(shape[:-1]), saved.reshape(shape[:-1])
        j = np.argmax(saved, axis=-1)[..., None]
        top = np.take_along_axis(saved, j, -1)[..., 0]
        better = top > best_saved
        best_saved = np.where(better, top, best_saved)
        best_a = np.where(better, np.take_along_axis(a, j, -1)[..., 0], best_a)
        best_u = np.where(better[..., None], np.take_along_axis(candidates, j[..., None], -2)[..., 0, :], best_u)
        step = step / zoom
    return best_u, best_saved, best_a


@one_thread()
def shape_search(law, sizes, gains, se, rounds: int = 10, zoom: int = 4):
    """Global search over a law's shape parameters (see ScalingLaw.shape_axes), amplitude in closed form.

    The chi^2 of the shape grid is profiled along its last axis: at every
    value of it the other axes are refined by zooming, so a narrow valley
    between grid points is not missed.  The best profile point is then
    refined along every axis ``rounds`` times, each grid ``zoom`` times finer.
    Returns params (B, k).
    """
    axes = law.shape_axes(sizes)
    maps = [to_theta for _, to_theta in axes]
    m = len(axes)

    def theta(u):
        return np.stack([f(u[..., i]) for i, f in enumerate(maps)], axis=-1)

    w = 1.0 / np.broadcast_to(np.asarray(se, float), gains.shape) ** 2
    wy = w * gains
    step = np.array([u[1] - u[0] for u, _ in axes])
    grid = np.stack(np.meshgrid(*[u for u, _ in axes], indexing="ij"), axis=-1)  # (n_1, ..., n_m, m)
    with np.errstate(all="ignore"):
        # Best point of the grid at every value of the last axis: (B, n_m, m).
        columns = grid.reshape(-1, grid.shape[-2], m)  # (rest, n_m, m)
        best_saved = np.full((len(gains), columns.shape[1]), -np.inf)
        best_u = np.broadcast_to(columns[0], (len(gains),) + columns.shape[1:]).copy()
        best_a = np.zeros_like(best_saved)
        for r in range(columns.shape[0]):
            a, saved = _closed_form(law, sizes, w, wy, theta(columns[r]))
            better = saved > best_saved
            best_saved, best_a = np.where(better, saved, best_saved), np.where(better, a, best_a)
            best_u[better] = np.broadcast_to(columns[r], best_u.shape)[better]
        if m > 1:
            best_u, best_saved, best_a = _zoom(law, sizes, w, wy, theta, best_u, best_saved, best_a, step,
                                               range(m - 1), 3, 3)
        j = np.argmax(best_saved, axis=1)
        rows = np.arange(len(gains))
        best_u, best_saved, best_a = best_u[rows, j], best_saved[rows, j], best_a[rows, j]
        best_u, _, best_a = _zoom(law, sizes, w, wy, theta, best_u, best_saved, best_a, step, range(m), rounds, zoom)
    return np.concatenate([best_a[:, None], theta(best_u)], axis=1)


@one_thread()
def profile_chi2(law, sizes, gains, se, param: str, values, rounds: int = 12, zoom: int = 4) -> np.ndarray:
    """Profile chi^2 of a shape parameter: at each of ``values``, the least chi^2 over the others.

    For a law Delta = a g(N; theta) (one with ``shape_axes``) the amplitude
    is in closed form; any other shape parameter is searched on the law's
    grid and refined by zooming, as in :func:`shape_search`.  The profile is
    what a profile-likelihood interval is read from: with given standard
    errors, -2 log-likelihood is chi^2 plus a constant.
    """
    if law.shape_axes is None or param not in law.params[1:]:
        shapes = law.params[1:] if law.shape_axes is not None else ()
        raise ValueError(f"{law.name} has no profile for {param!r}; shape parameters: {', '.join(shapes) or 'none'}")
    fixed = law.params.index(param) - 1
    axes = law.shape_axes(sizes)
    free = [i for i in range(len(axes)) if i != fixed]
    sizes, gains, se = (np.asarray(x, float) for x in (sizes, gains, se))
    w = (1.0 / np.broadcast_to(se, gains.shape) ** 2)[None]
    wy, total = w * gains, float(np.sum(w * gains**2))
    step = np.array([u[1] - u[0] for u, _ in axes])
    # The grid of the free axes; the fixed axis' coordinate is unused (its theta is the profiled value).
    grid = np.stack(np.meshgrid(*[u if i in free else [0.0] for i, (u, _) in enumerate(axes)], indexing="ij"),
                    axis=-1).reshape(-1, len(axes))

    def theta_at(value):
        def theta(u):
            return np.stack([np.full(u.shape[:-1], value) if i == fixed else to_theta(u[..., i])
                             for i, (_, to_theta) in enumerate(axes)], axis=-1)
        return theta

    out = np.empty(np.size(values))
    with np.errstate(all="ignore"):
        for v, value in enumerate(np.atleast_1d(np.asarray(values, float))):
            theta = theta_at(value)
            a, saved = _closed_form(law, sizes, w, wy, theta(grid))
            j = int(np.argmax(saved[0]))
            best_u, best_saved, best_a = grid[j][None], saved[:, j], a[:, j]
            if free:
                _, best_saved, _ = _zoom(law, sizes, w, wy, theta, best_u, best_saved, best_a, step, free,
                                         rounds, zoom)
            out[v] = total - best_saved[0]
    return out


@one_thread()
def polish_from_search(law, sizes, gains, se, params, chi2, ok):
    """Improve every row from the global shape search (see :func:`shape_search`), where the law has one.

    The solver then polishes each row's search result; whichever of the
    row's own fit, the search result and its polish has the lowest chi^2 is
    kept.  Whether the solver certifies convergence on a flat optimum is a
    matter of rounding, so the flag is not asked for: a point below every
    limiting form is an interior candidate either way (_classify decides).
    """
    if law.shape_axes is None:
        return params, chi2, ok
    start = shape_search(law, sizes, gains, se)
    w = 1.0 / np.broadcast_to(np.asarray(se, float), gains.shape) ** 2
    with np.errstate(all="ignore"):
        start_chi2 = np.sum(w * (gains - law(sizes, start)) ** 2, axis=-1)
    p, c, _ = solve_batch(law, sizes, gains, se, start, max_iter=GRID_ITER)
    polished = np.isfinite(c) & np.all(np.isfinite(p), axis=1) & ~(c > start_chi2)
    p = np.where(polished[:, None], p, start)
    c = np.where(polished, c, start_chi2)
    found = np.isfinite(c) & np.all(np.isfinite(p), axis=1)
    better = found & (~ok | (c < chi2))
    params, chi2, ok = params.copy(), chi2.copy(), ok.copy()
    params[better], chi2[better], ok[better] = p[better], c[better], True
    return params, chi2, ok


@one_thread()
def covariance(law, sizes, weights, params) -> np.ndarray:
    """(J^T W J)^-1, or a matrix of inf where it is too ill-conditioned to invert (see MAX_CONDITION)."""
    jac = law.jacobian(sizes, params)
    hess = jac.T @ (jac * weights[:, None])
    if condition(hess[None])[0] > MAX_CONDITION:
        return np.full((law.k, law.k), np.inf)
    return np.linalg.inv(hess)
