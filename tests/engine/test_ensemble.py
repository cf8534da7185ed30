"""Greedy ensemble selection and its one-metric scores, on hand-made prediction arrays with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import get_scorer

from engine.evaluate.metrics import METRICS, metrics_for_task
from engine.train.ensemble import blend, fold_scores, greedy_selection, prediction_score

Y = np.array([0.0, 1.0, 2.0, 3.0])


def test_greedy_selection_finds_the_two_to_one_blend():
    """a overshoots by 1, b undershoots by 2: two parts a to one part b is exact, and greedy finds it in 3 rounds."""
    selection = greedy_selection([Y + 1, Y - 2], Y, "rmse")
    assert selection.counts.tolist() == [2, 1]
    assert selection.scores[:3] == pytest.approx([1.0, 0.5, 0.0])
    assert blend([Y + 1, Y - 2], selection.counts).tolist() == Y.tolist()


def test_greedy_selection_keeps_the_best_round_not_the_last():
    """After round 2 (low + high = exact) every round makes it worse; the counts are round 2's. A model far off is
    never picked."""
    selection = greedy_selection([Y - 1, Y + 1, Y + 3], Y, "rmse", rounds=10)
    assert selection.counts.tolist() == [1, 1, 0]
    assert len(selection.scores) == 10 and min(selection.scores) == selection.scores[1] == 0.0


def test_greedy_selection_blends_probabilities_on_log_loss():
    """Each model is confident and right on one class, unsure and wrong on the other: their mean beats both."""
    y = np.array([0, 1, 0, 1])
    right_on_0 = np.array([[0.9, 0.1], [0.6, 0.4]] * 2, dtype=np.float32)
    right_on_1 = np.array([[0.4, 0.6], [0.1, 0.9]] * 2, dtype=np.float32)
    selection = greedy_selection([right_on_0, right_on_1], y, "log_loss")
    assert selection.counts.tolist() == [1, 1]
    single = -(np.log(0.9) + np.log(0.4)) / 2
    assert selection.scores[:2] == pytest.approx([single, -np.log(0.65)], rel=1e-6)


def test_greedy_selection_of_one_model_is_that_model_and_roc_auc_is_maximised():
    y = np.array([0, 0, 1, 1])
    good = np.array([[0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.2, 0.8]])
    bad = good[::-1].copy()
    assert greedy_selection([bad, good], y, "roc_auc").counts.tolist() == [0, 1]
    assert greedy_selection([good], y, "roc_auc", rounds=3).counts.tolist() == [1]
    with pytest.raises(ValueError, match="at least one model"):
        greedy_selection([], y, "roc_auc")


def test_blend_is_the_weighted_mean_a_soft_vote_computes():
    a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    assert blend([a, b], [3, 1]).tolist() == [[0.75, 0.25]]
    assert blend([a, b], [0, 2]).tolist() == [[0.0, 1.0]]


def test_fold_scores_score_each_fold_and_skip_unpredicted_rows():
    y = np.array([1.0, 1.0, 2.0, 2.0, 9.0])
    prediction = np.array([2.0, 0.0, 2.0, 4.0, 0.0])
    assert fold_scores("mae", y, prediction, np.array([0, 0, 1, 1, -1])) == [1.0, 1.0]


def _classification():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    return X, rng.normal(size=60) + X["a"]


@pytest.mark.parametrize("metric", metrics_for_task("classification"))
@pytest.mark.parametrize("classes", [2, 3], ids=["binary", "multiclass"])
def test_prediction_score_matches_the_scikit_learn_scorer(metric, classes):
    """The trial and ensemble scores are those the metric's scikit-learn scorer gives the fitted model."""
    if METRICS[metric].binary_only and classes == 3:
        pytest.skip("binary-only metric")
    X, signal = _classification()
    labels = np.array(["low", "mid", "high"])[np.digitize(signal, np.quantile(signal, [0.4, 0.8]))[:60]]
    y = labels if classes == 3 else (signal > 0).astype(int)  # 0 / 1: the PR-AUC scorer's positive label is 1
    model = LogisticRegression().fit(X.iloc[:40], y[:40])
    sign = 1 if METRICS[metric].greater_is_better else -1
    expected = sign * get_scorer(METRICS[metric].scorer)(model, X.iloc[40:], y[40:])
    codes = np.searchsorted(model.classes_, y[40:])
    proba = model.predict_proba(X.iloc[40:]).astype(np.float32)
    assert prediction_score(metric, codes, proba) == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("metric", metrics_for_task("regression"))
def test_prediction_score_matches_the_scikit_learn_regression_scorer(metric):
    X, y = _classification()
    model = LinearRegression().fit(X.iloc[:40], y[:40])
    sign = 1 if METRICS[metric].greater_is_better else -1
    expected = sign * get_scorer(METRICS[metric].scorer)(model, X.iloc[40:], y[40:])
    assert prediction_score(metric, y[40:], model.predict(X.iloc[40:])) == pytest.approx(expected, rel=1e-6)
