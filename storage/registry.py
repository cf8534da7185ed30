"""The model registry: each model's stage and the history of a project's champions.

A stage is "champion", "challenger", "archived" or NULL (an ordinary leaderboard model). Changing the champion
updates the stages, ``projects.champion_model_id`` and the history in ONE transaction, so a page, a background
job and the REST server never see half a promotion.

>>> import tempfile
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> first, second = (ws.add_model(project["id"], None, family="linear", status="ok")["id"] for _ in range(2))
>>> _ = set_champion(ws, project["id"], first, reason="first")
>>> _ = set_champion(ws, project["id"], second, reason="promote")
>>> [(h["model_id"], h["previous_model_id"]) for h in champion_history(ws, project["id"])]
[(1, None), (2, 1)]
>>> stages(ws, project["id"])
{1: 'archived', 2: 'champion'}
"""

from __future__ import annotations

from storage.db import open_db, write_db
from storage.workspace import Workspace, now

__all__ = ["STAGES", "champion_history", "mark_challenger", "set_champion", "stages"]

STAGES = ("champion", "challenger", "archived")
REASONS = ("first", "promote", "rollback")


def set_champion(ws: Workspace, project_id: int, model_id: int, *, reason: str) -> dict:
    """Make ``model_id`` the champion: the previous one archived, the project pointing at it, a history row.

    Returns the history row. ``reason`` is "first", "promote" or "rollback".
    """
    if reason not in REASONS:
        raise ValueError(f"The 'reason' parameter of set_champion must be one of {REASONS}. Got {reason!r} instead.")
    previous = ws.get_project(project_id)["champion_model_id"]
    stamp = now()
    with write_db(ws.db_path) as db:
        if previous and previous != model_id:
            db.execute("UPDATE models SET stage = 'archived' WHERE id = ?", [previous])
        db.execute("UPDATE models SET stage = 'champion' WHERE id = ?", [model_id])
        db.execute("UPDATE projects SET champion_model_id = ?, updated_at = ? WHERE id = ?",
                   [model_id, stamp, project_id])
        row_id = db["champion_history"].insert({
            "project_id": project_id, "model_id": model_id, "previous_model_id": previous,
            "promoted_at": stamp, "reason": reason}).last_pk
    return next(h for h in champion_history(ws, project_id) if h["id"] == row_id)


def mark_challenger(ws: Workspace, project_id: int, model_id: int) -> None:
    """Make ``model_id`` the project's challenger; an earlier challenger that was never promoted is archived."""
    with write_db(ws.db_path) as db:
        db.execute("UPDATE models SET stage = 'archived' WHERE project_id = ? AND stage = 'challenger'",
                   [project_id])
        db.execute("UPDATE models SET stage = 'challenger' WHERE id = ? AND project_id = ?", [model_id, project_id])


def champion_history(ws: Workspace, project_id: int) -> list[dict]:
    """Every change of the project's champion, oldest first."""
    with open_db(ws.db_path) as db:
        return list(db["champion_history"].rows_where("project_id = ?", [project_id], order_by="id"))


def stages(ws: Workspace, project_id: int) -> dict[int, str]:
    """``{model_id: stage}`` of the project's models that have one."""
    with open_db(ws.db_path) as db:
        rows = db.execute("SELECT id, stage FROM models WHERE project_id = ? AND stage IS NOT NULL ORDER BY id",
                          [project_id]).fetchall()
    return {int(model_id): stage for model_id, stage in rows}
