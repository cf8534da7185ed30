"""Models and the model registry: each model's files, its decision threshold, its stage, the champion history.

A stage is "champion", "challenger", "archived" or NULL (an ordinary leaderboard model). Changing the champion
updates the stages, ``projects.champion_model_id`` and the history in ONE transaction, so a page, a background
job and the REST server never see half a promotion.

>>> import tempfile
>>> from storage import Workspace
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> first, second = (ws.add_model(project["id"], None, family="linear", status="ok")["id"] for _ in range(2))
>>> _ = ws.set_champion(project["id"], first, reason="first")
>>> _ = ws.set_champion(project["id"], second, reason="promote")
>>> [(h["model_id"], h["previous_model_id"]) for h in ws.champion_history(project["id"])]
[(1, None), (2, 1)]
>>> ws.model_stages(project["id"])
{1: 'archived', 2: 'champion'}
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from storage.db import open_db, write_db
from storage.errors import NotFoundError
from storage.files import read_model_dir, read_parquet, write_model_dir, write_parquet
from storage.records import Records, now

__all__ = ["REASONS", "STAGES", "ModelRegistry"]

STAGES = ("champion", "challenger", "archived")
REASONS = ("first", "promote", "rollback")


class ModelRegistry(Records):
    """Models of a project's runs, their files and their place in the registry."""

    def add_model(self, project_id: int, run_id: int | None, *, family: str, status: str,
                  pipeline=None, card: dict | None = None, predictions: pd.DataFrame | None = None,
                  **values) -> dict:
        """Register a trained (or failed) model; a fitted pipeline is written as a model directory."""
        record = self._insert("models", {"project_id": project_id, "run_id": run_id, "family": family,
                                         "status": status, "created_at": now(), **values})
        if pipeline is None:
            return record
        folder = self.project_dir(project_id) / "models" / str(record["id"])
        try:
            digest = write_model_dir(folder, pipeline, {**(card or {}), "model_id": record["id"]})
            if predictions is not None:
                write_parquet(predictions, folder / "valid_predictions.parquet")
            size = (folder / "model.joblib").stat().st_size
            return self.update_model(record["id"], path=str(folder.relative_to(self.home)), sha256=digest,
                                     size_bytes=size)
        except BaseException:  # failed or cancelled mid-write: leave no "ok" model without its files
            self._delete("models", record["id"])
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def get_model(self, model_id: int) -> dict:
        return self._get("models", model_id)

    def update_model(self, model_id: int, **values) -> dict:
        return self._update("models", model_id, values)

    def list_models(self, project_id: int, run_id: int | None = None) -> list[dict]:
        if run_id is None:
            return self._rows("models", "project_id = ?", [project_id])
        return self._rows("models", "project_id = ? AND run_id = ?", [project_id, run_id])

    def model_dir(self, model_id: int) -> Path:
        record = self.get_model(model_id)
        if not record["path"]:
            raise NotFoundError(f"Model {model_id} has no stored file (its training {record['status']}).")
        return self.home / record["path"]

    def load_model(self, model_id: int) -> tuple[object, dict]:
        """(pipeline, card) of a stored model, verified against the sha256 in the database."""
        record = self.get_model(model_id)
        return read_model_dir(self.model_dir(model_id), record["sha256"])

    def load_predictions(self, model_id: int) -> pd.DataFrame:
        """The validation predictions saved with a model."""
        return read_parquet(self.model_dir(model_id) / "valid_predictions.parquet")

    def set_threshold(self, model_id: int, threshold: float | None) -> dict:
        """Keep a binary model's decision threshold (P(positive) >= it is positive); None forgets it."""
        if threshold is not None and not (isinstance(threshold, int | float) and 0 < threshold < 1):
            raise ValueError(f"A decision threshold must be a number in (0, 1). Got {threshold!r} instead.")
        return self.update_model(model_id, decision_threshold=None if threshold is None else float(threshold))

    # -- the registry ---------------------------------------------------------------------
    def set_champion(self, project_id: int, model_id: int, *, reason: str) -> dict:
        """Make ``model_id`` the champion: the previous one archived, the project pointing at it, a history row.

        Returns the history row. ``reason`` is "first", "promote" or "rollback".
        """
        if reason not in REASONS:
            raise ValueError(f"The 'reason' parameter of set_champion must be one of {REASONS}. "
                             f"Got {reason!r} instead.")
        previous = self._get("projects", project_id)["champion_model_id"]
        stamp = now()
        with write_db(self.db_path) as db:
            if previous and previous != model_id:
                db.execute("UPDATE models SET stage = 'archived' WHERE id = ?", [previous])
            db.execute("UPDATE models SET stage = 'champion' WHERE id = ?", [model_id])
            db.execute("UPDATE projects SET champion_model_id = ?, updated_at = ? WHERE id = ?",
                       [model_id, stamp, project_id])
            row_id = db["champion_history"].insert({
                "project_id": project_id, "model_id": model_id, "previous_model_id": previous,
                "promoted_at": stamp, "reason": reason}).last_pk
        return self._get("champion_history", row_id)

    def mark_challenger(self, project_id: int, model_id: int) -> None:
        """Make ``model_id`` the project's challenger; an earlier challenger never promoted is archived."""
        with write_db(self.db_path) as db:
            db.execute("UPDATE models SET stage = 'archived' WHERE project_id = ? AND stage = 'challenger'",
                       [project_id])
            db.execute("UPDATE models SET stage = 'challenger' WHERE id = ? AND project_id = ?",
                       [model_id, project_id])

    def champion_history(self, project_id: int) -> list[dict]:
        """Every change of the project's champion, oldest first."""
        return self._rows("champion_history", "project_id = ?", [project_id])

    def model_stages(self, project_id: int) -> dict[int, str]:
        """``{model_id: stage}`` of the project's models that have one."""
        with open_db(self.db_path) as db:
            rows = db.execute("SELECT id, stage FROM models WHERE project_id = ? AND stage IS NOT NULL "
                              "ORDER BY id", [project_id]).fetchall()
        return {int(model_id): stage for model_id, stage in rows}
