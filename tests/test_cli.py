"""Data validation and the command line: clear errors, exit status 2, never a traceback."""

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsd import GainData, load_gains
from opsd.cli import main

from .conftest import OBSERVED

GOOD = "size_b,gain,se\n0.5,1.2,0.4\n1,2.1,0.3\n2,3.5,0.4\n4,5.4,0.5\n8,8.0,0.6\n"

BAD_INPUTS = {
    "empty file": ("", "is empty"),
    "only blank lines": ("\n\n", "is empty"),
    "header only": ("size_b,gain,se\n", "no data rows"),
    "missing column": ("size_b,se\n1,0.1\n2,0.1\n3,0.1\n", "missing column 'gain'"),
    "non-numeric": ("size_b,gain\n1,2\n2,abc\n3,4\n", "line 3, column 'gain': 'abc' is not a number"),
    "empty cell": ("size_b,gain\n1,2\n2,\n3,4\n", "line 3, column 'gain': '' is not a number"),
    "nan": ("size_b,gain\n1,2\n2,nan\n3,4\n", "line 3, column 'gain': value nan is not finite"),
    "inf": ("size_b,gain\n1,2\ninf,3\n3,4\n", "line 3, column 'size_b': value inf is not finite"),
    "zero size": ("size_b,gain\n0,2\n2,3\n3,4\n", "line 2, column 'size_b': must be > 0"),
    "negative size": ("size_b,gain\n1,2\n-2,3\n3,4\n", "line 3, column 'size_b': must be > 0"),
    "zero se": ("size_b,gain,se\n1,2,0.1\n2,3,0\n3,4,0.1\n", "line 3, column 'se': must be > 0"),
    "negative se": ("size_b,gain,se\n1,2,-0.1\n2,3,0.1\n3,4,0.1\n", "line 2, column 'se': must be > 0"),
    "duplicate sizes": ("size_b,gain\n1,2\n2,3\n1,4\n", "line 4: duplicate size_b 1 (also at"),
    "ragged short": ("size_b,gain,se\n1,2,0.1\n2,3\n3,4,0.1\n", "line 3: 2 fields, but the header has 3"),
    "ragged long": ("size_b,gain\n1,2\n2,3,9\n3,4\n", "line 3: 3 fields, but the header has 2"),
    "duplicated column": ("size_b,gain,gain\n1,2,2\n2,3,3\n3,4,4\n", "column 'gain' appears more than once"),
    "too few points": ("size_b,gain,se\n1,2,0.1\n2,3,0.1\n", "no scaling law can be fitted to n=2 points"),
}


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_observed_data_load():
    data = load_gains(OBSERVED)
    assert data.sizes.tolist() == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert data.gains.tolist() == [1.2, 2.1, 3.5, 5.4, 8.0]
    assert data.se.tolist() == [0.4, 0.3, 0.4, 0.5, 0.6]
    assert not data.sizes.flags.writeable


def test_rows_are_sorted_and_extra_columns_ignored(tmp_path):
    data = load_gains(_write(tmp_path, "gain,note,size_b\n3,b,2\n1,a,0.5\n2,c,1\n"))
    assert data.sizes.tolist() == [0.5, 1.0, 2.0]
    assert data.gains.tolist() == [1.0, 2.0, 3.0]
    assert not data.sigma_given


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, case):
    text, message = BAD_INPUTS[case]
    status = main(["fit", str(_write(tmp_path, text))])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("opsd: error: ")
    assert message in captured.err


