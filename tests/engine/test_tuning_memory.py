"""What a search keeps in memory: one fitted model per trial at a time, the freed heap handed back, a compact skops
file. (Peak figures are the benchmark's business; these tests fail if a fixed leak returns.)"""

from __future__ import annotations

import io
import pickle
import weakref
import zipfile

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import engine.train.families as families
import engine.train.training as training
import engine.train.tuning as tuning
from engine import Problem, best_candidate, infer_schema, prepare_target, split_rows, validate_recipe
from engine.deploy.export import dumps_skops, loads_skops
from engine.train.automl import tune_candidates, tuning_spec
from engine.train.catalog import params_for_rows
from engine.train.ensemble import fitted_nbytes, greedy_selection
from engine.train.training import TrainingFitter
from engine.train.tuning import OutOfFold, create_study, make_objective, run_study

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _table() -> pd.DataFrame:
    X, y = make_classification(n_samples=90, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=list("abcd")).round(3)
    frame["y"] = np.where(y == 1, "yes", "no")
    return frame


def _spec(frame: pd.DataFrame, family: str = "random_forest") -> dict:
    return tuning_spec("unused.parquet", Problem("y", "classification", "roc_auc"), validate_recipe({}),
                       infer_schema(frame), {"automl": False, "search": "random", "pruner": "none", "cv_folds": 3,
                                             "seed": 0}, [family])


def test_a_trial_holds_one_fitted_model_at_a_time(monkeypatch):
    """Regression: a fold's fitted model stayed referenced while the next fold fitted, so a trial of a 300-tree
    forest held two (100 MB or more each on 5,000 rows); each fold's model must be gone when the next one fits."""
    fitted: list[weakref.ref] = []
    alive_at_fit: list[int] = []
    fit = TrainingFitter.fit

    def recording_fit(self, pipeline, X, y):
        alive_at_fit.append(sum(ref() is not None for ref in fitted))
        model = fit(self, pipeline, X, y)
        fitted.append(weakref.ref(model))
        return model

    monkeypatch.setattr(TrainingFitter, "fit", recording_fit)
    frame = _table()
    oof = OutOfFold()
    value = make_objective(_spec(frame), frame, oof=oof)(
        optuna.trial.FixedTrial({"n_estimators": 50, "min_samples_leaf": 1, "max_features": 0.5}))
    assert 0.5 < value <= 1.0 and len(oof.ranked()) == 1  # the trial ran and kept its predictions
    assert alive_at_fit == [0, 0, 0]
    assert [ref() for ref in fitted] == [None, None, None]


def test_the_search_hands_the_freed_heap_back_after_every_trial(monkeypatch):
    """A study of three trials trims the C heap three times (``release_free_memory``)."""
    calls = []
    monkeypatch.setattr(tuning, "release_free_memory", lambda: calls.append(1))
    frame = _table()
    study = create_study(_spec(frame, "linear"), optuna.storages.InMemoryStorage(), "memory")
    assert run_study(study, frame, n_trials=3, timeout=None) == 3
    assert len(calls) == 3


def test_releasing_free_memory_runs_here():
    """On this machine (glibc) the trim is found and runs; elsewhere it is a no-op."""
    assert training._LIBC is not None
    training.release_free_memory()


def test_a_skops_file_is_deflated_and_loads_back():
    """Regression: skops stored a forest's node arrays uncompressed (59 MB for a 3.9 MB joblib file), held in
    memory twice while written; the file is deflated now."""
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    data = dumps_skops(model)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    assert loads_skops(data).predict([[2.9]]).tolist() == [1]


def test_a_trial_records_the_fitted_size_of_its_fold_models():
    frame = _table()
    oof = OutOfFold()
    make_objective(_spec(frame), frame, oof=oof)(
        optuna.trial.FixedTrial({"n_estimators": 50, "min_samples_leaf": 1, "max_features": 0.5}))
    [entry] = oof.ranked()
    # 50 trees fitted on 60 rows: 3 to 119 nodes each, of 64 + 16 bytes with their two class shares
    assert 50 * 3 * 80 < entry.nbytes < 50 * 119 * 80 + 100_000


def test_the_fitted_size_of_a_forest_is_about_its_pickle():
    X, y = make_classification(n_samples=400, n_features=6, random_state=0)
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    assert fitted_nbytes(forest) == pytest.approx(len(pickle.dumps(forest)), rel=0.1)


def test_a_vote_holds_its_members_within_the_memory_cap():
    """The second model improves the blend, but with it the vote would hold more than ``max_bytes``: it is left
    out, while the best single model is never capped."""
    y = np.array([0.0, 1.0, 2.0, 3.0])
    predictions = [y - 1.0, y + 1.0]
    assert greedy_selection(predictions, y, "rmse").counts.tolist() == [1, 1]
    assert greedy_selection(predictions, y, "rmse", sizes=[10, 95], max_bytes=100).counts.tolist() == [1, 0]
    assert greedy_selection(predictions, y, "rmse", sizes=[10, 90], max_bytes=100).counts.tolist() == [1, 1]
    assert greedy_selection(predictions, y, "rmse", sizes=[500, 1], max_bytes=100).counts.tolist() == [1, 0]


