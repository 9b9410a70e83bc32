"""The figure functions draw what they are given, in the book's colours."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from opsd import fit_all, model_average  # noqa: E402
from opsd.plots import COLORS, figure_1, figure_2, figure_7, figure_holdout  # noqa: E402


def test_figure_1_line_widths_follow_the_weights(observed_fits):
    fig = figure_1(observed_fits)
    left, right = fig.axes
    average = model_average(observed_fits, [70.0])
    weights = dict(zip(average.names, average.weights))
    lines = {line.get_color(): line.get_linewidth() for line in left.get_lines() if line.get_color() in COLORS.values()}
    widths = {name: lines[COLORS[name]] for name in weights}
    assert sorted(widths, key=widths.get) == sorted(weights, key=weights.get)
    assert left.get_xscale() == "log"
    assert plt.get_fignums() == [], "figures are detached from pyplot"


def test_figure_2_bars_are_the_weights(observed_fits):
    fig = figure_2(observed_fits)
    heights = [bar.get_height() for bar in fig.axes[1].patches]
    np.testing.assert_allclose(heights, model_average(observed_fits, [1.0]).weights)



def test_figure_7_draws_one_averaged_curve_per_fit_set(observed, observed_fits):
    doubled = fit_all(observed.with_gains(2 * observed.gains, 2 * observed.se))
    fig = figure_7({"aggregate": observed_fits, "doubled": doubled}, max_size=70.0)
    (ax,) = fig.axes
    curves = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert set(curves) == {"aggregate", "doubled"}
    for name, fits in (("aggregate", observed_fits), ("doubled", doubled)):
        x, y = curves[name].get_data()
        np.testing.assert_allclose(y, model_average(fits, x).mean)


def test_figure_holdout_has_a_panel_per_series_fitted_to_the_small_sizes(observed):
    train = fit_all(observed.subset(observed.sizes <= 4.0))
    fig = figure_holdout({"fit to 4B": (train, observed), "fit to all": (fit_all(observed), observed)})
    assert [ax.get_title() for ax in fig.axes] == ["fit to 4B", "fit to all"]
    averages = [line for line in fig.axes[0].get_lines() if line.get_label() == "model average"]
    (average,) = averages
    x, y = average.get_data()
    np.testing.assert_allclose(y, model_average(train, x).mean)


def test_figure_7_draws_every_series_in_its_own_style(observed_fits):
    series = {f"benchmark {i}": observed_fits for i in range(6)}  # more series than colours or styles
    (ax,) = figure_7(series, max_size=70.0).axes
    curves = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in curves] == list(series)
    first_four = {(line.get_linestyle(), line.get_color()) for line in curves[:4]}
    assert len(first_four) == 4  # coinciding curves stay distinguishable
