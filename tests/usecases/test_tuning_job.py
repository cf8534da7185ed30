"""A training job with a hyper-parameter search: studies in the workspace, tuned models with their trials."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine import TrainingError
from engine.train.tuning_report import best_so_far_figure, trials_table
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
    assert "Trial 6 of at most 6 done" in job["log"]
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
    figure = best_so_far_figure(studies, "Accuracy", True)  # one series per family, one best of every model
    assert sorted(t.name for t in figure.data) == ["Best so far, any model", "Decision tree",
                                                   "Logistic / linear regression"]
    assert "python -m engine worker --study run1-decision_tree --storage sqlite:///" in tuning.worker_command(
        ws, studies[0])


def test_a_job_without_search_has_no_studies(ws, trained):
    assert tuning.job_studies(ws, trained["id"]) == []


def _tuned_job(ws, project_id, **settings) -> dict:
    advice.set_leak_kept(ws, project_id, "visits", True)
    projects.save_settings(ws, project_id, {"models": ["decision_tree"], "cv_folds": 2, "search": "random",
                                            "n_trials": 3, "pruner": "none", **settings})
    job = ws.create_job(project_id, "train")
    run_training_job(ws, job["id"])
    return ws.get_job(job["id"])


def test_extending_a_run_continues_its_study_with_new_points(ws, loaded, keep_sigterm):
    first = _tuned_job(ws, loaded)
    run = ws.list_runs(loaded)[0]
    params_before = [t.params for t in tuning.job_studies(ws, first["id"])[0].trials]
    job = ws.create_job(loaded, "extend", {"run_id": run["id"], "n_trials": 4, "time_budget": None})
    run_training_job(ws, job["id"])
    job = ws.get_job(job["id"])
    assert job["status"] == "succeeded", job["log"]
    extension = ws.list_runs(loaded)[0]
    assert extension["extends"] == run["id"] and extension["study"] == run["study"] == f"run{run['id']}"
    assert f"Continues the search of run {run['id']} (4 more trials)" in extension["notes"][0]
    studies = tuning.job_studies(ws, job["id"])
    assert [s.study_name for s in studies] == [f"run{run['id']}-decision_tree"]
    trials = studies[0].trials
    assert len(trials) == 7 and [t.params for t in trials[:3]] == params_before
    assert [t.params for t in trials[3:6]] != params_before  # the resumed sampler does not replay its seed
    assert {m["family"] for m in ws.list_models(loaded, extension["id"])} == {"baseline", "decision_tree"}


def test_extend_training_refuses_a_run_without_search(ws, trained):
    from usecases.training import extend_training

    run = ws.list_runs(trained["project_id"])[0]
    with pytest.raises(TrainingError, match="without a search"):
        extend_training(ws, trained["project_id"], run["id"], n_trials=5)


def test_a_cancelled_search_still_refits_its_best_parameters(ws, loaded, keep_sigterm, monkeypatch):
    import usecases.training as training_module

    original, reports = training_module.tune_candidates, []

    def tune(*args, progress, **kwargs):
        def spy(fraction, message):
            progress(fraction, message)
            if message.startswith("Trial "):
                reports.append(message)
                if len(reports) == 2:
                    os.kill(os.getpid(), signal.SIGTERM)  # what cancel_job sends to the worker
        return original(*args, progress=spy, **kwargs)

    monkeypatch.setattr(training_module, "tune_candidates", tune)
    job = _tuned_job(ws, loaded, n_trials=50)
    assert job["status"] == "cancelled", job["log"]
    assert job["message"].startswith("Cancelled: the search stopped early and its best parameters so far were "
                                     "refitted; the winner is")
    trials = tuning.job_studies(ws, job["id"])[0].trials
    assert 2 <= len(trials) <= 3
    models = {m["family"]: m for m in ws.list_models(loaded)}
    assert models["decision_tree"]["status"] == "ok"


def test_a_tuned_model_and_its_run_replay_exactly(ws, loaded, keep_sigterm):
    from usecases.replay import verify_model

    _tuned_job(ws, loaded, models=["decision_tree", "random_forest"], ensemble=True)
    models = [m for m in ws.list_models(loaded) if m["status"] == "ok"]
    assert {m["family"] for m in models} >= {"baseline", "decision_tree", "random_forest"}
    for model in models:
        check = verify_model(ws, model["id"])
        assert check.match, (model["family"], check.message)
        assert check.predictions_same == 1.0 and check.metrics["same"].all() and len(check.metrics) >= 5
        assert check.message.startswith("Reproduced: all")


def test_a_replay_reports_a_mismatch_when_the_model_file_differs(ws, trained, monkeypatch):
    from usecases import replay

    model = next(m for m in ws.list_models(trained["project_id"]) if m["family"] == "linear")
    card = replay.read_card(ws.model_dir(model["id"]))
    monkeypatch.setattr(replay, "read_card", lambda d: {**card, "tuning": {"params": {"C": 1e-4}}})
    check = replay.verify_model(ws, model["id"])
    assert not check.match and check.message.startswith("Not reproduced: ")


def test_verify_from_the_command_line(ws, trained, capsys, tmp_path):
    from usecases.cli import main

    model = next(m for m in ws.list_models(trained["project_id"]) if m["family"] == "linear")
    assert main(["verify", "--workspace", str(ws.home), "--model", str(model["id"])]) == 0
    assert "Reproduced: all" in capsys.readouterr().out
    assert main(["verify", "--workspace", str(tmp_path / "nowhere"), "--model", "1"]) == 1
    assert "There is no workspace at" in capsys.readouterr().err


def test_verify_exits_3_with_the_differing_metric_when_a_stored_model_does_not_reproduce(ws, trained):
    """Issue 17 item 13: `python -m engine verify` as a scheduler runs it: exit 3 and the metric that moved."""
    model = next(m for m in ws.list_models(trained["project_id"]) if m["family"] == "linear")
    stored = model["valid_metrics"]
    ws.update_model(model["id"], valid_metrics={**stored, "accuracy": stored["accuracy"] + 0.25})  # not what it did
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-m", "engine", "verify", "--workspace", str(ws.home), "--model",
                             str(model["id"])], cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 3, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last == (f"Not reproduced: accuracy {stored['accuracy'] + 0.25:.6g} → {stored['accuracy']:.6g}."), last
    table = result.stdout.splitlines()[0].split()
    assert table == ["metric", "stored", "replayed", "difference", "same"]
    assert sum(line.split()[-1] == "False" for line in result.stdout.splitlines()[1:-1]) == 1


def test_a_cancel_while_the_best_model_is_exported_cancels_the_job(ws, loaded, keep_sigterm, monkeypatch):
    """Issue 17 item 13 (found by its browser test): a Cancel that arrived while the ONNX file was checked was
    swallowed by the converter's broad error handler and the job ended "failed: Training crashed: IndexError"."""
    import engine.deploy.export as export_module

    def cancelled(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # what cancel_job sends to the worker, during the check
        raise AssertionError("SIGTERM did not stop the job")

    monkeypatch.setattr(export_module, "check_onnx", cancelled)
    projects.save_settings(ws, loaded, {"models": ["linear"], "cv_folds": 0})
    job = ws.create_job(loaded, "train")
    run_training_job(ws, job["id"])
    job = ws.get_job(job["id"])
    assert (job["status"], job["message"]) == ("cancelled", "Cancelled; finished models are kept."), job["log"]
