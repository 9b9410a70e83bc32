"""How the conclusions depend on the weighting rule: the average under each rule and the backtest."""

import numpy as np
import pytest

from opsd import RULES, model_average
from opsd import sensitivity as sens


def test_average_by_rule_is_the_model_average_under_each_rule(observed_fits):
    table = sens.average_by_rule(observed_fits, [14.0, 70.0])
    assert table.index.tolist() == [(rule, size) for rule in RULES for size in (14.0, 70.0)]
    for rule in RULES:
        average = model_average(observed_fits, [14.0, 70.0], rule)
        np.testing.assert_allclose(table.loc[rule, "mean"], average.mean, rtol=1e-12)
        np.testing.assert_allclose(table.loc[rule, "sd"], average.sd, rtol=1e-12)


def test_average_by_rule_and_backtest(observed_fits, observed):
    table = sens.average_by_rule(observed_fits, [70.0])
    assert table.loc[("aic", 70.0), "mean"] == pytest.approx(model_average(observed_fits, [70.0]).mean[0])
    test = sens.backtest(observed, train_max=4.0)
    assert set(test.index.get_level_values("size_b")) == {8.0}
    assert test.attrs["best_aic"] == "saturating"
    assert np.all(np.isfinite(test["z"]))
    short = sens.backtest(observed, train_max=2.0)
    assert set(short.attrs["skipped_rules"]) == {"aicc", "pseudo_bma", "stacking"}
    with pytest.raises(ValueError, match="at least 3 points to fit and 1 to predict"):
        sens.backtest(observed, train_max=1.0)


def test_unknown_rule(observed_fits):
    with pytest.raises(ValueError, match="weighting rule 'waic' is unknown"):
        sens.average_by_rule(observed_fits, [70.0], rules=("waic",))
