"""The leave-future-out calibration study (opsd.backtest) and ``opsd backtest``."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from opsd import backtest as bt
from opsd.cli import main

# --- scores against hand-computed values -------------------------------------------------------------------


def test_gaussian_crps_and_interval_score_by_hand():
    # N(0, 1) observed at y = 2: z = 2, Phi(2) = 0.9772498681, phi(2) = 0.0539909665.
    expected = 2 * (2 * 0.9772498681 - 1) + 2 * 0.0539909665 - 1 / math.sqrt(math.pi)
    assert bt.crps_gaussian(0.0, 1.0, 2.0) == pytest.approx(expected, abs=1e-9)
    # At the mean: 2 phi(0) - 1/sqrt(pi) = sqrt(2/pi) - 1/sqrt(pi); CRPS scales with sd.
    assert bt.crps_gaussian(5.0, 3.0, 5.0) == pytest.approx(3 * (math.sqrt(2 / math.pi) - 1 / math.sqrt(math.pi)))
    # y = 3 above the 95% interval 0 -/+ 1.959964: width + (2/0.05)(3 - 1.959964).
    scores = bt.gaussian_scores(0.0, 1.0, 3.0)
    z = 1.959963984540054
    assert scores["lo95"] == pytest.approx(-z) and scores["hi95"] == pytest.approx(z)
    assert scores["interval_score95"] == pytest.approx(2 * z + 40 * (3 - z))
    assert scores["covered95"] == 0.0 and scores["covered50"] == 0.0
    assert scores["abs_error"] == 3.0 and scores["wild"] == 0.0
    # Inside the interval the interval score is its width.
    assert bt.interval_score(-1.0, 2.0, 0.5) == pytest.approx(3.0)
    assert bt.interval_score(-1.0, 2.0, -2.0) == pytest.approx(3.0 + 40 * 1.0)


def test_sample_crps_by_hand_and_against_the_gaussian():
    # Draws {0, 2} at y = 1: E|X - y| = 1, E|X - X'| = (0 + 2 + 2 + 0)/4 = 1, CRPS = 1 - 1/2.
    assert bt.crps_sample([0.0, 2.0], 1.0) == pytest.approx(0.5)
    assert bt.crps_sample([3.0], 1.0) == pytest.approx(2.0)
    assert bt.crps_sample([0.0, np.inf], 1.0) == math.inf
    draws = np.random.default_rng(0).normal(1.0, 2.0, (200_000, 1))
    sample = bt.sample_scores(draws, [2.5])
    gauss = bt.gaussian_scores(1.0, 2.0, 2.5)
    for column in ("crps", "lo95", "hi95", "lo50", "interval_score95"):
        assert sample[column][0] == pytest.approx(gauss[column], rel=0.02), column
    assert sample["sd_total"][0] == pytest.approx(2.0, rel=0.01)


def test_non_finite_predictions_are_wild_and_score_infinite():
    scores = bt.gaussian_scores([np.nan, 1.0, 150.0, 1.0], [1.0, np.inf, 1.0, 1.0], 0.0)
    assert scores["wild"].tolist() == [1.0, 1.0, 1.0, 0.0]
    assert np.isinf(scores["crps"][:2]).all() and np.isinf(scores["interval_score95"][:2]).all()
    assert scores["covered95"][0] == 0.0  # no prediction covers nothing


def test_wilson_interval():
    lo, hi = bt.wilson_interval(8, 10)
    assert (lo, hi) == pytest.approx((0.4902, 0.9433), abs=1e-4)  # the textbook example
    assert bt.wilson_interval(0, 10)[0] == 0.0 and bt.wilson_interval(10, 10)[1] == 1.0
    assert bt.wilson_interval(0, 10)[1] > 0 and bt.wilson_interval(10, 10)[0] < 1
    for k, n in ((1, 3), (47, 50), (500, 1000)):
        lo, hi = bt.wilson_interval(k, n)
        assert 0 <= lo < k / n < hi <= 1
    assert np.diff(bt.wilson_interval(50, 100)) > np.diff(bt.wilson_interval(500, 1000))
    assert all(math.isnan(v) for v in bt.wilson_interval(0, 0))


def test_ratio_band():
    bands = bt.ratio_band([1.5, 2.0, 2.99, 4.0, 30.0])
    assert list(bands) == ["1-2x", "2-3x", "2-3x", "3-5x", ">=5x"]


# --- the protocol ------------------------------------------------------------------------------------------


def _long(series: dict, se=0.5) -> pd.DataFrame:
    rows = []
    for name, (sizes, gains) in series.items():
        rows += [{"series": name, "family": name[0], "size_b": s, "gain": g, "se": se} for s, g in zip(sizes, gains)]
    return pd.DataFrame(rows)


SIX = ([1, 2, 4, 8, 16, 32], [1.0, 1.8, 2.9, 4.1, 5.2, 6.8])


def test_run_splits_targets_and_skips():
    frame = _long({"a6": SIX, "b7": ([1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7.5]), "c4": ([1, 2, 3, 4], [1] * 4)})
    p = bt.run(frame, methods=["last_value"])
    assert p.attrs["skipped"] == [{"series": "c4", "n": 4, "reason": "4 points: holdout 1 leaves fewer than 4 to fit"}]
    # a6: holdouts 1 and 2 (3 would leave 3 points); b7: 1, 2 and 3.
    counts = p.groupby(["series", "holdout"]).size().to_dict()
    assert counts == {("a6", 1): 1, ("a6", 2): 2, ("b7", 1): 1, ("b7", 2): 2, ("b7", 3): 3}
    row = p[(p.series == "a6") & (p.holdout == 2)].iloc[1]
    assert (row["size_b"], row["fitted_up_to"], row["ratio"], row["n_fit"]) == (32, 8, 4, 4)
    assert row["mean"] == 4.1 and row["sd"] == 0.5 and row["sd_total"] == pytest.approx(math.sqrt(0.5))
    assert row["observed"] == 6.8 and row["family"] == "a"  # a column constant within the series is kept


def test_run_rejects_bad_arguments():
    frame = _long({"a6": SIX})
    with pytest.raises(ValueError, match="unknown method 'average'"):
        bt.run(frame, methods=["average"])
    with pytest.raises(ValueError, match="no column 'se'"):
        bt.run(frame.drop(columns="se"))
    with pytest.raises(ValueError, match="holdouts must be integers >= 1"):
        bt.run(frame, holdouts=(0,))


def test_laws_best_aic_and_averages_come_from_the_package():
    from opsd import GainData, fit_all, model_average

    p = bt.run(_long({"a6": SIX}), holdouts=(2,), methods=bt.FAST_METHODS)
    assert list(p.method.unique()) == list(bt.FAST_METHODS)
    data = GainData.from_arrays(SIX[0][:4], SIX[1][:4], [0.5] * 4)
    fits = fit_all(data)
    for rule in ("aic", "bic"):
        average = model_average(fits, [16, 32], rule)
        rows = p[p.method == f"average_{rule}"]
        assert rows["mean"].to_numpy() == pytest.approx(average.mean)
        assert rows["sd"].to_numpy() == pytest.approx(average.sd)
    best = min(fits.usable, key=lambda f: f.aic)
    assert set(p[p.method == "best_aic"].note) == {best.name}
    assert p[p.method == "best_aic"]["mean"].to_numpy() == pytest.approx(best.predict([16, 32])[0])


def test_summary_is_recomputable_from_the_predictions():
    frame = _long({"a6": SIX, "b6": ([1, 2, 4, 8, 16, 32], [2.0, 2.2, 2.9, 3.0, 3.9, 4.0]),
                   "c7": ([1, 2, 3, 4, 5, 6, 7], [0.5, 1.5, 2.0, 3.2, 3.9, 5.2, 5.5])})
    p = bt.run(frame, methods=["logarithmic", "last_value"])
    # One missing prediction, as a failed fit would give: counted, not used.
    p.loc[0, ["missing", "reason"]] = (True, "fit failed")
    p.loc[0, ["mean", "sd_total", "covered50", "covered80", "covered95", "interval_score95", "crps", "abs_error",
              "wild"]] = np.nan
    summary = bt.summarise(p).set_index("method")
    rows = p[(p.method == "logarithmic") & ~p.missing]
    hits = int(np.sum(np.abs(rows.observed - rows["mean"]) <= 1.959963984540054 * rows.sd_total))
    assert summary.loc["logarithmic", "n"] == len(rows) == len(p[p.method == "logarithmic"]) - 1
    assert summary.loc["logarithmic", "missing"] == 1 and summary.loc["last_value", "missing"] == 0
    assert summary.loc["logarithmic", "coverage95"] == pytest.approx(hits / len(rows))
    assert summary.loc["logarithmic", "coverage95_lo"] == pytest.approx(bt.wilson_interval(hits, len(rows))[0])
    assert summary.loc["logarithmic", "median_abs_error"] == pytest.approx(np.median(np.abs(rows.observed
                                                                                            - rows["mean"])))
    assert summary.loc["last_value", "crps"] == pytest.approx(p[p.method == "last_value"].crps.mean())
    by = bt.summarise(p.assign(band=bt.ratio_band(p.ratio)), by=["family", "band"])
    assert by.groupby("method")["n"].sum().to_dict() == summary["n"].to_dict()


# --- coverage on series drawn from a known law -------------------------------------------------------------


@pytest.mark.slow
def test_coverage_of_the_true_law_is_nominal():
    """400 power-law series with known se: the power law's own intervals cover as stated.

    Each series is independent, so the number covered is binomial and its
    Wilson interval (99%, as three levels are checked) is the Monte-Carlo
    error.  Two controls show that the check can fail: intervals without
    the held-out point's se, and the last value, which ignores growth, both
    cover far too little.
    """
    rng = np.random.default_rng(1)
    sizes, se = np.array([1.0, 2, 4, 8, 16]), 0.3
    rows = []
    for i in range(400):
        gains = 2 * sizes**0.3 + rng.normal(0, se, sizes.size)
        rows += [{"series": f"s{i}", "size_b": s, "gain": g, "se": se} for s, g in zip(sizes, gains)]
    p = bt.run(pd.DataFrame(rows), holdouts=(1,), methods=["power_law", "last_value"])
    summary = bt.summarise(p).set_index("method")
    law = summary.loc["power_law"]
    assert law["n"] == 400 and law["missing"] == 0
    own = p[p.method == "power_law"]
    for level in (50, 80, 95):
        lo, hi = bt.wilson_interval(int(own[f"covered{level}"].sum()), len(own), 0.99)
        assert lo <= level / 100 <= hi, (level, law[f"coverage{level}"])
    assert summary.loc["last_value", "coverage95_hi"] < 0.95
    hits = int(np.sum(np.abs(own.observed - own["mean"]) <= 1.959963984540054 * own.sd))
    assert bt.wilson_interval(hits, len(own), 0.99)[1] < 0.95


# --- recalibration -----------------------------------------------------------------------------------------


def _fake_predictions(scales, n=60, seed=0):
    """Predictions of "average_aic" whose standardised errors in family f have sd scales[f]."""
    rng = np.random.default_rng(seed)
    frames = []
    for family, scale in scales.items():
        z = rng.standard_normal(n) * scale
        frames.append(pd.DataFrame({"family": family, "method": "average_aic", "missing": False,
                                    "mean": 10.0, "sd": 1.0, "sd_total": 2.0, "observed": 10.0 + 2.0 * z}))
    return pd.concat(frames, ignore_index=True)


def test_calibration_factor():
    p = _fake_predictions({"a": 1.0}, n=4000)
    assert bt.calibration_factor(p) == pytest.approx(1.0, abs=0.06)
    p = _fake_predictions({"a": 3.0}, n=200)
    k = bt.calibration_factor(p)
    assert k == pytest.approx(3.0, rel=0.25)
    # Applied to the predictions it came from, it covers at least the level (and no more than one more row).
    covered = bt.recalibrate(p, k)["covered95"].mean()
    assert 0.95 <= covered <= 0.95 + 1 / 200
    with pytest.raises(ValueError, match="no finite predictions of method 'stacking'"):
        bt.calibration_factor(p, "stacking")


def test_leave_one_family_out_never_uses_the_held_out_family():
    p = _fake_predictions({"a": 1.0, "b": 2.0, "c": 1.5})
    out = bt.leave_one_family_out(p)
    assert set(out.method) == {"average_aic_recalibrated"} and len(out) == len(p)
    factor = out.groupby("family")["calibration_factor"].first()
    assert factor["c"] == pytest.approx(bt.calibration_factor(p[p.family != "c"]))
    assert out.sd_total.to_numpy() == pytest.approx(2.0 * out.calibration_factor.to_numpy())
    # Family c's errors grow a hundredfold: its own factor does not move, the others' do.
    wild = p.copy()
    wild.loc[wild.family == "c", "observed"] = 10.0 + 100 * (wild.observed - 10.0)
    factor_wild = bt.leave_one_family_out(wild).groupby("family")["calibration_factor"].first()
    assert factor_wild["c"] == factor["c"]
    assert factor_wild["a"] > factor["a"] and factor_wild["b"] > factor["b"]
    with pytest.raises(ValueError, match="at least two values"):
        bt.leave_one_family_out(p[p.family == "a"])


# --- the slow methods --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_stacking_and_bootstrap_on_one_series():
    p = bt.run(_long({"a6": SIX}), holdouts=(1,), methods=["average_aic", "stacking", "bootstrap_aic"])
    assert p.attrs["n_boot"] == bt.N_BOOT and not p.missing.any()
    boot = p[p.method == "bootstrap_aic"].iloc[0]
    assert boot.lo95 < boot.lo80 < boot.lo50 < boot.hi50 < boot.hi80 < boot.hi95
    assert boot.sd_total > boot.sd > 0 and np.isfinite(boot.crps)
    assert set(p.attrs["timing"]) == {"fit_all", "average_aic", "stacking", "bootstrap_aic"}


# --- the command line --------------------------------------------------------------------------------------

SERIES_CSV = (
    "family,bench,size_b,gain,se\n"
    "A,x,0.5,1.3,0.4\nA,x,1,2.0,0.3\nA,x,2,3.6,0.4\nA,x,4,5.3,0.5\nA,x,8,8.1,0.6\nA,x,16,11.0,0.7\n"
    "B,x,1,5.0,0.5\nB,x,3,7.2,0.5\nB,x,10,9.1,0.5\nB,x,30,10.9,0.6\nB,x,100,13.2,0.6\n"
)


def _write(tmp_path, text, name="series.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_json(tmp_path, capsys):
    assert main(["backtest", str(_write(tmp_path, SERIES_CSV)), "--group", "family", "bench",
                 "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["holdout"] == 2
    assert [s["method"] for s in report["summary"]] == list(bt.CLI_METHODS)
    assert report["skipped"] == [{"group": {"family": "B", "bench": "x"}, "n": 5,
                                  "reason": "5 points: holdout 2 leaves fewer than 4 to fit"}]
    assert len(report["predictions"]) == 2 * len(bt.CLI_METHODS)
    first = report["predictions"][0]
    assert set(first) == {"group", "size_b", "fitted_up_to", "method", "mean", "sd", "lo95", "hi95", "observed",
                          "covered95"}
    assert first["group"] == {"family": "A", "bench": "x"} and first["fitted_up_to"] == 4.0
    assert {p["size_b"] for p in report["predictions"]} == {8.0, 16.0}
    for s in report["summary"]:
        assert set(s) >= {"method", "n", "coverage50", "coverage80", "coverage95", "interval_score95", "crps",
                          "median_abs_error"}
        assert s["n"] == 2 and s["coverage95"] == np.mean([p["covered95"] for p in report["predictions"]
                                                           if p["method"] == s["method"]])


def test_cli_table(tmp_path, capsys):
    assert main(["backtest", str(_write(tmp_path, SERIES_CSV)), "--group", "family", "--holdout", "1"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("method"))
    assert header.split()[:8] == ["method", "n", "coverage50", "coverage80", "coverage95", "interval_score95",
                                  "crps", "median_abs_error"]
    assert [line.split()[0] for line in lines[lines.index(header) + 1:]] == list(bt.CLI_METHODS)
    assert "1 series skipped" not in out and "skipped" not in lines[-1]  # B has 5 points: holdout 1 is fine


def test_cli_lists_skipped_series(tmp_path, capsys):
    text = "family,size_b,gain,se\n" + "".join(f"A,{s},{s},0.1\n" for s in (1, 2, 3, 4))
    assert main(["backtest", str(_write(tmp_path, text)), "--group", "family"]) == 0
    out = capsys.readouterr().out
    assert "0 series, 0 predictions per method, 1 series skipped" in out
    assert out.splitlines()[-1] == "skipped family=A: 4 points: holdout 2 leaves fewer than 4 to fit"


BAD_SERIES = {
    "missing group column": ("bench,size_b,gain,se\nx,1,2,0.1\n", "missing column 'family' in the header"),
    "missing se": ("family,size_b,gain\nA,1,2\n", "missing column 'se' in the header"),
    "non-numeric": ("family,size_b,gain,se\nA,1,2,0.1\nA,2,abc,0.1\n", "line 3, column 'gain': 'abc' is not a number"),
    "non-finite": ("family,size_b,gain,se\nA,1,2,0.1\nA,2,inf,0.1\n", "line 3, column 'gain': value inf is not finite"),
    "zero size": ("family,size_b,gain,se\nA,0,2,0.1\n", "line 2, column 'size_b': must be > 0"),
    "negative se": ("family,size_b,gain,se\nA,1,2,0.1\nA,2,3,-1\n", "line 3, column 'se': must be > 0"),
    "duplicate size": ("family,size_b,gain,se\nA,1,2,0.1\nB,1,2,0.1\nA,1.0,3,0.1\n",
                       "line 4, column 'size_b': duplicate size_b 1 in the series family='A' (also at line 2)"),
    "ragged": ("family,size_b,gain,se\nA,1,2\n", "line 2: 3 fields, but the header has 4"),
    "empty": ("", "is empty"),
}


@pytest.mark.parametrize("case", BAD_SERIES)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, case):
    text, message = BAD_SERIES[case]
    path = _write(tmp_path, text)
    assert main(["backtest", str(path), "--group", "family"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("opsd: error: ")
    assert message in captured.err
    assert str(path) in captured.err


def test_cli_bad_holdout(tmp_path, capsys):
    assert main(["backtest", str(_write(tmp_path, SERIES_CSV)), "--group", "family", "--holdout", "0"]) == 2
    assert "--holdout must be an integer >= 1" in capsys.readouterr().err
    assert main(["backtest", str(_write(tmp_path, SERIES_CSV))]) == 2
    assert "--group" in capsys.readouterr().err


def test_calibration_factor_leaves_infinite_intervals_out():
    rng = np.random.default_rng(5)
    n = 4000
    rows = pd.DataFrame({"method": "average_aic", "missing": False, "observed": 2.0 * rng.standard_normal(n),
                         "mean": 0.0, "sd_total": 1.0})
    with_infinite = pd.concat([rows, rows.head(400).assign(sd_total=np.inf)])
    # An infinite interval neither counts as a hit (|e| / inf = 0) nor makes the factor infinite.
    assert bt.calibration_factor(with_infinite) == pytest.approx(bt.calibration_factor(rows))
    assert bt.calibration_factor(rows) == pytest.approx(2.0, rel=0.05)


def _coverage_rows(hits_by_family: dict, method: str = "m") -> pd.DataFrame:
    rows = [{"family": family, "method": method, "missing": False, "covered95": float(hit)}
            for family, hits in hits_by_family.items() for hit in hits]
    return pd.DataFrame(rows)


def test_cluster_interval_resamples_whole_families():
    from opsd.backtest import cluster_interval

    same = _coverage_rows({"A": [1, 0], "B": [1, 1, 0, 0], "C": [0, 1]})
    assert cluster_interval(same, "m") == pytest.approx((0.5, 0.5))  # every family covers half
    assert cluster_interval(same, "m", versus="m") == (0.0, 0.0)
    split = _coverage_rows({"A": [1] * 10, "B": [0] * 10, "C": [1] * 10, "D": [0] * 10})
    lo, hi = cluster_interval(split, "m", seed=1)
    wilson_lo, wilson_hi = bt.wilson_interval(20, 40)
    assert lo < wilson_lo and hi > wilson_hi  # four clusters, not forty independent points
    with pytest.raises(ValueError, match="no predictions of method 'x'"):
        cluster_interval(same, "x")
