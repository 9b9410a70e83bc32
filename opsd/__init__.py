"""opsd: multi-model extrapolation of On-Policy Self-Distillation gains.

The helper package of the OPSD scaling book.  Sections of the paper map to
modules: data (3.1), laws, solver and fitting (2.1, Eqs. (1)-(6)), weights
(Eqs. (6)-(7) and other rules), averaging (Eqs. (8)-(9)), decomposition
(2.2, Eqs. (10)-(13)), synthetic (2.3), design (2.4, Eq. (14)), resampling
(the bootstrap of 2.5), benchmarks (3.8); audit checks the paper's printed
numbers, runs computes the book's named runs once, and plots draws the
figures.

Importing opsd limits BLAS and OpenMP to one thread in this process:
threadpoolctl limits the libraries already loaded, and the thread-count
variables (unless set) cover those loaded later, such as SciPy's own
OpenBLAS.  Every matrix opsd builds is tiny, so extra threads only fight for
cores, and on a busy machine they make a fit many times slower.  Call
``threadpoolctl.threadpool_limits(None)`` afterwards to lift the limit.
"""

from threadpoolctl import threadpool_limits as _threadpool_limits

from . import _threads  # noqa: F401  (before numpy is loaded)
from .averaging import AveragedPrediction, combine, model_average
from .data import DATA_DIR, GainData, SimpleRLZoo, accuracy_gain, load_gains, load_simplerl_zoo, mean_gain
from .fitting import FitResult, FitSet, fit_all, fit_law, profile_interval
from .laws import LAW_NAMES, LAWS, ScalingLaw, get_law
from .resampling import BootstrapResult, bootstrap, percentile_interval
from .weights import CRITERIA, RULES, akaike_weights

_threadpool_limits(limits=1)

__all__ = [
    "AveragedPrediction", "BootstrapResult", "CRITERIA", "DATA_DIR", "FitResult", "FitSet", "GainData",
    "LAWS", "LAW_NAMES", "RULES", "ScalingLaw", "akaike_weights", "bootstrap", "combine", "fit_all", "fit_law",
    "SimpleRLZoo", "accuracy_gain", "get_law", "load_gains", "load_simplerl_zoo", "mean_gain", "model_average",
    "percentile_interval", "profile_interval",
]
__version__ = "0.1.0"
