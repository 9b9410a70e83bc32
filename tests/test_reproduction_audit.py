"""The reproduction audit: every claim has a computed value and a status."""

import numpy as np
import pytest

from opsd import audit


@pytest.fixture(scope="module")
def table(observed):
    return audit.reproduction_audit(audit.load_claims(), observed, seed=0)


def test_every_claim_has_a_computed_value_and_a_status(table):
    assert len(table) > 40
    missing = table.index[~np.isfinite(table["computed"].to_numpy(float))]
    assert len(missing) == 0, f"claims without a computed value: {list(missing)}"
    assert set(table["status"]) <= set(audit.STATUSES)


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


def test_a_changed_printed_number_changes_the_status(observed):
    claims = audit.load_claims()
    claims.loc["c_max70", "printed"] = 31.9
    table = audit.reproduction_audit(claims.loc[["c_max70", "s32_pred70_power_law"]], observed)
    assert list(table["status"]) == ["differs", "by construction"]


def test_a_number_computed_from_a_printed_number_is_never_reproduced(table):
    """The standard errors were recovered from the printed chi^2 and 70B predictions: rows that follow
    from those numbers alone may match only by construction."""
    inputs = audit.input_claims(audit.load_claims())
    assert set(inputs.index) <= set(table.index[table["status"] == "by construction"])
    derived = table["quantity"].isin(["chi2", "aic", "weight", "top_two_weight_pct", "max_chi2_below",
                                      "benchmark_prediction", "extrapolation_ratio", "observed_range_ratio"])
    at_70 = table["quantity"].isin(["prediction", "average_mean", "prediction_spread_ratio"]) & (table["size_b"] == 70)
    assert not (table.loc[derived | at_70, "status"] == "reproduced").any()
    assert (table.loc[table["status"] == "by construction", "note"] != "").all()
