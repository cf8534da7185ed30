"""Optuna tuning: studies per family or across families, limits, pruning reports, ensembles and workers."""

from __future__ import annotations

import re

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from engine import Problem, RecipeError, infer_schema, prepare_target, split_rows, validate_recipe
from engine.train.automl import tune_candidates, tuning_spec
from engine.train.tuning import best_params_by_family, create_study, load_study, open_storage, run_study
from usecases.cli import main

PROBLEM = Problem("y", "classification", "roc_auc")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    X, y = make_classification(n_samples=240, n_features=5, n_informative=3, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).round(4)
    frame["y"] = np.where(y == 1, "yes", "no")
    path = tmp_path_factory.mktemp("tuning") / "data.parquet"
    frame.to_parquet(path)
    return frame, path


def _tune(data, tmp_path, **settings):
    frame, path = data
    recipe = validate_recipe({})
    rows, y = prepare_target(frame, PROBLEM)
    split = split_rows(y, "classification", recipe["split"], rows)
    full = {"cv_folds": 3, "seed": 7, "search": "random", "n_trials": 4, **settings}
    tmp_path.mkdir(parents=True, exist_ok=True)
    storage = open_storage(f"sqlite:///{tmp_path / 'studies.db'}")
    return tune_candidates(frame, infer_schema(frame), PROBLEM, recipe, full, split, storage=storage,
                           study_name="t", data_path=str(path)), storage


def test_each_family_is_searched_and_refitted_with_its_best_parameters(data, tmp_path):
    candidates, storage = _tune(data, tmp_path, models=["linear", "decision_tree"])
    assert candidates[0].model == "baseline"
    assert sorted(c.model for c in candidates[1:]) == ["decision_tree", "linear"]  # best first
    for candidate in candidates[1:]:
        assert candidate.status == "ok" and candidate.tuning["params"]
        assert len(candidate.cv_scores) == 3 and 0.5 < candidate.valid_metrics["roc_auc"] <= 1
        study = optuna.load_study(study_name=f"t-{candidate.model}", storage=storage)
        assert len(study.trials) == 4
        assert study.best_trial.number == candidate.tuning["trial"]
        assert sorted(study.best_trial.intermediate_values) == [0, 1, 2]  # one report per fold, for pruners


def test_same_seed_same_search(data, tmp_path):
    first, _ = _tune(data, tmp_path / "a", models=["decision_tree"])
    second, _ = _tune(data, tmp_path / "b", models=["decision_tree"])
    assert first[1].tuning == second[1].tuning
    assert first[1].valid_metrics == second[1].valid_metrics


def test_automl_searches_across_families_in_one_study(data, tmp_path):
    candidates, storage = _tune(data, tmp_path, models=["linear", "decision_tree"], automl=True, search="tpe",
                                n_trials=8, cv_folds=2)
    study = optuna.load_study(study_name="t-automl", storage=storage)
    assert len(study.trials) == 8
    tried = {t.params["family"] for t in study.trials}
    assert tried == {"linear", "decision_tree"}
    # each family's cheap start point runs first, then the sampler takes over
    assert [t.params["family"] for t in study.trials[:2]] == ["linear", "decision_tree"]
    assert study.trials[1].params == {"family": "decision_tree", "decision_tree__max_depth": 8,
                                      "decision_tree__min_samples_leaf": 5}
    assert {c.model for c in candidates[1:]} == tried
    assert set(best_params_by_family(study)) == tried


def test_grid_search_stops_when_the_grid_is_done_and_patience_stops_early(data, tmp_path):
    candidates, storage = _tune(data, tmp_path, models=["knn"], search="grid", n_trials=500, cv_folds=0)
    grid_trials = len(optuna.load_study(study_name="t-knn", storage=storage).trials)
    assert 1 < grid_trials < 500
    _, storage = _tune(data, tmp_path / "p", models=["decision_tree"], n_trials=50, patience=2, cv_folds=0)
    assert len(optuna.load_study(study_name="t-decision_tree", storage=storage).trials) < 50


@pytest.mark.slow
def test_ensemble_is_kept_only_when_it_beats_its_members(data, tmp_path):
    candidates, _ = _tune(data, tmp_path, models=["linear", "knn", "gradient_boosting"], ensemble=True,
                          n_trials=2, cv_folds=0)
    [ensemble] = [c for c in candidates if c.model == "ensemble"]
    best_single = max(c.valid_metrics["roc_auc"] for c in candidates if c.model not in ("ensemble", "baseline"))
    if ensemble.status == "ok":
        assert ensemble.valid_metrics["roc_auc"] > best_single
        assert len(ensemble.tuning["members"]) == 3
    else:
        assert "not better than" in ensemble.error


def test_invalid_search_settings_are_refused(data, tmp_path):
    with pytest.raises(RecipeError, match="The 'search' setting must be one of"):
        _tune(data, tmp_path, models=["linear"], search="bayes")
    with pytest.raises(RecipeError, match="use random or TPE for AutoML"):
        _tune(data, tmp_path, models=["linear", "knn"], search="grid", automl=True)


