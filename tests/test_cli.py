"""Data validation and the command line: clear errors, exit status 2, never a traceback."""

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsd import LAWS
from opsd.audit import printed
from opsd.cli import main

from .conftest import OBSERVED, as_printed

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
    (["fit", "x.csv", "--rule", "dic"], "invalid choice"),
    (["bootstrap", "x.csv", "--rule", "stacking"], "invalid choice"),
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


def test_fit_json_reproduces_the_paper(capsys, claims):
    assert main(["fit", str(OBSERVED), "--at", "14", "70", "140", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 5 and report["rule"] == "aic" and report["sigma"] == "given"
    assert report["excluded"] == []
    assert [m["name"] for m in report["models"]] == list(LAWS)
    for model in report["models"]:
        assert as_printed(model["weight"], claims, f"t1_weight_{model['name']}")
    assert set(report["models"][0]) == {"name", "k", "params", "stderr", "chi2", "aic", "aicc", "bic", "weight",
                                        "status", "limit", "predictions"}
    at70 = report["average"][1]
    assert at70["size_b"] == 70.0
    assert as_printed(at70["mean"], claims, "s32_avg70_mean") and as_printed(at70["sd"], claims, "s32_avg70_sd")
    assert set(at70) == {"size_b", "mean", "sd", "within_sd", "between_sd"}


def test_fit_json_has_every_parameters_standard_error(capsys, observed_fits):
    assert main(["fit", str(OBSERVED), "--format", "json"]) == 0
    for model in json.loads(capsys.readouterr().out)["models"]:
        assert model["stderr"] == pytest.approx(observed_fits[model["name"]].stderr, rel=1e-12)
        assert list(model["stderr"]) == list(model["params"])


@pytest.mark.parametrize("flag", ["--rule", "--criterion"])
@pytest.mark.parametrize("rule", ["bic", "stacking"])
def test_fit_weighs_by_the_chosen_rule(capsys, observed_fits, flag, rule):
    assert main(["fit", str(OBSERVED), flag, rule, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rule"] == rule
    assert {m["name"]: m["weight"] for m in report["models"]} == pytest.approx(observed_fits.weights(rule))


@pytest.mark.parametrize("flag", ["--rule", "--criterion"])
def test_bootstrap_json_records_its_rule(capsys, flag):
    assert main(["bootstrap", str(OBSERVED), "--n", "20", flag, "aicc", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rule"] == "aicc"


def test_fit_estimated_sigma_json(tmp_path, capsys):
    path = _write(tmp_path, "size_b,gain\n1.7,2.4\n4,1.0\n8,2.2\n")
    assert main(["fit", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sigma"] == "estimated"
    assert [e["name"] for e in report["excluded"]] == ["sigmoid", "sqrt_log"]


def test_fit_table(capsys, claims):
    assert main(["fit", str(OBSERVED)]) == 0
    out = capsys.readouterr().out
    assert "standard errors given" in out
    assert f"{printed(claims, 's32_avg70_mean'):.1f} +/- {printed(claims, 's32_avg70_sd'):.1f}" in out


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


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.floats(min_value=1e-3, max_value=1e3).map(lambda x: f"{x:.4g}"),
    st.sampled_from(["", "abc", "1e400", "-0", "0", " 3 ", "nan", "1,5"]),
)
cells = st.lists(numbers, min_size=1, max_size=4).map(lambda row: ",".join(row))
headers = st.sampled_from(["size_b,gain,se", "size_b,gain", "gain,size_b", "size_b,se", "x,y,z", ""])


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=headers, rows=st.lists(cells, max_size=8))
def test_random_csvs_never_crash(tmp_path_factory, header, rows):
    path = tmp_path_factory.mktemp("csv") / "random.csv"
    path.write_text("\n".join([header] + rows) + "\n", encoding="utf-8")
    assert main(["fit", str(path), "--format", "json"]) in (0, 2)


positive = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@pytest.mark.slow
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
