"""Monitoring records: incoming data batches, late labels, and each project's drift and decay thresholds.

A batch is a table that arrived after training (a file uploaded on the Monitor page, a file scored on Deploy),
kept as Parquet in the project folder with its arrival time, source and sha256. REST requests are not copied:
the prediction log is read as one batch per day. A labels file holds ground truth (a key column and the
target) that arrives after the predictions, joined to scored rows by the key.

>>> import tempfile
>>> from storage import Workspace
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> batch = ws.add_batch(project["id"], pd.DataFrame({"age": [30, 41]}), source="upload", name="may.csv")
>>> [b["name"] for b in ws.list_batches(project["id"])]
['may.csv']
>>> labels = ws.add_labels(project["id"], pd.DataFrame({"id": [1, 2], "churn": ["yes", "no"]}), name="june.csv",
...                        key="id", target="churn")
>>> [(r["name"], r["key"], r["n_rows"]) for r in ws.list_labels(project["id"])]
[('june.csv', 'id', 2)]
"""

from __future__ import annotations

import pandas as pd

from storage.records import Records, now

__all__ = ["BATCH_SOURCES", "Monitoring"]

#: Where a batch came from: "upload" (Monitor page), "batch scoring" (Deploy page), "append" (rows appended to the
#: project's data on the Data page), "rest" (the prediction log).
BATCH_SOURCES = ("upload", "batch scoring", "append", "rest")


class Monitoring(Records):
    """Incoming batches, labels files and monitoring thresholds of a workspace's projects."""

    # -- batches ----------------------------------------------------------------------------
    def add_batch(self, project_id: int, frame: pd.DataFrame, *, source: str, name: str,
                  model_id: int | None = None, created_at: str | None = None) -> dict:
        """Store ``frame`` as an incoming batch of a project; the same table from the same source twice is one."""
        if source not in BATCH_SOURCES:
            raise ValueError(f"A batch source must be one of {BATCH_SOURCES}; got {source!r}.")
        self._get("projects", project_id)
        values = {"project_id": project_id, "model_id": model_id, "created_at": created_at or now(),
                  "source": source, "name": name, "n_cols": frame.shape[1]}
        return self._add_parquet("monitor_batches", frame, self.project_dir(project_id) / "incoming", values,
                                 same=("source",))

    def get_batch(self, batch_id: int) -> dict:
        return self._get("monitor_batches", batch_id)

    def list_batches(self, project_id: int) -> list[dict]:
        """The stored batches of a project, oldest first."""
        return self._rows("monitor_batches", "project_id = ?", [project_id], order="created_at, id")

    def load_batch(self, batch_id: int) -> pd.DataFrame:
        """A stored batch's table, verified against its sha256."""
        return self._load_parquet("monitor_batches", batch_id)

    def delete_batch(self, batch_id: int) -> None:
        """Forget a batch and delete its file."""
        self._delete_parquet("monitor_batches", batch_id)

    # -- late labels ------------------------------------------------------------------------
    def add_labels(self, project_id: int, frame: pd.DataFrame, *, name: str, key: str, target: str) -> dict:
        """Keep a labels table for a project; the same table with the same key twice is one record."""
        self._get("projects", project_id)
        values = {"project_id": project_id, "created_at": now(), "name": name, "key": key, "target": target}
        return self._add_parquet("monitor_labels", frame, self.project_dir(project_id) / "labels", values,
                                 same=("key",))

    def get_labels(self, label_id: int) -> dict:
        return self._get("monitor_labels", label_id)

    def list_labels(self, project_id: int) -> list[dict]:
        """The labels files of a project, oldest first."""
        return self._rows("monitor_labels", "project_id = ?", [project_id], order="created_at, id")

    def load_labels(self, label_id: int) -> pd.DataFrame:
        """A stored labels table, verified against its sha256."""
        return self._load_parquet("monitor_labels", label_id)

    def delete_labels(self, label_id: int) -> None:
        """Forget a labels file and delete it."""
        self._delete_parquet("monitor_labels", label_id)

    # -- thresholds -------------------------------------------------------------------------
    def get_drift_thresholds(self, project_id: int) -> dict | None:
        """The drift thresholds saved for a project, or None (use the defaults)."""
        return self._setting(project_id, "thresholds")

    def save_drift_thresholds(self, project_id: int, thresholds: dict | None) -> None:
        """Save a project's drift thresholds; None forgets them (back to the defaults)."""
        self._save_setting(project_id, "thresholds", thresholds)

    def get_decay_thresholds(self, project_id: int) -> dict | None:
        """The decay thresholds saved for a project, or None (use the defaults)."""
        return self._setting(project_id, "decay")

    def save_decay_thresholds(self, project_id: int, thresholds: dict | None) -> None:
        """Save a project's decay thresholds; None forgets them (back to the defaults)."""
        self._save_setting(project_id, "decay", thresholds)
