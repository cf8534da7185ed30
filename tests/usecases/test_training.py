"""The training use case's sequence: inputs resolved once, one split helper, and the engine's AutoML policy."""

from __future__ import annotations

import pytest

from engine.train.policy import AUTOML_FAMILIES, AUTOML_SEARCH, automl_settings, budget_settings
from storage import Workspace
from tests.usecases.conftest import FAST_SETTINGS
from usecases import advice, projects, training
from usecases.runs import stored_run


@pytest.mark.slow
def test_a_training_job_reads_its_table_once(ws, loaded, keep_sigterm, monkeypatch):
    advice.ensure_recipe(ws, loaded)  # as the Prepare page does; a first training proposes the recipe itself
    projects.save_settings(ws, loaded, FAST_SETTINGS)
    reads = []
    load = Workspace.load_dataset
    monkeypatch.setattr(Workspace, "load_dataset", lambda self, dataset_id: reads.append(dataset_id)
                        or load(self, dataset_id))
    job = ws.create_job(loaded, "train")
    training.run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded"
    assert reads == [projects.active_dataset(ws, loaded)["id"]]
    run = ws.list_runs(loaded)[0]
    # the audit ran on that one table: 'visits' separates the classes and is left out of the recipe and the models
    assert run["recipe"]["leakage"]["excluded"] == ["visits"]
    assert any(note.startswith("Leakage audit left out 'visits'") for note in run["notes"])


@pytest.mark.slow
def test_a_stored_run_rebuilds_the_split_it_trained_on(ws, loaded, trained):
    run = ws.list_runs(loaded)[0]
    rebuilt = stored_run(ws, run["id"])
    assert rebuilt.split.sizes() == {k: run["split"][k] for k in rebuilt.split.sizes()}
    assert (len(rebuilt.split.train), len(rebuilt.split.valid)) == (run["split"]["train"], run["split"]["valid"])
    assert [c.name for c in rebuilt.data.features] == ["age", "plan", "visits", "signup"]


def test_one_click_automl_starts_the_engine_policy_and_keeps_the_users_losses(ws, loaded, monkeypatch):
    projects.save_settings(ws, loaded, {"models": ["linear"], "losses": {"random_forest": "log_loss"}})
    spawned = []
    monkeypatch.setattr(training, "spawn_worker", lambda ws, job_id: spawned.append(job_id) or 1)
    job = training.start_automl(ws, loaded, time_budget=60, seed=7)
    assert spawned == [job["id"]]
    settings = projects.project_settings(ws, loaded)
    assert {k: settings[k] for k in AUTOML_SEARCH} == AUTOML_SEARCH
    assert settings["models"] == ["baseline", *AUTOML_FAMILIES]  # the policy's families, the baseline first
    assert (settings["cv_folds"], settings["seed"], settings["time_budget"]) == (3, 7, 60)
    assert settings["losses"] == {"random_forest": "log_loss"}


@pytest.mark.parametrize(("budget", "expected"), [
    pytest.param(None, {"cv_folds": 3, "seed": 0, "time_budget": None}, id="no-budget"),
    pytest.param(20, {"cv_folds": 0, "seed": 0, "time_budget": 15.01}, id="short-budget-holdout-only"),
])
def test_budget_settings_without_a_search(budget, expected):
    # 20 s: 2 s of start-up, then the fixed part of the work after training kept (policy.post_search_floor: the
    # files, the calibrator and the process exit, 2.99 s)
    assert budget_settings("classification", budget, seed=0, elapsed=2.0) == pytest.approx(expected)


def test_a_budget_of_30_seconds_or_more_searches_with_the_automl_policy():
    assert budget_settings("regression", 40, seed=1, elapsed=2.0) == automl_settings("regression", time_budget=38.0,
                                                                                        seed=1)
    assert budget_settings("classification", 30, seed=0, elapsed=30.0)["time_budget"] == 0.5  # never below


@pytest.mark.slow
def test_a_training_job_holds_only_the_winners_fitted_model_after_the_search(ws, loaded, keep_sigterm, monkeypatch):
    """Regression: every family's fitted model stayed in memory through the winner's calibration check and exports,
    though each was saved as it came; after the search the job holds the winner's alone (the others are stored)."""
    import gc
    import weakref

    projects.save_settings(ws, loaded, {"models": ["linear", "decision_tree", "knn"], "cv_folds": 0})
    refs: list[weakref.ref] = []
    search = training.train_or_tune

    def recording_search(run, **kwargs):
        candidates = search(run, **kwargs)
        refs.extend(weakref.ref(c.pipeline) for c in candidates if c.pipeline is not None)
        return candidates

    alive = []
    calibrate = training.calibrate_best

    def recording_calibrate(run, best, fitted, deadline, **kwargs):
        gc.collect()
        alive.append(sorted(type(ref().named_steps["model"]).__name__ for ref in refs if ref() is not None))
        return calibrate(run, best, fitted, deadline, **kwargs)

    monkeypatch.setattr(training, "train_or_tune", recording_search)
    monkeypatch.setattr(training, "calibrate_best", recording_calibrate)
    job = ws.create_job(loaded, "train")
    training.run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded" and len(refs) == 4
    assert len(alive) == 1 and len(alive[0]) == 1  # the winner's pipeline only
    stored = [m for m in ws.list_models(loaded) if m["status"] == "ok"]
    assert len(stored) == 4 and all(m["sha256"] for m in stored)  # every family's model was still saved
