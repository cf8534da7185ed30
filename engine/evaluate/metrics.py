"""Metrics: their definitions, scikit-learn scorer names, one function computing them all, and the
per-class report, bootstrap intervals and decision-threshold table behind the Evaluate page.

>>> compute_metrics("regression", [1.0, 2.0], [1.0, 3.0])["mae"]
0.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn import metrics as skm

__all__ = [
    "METRICS",
    "Metric",
    "compute_metrics",
    "metric_interval",
    "metrics_for_task",
    "per_class_report",
    "threshold_table",
    "weighted_scores",
]


def _pr_auc_ovr_scorer(estimator, X, y) -> float:
    """Scorer: macro one-vs-rest average precision from ``predict_proba`` (sklearn has no string for it)."""
    classes = [str(c) for c in estimator.classes_]
    return _macro_average_precision(np.asarray(y).astype(str), estimator.predict_proba(X), classes)


class Metric(NamedTuple):
    label: str
    task: str
    greater_is_better: bool
    # scikit-learn scorer used in cross-validation: a name for sklearn.metrics.get_scorer, or a scorer
    # callable(estimator, X, y) that get_scorer hands back unchanged
    scorer: str | Callable
    binary_only: bool = False


METRICS: dict[str, Metric] = {
    "accuracy": Metric("Accuracy", "classification", True, "accuracy"),
    "balanced_accuracy": Metric("Balanced accuracy", "classification", True, "balanced_accuracy"),
    "f1_macro": Metric("F1 (macro)", "classification", True, "f1_macro"),
    "f1_weighted": Metric("F1 (weighted)", "classification", True, "f1_weighted"),
    "precision_macro": Metric("Precision (macro)", "classification", True, "precision_macro"),
    "precision_weighted": Metric("Precision (weighted)", "classification", True, "precision_weighted"),
    "recall_macro": Metric("Recall (macro)", "classification", True, "recall_macro"),
    "recall_weighted": Metric("Recall (weighted)", "classification", True, "recall_weighted"),
    "mcc": Metric("MCC (Matthews correlation)", "classification", True, "matthews_corrcoef"),
    "roc_auc": Metric("ROC-AUC", "classification", True, "roc_auc", binary_only=True),
    "roc_auc_ovr": Metric("ROC-AUC (one-vs-rest)", "classification", True, "roc_auc_ovr"),
    "pr_auc": Metric("PR-AUC (average precision)", "classification", True, "average_precision", binary_only=True),
    "pr_auc_ovr": Metric("PR-AUC (one-vs-rest macro)", "classification", True, _pr_auc_ovr_scorer),
    "log_loss": Metric("Log loss", "classification", False, "neg_log_loss"),
    "rmse": Metric("RMSE", "regression", False, "neg_root_mean_squared_error"),
    "mae": Metric("MAE", "regression", False, "neg_mean_absolute_error"),
    "r2": Metric("R²", "regression", True, "r2"),
    "mse": Metric("MSE", "regression", False, "neg_mean_squared_error"),
    # scikit-learn's MAPE divides by max(|actual|, eps): honest as a fraction, but huge when actuals are near 0
    "mape": Metric("MAPE (fraction; huge when actual values are near 0)", "regression", False,
                   "neg_mean_absolute_percentage_error"),
}


def metrics_for_task(task: str) -> list[str]:
    """Metric names that apply to ``task``."""
    return [name for name, m in METRICS.items() if m.task == task]


def compute_metrics(task: str, y_true, y_pred, proba=None, classes=None) -> dict[str, float]:
    """Every metric of ``task`` that can be computed; ``proba`` columns follow ``classes`` order."""
    if task == "regression":
        y_true = np.asarray(y_true, dtype=float)
        y_pred = np.asarray(y_pred, dtype=float)
        mse = skm.mean_squared_error(y_true, y_pred)
        return {
            "rmse": float(np.sqrt(mse)),
            "mae": float(skm.mean_absolute_error(y_true, y_pred)),
            "mse": float(mse),
            "r2": float(skm.r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan"),
            "mape": float(skm.mean_absolute_percentage_error(y_true, y_pred)),
        }
    y_true = np.asarray(y_true).astype(str)
    y_pred = np.asarray(y_pred).astype(str)
    out = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        # balanced accuracy is the mean recall over the classes present; this form does not warn on small splits
        "balanced_accuracy": float(
            skm.recall_score(y_true, y_pred, labels=np.unique(y_true), average="macro", zero_division=0)
        ),
    }
    for name in ("f1", "precision", "recall"):
        score = getattr(skm, f"{name}_score")
        for average in ("macro", "weighted"):
            out[f"{name}_{average}"] = float(score(y_true, y_pred, average=average, zero_division=0))
    if len(set(y_true) | set(y_pred)) > 1:
        out["mcc"] = float(skm.matthews_corrcoef(y_true, y_pred))
    if proba is not None and classes is not None:
        out.update(_probability_metrics(y_true, np.asarray(proba, dtype=float), [str(c) for c in classes]))
    return out


def _probability_metrics(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict[str, float]:
    present = set(np.unique(y_true))
    if len(present) < 2:
        return {}
    out = {"log_loss": float(skm.log_loss(y_true, proba, labels=classes))}
    if len(classes) == 2:
        positive = y_true == classes[1]
        out["roc_auc"] = float(skm.roc_auc_score(positive, proba[:, 1]))
        out["pr_auc"] = float(skm.average_precision_score(positive, proba[:, 1]))
    elif present == set(classes):
        out["roc_auc_ovr"] = float(skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=classes))
        out["pr_auc_ovr"] = _macro_average_precision(y_true, proba, classes)
    return out


def _macro_average_precision(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> float:
    if len(classes) == 2:
        return float(skm.average_precision_score(y_true == classes[1], proba[:, 1]))
    scores = [skm.average_precision_score(y_true == c, proba[:, j]) for j, c in enumerate(classes)
              if (y_true == c).any()]
    return float(np.mean(scores))


def per_class_report(y_true, y_pred, classes) -> pd.DataFrame:
    """Precision, recall, F1 and support (true rows) of each class, in ``classes`` order."""
    labels = [str(c) for c in classes]
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str), labels=labels, zero_division=0)
    return pd.DataFrame({"class": labels, "precision": precision, "recall": recall, "f1": f1,
                         "support": support.astype(int)})


# -- bootstrap intervals ----------------------------------------------------------------------------

def metric_interval(metric: str, y_true, y_pred, proba=None, classes=None, n_boot: int = 200,
                    seed: int = 0) -> tuple[float, float]:
    """Percentile 95% bootstrap interval of ``metric`` over resampled rows; (nan, nan) if it cannot be computed.

    Each resample is a row of weights (how often each row was drawn), so all resamples are scored at once.

    >>> metric_interval("accuracy", ["a"] * 10, ["a"] * 10)
    (1.0, 1.0)
    """
    if metric not in METRICS:
        raise KeyError(f"Unknown metric '{metric}'; use one of {list(METRICS)}.")
    n = len(y_true)
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    score = _scorer_of_weights(metric, y_true, y_pred, proba, classes)
    if score is None:
        return float("nan"), float("nan")
    chunk = max(1, 2_000_000 // n)  # bound the weight matrix to ~16 MB
    values = []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.integers(0, n, (size, n)) + n * np.arange(size)[:, None]
        values.append(score(np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(float)))
    scores = np.concatenate(values)
    scores = scores[np.isfinite(scores)]
    if len(scores) == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(scores, [2.5, 97.5])
    return float(low), float(high)


_PROBABILITY_METRICS = ("log_loss", "roc_auc", "roc_auc_ovr", "pr_auc", "pr_auc_ovr")


def weighted_scores(metric: str, y_true, y_pred, proba, classes, weights: np.ndarray) -> np.ndarray:
    """``metric`` of the rows under each row of ``weights`` (k, n_rows); NaN where undefined.

    A row of ones scores every row once; 0/1 rows score blocks of rows (e.g. stacked permuted copies).
    """
    score = _scorer_of_weights(metric, y_true, y_pred, proba, classes)
    if score is None:
        return np.full(len(weights), np.nan)
    return score(np.asarray(weights, dtype=float))


def _scorer_of_weights(metric: str, y_true, y_pred, proba, classes) -> Callable | None:
    """A function of a weight matrix (k, n) giving ``metric`` per row; None when it needs missing probabilities."""
    if METRICS[metric].task == "regression":
        t, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
        return lambda w: _regression_scores(metric, t, p, w)
    prob = None if proba is None else np.asarray(proba, dtype=float)
    if prob is None and metric in _PROBABILITY_METRICS:
        return None
    t_text = np.asarray(y_true).astype(str)
    p_text = t_text if y_pred is None else np.asarray(y_pred).astype(str)
    labels = [str(c) for c in classes] if classes is not None else sorted(set(t_text) | set(p_text))
    labels += sorted((set(t_text) | set(p_text)) - set(labels))
    codes = {label: k for k, label in enumerate(labels)}
    t = np.array([codes[v] for v in t_text], dtype=int)
    p = np.array([codes[v] for v in p_text], dtype=int)
    return lambda w: _classification_scores(metric, t, p, prob, len(labels), w)


def _regression_scores(metric: str, t: np.ndarray, p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``metric`` under each row of weights ``w`` (n_boot, n)."""
    total = w.sum(1)
    err = p - t
    if metric == "mae":
        return w @ np.abs(err) / total
    if metric in ("mse", "rmse"):
        mse = w @ err ** 2 / total
        return mse if metric == "mse" else np.sqrt(mse)
    if metric == "mape":
        return w @ (np.abs(err) / np.maximum(np.abs(t), np.finfo(float).eps)) / total
    mean = w @ t / total
    spread = w @ t ** 2 - total * mean ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread > 1e-12 * (w @ t ** 2 + 1), 1 - (w @ err ** 2) / spread, np.nan)


