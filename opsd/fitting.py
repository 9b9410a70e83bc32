"""Weighted nonlinear least squares for the scaling laws (Section 2.1, Eq. (6)).

One solver serves every fit in the package: a Levenberg-Marquardt iteration
vectorised over a batch of independent problems (rows), using each law's
analytic Jacobian.  A single fit is a batch of its starting points; a
bootstrap is a batch of resamples times starting points.

Standard errors are taken as absolute: the parameter covariance is
``(J^T W J)^-1`` with ``W = diag(1/se^2)``, not rescaled by the reduced
chi-square.  When no standard errors are given, one shared sigma is
estimated by maximum likelihood (see :func:`fit_law`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .data import GainData
from .laws import LAWS, ScalingLaw, get_law

__all__ = ["FitResult", "FitSet", "fit_law", "fit_all", "solve_batch", "multistart", "refit", "refit_all",
           "fit_rows", "predict_batch", "information_criteria", "STATUSES"]

# A fit has converged when the Gauss-Newton model predicts that no step can
# lower chi^2 by more than this (relative to max(chi^2, 1)): the parameters
# are then within ~1e-8 standard errors of the stationary point.
DECREMENT_TOL = 1e-16
STALL_TOL = 1e-10
MAX_ITER = 100
# Below this many residual degrees of freedom per estimated parameter, weights
# from an estimated sigma come with a warning (see FitSet.warnings).
RESIDUAL_DOF_PER_PARAMETER = 3
# Iterations of the solver's polish after a law's global shape search.
GRID_ITER = 200
# An interior optimum must beat the law's best limiting form by this much
# (relative to max(chi^2, 1)); a fit running off towards a limit approaches
# the limit's chi^2 from above, wherever the optimiser happens to stop, and
# an optimum less than this below the limit is the limit for every purpose.
LIMIT_TOL = 1e-6
# Fits whose scaled normal matrix is worse conditioned than this have no
# linearised standard deviation (rounding decides even its sign): it is
# reported as infinite.
MAX_CONDITION = 1e10
# What a fit found: an interior optimum, a limiting form of the law at the
# edge of its parameter space (see ScalingLaw.limits), or nothing at all.
STATUSES = ("interior", "limit", "failed")
INTERIOR, LIMIT, FAILED = range(3)


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
        c0, c1, c2 = np.cross(r1, r2), np.cross(r2, r0), np.cross(r0, r1)
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
        singular = _condition(hess) > MAX_CONDITION
        var = np.where(singular[:, None] | (var < 0), np.inf, var)
        return law(at, params), np.sqrt(var)


def _condition(hess) -> np.ndarray:
    """Condition number of each normal matrix after scaling its diagonal to one (inf if not finite)."""
    hess = np.atleast_3d(hess)
    with np.errstate(all="ignore"):  # a zero diagonal (a parameter with no effect) is singular: inf below
        scale = np.sqrt(np.abs(np.einsum("bii->bi", hess)))
        scaled = hess / (scale[:, :, None] * scale[:, None, :])
    ok = np.all(np.isfinite(scaled), axis=(1, 2))
    eig = np.linalg.eigvalsh(np.where(ok[:, None, None], scaled, np.eye(hess.shape[-1])))
    with np.errstate(all="ignore"):
        return np.where(ok & (eig[:, 0] > 0), eig[:, -1] / eig[:, 0], np.inf)


def _limit_fits(law: ScalingLaw, sizes, gains, se):
    """Best fit of each limiting form of ``law`` to every row of ``gains``.

    Returns the forms [(words, form)], their parameters [(B, k_form)] and
    their chi^2 (B, L), infinite where a form could not be fitted.
    """
    forms = law.limits(sizes)
    params, chi2 = [], np.full((len(gains), len(forms)), np.inf)
    for j, (_, form) in enumerate(forms):
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


def _shape_search(law, sizes, gains, se, rounds: int = 10, zoom: int = 4):
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


def _grid_search(law, sizes, gains, se, params, chi2, ok):
    """Improve every row from the global shape search (see :func:`_shape_search`), where the law has one.

    The solver then polishes each row's search result; whichever of the
    row's own fit, the search result and its polish has the lowest chi^2 is
    kept.  Whether the solver certifies convergence on a flat optimum is a
    matter of rounding, so the flag is not asked for: a point below every
    limiting form is an interior candidate either way (_classify decides).
    """
    if law.shape_axes is None:
        return params, chi2, ok
    start = _shape_search(law, sizes, gains, se)
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


def _settle(law, sizes, gains, se, params, chi2, ok):
    """From each row's local fit to its result: the global shape search, then interior or limit.

    Returns the interior params, the chi^2 of the result, the status, the
    index of the best limiting form, the forms and their fitted params.
    """
    forms, limit_params, limit_chi2 = _limit_fits(law, sizes, gains, se)
    params, chi2, ok = _grid_search(law, sizes, gains, se, params, chi2, ok)
    status, best, chi2 = _classify(chi2, ok, limit_chi2)
    return params, chi2, status, best, forms, limit_params


def fit_rows(law: ScalingLaw, sizes, gains, se, at, warm=None, typical=None, with_sd: bool = False):
    """Fit ``law`` to every row of ``gains`` and predict at ``at``, limits included.

    The interior optimum is sought as in :func:`refit` and by the law's global
    shape search (:func:`_grid_search`); where it does not beat
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


