"""Edge cases of training, untuned and tuned: rare classes, infinite targets, every model failing, fits that run
out of time or memory. Each ends in a clear outcome and message, and the work finished before is kept."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from threadpoolctl import threadpool_limits

from engine import (
    MODELS,
    Problem,
    TargetError,
    TrainingError,
    infer_schema,
    prepare_target,
    split_rows,
    train_candidates,
    validate_problem,
    validate_recipe,
)
from engine.train.automl import tune_candidates
from engine.train.training import cv_note
from engine.train.tuning import open_storage

PROBLEM = Problem("y", "classification", "f1_macro")
RECIPE = validate_recipe({})
# With 30 rows and the default split (seed 42), positions 0-4 are training rows and 5 a validation row.
TRAIN_ROWS, VALID_ROW = (0, 1, 2, 3, 4), 5
SOLVER_ERROR = "ValueError: the solver found no solution on these rows"
OUT_OF_MEMORY = ("MemoryError: Unable to allocate 64.0 GiB for an array "
                 "(out of memory; use fewer rows or features, or a lighter model)")


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


def _frame(rare_at: tuple[int, ...] = ()) -> pd.DataFrame:
    """30 rows where x separates 'a' (small) from 'b' (large); rows ``rare_at`` are class 'rare' (x = 5)."""
    x = [i / 10 + 10 * (i % 2) for i in range(30)]
    y = ["a", "b"] * 15
    for i in rare_at:
        x[i], y[i] = 5.0, "rare"
    return pd.DataFrame({"x": x, "y": y})


def _split(frame: pd.DataFrame, problem: Problem = PROBLEM):
    rows, y = prepare_target(frame, problem)
    return split_rows(y, problem.task, RECIPE["split"], rows)


def _train(frame, settings, problem=PROBLEM, **kwargs):
    return train_candidates(frame, infer_schema(frame), problem, RECIPE, {"cv_folds": 0, **settings},
                            _split(frame, problem), **kwargs)


def _tune(frame, tmp_path, settings, problem=PROBLEM, **kwargs):
    frame.to_parquet(tmp_path / "data.parquet")
    storage = open_storage(f"sqlite:///{tmp_path / 'studies.db'}")
    full = {"cv_folds": 0, "search": "random", "n_trials": 3, "pruner": "none", **settings}
    candidates = tune_candidates(frame, infer_schema(frame), problem, RECIPE, full, _split(frame, problem),
                                 storage=storage, study_name="edge", data_path=str(tmp_path / "data.parquet"),
                                 **kwargs)
    return candidates, storage


def _outcomes(candidates) -> dict[str, tuple[str, str]]:
    return {c.model: (c.status, c.error) for c in candidates}


class Stub(ClassifierMixin, BaseEstimator):
    """Always predicts the first class; ``fit`` sleeps ``seconds``, then fails with ``error`` (value / memory)."""

    def __init__(self, error: str = "", seconds: float = 0.0):
        self.error = error
        self.seconds = seconds

    def fit(self, X, y):
        time.sleep(self.seconds)
        if self.error == "value":
            raise ValueError("the solver found no solution on these rows")
        if self.error == "memory":
            raise MemoryError("Unable to allocate 64.0 GiB for an array")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def predict_proba(self, X):
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, 0] = 1.0
        return proba


@pytest.fixture
def stub_family(monkeypatch):
    """``stub_family("linear", error="value")``: family 'linear' builds a Stub, in training and tuning alike."""

    def use(name: str, **stub) -> None:
        monkeypatch.setitem(MODELS, name, MODELS[name]._replace(build=lambda task, params, seed: Stub(**stub)))

    return use


# -- a rare class ------------------------------------------------------------------------------
@pytest.mark.parametrize("rare_at", [(0,), (0, 1), (VALID_ROW,)])
def test_the_split_used_here_puts_the_rare_rows_where_the_tests_say(rare_at):
    split = _split(_frame(rare_at))
    assert set(TRAIN_ROWS) <= set(split.train) and VALID_ROW in split.valid


@pytest.mark.slow
def test_a_class_with_two_training_rows_cross_validates_on_two_folds_and_says_so():
    frame = _frame(rare_at=(0, 1))
    assert validate_problem(frame, PROBLEM) == ["Classes with fewer than 3 rows (rare) make scores unstable."]
    baseline, linear = _train(frame, {"models": ["linear"], "cv_folds": 5})
    assert (linear.status, len(linear.cv_scores)) == ("ok", 2)
    y = prepare_target(frame, PROBLEM)[1]
    assert cv_note(y.iloc[_split(frame).train], "classification", RECIPE["split"], {"cv_folds": 5}) == (
        "Cross-validation uses 2 folds, not 5: class 'rare' has only 2 training rows.")


@pytest.mark.slow
@pytest.mark.parametrize("search", ["none", "random"])
def test_a_class_with_one_row_turns_cross_validation_off_and_still_trains_every_model(search, tmp_path):
    frame = _frame(rare_at=(0,))
    assert validate_problem(frame, PROBLEM)[1] == (
        "Classes with a single row (rare) cannot be learned from one example nor cross-validated; add rows of "
        "those classes or merge them into others.")
    settings = {"models": ["linear", "gradient_boosting"], "cv_folds": 5, "n_trials": 2}
    if search == "none":
        candidates = _train(frame, settings)
    else:
        candidates, _ = _tune(frame, tmp_path, settings)
    assert {m: status for m, (status, _) in _outcomes(candidates).items()} == {
        "baseline": "ok", "linear": "ok", "gradient_boosting": "ok"}
    # The folds shrink to the rare class's single training row: no cross-validation.
    # (A tuned trial scored on the validation rows alone is not reported as a CV score.)
    assert {c.model: c.cv_scores for c in candidates} == {"baseline": [], "linear": [], "gradient_boosting": []}
    boosting = next(c for c in candidates if c.model == "gradient_boosting")
    assert boosting.pipeline.named_steps["model"].early_stopping is False  # its held-out share needs 2 rows a class
    y = prepare_target(frame, PROBLEM)[1]
    assert cv_note(y.iloc[_split(frame).train], "classification", RECIPE["split"], {"cv_folds": 5}) == (
        "Cross-validation is off (asked for 5 folds): class 'rare' has only 1 training row, so scores come from "
        "the validation rows alone. Add rows of that class or merge it into another.")


@pytest.mark.slow
def test_a_class_whose_only_row_is_in_validation_is_scored_as_never_predicted():
    baseline, linear = _train(_frame(rare_at=(VALID_ROW,)), {"models": ["linear"]})
    assert linear.status == "ok", linear.error
    assert list(linear.valid_predictions.columns) == ["y_true", "y_pred", "proba_a", "proba_b"]
    assert "rare" in set(linear.valid_predictions["y_true"])
    assert 0 < linear.valid_metrics["f1_macro"] < 1 and linear.valid_metrics["log_loss"] > 1


def test_cv_note_is_silent_when_the_folds_are_as_asked():
    y = pd.Series(["a", "b"] * 10)
    assert cv_note(y, "classification", {"strategy": "stratified"}, {"cv_folds": 5}) is None
    assert cv_note(y, "classification", {"strategy": "stratified"}, {"cv_folds": 0}) is None
    assert cv_note(pd.Series([1.0] * 3), "regression", {"strategy": "random"}, {"cv_folds": 5}) is None


# -- a regression target with infinite values --------------------------------------------------
@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param([np.inf, -np.inf, np.nan], "Target 'y' has infinite values; remove those rows.", id="inf"),
        pytest.param(["inf", "7", "n/a"], "Target 'y' has 1 non-numeric values (e.g. 'n/a'); regression needs "
                     "numbers. Fix the values or choose classification.", id="text"),
    ],
)
def test_prepare_target_refuses_a_regression_target_that_is_not_finite(values, message):
    frame = pd.DataFrame({"x": range(30), "y": [*values, *range(27)]})
    with pytest.raises(TargetError) as caught:
        prepare_target(frame, Problem("y", "regression", "rmse"))
    assert str(caught.value) == message


@pytest.mark.parametrize("search", ["none", "random"])
def test_training_on_an_infinite_target_stops_with_a_target_error(search, tmp_path):
    problem = Problem("y", "regression", "rmse")
    clean = pd.DataFrame({"x": np.arange(30.0), "y": np.arange(30.0) * 2})
    frame = clean.assign(y=[np.inf, *clean["y"][1:]])
    split = _split(clean, problem)
    with pytest.raises(TargetError, match=r"^Target 'y' has infinite values; remove those rows.$"):
        if search == "none":
            train_candidates(frame, infer_schema(frame), problem, RECIPE, {"models": ["linear"]}, split)
        else:
            tune_candidates(frame, infer_schema(frame), problem, RECIPE, {"models": ["linear"], "search": search},
                            split, storage=open_storage(f"sqlite:///{tmp_path / 's.db'}"), study_name="inf",
                            data_path=str(tmp_path / "never-read.parquet"))
    assert not (tmp_path / "s.db").exists() or optuna.get_all_study_summaries(
        open_storage(f"sqlite:///{tmp_path / 's.db'}")) == []


# -- every model fails -------------------------------------------------------------------------
def test_when_every_model_fails_untuned_training_says_which_and_why_and_keeps_the_baseline(stub_family):
    stub_family("linear", error="value")
    seen = []
    with pytest.raises(TrainingError) as caught:
        _train(_frame(), {"models": ["linear"]}, on_candidate=seen.append)
    assert str(caught.value) == (
        f"No model could be trained (linear: {SOLVER_ERROR}). The baseline is kept. "
        "To train one, choose other models or fix the data they failed on.")
    assert _outcomes(seen) == {"baseline": ("ok", ""), "linear": ("failed", SOLVER_ERROR)}


@pytest.mark.slow
def test_when_every_trial_fails_the_tuned_family_is_failed_with_the_last_error(stub_family, tmp_path):
    stub_family("linear", error="value")
    seen = []
    with pytest.raises(TrainingError, match="^No model could be trained"):  # as in the untuned path
        _tune(_frame(), tmp_path, {"models": ["linear"]}, on_candidate=seen.append)
    assert _outcomes(seen) == {  # each saved as it finished
        "baseline": ("ok", ""),
        "linear": ("failed", f"no trial of this model finished; last error: {SOLVER_ERROR}")}
    storage = open_storage(f"sqlite:///{tmp_path}/studies.db")
    study = optuna.load_study(study_name="edge-linear", storage=storage)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL] * 3
    assert {t.user_attrs["error"] for t in study.trials} == {SOLVER_ERROR}


# -- a fit that exceeds the time budget --------------------------------------------------------
@pytest.mark.slow
def test_a_model_slower_than_the_budget_is_skipped_and_the_others_kept(stub_family):
    stub_family("naive_bayes", seconds=20)
    started = time.monotonic()
    candidates = _train(_frame(), {"models": ["linear", "naive_bayes"], "time_budget": 2})
    elapsed = time.monotonic() - started
    assert _outcomes(candidates) == {
        "baseline": ("ok", ""), "linear": ("ok", ""),
        "naive_bayes": ("skipped", "the time budget ran out while this model was training")}
    assert elapsed < 2 + 1.5  # the budget, plus what the fast models and the bookkeeping take here


def test_when_the_budget_stops_the_only_model_training_says_to_raise_it(stub_family):
    stub_family("linear", seconds=20)
    started = time.monotonic()
    with pytest.raises(TrainingError) as caught:
        _train(_frame(), {"models": ["linear"], "time_budget": 1})
    assert time.monotonic() - started < 1 + 1.5
    assert str(caught.value) == (
        "No model could be trained (linear: the time budget ran out while this model was training). The baseline "
        "is kept. To train one, raise the time budget or choose faster models.")


@pytest.mark.slow
def test_a_search_whose_every_fit_outlasts_the_budget_ends_on_time(stub_family, tmp_path):
    stub_family("linear", seconds=20)
    started = time.monotonic()
    with pytest.raises(TrainingError) as caught:
        _tune(_frame(), tmp_path, {"models": ["linear"], "time_budget": 2, "n_trials": 50})
    assert time.monotonic() - started < 2 + 2.5  # budget + tolerance (baseline, study set-up, SQLite)
    assert str(caught.value) == (
        "No model could be trained (linear: the time budget ran out before any trial of this model finished). The "
        "baseline is kept. To train one, raise the time budget or choose faster models.")
    storage = open_storage(f"sqlite:///{tmp_path}/studies.db")
    [trial] = optuna.load_study(study_name="edge-linear", storage=storage).trials  # pruned at the deadline
    assert trial.state == optuna.trial.TrialState.PRUNED


@pytest.mark.slow
def test_a_search_keeps_the_trials_that_finished_within_the_budget(stub_family, tmp_path):
    stub_family("linear", seconds=0.4)
    started = time.monotonic()
    candidates, storage = _tune(_frame(), tmp_path, {"models": ["linear"], "time_budget": 3, "n_trials": 50})
    assert time.monotonic() - started < 3 + 2.5
    trials = optuna.load_study(study_name="edge-linear", storage=storage).trials
    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert 1 <= len(done) < 50
    linear = next(c for c in candidates if c.model == "linear")
    assert linear.status == "ok" and linear.tuning["trial"] in {t.number for t in done}


# -- a fit that runs out of memory -------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("search", ["none", "random"])
def test_a_model_out_of_memory_fails_alone_and_training_goes_on(search, stub_family, tmp_path):
    stub_family("linear", error="memory")
    settings = {"models": ["linear", "decision_tree"], "n_trials": 2}
    candidates = _train(_frame(), settings) if search == "none" else _tune(_frame(), tmp_path, settings)[0]
    outcomes = _outcomes(candidates)
    assert outcomes["decision_tree"] == ("ok", "")
    if search == "none":
        assert outcomes["linear"] == ("failed", OUT_OF_MEMORY)
    else:
        assert outcomes["linear"] == ("failed", f"no trial of this model finished; last error: {OUT_OF_MEMORY}")


# -- two searches at once ----------------------------------------------------------------------
def test_storages_opened_at_once_on_a_new_file_all_work(tmp_path):
    """Two jobs (or a job and the page polling it) open a new studies file at once: each must get a storage,
    though all race to create its tables and version row."""
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    barrier = threading.Barrier(4)

    def open_at_once(_) -> str:
        barrier.wait()
        return type(open_storage(url)).__name__

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(open_at_once, range(4))) == ["RDBStorage"] * 4

