"""The problem definition: target column, task and success metric.

>>> import pandas as pd
>>> propose_problem(pd.Series(["yes", "no", "yes"]), "categorical")
Problem(target='', task='classification', metric='roc_auc')
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from engine.errors import TargetError
from engine.evaluate.metrics import METRICS, metrics_for_task

__all__ = ["TASKS", "Problem", "numeric_target", "propose_problem", "validate_problem"]

TASKS = ("classification", "regression")
_MAX_CLASSES = 50


class Problem(NamedTuple):
    """What to predict and how success is measured."""

    target: str
    task: str
    metric: str

    def to_dict(self) -> dict:
        return self._asdict()


def propose_problem(target: pd.Series, kind: str, name: str = "") -> Problem:
    """Propose a task and metric from the target column's values and kind."""
    values = target.dropna()
    n_unique = values.nunique()
    numeric = kind == "numeric" and pd.api.types.is_numeric_dtype(values)
    is_integer = numeric and bool((values % 1 == 0).all())
    if numeric and not (is_integer and n_unique <= 10):
        task = "regression"
    else:
        task = "classification"
    if task == "regression":
        metric = "rmse"
    else:
        metric = "roc_auc" if n_unique <= 2 else "f1_macro"
    return Problem(target=name, task=task, metric=metric)


def validate_problem(frame: pd.DataFrame, problem: Problem) -> list[str]:
    """Check that ``problem`` can be learned from ``frame``; return notes, raise TargetError."""
    if problem.target not in frame.columns:
        raise TargetError(
            f"Target column '{problem.target}' is not in the data; pick one of {list(frame.columns)[:20]}."
        )
    if problem.task not in TASKS:
        raise TargetError(f"The task must be one of {list(TASKS)}. Got {problem.task!r} instead.")
    if problem.metric not in metrics_for_task(problem.task):
        raise TargetError(
            f"Metric '{problem.metric}' does not fit a {problem.task} task; "
            f"use one of {metrics_for_task(problem.task)}."
        )
    target = frame[problem.target]
    n_missing = int(target.isna().sum())
    values = target.dropna()
    if values.empty:
        raise TargetError(
            f"Target column '{problem.target}' has no values (all {len(target)} are missing); pick another target."
        )
    notes = []
    if n_missing:
        notes.append(
            f"Target '{problem.target}' has {n_missing} missing values; those rows are left out of training."
        )
    if problem.task == "classification":
        notes += _check_classes(problem, values)
    else:
        _check_regression(problem, values)
    return notes


def numeric_target(name: str, values: pd.Series) -> pd.Series:
    """The values (none missing) of regression target ``name`` as floats; TargetError if any is text or infinite."""
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    bad = int(numeric.isna().sum())
    if bad:
        example = values[numeric.isna()].iloc[0]
        raise TargetError(
            f"Target '{name}' has {bad} non-numeric values (e.g. {example!r}); "
            "regression needs numbers. Fix the values or choose classification."
        )
    if not bool(pd.Series(numeric).map(lambda v: abs(v) != float("inf")).all()):
        raise TargetError(f"Target '{name}' has infinite values; remove those rows.")
    return numeric


def _check_classes(problem: Problem, values: pd.Series) -> list[str]:
    counts = values.astype(str).value_counts()
    if len(counts) < 2:
        raise TargetError(
            f"Target '{problem.target}' has only one value ({counts.index[0]!r}); a classifier needs at "
            "least two classes. Pick another target or add rows of the other class."
        )
    if len(counts) > _MAX_CLASSES:
        raise TargetError(
            f"Target '{problem.target}' has {len(counts)} distinct values, too many classes "
            f"(at most {_MAX_CLASSES}); if it is a quantity, choose the regression task."
        )
    if METRICS[problem.metric].binary_only and len(counts) > 2:
        raise TargetError(
            f"Metric '{problem.metric}' needs two classes but '{problem.target}' has {len(counts)}; "
            "use f1_macro or accuracy."
        )
    notes = []
    rare = counts[counts < 3]
    if len(rare):
        notes.append(f"Classes with fewer than 3 rows ({', '.join(map(str, rare.index[:5]))}) make scores unstable.")
    single = counts[counts == 1]
    if len(single):
        notes.append(f"Classes with a single row ({', '.join(map(str, single.index[:5]))}) cannot be learned from "
                     "one example nor cross-validated; add rows of those classes or merge them into others.")
    return notes


def _check_regression(problem: Problem, values: pd.Series) -> None:
    numeric = numeric_target(problem.target, values)
    if numeric.nunique() < 2:
        raise TargetError(f"Target '{problem.target}' is constant; there is nothing to predict.")
