"""The workspace: a folder holding ``workbench.db`` and the artifact files of every project.

>>> import tempfile
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> ws.get_project(project["id"])["name"]
'Churn'
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from storage.db import dumps, loads, migrate, open_db, write_db
from storage.errors import NameTakenError, NotFoundError
from storage.files import read_model_dir, read_parquet, write_model_dir, write_parquet

__all__ = ["Workspace", "now"]

_JSON = {
    "projects": ("problem", "column_kinds", "recipe", "settings"),
    "datasets": ("schema", "notes"),
    "jobs": ("params",),
    "runs": ("problem", "recipe", "settings", "split", "notes", "versions", "schema"),
    "models": ("cv_scores", "valid_metrics", "test_metrics"),
    "prediction_log": ("inputs", "outputs"),
    "servers": (),
}


def now() -> str:
    """UTC timestamp in ISO 8601, the format of every time column."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _decode(table: str, row: dict) -> dict:
    return {k: (loads(v) if k in _JSON[table] else v) for k, v in row.items()}


def _encode(table: str, values: dict) -> dict:
    return {k: (dumps(v) if k in _JSON[table] else v) for k, v in values.items()}


class Workspace:
    """Projects and their datasets, jobs, runs and models, in one folder."""

    def __init__(self, home: str | Path):
        self.home = Path(home).resolve()
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_path = self.home / "workbench.db"
        migrate(self.db_path)  # once per Workspace, up front: later connections only open the file

    # -- generic row access -------------------------------------------------------------
    def _insert(self, table: str, values: dict) -> dict:
        with write_db(self.db_path) as db:
            row_id = db[table].insert(_encode(table, values)).last_pk
        return self._get(table, row_id)

    def _get(self, table: str, row_id: int) -> dict:
        with open_db(self.db_path) as db:
            rows = list(db[table].rows_where("id = ?", [row_id]))
        if not rows:
            raise NotFoundError(f"{table[:-1].capitalize()} {row_id} does not exist; it may have been deleted.")
        return _decode(table, rows[0])

    def _update(self, table: str, row_id: int, values: dict) -> dict:
        self._get(table, row_id)
        with write_db(self.db_path) as db:
            db[table].update(row_id, _encode(table, values))
        return self._get(table, row_id)

    def _list(self, table: str, where: str, args: list, order: str = "id") -> list[dict]:
        with open_db(self.db_path) as db:
            return [_decode(table, r) for r in db[table].rows_where(where, args, order_by=order)]

    # -- projects -------------------------------------------------------------------------
    def create_project(self, name: str) -> dict:
        """Create an empty project; names are unique and non-empty."""
        name = self._check_name(name)
        stamp = now()
        return self._insert("projects", {"name": name, "created_at": stamp, "updated_at": stamp})

    def list_projects(self) -> list[dict]:
        """All projects, most recently changed first."""
        return self._list("projects", "1 = 1", [], order="updated_at desc")

    def get_project(self, project_id: int) -> dict:
        return self._get("projects", project_id)

    def update_project(self, project_id: int, **values) -> dict:
        """Set project fields (problem, column_kinds, recipe, settings, dataset_id, champion_model_id)."""
        return self._update("projects", project_id, {**values, "updated_at": now()})

    def rename_project(self, project_id: int, name: str) -> dict:
        name = self._check_name(name, project_id)
        return self.update_project(project_id, name=name)

    def delete_project(self, project_id: int) -> None:
        """Delete a project, its records and its files."""
        self._get("projects", project_id)
        with write_db(self.db_path) as db:
            for table in ("servers", "prediction_log", "models", "runs", "jobs", "datasets"):
                db.execute(f"DELETE FROM {table} WHERE project_id = ?", [project_id])
            db.execute("DELETE FROM projects WHERE id = ?", [project_id])
        shutil.rmtree(self.project_dir(project_id), ignore_errors=True)

    def project_dir(self, project_id: int) -> Path:
        return self.home / "projects" / str(project_id)

    def _check_name(self, name: str, project_id: int | None = None) -> str:
        name = (name or "").strip()
        if not name:
            raise NameTakenError("A project needs a name; type one.")
        if len(name) > 100:
            raise NameTakenError("Project names are at most 100 characters.")
        clash = [p for p in self._list("projects", "name = ?", [name]) if p["id"] != project_id]
        if clash:
            raise NameTakenError(f"A project named '{name}' already exists; choose another name.")
        return name

    # -- datasets -------------------------------------------------------------------------
    def add_dataset(self, project_id: int, frame: pd.DataFrame, *, name: str, source: str,
                    schema: list[dict], notes: list[str]) -> dict:
        """Store ``frame`` as Parquet and register it (with schema, size and sha256)."""
        self._get("projects", project_id)
        folder = self.project_dir(project_id) / "datasets"
        path = folder / f"{now().replace(':', '').replace('.', '')}-{len(frame)}.parquet"
        digest = write_parquet(frame, path)
        return self._insert("datasets", {
            "project_id": project_id, "name": name, "source": source,
            "path": str(path.relative_to(self.home)), "sha256": digest, "n_rows": len(frame),
            "n_cols": frame.shape[1], "schema": schema, "notes": notes, "created_at": now(),
        })

    def get_dataset(self, dataset_id: int) -> dict:
        return self._get("datasets", dataset_id)

    def list_datasets(self, project_id: int) -> list[dict]:
        return self._list("datasets", "project_id = ?", [project_id])

    def load_dataset(self, dataset_id: int) -> pd.DataFrame:
        """The stored table, verified against its sha256."""
        record = self.get_dataset(dataset_id)
        return read_parquet(self.home / record["path"], record["sha256"])

    def dataset_path(self, dataset_id: int) -> Path:
        """Where a dataset's Parquet file lives (for processes that read it themselves, e.g. tuning workers)."""
        return self.home / self.get_dataset(dataset_id)["path"]

    def studies_url(self) -> str:
        """The SQLAlchemy URL of the Optuna study storage: ``$WORKBENCH_STUDIES_URL`` (e.g. a PostgreSQL
        database that workers on other machines reach), else the workspace's own SQLite file."""
        return os.environ.get("WORKBENCH_STUDIES_URL") or f"sqlite:///{self.home / 'studies.db'}"

    # -- jobs -----------------------------------------------------------------------------
    def create_job(self, project_id: int, kind: str, params: dict | None = None) -> dict:
        return self._insert("jobs", {"project_id": project_id, "kind": kind, "status": "queued",
                                     "progress": 0.0, "message": "Waiting to start", "log": "",
                                     "params": params or {}, "created_at": now()})

    def get_job(self, job_id: int) -> dict:
        return self._get("jobs", job_id)

    def update_job(self, job_id: int, **values) -> dict:
        return self._update("jobs", job_id, values)

    def append_job_log(self, job_id: int, line: str) -> None:
        with write_db(self.db_path) as db:
            db.execute("UPDATE jobs SET log = coalesce(log, '') || ? WHERE id = ?", [f"{now()} {line}\n", job_id])

    def list_jobs(self, project_id: int | None = None, status: str | None = None) -> list[dict]:
        where, args = ["1 = 1"], []
        if project_id is not None:
            where.append("project_id = ?")
            args.append(project_id)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        return self._list("jobs", " AND ".join(where), args, order="id desc")

    # -- runs and models ------------------------------------------------------------------
    def add_run(self, project_id: int, **values) -> dict:
        return self._insert("runs", {"project_id": project_id, "created_at": now(), **values})

    def get_run(self, run_id: int) -> dict:
        return self._get("runs", run_id)

    def update_run(self, run_id: int, **values) -> dict:
        return self._update("runs", run_id, values)

    def list_runs(self, project_id: int) -> list[dict]:
        return self._list("runs", "project_id = ?", [project_id], order="id desc")

    def add_model(self, project_id: int, run_id: int, *, family: str, status: str,
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
            with write_db(self.db_path) as db:
                db.execute("DELETE FROM models WHERE id = ?", [record["id"]])
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def get_model(self, model_id: int) -> dict:
        return self._get("models", model_id)

    def update_model(self, model_id: int, **values) -> dict:
        return self._update("models", model_id, values)

    def list_models(self, project_id: int, run_id: int | None = None) -> list[dict]:
        if run_id is None:
            return self._list("models", "project_id = ?", [project_id])
        return self._list("models", "project_id = ? AND run_id = ?", [project_id, run_id])

    def model_dir(self, model_id: int) -> Path:
        record = self.get_model(model_id)
        if not record["path"]:
            raise NotFoundError(f"Model {model_id} has no stored file (its training {record['status']}).")
        return self.home / record["path"]

    def load_model(self, model_id: int) -> tuple[object, dict]:
        """(pipeline, card) of a stored model, verified against the sha256 in the database."""
        record = self.get_model(model_id)
        return read_model_dir(self.model_dir(model_id), record["sha256"])

    def log_prediction(self, model_id: int, *, inputs: list[dict], outputs: dict, ms: float, model_version: str,
                       source: str = "rest", created_at: str | None = None) -> dict:
        """Record one scored request of a model (for monitoring)."""
        model = self.get_model(model_id)
        return self._insert("prediction_log", {
            "project_id": model["project_id"], "model_id": model_id, "created_at": created_at or now(),
            "n_rows": len(inputs), "inputs": inputs, "outputs": outputs, "ms": ms, "model_version": model_version,
            "source": source})

    def list_prediction_log(self, model_id: int) -> list[dict]:
        """The scored requests of a model, oldest first."""
        return self._list("prediction_log", "model_id = ?", [model_id])

    def add_server(self, project_id: int, model_id: int, *, host: str, port: int, pid: int) -> dict:
        return self._insert("servers", {"project_id": project_id, "model_id": model_id, "host": host, "port": port,
                                        "pid": pid, "status": "running", "started_at": now()})

    def update_server(self, server_id: int, **values) -> dict:
        return self._update("servers", server_id, values)

    def list_servers(self, project_id: int, status: str | None = None) -> list[dict]:
        if status is None:
            return self._list("servers", "project_id = ?", [project_id], order="id desc")
        return self._list("servers", "project_id = ? AND status = ?", [project_id, status], order="id desc")

    def load_predictions(self, model_id: int) -> pd.DataFrame:
        """The validation predictions saved with a model."""
        return read_parquet(self.model_dir(model_id) / "valid_predictions.parquet")
