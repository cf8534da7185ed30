"""A training job with a hyper-parameter search: studies in the workspace, tuned models with their trials."""

from __future__ import annotations

from engine.tuning_report import best_so_far_figure, trials_table
from usecases import advice, projects, tuning
from usecases.training import run_training_job


def test_a_tuning_job_saves_tuned_models_and_its_studies(ws, loaded, keep_sigterm):
    advice.set_leak_kept(ws, loaded, "visits", True)
    projects.save_settings(ws, loaded, {"models": ["linear", "decision_tree"], "cv_folds": 2, "search": "random",
                                        "n_trials": 3, "pruner": "none"})
    job = ws.create_job(loaded, "train")
    run_training_job(ws, job["id"])
    job = ws.get_job(job["id"])
    assert job["status"] == "succeeded", job["log"]
    assert "Trial 6 of 6 done" in job["log"]
    models = {m["family"]: m for m in ws.list_models(loaded)}
    assert set(models) == {"baseline", "linear", "decision_tree"}
    _, card = ws.load_model(models["decision_tree"]["id"])
    assert set(card["tuning"]["params"]) == {"max_depth", "min_samples_leaf"}
    assert card["params"]["max_depth"] == card["tuning"]["params"]["max_depth"]
    assert len(models["decision_tree"]["cv_scores"]) == 2
    studies = tuning.job_studies(ws, job["id"])
    assert [s.study_name.split("-", 1)[1] for s in studies] == ["decision_tree", "linear"]
    table = trials_table(studies)
    assert len(table) == 6 and set(table["state"]) == {"complete"}
    assert len(best_so_far_figure(studies, "Accuracy", True).data) == 4
    assert "python -m engine worker --study run1-decision_tree --storage sqlite:///" in tuning.worker_command(
        ws, studies[0])


def test_a_job_without_search_has_no_studies(ws, trained):
    assert tuning.job_studies(ws, trained["id"]) == []
