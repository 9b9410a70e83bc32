"""Figures of the book, one function per figure, sharing one style.

Each law keeps one colour throughout the book (:data:`COLORS`); the model
average is black.  Functions return the matplotlib ``Figure`` and draw
nothing they did not compute from their arguments.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from scipy.stats import norm

from .averaging import model_average
from .fitting import FitSet
from .laws import LAWS

__all__ = ["STYLE", "figure_dir", "save", "COLORS", "AVERAGE_COLOR", "COMPONENT_COLORS", "style", "figure_1",
           "figure_2", "figure_3", "figure_4", "figure_5", "figure_6", "figure_7", "figure_identifiability",
           "figure_rule_weights", "figure_holdout", "figure_two_laws", "figure_relative_likelihood",
           "figure_reliability", "figure_calibration_by_ratio",
           "figure_variance_split"]

COLORS = {
    "power_law": "#0072B2",
    "logarithmic": "#E69F00",
    "saturating": "#009E73",
    "sigmoid": "#CC79A7",
    "sqrt_log": "#D55E00",
}
AVERAGE_COLOR = "black"


def figure_dir() -> Path:
    """Where :func:`save` writes each figure as SVG and PNG: ``$OPSD_FIGURE_DIR``, or
    ``_build/figures/figures``, which the book copies into its HTML as ``figures/``
    (``html_extra_path`` in ``_config.yml``)."""
    default = Path(__file__).resolve().parents[1] / "_build" / "figures" / "figures"
    return Path(os.environ.get("OPSD_FIGURE_DIR", default))


Z95 = float(norm.ppf(0.975))


#: The book's matplotlib style: readable at 100% zoom, no chart junk.
STYLE = {
    "figure.dpi": 110, "savefig.dpi": 150, "font.size": 10, "axes.titlesize": 10,
    "axes.labelsize": 10, "legend.fontsize": 8.5, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.25,
    "svg.fonttype": "none", "svg.hashsalt": "opsd",
}


def style():
    """A context in which figures are drawn (and saved) in :data:`STYLE`; matplotlib's global
    settings are untouched outside it.  Also a decorator."""
    import matplotlib as mpl

    return mpl.rc_context(STYLE)


def save(fig, name: str):
    """Write ``fig`` as ``figure_dir()/name.svg`` and ``.png`` (stable names, no timestamps) and return it."""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise ValueError(f"figure name {name!r} must be lower-case words joined by hyphens")
    directory = figure_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with style():
        fig.savefig(directory / f"{name}.svg", metadata={"Date": None})
        fig.savefig(directory / f"{name}.png", metadata={"Software": None})
    return fig


def _finish(fig):
    """Lay out ``fig`` and detach it from pyplot, so that it is shown once:
    where the caller displays it, not again when the cell ends."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    plt.close(fig)
    return fig


def _size_axis(ax, observed_max=None, right=None, label=None):
    """Log model-size axis, with the extrapolation region beyond ``observed_max`` shaded."""
    ax.set_xscale("log")
    ax.set_xlabel("model size N (billions of parameters)")
    if observed_max is not None:
        ax.axvspan(observed_max, right, color="0.5", alpha=0.12, lw=0, label=label)


#: A gain in percentage points cannot exceed 100 minus the baseline accuracy,
#: so never 100 pp; where the baseline is known the ceiling is lower.
CEILING = 100.0


def _ceiling(ax, ceiling: float = CEILING):
    """Mark the largest possible gain: a line where it is in view, a note where it is above the plot."""
    bottom, top = ax.get_ylim()
    if top >= ceiling:
        ax.axhline(ceiling, color="0.25", lw=1.0, ls=":", zorder=1)
        ax.annotate(f"ceiling: no gain exceeds {ceiling:g} pp", (0.99, ceiling), xycoords=("axes fraction", "data"),
                    xytext=(0, 3), textcoords="offset points", ha="right", fontsize=8, color="0.25")
        ax.set_ylim(bottom, max(top, ceiling * 1.05))
        legend = ax.get_legend()
        if legend is not None:  # keep the legend readable where the line passes behind it
            legend.set_frame_on(True)
            legend.get_frame().set(facecolor="white", edgecolor="none", alpha=0.9)
    else:
        ax.annotate(f"ceiling: {ceiling:g} pp, above the plot", (0.99, 0.01), xycoords="axes fraction",
                    ha="right", va="bottom", fontsize=8, color="0.35")


