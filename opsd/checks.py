"""Checks of arguments at the package's boundary, each defined once.

Every public function that takes prediction sizes, a count of draws or an
interval level checks it here, so a bad value gets the same clear
ValueError wherever it enters.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

__all__ = ["check_sizes", "check_count", "check_level", "normal_quantile"]


def check_sizes(sizes, what: str = "prediction sizes") -> np.ndarray:
    """``sizes`` as a 1-d float array, or a ValueError unless it is non-empty, finite and > 0."""
    sizes = np.atleast_1d(np.asarray(sizes, float))
    if sizes.ndim != 1 or sizes.size == 0 or not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise ValueError(f"{what} must be finite and > 0, got {sizes.tolist()}")
    return sizes


def check_count(value, name: str, minimum: int = 1) -> int:
    """``value`` if it is an integer >= ``minimum`` (not a bool), else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_level(level, name: str = "level") -> float:
    """``level`` as a float if it is a number strictly between 0 and 1, else a ValueError naming ``name``."""
    if isinstance(level, bool) or not (isinstance(level, (float, int, np.floating, np.integer)) and 0 < level < 1):
        raise ValueError(f"{name} must be between 0 and 1, got {level!r}")
    return float(level)


def normal_quantile(level: float) -> float:
    """z such that mean -/+ z sd is the central normal interval of probability ``level``."""
    return NormalDist().inv_cdf(0.5 + check_level(level) / 2)
