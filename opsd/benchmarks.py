"""Per-benchmark analysis (Section 3.8) on an illustrative reconstruction.

The paper publishes no per-benchmark gains, only a model-averaged 70B
prediction per benchmark.  :func:`reconstruct` builds the only series those
numbers pin down without further assumptions: each benchmark's gains and
standard errors are the aggregate's times a factor, chosen so that the
benchmark's model-averaged prediction at ``size`` equals the printed value.
Every law is linear in its amplitude, so scaling gains and errors by c
leaves each chi^2 and Akaike weight unchanged and scales every prediction
and standard deviation by c; the factor is therefore exact.
"""

from __future__ import annotations

from .averaging import model_average
from .data import GainData
from .fitting import fit_all

__all__ = ["reconstruct"]


def reconstruct(data: GainData, targets: dict, size: float = 70.0, rule: str = "aic") -> dict:
    """Benchmark name -> (factor, GainData) reproducing ``targets`` at ``size``.

    Labelled an illustrative reconstruction in its ``source``: it carries no
    information beyond the aggregate and the printed targets.
    """
    if not targets:
        raise ValueError("no benchmark targets given")
    aggregate = model_average(fit_all(data), [size], rule).at(size)["mean"]
    if aggregate == 0:
        raise ValueError(f"the aggregate prediction at {size:g}B is 0, so no factor can reproduce a target")
    out = {}
    for name, target in targets.items():
        factor = float(target) / aggregate
        if factor <= 0:
            raise ValueError(f"{name}: target {target} has the opposite sign of the aggregate prediction")
        se = None if data.se is None else factor * data.se
        out[name] = (factor, GainData.from_arrays(data.sizes, factor * data.gains, se,
                                                  source=f"illustrative reconstruction of {name}"))
    return out
