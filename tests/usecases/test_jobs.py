"""Background jobs: real worker processes for training, and how dead, killed or cancelled ones end."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta

import pytest

from engine import TrainingError
from storage import sha256_file
from usecases import evaluation, projects
from usecases.jobs import cancel_job, is_worker_alive, refresh_job
from usecases.training import start_training

INTERRUPTED = "Interrupted: its process stopped (server restart or crash). Start it again."


# -- without a worker --------------------------------------------------------------------------
def test_is_worker_alive_checks_the_command_line():
    assert not is_worker_alive(None, 1)
    assert not is_worker_alive(os.getpid(), 1)  # alive, but this is pytest, not a worker
    assert not is_worker_alive(2**22 + 12345, 1)  # no such process


def test_a_worker_waits_for_openmp_threads_without_spinning(ws, project, monkeypatch):
    # Spinning OpenMP threads made a histogram boosting fit 30x slower on busy cores (see spawn_worker).
    from usecases import jobs

    seen = []

    class Recorded:
        pid = 4321

        def __init__(self, args, env, **kwargs):
            seen.append(env)

        def poll(self):
            return None

    monkeypatch.setattr(jobs.subprocess, "Popen", Recorded)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    job = ws.create_job(project["id"], "train")
    assert jobs.spawn_worker(ws, job["id"]) == 4321
    assert seen[0]["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")  # a user's own choice wins
    jobs.spawn_worker(ws, job["id"])
    assert seen[1]["OMP_WAIT_POLICY"] == "ACTIVE"
    jobs._CHILDREN[:] = [child for child in jobs._CHILDREN if not isinstance(child, Recorded)]


def test_a_fresh_queued_job_without_a_process_waits(ws, project):
    job = ws.create_job(project["id"], "train")
    assert refresh_job(ws, job["id"])["status"] == "queued"


def test_a_stale_queued_job_is_interrupted(ws, project):
    job = ws.create_job(project["id"], "train")
    ws.update_job(job["id"], created_at=(datetime.now(UTC) - timedelta(minutes=2)).isoformat())
    job = refresh_job(ws, job["id"])
    assert (job["status"], job["message"]) == ("interrupted", INTERRUPTED)
    assert job["finished_at"]


def test_a_running_job_whose_process_is_gone_is_interrupted(ws, project):
    job = ws.create_job(project["id"], "train")
    ws.update_job(job["id"], status="running", pid=os.getpid())  # a live PID that is not this job's worker
    assert refresh_job(ws, job["id"])["status"] == "interrupted"


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled", "interrupted"])
def test_finished_jobs_are_left_alone(ws, project, status):
    job = ws.create_job(project["id"], "train")
    ws.update_job(job["id"], status=status, message="as it was")
    assert refresh_job(ws, job["id"])["message"] == "as it was"
    assert cancel_job(ws, job["id"])["status"] == status


def test_cancelling_a_job_whose_process_is_gone_ends_cancelled(ws, project):
    job = ws.create_job(project["id"], "train")
    ws.update_job(job["id"], status="running", pid=os.getpid())
    ws.update_job(job["id"], status="cancelling")
    job = refresh_job(ws, job["id"])
    assert (job["status"], job["message"]) == ("cancelled", "Cancelled; finished models are kept.")


def test_cancel_of_a_job_that_never_started(ws, project):
    job = ws.create_job(project["id"], "train")
    assert cancel_job(ws, job["id"])["status"] == "cancelling"
    assert refresh_job(ws, job["id"])["status"] == "cancelled"


# -- real worker processes ---------------------------------------------------------------------
@pytest.mark.slow
def test_start_training_runs_a_background_worker_to_the_end(ws, loaded, wait_for):
    job = start_training(ws, loaded, {"models": ["linear"], "cv_folds": 2})
    assert job["status"] in ("queued", "running") and job["pid"]
    assert is_worker_alive(job["pid"], job["id"])
    with pytest.raises(TrainingError, match=f"Training job {job['id']} is still running; wait for it or cancel it."):
        start_training(ws, loaded, {"models": ["linear"]})

    job = wait_for(ws, job["id"])

    assert job["status"] == "succeeded", (job["message"], (ws.home / "jobs" / f"{job['id']}.log").read_text())
    assert job["progress"] == 1.0
    models = ws.list_models(loaded)
    assert [(m["family"], m["status"]) for m in models] == [("baseline", "ok"), ("linear", "ok")]
    for model in models:
        assert model["sha256"] == sha256_file(ws.model_dir(model["id"]) / "model.joblib")
        assert len(model["cv_scores"]) == 2
    # The run chose no champion: Evaluate proposes the run's winner and the analyst confirms it.
    assert ws.get_project(loaded)["champion_model_id"] is None
    proposed = evaluation.proposed_champion(ws, loaded).model_id
    # the winner by the mean over the 2 folds: the majority class (0.545) over the linear model (0.5), which
    # lost 'visits' to the leakage audit
    assert proposed == ws.list_runs(loaded)[0]["winner_model_id"] == models[0]["id"]
    assert ws.get_project(loaded)["settings"]["models"] == ["baseline", "linear"]


@pytest.mark.slow
def test_a_killed_worker_ends_interrupted(ws, project, wait_for):
    projects.import_sample(ws, project["id"], "customer_churn")
    job = start_training(ws, project["id"], {"models": ["random_forest"], "cv_folds": 5})
    job = wait_for(ws, job["id"], done=lambda j: j["status"] != "queued")
    assert job["status"] == "running"

    os.kill(job["pid"], signal.SIGKILL)
    job = wait_for(ws, job["id"], timeout=30)

    assert (job["status"], job["message"]) == ("interrupted", INTERRUPTED)
    assert job["finished_at"]
    assert not is_worker_alive(job["pid"], job["id"])


@pytest.mark.slow
def test_a_worker_killed_before_it_starts_ends_interrupted(ws, loaded, wait_for):
    job = start_training(ws, loaded, {"models": ["linear"]})
    os.kill(job["pid"], signal.SIGKILL)
    assert wait_for(ws, job["id"], timeout=30)["status"] == "interrupted"


@pytest.mark.slow
def test_cancel_keeps_the_models_finished_so_far(ws, project, wait_for):
    projects.import_sample(ws, project["id"], "customer_churn")
    job = start_training(ws, project["id"], {"models": ["linear", "random_forest", "gradient_boosting"],
                                             "cv_folds": 5})
    wait_for(ws, job["id"], done=lambda j: any(m["sha256"] for m in ws.list_models(project["id"]))
             or j["status"] not in ("queued", "running"))

    assert cancel_job(ws, job["id"])["status"] == "cancelling"
    job = wait_for(ws, job["id"], timeout=60)

    assert (job["status"], job["message"]) == ("cancelled", "Cancelled; finished models are kept.")
    models = ws.list_models(project["id"])
    assert 1 <= len(models) < 4
    assert models[0]["family"] == "baseline"
    for model in models:
        pipeline, card = ws.load_model(model["id"])  # each kept model is complete and verified
        assert card["family"] == model["family"]
    assert ws.get_project(project["id"])["champion_model_id"] is None
