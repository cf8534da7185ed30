"""Selection on out-of-fold scores, greedy ensembles on out-of-fold predictions, the winner's refit on all training
rows, and the weighted ensemble's exports, on small generated tables."""

from __future__ import annotations

import io
import threading
import time

import joblib
import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import VotingClassifier, VotingRegressor

from engine import Problem, infer_schema, prepare_target, split_rows, validate_recipe
from engine.deploy.export import dumps_skops, export_onnx, loads_skops
from engine.train.automl import _greedy_ensemble, _refit_on_all_rows, tune_candidates, tuning_spec, voting_pipeline
from engine.train.training import Candidate, best_candidate, family_pipeline, training_data
from engine.train.tuning import OofEntry, OutOfFold, make_objective, open_storage
from usecases.training import model_card

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _noisy_table() -> pd.DataFrame:
    """120 rows, a fifth of the labels flipped: its 18 validation rows disagree with the folds on the best family."""
    X, y = make_classification(n_samples=120, n_features=5, n_informative=3, flip_y=0.2, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).round(3)
    frame["y"] = np.where(y == 1, "yes", "no")
    return frame


def _regression_table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=60).round(3), "b": rng.choice(["p", "q", "r"], 60)})
    frame["y"] = (2 * frame["a"] + (frame["b"] == "q") + rng.normal(0, 0.3, 60)).round(3)
    return frame


def _setup(frame: pd.DataFrame, problem: Problem):
    recipe = validate_recipe({})
    rows, y = prepare_target(frame, problem)
    return recipe, split_rows(y, problem.task, recipe["split"], rows), infer_schema(frame)


@pytest.mark.slow
def test_the_winner_is_the_best_out_of_fold_not_the_best_on_the_holdout(tmp_path):
    frame = _noisy_table()
    problem = Problem("y", "classification", "accuracy")
    recipe, split, schema = _setup(frame, problem)
    frame.to_parquet(tmp_path / "data.parquet")
    settings = {"models": ["linear", "decision_tree", "knn"], "search": "random", "n_trials": 3, "cv_folds": 3,
                "seed": 1, "pruner": "none"}
    candidates = tune_candidates(frame, schema, problem, recipe, settings, split, study_name="t",
                                 storage=open_storage(f"sqlite:///{tmp_path / 'studies.db'}"),
                                 data_path=str(tmp_path / "data.parquet"))
    by_family = {c.model: c for c in candidates}
    mean = {name: round(float(np.mean(c.cv_scores)), 3) for name, c in by_family.items() if name != "baseline"}
    valid = {name: round(c.valid_metrics["accuracy"], 3) for name, c in by_family.items() if name != "baseline"}
    assert mean == {"knn": 0.714, "decision_tree": 0.702, "linear": 0.643}
    assert valid == {"knn": 0.667, "decision_tree": 0.667, "linear": 0.833}  # the holdout prefers the linear model
    winner = best_candidate(candidates, "accuracy")
    assert winner.model == "knn"
    assert winner.tuning["refitted"] is True and winner.tuning["trained_rows"] == len(split.train) + len(split.valid)
    assert "refitted" not in by_family["linear"].tuning  # only the winner is refitted on all rows
    # The validation score stays the one measured before the refit (the refitted model has seen those rows).
    assert winner.valid_metrics["accuracy"] == pytest.approx(0.6667, abs=1e-4)


def _candidate(model: str, cv: list[float], valid: float) -> Candidate:
    return Candidate(model, "ok", None, cv, {"rmse": valid}, None, 0.1)


def test_best_candidate_ranks_by_the_cross_validated_mean_when_every_candidate_has_one():
    cv_best, holdout_best = _candidate("linear", [1.0, 1.2, 1.1], 3.0), _candidate("knn", [2.0, 1.8, 2.2], 1.5)
    assert best_candidate([holdout_best, cv_best], "rmse").model == "linear"
    no_folds = _candidate("knn", [], 1.5)
    assert best_candidate([no_folds, cv_best], "rmse").model == "knn"  # one without folds: the holdout decides


def _regression_data():
    """The regression table set up for training: frame, problem, recipe, split and training data."""
    frame = _regression_table()
    problem = Problem("y", "regression", "rmse")
    recipe, split, schema = _setup(frame, problem)
    return frame, problem, recipe, split, training_data(frame, schema, problem, recipe)


