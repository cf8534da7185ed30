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
    assert out == pytest.approx({"rmse": 2.0, "mae": 1.0, "mse": 4.0, "r2": -2.2, "mape": 0.25})


def test_perfect_regression():
    assert compute_metrics("regression", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == {
        "rmse": 0.0, "mae": 0.0, "mse": 0.0, "r2": 1.0, "mape": 0.0,
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
    assert metrics_for_task("regression") == ["rmse", "mae", "r2", "mse", "mape"]
    assert metrics_for_task("classification") == [
        "accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "precision_macro", "precision_weighted",
        "recall_macro", "recall_weighted", "mcc", "roc_auc", "roc_auc_ovr", "pr_auc", "pr_auc_ovr", "log_loss",
    ]
    assert [m for m, spec in METRICS.items() if not spec.greater_is_better] == [
        "log_loss", "rmse", "mae", "mse", "mape"]
    assert [m for m, spec in METRICS.items() if spec.binary_only] == ["roc_auc", "pr_auc"]


# -- the new metrics, per-class report, bootstrap intervals, threshold table -------------------------

from engine.evaluate.metrics import metric_interval, per_class_report, threshold_table  # noqa: E402


def test_perfect_binary_classifier():
    y = ["n", "n", "n", "y", "y", "y"]
    proba = [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.3, 0.7], [0.2, 0.8], [0.1, 0.9]]
    out = compute_metrics("classification", y, y, proba=proba, classes=["n", "y"])
    assert out["roc_auc"] == 1.0 and out["pr_auc"] == 1.0 and out["mcc"] == 1.0
    assert out["f1_weighted"] == out["precision_weighted"] == out["recall_weighted"] == 1.0


def test_mcc_and_weighted_scores_by_hand():
    # a: 3 rows, 2 right; b: 1 row, right; predicted a twice, b twice
    out = compute_metrics("classification", ["a", "a", "a", "b"], ["a", "a", "b", "b"])
    # precision a 1, b 1/2; recall a 2/3, b 1; weights 3/4, 1/4
    assert out["precision_weighted"] == pytest.approx(0.75 * 1 + 0.25 * 0.5)
    assert out["recall_weighted"] == pytest.approx(0.75)
    # tp=1 (b), tn=2, fp=1, fn=0: (1*2 - 1*0) / sqrt(2*1*3*2)
    assert out["mcc"] == pytest.approx(2 / math.sqrt(12))


def test_multiclass_pr_auc_is_the_mean_of_one_vs_rest():
    proba = [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.6, 0.3], [0.1, 0.1, 0.8]]
    out = compute_metrics("classification", [0, 1, 2, 2], [0, 1, 1, 2], proba=proba, classes=[0, 1, 2])
    # class 1: scores 0.8 (pos), 0.6 (neg) -> AP 1; classes 0 and 2 rank their rows first -> AP 1
    assert out["pr_auc_ovr"] == pytest.approx(1.0)
    assert "pr_auc" not in out


def test_mape_is_a_fraction():
    out = compute_metrics("regression", [100.0, 200.0], [110.0, 180.0])
    assert out["mape"] == pytest.approx((0.1 + 0.1) / 2)


def test_every_metric_has_a_working_scorer():
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.metrics import get_scorer

    X, y = make_classification(60, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    three = LogisticRegression(max_iter=500).fit(X, y)
    two = LogisticRegression(max_iter=500).fit(X, y == 0)
    line = LinearRegression().fit(X, X[:, 0] + 2.0)
    for name, spec in METRICS.items():
        model, target = ((line, X[:, 0] + 2.0) if spec.task == "regression"
                         else (two, y == 0) if spec.binary_only else (three, y))
        assert np.isfinite(get_scorer(spec.scorer)(model, X, target)), name


def test_per_class_report():
    table = per_class_report(["a", "a", "a", "b"], ["a", "a", "b", "b"], ["a", "b", "c"])
    assert table["class"].tolist() == ["a", "b", "c"]
    assert table["precision"].tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert table["recall"].tolist() == pytest.approx([2 / 3, 1.0, 0.0])
    assert table["support"].tolist() == [3, 1, 0]


@pytest.fixture
def noisy_binary():
    rng = np.random.default_rng(1)
    y = rng.choice(["n", "y"], 5000)
    p = np.clip((y == "y") * 0.3 + rng.random(5000) * 0.7, 0, 1)
    return y, np.where(p >= 0.5, "y", "n"), np.c_[1 - p, p]


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "precision_macro",
                                    "recall_weighted", "mcc", "roc_auc", "pr_auc", "log_loss"])
def test_interval_brackets_the_score(noisy_binary, metric):
    # How fast it is belongs to a benchmark, not here: a timed assertion fails on a busy machine, not on a bug.
    y, pred, proba = noisy_binary
    value = compute_metrics("classification", y, pred, proba, ["n", "y"])[metric]
    low, high = metric_interval(metric, y, pred, proba, ["n", "y"])
    assert low < value < high and high - low < 0.1


def test_interval_of_multiclass_auc_and_of_regression():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 3000)
    proba = rng.dirichlet([1, 1, 1], 3000)
    proba[np.arange(3000), y] += 0.2
    proba /= proba.sum(1, keepdims=True)
    pred = proba.argmax(1)
    value = compute_metrics("classification", y, pred, proba, [0, 1, 2])["roc_auc_ovr"]
    low, high = metric_interval("roc_auc_ovr", y, pred, proba, [0, 1, 2])
    assert low < value < high
    t = rng.normal(size=500)
    low, high = metric_interval("r2", t, t + rng.normal(scale=0.5, size=500))
    assert 0.6 < low < high < 0.9


def test_interval_is_nan_when_it_cannot_be_computed():
    assert all(math.isnan(v) for v in metric_interval("roc_auc", ["a", "a"], ["a", "a"], [[0.9, 0.1]] * 2,
                                                      ["a", "b"]))
    assert all(math.isnan(v) for v in metric_interval("log_loss", ["a", "b"], ["a", "b"]))
    assert metric_interval("accuracy", ["a", "b", "a"], ["a", "b", "a"], seed=3) == (1.0, 1.0)


def test_threshold_table():
    y = ["n", "n", "y", "y", "y"]
    table = threshold_table(y, [0.1, 0.6, 0.4, 0.8, 0.95], "y")
    assert table["threshold"].iloc[0] == 0.01 and table["threshold"].iloc[-1] == 0.99 and len(table) == 99
    assert (table["recall"].diff().dropna() <= 0).all()  # recall never rises with the threshold
    at_half = table.set_index("threshold").loc[0.5]
    # flagged 0.6, 0.8, 0.95: tp 2, fp 1, fn 1
    assert (at_half["precision"], at_half["recall"], at_half["accuracy"]) == pytest.approx((2 / 3, 2 / 3, 0.6))
    none_flagged = table.set_index("threshold").loc[0.99]
    assert none_flagged["flagged"] == 0 and math.isnan(none_flagged["precision"]) and none_flagged["f1"] == 0
