"""Train / validation / test splits: exact sizes, stratified shares, determinism and fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import DEFAULT_RECIPE, TargetError, split_rows

SPLIT = DEFAULT_RECIPE["split"]


def _shares(y: pd.Series, positions) -> dict[str, int]:
    return y.iloc[positions].value_counts().to_dict()


def test_70_15_15_exact_counts_and_stratified_class_shares():
    y = pd.Series(["a"] * 70 + ["b"] * 30)
    split = split_rows(y, "classification", SPLIT)
    assert split.sizes() == {"train": 70, "valid": 15, "test": 15}
    assert split.stratified and split.notes == []
    assert _shares(y, split.train) == {"a": 49, "b": 21}
    assert _shares(y, split.valid) == {"a": 10, "b": 5}
    assert _shares(y, split.test) == {"a": 11, "b": 4}
    for part in (split.train, split.valid, split.test):
        assert abs(_shares(y, part)["b"] / len(part) - 0.3) <= 0.05


def test_parts_are_disjoint_sorted_and_cover_every_row():
    y = pd.Series(["a", "b"] * 10)
    split = split_rows(y, "classification", SPLIT)
    together = np.concatenate([split.train, split.valid, split.test])
    assert sorted(together.tolist()) == list(range(20))
    assert all((np.diff(part) > 0).all() for part in (split.train, split.valid, split.test))


def test_same_seed_same_rows_other_seed_other_rows():
    y = pd.Series(np.arange(40.0))
    first, again = split_rows(y, "regression", SPLIT), split_rows(y, "regression", SPLIT)
    other = split_rows(y, "regression", {**SPLIT, "seed": 7})
    assert first.test.tolist() == again.test.tolist()
    assert first.test.tolist() != other.test.tolist()


def test_regression_is_never_stratified():
    split = split_rows(pd.Series(np.arange(20.0)), "regression", SPLIT)
    assert split.sizes() == {"train": 14, "valid": 3, "test": 3}
    assert not split.stratified


def test_random_strategy_is_not_stratified():
    split = split_rows(pd.Series(["a", "b"] * 10), "classification", {**SPLIT, "strategy": "random"})
    assert not split.stratified and split.notes == []


def test_zero_test_share_keeps_no_test_rows():
    split = split_rows(pd.Series(np.arange(10.0)), "regression", {**SPLIT, "train": 0.8, "valid": 0.2, "test": 0.0})
    assert split.sizes() == {"train": 8, "valid": 2, "test": 0}


def test_a_class_under_three_rows_falls_back_to_random_with_a_note():
    split = split_rows(pd.Series(["a"] * 18 + ["b"] * 2), "classification", SPLIT)
    assert split.sizes() == {"train": 14, "valid": 3, "test": 3}
    assert not split.stratified
    assert split.notes == ["Some class has fewer than 3 rows, so the split could not be stratified; it is random."]


@pytest.mark.parametrize(
    ("labels", "sizes"),
    [
        pytest.param(list("abc") * 4, {"train": 8, "valid": 2, "test": 2}, id="12-rows-3-classes"),
        pytest.param(list("abcd") * 5, {"train": 14, "valid": 3, "test": 3}, id="20-rows-4-classes"),
        pytest.param(list("abcdefghij") * 3, {"train": 22, "valid": 4, "test": 4}, id="30-rows-10-classes"),
    ],
)
def test_more_classes_than_validation_rows_falls_back_to_random(labels, sizes):
    split = split_rows(pd.Series(labels), "classification", SPLIT)
    assert split.sizes() == sizes
    assert not split.stratified
    assert split.notes[0].startswith("A part of the split has fewer rows than the")


def test_too_few_rows_is_a_target_error():
    with pytest.raises(TargetError, match=r"Only 6 rows have a target value: too few for a train / validation split"):
        split_rows(pd.Series(np.arange(6.0)), "regression", SPLIT)


def test_seven_rows_is_just_enough():
    assert split_rows(pd.Series(np.arange(7.0)), "regression", SPLIT).sizes() == {"train": 5, "valid": 1, "test": 1}
