"""The figure functions draw what they are given, in the book's colours."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from opsd import model_average  # noqa: E402
from opsd.book import glue  # noqa: E402
from opsd.plots import COLORS, figure_1, figure_2  # noqa: E402


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


def test_glue_rounds_floats_and_keeps_other_values(monkeypatch):
    seen = {}
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display=True: seen.update({name: (value, display)}))
    glue("x", np.float64(0.12345678901234567))
    glue("big", 20.2000000153)  # a value fitted to a printed 20.2, with CPU-dependent noise
    glue("n", np.int64(3))
    glue("s", "10,000")
    assert seen["x"] == (pytest.approx(0.12346, abs=1e-15), False)
    assert type(seen["x"][0]) is float and repr(seen["x"][0]) == "0.12346"
    assert repr(seen["big"][0]) == "20.2"
    assert seen["n"] == (3, False) and type(seen["n"][0]) is int
    assert seen["s"] == ("10,000", False)


def test_run_cli_prints_the_command_its_output_and_status(capsys, tmp_path):
    from opsd.book import run_cli

    (tmp_path / "bad.csv").write_text("size_b,gain\n1,x\n")
    run_cli("fit", "bad.csv", cwd=tmp_path)
    out = capsys.readouterr().out
    assert out == ("$ opsd fit bad.csv\n"
                   "opsd: error: bad.csv, line 2, column 'gain': 'x' is not a number\n"
                   "[exit status 2]\n")