def _label(name: str) -> str:
    return LAWS[name].label


@style()
def figure_1(fits: FitSet, sizes=(14.0, 70.0, 405.0), rule: str = "aic", max_size: float = 405.0):
    """Figure 1: fits extrapolated to ``max_size`` (left), predictions at ``sizes`` (right).

    Line width is proportional to the Akaike weight; squares are model-averaged
    predictions with 95% intervals (mean +/- 1.96 sd, Eq. (9)).
    """
    import matplotlib.pyplot as plt

    avg = model_average(fits, sizes, rule)
    data = fits.data
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.35, 1]})
    grid = np.geomspace(min(data.sizes.min(), 0.5) * 0.8, max_size * 1.1, 300)
    _size_axis(left, data.sizes.max(), grid[-1], "extrapolation")
    for name, weight in zip(avg.names, avg.weights):
        fit = fits[name]
        left.plot(grid, fit.model(grid, fit.params), color=COLORS[name], lw=0.8 + 6.0 * weight,
                  label=f"{_label(name)} (w = {weight:.3f})")
    yerr = None if data.se is None else data.se
    left.errorbar(data.sizes, data.gains, yerr=yerr, fmt="o", color="black", ms=5, capsize=2,
                  zorder=5, label="observed")
    lo, hi = avg.interval(0.95)
    left.errorbar(avg.sizes, avg.mean, yerr=[avg.mean - lo, hi - avg.mean], fmt="s", color=AVERAGE_COLOR, mfc="white",
                  ms=7, capsize=3, zorder=6, label="model average (95%)")
    left.set_ylabel("OPSD gain (pp)")
    left.set_title("Five scaling laws fitted to the observed gains")
    left.legend(loc="upper left", frameon=False)
    _ceiling(left)

    names = list(avg.names) + ["average"]
    width = 0.8 / len(names)
    x = np.arange(len(avg.sizes))
    for i, name in enumerate(names):
        if name == "average":
            mean, sd, color = avg.mean, avg.sd, AVERAGE_COLOR
        else:
            j = avg.names.index(name)
            mean, sd, color = avg.means[j], avg.sds[j], COLORS[name]
        right.errorbar(x + (i - (len(names) - 1) / 2) * width, mean, yerr=Z95 * sd,
                       fmt="s" if name == "average" else "o", color=color, capsize=2, ms=5,
                       label="Model average" if name == "average" else _label(name))
    right.set_xticks(x, [f"{s:g}B" for s in avg.sizes])
    right.set_ylabel("predicted gain (pp), 95% interval")
    right.set_title("Per-law and model-averaged predictions")
    right.legend(frameon=False, loc="upper left")
    _ceiling(right)
    return _finish(fig)


@style()
def figure_2(fits: FitSet, rule: str = "aic"):
    """Figure 2: (a) AIC and BIC per law, (b) Akaike weights (Eq. (7))."""
    import matplotlib.pyplot as plt

    weights = fits.weights(rule)
    names = tuple(f.name for f in fits.usable)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    x = np.arange(len(names))
    colors = [COLORS[n] for n in names]
    a.bar(x - 0.2, [fits[n].aic for n in names], 0.4, color=colors, label="AIC")
    a.bar(x + 0.2, [fits[n].bic for n in names], 0.4, color=colors, alpha=0.45, hatch="//", label="BIC")
    a.set_xticks(x, [_label(n) for n in names], rotation=20)
    a.set_ylabel("criterion (lower is better)")
    a.set_title("(a) AIC and BIC")
    a.legend(frameon=False)
    bars = b.bar(x, [weights[n] for n in names], color=colors)
    b.bar_label(bars, fmt="%.3f", fontsize=8.5)
    b.set_xticks(x, [_label(n) for n in names], rotation=20)
    b.set_ylabel(f"Akaike weight ({rule.upper()})")
    b.set_title("(b) Akaike weights")
    return _finish(fig)


