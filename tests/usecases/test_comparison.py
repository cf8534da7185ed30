"""Comparison use cases: marks on the leaderboard, two models on shared rows, and the diff of two runs."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from engine import DEFAULT_RECIPE, ModelError
from usecases import comparison, evaluation, projects
from usecases.training import run_training_job

from .conftest import FAST_SETTINGS


# -- leaderboard marks (records written by hand, nothing trained) ---------------------------------------
def _add_run(ws, pid: int, sha: str = "aa", seed: int = 42) -> int:
    recipe = {**DEFAULT_RECIPE, "split": {**DEFAULT_RECIPE["split"], "seed": seed}}
    return ws.add_run(pid, dataset_sha256=sha, problem={"target": "y", "task": "classification",
                                                        "metric": "accuracy"}, recipe=recipe)["id"]


def test_marks_compare_each_interval_with_the_best_on_the_same_rows(ws, project):
    pid = project["id"]
    same, other_data, other_seed = _add_run(ws, pid), _add_run(ws, pid, sha="bb"), _add_run(ws, pid, seed=7)
    board = pd.DataFrame({
        "model_id": [1, 2, 3, 4, 5, 6, 7],
        "run_id": [same, same, same, other_data, other_seed, same, same],
        "status": ["ok"] * 5 + ["ok", "failed"],
        "validation": [0.90, 0.85, 0.60, 0.95, 0.88, 0.70, math.nan],
    })
    intervals = {1: (0.85, 0.95), 2: (0.80, 0.90), 3: (0.50, 0.70), 4: (0.90, 1.0), 5: (0.8, 0.9),
                 6: (math.nan, math.nan)}
    assert comparison.mark_clear_differences(ws, board, intervals) == [
        "best", "not clearly different", "clearly worse", "other validation rows", "other validation rows",
        "no interval", ""]


def test_marks_of_a_board_without_trained_models_are_empty(ws, project):
    board = pd.DataFrame({"model_id": [1], "run_id": [_add_run(ws, project["id"])], "status": ["failed"],
                          "validation": [math.nan]})
    assert comparison.mark_clear_differences(ws, board, {}) == [""]


# -- two models, two runs (trained in this process) -----------------------------------------------------
def _train_again(ws, pid: int, settings: dict | None = None, seed: int | None = None) -> int:
    if seed is not None:
        recipe = projects.project_recipe(ws, pid)
        projects.save_recipe(ws, pid, {**recipe, "split": {**recipe["split"], "seed": seed}})
    projects.save_settings(ws, pid, settings or FAST_SETTINGS)
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded"
    return ws.list_runs(pid)[0]["id"]


@pytest.mark.slow
def test_compare_baseline_and_linear_of_one_run(ws, loaded, trained):
    baseline, linear = (m["id"] for m in ws.list_models(loaded))
    table = comparison.compare_models(ws, baseline, linear, n_boot=200)
    assert list(table.columns) == ["metric", "label", "a", "b", "difference", "low", "high", "verdict",
                                   "higher_is_better"]
    first = table.iloc[0]
    assert (first["metric"], first["a"], first["b"], first["difference"]) == ("accuracy", 0.5, 1.0, 0.5)
    # 4 validation rows: a resample of only the 2 rows both get right is likely enough (1 in 16) to hold 0
    assert (first["low"], first["high"], first["verdict"]) == (0.0, 1.0, "not clearly different")
    assert table.equals(comparison.compare_models(ws, baseline, linear, n_boot=200))  # seeded


@pytest.mark.slow
def test_models_scored_on_other_rows_cannot_be_compared(ws, loaded, trained):
    first = ws.list_models(loaded)[1]["id"]
    _train_again(ws, loaded, seed=7)
    second = ws.list_models(loaded)[-1]["id"]
    with pytest.raises(ModelError, match="scored on different validation rows.*Compare two models of the same run"):
        comparison.compare_models(ws, first, second)
    board = evaluation.leaderboard(ws, loaded)
    intervals = {i: evaluation.validation_interval(ws, i, "accuracy") for i in board["model_id"]}
    marks = dict(zip(board["model_id"], comparison.mark_clear_differences(ws, board, intervals), strict=True))
    best_run = board["run_id"].iloc[0]
    assert [marks[i] == "other validation rows" for i in board["model_id"]] == [
        r != best_run for r in board["run_id"]]


@pytest.mark.slow
def test_run_diff_of_two_real_runs(ws, loaded, trained):
    first = ws.list_runs(loaded)[0]["id"]
    second = _train_again(ws, loaded, {"models": ["linear", "naive_bayes"], "cv_folds": 0, "seed": 7})
    table = comparison.run_diff(ws, first, second)
    changed = table.set_index("item")
    # "Time" shows only when the two runs' durations differ at 0.1 s: two quick runs may take the same time
    assert set(table["area"]) - {"Time"} == {"Settings", "Models"}
    assert changed.loc["models", ["a", "b"]].tolist() == ["baseline, linear", "baseline, linear, naive_bayes"]
    assert changed.loc["seed", ["a", "b"]].tolist() == ["42", "7"]
    assert changed.loc["Naive Bayes (Gaussian)", ["a", "b"]].tolist()[0] == "not in this run"
    assert table["changed"].all()
    full = comparison.run_diff(ws, first, second, include_unchanged=True)
    assert len(full) > len(table) and {"Data", "Problem", "Split", "Recipe", "Versions"} <= set(full["area"])
    assert comparison.run_diff(ws, first, first)["area"].tolist() == []
