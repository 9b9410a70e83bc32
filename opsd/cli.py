"""Command line: the book's analysis on a reader's own CSV.

    opsd fit DATA.csv [--at 14 70 405] [--rule aic|aicc|bic|pseudo_bma|stacking] [--format table|json]
    opsd bootstrap DATA.csv [--at 70] [--n 1000] [--seed 0] [--rule aic|aicc|bic] [--format table|json]
    opsd backtest SERIES.csv --group COL [COL ...] [--holdout 2] [--format table|json]

``--criterion`` is accepted as another name for ``--rule``.

Bad input never ends in a traceback: every problem is one line on stderr
and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from .averaging import model_average
from .data import load_gains
from .fitting import fit_all
from .resampling import bootstrap
from .weights import CRITERIA, RULES

__all__ = ["main", "fit_report", "bootstrap_report", "backtest_report"]


class UsageError(Exception):
    """A malformed command line (reported like bad input: one line, exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def _clean(value):
    """JSON-safe copy: non-finite floats become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def fit_report(path, at, rule: str = "aic") -> dict:
    """Everything ``opsd fit`` prints, as a JSON-ready dictionary."""
    data = load_gains(path)
    fits = fit_all(data)
    average = model_average(fits, at, rule)
    weight = fits.weights(rule)
    models = []
    for fit in fits.fits:
        mean, sd = fit.predict(average.sizes)
        models.append({
            "name": fit.name, "k": fit.k, "params": fit.param_dict, "stderr": fit.stderr, "chi2": fit.chi2,
            "aic": fit.aic, "aicc": fit.aicc, "bic": fit.bic, "weight": weight[fit.name],
            "status": fit.status, "limit": fit.limit,
            "predictions": [{"size_b": float(s), "mean": float(m), "sd": float(d)}
                            for s, m, d in zip(average.sizes, mean, sd)],
        })
    return {
        "n": data.n, "rule": rule, "sigma": "given" if data.sigma_given else "estimated",
        "models": models,
        "excluded": [{"name": name, "reason": reason} for name, reason in fits.excluded],
        "warnings": fits.warnings(),
        "average": [average.at(size) for size in average.sizes],
    }


def bootstrap_report(path, at, n_resamples: int, seed: int, rule: str = "aic", progress: bool = False) -> dict:
    """Everything ``opsd bootstrap`` prints, as a JSON-ready dictionary."""
    result = bootstrap(load_gains(path), at, n_resamples, seed, rule, progress=progress)
    return {
        "n": result.n_resamples, "seed": seed, "rule": rule,
        "failed": result.total_failed, "failed_by_model": result.failed,
        "limits": sum(result.limits.values()), "limits_by_model": result.limits,
        "no_average": result.no_average, "results": result.summary(),
    }


def backtest_report(path, group, holdout: int = 2, progress: bool = False) -> dict:
    """Everything ``opsd backtest`` prints, as a JSON-ready dictionary.

    Reads a long CSV (the ``group`` columns, size_b, gain, se), hides the
    ``holdout`` largest sizes of every series, predicts them with every
    method of :data:`opsd.backtest.CLI_METHODS` and scores the predictions
    (:func:`opsd.backtest.run`, :func:`opsd.backtest.summarise`).
    """
    from .backtest import CLI_METHODS, read_long_csv, run, summarise

    if isinstance(holdout, bool) or not isinstance(holdout, int) or holdout < 1:
        raise ValueError(f"--holdout must be an integer >= 1, got {holdout!r}")
    group = list(group)
    twice = sorted({g for g in group if group.count(g) > 1})
    if twice:
        raise ValueError(f"--group names column {twice[0]!r} twice")
    predictions = run(read_long_csv(path, group), holdouts=(holdout,), methods=CLI_METHODS, group=group,
                      progress=progress)
    rows = [{
        "group": {g: row[g] for g in group}, "size_b": row["size_b"], "fitted_up_to": row["fitted_up_to"],
        "method": row["method"], "mean": row["mean"], "sd": row["sd"], "lo95": row["lo95"], "hi95": row["hi95"],
        "observed": row["observed"], "covered95": None if row["missing"] else bool(row["covered95"]),
    } for row in predictions.to_dict("records")]
    columns = ["n", "missing", "coverage50", "coverage80", "coverage95", "interval_score95", "crps",
               "median_abs_error"]
    summary = [{"method": row["method"], **{c: int(row[c]) if c in ("n", "missing") else float(row[c])
                                            for c in columns}}
               for row in summarise(predictions).to_dict("records")]
    skipped = [{"group": {g: item[g] for g in group}, "n": item["n"], "reason": item["reason"]}
               for item in predictions.attrs["skipped"]]
    return {"holdout": holdout, "predictions": rows, "summary": summary, "skipped": skipped}


def _table(header, rows) -> str:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _num(value, fmt=".3f") -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return format(value, fmt) if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def _rule_name(rule: str) -> str:
    return {"aic": "AIC", "aicc": "AICc", "bic": "BIC", "pseudo_bma": "pseudo-BMA", "stacking": "stacking"}[rule]


def _print_fit(report, path) -> None:
    sigma = "standard errors given" if report["sigma"] == "given" else "one shared sigma estimated from the residuals"
    print(f"{path}: n={report['n']} points, {sigma}; weights from {_rule_name(report['rule'])}")
    print()
    print(_table(
        ["law", "k", "chi2" if report["sigma"] == "given" else "RSS", "AIC", "AICc", "BIC", "weight", "parameters"],
        [[m["name"], m["k"], _num(m["chi2"]), _num(m["aic"], ".2f"), _num(m["aicc"], ".2f"),
          _num(m["bic"], ".2f"), _num(m["weight"]) if m["status"] != "failed" else "FAILED",
          ", ".join(f"{k}={v:.4g} +/- {_num(m['stderr'][k], '.2g')}" for k, v in m["params"].items())]
         for m in report["models"]],
    ))
    for m in report["models"]:
        if m["status"] == "limit":
            print(f"{m['name']} has no interior optimum; its best fit is a limit, {m['limit']}")
    for item in report["excluded"]:
        print(f"excluded {item['name']}: {item['reason']}")
    print()
    sizes = [p["size_b"] for p in report["average"]]
    rows = [[m["name"]] + [f"{_num(p['mean'], '.1f')} +/- {_num(p['sd'], '.1f')}" for p in m["predictions"]]
            for m in report["models"] if m["status"] != "failed"]
    rows.append(["average"] + [f"{_num(p['mean'], '.1f')} +/- {_num(p['sd'], '.1f')}" for p in report["average"]])
    rows.append(["  within sd"] + [_num(p["within_sd"], ".1f") for p in report["average"]])
    rows.append(["  between sd"] + [_num(p["between_sd"], ".1f") for p in report["average"]])
    print(_table(["prediction (pp)"] + [f"{s:g}B" for s in sizes], rows))


def _print_bootstrap(report, path) -> None:
    print(f"{path}: {report['n']} parametric bootstrap resamples, seed {report['seed']}, "
          f"weights from {_rule_name(report['rule'])}")
    limits = ", ".join(f"{name} {count}" for name, count in report["limits_by_model"].items() if count)
    failed = ", ".join(f"{name} {count}" for name, count in report["failed_by_model"].items() if count)
    print(f"refits at a limit of their law (kept, predicting with the limit): {report['limits']}"
          + (f" ({limits})" if limits else ""))
    print(f"failed refits: {report['failed']}" + (f" ({failed})" if failed else "")
          + f"; resamples with no average: {report['no_average']}")
    for result in report["results"]:
        print()
        rows = [[name, _num(m["mean"], ".1f"), _num(m["ci95"][0], ".1f"), _num(m["ci95"][1], ".1f")]
                for name, m in result["models"].items()]
        rows.append(["average", _num(result["mean"], ".1f"), _num(result["ci95"][0], ".1f"),
                     _num(result["ci95"][1], ".1f")])
        print(_table([f"{result['size_b']:g}B", "mean", "2.5%", "97.5%"], rows))


def _print_backtest(report, path) -> None:
    series = {tuple(p["group"].values()) for p in report["predictions"]}
    methods = len(report["summary"]) or 1
    print(f"{path}: the {report['holdout']} largest sizes of each series held out; {len(series)} series, "
          f"{len(report['predictions']) // methods} predictions per method, {len(report['skipped'])} series skipped")
    print("predictive sd = sqrt(method sd^2 + se of the held-out point^2); scores in pp, smaller is better")
    print()
    print(_table(
        ["method", "n", "coverage50", "coverage80", "coverage95", "interval_score95", "crps", "median_abs_error",
         "missing"],
        [[s["method"], s["n"], _num(s["coverage50"]), _num(s["coverage80"]), _num(s["coverage95"]),
          _num(s["interval_score95"], ".2f"), _num(s["crps"], ".2f"), _num(s["median_abs_error"], ".2f"),
          s["missing"]] for s in report["summary"]],
    ))
    for item in report["skipped"]:
        where = ", ".join(f"{k}={v}" for k, v in item["group"].items())
        print(f"skipped {where}: {item['reason']}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="opsd", description="Fit the five OPSD scaling laws to a CSV of gains "
                     "(columns size_b, gain and optionally se) and extrapolate with Akaike model averaging.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fit = sub.add_parser("fit", help="fit all laws, weigh them and extrapolate (Eqs. (1)-(9))")
    boot = sub.add_parser("bootstrap", help="parametric bootstrap of the averaged extrapolation (Section 2.5)")
    for cmd, default_at in ((fit, [14.0, 70.0, 405.0]), (boot, [70.0])):
        cmd.add_argument("data", help="CSV file with columns size_b, gain[, se]")
        cmd.add_argument("--at", type=float, nargs="+", default=default_at, metavar="SIZE_B",
                         help="model sizes (billions of parameters) to predict at")
    fit.add_argument("--rule", "--criterion", choices=RULES, default="aic",
                     help="weighting rule: an information criterion, or pseudo-BMA or stacking (need se)")
    boot.add_argument("--rule", "--criterion", choices=CRITERIA, default="aic",
                      help="information criterion for each resample's weights")
    for cmd in (fit, boot):
        cmd.add_argument("--format", choices=("table", "json"), default="table")
    boot.add_argument("--n", type=int, default=1000, help="number of resamples")
    boot.add_argument("--seed", type=int, default=0, help="seed of numpy.random.default_rng")
    back = sub.add_parser("backtest", help="leave-future-out calibration of the extrapolation over many series")
    back.add_argument("data", help="long CSV file with the group columns, size_b, gain and se")
    back.add_argument("--group", nargs="+", required=True, metavar="COL",
                      help="the columns that name a series (one series per combination of their values)")
    back.add_argument("--holdout", type=int, default=2,
                      help="number of largest sizes of each series to hide and predict")
    back.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    try:
        args = _parser().parse_args(argv)
        if args.command == "fit":
            report = fit_report(args.data, args.at, args.rule)
        elif args.command == "backtest":
            report = backtest_report(args.data, args.group, args.holdout, progress=sys.stderr.isatty())
        else:
            report = bootstrap_report(args.data, args.at, args.n, args.seed, args.rule,
                                      progress=sys.stderr.isatty())
    except (UsageError, ValueError) as exc:
        print(f"opsd: error: {exc}", file=sys.stderr)
        return 2
    for warning in report.get("warnings", []):
        print(f"opsd: warning: {warning}", file=sys.stderr)
    try:
        if args.format == "json":
            print(json.dumps(_clean(report), indent=2))
        elif args.command == "fit":
            _print_fit(report, args.data)
        elif args.command == "backtest":
            _print_backtest(report, args.data)
        else:
            _print_bootstrap(report, args.data)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped reading (`opsd fit ... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