def test_missing_file(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "absent.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_unreadable_bytes(tmp_path, capsys):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"size_b,gain\n\xff\xfe\x00\n")
    assert main(["fit", str(path)]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["fit"], "required: data"),
    (["frobnicate", "x.csv"], "invalid choice"),
    (["fit", "x.csv", "--criterion", "dic"], "invalid choice"),
    (["fit", "x.csv", "--at", "seventy"], "invalid float value"),
    (["bootstrap", "x.csv", "--n", "many"], "invalid int value"),
])
def test_bad_command_lines(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_bad_prediction_size(capsys):
    assert main(["fit", str(OBSERVED), "--at", "-70"]) == 2
    assert "prediction sizes must be finite and > 0" in capsys.readouterr().err


def test_bootstrap_without_se(tmp_path, capsys):
    path = _write(tmp_path, "size_b,gain\n0.5,1.2\n1,2.1\n2,3.5\n4,5.4\n8,8.0\n")
    assert main(["bootstrap", str(path), "--n", "10"]) == 2
    assert "needs standard errors" in capsys.readouterr().err


def test_fit_json_reproduces_the_paper(capsys):
    assert main(["fit", str(OBSERVED), "--at", "14", "70", "140", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 5 and report["criterion"] == "aic" and report["sigma"] == "given"
    assert report["excluded"] == []
    weights = {m["name"]: round(m["weight"], 3) for m in report["models"]}
    assert weights == {"power_law": 0.338, "logarithmic": 0.032, "saturating": 0.309,
                       "sigmoid": 0.162, "sqrt_log": 0.159}
    assert set(report["models"][0]) == {"name", "k", "params", "chi2", "aic", "aicc", "bic", "weight",
                                        "status", "limit", "predictions"}
    at70 = report["average"][1]
    assert at70["size_b"] == 70.0
    assert (round(at70["mean"], 1), round(at70["sd"], 1)) == (19.6, 11.3)
    assert set(at70) == {"size_b", "mean", "sd", "within_sd", "between_sd"}


def test_fit_estimated_sigma_json(tmp_path, capsys):
    path = _write(tmp_path, "size_b,gain\n1.7,2.4\n4,1.0\n8,2.2\n")
    assert main(["fit", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sigma"] == "estimated"
    assert [e["name"] for e in report["excluded"]] == ["sigmoid", "sqrt_log"]


def test_fit_table(capsys):
    assert main(["fit", str(OBSERVED)]) == 0
    out = capsys.readouterr().out
    assert "standard errors given" in out
    assert "19.6 +/- 11.3" in out


def test_bootstrap_json(capsys):
    assert main(["bootstrap", str(OBSERVED), "--n", "200", "--seed", "4", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 200 and report["seed"] == 4
    assert report["failed"] == sum(report["failed_by_model"].values())
    (result,) = report["results"]
    assert result["size_b"] == 70.0
    assert result["ci95"][0] < result["mean"] < result["ci95"][1]
    assert set(result["models"]) == {"power_law", "logarithmic", "saturating", "sigmoid", "sqrt_log"}


def test_module_entry_point_has_no_traceback(tmp_path):
    bad = _write(tmp_path, "size_b,gain\n1,x\n")
    run = subprocess.run([sys.executable, "-m", "opsd", "fit", str(bad)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr == f"opsd: error: {bad}, line 2, column 'gain': 'x' is not a number\n"
    ok = subprocess.run([sys.executable, "-m", "opsd", "fit", str(OBSERVED)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stderr == ""


def test_from_arrays_validates():
    with pytest.raises(ValueError, match="index 1, column 'size_b': must be > 0"):
        GainData.from_arrays([1.0, -1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="different lengths"):
        GainData.from_arrays([1.0, 2.0], [1.0])


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.floats(min_value=1e-3, max_value=1e3).map(lambda x: f"{x:.4g}"),
    st.sampled_from(["", "abc", "1e400", "-0", "0", " 3 ", "nan", "1,5"]),
)
cells = st.lists(numbers, min_size=1, max_size=4).map(lambda row: ",".join(row))
headers = st.sampled_from(["size_b,gain,se", "size_b,gain", "gain,size_b", "size_b,se", "x,y,z", ""])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=headers, rows=st.lists(cells, max_size=8))
def test_random_csvs_never_crash(tmp_path_factory, header, rows):
    path = tmp_path_factory.mktemp("csv") / "random.csv"
    path.write_text("\n".join([header] + rows) + "\n", encoding="utf-8")
    assert main(["fit", str(path), "--format", "json"]) in (0, 2)


positive = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(points=st.lists(st.tuples(positive, finite, positive), min_size=3, max_size=7,
                       unique_by=lambda p: p[0]))
def test_valid_random_data_fit_and_bootstrap(tmp_path_factory, capsys, points):
    path = tmp_path_factory.mktemp("csv") / "valid.csv"
    path.write_text("size_b,gain,se\n" + "".join(f"{s!r},{g!r},{e!r}\n" for s, g, e in points), encoding="utf-8")
    for argv in (["fit", str(path)], ["bootstrap", str(path), "--n", "20"]):
        capsys.readouterr()
        status = main(argv + ["--format", "json"])
        out = capsys.readouterr().out
        assert status in (0, 2)
        if status == 0:
            json.loads(out, parse_constant=_reject)  # strict JSON: no NaN or Infinity


def _reject(constant):
    raise AssertionError(f"non-standard JSON constant {constant}")


def test_an_estimated_sigma_with_few_points_warns(tmp_path, capsys):
    path = tmp_path / "no_se.csv"
    path.write_text("size_b,gain\n0.5,1.2\n1,2.1\n2,3.5\n4,5.4\n8,8.0\n")
    assert main(["fit", str(path), "--at", "70"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("opsd: warning:") and "residual degrees of freedom" in err and "'se' column" in err
    assert main(["fit", str(OBSERVED), "--at", "70"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_closed_pipe_is_not_a_traceback():
    import subprocess
    import sys

    # Far more output than a pipe buffers, so the writer meets the closed pipe.
    sizes = " ".join(str(s) for s in range(1, 3001))
    run = subprocess.run(f"{sys.executable} -m opsd fit {OBSERVED} --format json --at {sizes} | head -1",
                         shell=True, capture_output=True, text=True)
    assert run.stdout == "{\n"
    assert "Traceback" not in run.stderr and "BrokenPipe" not in run.stderr
