"""Understanding a fitted pipeline through its raw input columns: permutation importance, partial
dependence, a learning curve and why a single row got its prediction. Each returns plain data;
``engine.evaluate.plots`` draws it (a row's explanation is a small table).

Everything works on the whole pipeline with raw columns, so answers are per column the user knows.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, learning_curve

from engine.errors import ModelError
from engine.evaluate.metrics import _PROBABILITY_METRICS, METRICS, weighted_scores

__all__ = [
    "LearningCurve",
    "PartialDependence",
    "RowExplanation",
    "explain_rows",
    "importance_table",
    "learning_curve_info",
    "partial_dependence_info",
    "spread_rows",
]


def _sample_rows(X: pd.DataFrame, y: pd.Series | None, max_rows: int, seed: int):
    if len(X) <= max_rows:
        return X, y
    rows = np.sort(np.random.default_rng(seed).choice(len(X), max_rows, replace=False))
    return X.iloc[rows], (None if y is None else y.iloc[rows])


def importance_table(pipeline, X: pd.DataFrame, y: pd.Series, metric: str, *, n_repeats: int = 3,
                     seed: int = 0, max_rows: int = 2_000) -> pd.DataFrame:
    """How much ``metric`` worsens when each raw column is shuffled (mean and sd over ``n_repeats``), largest first.

    Columns: column, importance, std, rows (how many rows were scored). Same idea as scikit-learn's
    ``permutation_importance``, but the shuffled copies of a column are stacked and predicted in one call:
    a pipeline's per-call overhead, not its row count, dominates on validation-sized data.
    """
    if metric not in METRICS:
        raise ModelError(f"Unknown metric '{metric}'; use one of {list(METRICS)}.")
    Xs, ys = _sample_rows(X, y, max_rows, seed)
    n = len(Xs)
    needs_proba = metric in _PROBABILITY_METRICS
    classes = [str(c) for c in pipeline.classes_] if hasattr(pipeline, "classes_") else None

    def score(frame: pd.DataFrame, copies: int) -> np.ndarray:
        proba = pipeline.predict_proba(frame) if needs_proba else None
        pred = None if needs_proba else pipeline.predict(frame)
        blocks = np.kron(np.eye(copies), np.ones(n))  # row r weighs the r-th stacked copy
        return weighted_scores(metric, np.tile(ys.to_numpy(), copies), pred, proba, classes, blocks)

    baseline = score(Xs, 1)[0]
    rng = np.random.default_rng(seed)
    sign = 1.0 if METRICS[metric].greater_is_better else -1.0
    rows = []
    for column in X.columns:
        stacked = pd.concat([Xs] * n_repeats, ignore_index=True)
        shuffled = np.concatenate([rng.permutation(n) for _ in range(n_repeats)])
        stacked[column] = Xs[column].to_numpy()[shuffled]
        drops = sign * (baseline - score(stacked, n_repeats))
        rows.append({"column": column, "importance": float(np.nanmean(drops)), "std": float(np.nanstd(drops))})
    table = pd.DataFrame(rows, columns=["column", "importance", "std"]).assign(rows=n)
    return table.sort_values(["importance", "column"], ascending=[False, True]).reset_index(drop=True)


class PartialDependence(NamedTuple):
    """Mean prediction (per class for a classifier: probability) with ``column`` set to each grid value."""

    column: str
    grid: list[float]
    curves: dict[str, list[float]]  # series name -> mean prediction per grid value
    n_rows: int
    n_total: int


def partial_dependence_info(pipeline, X: pd.DataFrame, column: str, task: str, *, grid_size: int = 20,
                            max_rows: int = 500, seed: int = 0) -> PartialDependence:
    """Set ``column`` to each of ``grid_size`` quantiles on (up to ``max_rows``) rows and average the predictions."""
    values = pd.to_numeric(X[column], errors="coerce").dropna()
    if values.empty:
        raise ModelError(f"Column '{column}' has no numeric values; pick a numeric column for partial dependence.")
    grid = np.unique(np.quantile(values, np.linspace(0, 1, grid_size)))
    rows, _ = _sample_rows(X, None, max_rows, seed)
    # one stacked frame: every sampled row once per grid value, predicted in a single call
    stacked = pd.concat([rows] * len(grid), ignore_index=True)
    stacked[column] = np.repeat(grid, len(rows))
    if task == "classification" and hasattr(pipeline, "predict_proba"):
        proba = pipeline.predict_proba(stacked).reshape(len(grid), len(rows), -1).mean(axis=1)
        classes = [str(c) for c in pipeline.classes_]
        columns = [1] if len(classes) == 2 else range(len(classes))
        curves = {f"P({classes[j]})": proba[:, j].tolist() for j in columns}
    else:
        curves = {"prediction": pipeline.predict(stacked).astype(float).reshape(len(grid), len(rows))
                  .mean(axis=1).tolist()}
    return PartialDependence(column, grid.tolist(), curves, len(rows), len(X))


class RowExplanation(NamedTuple):
    """Why one row got its prediction: how much each column moved it away from a typical row's."""

    row: int  # position in the frame explained
    output: str  # what is explained: "P(<class>)" or "prediction"
    prediction: float
    average: float  # mean prediction over the background rows
    contributions: dict[str, float]  # column -> its effect on this row's prediction, largest first (by size)
    values: dict[str, object]  # column -> the row's value
    actual: str | None  # the row's true target, when given


