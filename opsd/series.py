"""Real scaling series: gains by model size from public evaluation tables.

:func:`load_series` returns one long table, one row per (series, model size),
of three kinds of series (sources and every constant: ``data/README.md``):

``accuracy``
    Accuracy above chance, ``100 * accuracy - chance`` in percentage points,
    of one model family on one of the eight benchmarks of
    ``obsscaling_benchmark.csv`` (Ruan, Maddison and Hashimoto, arXiv
    2405.10938).  ``baseline`` is the chance level, so a gain's ceiling is
    ``100 - baseline``.
``technique``
    Gain of a prompting technique over its baseline on the same model, from
    ``obsscaling_post_training.csv``: GSM8K 8-shot chain of thought over 5-shot
    direct answer, GSM8K self-consistency (majority of five sampled chains)
    over the first of those chains, and BIG-Bench Hard 3-shot chain of thought
    over 3-shot direct answer (the unweighted mean over its 27 tasks).
    ``baseline`` is the baseline condition's accuracy.
``simplerl``
    SimpleRL-Zoo, GRPO over the Qwen2.5 base model (``simplerl_zoo.csv``),
    per benchmark and for the mean of the six; ``baseline`` is the base model.

Answers are scored with the table's flexible extraction, not its strict
match, in both conditions of every technique.  Strict match accepts only an
answer in the fixed final form that chain-of-thought exemplars end with: it
scores direct few-shot BIG-Bench Hard at exactly 0 for 71 of the 75 models
evaluated, 70M to 70B parameters (at most 13.5% for the other four), where
flexible extraction finds 26-61%.  A strict chain-of-thought "gain" is then
the chain-of-thought accuracy itself, 12-54 pp even for Pythia and OPT, whose
flexible gains are within 3 pp of zero: it measures the answer format, not
the technique.  ``extraction="strict"`` exists to show this.

Standard errors.  An accuracy p (%) on n items has binomial variance
p(1 - p)/n, p smoothed to (x + 1)/(n + 2) so that 0% and 100% keep a positive
error (as :func:`opsd.accuracy_gain`).  A gain of one condition over another
on the same items adds the two variances, the independent-samples formula:
aggregate tables do not pair the answers, and with the usual positive
correlation of two conditions across items the true error is smaller, so
this one is conservative.  A mean per-item score in [0, 1] (TruthfulQA mc2,
some BIG-Bench Hard tasks) has variance at most p(1 - p), so the formula
stays an upper bound.  A score that is an unweighted mean over K parts of
n_k items uses the effective count K**2 / sum(1 / n_k) (exact when the parts
share one accuracy); ``n_items`` is that count.

One checkpoint per size: where a family lists a size twice, the row listed
first in the source table is kept (here only RWKV 14B: rwkv-4-14b-pile is
kept, its chat fine-tune rwkv-raven-14b dropped).  Series with fewer than
:data:`MIN_SIZES` distinct sizes are left out.  A series is labelled
``floor`` when at every size ``abs(gain) <= max(FLOOR_PP, FLOOR_Z * se)``,
that is within 3 pp or two standard errors of zero.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .data import DATA_DIR, binomial_variance, csv_rows, load_simplerl_zoo

__all__ = ["CHANCE", "ITEMS", "MIN_SIZES", "FLOOR_PP", "FLOOR_Z", "TECHNIQUES", "load_series", "every_nth_series",
           "series_table"]

#: Fewest distinct sizes a series needs; floor label thresholds (pp, standard errors).
MIN_SIZES, FLOOR_PP, FLOOR_Z = 5, 3.0, 2.0

#: Chance level (%) of each benchmark: the Open LLM Leaderboard (v1) baseline row for its five
#: multiple-choice tasks (four options, WinoGrande two; for TruthfulQA mc2 a nominal 25); two
#: options per XWinograd schema; 0 for free-form answers (GSM8K numbers, HumanEval programs).
CHANCE = {"MMLU": 25.0, "ARC-C": 25.0, "HellaSwag": 25.0, "Winograd": 50.0, "TruthfulQA": 25.0,
          "GSM8K": 0.0, "XWinograd": 50.0, "HumanEval": 0.0}

_MMLU_SUBJECTS = (100, 135, 152, 100, 265, 144, 100, 100, 100, 173, 102, 100, 235, 114, 145, 378, 126, 100, 310,
                  203, 100, 165, 198, 193, 390, 270, 238, 151, 545, 216, 204, 237, 223, 131, 121, 108, 163, 112,
                  103, 234, 100, 783, 346, 895, 306, 311, 324, 282, 1534, 272, 612, 110, 245, 201, 100, 166, 171)

#: Items per part of each score (one part: a plain accuracy), the splits the Open LLM Leaderboard v1
#: and lm-evaluation-harness score, checked against the values (data/README.md).  MMLU: test sets of
#: its 57 subjects (alphabetical, 14042 in all), mean over subjects; ARC-Challenge test 1172; HellaSwag
#: validation 10042; WinoGrande validation 1267; TruthfulQA 817 questions; GSM8K test 1319; XWinograd
#: en, fr, jp, pt, ru, zh, mean over languages; HumanEval 164 problems; GSM8K in the post-training
#: table: a 500-problem subsample; BIG-Bench Hard (Suzgun et al. 2022): 27 tasks of 250 items but
#: causal_judgement 187, penguins_in_a_table 146 and snarks 178, mean over tasks.
ITEMS = {"MMLU": _MMLU_SUBJECTS, "ARC-C": (1172,), "HellaSwag": (10042,), "Winograd": (1267,),
         "TruthfulQA": (817,), "GSM8K": (1319,), "XWinograd": (2325, 83, 959, 263, 315, 504), "HumanEval": (164,),
         "GSM8K-500": (500,), "BBH": (250,) * 24 + (187, 146, 178)}

_GSM_DIRECT, _GSM_COT = "gsm8k_5_exact_match,", "gsm8k_cot_8_exact_match,"
_SC = "gsm8k_cot_self_consistency_8_exact_match,"
_BBH_DIRECT, _BBH_COT = "bbh_fewshot_overall_3_exact_match,", "bbh_cot_fewshot_overall_3_exact_match,"
#: Technique: (ITEMS key, {extraction: (baseline column, technique column)}) in obsscaling_post_training.csv.
TECHNIQUES = {
    "GSM8K CoT over direct": ("GSM8K-500", {
        "flexible": (_GSM_DIRECT + "flexible-extract", _GSM_COT + "flexible-extract"),
        "strict": (_GSM_DIRECT + "strict-match", _GSM_COT + "strict-match")}),
    "GSM8K self-consistency over single CoT": ("GSM8K-500", {
        "flexible": (_SC + "score-first-flexible-extract", _SC + "maj@5-flexible-extract"),
        "strict": (_SC + "score-first", _SC + "maj@5")}),
    "BBH CoT over direct": ("BBH", {
        "flexible": (_BBH_DIRECT + "flexible-extract", _BBH_COT + "flexible-extract"),
        "strict": (_BBH_DIRECT + "strict-match", _BBH_COT + "strict-match")}),
}

_SIMPLERL = {"gsm8k": "GSM8K", "math500": "MATH500", "minerva": "Minerva Math", "olympiadbench": "OlympiadBench",
             "aime24_pass1": "AIME24", "amc23": "AMC23"}


def _effective_items(parts) -> float:
    """Items behind an unweighted mean over parts of ``parts`` items each: K**2 / sum(1 / n_k)."""
    parts = np.asarray(parts, float)
    return len(parts) ** 2 / np.sum(1 / parts)


def _read(path: Path, text=(), numbers=(), upper: float = 1.0, positive=()) -> pd.DataFrame:
    """Columns ``text`` as strings, ``numbers`` as blank (NaN) or finite in [0, upper], ``positive`` as > 0."""
    header, rows = csv_rows(path, ", ".join((*text, *numbers, *positive)))
    if not rows:
        raise ValueError(f"{path}: no header or no data rows")
    for name in (*text, *numbers, *positive):
        if name not in header:
            raise ValueError(f"{path}: missing column {name!r}")
    columns = {name: [] for name in (*text, *numbers, *positive)}
    for line, row in rows:
        if len(row) != len(header):
            raise ValueError(f"{path}, line {line}: {len(row)} fields, but the header has {len(header)}")
        for name in text:
            columns[name].append(row[header.index(name)].strip())
        for name in (*numbers, *positive):
            cell = row[header.index(name)].strip()
            try:
                value = float(cell) if cell else math.nan
            except ValueError:
                raise ValueError(f"{path}, line {line}, column {name!r}: {cell!r} is not a number") from None
            if name in positive and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{path}, line {line}, column {name!r}: {cell!r} is not a positive number")
            if name not in positive and cell and not (math.isfinite(value) and 0 <= value <= upper):
                raise ValueError(f"{path}, line {line}, column {name!r}: {cell!r} is not a number in [0, {upper:g}]")
            columns[name].append(value)
    return pd.DataFrame(columns)


def _unique(names: pd.Series, path: Path) -> None:
    if names.duplicated().any():
        raise ValueError(f"{path}: model {names[names.duplicated()].iloc[0]!r} is listed twice")


def _frame(kind, benchmark, group, gain, se, n_items, baseline) -> pd.DataFrame:
    family = group["family"].iloc[0]
    return pd.DataFrame({
        "series": f"{kind}/{benchmark}/{family}", "kind": kind, "family": family, "benchmark": benchmark,
        "model": group["model"].to_numpy(), "size_b": group["size_b"].to_numpy(float), "gain": gain, "se": se,
        "n_items": float(n_items), "baseline": baseline})


def _models(data_dir: Path) -> pd.DataFrame:
    """obsscaling_benchmark.csv, one checkpoint per (family, size): the first listed."""
    table = _read(data_dir / "obsscaling_benchmark.csv", ("Model", "Model Family"), tuple(CHANCE),
                  positive=("Model Size (B)",))
    table = table.rename(columns={"Model": "model", "Model Family": "family", "Model Size (B)": "size_b"})
    _unique(table["model"], data_dir / "obsscaling_benchmark.csv")
    return table.drop_duplicates(["family", "size_b"], keep="first")


def _accuracy(models: pd.DataFrame):
    for name, chance in CHANCE.items():
        n = _effective_items(ITEMS[name])
        for _, group in models.dropna(subset=[name]).groupby("family"):
            p = 100 * group[name].to_numpy()
            yield _frame("accuracy", name, group, p - chance, np.sqrt(binomial_variance(p, n)), n, chance)


def _techniques(models: pd.DataFrame, data_dir: Path, extraction: str):
    columns = [c for _, pairs in TECHNIQUES.values() for c in pairs[extraction]]
    path = data_dir / "obsscaling_post_training.csv"
    post = _read(path, ("Model",), columns).rename(columns={"Model": "model"})
    _unique(post["model"], path)
    post = post.merge(models[["model", "family", "size_b"]], on="model")
    for technique, (items, pairs) in TECHNIQUES.items():
        n, (before, after) = _effective_items(ITEMS[items]), pairs[extraction]
        for _, group in post.dropna(subset=[before, after]).groupby("family"):
            p0, p1 = 100 * group[before].to_numpy(), 100 * group[after].to_numpy()
            se = np.sqrt(binomial_variance(p0, n) + binomial_variance(p1, n))
            yield _frame("technique", technique, group, p1 - p0, se, n, p0)


def _simplerl(data_dir: Path):
    zoo = load_simplerl_zoo(data_dir)
    counts = pd.read_csv(data_dir / "benchmark_problems.csv").set_index("benchmark")["n_problems"]
    for key, data in zoo.series.items():
        if key in counts:
            name, n = _SIMPLERL[key], counts[key]
        else:
            name, n = f"mean of {len(counts)}", _effective_items(counts)
        models = [f"Qwen2.5-{size:g}B" for size in data.sizes]
        group = pd.DataFrame({"family": "Qwen2.5", "model": models, "size_b": data.sizes})
        yield _frame("simplerl", name, group, data.gains, data.se, n, zoo.baseline[key])


def load_series(data_dir=DATA_DIR, extraction: str = "flexible") -> pd.DataFrame:
    """All real scaling series, one row per (series, model size); see the module docstring.

    Columns: ``series`` (``kind/benchmark/family``), ``kind``, ``family``, ``benchmark`` (or technique),
    ``model`` (checkpoint), ``size_b`` (billions of parameters), ``gain`` and ``se`` (percentage points),
    ``n_items``, ``baseline`` (%, ceiling of the gain is ``100 - baseline``) and ``floor`` (bool, per
    series).  Sorted by kind, series and size.  Reads ``data_dir`` only; a missing file or column, a
    malformed number or an inconsistent table raises ``ValueError`` naming the file.
    """
    if extraction not in ("flexible", "strict"):
        raise ValueError(f"extraction must be 'flexible' or 'strict', got {extraction!r}")
    data_dir = Path(data_dir)
    models = _models(data_dir)
    table = pd.concat([*_accuracy(models), *_techniques(models, data_dir, extraction), *_simplerl(data_dir)],
                      ignore_index=True)
    table = table[table.groupby("series")["size_b"].transform("nunique") >= MIN_SIZES]
    near_zero = table["gain"].abs() <= np.maximum(FLOOR_PP, FLOOR_Z * table["se"])
    table = table.assign(floor=near_zero.groupby(table["series"]).transform("all").astype(bool))
    rank = table["kind"].map({"accuracy": 0, "technique": 1, "simplerl": 2})
    table = table.assign(_rank=rank).sort_values(["_rank", "series", "size_b"])
    return table.drop(columns="_rank").reset_index(drop=True)


def every_nth_series(series: pd.DataFrame, every: int) -> pd.DataFrame:
    """The rows of every ``every``-th series, in the table's order (a fixed subsample for slow methods)."""
    if not (isinstance(every, int) and every >= 1):
        raise ValueError(f"every must be a positive integer, got {every!r}")
    chosen = series["series"].drop_duplicates().iloc[::every]
    return series[series["series"].isin(chosen)]


def series_table(series: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per series: kind, family, benchmark, number and range of sizes, range of gains, floor."""
    series = load_series() if series is None else series
    return series.groupby("series", sort=False).agg(
        kind=("kind", "first"), family=("family", "first"), benchmark=("benchmark", "first"),
        n_sizes=("size_b", "nunique"), size_min=("size_b", "min"), size_max=("size_b", "max"),
        gain_min=("gain", "min"), gain_max=("gain", "max"), floor=("floor", "first"))
