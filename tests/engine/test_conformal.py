"""Split-conformal prediction intervals: the finite-sample quantile, honest measured coverage, the bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import ModelError
from engine.evaluate.conformal import conformal_interval, with_intervals


def test_the_half_width_is_the_conformal_quantile_of_the_absolute_residuals():
    y_pred = np.zeros(19)
    y_true = np.arange(1, 20, dtype=float)  # residuals 1 .. 19
    interval = conformal_interval(y_true, y_pred, level=0.9)
    assert interval.half_width == 18.0  # ceil((19 + 1) * 0.9) = 18th smallest
    assert interval.rows == 19 and interval.level == 0.9


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_new_rows_are_covered_as_promised(level):
    rng = np.random.default_rng(3)
    truth = rng.normal(size=4000)
    noise = rng.standard_t(4, size=4000)  # heavy tails: no normality assumed
    interval = conformal_interval(truth[:1000] + noise[:1000], truth[:1000], level)
    fresh = np.abs(noise[1000:]) <= interval.half_width
    assert abs(fresh.mean() - level) < 0.03
    assert abs(interval.coverage - level) < 0.04


def test_too_few_rows_or_a_bad_level_say_what_to_do():
    with pytest.raises(ModelError, match="needs at least 20 validation rows; this model has 5"):
        conformal_interval([1.0] * 5, [1.0] * 5, level=0.95)
    with pytest.raises(ModelError, match="must be in \\(0, 1\\)"):
        conformal_interval([1.0] * 50, [1.0] * 50, level=90)


def test_bounds_are_added_around_the_prediction():
    interval = conformal_interval(np.arange(30.0), np.arange(30.0) + 1, level=0.9)
    out = with_intervals(pd.DataFrame({"prediction": [10.0, 20.0]}), interval)
    assert out["lower_90%"].tolist() == [9.0, 19.0] and out["upper_90%"].tolist() == [11.0, 21.0]
