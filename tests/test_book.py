"""Helpers the book's chapters share: glue and the command-line transcript."""

import numpy as np
import pytest

from opsd.book import glue, run_cli


def test_glue_rounds_floats_and_keeps_other_values(monkeypatch):
    seen = {}
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display=True: seen.update({name: (value, display)}))
    glue("x", np.float64(0.12345678901234567))
    glue("big", 20.2000000153)  # a value fitted to a printed 20.2, with CPU-dependent noise
    glue("n", np.int64(3))
    glue("s", "10,000")
    assert seen["x"] == (pytest.approx(0.12346, abs=1e-15), False)
    assert type(seen["x"][0]) is float and repr(seen["x"][0]) == "0.12346"
    assert repr(seen["big"][0]) == "20.2"
    assert seen["n"] == (3, False) and type(seen["n"][0]) is int
    assert seen["s"] == ("10,000", False)


def test_run_cli_prints_the_command_its_output_and_status(capsys, tmp_path):
    (tmp_path / "bad.csv").write_text("size_b,gain\n1,x\n")
    run_cli("fit", "bad.csv", cwd=tmp_path)
    out = capsys.readouterr().out
    assert out == ("$ opsd fit bad.csv\n"
                   "opsd: error: bad.csv, line 2, column 'gain': 'x' is not a number\n"
                   "[exit status 2]\n")