def _outputs(pipeline, frame: pd.DataFrame, task: str) -> np.ndarray:
    """One column per class of a classifier's probabilities, else one column of predicted values."""
    if task != "classification":
        return pipeline.predict(frame).astype(float).reshape(-1, 1)
    if not hasattr(pipeline, "predict_proba"):
        raise ModelError("This model gives no probabilities, so there is no score to explain row by row.")
    return pipeline.predict_proba(frame)


def _pick(probabilities: np.ndarray) -> int:
    """The class a row's explanation follows: the positive one of two, else the row's most probable class."""
    return 1 if len(probabilities) == 2 else int(np.argmax(probabilities))


def explain_rows(pipeline, X: pd.DataFrame, rows: list[int], task: str, *, y: pd.Series | None = None,
                 columns: list[str] | None = None, background_rows: int = 100, seed: int = 0) -> list[RowExplanation]:
    """For each row position in ``rows``: each column's effect, the row's prediction minus the mean prediction
    when that column alone takes the values of (up to ``background_rows``) other rows of ``X``.

    One column at a time, the way SHAP's background data works but without the interactions: for a linear model
    it is exactly coefficient x (value - background mean). ``columns`` limits it to those (e.g. the most important
    ones). Every row with every column replaced is predicted in one stacked call: a pipeline's per-call overhead
    dominates on rows this few.
    """
    columns = list(X.columns) if columns is None else columns
    if unknown := [c for c in columns if c not in X.columns]:
        raise ModelError(f"Columns {unknown} are not inputs of this model; explain rows by its input columns.")
    background, _ = _sample_rows(X, None, background_rows, seed)
    b, k = len(background), len(columns)
    classes = [str(c) for c in getattr(pipeline, "classes_", [])]
    own, typical = _outputs(pipeline, X.iloc[rows], task), _outputs(pipeline, background, task).mean(axis=0)
    stacked = X.iloc[np.repeat(rows, k * b)].reset_index(drop=True)
    for j, column in enumerate(columns):  # block (row i, column j) holds row i with column j from the background
        at = (np.arange(len(rows))[:, None] * k * b + j * b + np.arange(b)).ravel()
        stacked.loc[at, column] = np.tile(background[column].to_numpy(), len(rows))
    replaced = _outputs(pipeline, stacked, task).reshape(len(rows), k, b, -1).mean(axis=2)
    results = []
    for i, row in enumerate(rows):
        pick = _pick(own[i]) if own.shape[1] > 1 else 0
        effects = {c: float(own[i, pick] - replaced[i, j, pick]) for j, c in enumerate(columns)}
        results.append(RowExplanation(
            row, f"P({classes[pick]})" if own.shape[1] > 1 else "prediction", float(own[i, pick]),
            float(typical[pick]), dict(sorted(effects.items(), key=lambda kv: -abs(kv[1]))),
            {c: X[c].iloc[row] for c in columns}, None if y is None else str(y.iloc[row])))
    return results


