"""One BLAS/OpenMP thread for the libraries loaded after this module (see opsd's docstring)."""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
