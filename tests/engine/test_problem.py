"""The problem definition: proposals from the target's values, and validation with clear messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import Problem, TargetError, propose_problem, validate_problem


@pytest.mark.parametrize(
    ("values", "kind", "task", "metric"),
    [
        pytest.param(["yes", "no", "yes"], "boolean", "classification", "roc_auc", id="two-labels"),
        pytest.param(["a", "b", "c", "a"], "categorical", "classification", "f1_macro", id="three-labels"),
        pytest.param([1, 2, 3] * 5, "numeric", "classification", "f1_macro", id="few-integers"),
        pytest.param(list(range(30)), "numeric", "regression", "rmse", id="many-integers"),
        pytest.param([0.5, 1.5, 2.25], "numeric", "regression", "rmse", id="floats"),
        pytest.param([1.0, 2.0, np.nan, 1.0], "numeric", "classification", "roc_auc", id="integral-floats-with-gap"),
    ],
)
def test_proposal(values, kind, task, metric):
    assert propose_problem(pd.Series(values), kind, "t") == Problem("t", task, metric)


def test_problem_is_json_ready():
    assert Problem("y", "regression", "mae").to_dict() == {"target": "y", "task": "regression", "metric": "mae"}


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "x": range(12),
        "single": ["a"] * 12,
        "blank": [np.nan] * 12,
        "price": [1.5, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5],
        "colour": ["red", "green", "blue"] * 4,
        "labels": ["1", "2", "x"] + ["3"] * 9,
        "infinite": [np.inf] + [1.0] * 11,
        "constant": [3.0] * 12,
    })


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        pytest.param(Problem("single", "classification", "accuracy"),
                     "Target 'single' has only one value ('a'); a classifier needs at least two classes. "
                     "Pick another target or add rows of the other class.", id="one-value"),
        pytest.param(Problem("blank", "classification", "accuracy"),
                     "Target column 'blank' has no values (all 12 are missing); pick another target.",
                     id="all-missing"),
        pytest.param(Problem("nope", "classification", "accuracy"),
                     "Target column 'nope' is not in the data; pick one of ['x', 'single', 'blank', 'price', "
                     "'colour', 'labels', 'infinite', 'constant'].", id="unknown-column"),
        pytest.param(Problem("price", "clustering", "accuracy"),
                     "The task must be one of ['classification', 'regression']. Got 'clustering' instead.",
                     id="unknown-task"),
        pytest.param(Problem("price", "regression", "accuracy"),
                     "Metric 'accuracy' does not fit a regression task; use one of ['rmse', 'mae', 'r2', 'mse', "
                     "'mape'].",
                     id="metric-of-other-task"),
        pytest.param(Problem("colour", "classification", "roc_auc"),
                     "Metric 'roc_auc' needs two classes but 'colour' has 3; use f1_macro or accuracy.",
                     id="binary-metric-three-classes"),
        pytest.param(Problem("labels", "regression", "rmse"),
                     "Target 'labels' has 1 non-numeric values (e.g. 'x'); regression needs numbers. "
                     "Fix the values or choose classification.", id="text-for-regression"),
        pytest.param(Problem("infinite", "regression", "rmse"),
                     "Target 'infinite' has infinite values; remove those rows.", id="infinite"),
        pytest.param(Problem("constant", "regression", "rmse"),
                     "Target 'constant' is constant; there is nothing to predict.", id="constant"),
    ],
)
def test_invalid_problems_raise_target_error(frame, problem, message):
    with pytest.raises(TargetError) as caught:
        validate_problem(frame, problem)
    assert str(caught.value) == message


def test_valid_problem_has_no_notes(frame):
    assert validate_problem(frame, Problem("price", "regression", "rmse")) == []
    assert validate_problem(frame, Problem("colour", "classification", "f1_macro")) == []


def test_missing_target_values_are_noted():
    frame = pd.DataFrame({"t": ["a", "b"] * 5 + [None, None]})
    assert validate_problem(frame, Problem("t", "classification", "accuracy")) == [
        "Target 't' has 2 missing values; those rows are left out of training."
    ]


def test_rare_classes_are_noted():
    frame = pd.DataFrame({"t": ["a"] * 10 + ["b", "b"]})
    assert validate_problem(frame, Problem("t", "classification", "accuracy")) == [
        "Classes with fewer than 3 rows (b) make scores unstable."
    ]


def test_too_many_classes():
    frame = pd.DataFrame({"t": [f"c{i}" for i in range(51)]})
    with pytest.raises(TargetError, match="has 51 distinct values, too many classes \\(at most 50\\)"):
        validate_problem(frame, Problem("t", "classification", "accuracy"))
