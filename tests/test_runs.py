"""The book's named runs: declared once, keyed by everything they use, computed once, never stale."""

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import opsd
from opsd import runs, sources

ROOT = Path(__file__).resolve().parents[1]


def test_unit_tests_use_a_cache_of_their_own(session_runs):
    assert runs.runs_dir() == session_runs
    assert ROOT / "_build" not in runs.runs_dir().parents


def test_a_run_is_computed_once_read_back_and_equals_a_direct_call(observed, session_runs):
    first = runs.get("bootstrap_70", data=observed, n_resamples=40, seed=4)
    stored = sorted((session_runs / "bootstrap_70").glob("*.pkl"))
    again = runs.get("bootstrap_70", data=observed, n_resamples=40, seed=4)
    assert sorted((session_runs / "bootstrap_70").glob("*.pkl")) == stored and stored
    direct = opsd.bootstrap(observed, [70.0], n_resamples=40, seed=4, with_sd=True)
    np.testing.assert_array_equal(first.average_samples, direct.average_samples)
    np.testing.assert_array_equal(again.average_samples, direct.average_samples)


def test_the_key_changes_with_the_arguments_and_the_data_but_not_with_where_the_data_came_from(observed):
    run = runs.RUNS["bootstrap_70"]
    declared = runs.key(run, run.resolve())
    assert runs.key(run, run.resolve(data=observed)) == declared  # the same numbers, read elsewhere
    assert runs.key(run, run.resolve(seed=1)) != declared
    moved = opsd.GainData(observed.sizes, observed.gains + 0.1, observed.se, observed.source)
    assert runs.key(run, run.resolve(data=moved)) != declared


def test_editing_a_module_a_run_uses_changes_its_key_and_editing_another_does_not(monkeypatch):
    run = runs.RUNS["bootstrap_70"]
    arguments = run.resolve()
    before = runs.key(run, arguments)
    assert "resampling" in run.modules and "plots" not in run.modules and "decomposition" not in run.modules
    edited = dict(sources._SNAPSHOT)
    edited["plots"] = edited["plots"] + b"\n# a new colour\n"
    monkeypatch.setattr(sources, "_SNAPSHOT", edited)
    assert runs.key(run, arguments) == before
    edited["resampling"] = edited["resampling"] + b"\n# an edit\n"
    assert runs.key(run, arguments) != before


def test_the_key_includes_python_the_libraries_the_blas_kernel_and_numpys_loops():
    environment = runs.environment()
    assert set(environment) == {"python", "blas", "numpy loops", "machine", *runs.NUMERICAL}
    assert environment["blas"], "threadpoolctl found no BLAS"
    if not environment["numpy loops"]:
        pytest.skip("NumPy dispatches no loop above its baseline on this CPU")
    fewer = environment["numpy loops"][-1]
    script = "import json; from opsd import runs; print(json.dumps(runs.environment()['numpy loops']))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, "NPY_DISABLE_CPU_FEATURES": fewer})
    assert fewer not in done.stdout and done.stdout.strip() != json.dumps(environment["numpy loops"])


def test_editing_a_source_file_changes_the_key_and_code_edited_after_import_is_neither_served_nor_stored(
        tmp_path):
    shutil.copytree(ROOT / "opsd", tmp_path / "opsd", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data", tmp_path / "data")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "OPSD_RUNS": str(tmp_path / "runs")}

    def python(script):
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                              env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    key = "from opsd import runs; run = runs.RUNS['bootstrap_70']; print(runs.key(run, run.resolve()))"
    before = python(key)
    python("from opsd import runs; runs.get('bootstrap_70', n_resamples=20)")
    (stored,) = (tmp_path / "runs").rglob("*.pkl")
    stored.write_bytes(pickle.dumps("the result stored before the edit"))
    after_import = python("""
        import warnings
        from pathlib import Path
        from opsd import runs
        module = Path(runs.__file__).parent / "resampling.py"
        module.write_text(module.read_text() + "\\n# edited after import\\n")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = runs.get("bootstrap_70", n_resamples=20)
        print(type(result).__name__, [str(w.message) for w in caught])
    """)
    # Neither served under the key of the code as imported, nor stored.
    assert after_import.startswith("BootstrapResult") and "resampling changed since opsd" in after_import
    assert list((tmp_path / "runs").rglob("*.pkl")) == [stored]
    assert python(key) != before  # a fresh process imports the edited file: another key


@pytest.mark.slow
def test_a_parallel_build_stores_what_a_serial_build_stores(tmp_path, monkeypatch):
    names = ["decomposition_fixed_beta", "bootstrap_70"]
    stored = {}
    for jobs in (1, 2):
        directory = tmp_path / f"jobs{jobs}"
        monkeypatch.setenv("OPSD_RUNS", str(directory))
        lines = []
        built = runs.build(names, jobs=jobs, out=lines.append)
        assert sorted(name for name, _ in built) == sorted(names)
        assert all(row["stored"] for row in runs.status(names))
        assert runs.build(names, jobs=jobs, out=lines.append) == []  # nothing stale any more
        stored[jobs] = {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*.pkl")}
    assert stored[1].keys() == stored[2].keys() and len(stored[1]) == 2
    for path, data in stored[1].items():
        assert data == stored[2][path], f"{path} differs between the serial and the parallel build"
        pickle.loads(data)


def test_bad_run_requests_are_named():
    with pytest.raises(ValueError, match="no run named 'bootstrap_71'"):
        runs.get("bootstrap_71")
    with pytest.raises(ValueError, match="has no argument"):
        runs.get("bootstrap_70", n_samples=10)


def test_the_command_line_lists_every_run(capsys):
    assert runs.main(["status"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in runs.RUNS)
    assert runs.main(["status", "nonsense"]) == 2
    assert "no run named 'nonsense'" in capsys.readouterr().err


def test_importing_opsd_changes_no_thread_setting_and_no_matplotlib_setting():
    script = textwrap.dedent("""
        import os, json
        import matplotlib
        import numpy
        from threadpoolctl import threadpool_info
        before = ([lib["num_threads"] for lib in threadpool_info()], dict(matplotlib.rcParams), dict(os.environ))
        import opsd, opsd.plots, opsd.runs
        from opsd.plots import figure_1
        figure_1(opsd.fit_all(opsd.load_gains(opsd.DATA_DIR / "observed_gains.csv")))
        after = ([lib["num_threads"] for lib in threadpool_info()[:len(before[0])]], dict(matplotlib.rcParams),
                 dict(os.environ))
        print(json.dumps([before[0] == after[0], before[1] == after[1], before[2] == after[2]]))
    """)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[true, true, true]"
