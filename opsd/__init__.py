"""opsd: multi-model extrapolation of On-Policy Self-Distillation gains.

The helper package of the OPSD scaling book.  Sections of the paper map to
modules: data (3.1), laws, solver and fitting (2.1, Eqs. (1)-(6)), weights
(Eqs. (6)-(7) and other rules), averaging (Eqs. (8)-(9)), decomposition
(2.2, Eqs. (10)-(13)), synthetic (2.3), design (2.4, Eq. (14)), resampling
(the bootstrap of 2.5), benchmarks (3.8); audit checks the paper's printed
numbers, runs declares and caches the book's named runs, and plots draws the
figures.

Importing opsd changes nothing in the importing process: the solver limits
BLAS to one thread only around its own work (its matrices are tiny, and on a
busy machine extra threads only fight for cores), and figures are drawn
inside a matplotlib rc context.
"""

from . import sources  # noqa: F401  (first: the source as imported keys the named runs)
from .averaging import AveragedPrediction, combine, model_average
from .data import DATA_DIR, GainData, SimpleRLZoo, accuracy_gain, load_gains, load_simplerl_zoo, mean_gain
from .fitting import FitResult, FitSet, fit_all, fit_law, profile_interval
from .laws import LAW_NAMES, LAWS, ScalingLaw, get_law
from .resampling import BootstrapResult, bootstrap, percentile_interval
from .weights import CRITERIA, RULES, akaike_weights

__all__ = [
    "AveragedPrediction", "BootstrapResult", "CRITERIA", "DATA_DIR", "FitResult", "FitSet", "GainData",
    "LAWS", "LAW_NAMES", "RULES", "ScalingLaw", "akaike_weights", "bootstrap", "combine", "fit_all", "fit_law",
    "SimpleRLZoo", "accuracy_gain", "get_law", "load_gains", "load_simplerl_zoo", "mean_gain", "model_average",
    "percentile_interval", "profile_interval",
]
__version__ = "0.1.0"
