"""Metrics: their definitions, scikit-learn scorer names and one function computing them all.

>>> compute_metrics("regression", [1.0, 2.0], [1.0, 3.0])["mae"]
0.5
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn import metrics as skm

__all__ = ["METRICS", "Metric", "compute_metrics", "metrics_for_task"]


class Metric(NamedTuple):
    label: str
    task: str
    greater_is_better: bool
    scorer: str  # scikit-learn scorer name used in cross-validation
    binary_only: bool = False


METRICS: dict[str, Metric] = {
    "accuracy": Metric("Accuracy", "classification", True, "accuracy"),
    "balanced_accuracy": Metric("Balanced accuracy", "classification", True, "balanced_accuracy"),
    "f1_macro": Metric("F1 (macro)", "classification", True, "f1_macro"),
    "roc_auc": Metric("ROC-AUC", "classification", True, "roc_auc", binary_only=True),
    "roc_auc_ovr": Metric("ROC-AUC (one-vs-rest)", "classification", True, "roc_auc_ovr"),
    "log_loss": Metric("Log loss", "classification", False, "neg_log_loss"),
    "rmse": Metric("RMSE", "regression", False, "neg_root_mean_squared_error"),
    "mae": Metric("MAE", "regression", False, "neg_mean_absolute_error"),
    "r2": Metric("R²", "regression", True, "r2"),
}


def metrics_for_task(task: str) -> list[str]:
    """Metric names that apply to ``task``."""
    return [name for name, m in METRICS.items() if m.task == task]


def compute_metrics(task: str, y_true, y_pred, proba=None, classes=None) -> dict[str, float]:
    """Every metric of ``task``; ``proba`` columns follow ``classes`` order."""
    if task == "regression":
        y_true = np.asarray(y_true, dtype=float)
        y_pred = np.asarray(y_pred, dtype=float)
        mse = skm.mean_squared_error(y_true, y_pred)
        return {
            "rmse": float(np.sqrt(mse)),
            "mae": float(skm.mean_absolute_error(y_true, y_pred)),
            "mse": float(mse),
            "r2": float(skm.r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan"),
        }
    y_true = np.asarray(y_true).astype(str)
    y_pred = np.asarray(y_pred).astype(str)
    out = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        # balanced accuracy is the mean recall over the classes present; this form does not warn on small splits
        "balanced_accuracy": float(
            skm.recall_score(y_true, y_pred, labels=np.unique(y_true), average="macro", zero_division=0)
        ),
        "f1_macro": float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "precision_macro": float(skm.precision_score(y_true, y_pred, average="macro", zero_division=0)),
        "recall_macro": float(skm.recall_score(y_true, y_pred, average="macro", zero_division=0)),
    }
    if proba is not None and classes is not None:
        out.update(_probability_metrics(y_true, np.asarray(proba, dtype=float), [str(c) for c in classes]))
    return out


def _probability_metrics(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict[str, float]:
    present = set(np.unique(y_true))
    if len(present) < 2:
        return {}
    out = {"log_loss": float(skm.log_loss(y_true, proba, labels=classes))}
    if len(classes) == 2:
        out["roc_auc"] = float(skm.roc_auc_score(y_true == classes[1], proba[:, 1]))
    elif present == set(classes):
        out["roc_auc_ovr"] = float(skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=classes))
    return out
