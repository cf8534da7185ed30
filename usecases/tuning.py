"""Tuning use cases: the Optuna studies behind a training job, for the Train page and for workers."""

from __future__ import annotations

from typing import NamedTuple

import optuna

from engine import Candidate, TrainingError, best_candidate
from engine.data.redaction import redact_url
from engine.train.tuning import open_storage
from storage import Workspace
from usecases.training import study_name

__all__ = ["RunChoice", "job_run", "job_studies", "run_choice", "worker_command"]


class RunChoice(NamedTuple):
    """What a finished run chose: the winning family (``winner``), each model's validation score (``validation``),
    why each chosen family has no model (``missing``: family -> the run's note), and why no ensemble was kept
    (``ensemble``: empty when one was, or none was tried)."""

    winner: str | None
    validation: dict[str, float]
    missing: dict[str, str]
    ensemble: str


def job_run(ws: Workspace, job_id: int) -> dict | None:
    """The run a training job started, or None (the job has not got that far, or failed before)."""
    runs = [r for r in ws.list_runs(ws.get_job(job_id)["project_id"]) if r["job_id"] == job_id]
    return runs[0] if runs else None


def job_studies(ws: Workspace, job_id: int) -> list[optuna.Study]:
    """The studies of the run a job started (none for a job without a search). An extension's run
    shares the studies of the run it extends."""
    run = job_run(ws, job_id)
    if run is None:
        return []
    prefix = (run.get("study") or study_name(run["id"])) + "-"
    storage = open_storage(ws.studies_url())
    names = [s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)
             if s.study_name.startswith(prefix)]
    return [optuna.load_study(study_name=name, storage=storage) for name in sorted(names)]


def worker_command(ws: Workspace, study: optuna.Study) -> str:
    """The command that adds a worker process to ``study`` on this machine.

    A storage URL holding a password is not printed: the command reads it from ``$WORKBENCH_STUDIES_URL``, where
    the workbench found it.
    """
    url = ws.studies_url()
    storage = url if redact_url(url) == url else '"$WORKBENCH_STUDIES_URL"'
    return f"python -m engine worker --study {study.study_name} --storage {storage} --timeout 600 --worker 2"


def run_choice(ws: Workspace, job_id: int, metric: str) -> RunChoice | None:
    """What the run a finished job started chose among its models (None before it has stored any)."""
    run = job_run(ws, job_id)
    models = [] if run is None else ws.list_models(run["project_id"], run["id"])
    if not models:
        return None
    candidates = [Candidate(m["family"], m["status"], None, m["cv_scores"] or [], m["valid_metrics"] or {}, None,
                            m["fit_seconds"] or 0.0, m["error"] or "") for m in models]
    stored = {m["id"]: m["family"] for m in models}.get(run.get("winner_model_id"))
    try:  # the winner the run stored (calibration may have changed its validation scores since); older runs: the rule
        winner = stored or best_candidate(candidates, metric).model
    except TrainingError:
        winner = None
    validation = {c.model: c.valid_metrics[metric] for c in candidates
                  if c.status == "ok" and metric in c.valid_metrics}
    missing = {c.model: c.error for c in candidates if c.status != "ok" and c.model not in ("baseline", "ensemble")}
    ensemble = next((c.error for c in candidates if c.model == "ensemble" and c.status != "ok"), "")
    return RunChoice(winner, validation, missing, ensemble)