def _oof_store(y: np.ndarray, predictions: dict[str, np.ndarray]) -> OutOfFold:
    oof = OutOfFold(keep=2)
    fold_of_row = np.arange(len(y)) % 3
    oof.bind(y, None, fold_of_row, greater_is_better=False)
    for number, (family, prediction) in enumerate(predictions.items()):
        rmse = [float(np.sqrt(np.mean((prediction - y)[fold_of_row == f] ** 2))) for f in range(3)]
        oof.offer(OofEntry(family, number, float(np.mean(rmse)), {}, prediction.astype(np.float32)))
    return oof


def test_the_greedy_ensemble_votes_with_its_counts_as_weights():
    """One family overshoots every row by 1, the other undershoots by 2: two parts to one is exact out of fold."""
    frame, problem, recipe, split, data = _regression_data()
    y = data.y.iloc[split.train].to_numpy(dtype=float)
    oof = _oof_store(y, {"linear": y + 1, "knn": y - 2})
    ensemble = _greedy_ensemble(data, problem, recipe, split, oof, None, 0)
    assert ensemble.status == "ok"
    assert ensemble.tuning["members"] == ["linear", "knn"] and ensemble.tuning["weights"] == [2, 1]
    assert ensemble.cv_scores == pytest.approx([0.0, 0.0, 0.0], abs=1e-5)
    voter = ensemble.pipeline.named_steps["model"]
    assert isinstance(voter, VotingRegressor) and voter.weights.tolist() == [2.0, 1.0]
    assert ensemble.valid_metrics["rmse"] > 0  # a real fit on the training rows, scored on validation


def test_the_greedy_ensemble_is_dropped_when_no_blend_beats_the_best_single_model():
    frame, problem, recipe, split, data = _regression_data()
    y = data.y.iloc[split.train].to_numpy(dtype=float)
    oof = _oof_store(y, {"linear": y + 0.1, "knn": y + 3})  # every blend with k-NN is worse than linear alone
    ensemble = _greedy_ensemble(data, problem, recipe, split, oof, None, 0)
    assert ensemble.status == "skipped" and ensemble.pipeline is None
    assert ensemble.error == ("greedy selection over 2 configurations found no blend scoring better out of fold "
                              "than linear alone (0.1000 against 0.1000)")


def test_a_vote_that_cannot_be_fitted_and_refitted_in_the_time_left_is_skipped():
    frame, problem, recipe, split, data = _regression_data()
    y = data.y.iloc[split.train].to_numpy(dtype=float)
    oof = OutOfFold(keep=2)
    oof.bind(y, None, np.arange(len(y)) % 3, greater_is_better=False)
    for number, (family, prediction) in enumerate({"linear": y + 1, "knn": y - 2}.items()):
        oof.offer(OofEntry(family, number, 1.0 + number, {}, prediction.astype(np.float32), fit_seconds=2.0))
    ensemble = _greedy_ensemble(data, problem, recipe, split, oof, time.monotonic() + 5, 0)
    assert ensemble.status == "skipped"
    assert ensemble.error.startswith("greedy selection chose a vote of linear, knn (out of fold 0.0000 against "
                                     "1.0000), but fitting it would take about 10.8 s and ")


def _context(frame, problem, recipe, split, data) -> dict:
    return {"dataset": {"name": "t", "sha256": "0", "n_rows": len(frame)}, "problem": problem, "recipe": recipe,
            "settings": {}, "features": data.features, "split": split, "run_id": None}


