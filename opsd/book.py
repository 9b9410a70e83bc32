"""Small helpers the book's chapters share."""

from __future__ import annotations

import math
import numbers

__all__ = ["glue"]


def glue(name: str, value) -> None:
    """Glue ``value`` for ``{glue:text}`` without displaying it.

    Numbers are glued as plain Python floats (numpy scalars break format
    specs) rounded to 12 significant digits, so that the stored outputs the
    tests compare do not depend on the last bits of floating point; strings
    and integers are glued as they are.
    """
    from myst_nb import glue as _glue

    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
    elif isinstance(value, numbers.Real):
        value = float(value)
        if math.isfinite(value) and value != 0.0:
            value = round(value, 11 - int(math.floor(math.log10(abs(value)))))
    _glue(name, value, display=False)
