"""Fixtures for the use-case layer: projects with data, a problem, and a model trained in-process."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from engine import Problem
from tests.champion import confirm_champion
from usecases import advice, projects
from usecases.jobs import ACTIVE, is_worker_alive, refresh_job
from usecases.training import run_training_job

FAST_SETTINGS = {"models": ["linear"], "cv_folds": 0}


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    """Numeric libraries on one thread, here and in worker processes: faster on a small shared machine."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")
    with threadpool_limits(1):
        yield


@pytest.fixture
def churn_csv(data_dir) -> bytes:
    """30 rows: an ID, an age with 2 gaps, a plan with 1 gap, visits that separate the classes, a date."""
    return (data_dir / "tiny_churn.csv").read_bytes()


@pytest.fixture
def project(ws) -> dict:
    return ws.create_project("Churn")


@pytest.fixture
def loaded(ws, project, churn_csv) -> int:
    """A project with tiny_churn.csv imported and 'churned' as its target; returns the project id."""
    projects.import_file(ws, project["id"], churn_csv, "tiny_churn.csv")
    projects.set_problem(ws, project["id"], Problem("churned", "classification", "accuracy"))
    return project["id"]


@pytest.fixture
def keep_sigterm():
    """run_training_job installs a SIGTERM handler; put the test process's own back afterwards."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def trained(ws, loaded, keep_sigterm) -> dict:
    """``loaded`` after one training job run in this process (baseline + linear), its best model confirmed as the
    champion as on Evaluate; returns the job.

    'visits' separates the classes perfectly, so the leakage audit would leave it out; these tests
    keep it on purpose, as a user can.
    """
    advice.set_leak_kept(ws, loaded, "visits", True)
    projects.save_settings(ws, loaded, FAST_SETTINGS)
    job = ws.create_job(loaded, "train")
    run_training_job(ws, job["id"])
    confirm_champion(ws, loaded)
    return ws.get_job(job["id"])


def _wait_for(ws, job_id: int, done=lambda job: job["status"] not in ACTIVE, timeout: float = 180) -> dict:
    """Poll a job as a page would, until ``done(job)`` or the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        job = refresh_job(ws, job_id)
        if done(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s: {job['message']}")
        time.sleep(0.2)


def _exited(pid: int | None) -> bool:
    """True once ``pid`` has finished: gone, or a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, TypeError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.fixture
def wait_for(ws):
    """``wait_for(ws, job_id, done=..., timeout=...)``: poll a job until it is done.

    Afterwards no worker this test started outlives it: each is given a few seconds to exit, then
    killed by its PID, and reaped.
    """
    yield _wait_for
    for job in ws.list_jobs():
        deadline = time.monotonic() + 10
        while not _exited(job["pid"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        if is_worker_alive(job["pid"], job["id"]):
            os.kill(job["pid"], signal.SIGKILL)
        _wait_for(ws, job["id"], done=lambda j: _exited(j["pid"]), timeout=10)
        refresh_job(ws, job["id"])  # reaps the exited process


@pytest.fixture
def churn_champion(ws, keep_sigterm) -> dict:
    """A project on the bundled churn sample (1,500 rows, a customer_id key) after one quick training job, its
    best model confirmed as the champion; returns the project, whose ``champion_model_id`` is that model."""
    project = ws.create_project("Churn")
    projects.import_sample(ws, project["id"], "customer_churn")
    projects.save_settings(ws, project["id"], FAST_SETTINGS)
    job = ws.create_job(project["id"], "train")
    run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded"
    confirm_champion(ws, project["id"])
    return ws.get_project(project["id"])