def refit_all(base: "FitSet", gains, se, at, criterion: str = "aic", typical=None, with_sd: bool = False):
    """Refit every law of ``base`` to each row of ``gains`` and predict at ``at``.

    Each law starts from its fit in ``base`` (see :func:`fit_rows`); a fit
    at a limit of its law keeps its weight, with the law's own k in the
    criterion.  Returns means (B, m, t), sds (B, m, t) or None, the
    criterion (B, m), the status (B, m) and the limiting form (B, m; see
    :func:`fit_rows`); a refit that fails (or, with
    ``with_sd``, predicts a non-finite value) has NaN predictions and an
    infinite criterion, so that it gets no weight.
    """
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
        crit.append(np.where(ok, information_criteria(chi2, n, law.k, base.sigma_given)[criterion], np.inf))
        statuses.append(np.where(ok, status, FAILED))
    return (np.stack(means, 1), (np.stack(sds, 1) if with_sd else None), np.stack(crit, 1),
            np.stack(statuses, 1), np.stack(forms, 1))


def information_criteria(chi2, n: int, k: int, sigma_given: bool) -> dict[str, np.ndarray]:
    """AIC (Eq. (6)), AICc and BIC.

    With given standard errors the paper's AIC = chi^2 + 2k is used, and
    AICc = AIC + 2k(k+1)/(n-k-1), BIC = chi^2 + k ln n.  With one estimated
    sigma, the maximised Gaussian log-likelihood gives
    AIC = n ln(RSS/n) + 2(k+1) (the extra parameter is sigma) and likewise
    for AICc and BIC with k+1 parameters.  AICc is infinite when its
    denominator is not positive.
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
        raise KeyError(name)

    def to_frame(self, criterion: str = "aic"):
        """Table 1 for these fits: see :func:`opsd.averaging.weight_table`."""
        from .averaging import weight_table

        return weight_table(self, criterion)

    def __repr__(self) -> str:
        lines = [f"FitSet(n={self.data.n}, sigma {'given' if self.sigma_given else 'estimated'})"]
        lines += [f"  {fit!r}" for fit in self.fits]
        lines += [f"  excluded {name}: {reason}" for name, reason in self.excluded]
        return "\n".join(lines)


def _covariance(law, sizes, weights, params) -> np.ndarray:
    """(J^T W J)^-1, or a matrix of inf where it is too ill-conditioned to invert (see MAX_CONDITION)."""
    jac = law.jacobian(sizes, params)
    hess = jac.T @ (jac * weights[:, None])
    if _condition(hess[None])[0] > MAX_CONDITION:
        return np.full((law.k, law.k), np.inf)
    return np.linalg.inv(hess)


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
        cov = _covariance(model, data.sizes, 1.0 / se**2, params)
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
