"""The decomposition fit on an idle and on a busy machine, BLAS threads pinned or not.

opsd pins BLAS/OpenMP threads to one when it is imported (its matrices are
tiny, and extra threads only fight for cores).  This script times the
20-start decomposition fit of data/observed_gains.csv in fresh processes,
with opsd's pin and with the pin lifted to one thread per core, first on an
idle machine and then with one other process keeping a core busy.  Prints
the median of each and the ratios: busy against idle with the pin (target:
at most 2x), and unpinned against pinned on the busy machine.

    python tests/benchmarks/threads.py [--runs 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import os, sys, time
import opsd
from opsd import decomposition
from threadpoolctl import threadpool_limits

data = opsd.load_gains(opsd.DATA_DIR / "observed_gains.csv")
with threadpool_limits(limits=1 if sys.argv[1] == "pinned" else os.cpu_count()):
    start = time.perf_counter()
    decomposition.fit_decomposition(data, n_starts=20, seed=0)
    print(time.perf_counter() - start)
"""


def timed(mode: str, runs: int) -> float:
    times = [float(subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                                  check=True, cwd=ROOT).stdout) for _ in range(runs)]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for load in ("idle", "busy"):
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load == "busy" else None
        try:
            for mode in ("pinned", "unpinned"):
                results[load, mode] = timed(mode, args.runs)
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
    print(f"decomposition fit, 20 starts, median of {args.runs} runs, {os.cpu_count()} cores")
    for (load, mode), seconds in results.items():
        print(f"  {load:4s} {mode:8s} {seconds:7.2f} s")
    print(f"busy / idle, pinned:          {results['busy', 'pinned'] / results['idle', 'pinned']:.2f}x")
    print(f"busy / idle, unpinned:        {results['busy', 'unpinned'] / results['idle', 'unpinned']:.2f}x")
    print(f"unpinned / pinned, when busy: {results['busy', 'unpinned'] / results['busy', 'pinned']:.2f}x")


if __name__ == "__main__":
    main()
