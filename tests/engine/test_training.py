"""Training: settings validation, targets, candidates on small data, time budgets and progress callbacks."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from engine import (
    DEFAULT_RECIPE,
    Candidate,
    Problem,
    RecipeError,
    TimeBudgetExceeded,
    TrainingError,
    best_candidate,
    infer_schema,
    load_sample,
    prepare_target,
    refit,
    split_rows,
    train_candidates,
    validate_settings,
)
from engine.train.training import call_before


@pytest.fixture(autouse=True)
def _one_thread():
    """Numeric libraries on one thread: faster and steadier on a small, shared machine."""
    with threadpool_limits(1):
        yield


@pytest.fixture
def frame() -> pd.DataFrame:
    """30 rows where 'visits' separates the classes and 'colour' is noise."""
    return pd.DataFrame({
        "visits": [1, 2, 3, 4, 1, 2, 3, 4, 2, 3, 1, 4, 2, 3, 1, 9, 10, 11, 12, 9, 10, 11, 12, 10, 11, 9, 12, 10, 11, 9],
        "colour": ["red", "green", "blue"] * 10,
        "churned": ["yes"] * 15 + ["no"] * 15,
    })


def _train(frame, problem, settings, recipe=DEFAULT_RECIPE, **kwargs):
    schema = infer_schema(frame)
    rows, y = prepare_target(frame, problem)
    split = split_rows(y, problem.task, recipe["split"])
    return train_candidates(frame, schema, problem, recipe, settings, split, **kwargs)


# -- settings ----------------------------------------------------------------------------------
def test_default_settings_train_every_family_with_the_baseline_first():
    assert validate_settings(None, "classification") == {
        "models": ["baseline", "linear", "random_forest", "gradient_boosting"],
        "cv_folds": 5, "seed": 42, "time_budget": None, "search": "none", "n_trials": 20, "pruner": "median",
        "patience": None, "automl": False, "ensemble": False, "losses": {},
    }


def test_baseline_is_always_added_in_catalog_order():
    assert validate_settings({"models": ["gradient_boosting", "linear"]}, "regression")["models"] == [
        "baseline", "linear", "gradient_boosting",
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"epochs": 3}, "Unknown training settings ['epochs']; known ones are ['automl', 'cv_folds', "
                     "'ensemble', 'losses', 'models', 'n_trials', 'patience', 'pruner', 'search', 'seed', "
                     "'time_budget'].",
                     id="unknown-key"),
        pytest.param({"models": ["lasso"]}, "Models ['lasso'] cannot do classification; choose from ['baseline', "
                     "'linear', 'ridge', 'decision_tree', 'random_forest', 'extra_trees', 'gradient_boosting', "
                     "'svm', 'linear_svm', 'knn', 'naive_bayes', 'mlp'].", id="unknown-model"),
        pytest.param({"search": "bayes"}, "The 'search' setting must be one of ['none', 'grid', 'random', 'tpe']. "
                     "Got 'bayes' instead.", id="bad-search"),
        pytest.param({"n_trials": 0}, "The 'n_trials' setting must be an int in [1, 10000]. Got 0 instead.",
                     id="no-trials"),
        pytest.param({"automl": "yes"}, "The 'automl' setting must be true or false. Got 'yes' instead.",
                     id="automl-not-bool"),
        pytest.param({"cv_folds": 1}, "The 'cv_folds' parameter of train must be 0 (off) or an int in [2, 20]. "
                     "Got 1 instead.", id="one-fold"),
        pytest.param({"cv_folds": 21}, "The 'cv_folds' parameter of train must be 0 (off) or an int in [2, 20]. "
                     "Got 21 instead.", id="too-many-folds"),
        pytest.param({"seed": -3}, "The 'seed' parameter of train must be a non-negative int. Got -3 instead.",
                     id="negative-seed"),
        pytest.param({"seed": True}, "The 'seed' parameter of train must be a non-negative int. Got True instead.",
                     id="bool-seed"),
        pytest.param({"time_budget": 0}, "The 'time_budget' of train must be a positive number of seconds. "
                     "Got 0 instead.", id="zero-budget"),
        pytest.param({"time_budget": "60"}, "The 'time_budget' of train must be a positive number of seconds. "
                     "Got '60' instead.", id="text-budget"),
    ],
)
def test_invalid_settings_raise_recipe_error(settings, message):
    with pytest.raises(RecipeError) as caught:
        validate_settings(settings, "classification")
    assert str(caught.value) == message


# -- targets -----------------------------------------------------------------------------------
def test_prepare_target_drops_rows_without_a_target():
    frame = pd.DataFrame({"x": [1, 2, 3, 4], "y": ["a", None, "b", np.nan]})
    rows, y = prepare_target(frame, Problem("y", "classification", "accuracy"))
    assert rows["x"].tolist() == [1, 3]
    assert rows.index.tolist() == [0, 1]
    assert y.tolist() == ["a", "b"]


def test_prepare_target_makes_regression_targets_float():
    frame = pd.DataFrame({"y": ["1.5", "2", None]})
    rows, y = prepare_target(frame, Problem("y", "regression", "rmse"))
    assert y.dtype == float and y.tolist() == [1.5, 2.0]


def test_prepare_target_keeps_numeric_classes():
    _, y = prepare_target(pd.DataFrame({"y": [0, 1, 1]}), Problem("y", "classification", "accuracy"))
    assert y.tolist() == [0, 1, 1]


# -- choosing ----------------------------------------------------------------------------------
def _candidate(model, score, metric="accuracy", status="ok"):
    return Candidate(model, status, None, [], {metric: score} if status == "ok" else {}, None, 0.1)


def test_best_candidate_maximises_or_minimises_by_metric():
    accs = [_candidate("baseline", 0.5), _candidate("linear", 0.9), _candidate("random_forest", 0.8)]
    assert best_candidate(accs, "accuracy").model == "linear"
    errors = [_candidate("baseline", 9.0, "rmse"), _candidate("linear", 4.0, "rmse"), _candidate("x", 6.0, "rmse")]
    assert best_candidate(errors, "rmse").model == "linear"


def test_best_candidate_takes_a_model_that_learned_over_the_baseline_it_ties_with():
    # regression: the first of equal scores won, the baseline, while Evaluate proposed the learned model
    tied = [_candidate("baseline", 0.5), _candidate("linear", 0.5)]
    assert best_candidate(tied, "accuracy").model == "linear"
    folds = [c._replace(cv_scores=[0.4, 0.6]) for c in tied]
    assert best_candidate(folds, "accuracy").model == "linear"
    errors = [_candidate("baseline", 2.0, "rmse"), _candidate("knn", 2.0, "rmse"), _candidate("linear", 2.0, "rmse")]
    assert best_candidate(errors, "rmse").model == "knn"  # among learned models, the first of equal scores


def test_best_candidate_ignores_failures_and_needs_one_score():
    assert best_candidate([_candidate("linear", 0, status="failed"), _candidate("b", 0.2)], "accuracy").model == "b"
    with pytest.raises(TrainingError, match="No trained model has a validation 'accuracy' score."):
        best_candidate([_candidate("linear", 0, status="failed")], "accuracy")


# -- time budget -------------------------------------------------------------------------------
def test_call_before_without_deadline_just_runs():
    assert call_before(None, lambda: 42) == 42


def test_call_before_past_the_deadline_does_not_start():
    with pytest.raises(TimeBudgetExceeded, match="ran out before this model could start"):
        call_before(time.monotonic() - 1, lambda: 42)


def test_call_before_gives_up_on_slow_work_at_the_deadline():
    started = time.monotonic()
    with pytest.raises(TimeBudgetExceeded, match="ran out while this model was training"):
        call_before(started + 0.2, lambda: time.sleep(3))
    assert time.monotonic() - started < 1.5


def test_call_before_hands_errors_back():
    with pytest.raises(ZeroDivisionError):
        call_before(time.monotonic() + 5, lambda: 1 / 0)


def test_time_budget_exceeded_is_a_training_error():
    assert issubclass(TimeBudgetExceeded, TrainingError)


def test_an_exhausted_budget_skips_every_model_and_says_why(frame):
    problem = Problem("churned", "classification", "accuracy")
    with pytest.raises(TrainingError, match=r"No model could be trained \(baseline: the time budget ran out"):
        _train(frame, problem, {"models": ["linear"], "time_budget": 1e-9})


def test_a_progress_callback_that_raises_stops_training(frame):
    class Stop(Exception):
        pass

    def progress(fraction, message):
        raise Stop(message)

    with pytest.raises(Stop, match=r"Training Baseline \(majority class / mean\) \(1 of 2\)"):
        _train(frame, Problem("churned", "classification", "accuracy"), {"models": ["linear"]}, progress=progress)


# -- real training on small data ---------------------------------------------------------------
@pytest.mark.slow
def test_candidates_on_thirty_rows(frame):
    seen, messages = [], []
    problem = Problem("churned", "classification", "accuracy")
    candidates = _train(frame, problem, {"models": ["linear"], "cv_folds": 2},
                        progress=lambda f, m: messages.append((f, m)), on_candidate=seen.append)
    assert [c.model for c in candidates] == ["baseline", "linear"] == [c.model for c in seen]
    baseline, linear = candidates
    assert baseline.valid_metrics["accuracy"] == pytest.approx(0.5, abs=0.25)
    assert linear.valid_metrics["accuracy"] == 1.0
    assert len(linear.cv_scores) == 2 and min(linear.cv_scores) >= 0.9
    assert list(linear.valid_predictions.columns) == ["y_true", "y_pred", "proba_no", "proba_yes"]
    assert len(linear.valid_predictions) == 4
    assert messages[0] == (0.0, "Training Baseline (majority class / mean) (1 of 2)")
    assert messages[-1] == (1.0, "Training finished")
    assert best_candidate(candidates, "accuracy").model == "linear"


@pytest.mark.slow
def test_refit_returns_a_fresh_fitted_copy(frame):
    problem = Problem("churned", "classification", "accuracy")
    linear = _train(frame, problem, {"models": ["linear"], "cv_folds": 0})[1]
    rows, y = prepare_target(frame, problem)
    refitted = refit(linear.pipeline, rows[["visits", "colour"]], y, None)
    assert refitted is not linear.pipeline
    assert (refitted.predict(rows) == y).mean() == 1.0


@pytest.mark.slow
def test_iris_reaches_a_known_accuracy_band():
    iris = load_sample("iris")
    problem = Problem("species", "classification", "accuracy")
    linear = _train(iris, problem, {"models": ["linear"], "cv_folds": 0})[1]
    assert linear.status == "ok"
    assert 0.85 <= linear.valid_metrics["accuracy"] <= 1.0
    assert linear.valid_metrics["roc_auc_ovr"] >= 0.95


@pytest.mark.slow
def test_breast_cancer_reaches_a_known_auc_band():
    data = load_sample("breast_cancer")
    problem = Problem("diagnosis", "classification", "roc_auc")
    baseline, linear = _train(data, problem, {"models": ["linear"], "cv_folds": 0})
    assert baseline.valid_metrics["roc_auc"] == 0.5
    assert linear.valid_metrics["roc_auc"] >= 0.97
    assert linear.valid_metrics["accuracy"] >= 0.93


@pytest.mark.slow
def test_regression_beats_the_mean():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 30)
    frame = pd.DataFrame({"x": x, "y": 3 * x + rng.normal(0, 0.5, 30)})
    baseline, linear = _train(frame, Problem("y", "regression", "rmse"), {"models": ["linear"], "cv_folds": 2})
    assert linear.valid_metrics["rmse"] < 0.3 * baseline.valid_metrics["rmse"]
    assert linear.valid_metrics["r2"] > 0.9
    assert all(score > 0 for score in linear.cv_scores)  # RMSE reported as a positive error


def test_infinite_values_count_as_missing_in_training_and_scoring(frame):
    """A numeric column holding ±inf trains and scores (the cast step reads ±inf as missing) instead of failing."""
    frame = frame.assign(visits=frame["visits"].astype(float))
    frame.loc[[0, 16], "visits"] = [np.inf, -np.inf]
    problem = Problem("churned", "classification", "accuracy")
    linear = _train(frame, problem, {"models": ["linear"], "cv_folds": 2})[1]
    assert linear.status == "ok" and linear.valid_metrics["accuracy"] == 1.0
    scored = pd.DataFrame({"visits": [np.inf, -np.inf, np.nan, 2.0], "colour": ["red"] * 4})
    probabilities = linear.pipeline.predict_proba(scored)
    np.testing.assert_allclose(probabilities[0], probabilities[2])  # inf scores as a missing value does
    np.testing.assert_allclose(probabilities[1], probabilities[2])
    assert list(linear.pipeline.predict(scored))[3] == "yes"