COMPONENT_COLORS = {"distribution_match": "#56B4E9", "dark_knowledge": "#F0E442", "regularisation": "#999999"}


@style()
def figure_3(decomposition, data, max_size: float = 405.0):
    """Figure 3: (a) the three components stacked, with the observed gains; (b) their shares."""
    import matplotlib.pyplot as plt

    from .decomposition import COMPONENT_LABELS

    grid = np.geomspace(min(data.sizes.min(), 0.5), max_size, 300)
    parts = decomposition.components(grid)
    shares = decomposition.fractions(grid)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    a.stackplot(grid, *parts.values(), labels=[COMPONENT_LABELS[k] for k in parts],
                colors=[COMPONENT_COLORS[k] for k in parts], alpha=0.85)
    a.errorbar(data.sizes, data.gains, yerr=data.se, fmt="o", color="black", ms=4, capsize=2, label="observed")
    _size_axis(a, data.sizes.max(), grid[-1])
    a.set_ylabel("gain (pp), stacked")
    a.set_title("(a) Components of the gain")
    a.legend(frameon=False, loc="upper left")
    _ceiling(a)
    b.stackplot(grid, *shares.values(), colors=[COMPONENT_COLORS[k] for k in shares], alpha=0.85)
    _size_axis(b)
    b.set_ylim(0, 1)
    b.set_ylabel("share of the total")
    b.set_title("(b) Fractional contributions")
    return _finish(fig)


@style()
def figure_identifiability(solutions, beta_profile, sizes=(70.0, 405.0), chi2_tolerance: float = 1.0):
    """The family of equally good decompositions.

    (a) chi^2 of the best fit with beta fixed, across beta; (b) the
    distribution-match share at the largest of ``sizes`` for every
    multi-start solution within ``chi2_tolerance`` of the best, against its
    beta; (c) the totals those solutions predict at ``sizes``.
    """
    import matplotlib.pyplot as plt

    good = solutions.near_best(chi2_tolerance)
    betas = np.array([s.params[1] for s in good])
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(11, 3.5))
    chi2 = [s.chi2 for s in beta_profile]
    a.plot([s.params[1] for s in beta_profile], chi2, "o-", color="black", ms=4)
    a.axhline(solutions.best.chi2 + chi2_tolerance, color="0.4", ls="--", lw=1)
    a.annotate(rf"best + {chi2_tolerance:g}", (0.02, solutions.best.chi2 + chi2_tolerance), va="bottom",
               fontsize=8.5, color="0.3", xycoords=("axes fraction", "data"))
    a.set_xlabel(r"$\beta$ (fixed)")
    a.set_ylabel(r"best $\chi^2$")
    a.set_ylim(0, max(max(chi2), solutions.best.chi2 + chi2_tolerance) * 1.5)
    a.set_title(r"(a) Profile over $\beta$")
    share = np.array([s.fractions([sizes[-1]])["distribution_match"][0] for s in good])
    b.scatter(betas, share, s=14, color=COMPONENT_COLORS["distribution_match"], edgecolor="black", lw=0.3)
    b.set_xlabel(r"$\beta$")
    b.set_ylabel(f"distribution-match share at {sizes[-1]:g}B")
    b.set_ylim(-0.02, 1.02)
    b.set_title(f"(b) {len(good)} fits within " + rf"$\Delta\chi^2 \leq {chi2_tolerance:g}$")
    totals = np.array([s.total(sizes) for s in good])
    for j, size in enumerate(sizes):
        c.scatter(np.full(len(good), j) + np.linspace(-0.15, 0.15, len(good)), totals[:, j], s=10, color="0.3")
    c.set_xticks(range(len(sizes)), [f"{s:g}B" for s in sizes])
    c.set_ylabel("predicted total gain (pp)")
    c.set_title("(c) What they predict")
    return _finish(fig)


