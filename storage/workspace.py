"""The workspace: a folder holding ``workbench.db`` and the artifact files of every project.

``Workspace`` is the one record API: projects, datasets, jobs and runs here; models and the registry
(``storage.registry``), servers and the prediction log (``storage.deployment``), incoming batches, labels and
thresholds (``storage.monitoring``), alerts (``storage.alerts``) and share links (``storage.shares``) in their
mixins. All of them read and write through the generic methods of ``storage.records``.

>>> import tempfile
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> ws.get_project(project["id"])["name"]
'Churn'
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from storage.alerts import Alerts
from storage.db import migrate, write_db
from storage.deployment import Deployment
from storage.errors import NameTakenError
from storage.monitoring import Monitoring
from storage.records import now
from storage.registry import ModelRegistry
from storage.shares import Shares

__all__ = ["Workspace", "now"]


class Workspace(ModelRegistry, Deployment, Monitoring, Alerts, Shares):
    """Projects and everything recorded about them, in one folder."""

    def __init__(self, home: str | Path):
        self.home = Path(home).resolve()
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_path = self.home / "workbench.db"
        migrate(self.db_path)  # once per Workspace, up front: later connections only open the file

    # -- projects -------------------------------------------------------------------------
    def create_project(self, name: str) -> dict:
        """Create an empty project; names are unique and non-empty."""
        name = self._check_name(name)
        stamp = now()
        return self._insert("projects", {"name": name, "created_at": stamp, "updated_at": stamp})

    def list_projects(self) -> list[dict]:
        """All projects, most recently changed first."""
        return self._rows("projects", "1 = 1", [], order="updated_at desc")

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

    def _check_name(self, name: str, project_id: int | None = None) -> str:
        name = (name or "").strip()
        if not name:
            raise NameTakenError("A project needs a name; type one.")
        if len(name) > 100:
            raise NameTakenError("Project names are at most 100 characters.")
        clash = [p for p in self._rows("projects", "name = ?", [name]) if p["id"] != project_id]
        if clash:
            raise NameTakenError(f"A project named '{name}' already exists; choose another name.")
        return name

    # -- datasets -------------------------------------------------------------------------
    def add_dataset(self, project_id: int, frame: pd.DataFrame, *, name: str, source: str,
                    schema: list[dict], notes: list[str]) -> dict:
        """Store ``frame`` as Parquet and register it (with schema, size and sha256)."""
        self._get("projects", project_id)
        values = {"project_id": project_id, "name": name, "source": source, "n_cols": frame.shape[1],
                  "schema": schema, "notes": notes, "created_at": now()}
        return self._add_parquet("datasets", frame, self.project_dir(project_id) / "datasets", values)

    def get_dataset(self, dataset_id: int) -> dict:
        return self._get("datasets", dataset_id)

    def list_datasets(self, project_id: int) -> list[dict]:
        return self._rows("datasets", "project_id = ?", [project_id])

    def load_dataset(self, dataset_id: int) -> pd.DataFrame:
        """The stored table, verified against its sha256."""
        return self._load_parquet("datasets", dataset_id)

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
        return self._rows("jobs", " AND ".join(where), args, order="id desc")

    # -- runs -----------------------------------------------------------------------------
    def add_run(self, project_id: int, **values) -> dict:
        return self._insert("runs", {"project_id": project_id, "created_at": now(), **values})

    def get_run(self, run_id: int) -> dict:
        return self._get("runs", run_id)

    def update_run(self, run_id: int, **values) -> dict:
        return self._update("runs", run_id, values)

    def list_runs(self, project_id: int) -> list[dict]:
        return self._rows("runs", "project_id = ?", [project_id], order="id desc")
