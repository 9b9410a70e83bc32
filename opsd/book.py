"""Small helpers the book's chapters share."""

from __future__ import annotations

import math
import numbers

__all__ = ["glue", "run_cli", "SIGNIFICANT"]

SIGNIFICANT = 5


def glue(name: str, value) -> None:
    """Glue ``value`` for ``{glue:text}`` without displaying it.

    Numbers are glued as plain Python floats (numpy scalars break format
    specs) rounded to SIGNIFICANT digits, a little beyond the three or four
    the prose shows.  The tests compare a glued number as the prose shows it
    (formatted by each ``{glue:text}`` spec that pastes it), so the digits
    beyond those, which can move with the CPU, the BLAS kernel or where an
    optimiser stopped, are never a result.  Strings and integers are glued
    as they are.
    """
    from myst_nb import glue as _glue

    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
    elif isinstance(value, numbers.Real):
        value = float(value)
        if math.isfinite(value) and value != 0.0:
            value = round(value, SIGNIFICANT - 1 - int(math.floor(math.log10(abs(value)))))
    _glue(name, value, display=False)


def run_cli(*args: str, cwd=None) -> None:
    """Run ``opsd ARGS`` in a fresh process and print what a terminal would show.

    Prints the command, then its standard output and standard error, then
    the exit status.  Used by the book to show the command line working,
    errors included.
    """
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "opsd", *args], capture_output=True, text=True, cwd=cwd)
    print("$ opsd " + " ".join(args))
    if run.stdout:
        print(run.stdout, end="")
    if run.stderr:
        print(run.stderr, end="")
    print(f"[exit status {run.returncode}]")
