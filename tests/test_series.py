import shutil

import numpy as np
import pandas as pd
import pytest

import opsd
from opsd.series import ITEMS, _effective_items, load_series, series_table


@pytest.fixture(scope="module")
def series():
    return load_series()


@pytest.fixture(scope="module")
def table(series):
    return series_table(series)


def gains(series, name):
    return series.loc[series["series"] == name].set_index("size_b")["gain"]


def test_series_counts_per_kind(table):
    counts = table.groupby("kind").size().to_dict()
    # eight benchmarks x eight families, less RWKV's missing XWinograd and HumanEval; three techniques
    # over five families (BIG-Bench Hard: four), six SimpleRL-Zoo benchmarks and their mean
    assert counts == {"accuracy": 62, "technique": 14, "simplerl": 7}
    floors = table[table["floor"]].groupby("kind").size().to_dict()
    assert floors == {"accuracy": 10, "technique": 7}


def test_every_series_has_five_distinct_sizes_and_simplerl_exactly_five(table):
    assert (table["n_sizes"] >= 5).all()
    assert (table.loc[table["kind"] == "simplerl", "n_sizes"] == 5).all()


def test_values_finite_and_standard_errors_positive(series):
    for column in ("size_b", "gain", "se", "n_items", "baseline"):
        assert np.isfinite(series[column]).all(), column
    assert (series["se"] > 0).all() and (series["n_items"] > 0).all()
    measured = series["baseline"] + series["gain"]
    assert measured.between(0, 100).all()


def test_sizes_sorted_and_unique_within_series(series):
    assert not series.duplicated(["series", "size_b"]).any()
    assert series.groupby("series")["size_b"].apply(lambda s: s.is_monotonic_increasing).all()
    assert list(series["kind"].drop_duplicates()) == ["accuracy", "technique", "simplerl"]


def test_duplicate_size_keeps_first_listed_checkpoint(series):
    rwkv = series[(series["family"] == "RWKV") & (series["size_b"] == 14.0)]
    assert set(rwkv["model"]) == {"RWKV/rwkv-4-14b-pile"}
    assert "RWKV/rwkv-raven-14b" not in set(series["model"])


def test_floor_labels(table, series):
    assert table.loc["technique/GSM8K CoT over direct/Pythia", "floor"]
    assert table.loc["technique/BBH CoT over direct/Pythia", "floor"]
    assert not table.loc["technique/GSM8K CoT over direct/Qwen1.5", "floor"]
    qwen = gains(series, "technique/GSM8K CoT over direct/Qwen1.5")
    assert qwen[0.5] < 20 and qwen[72.0] > 55
    pythia = gains(series, "technique/GSM8K CoT over direct/Pythia")
    assert pythia.abs().max() < 2


def test_strict_match_turns_direct_bbh_into_zero_and_a_fake_gain():
    post = pd.read_csv(opsd.DATA_DIR / "obsscaling_post_training.csv").dropna(
        subset=["bbh_fewshot_overall_3_exact_match,strict-match"])
    strict = post["bbh_fewshot_overall_3_exact_match,strict-match"]
    flexible = post["bbh_fewshot_overall_3_exact_match,flexible-extract"]
    assert (strict <= 0.011).all() and (flexible > 0.25).all()
    flex, strict = series_table(load_series()), series_table(load_series(extraction="strict"))
    for family in ("Pythia", "OPT"):
        name = f"technique/BBH CoT over direct/{family}"
        assert flex.loc[name, "floor"] and not strict.loc[name, "floor"]
        assert strict.loc[name, "gain_min"] > 10 and abs(flex.loc[name, "gain_max"]) < 3


def test_effective_item_counts():
    assert sum(ITEMS["MMLU"]) == 14042 and len(ITEMS["MMLU"]) == 57
    assert sum(ITEMS["BBH"]) == 6511 and len(ITEMS["BBH"]) == 27
    assert sum(ITEMS["XWinograd"]) == 4449
    assert _effective_items(ITEMS["XWinograd"]) == pytest.approx(1601.28, abs=0.01)
    assert _effective_items((500,)) == 500


def test_simplerl_matches_accuracy_gain(series):
    raw = pd.read_csv(opsd.DATA_DIR / "simplerl_zoo.csv")
    base = raw[raw["variant"] == "base"].set_index("size_b")
    tuned = raw[raw["variant"] == "rl"].set_index("size_b")
    gain, se = opsd.accuracy_gain(base["math500"], tuned["math500"], 500)
    rows = series[series["series"] == "simplerl/MATH500/Qwen2.5"]
    np.testing.assert_allclose(rows["gain"], gain)
    np.testing.assert_allclose(rows["se"], se)


def copy_data(tmp_path):
    for name in ("obsscaling_benchmark.csv", "obsscaling_post_training.csv", "simplerl_zoo.csv",
                 "benchmark_problems.csv"):
        shutil.copy(opsd.DATA_DIR / name, tmp_path / name)
    return tmp_path


def test_copy_of_the_data_loads_the_same(tmp_path, series):
    pd.testing.assert_frame_equal(load_series(copy_data(tmp_path)), series)


@pytest.mark.parametrize("name, old, new, message", [
    ("obsscaling_benchmark.csv", "0.8019575908781563", "0.80x", r"line 2, column 'MMLU': '0.80x' is not a number"),
    ("obsscaling_benchmark.csv", "0.8019575908781563", "80.2", r"column 'MMLU': '80.2' is not a number in \[0, 1\]"),
    ("obsscaling_benchmark.csv", "Model Size (B)", "Size", r"missing column 'Model Size \(B\)'"),
    ("obsscaling_post_training.csv", "bbh_cot_fewshot_overall_3_exact_match,flexible-extract", "bbh",
     r"missing column 'bbh_cot_fewshot_overall_3_exact_match,flexible-extract'"),
    ("simplerl_zoo.csv", "88.2", "nan", r"column 'gsm8k': 'nan' is not an accuracy in \[0, 100\]"),
    ("simplerl_zoo.csv", ",7,rl,", ",8,rl,", "expected one 'base' and one 'rl' row at every size"),
])
def test_malformed_copy_raises_naming_the_file(tmp_path, name, old, new, message):
    path = copy_data(tmp_path) / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as error:
        load_series(tmp_path)
    assert name in str(error.value)


def test_missing_file_and_bad_extraction(tmp_path):
    with pytest.raises(ValueError, match="obsscaling_benchmark.csv"):
        load_series(tmp_path)
    with pytest.raises(ValueError, match="extraction"):
        load_series(extraction="loose")