def test_the_refit_on_all_rows_is_skipped_past_the_deadline_and_the_card_says_so():
    frame, problem, recipe, split, data = _regression_data()
    pipeline = family_pipeline("linear", {}, data.features, recipe, "regression", 0)
    fitted = data.fitter.fit(pipeline, data.X.iloc[split.train], data.y.iloc[split.train])
    winner = Candidate("linear", "ok", fitted, [0.4, 0.5], {"rmse": 0.45}, None, 0.1, tuning={"trial": 3})
    late = _refit_on_all_rows(data, split, winner, time.monotonic() - 1, None)
    assert late.pipeline is fitted and late.tuning == {"trial": 3, "refitted": False, "refit_skipped": "time budget"}
    card = model_card(late, _context(frame, problem, recipe, split, data))
    assert card["trained_on"] == {"split": "train", "rows": len(split.train),
                                  "note": "refit on all rows skipped: time budget"}
    stop = threading.Event()
    stop.set()
    assert _refit_on_all_rows(data, split, winner, None, stop).tuning["refit_skipped"] == "search stopped"
    refitted = _refit_on_all_rows(data, split, winner, None, None)
    rows = np.sort(np.concatenate([split.train, split.valid]))
    expected = data.fitter.fit(pipeline, data.X.iloc[rows], data.y.iloc[rows]).named_steps["model"].coef_
    assert refitted.pipeline.named_steps["model"].coef_ == pytest.approx(expected)
    assert refitted.valid_metrics == {"rmse": 0.45} and refitted.cv_scores == [0.4, 0.5]  # scores from before
    card = model_card(refitted, _context(frame, problem, recipe, split, data))
    assert card["trained_on"] == {"split": "train+valid", "rows": len(split.train) + len(split.valid)}


@pytest.mark.parametrize("members", [[("gradient_boosting", {}), ("gradient_boosting#2", {"max_iter": 20})],
                                     [("linear", {}), ("random_forest", {"n_estimators": 10})]],
                         ids=["shared-preprocessing", "own-preprocessing"])
def test_a_weighted_ensemble_exports_to_joblib_and_skops_and_predicts_the_same(members):
    frame = _noisy_table()
    frame["colour"] = np.where(frame["x0"] > 0, "red", "blue")
    problem = Problem("y", "classification", "log_loss")
    recipe, split, schema = _setup(frame, problem)
    data = training_data(frame, schema, problem, recipe)
    pipeline = voting_pipeline(members, data.features, recipe, "classification", 0, weights=[3, 1])
    fitted = data.fitter.fit(pipeline, data.X.iloc[split.train], data.y.iloc[split.train])
    voter = fitted.named_steps["model"]
    assert isinstance(voter, VotingClassifier) and voter.weights.tolist() == [3.0, 1.0]
    rows = data.X.iloc[split.valid]
    expected = fitted.predict_proba(rows)
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    assert joblib.load(buffer).predict_proba(rows) == pytest.approx(expected)
    assert loads_skops(dumps_skops(fitted)).predict_proba(rows) == pytest.approx(expected)
    names = [name for name, _ in fitted.named_steps["model"].estimators]
    assert names == [name for name, _ in members]


def test_a_weighted_vote_of_one_preprocessing_exports_to_onnx():
    """skl2onnx sums the weights as an array and converts only a vote whose ``flatten_transform`` is off."""
    frame = _noisy_table()
    problem = Problem("y", "classification", "log_loss")
    recipe, split, schema = _setup(frame, problem)
    data = training_data(frame, schema, problem, recipe)
    members = [("linear", {}), ("linear#2", {"C": 0.1})]
    pipeline = voting_pipeline(members, data.features, recipe, "classification", 0, weights=[3, 1])
    fitted = data.fitter.fit(pipeline, data.X.iloc[split.train], data.y.iloc[split.train])
    features = [{"name": c.name, "kind": c.kind, "dtype": c.dtype} for c in data.features]
    exported = export_onnx(fitted, features, "classification", data.X.iloc[split.valid])
    assert exported.reason is None and exported.check.ok and exported.check.labels_equal


def test_a_pr_auc_trial_on_a_text_target_is_scored():
    """Regression: scikit-learn's average-precision scorer takes 1 as the positive class, so every PR-AUC trial on a
    yes / no target failed; trials now score their predictions, the positive class being the second one."""
    X, y = make_classification(n_samples=90, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=list("abcd")).round(3)
    frame["y"] = np.where(y == 1, "yes", "no")
    spec = tuning_spec("unused.parquet", Problem("y", "classification", "pr_auc"), validate_recipe({}),
                       infer_schema(frame), {"automl": False, "search": "random", "pruner": "none", "cv_folds": 3,
                                             "seed": 0}, ["linear"])
    oof = OutOfFold()
    value = make_objective(spec, frame, oof=oof)(optuna.trial.FixedTrial({"C": 1.0, "penalty": "l2"}))
    assert value == pytest.approx(1.0)
    [entry] = oof.ranked()
    assert entry.family == "linear" and entry.prediction.shape == (len(oof.y), 2)
    assert oof.classes.tolist() == ["no", "yes"] and set(oof.fold_of_row.tolist()) == {0, 1, 2}
