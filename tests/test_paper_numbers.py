"""The paper's Table 1 and Section 3.2 numbers from the data in data/."""

import pytest

from opsd import model_average

TABLE_1 = {  # law: (k, chi2, AIC, weight), paper Table 1
    "power_law": (2, 0.55, 4.55, 0.338),
    "saturating": (2, 0.73, 4.73, 0.309),
    "sigmoid": (3, 0.02, 6.02, 0.162),
    "sqrt_log": (3, 0.06, 6.06, 0.159),
    "logarithmic": (2, 5.27, 9.27, 0.032),
}
AT_70B = {"power_law": 32.9, "sqrt_log": 17.2, "sigmoid": 15.7, "logarithmic": 12.2, "saturating": 9.1}


@pytest.mark.parametrize("name", TABLE_1)
def test_table_1(observed_fits, name):
    k, chi2, aic, weight = TABLE_1[name]
    fit = observed_fits[name]
    average = model_average(observed_fits, [70.0])
    assert fit.status == "interior"
    assert fit.k == k
    assert round(fit.chi2, 2) == chi2
    assert round(fit.aic, 2) == aic
    assert round(float(average.weights[average.names.index(name)]), 3) == weight


@pytest.mark.parametrize("name", AT_70B)
def test_70b_predictions(observed_fits, name):
    mean, _ = observed_fits[name].predict([70.0])
    assert round(float(mean[0]), 1) == AT_70B[name]


def test_model_average_at_70b(observed_fits):
    avg = model_average(observed_fits, [70.0]).at(70.0)
    assert round(avg["mean"], 1) == 19.6
    assert round(avg["sd"], 1) == 11.3
    assert avg["sd"] ** 2 == pytest.approx(avg["within_sd"] ** 2 + avg["between_sd"] ** 2)