def spread_rows(pipeline, X: pd.DataFrame, task: str, n: int = 5) -> list[int]:
    """Positions of ``n`` rows whose scores (as ``explain_rows`` explains them) span the range: the lowest, the
    highest and evenly between."""
    outputs = _outputs(pipeline, X, task)
    scores = outputs[:, 1] if outputs.shape[1] == 2 else outputs.max(axis=1)
    order = np.argsort(scores, kind="mergesort")
    return [int(order[i]) for i in np.unique(np.linspace(0, len(order) - 1, min(n, len(order))).round().astype(int))]


class LearningCurve(NamedTuple):
    """Training and cross-validated scores by number of training rows (mean and sd over the folds)."""

    metric: str
    sizes: list[int]
    train_mean: list[float]
    train_std: list[float]
    valid_mean: list[float]
    valid_std: list[float]
    n_rows: int
    n_total: int


def learning_curve_info(pipeline, X: pd.DataFrame, y: pd.Series, task: str, metric: str, *, seed: int = 0,
                        max_rows: int = 5_000, n_sizes: int = 5, folds: int = 3,
                        progress: Callable[[int, int], None] | None = None) -> LearningCurve:
    """``metric`` of fresh copies of ``pipeline`` trained on growing shares of (up to ``max_rows``) rows.

    It fits ``n_sizes * folds`` copies, so it is the slow explanation; ``progress(done, folds)`` is called after
    each fold (the Evaluate page runs it in the background and shows that progress).
    """
    if metric not in METRICS:
        raise ModelError(f"Unknown metric '{metric}'; use one of {list(METRICS)}.")
    Xs, ys = _sample_rows(X, y, max_rows, seed)
    if task == "classification":
        smallest = int(ys.astype(str).value_counts().min())
        if smallest < folds:
            raise ModelError(f"A class has only {smallest} row(s); a {folds}-fold learning curve needs {folds}.")
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(Xs, ys.astype(str)))
    else:
        splits = list(KFold(folds, shuffle=True, random_state=seed).split(Xs))
    # the same absolute sizes in every fold (fold sizes may differ by a row), so the folds can be averaged
    smallest_fold = min(len(train) for train, _ in splits)
    sizes = np.unique(np.linspace(0.2, 1.0, n_sizes) * smallest_fold // 1).astype(int)
    train, valid = [], []
    for done, split in enumerate(splits, start=1):  # one fold per call, to report progress between them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (UserWarning, ConvergenceWarning, RuntimeWarning))
            _, fold_train, fold_valid = learning_curve(
                clone(pipeline), Xs, ys, train_sizes=sizes, cv=[split], scoring=get_scorer(METRICS[metric].scorer),
                shuffle=True, random_state=seed, error_score=np.nan)
        train.append(fold_train[:, 0])
        valid.append(fold_valid[:, 0])
        if progress is not None:
            progress(done, len(splits))
    sign = 1.0 if METRICS[metric].greater_is_better else -1.0
    train_scores, valid_scores = sign * np.column_stack(train), sign * np.column_stack(valid)
    return LearningCurve(metric, [int(s) for s in sizes], np.nanmean(train_scores, 1).tolist(),
                         np.nanstd(train_scores, 1).tolist(), np.nanmean(valid_scores, 1).tolist(),
                         np.nanstd(valid_scores, 1).tolist(), len(Xs), len(X))