def _heatmap(ax, table, mc_se, fmt: str, cmap: str, vmin=None, vmax=None, title: str = ""):
    values = table.to_numpy(float)
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        text = "failed" if not np.isfinite(v) else f"{v:{fmt}}\n±{mc_se.to_numpy(float)[i, j]:{fmt}}"
        bright = np.isfinite(v) and image.norm(v) > 0.6
        ax.text(j, i, text, ha="center", va="center", fontsize=7.5, color="white" if bright else "black")
    ax.set_xticks(range(table.shape[1]), [_method_label(c) for c in table.columns], rotation=20)
    ax.set_yticks(range(table.shape[0]), [_method_label(r) for r in table.index])
    ax.set_xlabel("ground truth")
    ax.set_title(title)
    ax.grid(False)
    return image


def _method_label(name: str) -> str:
    return {"best_aic": "Best AIC", "average": "Model average"}.get(name) or LAWS[name].label


@style()
def figure_4(result):
    """Figure 4: (a) MAPE and (b) 2-sigma coverage, methods x ground truths, with Monte-Carlo errors."""
    import matplotlib.pyplot as plt

    mape, mape_se = result.mape()
    cover, cover_se = result.coverage()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.4))
    im = _heatmap(a, mape, mape_se, ".1f", "Reds", vmin=0, title="(a) MAPE (%) at "
                  + ", ".join(f"{t:g}B" for t in result.sizes))
    fig.colorbar(im, ax=a, shrink=0.8)
    im = _heatmap(b, cover, cover_se, ".2f", "Blues", vmin=0, vmax=1, title="(b) 2σ coverage (nominal 0.95)")
    fig.colorbar(im, ax=b, shrink=0.8)
    return _finish(fig)


@style()
def figure_5(result, size: float = 70.0, level: float = 0.95):
    """Figure 5: (a) bootstrap intervals at ``size`` per law and for the average, (b) their widths."""
    import matplotlib.pyplot as plt

    names = list(result.names) + ["average"]
    colors = [COLORS.get(n, AVERAGE_COLOR) for n in names]
    labels = [_method_label(n) for n in names]
    intervals = [result.ci(size, None if n == "average" else n, level) for n in names]
    means = [result.mean(size, None if n == "average" else n) for n in names]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.4, 1]})
    y = np.arange(len(names))[::-1]
    for yi, (lo, hi), m, c in zip(y, intervals, means, colors):
        a.plot([lo, hi], [yi, yi], color=c, lw=4, solid_capstyle="butt")
        a.plot(m, yi, "o", color="white", mec=c, ms=7, mew=2)
    a.set_yticks(y, labels)
    a.set_xlabel(f"predicted gain at {size:g}B (pp)")
    a.set_title(f"(a) Bootstrap {level:.0%} intervals and means")
    widths = [hi - lo for lo, hi in intervals]
    b.barh(y, widths, color=colors)
    b.bar_label(b.containers[0], fmt="%.1f", fontsize=8.5, padding=2)
    b.set_yticks(y, labels)
    b.set_xlabel("interval width (pp)")
    b.set_title("(b) Interval widths")
    return _finish(fig)


