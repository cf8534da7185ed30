"""Metrics computed on hand-built arrays, checked against values worked out by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from engine import METRICS, compute_metrics, metrics_for_task


def test_regression_metrics():
    out = compute_metrics("regression", [1, 2, 3, 4], [1, 2, 3, 8])
    # errors 0, 0, 0, 4: mae 1, mse 16/4 = 4, rmse 2; r2 = 1 - 16 / 5 = -2.2
    assert out == pytest.approx({"rmse": 2.0, "mae": 1.0, "mse": 4.0, "r2": -2.2})


def test_perfect_regression():
    assert compute_metrics("regression", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == {
        "rmse": 0.0, "mae": 0.0, "mse": 0.0, "r2": 1.0,
    }


def test_r2_of_a_single_row_is_nan_not_an_error():
    out = compute_metrics("regression", [1.0], [2.0])
    assert out["mae"] == 1.0
    assert math.isnan(out["r2"])


def test_binary_classification_metrics():
    out = compute_metrics(
        "classification", ["a", "a", "b", "b"], ["a", "b", "b", "b"],
        proba=[[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]], classes=["a", "b"],
    )
    # a: precision 1, recall 1/2; b: precision 2/3, recall 1
    assert out["accuracy"] == 0.75
    assert out["balanced_accuracy"] == 0.75
    assert out["precision_macro"] == pytest.approx((1 + 2 / 3) / 2)
    assert out["recall_macro"] == 0.75
    assert out["f1_macro"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert out["roc_auc"] == 1.0  # every b scores above every a
    assert out["log_loss"] == pytest.approx(-(math.log(0.9) + math.log(0.4) + math.log(0.8) + math.log(0.7)) / 4)


def test_multiclass_gets_one_vs_rest_auc():
    proba = [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.6, 0.3], [0.1, 0.1, 0.8]]
    out = compute_metrics("classification", [0, 1, 2, 2], [0, 1, 1, 2], proba=proba, classes=[0, 1, 2])
    assert out["accuracy"] == 0.75
    assert out["balanced_accuracy"] == pytest.approx((1 + 1 + 0.5) / 3)
    assert "roc_auc" not in out
    assert out["roc_auc_ovr"] == pytest.approx(1.0)


def test_labels_compare_as_text():
    out = compute_metrics("classification", [1, 0, 1], ["1", "0", "0"])
    assert out["accuracy"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("y_true", "y_pred"),
    [
        pytest.param(["a", "a"], ["a", "a"], id="one-class-everywhere"),
        pytest.param(["a", "a", "b"], ["a", "c", "b"], id="predicted-class-absent-from-truth"),
    ],
)
def test_small_splits_do_not_warn(y_true, y_pred):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = compute_metrics("classification", y_true, y_pred)
    assert 0 <= out["balanced_accuracy"] <= 1


def test_balanced_accuracy_averages_recall_over_true_classes():
    out = compute_metrics("classification", ["a", "a", "b"], ["a", "c", "b"])
    assert out["balanced_accuracy"] == 0.75  # recall a = 1/2, recall b = 1


def test_probability_metrics_need_two_true_classes():
    out = compute_metrics("classification", ["a", "a"], ["a", "a"], proba=[[0.9, 0.1], [0.8, 0.2]], classes=["a", "b"])
    assert "log_loss" not in out and "roc_auc" not in out


def test_ovr_auc_is_left_out_when_a_class_is_absent():
    out = compute_metrics("classification", ["a", "b"], ["a", "b"],
                          proba=np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]]), classes=["a", "b", "c"])
    assert "roc_auc_ovr" not in out
    assert out["log_loss"] == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)


def test_metrics_per_task():
    assert metrics_for_task("regression") == ["rmse", "mae", "r2"]
    assert metrics_for_task("classification") == [
        "accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "roc_auc_ovr", "log_loss",
    ]
    assert [m for m, spec in METRICS.items() if not spec.greater_is_better] == ["log_loss", "rmse", "mae"]
    assert [m for m, spec in METRICS.items() if spec.binary_only] == ["roc_auc"]