def test_a_worker_joins_an_existing_study(data, tmp_path, capsys):
    frame, path = data
    spec = tuning_spec(str(path), PROBLEM, validate_recipe({}), infer_schema(frame),
                       {"automl": False, "search": "random", "pruner": "median", "cv_folds": 2, "seed": 1},
                       ["decision_tree"])
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    create_study(spec, open_storage(url), "shared")
    assert main(["worker", "--study", "shared", "--storage", url, "--n-trials", "2"]) == 0
    assert capsys.readouterr().out.startswith("worker 1: ran 2 trials of study 'shared'; study best value ")
    study = load_study("shared", open_storage(url))
    run_study(study, frame, n_trials=1, timeout=None)
    assert len(study.trials) == 3
    assert main(["worker", "--study", "nope", "--storage", url, "--n-trials", "1"]) == 1


@pytest.mark.slow
def test_a_class_with_fewer_rows_than_folds_trains_every_family(tmp_path):
    # Gradient boosting used to fail here (its early stopping needs 2 rows of each class); a family whose every
    # trial fails is covered in tests/engine/test_tuning_edges.py.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200)})
    frame["y"] = np.where(np.arange(200) < 3, "rare", np.where(frame["x"] > 0, "a", "b"))  # 3 rows: fewer than folds
    problem = Problem("y", "classification", "f1_macro")
    recipe = validate_recipe({})
    rows, y = prepare_target(frame, problem)
    split = split_rows(y, "classification", recipe["split"], rows)
    frame.to_parquet(tmp_path / "d.parquet")
    with threadpool_limits(1):  # boosting's OpenMP threads crawl on a busy machine
        candidates = tune_candidates(frame, infer_schema(frame), problem, recipe,
                                     {"models": ["linear", "gradient_boosting"], "cv_folds": 5, "search": "random",
                                      "n_trials": 2}, split, storage=open_storage(f"sqlite:///{tmp_path / 's.db'}"),
                                     study_name="rare", data_path=str(tmp_path / "d.parquet"))
    status = {c.model: (c.status, c.error) for c in candidates}
    assert status == {"baseline": ("ok", ""), "linear": ("ok", ""), "gradient_boosting": ("ok", "")}


def test_progress_shows_the_best_of_every_family_so_far(data, tmp_path):
    # Per-family studies each have their own best; the progress line showed the current study's, so it fell from
    # the linear model's 0.9+ to the first tree's score while the better linear model still existed.
    frame, path = data
    recipe = validate_recipe({})
    rows, y = prepare_target(frame, PROBLEM)
    split = split_rows(y, "classification", recipe["split"], rows)
    settings = {"cv_folds": 3, "seed": 7, "search": "random", "n_trials": 3, "models": ["linear", "decision_tree"]}
    messages = []
    storage = open_storage(f"sqlite:///{tmp_path / 'studies.db'}")
    tune_candidates(frame, infer_schema(frame), PROBLEM, recipe, settings, split, storage=storage, study_name="t",
                    data_path=str(path), progress=lambda share, message: messages.append(message))
    shown = [(float(m.group(1)), m.group(2)) for m in
             (re.search(r"best ROC-AUC so far (\d\.\d{4}) \((\w+)\)", text) for text in messages) if m]
    assert len(shown) == 6
    values = [value for value, _ in shown]
    assert values == sorted(values)
    best = max(optuna.load_study(study_name=f"t-{family}", storage=storage).best_value
               for family in ("linear", "decision_tree"))
    assert shown[-1][0] == round(best, 4)
    assert shown[0][1] == "linear"


def test_knn_on_a_small_table_asks_for_no_more_neighbours_than_a_fold_has(tmp_path):
    # 30 rows: 18 training rows, 12 per fold's fit; the space goes up to 50 neighbours, which failed every such trial
    frame = pd.DataFrame({"x": np.arange(30.0) % 7, "y": ["yes", "no"] * 15})
    frame.to_parquet(tmp_path / "small.parquet")
    recipe = validate_recipe({})
    rows, y = prepare_target(frame, PROBLEM)
    split = split_rows(y, "classification", recipe["split"], rows)
    storage = open_storage(f"sqlite:///{tmp_path / 'studies.db'}")
    settings = {"cv_folds": 3, "seed": 7, "search": "random", "n_trials": 12, "models": ["knn"], "pruner": "none"}
    candidates = tune_candidates(frame, infer_schema(frame), PROBLEM, recipe, settings, split, storage=storage,
                                 study_name="t", data_path=str(tmp_path / "small.parquet"))
    study = optuna.load_study(study_name="t-knn", storage=storage)
    fold_rows = len(split.train) - -(-len(split.train) // 3)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 12
    asked = [t.params["n_neighbors"] for t in study.trials]
    fitted = [t.user_attrs["params"]["n_neighbors"] for t in study.trials]
    assert max(asked) > fold_rows and fitted == [min(k, fold_rows) for k in asked]
    assert candidates[-1].model == "knn" and candidates[-1].status == "ok"
