"""The check of the paper's printed numbers, the recovery of its standard errors, and the reproduction audit."""

import numpy as np
import pytest

from opsd import audit
from opsd.audit import (
    check_claims,
    digit_errors,
    error_models,
    fit_claims,
    input_claims,
    load_claims,
    printed,
    se_grid_search,
)


@pytest.fixture(scope="module")
def table(observed, claims):
    return audit.reproduction_audit(claims, observed, seed=0)


def test_every_printed_claim_of_table_1_and_section_3_2_is_reproduced(claims, observed_fits):
    checked = check_claims(fit_claims(claims), observed_fits)
    assert len(checked) == 24
    assert checked["computed"].notna().all()
    assert checked["reproduced"].all(), checked.loc[~checked["reproduced"], ["printed", "computed"]]


def test_a_wrong_claim_is_not_reproduced(claims, observed_fits):
    wrong = fit_claims(claims).copy()
    wrong.loc["t1_weight_power_law", "printed"] += 0.001
    checked = check_claims(wrong, observed_fits)
    assert not checked.loc["t1_weight_power_law", "reproduced"]
    assert checked["reproduced"].sum() == len(wrong) - 1


def test_printed_looks_up_a_claim(claims):
    assert printed(claims, "t1_chi2_power_law") == float(claims.loc["t1_chi2_power_law", "printed"])
    with pytest.raises(ValueError, match="no claim 'nope' in the claims table"):
        printed(claims, "nope")


def test_digit_errors_are_in_half_units_of_the_last_digit(claims):
    rows = claims.loc[["t1_chi2_power_law", "s32_pred70_power_law"]]
    half_unit = 0.5 * 10.0 ** -rows["decimals"].to_numpy(float)
    values = rows["printed"].to_numpy(float) + [1, -1] * half_unit
    np.testing.assert_allclose(digit_errors(values, rows), [1.0, -1.0])


@pytest.mark.slow
def test_grid_search_finds_only_the_recovered_vector(observed, claims):
    matches = se_grid_search(observed, claims)
    np.testing.assert_allclose(matches, [observed.se])


def test_grid_search_can_find_nothing(observed, claims):
    assert len(se_grid_search(observed, claims, values=np.array([0.1, 0.9]))) == 0


@pytest.mark.slow
def test_simple_error_models_miss_most_printed_numbers(observed, claims):
    se, z = error_models(observed, claims, observed.se)
    reproduced = (z.abs() <= 1).sum()
    assert reproduced["recovered"] == len(input_claims(claims)) == 10
    assert reproduced["constant"] < 5 and reproduced["proportional to the gain"] < 5
    assert np.ptp(se["constant"]) == 0
    np.testing.assert_allclose(se["proportional to the gain"] / observed.gains,
                               se["proportional to the gain"].iloc[0] / observed.gains[0])


def test_claims_file_is_validated(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("id,location,quantity\nx,Table 1,chi2\n")
    with pytest.raises(ValueError, match="missing column"):
        load_claims(path)
    path.write_text("id,location,quantity,law,size_b,condition,printed,decimals\n"
                    "a,T,chi2,power_law,,,1,2\na,T,chi2,power_law,,,1,2\n")
    with pytest.raises(ValueError, match="duplicate claim id 'a'"):
        load_claims(path)
    path.write_text("id,location,quantity,law,size_b,condition,printed,decimals\n"
                    "short,Section 1,cost_usd,,70,16000,0\n")
    with pytest.raises(ValueError, match="claim 'short' has no valid 'decimals'"):
        load_claims(path)


def test_unknown_quantity_is_named(claims, observed_fits):
    bad = claims.iloc[:1].copy()
    bad["quantity"] = "p_value"
    with pytest.raises(ValueError, match="unknown quantity 'p_value'"):
        check_claims(bad, observed_fits)


def test_the_papers_table_2_contradicts_its_parameters(claims):
    paper, inferred = audit.paper_decomposition(claims)
    table_2 = audit.paper_table_2(claims)
    assert inferred["stated"] == {name: printed(claims, f"s34_{name.lower()}")
                                  for name in ("beta", "N_char", "delta", "eta")}
    assert inferred["alpha"]["alpha"] == pytest.approx(0.1886, abs=1e-4)
    assert inferred["gamma"]["gamma"] == pytest.approx(0.1023, abs=1e-4)
    recomputed = paper.table(table_2.index)
    assert abs(recomputed.loc[8.0, "Regularisation"] - table_2.loc[8.0, "Regularisation"]) > 2.0
    assert table_2.loc[8.0, "Total"] == printed(claims, "t2_total_8")


@pytest.mark.slow
def test_every_claim_has_a_computed_value_and_a_status(table):
    assert len(table) > 40
    missing = table.index[~np.isfinite(table["computed"].to_numpy(float))]
    assert len(missing) == 0, f"claims without a computed value: {list(missing)}"
    assert set(table["status"]) <= set(audit.STATUSES)


@pytest.mark.slow
def test_statuses_follow_the_rules(table):
    assert (table.loc[table["location"] == "Table 1", "status"] == "by construction").all()
    assert table.loc["t2_total_8", "status"] == "inconsistent within the paper"
    assert table.loc["s36_boot_lo", "status"] in ("reproduced", "close")
    if table.loc["s36_boot_hi", "status"] == "differs":
        assert "convention" in table.loc["s36_boot_hi", "note"]
    assert table.loc["s37_best_size", "status"] == "not reproducible"
    assert table.loc["s32_avg70_sd", "status"] == "reproduced"
    assert table.loc["s37_power_140", "status"] == "by construction"
    assert table.loc["s35_mape_avg_on_sigmoid", "status"] == "not reproducible"
    assert table.loc["s31_gain_8", "status"] == "input"


def test_a_changed_printed_number_changes_the_status(observed, claims):
    changed = claims.copy()
    changed.loc["c_max70", "printed"] -= 1.0
    table = audit.reproduction_audit(changed.loc[["c_max70", "s32_pred70_power_law"]], observed)
    assert list(table["status"]) == ["differs", "by construction"]


@pytest.mark.slow
def test_a_number_computed_from_a_printed_number_is_never_reproduced(table, claims):
    """The standard errors were recovered from the printed chi^2 and 70B predictions: rows that follow
    from those numbers alone may match only by construction."""
    inputs = input_claims(claims)
    assert set(inputs.index) <= set(table.index[table["status"] == "by construction"])
    derived = table["quantity"].isin(["chi2", "aic", "weight", "top_two_weight_pct", "max_chi2_below",
                                      "benchmark_prediction", "extrapolation_ratio", "observed_range_ratio"])
    at_70 = table["quantity"].isin(["prediction", "average_mean", "prediction_spread_ratio"]) & (table["size_b"] == 70)
    assert not (table.loc[derived | at_70, "status"] == "reproduced").any()
    assert (table.loc[table["status"] == "by construction", "note"] != "").all()
