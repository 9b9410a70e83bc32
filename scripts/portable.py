"""Recompute everything under several OpenBLAS kernels and check every stored output.

    python scripts/portable.py [KERNEL ...]

Each kernel (default: Prescott, Nehalem, Sandybridge, Haswell, Zen,
SkylakeX and Cooperlake) stands for a machine: ``OPENBLAS_CORETYPE`` picks
its BLAS kernel, and ``NPY_DISABLE_CPU_FEATURES`` keeps NumPy's own loops
(exp, log, sums, ...) to the instructions such a CPU has, since NumPy
chooses them by the CPU too.  For each:

1. ask OpenBLAS which kernel it actually runs (a CPU that lacks a kernel's
   instructions falls back to another; a machine already checked is not
   checked again);
2. build every named run into a fresh, empty cache (``python -m opsd.runs
   build``), so nothing computed under another kernel is read;
3. build the book into a fresh directory, which executes every chapter, and
   compare each executed chapter with its reference notebook as ``make
   test`` does (``tests/executed``).

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
#: NumPy's dispatch targets above what each CPU has (NumPy's baseline, x86-64-v2, is always on).
NUMPY_LIMITS = {
    "Prescott": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR", "Nehalem": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    "Sandybridge": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR", "Haswell": "X86_V4 AVX512_ICL AVX512_SPR",
    "Zen": "X86_V4 AVX512_ICL AVX512_SPR", "SkylakeX": "AVX512_ICL AVX512_SPR", "Cooperlake": "AVX512_ICL AVX512_SPR",
}
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
            limits = NUMPY_LIMITS.get(kernel, "")
            env = {**os.environ, "OPENBLAS_CORETYPE": kernel, "NPY_DISABLE_CPU_FEATURES": limits,
                   "OPSD_RUNS": cache, "OPSD_BOOK_EXECUTED": str(Path(cache) / "_build" / "jupyter_execute")}
            running = f"{kernel_in_use(env)}, NumPy without {limits or 'nothing'}"
            if running in seen:
                print(f"== {kernel}: {running} here, already checked under {seen[running]}; skipped")
                results.append((kernel, running, "skipped"))
                continue
            seen[running] = kernel
            print(f"== {kernel}: OpenBLAS {running}; every run recomputed into an empty cache", flush=True)
            start = time.perf_counter()
            steps = ([sys.executable, "-m", "opsd.runs", "build", "-j", str(os.cpu_count() or 1)],
                     [str(Path(sys.executable).parent / "jupyter-book"), "build", "--all", "--warningiserror",
                      "--keep-going", "--quiet", "--path-output", cache, "."],
                     [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/executed"])
            ok = all(subprocess.run(step, env=env, cwd=ROOT).returncode == 0 for step in steps)
            results.append((kernel, running, f"{'passed' if ok else 'FAILED'} in {time.perf_counter() - start:.0f} s"))
    print("\nportability:")
    for kernel, running, outcome in results:
        print(f"  OPENBLAS_CORETYPE={kernel:12} {running:70} {outcome}")
    checked = [r for r in results if r[2] != "skipped"]
    return 0 if checked and all(r[2].startswith("passed") for r in checked) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or KERNELS))
