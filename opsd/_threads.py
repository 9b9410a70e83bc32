"""One BLAS thread around the solver's own work.

Every matrix opsd builds is tiny, so extra BLAS threads only fight for
cores, and on a busy machine they make a fit many times slower.  The limit
is applied around the work (:func:`one_thread`, a context manager and a
decorator), never to the user's whole process: importing opsd changes no
thread setting.
"""

from __future__ import annotations

import contextlib
import functools
import threading

__all__ = ["one_thread"]


@functools.cache
def _controller():
    import numpy  # noqa: F401  (NumPy's and SciPy's BLAS are loaded, so that the controller sees both)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


_lock = threading.Lock()
_depth = 0
_limiter = None


@contextlib.contextmanager
def one_thread():
    """Limit every BLAS and OpenMP library to one thread for the duration, then restore it.

    The limit is process-wide, so it is counted: the first of any nested or
    concurrent (threaded) uses sets it, and the last to leave restores it.
    """
    global _depth, _limiter
    with _lock:
        if _depth == 0:
            _limiter = _controller().limit(limits=1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _limiter.restore_original_limits()
                _limiter = None