def test_without_keep_models_the_leaderboards_other_families_keep_their_scores_only():
    """Regression: the families refitted after the winner for the leaderboard all stayed in memory together
    (measured: +130 MB at the end of a 60 s run on a 22,000-row regression) though the command line writes the
    winner only; with ``keep_models=False`` each is dropped once scored, and the winner is unchanged."""
    X, y = make_classification(n_samples=120, n_features=5, n_informative=3, flip_y=0.2, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).round(3)
    frame["y"] = np.where(y == 1, "yes", "no")
    problem = Problem("y", "classification", "accuracy")
    recipe = validate_recipe({})
    rows, target = prepare_target(frame, problem)
    split = split_rows(target, problem.task, recipe["split"], rows)
    settings = {"models": ["linear", "decision_tree", "knn"], "search": "random", "automl": True, "ensemble": True,
                "n_trials": 6, "cv_folds": 3, "seed": 1, "pruner": "none"}
    runs = {keep: tune_candidates(frame, infer_schema(frame), problem, recipe, settings, split, study_name="t",
                                  storage=optuna.storages.InMemoryStorage(), data_path="", keep_models=keep)
            for keep in (True, False)}
    winner = best_candidate(runs[False], "accuracy")
    assert winner.model == best_candidate(runs[True], "accuracy").model and winner.pipeline is not None
    scores = {keep: {c.model: c.valid_metrics for c in run if c.status == "ok"} for keep, run in runs.items()}
    assert scores[True] == scores[False]
    others = [c for c in runs[False] if c.status == "ok" and c.model not in ("baseline", winner.model)]
    assert others and all(c.pipeline is None for c in others)
    assert all(c.pipeline is not None for c in runs[True] if c.status == "ok")


def test_a_forest_over_the_cap_keeps_fewer_trees_then_fewer_leaves():
    """The AutoML search keeps a forest within ``FOREST_MAX_BYTES``: 300 unpruned trees on 14,000 fold rows would
    hold 300 x 2 x 14,000 nodes x 80 bytes (two classes), so the forest keeps 100 trees (``FOREST_MIN_TREES``) of at
    most 12 MiB / (100 x 2 nodes x 80 bytes) = 786 leaves; on 600 rows 131 unpruned trees fit; 200 rows need
    nothing, nor does a forest that asks for big leaves; a cap the user set stays."""
    point = {"n_estimators": 300, "min_samples_leaf": 1, "max_features": 0.3}
    assert params_for_rows("random_forest", point, 14_000, 2) == {**point, "n_estimators": 100, "max_leaf_nodes": 786}
    assert params_for_rows("extra_trees", point, 14_000, 9)["max_leaf_nodes"] == 462  # 9 class shares a leaf
    assert params_for_rows("random_forest", point, 600, 2) == {**point, "n_estimators": 131}
    assert params_for_rows("random_forest", point, 200, 2) == point
    assert params_for_rows("random_forest", {**point, "min_samples_leaf": 100}, 14_000, 2) == \
        {**point, "min_samples_leaf": 100}
    assert params_for_rows("random_forest", {**point, "max_leaf_nodes": 50}, 14_000, 2)["max_leaf_nodes"] == 50
    assert params_for_rows("gradient_boosting", {"max_leaf_nodes": 31}, 14_000, 2) == {"max_leaf_nodes": 31}


def test_a_search_trial_fits_its_forest_within_the_cap(monkeypatch):
    """Regression: a trial's 300-tree forest grew with the rows (140 MB on 14,000 fold rows, the whole run's peak).
    With the cap made small for a small table, the trial's forest holds at most the cap, and the refits get the
    trial's capped parameters."""
    monkeypatch.setattr(families, "FOREST_MAX_BYTES", 144 * 2**10)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(600, 3)), columns=list("abc")).round(3)
    frame["y"] = frame["a"] + rng.normal(size=600)
    spec = tuning_spec("unused.parquet", Problem("y", "regression", "rmse"), validate_recipe({}), infer_schema(frame),
                       {"automl": False, "search": "random", "pruner": "none", "cv_folds": 3, "seed": 0},
                       ["random_forest"])
    oof = OutOfFold()
    trial = optuna.trial.FixedTrial({"n_estimators": 50, "min_samples_leaf": 1, "max_features": 1.0})
    make_objective(spec, frame, oof=oof)(trial)
    [entry] = oof.ranked()
    # 144 KiB / (50 trees x 2 nodes x 72 bytes) = 20 leaves; uncapped, each tree has about 200 leaves
    assert entry.params["max_leaf_nodes"] == 20 and trial.user_attrs["params"]["max_leaf_nodes"] == 20
    assert entry.nbytes <= 144 * 2**10
