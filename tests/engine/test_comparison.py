"""Two models on the same rows: paired bootstrap intervals of B - A and their verdicts, on hand-built predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.evaluate.comparison import Predictions, compare_predictions, difference_sentence, paired_difference, verdict

Y = ["no", "yes"] * 20  # 40 rows, 20 of each class


def _mostly_right(wrong: int) -> list[str]:
    """Y with its first ``wrong`` rows flipped."""
    flip = {"no": "yes", "yes": "no"}
    return [flip[v] if i < wrong else v for i, v in enumerate(Y)]


def test_b_clearly_better_on_accuracy():
    a, b = Predictions(_mostly_right(16)), Predictions(_mostly_right(2))  # accuracy 0.6 vs 0.95
    d = paired_difference("accuracy", Y, a, b, n_boot=300)
    assert (d.a, d.b, d.difference) == pytest.approx((0.6, 0.95, 0.35))
    assert 0 < d.low < 0.35 < d.high <= 0.6
    assert verdict(d.low, d.high, greater_is_better=True) == "B better"
    swapped = paired_difference("accuracy", Y, b, a, n_boot=300)
    assert verdict(swapped.low, swapped.high, True) == "A better"


def test_identical_models_are_not_clearly_different():
    proba = np.linspace(0.05, 0.95, 40)[:, None] * [-1, 1] + [1, 0]
    same = Predictions(_mostly_right(10), proba, ["no", "yes"])
    for metric in ("accuracy", "roc_auc", "log_loss", "mcc"):
        d = paired_difference(metric, Y, same, same)
        assert (d.difference, d.low, d.high) == (0.0, 0.0, 0.0), metric
        assert verdict(d.low, d.high, True) == "not clearly different"


def test_one_different_row_of_forty_is_not_enough():
    d = paired_difference("accuracy", Y, Predictions(_mostly_right(5)), Predictions(_mostly_right(4)))
    assert d.difference == pytest.approx(0.025)
    assert d.low == 0.0 and d.high > 0  # the interval holds 0
    assert verdict(d.low, d.high, True) == "not clearly different"


def test_lower_is_better_metrics_flip_the_verdict():
    y = np.arange(30, dtype=float)
    a, b = Predictions(y + 3.0), Predictions(y + np.tile([0.5, -0.5], 15))  # rmse 3 vs 0.5
    d = paired_difference("rmse", y, a, b)
    assert d.difference == pytest.approx(-2.5)
    assert d.high < 0
    assert verdict(d.low, d.high, greater_is_better=False) == "B better"


def test_seeded_and_deterministic():
    a, b = Predictions(_mostly_right(12)), Predictions(_mostly_right(6))
    assert paired_difference("f1_macro", Y, a, b, seed=3) == paired_difference("f1_macro", Y, a, b, seed=3)
    assert paired_difference("f1_macro", Y, a, b, seed=3) != paired_difference("f1_macro", Y, a, b, seed=4)


def test_a_metric_that_cannot_be_computed_gives_nan_and_no_verdict():
    d = paired_difference("roc_auc", Y, Predictions(Y), Predictions(Y))  # no probabilities
    assert all(math.isnan(v) for v in d)
    assert verdict(d.low, d.high, True) == "not clearly different"


@pytest.mark.parametrize(("low", "high", "greater", "expected"), [
    (0.01, 0.02, True, "B better"), (0.01, 0.02, False, "A better"),
    (-0.02, -0.01, True, "A better"), (-0.02, -0.01, False, "B better"),
    (-0.01, 0.01, True, "not clearly different"), (0.0, 0.01, True, "not clearly different"),
    (math.nan, math.nan, True, "not clearly different"),
], ids=["b-higher", "b-lower-error", "a-higher", "a-lower-error", "holds-zero", "touches-zero", "unknown"])
def test_verdict(low, high, greater, expected):
    assert verdict(low, high, greater) == expected


def test_compare_predictions_puts_the_metric_first_and_keeps_shared_metrics():
    proba = np.tile([[0.8, 0.2], [0.3, 0.7]], (20, 1))
    a = Predictions(_mostly_right(16))  # no probabilities: no ROC-AUC, PR-AUC or log loss for the pair
    b = Predictions(Y, proba, ["no", "yes"])
    table = compare_predictions("classification", "mcc", Y, a, b, n_boot=100)
    assert table["metric"].tolist() == ["mcc", "accuracy", "balanced_accuracy", "f1_macro", "f1_weighted",
                                        "precision_macro", "precision_weighted", "recall_macro", "recall_weighted"]
    row = table.set_index("metric").loc["accuracy"]
    assert (row["a"], row["b"], row["difference"], row["verdict"]) == pytest.approx((0.6, 1.0, 0.4, "B better"))
    assert (table["low"] <= table["difference"] + 1e-12).all() and (table["difference"] <= table["high"]).all()


def test_difference_sentences():
    better = {"label": "ROC-AUC", "difference": 0.0123, "low": 0.004, "high": 0.0201, "verdict": "B better"}
    assert difference_sentence(better) == ("On validation ROC-AUC, B is better by 0.0123 "
                                           "(95% interval of B − A: 0.0040 to 0.0201).")
    lower = {"label": "RMSE", "difference": 2500.0, "low": 1000.0, "high": 4000.0, "verdict": "A better"}
    assert difference_sentence(lower) == ("On validation RMSE, A is better by 2,500.00 "
                                          "(95% interval of B − A: 1,000.00 to 4,000.00).")
    tie = {"label": "Accuracy", "difference": 0.025, "low": 0.0, "high": 0.075, "verdict": "not clearly different"}
    assert difference_sentence(tie) == ("On validation Accuracy, A and B are not clearly different: B − A is "
                                        "0.0250 (95% interval of B − A: 0.0000 to 0.0750, which holds 0).")
    same = {**tie, "difference": 0.0, "low": 0.0, "high": 0.0}
    assert difference_sentence(same) == ("On validation Accuracy, A and B score the same on the validation rows "
                                         "and every resample.")
    unknown = {**tie, "low": math.nan, "high": math.nan}
    assert difference_sentence(unknown) == ("On validation Accuracy, A and B cannot be told apart (no interval "
                                            "could be computed).")


def test_mcc_of_a_one_class_baseline_counts_as_zero_as_in_scikit_learn():
    baseline, good = Predictions(["no"] * 40), Predictions(_mostly_right(2))
    d = paired_difference("mcc", Y, baseline, good)
    assert (d.a, d.b) == pytest.approx((0.0, 0.9))  # 38 of 40 right, balanced: MCC 0.9
    assert d.low > 0 and verdict(d.low, d.high, True) == "B better"
