"""Recompute everything under several OpenBLAS kernels and check every stored output.

    python scripts/portable.py [KERNEL ...]

For each kernel (default: Prescott, Nehalem, Sandybridge, Haswell, Zen,
SkylakeX and Cooperlake), with ``OPENBLAS_CORETYPE`` set to it:

1. ask OpenBLAS which kernel it actually runs (a CPU that lacks a kernel's
   instructions falls back to another; a kernel already checked is not run
   again);
2. build every named run into a fresh, empty cache (``python -m opsd.runs
   build``), so nothing computed under another kernel is read;
3. run nbval on the reference notebooks, which executes every chapter
   afresh and compares every stored output.

Prints which kernels ran and which were skipped, and exits non-zero when any
check failed.  Not part of ``make test``: some machines set
``OPENBLAS_CORETYPE`` themselves, and CI runs on whatever its machine chose.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNELS = ("Prescott", "Nehalem", "Sandybridge", "Haswell", "Zen", "SkylakeX", "Cooperlake")
PROBE = ("import numpy, scipy.linalg; from threadpoolctl import threadpool_info; "
         "print(' '.join(sorted({str(lib.get('architecture')) for lib in threadpool_info() "
         "if lib.get('user_api') == 'blas'})))")


def kernel_in_use(env) -> str:
    """The kernel name(s) OpenBLAS reports under ``env``, for NumPy's and SciPy's copies."""
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def main(kernels) -> int:
    results, seen = [], {}
    for kernel in kernels:
        with tempfile.TemporaryDirectory(prefix=f"opsd-runs-{kernel}-") as cache:
            env = {**os.environ, "OPENBLAS_CORETYPE": kernel, "OPSD_RUNS": cache,
                   "OPSD_FIGURE_DIR": str(Path(cache) / "figures")}
            running = kernel_in_use(env)
            if running in seen:
                print(f"== {kernel}: OpenBLAS runs {running} here, already checked under {seen[running]}; skipped")
                results.append((kernel, running, "skipped"))
                continue
            seen[running] = kernel
            print(f"== {kernel}: OpenBLAS runs {running}; every run recomputed into an empty cache", flush=True)
            start = time.perf_counter()
            steps = ([sys.executable, "-m", "opsd.runs", "build", "-j", str(os.cpu_count() or 1)],
                     [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
                      "-q", "tests/notebooks"])
            ok = all(subprocess.run(step, env=env, cwd=ROOT).returncode == 0 for step in steps)
            results.append((kernel, running, f"{'passed' if ok else 'FAILED'} in {time.perf_counter() - start:.0f} s"))
    print("\nportability:")
    for kernel, running, outcome in results:
        print(f"  OPENBLAS_CORETYPE={kernel:12} runs {running:22} {outcome}")
    checked = [r for r in results if r[2] != "skipped"]
    return 0 if checked and all(r[2].startswith("passed") for r in checked) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or KERNELS))