@style()
def figure_6(candidates, info, eig=None, eig_per_cost=None):
    """Figure 6: (a) Eq. (14) at each candidate, normalised; (b) expected information gain and per cost."""
    import matplotlib.pyplot as plt

    candidates = np.asarray(candidates, float)
    panels = 1 if eig is None else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.6), squeeze=False)
    a = axes[0, 0]
    x = np.arange(len(candidates))
    norm = np.asarray(info) / np.max(info)
    colors = ["0.6"] * len(x)
    colors[int(np.argmax(norm))] = "black"
    a.bar(x, norm, color=colors)
    a.set_xticks(x, [f"{c:g}" for c in candidates], rotation=45)
    a.set_xlabel("candidate size (B)")
    a.set_ylabel("Eq. (14), normalised")
    a.set_title("(a) Weighted model disagreement")
    if eig is not None:
        b = axes[0, 1]
        b.plot(candidates, eig, "o-", color="black", ms=4, label="expected information (bits)")
        b.set_xscale("log")
        b.set_xlabel("candidate size (B)")
        b.set_ylabel("bits about which law holds")
        b.set_title("(b) Information, and information per dollar")
        twin = b.twinx()
        per = np.asarray(eig_per_cost) / np.max(eig_per_cost)
        twin.plot(candidates, per, "s--", color=COLORS["saturating"], ms=4, label="per dollar (normalised)")
        twin.set_ylabel("bits per dollar (normalised)", color=COLORS["saturating"])
        twin.grid(False)
        lines = b.get_lines() + twin.get_lines()
        b.legend(lines, [line.get_label() for line in lines], frameon=False, loc="center right")
    return _finish(fig)


BENCHMARK_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")


@style()
def figure_7(series: dict, max_size: float = 405.0, level: float = 0.95, rule: str = "aic"):
    """Figure 7: model-averaged prediction per benchmark (``series``: name -> FitSet) with its ``level``
    band (Eq. (9))."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    # Each series has its own line style, marker and width, drawn thinner on
    # top, so that series which coincide stay visible.
    styles = [("-", "o", 3.0, 7), ("--", "s", 2.0, 5), (":", "^", 1.6, 3.5), ("-.", "D", 1.2, 3)]
    for i, (name, fits) in enumerate(series.items()):
        color = BENCHMARK_COLORS[i % len(BENCHMARK_COLORS)]
        line, marker, width, ms = styles[i % len(styles)]
        data = fits.data
        grid = np.geomspace(data.sizes.min(), max_size, 120)
        avg = model_average(fits, grid, rule)
        lo, hi = avg.interval(level)
        ax.fill_between(grid, lo, hi, color=color, alpha=0.12, lw=0)
        ax.plot(grid, avg.mean, color=color, lw=width, ls=line, label=name)
        ax.plot(data.sizes, data.gains, marker, color=color, ms=ms, mfc="none" if ms < 7 else color)
    _size_axis(ax, max(f.data.sizes.max() for f in series.values()), max_size)
    ax.set_ylabel(f"model-averaged gain (pp), {level:.0%} band")
    ax.legend(frameon=False, loc="upper left")
    _ceiling(ax)
    return _finish(fig)


@style()
def figure_rule_weights(weights: dict, names):
    """Weights of each law (groups) under each weighting rule (bars)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.6))
    rules = list(weights)
    width = 0.8 / len(rules)
    x = np.arange(len(names))
    shades = np.linspace(0.25, 1.0, len(rules))
    for i, rule in enumerate(rules):
        ax.bar(x + (i - (len(rules) - 1) / 2) * width, weights[rule], width,
               color=[COLORS[n] for n in names], alpha=float(shades[i]), edgecolor="black", lw=0.4,
               label=rule.replace("_", "-").upper() if rule in ("aic", "aicc", "bic") else rule.replace("_", "-"))
    ax.set_xticks(x, [_label(n) for n in names])
    ax.set_ylabel("weight")
    ax.set_ylim(0, 1.05)
    ax.legend(frameon=False, ncols=len(rules), loc="upper center", title="rule (light to dark)")
    return _finish(fig)


