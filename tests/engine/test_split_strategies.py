"""Time-ordered and grouped splits, and the cross-validation folds that follow them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import RecipeError, cv_folds, split_rows, validate_recipe


def _split(**changes) -> dict:
    return validate_recipe({"split": changes})["split"]


def _frame(n=200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d").to_numpy()
    return pd.DataFrame({"when": rng.permutation(dates), "customer": np.repeat(np.arange(n // 4), 4),
                         "y": rng.choice(["a", "b"], n)})


def test_time_split_trains_on_the_past_and_tests_on_the_future():
    frame = _frame()
    split = split_rows(frame["y"], "classification", _split(strategy="time", time_column="when"), frame)
    when = pd.to_datetime(frame["when"])
    assert split.sizes() == {"train": 140, "valid": 30, "test": 30}
    assert when.iloc[split.train].max() < when.iloc[split.valid].min()
    assert when.iloc[split.valid].max() < when.iloc[split.test].min()
    assert split.notes[0].startswith("Time-ordered by 'when'")


def test_time_split_places_rows_without_a_date_last():
    frame = _frame()
    frame.loc[[0, 1], "when"] = None
    split = split_rows(frame["y"], "classification", _split(strategy="time", time_column="when"), frame)
    assert {0, 1} <= set(split.test)
    assert "2 rows without a 'when' value are placed last." in split.notes


def test_group_split_keeps_every_group_in_one_part_and_is_reproducible():
    frame = _frame()
    options = _split(strategy="group", group_column="customer", seed=5)
    split = split_rows(frame["y"], "classification", options, frame)
    parts = [set(frame["customer"].iloc[getattr(split, p)]) for p in ("train", "valid", "test")]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert split.sizes() == {"train": 140, "valid": 32, "test": 28} or sum(split.sizes().values()) == 200
    assert abs(len(split.test) - 30) <= 4 and abs(len(split.valid) - 30) <= 4
    again = split_rows(frame["y"], "classification", options, frame)
    assert np.array_equal(split.test, again.test)


def test_split_column_must_exist():
    frame = _frame()
    with pytest.raises(RecipeError, match="needs column 'nope'"):
        split_rows(frame["y"], "classification", _split(strategy="group", group_column="nope"), frame)


def test_group_folds_keep_groups_whole_and_time_folds_only_look_back():
    frame = _frame()
    settings = {"cv_folds": 4, "seed": 0}
    for fit, score in cv_folds(frame, frame["y"], "classification", _split(strategy="group", group_column="customer"),
                               settings):
        assert not set(frame["customer"].iloc[fit]) & set(frame["customer"].iloc[score])
    when = pd.to_datetime(frame["when"])
    folds = cv_folds(frame, frame["y"], "classification", _split(strategy="time", time_column="when"), settings)
    assert len(folds) == 4
    for fit, score in folds:
        assert when.iloc[fit].max() < when.iloc[score].min()