def _classification_scores(metric: str, t, p, proba, k: int, w: np.ndarray) -> np.ndarray:
    """``metric`` under each row of weights ``w`` (n_boot, n); NaN where it is undefined."""
    total = w.sum(1)
    if metric == "accuracy":
        return w @ (t == p) / total
    if metric == "log_loss":
        return w @ -np.log(np.clip(proba[np.arange(len(t)), t], 1e-15, 1)) / total
    if metric in ("roc_auc", "roc_auc_ovr", "pr_auc", "pr_auc_ovr"):
        curve = _weighted_auc if metric.startswith("roc") else _weighted_average_precision
        if proba.shape[1] == 2:
            return curve(t == 1, proba[:, 1], w)
        return np.mean([curve(t == j, proba[:, j], w) for j in range(proba.shape[1])], axis=0)
    matrix = (w @ np.eye(k * k)[t * k + p]).reshape(-1, k, k)  # one confusion matrix per resample
    support, predicted, hits = matrix.sum(2), matrix.sum(1), np.diagonal(matrix, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(support > 0, hits / support, 0.0)
        precision = np.where(predicted > 0, hits / predicted, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
        if metric == "balanced_accuracy":
            return (recall * (support > 0)).sum(1) / (support > 0).sum(1)
        if metric == "mcc":
            denominator = np.sqrt((total ** 2 - (predicted ** 2).sum(1)) * (total ** 2 - (support ** 2).sum(1)))
            # 0 when one side is constant (e.g. a baseline predicting one class), as scikit-learn defines it
            return np.where(denominator > 0, (hits.sum(1) * total - (predicted * support).sum(1)) / denominator,
                            0.0)
    name, average = metric.rsplit("_", 1)
    values = {"f1": f1, "precision": precision, "recall": recall}[name]
    if average == "macro":
        used = (support > 0) | (predicted > 0)
        return (values * used).sum(1) / used.sum(1)
    return (values * support).sum(1) / total


def _score_groups(score: np.ndarray, descending: bool) -> tuple[np.ndarray, np.ndarray]:
    """Row order by score and the start of each run of equal scores in that order."""
    order = np.argsort(-score if descending else score, kind="mergesort")
    starts = np.r_[0, np.flatnonzero(np.diff(score[order])) + 1]
    return order, starts


def _weighted_auc(positive: np.ndarray, score: np.ndarray, w: np.ndarray) -> np.ndarray:
    """ROC-AUC (Mann-Whitney, ties count half) under each row of weights."""
    order, starts = _score_groups(score, descending=False)
    pos = np.add.reduceat((w * positive)[:, order], starts, axis=1)
    neg = np.add.reduceat((w * ~positive)[:, order], starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg  # negatives scored lower than each group
    n_pos, n_neg = pos.sum(1), neg.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), (pos * (below + neg / 2)).sum(1) / (n_pos * n_neg), np.nan)


def _weighted_average_precision(positive: np.ndarray, score: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Average precision (as scikit-learn computes it) under each row of weights."""
    order, starts = _score_groups(score, descending=True)
    tps = np.cumsum(np.add.reduceat((w * positive)[:, order], starts, axis=1), axis=1)
    seen = np.cumsum(np.add.reduceat(w[:, order], starts, axis=1), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(seen > 0, tps / seen, 0.0)
        recall = tps / tps[:, -1:]
        gained = np.diff(np.c_[np.zeros(len(w)), recall], axis=1)
        return np.where(tps[:, -1] > 0, (gained * precision).sum(1), np.nan)


# -- decision threshold -----------------------------------------------------------------------------

def threshold_table(y_true, proba_positive, positive_label) -> pd.DataFrame:
    """Precision, recall, F1 and accuracy of "positive when probability >= t" for t = 0.01 .. 0.99.

    Precision is NaN at thresholds that flag no row (it is undefined there, not 0).
    """
    positive = np.asarray(y_true).astype(str) == str(positive_label)
    score = np.asarray(proba_positive, dtype=float)
    thresholds = np.round(np.arange(1, 100) / 100, 2)
    flagged = score[None, :] >= thresholds[:, None]
    tp = (flagged & positive).sum(1)
    fp = (flagged & ~positive).sum(1)
    fn = positive.sum() - tp
    tn = len(positive) - tp - fp - fn
    precision = np.divide(tp, tp + fp, out=np.full(len(tp), np.nan), where=(tp + fp) > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros(len(tp)), where=(tp + fn) > 0)
    both = np.nan_to_num(precision) + recall
    f1 = np.divide(2 * np.nan_to_num(precision) * recall, both, out=np.zeros(len(tp)), where=both > 0)
    return pd.DataFrame({"threshold": thresholds, "precision": precision, "recall": recall, "f1": f1,
                         "accuracy": (tp + tn) / max(len(positive), 1), "flagged": tp + fp})
