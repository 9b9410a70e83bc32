"""The check of the paper's printed numbers and the recovery of its standard errors."""

import numpy as np
import pytest

from opsd.audit import check_claims, digit_errors, error_models, fit_claims, load_claims, se_grid_search


@pytest.fixture(scope="module")
def claims():
    return load_claims()


def test_every_printed_claim_of_table_1_and_section_3_2_is_reproduced(claims, observed_fits):
    checked = check_claims(fit_claims(claims), observed_fits)
    assert len(checked) == 24
    assert checked["computed"].notna().all()
    assert checked["reproduced"].all(), checked.loc[~checked["reproduced"], ["printed", "computed"]]


def test_a_wrong_claim_is_not_reproduced(claims, observed_fits):
    wrong = fit_claims(claims).copy()
    wrong.loc["t1_weight_power_law", "printed"] = 0.339
    checked = check_claims(wrong, observed_fits)
    assert not checked.loc["t1_weight_power_law", "reproduced"]
    assert checked["reproduced"].sum() == len(wrong) - 1


def test_digit_errors_are_in_half_units_of_the_last_digit(claims):
    rows = claims.loc[["t1_chi2_power_law", "s32_pred70_power_law"]]
    np.testing.assert_allclose(digit_errors([0.555, 32.85], rows), [1.0, -1.0])


def test_grid_search_finds_only_the_recovered_vector(observed, claims):
    matches = se_grid_search(observed, claims)
    np.testing.assert_allclose(matches, [[0.4, 0.3, 0.4, 0.5, 0.6]])


def test_grid_search_can_find_nothing(observed, claims):
    assert len(se_grid_search(observed, claims, values=np.array([0.1, 0.9]))) == 0


def test_simple_error_models_miss_most_printed_numbers(observed, claims):
    se, z = error_models(observed, claims, observed.se)
    reproduced = (z.abs() <= 1).sum()
    assert reproduced["recovered"] == 10
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
