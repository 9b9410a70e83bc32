"""Command line: the book's analysis on a reader's own CSV.

    opsd fit DATA.csv [--at 14 70 405] [--rule aic|aicc|bic|pseudo_bma|stacking] [--format table|json]
    opsd bootstrap DATA.csv [--at 70] [--n 1000] [--seed 0] [--rule aic|aicc|bic] [--format table|json]

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

__all__ = ["main", "fit_report", "bootstrap_report"]


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


def _table(header, rows) -> str:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _num(value, fmt=".3f") -> str:
    return "n/a" if value is None or not math.isfinite(value) else format(value, fmt)


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
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    try:
        args = _parser().parse_args(argv)
        if args.command == "fit":
            report = fit_report(args.data, args.at, args.rule)
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
        else:
            _print_bootstrap(report, args.data)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped reading (`opsd fit ... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