@style()
def figure_holdout(series: dict, level: float = 0.95, rule: str = "aic", ceilings: dict | None = None,
                   ylabel: str = "gain (pp)"):
    """One panel per series (title -> (fits, data)): the laws fitted to the smaller sizes, and every
    point of ``data`` beyond the fitted ones marked as held out.  ``ceilings`` (title -> pp) marks the
    largest possible gain, 100 minus the baseline accuracy, where it is known."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(series), figsize=(4.2 * len(series), 3.6), squeeze=False)
    for ax, (title, (fits, data)) in zip(axes[0], series.items()):
        train_max = fits.data.sizes.max()
        train = data.sizes <= train_max
        grid = np.geomspace(data.sizes.min(), data.sizes.max() * 1.3, 200)
        avg = model_average(fits, grid, rule)
        lo, hi = avg.interval(level)
        ax.fill_between(grid, lo, hi, color="0.5", alpha=0.18, lw=0, label=f"average, {level:.0%}")
        for name, weight in zip(avg.names, avg.weights):
            fit = fits[name]
            ax.plot(grid, fit.model(grid, fit.params), color=COLORS[name], lw=0.8 + 4 * weight, label=_label(name))
        ax.plot(grid, avg.mean, color=AVERAGE_COLOR, lw=1.5, ls="--", label="model average")
        ax.errorbar(data.sizes[train], data.gains[train], yerr=data.se[train], fmt="o", color="black", ms=4,
                    capsize=2, label="fitted")
        ax.errorbar(data.sizes[~train], data.gains[~train], yerr=data.se[~train], fmt="D", color="black",
                    mfc="white", ms=5, capsize=2, label="held out")
        _size_axis(ax, train_max, grid[-1])
        ax.set_title(title)
        _ceiling(ax, (ceilings or {}).get(title, CEILING))
    axes[0, 0].set_ylabel(ylabel)
    axes[0, -1].legend(frameon=False, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _finish(fig)


@style()
def figure_two_laws(fits: FitSet, names=("power_law", "saturating"), size: float = 70.0):
    """Two laws that fit the data about equally well and disagree at ``size``."""
    import matplotlib.pyplot as plt

    data = fits.data
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    grid = np.geomspace(data.sizes.min() * 0.8, size * 1.3, 200)
    for name in names:
        fit = fits[name]
        mean, _ = fit.predict([size])
        ax.plot(grid, fit.model(grid, fit.params), color=COLORS[name], lw=2,
                label=f"{_label(name)}: χ² = {fit.chi2:.2f}, AIC = {fit.aic:.2f}")
        ax.plot([size], mean, "o", color=COLORS[name], ms=8)
        ax.annotate(f"{mean[0]:.1f} pp", (size, mean[0]), xytext=(-8, 0), textcoords="offset points",
                    ha="right", va="center", color=COLORS[name])
    ax.errorbar(data.sizes, data.gains, yerr=data.se, fmt="o", color="black", ms=4, capsize=2, label="observed")
    _size_axis(ax, data.sizes.max(), grid[-1])
    ax.set_ylabel("gain (pp)")
    ax.legend(frameon=False, loc="upper left")
    _ceiling(ax)
    return _finish(fig)


@style()
def figure_relative_likelihood(fits: FitSet, rule: str = "aic"):
    """exp(-Delta/2) against Delta, with each law placed on the curve (Eq. (7) before normalising)."""
    import matplotlib.pyplot as plt

    used = fits.usable
    values = np.array([f.criteria[rule] for f in used])
    delta = values - values.min()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    grid = np.linspace(0, max(8.0, delta.max() * 1.1), 200)
    ax.plot(grid, np.exp(-grid / 2), color="0.4", lw=1.5)
    for fit, d in zip(used, delta):
        ax.plot(d, np.exp(-d / 2), "o", color=COLORS[fit.name], ms=9, label=_label(fit.name))
    ax.set_xlabel(f"Δ{rule.upper()} (distance from the best law)")
    ax.set_ylabel("relative likelihood exp(−Δ/2)")
    ax.set_ylim(0, 1.05)
    ax.legend(frameon=False)
    return _finish(fig)


@style()
def figure_variance_split(fits: FitSet, max_size: float = 405.0, rule: str = "aic"):
    """Within- and between-model variance (Eq. (9)) across model size."""
    import matplotlib.pyplot as plt

    data = fits.data
    grid = np.geomspace(data.sizes.min(), max_size, 150)
    avg = model_average(fits, grid, rule)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    a.plot(grid, avg.within_sd, color=COLORS["saturating"], lw=2, label="within-model sd")
    a.plot(grid, avg.between_sd, color=COLORS["sqrt_log"], lw=2, label="between-model sd")
    a.plot(grid, avg.sd, color=AVERAGE_COLOR, lw=1.5, ls="--", label="total sd")
    a.set_yscale("log")
    a.set_ylabel("standard deviation (pp)")
    a.legend(frameon=False)
    share = avg.between_sd**2 / avg.sd**2
    b.plot(grid, share, color=COLORS["sqrt_log"], lw=2)
    b.set_ylim(0, 1)
    b.set_ylabel("between-model share of the variance")
    for ax in (a, b):
        _size_axis(ax, data.sizes.max(), max_size)
    return _finish(fig)


def _method_style(method: str):
    """Colour and marker of a backtest method: a law's own colour, black for the averages."""
    if method in COLORS:
        return COLORS[method], "o"
    return {"best_aic": ("#882255", "v"), "average_aic": (AVERAGE_COLOR, "s"), "average_aicc": ("#44AA99", "D"),
            "average_bic": ("#999933", "P"), "stacking": ("#56B4E9", "X"), "bootstrap_aic": ("#AA4499", "^"),
            "last_value": ("0.6", "*")}.get(method, ("0.5", "."))


