"""Greedy ensemble selection (Caruana et al., 2004) on out-of-fold predictions, and the one-metric scores it climbs.

Pure functions on arrays. A *prediction* is what a model says about each row: an ``(n, k)`` array of class
probabilities (columns in the order of the training classes; ``y`` holds each row's class code ``0..k-1``) or an
``(n,)`` array of regression values. Greedy selection with replacement starts from nothing and, round after round,
adds the model whose inclusion makes the averaged prediction score best; a model picked ``c`` times weighs ``c``
in the average, so the counts are the weights of a soft vote (``VotingClassifier`` / ``VotingRegressor``).

>>> y = np.array([0.0, 1.0, 2.0, 3.0])
>>> low, high = y - 1.0, y + 1.0
>>> greedy_selection([low, high, y + 3.0], y, "rmse").counts.tolist()
[1, 1, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from sklearn import metrics as skm
from sklearn.neighbors import BallTree, KDTree
from sklearn.tree._tree import NODE_DTYPE, Tree

from engine.evaluate.metrics import METRICS, _macro_average_precision

__all__ = ["GREEDY_ROUNDS", "MEMBERS_MAX_BYTES", "Selection", "blend", "fitted_nbytes", "fold_scores",
           "greedy_selection", "prediction_score"]

#: Rounds of greedy selection (AutoGluon's and auto-sklearn's order of magnitude); the best prefix is kept.
GREEDY_ROUNDS = 25
#: The memory cap of a vote: its members' fitted models, as measured on their trials' fold models
#: (``fitted_nbytes``), hold at most this much together. The best single model is never capped (without a vote it
#: ships alone); the others join only while they fit under the cap. Why 16 MiB: the vote is fitted on the training
#: rows, then again on all rows (1.5x the fold's rows) while the first stays as the fallback, then written to skops
#: and loaded back to check it, so a run's peak holds about 2.5 times its members (measured on digits: 336-379 MB
#: with 32 MiB and forests of 24 MiB, against FLAML's 257-298 MB); FLAML's whole run uses 40-60 MB above the
#: libraries both load (about 210 MB). For
#: scale, measured: a 100-tree forest of unpruned trees on 5,000 rows holds 24 MB, a boosting model or a linear
#: one under 1 MB; the forest's weight in such a vote was 1 of 25.
MEMBERS_MAX_BYTES = 16 * 2**20


class Selection(NamedTuple):
    """What greedy selection chose: how many times each model was picked, and the score after each round."""

    counts: np.ndarray
    scores: list[float]


def prediction_score(metric: str, y: np.ndarray, prediction: np.ndarray) -> float:
    """The score of ``prediction`` against ``y`` on ``metric``, in the metric's own units (a loss is positive).

    It computes this one metric only (``engine.evaluate.metrics.compute_metrics`` computes them all, too slowly
    for the hundreds of blends a greedy selection tries), with the definitions of the scikit-learn scorers that
    ``METRICS`` names; labels are the most probable class, as every workbench classifier predicts them.

    >>> prediction_score("log_loss", np.array([0, 1]), np.array([[0.5, 0.5], [0.5, 0.5]]))
    0.6931...
    """
    if METRICS[metric].task == "regression":
        return _regression_score(metric, np.asarray(y, dtype=float), np.asarray(prediction, dtype=float))
    proba = np.asarray(prediction, dtype=float)
    proba = proba / np.clip(proba.sum(axis=1, keepdims=True), 1e-12, None)  # float32 storage: sums off by ~1e-7
    y = np.asarray(y)
    labels = proba.argmax(axis=1)
    classes = list(range(proba.shape[1]))
    if metric == "accuracy":
        return float(skm.accuracy_score(y, labels))
    if metric == "balanced_accuracy":  # the mean recall over the classes present, as compute_metrics has it
        return float(skm.recall_score(y, labels, labels=np.unique(y), average="macro", zero_division=0))
    if metric.split("_")[0] in ("f1", "precision", "recall"):
        name, average = metric.split("_")
        return float(getattr(skm, f"{name}_score")(y, labels, average=average, zero_division=0))
    if metric == "mcc":
        return float(skm.matthews_corrcoef(y, labels))
    if metric == "log_loss":
        return float(skm.log_loss(y, proba, labels=classes))
    if metric in ("roc_auc", "pr_auc"):
        score = skm.roc_auc_score if metric == "roc_auc" else skm.average_precision_score
        return float(score(y == 1, proba[:, 1]))
    if metric == "roc_auc_ovr":  # on two classes, scikit-learn's scorer scores the second class's probability
        if len(classes) == 2:
            return float(skm.roc_auc_score(y == 1, proba[:, 1]))
        return float(skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes))
    if metric == "pr_auc_ovr":
        return _macro_average_precision(y, proba, classes)
    raise ValueError(f"No out-of-fold score for metric '{metric}'; choose one of {sorted(METRICS)}.")


def _regression_score(metric: str, y: np.ndarray, prediction: np.ndarray) -> float:
    if metric == "rmse":
        return float(np.sqrt(skm.mean_squared_error(y, prediction)))
    if metric == "mse":
        return float(skm.mean_squared_error(y, prediction))
    if metric == "mae":
        return float(skm.mean_absolute_error(y, prediction))
    if metric == "r2":
        return float(skm.r2_score(y, prediction))
    if metric == "mape":
        return float(skm.mean_absolute_percentage_error(y, prediction))
    raise ValueError(f"No out-of-fold score for metric '{metric}'; choose one of {sorted(METRICS)}.")


def blend(predictions: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """The weighted mean of ``predictions`` (float64), as a soft vote with these weights computes it.

    >>> blend([np.array([0.0, 2.0]), np.array([4.0, 2.0])], [3, 1]).tolist()
    [1.0, 2.0]
    """
    total = np.zeros(np.shape(predictions[0]), dtype=float)
    for prediction, weight in zip(predictions, weights, strict=True):
        if weight:
            total += weight * np.asarray(prediction, dtype=float)
    return total / float(np.sum(weights))


def fold_scores(metric: str, y: np.ndarray, prediction: np.ndarray, fold_of_row: np.ndarray) -> list[float]:
    """The score of each fold's rows (``fold_of_row`` 0, 1, ...; rows marked -1 were never predicted).

    >>> fold_scores("mae", np.array([0.0, 0, 0, 0]), np.array([1.0, 3, 0, 5]), np.array([0, 0, 1, -1]))
    [2.0, 0.0]
    """
    return [prediction_score(metric, y[fold_of_row == fold], prediction[fold_of_row == fold])
            for fold in range(int(fold_of_row.max()) + 1)]


def greedy_selection(predictions: Sequence[np.ndarray], y: np.ndarray, metric: str,
                     rounds: int = GREEDY_ROUNDS, sizes: Sequence[int] | None = None,
                     max_bytes: int | None = None) -> Selection:
    """Caruana's greedy ensemble selection with replacement over ``predictions`` of the same rows.

    Each round adds the model that makes the average of those picked so far score best on ``metric`` (ties: the
    earlier model); the counts returned are those of the best round (the earliest of equal ones), so more
    rounds never make the blend worse than the best single model, which round one picks. With ``sizes`` (bytes
    of each model) and ``max_bytes``, a model not picked yet is tried only while the models picked so far and it
    hold at most ``max_bytes`` together (round one's pick is exempt: it is the best single model).

    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> greedy_selection([y - 1.0, y + 1.0], y, "rmse", sizes=[50, 60], max_bytes=100).counts.tolist()
    [1, 0]
    """
    if not predictions:
        raise ValueError("Greedy selection needs at least one model's predictions.")
    sign = 1.0 if METRICS[metric].greater_is_better else -1.0
    total = np.zeros(np.shape(predictions[0]), dtype=float)
    counts = np.zeros(len(predictions), dtype=int)
    best_counts, best, scores = counts, -np.inf, []
    for step in range(1, rounds + 1):
        held = 0 if sizes is None else sum(size for size, count in zip(sizes, counts, strict=True) if count)
        tried = [sign * prediction_score(metric, y, (total + p) / step)
                 if step == 1 or max_bytes is None or sizes is None or counts[i] or held + sizes[i] <= max_bytes
                 else -np.inf for i, p in enumerate(predictions)]
        pick = int(np.argmax(tried))  # the first of equal scores
        total += predictions[pick]
        counts[pick] += 1
        scores.append(sign * tried[pick])
        if tried[pick] > best:
            best, best_counts = tried[pick], counts.copy()
    return Selection(best_counts, scores)


def fitted_nbytes(estimator) -> int:
    """About how many bytes a fitted estimator holds: its NumPy arrays, decision trees' nodes and neighbour
    trees, through pipelines, column transformers and ensembles (each object counted once; Python objects' own
    overhead is not). What ``MEMBERS_MAX_BYTES`` caps.

    >>> from sklearn.ensemble import RandomForestRegressor
    >>> forest = RandomForestRegressor(n_estimators=2, bootstrap=False).fit([[0.0], [1.0]], [0.0, 1.0])
    >>> fitted_nbytes(forest) >= 2 * 3 * NODE_DTYPE.itemsize  # two trees of three nodes
    True
    """
    seen: set[int] = set()

    def walk(value) -> int:
        if id(value) in seen:
            return 0
        seen.add(id(value))
        if isinstance(value, np.ndarray):
            return value.nbytes + (sum(walk(v) for v in value.ravel()) if value.dtype == object else 0)
        if isinstance(value, Tree):
            return value.node_count * NODE_DTYPE.itemsize + value.value.nbytes
        if isinstance(value, KDTree | BallTree):
            return sum(np.asarray(a).nbytes for a in value.get_arrays())
        if isinstance(value, list | tuple):
            return sum(walk(v) for v in value)
        if isinstance(value, dict):
            return sum(walk(v) for v in value.values())
        module = type(value).__module__.split(".")[0]
        if module in ("sklearn", "engine") and hasattr(value, "__dict__"):
            return sum(walk(v) for v in vars(value).values())
        return 0

    return walk(estimator)
