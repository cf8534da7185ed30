"""Row steps change the training rows only, and say by how much."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import RecipeError, apply_row_steps

KINDS = {"a": "numeric", "b": "categorical"}


def _recipe(*steps, balance="none") -> dict:
    return {"steps": list(steps), "balance": balance}


def test_drop_duplicates_compares_features_and_target():
    X = pd.DataFrame({"a": [1, 1, 1, 2], "b": ["x", "x", "x", "y"]})
    y = pd.Series([0, 0, 1, 1])
    X2, y2, log = apply_row_steps(X, y, _recipe({"type": "drop_duplicates"}), "classification", KINDS)
    assert len(X2) == 3 and y2.tolist() == [0, 1, 1]
    assert log == [{"step": 1, "label": "Remove duplicate rows", "rows_before": 4, "rows_after": 3, "removed": 1}]


def test_drop_missing_rows_by_kind_and_by_name():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "b": ["x", "y", None, "z"]})
    y = pd.Series([0, 1, 0, 1])
    numeric = {"type": "drop_missing_rows", "columns": {"kind": "numeric"}}
    assert len(apply_row_steps(X, y, _recipe(numeric), "classification", KINDS)[0]) == 3
    named = {"type": "drop_missing_rows", "columns": {"names": ["a", "b"]}}
    assert apply_row_steps(X, y, _recipe(named), "classification", KINDS)[0]["a"].tolist() == [1.0, 4.0]


def test_drop_outliers_uses_the_iqr_of_the_training_rows():
    X = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6, 7, 8, 1000], "b": list("xyzxyzxyz")})
    y = pd.Series(range(9))
    step = {"type": "drop_outliers", "params": {"method": "iqr"}}
    X2, _, log = apply_row_steps(X, y, _recipe(step), "regression", KINDS)
    assert 1000 not in X2["a"].tolist() and log[0]["removed"] == 1


def test_disabled_steps_do_nothing_and_a_step_removing_everything_is_refused():
    X = pd.DataFrame({"a": [np.nan, np.nan], "b": ["x", "y"]})
    y = pd.Series([0, 1])
    step = {"type": "drop_missing_rows", "columns": {"kind": "numeric"}}
    assert len(apply_row_steps(X, y, _recipe({**step, "enabled": False}), "classification", KINDS)[0]) == 2
    with pytest.raises(RecipeError, match="would remove every training row"):
        apply_row_steps(X, y, _recipe(step), "classification", KINDS)


@pytest.mark.parametrize(("balance", "count"), [("oversample", 8), ("undersample", 2)])
def test_resampling_balances_classes_reproducibly(balance, count):
    X = pd.DataFrame({"a": np.arange(10.0), "b": ["x"] * 10})
    y = pd.Series(["major"] * 8 + ["minor"] * 2)
    X2, y2, log = apply_row_steps(X, y, _recipe(balance=balance), "classification", KINDS, seed=1)
    assert y2.value_counts().to_dict() == {"major": count, "minor": count}
    assert log[-1]["rows_after"] == 2 * count
    assert apply_row_steps(X, y, _recipe(balance=balance), "classification", KINDS, seed=1)[0].equals(X2)
    # Regression has no classes to balance.
    assert len(apply_row_steps(X, y.index.to_series(), _recipe(balance=balance), "regression", KINDS)[0]) == 10