@style()
def figure_reliability(summary):
    """Reliability diagram: empirical against nominal coverage of the 50, 80 and 95% intervals, per method.

    ``summary`` is :func:`opsd.backtest.summarise` output (one row per method).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 5.0))
    nominal = np.array([0.5, 0.8, 0.95])
    ax.plot([0.4, 1.0], [0.4, 1.0], color="0.6", lw=1, ls="--", label="nominal")
    for i, (_, row) in enumerate(summary.iterrows()):
        color, marker = _method_style(row["method"])
        got = [row[f"coverage{p}"] for p in (50, 80, 95)]
        dodge = (i - (len(summary) - 1) / 2) * 0.004  # methods with equal coverage stay apart
        ax.plot(nominal + dodge, got, marker=marker, color=color, lw=1.2, ms=6, alpha=0.9,
                label=row["method"].replace("_", " "))
    ax.set_xlabel("nominal coverage of the central interval")
    ax.set_ylabel("share of held-out points inside it")
    ax.set_xlim(0.4, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.legend(frameon=False, fontsize=7.5, loc="upper left", ncols=2)
    return _finish(fig)


@style()
def figure_calibration_by_ratio(by_band, order=None, methods=("average_aic", "best_aic", "sqrt_log", "last_value")):
    """95% coverage (with Wilson intervals) and mean interval score against the extrapolation-ratio band.

    ``by_band`` is :func:`opsd.backtest.summarise` output by method and a ``band`` column; ``order``
    lists the bands from the shortest extrapolation to the longest (default: as they come).
    """
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    bands = [str(b) for b in order] if order is not None else list(dict.fromkeys(by_band["band"].astype(str)))
    x = np.arange(len(bands))
    for i, method in enumerate(methods):
        rows = by_band[by_band["method"] == method].set_index(by_band["band"].astype(str)[by_band["method"] == method])
        rows = rows.reindex(bands)
        color, marker = _method_style(method)
        dx = (i - (len(methods) - 1) / 2) * 0.08
        yerr = [rows["coverage95"] - rows["coverage95_lo"], rows["coverage95_hi"] - rows["coverage95"]]
        a.errorbar(x + dx, rows["coverage95"], yerr=yerr, marker=marker, color=color, capsize=2, lw=1,
                   label=method.replace("_", " "))
        b.plot(x + dx, rows["median_interval_score95"], marker=marker, color=color, lw=1)
    a.axhline(0.95, color="0.6", ls="--", lw=1)
    a.set_ylim(0, 1.02)
    a.set_ylabel("95% coverage (Wilson 95% CI)")
    b.set_yscale("log")
    b.set_ylabel("median 95% interval score (pp, lower is better)")
    for ax in (a, b):
        ax.set_xticks(x, bands)
        ax.set_xlabel("extrapolation ratio (target / largest fitted size)")
    a.legend(frameon=False, fontsize=7.5, loc="lower left")
    return _finish(fig)
