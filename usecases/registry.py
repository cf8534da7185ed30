"""The model registry of a project: its champion, its challenger (a retrained model waiting to be compared and
promoted) and the archived models that once were either, with a rollback to the previous champion.

This is the ONE way the champion changes, and only the analyst changes it: "Make champion" on Evaluate
(``evaluation.set_champion``), "Promote challenger" and "Roll back" on Monitor all go through ``promote`` /
``rollback``, which record every change. No training run sets a champion by itself. (A history row with reason
"first" is a champion an older version set automatically after a project's first run: see
``evaluation.champion_origin``.) No version's files are ever deleted, so any of them can come back.
"""

from __future__ import annotations

import pandas as pd

from engine import ModelError, model_label
from storage import Workspace

__all__ = ["challenger", "mark_challenger", "previous_champion", "promote", "rollback", "versions"]


def _trained_model(ws: Workspace, project_id: int, model_id: int) -> dict:
    model = ws.get_model(model_id)
    if model["project_id"] != project_id or model["status"] != "ok":
        raise ModelError(f"Model {model_id} is not a trained model of this project.")
    return model


def promote(ws: Workspace, project_id: int, model_id: int, *, reason: str = "promote") -> dict:
    """Make ``model_id`` the champion (the model deployed, tested and monitored); the previous champion is
    archived and the change recorded. Returns the project."""
    _trained_model(ws, project_id, model_id)
    if ws.get_project(project_id)["champion_model_id"] == model_id:
        return ws.get_project(project_id)
    ws.set_champion(project_id, model_id, reason=reason)
    return ws.get_project(project_id)


def mark_challenger(ws: Workspace, project_id: int, model_id: int) -> None:
    """Make ``model_id`` the challenger (never the champion: that takes a ``promote``)."""
    _trained_model(ws, project_id, model_id)
    ws.mark_challenger(project_id, model_id)


def challenger(ws: Workspace, project_id: int) -> int | None:
    """The id of the project's current challenger, or None."""
    return next((m for m, stage in ws.model_stages(project_id).items() if stage == "challenger"), None)


def previous_champion(ws: Workspace, project_id: int) -> int | None:
    """The champion before the current one (what ``rollback`` goes back to), or None.

    Rollbacks do not count as promotions: after C replaced B which replaced A, two rollbacks give B, then A.
    """
    current = ws.get_project(project_id)["champion_model_id"]
    history = [h for h in ws.champion_history(project_id) if h["model_id"] == current
               and h["reason"] != "rollback"]
    return history[-1]["previous_model_id"] if history else None


def rollback(ws: Workspace, project_id: int) -> dict:
    """Bring the previous champion back; the current one is archived. Returns the project."""
    previous = previous_champion(ws, project_id)
    if previous is None:
        raise ModelError("This project has no earlier champion to roll back to: its champion is the first one.")
    ws.set_champion(project_id, previous, reason="rollback")
    return ws.get_project(project_id)


def versions(ws: Workspace, project_id: int) -> pd.DataFrame:
    """Every model that was ever champion or challenger, newest first: stage, created, the data it was trained
    on and its validation score (on its own run's validation rows).

    Columns: model_id, model, stage, created, run_id, data, metric, validation.
    """
    stages = ws.model_stages(project_id)
    for row in ws.champion_history(project_id):  # e.g. champions from before stages were kept
        stages.setdefault(row["model_id"], "archived")
    rows = []
    for model_id in sorted(stages, reverse=True):
        model = ws.get_model(model_id)
        run = ws.get_run(model["run_id"]) if model["run_id"] else {}
        dataset = ws.get_dataset(run["dataset_id"]) if run.get("dataset_id") else {}
        metric = (run.get("problem") or {}).get("metric")
        rows.append({"model_id": model_id, "model": model_label(model["family"]), "stage": stages[model_id],
                     "created": (model["created_at"] or "")[:19].replace("T", " "), "run_id": model["run_id"],
                     "data": dataset.get("name", ""), "metric": metric,
                     "validation": (model["valid_metrics"] or {}).get(metric)})
    return pd.DataFrame(rows, columns=["model_id", "model", "stage", "created", "run_id", "data", "metric",
                                       "validation"])
