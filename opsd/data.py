"""Observed OPSD gains: loading and validation (Section 3.1).

Validation happens once, here, at the boundary.  Every problem raises a
``ValueError`` that names the line and column it was found in and what was
expected, so that neither the book nor the command line ever works on data
that were silently repaired.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DATA_DIR", "GainData", "load_gains", "accuracy_gain", "mean_gain", "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS"]

#: The book's data directory in a source checkout (chapters and tests read from it).
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

REQUIRED_COLUMNS = ("size_b", "gain")
OPTIONAL_COLUMNS = ("se",)


def _frozen(values) -> np.ndarray:
    arr = np.array(values, dtype=float)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, repr=False)
class GainData:
    """Gains (percentage points) at model sizes (billions of parameters).

    ``se`` holds the standard error of each gain, or is ``None`` when the
    errors are unknown and one shared sigma must be estimated from the fit.
    Points are kept sorted by size.
    """

    sizes: np.ndarray
    gains: np.ndarray
    se: np.ndarray | None = None
    source: str = "arrays"

    @classmethod
    def from_arrays(cls, sizes, gains, se=None, source: str = "arrays") -> "GainData":
        """Validate plain sequences and build a :class:`GainData`."""
        columns = {"size_b": sizes, "gain": gains}
        if se is not None:
            columns["se"] = se
        arrays = {}
        for name, values in columns.items():
            try:
                arr = np.asarray(values, dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"{source}: column {name!r} is not numeric") from None
            if arr.ndim != 1:
                raise ValueError(f"{source}: column {name!r} must be one-dimensional")
            arrays[name] = arr
        lengths = {name: len(arr) for name, arr in arrays.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"{source}: columns have different lengths {lengths}")
        return cls._validated(arrays, [f"{source}: index {i}" for i in range(lengths["size_b"])], source)

    @classmethod
    def _validated(cls, arrays: dict, where: list[str], source: str) -> "GainData":
        if not where:
            raise ValueError(f"{source}: no data rows")
        for name, arr in arrays.items():
            for i, value in enumerate(arr):
                if not math.isfinite(value):
                    raise ValueError(f"{where[i]}, column {name!r}: value {value} is not finite")
                if name in ("size_b", "se") and value <= 0:
                    raise ValueError(f"{where[i]}, column {name!r}: must be > 0, got {value:g}")
        first_seen: dict[float, int] = {}
        for i, size in enumerate(arrays["size_b"]):
            if size in first_seen:
                raise ValueError(
                    f"{where[i]}: duplicate size_b {size:g} (also at {where[first_seen[size]]})"
                )
            first_seen[size] = i
        order = np.argsort(arrays["size_b"], kind="stable")
        se = arrays.get("se")
        return cls(
            sizes=_frozen(arrays["size_b"][order]),
            gains=_frozen(arrays["gain"][order]),
            se=None if se is None else _frozen(se[order]),
            source=source,
        )

    @property
    def n(self) -> int:
        return len(self.sizes)

    @property
    def sigma_given(self) -> bool:
        """True when standard errors were supplied (Eq. (6) weights)."""
        return self.se is not None

    def with_gains(self, gains, se=None) -> "GainData":
        """The same sizes with new gains (and optionally new errors)."""
        return GainData.from_arrays(
            self.sizes, gains, self.se if se is None else se, source=self.source
        )

    def subset(self, keep, source: str | None = None) -> "GainData":
        """The points selected by ``keep`` (a boolean mask or indices into the sorted sizes)."""
        keep = np.asarray(keep)
        if keep.dtype == bool and keep.shape != self.sizes.shape:
            raise ValueError(f"a mask over {self.n} points has shape {keep.shape}")
        return GainData.from_arrays(self.sizes[keep], self.gains[keep], None if self.se is None else self.se[keep],
                                    source=self.source if source is None else source)

    def to_frame(self):
        import pandas as pd

        frame = pd.DataFrame({"gain": self.gains}, index=pd.Index(self.sizes, name="size_b"))
        if self.se is not None:
            frame["se"] = self.se
        return frame

    def __repr__(self) -> str:
        se = "estimated sigma" if self.se is None else "given se"
        return f"GainData(n={self.n}, sizes={self.sizes.tolist()}, {se}, source={self.source!r})"


def csv_rows(path, expected: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The stripped header and the non-blank rows, each with its line number, of the CSV at ``path``.

    An unreadable or empty file raises a ``ValueError`` naming it and the
    ``expected`` columns.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [(line, row) for line, row in enumerate(csv.reader(handle), start=1) if any(c.strip() for c in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValueError(f"cannot read {path}: {reason}") from None
    if not rows:
        raise ValueError(f"{path} is empty: expected a header with columns {expected}")
    return [name.strip() for name in rows[0][1]], rows[1:]


def load_gains(path) -> GainData:
    """Read a CSV with columns ``size_b``, ``gain`` and optionally ``se``.

    Other columns are allowed and ignored; blank lines are skipped.  Any
    other irregularity (unreadable file, missing column, ragged row,
    non-numeric or non-finite value, size or se <= 0, duplicate size) raises
    a ``ValueError`` naming the file, line and column.
    """
    path = Path(path)
    header, rows = csv_rows(path, "size_b, gain[, se]")
    for name in REQUIRED_COLUMNS:
        if name not in header:
            raise ValueError(
                f"{path}: missing column {name!r} in the header "
                f"(found {', '.join(repr(h) for h in header)}; expected size_b, gain and optionally se)"
            )
    duplicated = sorted({h for h in header if header.count(h) > 1 and h in REQUIRED_COLUMNS + OPTIONAL_COLUMNS})
    if duplicated:
        raise ValueError(f"{path}: column {duplicated[0]!r} appears more than once in the header")
    wanted = [c for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in header]
    arrays = {c: [] for c in wanted}
    where = []
    for line, row in rows:
        if len(row) != len(header):
            raise ValueError(f"{path}, line {line}: {len(row)} fields, but the header has {len(header)}")
        for name in wanted:
            text = row[header.index(name)].strip()
            try:
                arrays[name].append(float(text))
            except ValueError:
                raise ValueError(f"{path}, line {line}, column {name!r}: {text!r} is not a number") from None
        where.append(f"{path}, line {line}")
    return GainData._validated(
        {name: np.array(values, dtype=float) for name, values in arrays.items()}, where, str(path)
    )


def accuracy_gain(base, tuned, n_problems):
    """Gain in percentage points between two accuracies (in %) and its binomial standard error.

    Each accuracy p measured on n problems has variance p(1 - p)/n; the two
    evaluations are treated as independent, so the variance of the
    difference is the sum.  Evaluations on the same problems are usually
    positively correlated, which makes this an overstatement (a conservative
    se).  p is estimated as (x + 1)/(n + 2) for the variance, so that a
    score of 0% or 100% still has a positive standard error.
    """
    base, tuned, n = (np.asarray(v, float) for v in (base, tuned, n_problems))
    if np.any((base < 0) | (base > 100) | (tuned < 0) | (tuned > 100)):
        raise ValueError("accuracies must be percentages between 0 and 100")
    if np.any(n < 1):
        raise ValueError("n_problems must be at least 1")
    return tuned - base, np.sqrt(binomial_variance(base, n) + binomial_variance(tuned, n))


def binomial_variance(accuracy, n_items):
    """Variance (pp^2) of an accuracy (%) measured on ``n_items`` items, p(1 - p)/n with p = (x + 1)/(n + 2)."""
    n = np.asarray(n_items, float)
    p = (np.asarray(accuracy, float) / 100 * n + 1) / (n + 2)
    return 1e4 * p * (1 - p) / n


def mean_gain(gains, ses, axis: int = 0):
    """Mean of gains over independent benchmarks and its standard error, sqrt(sum se^2) / m."""
    gains, ses = np.asarray(gains, float), np.asarray(ses, float)
    m = gains.shape[axis]
    return gains.mean(axis=axis), np.sqrt(np.sum(ses**2, axis=axis)) / m


@dataclass(frozen=True)
class SimpleRLZoo:
    """The SimpleRL-Zoo gains (see :func:`load_simplerl_zoo`).

    ``series``: benchmark -> GainData of the gain of RL over the base model,
    plus "average"; ``baseline``: benchmark -> base accuracies (%), so that
    a gain cannot exceed 100 minus it; ``reported_average``: the gain in the
    source's own average column, to check the computed average against.
    """

    series: dict
    baseline: dict
    reported_average: np.ndarray


def load_simplerl_zoo(directory=None) -> SimpleRLZoo:
    """The SimpleRL-Zoo gains of RL over the base model per benchmark and on average.

    Reads ``simplerl_zoo.csv`` (accuracies of each base and RL model, %) and
    ``benchmark_problems.csv`` (the number of problems behind each
    benchmark) from ``directory`` (default :data:`DATA_DIR`; provenance in
    its README).  Each gain is :func:`accuracy_gain` with its binomial
    standard error; "average" is :func:`mean_gain` over the benchmarks of
    ``benchmark_problems.csv``.
    """
    import pandas as pd

    directory = DATA_DIR if directory is None else Path(directory)
    table = directory / "simplerl_zoo.csv"
    raw = pd.read_csv(table)
    n_problems = pd.read_csv(directory / "benchmark_problems.csv").set_index("benchmark")["n_problems"]
    missing = sorted({"size_b", "variant", "avg", *n_problems.index} - set(raw.columns))
    if missing:
        raise ValueError(f"{table}: missing columns {missing}")
    for name in n_problems.index:
        values = pd.to_numeric(raw[name], errors="coerce")
        bad = ~values.between(0, 100)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{table}, line {row + 2}, column {name!r}: {str(raw[name].iloc[row])!r} is not an "
                             "accuracy in [0, 100]")
    base = raw[raw["variant"] == "base"].set_index("size_b").sort_index()
    tuned = raw[raw["variant"] == "rl"].set_index("size_b").sort_index()
    if base.empty or not base.index.equals(tuned.index):
        raise ValueError(f"{table}: expected one 'base' and one 'rl' row at every size")
    sizes = base.index.to_numpy(float)
    series, baseline, pairs = {}, {}, []
    for name, n in n_problems.items():
        gain, se = accuracy_gain(base[name], tuned[name], n)
        series[name] = GainData.from_arrays(sizes, gain, se, source=f"SimpleRL-Zoo {name}")
        baseline[name] = base[name].to_numpy(float)
        pairs.append((gain, se))
    mean, se = mean_gain([g for g, _ in pairs], [s for _, s in pairs])
    series["average"] = GainData.from_arrays(sizes, mean, se, source="SimpleRL-Zoo average")
    baseline["average"] = base[list(n_problems.index)].mean(axis=1).to_numpy(float)
    return SimpleRLZoo(series, baseline, (tuned["avg"] - base["avg"]).to_numpy(float))
