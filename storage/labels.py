"""Late labels: files of ground truth (a key column and the target) that arrive after a model's predictions,
and each project's decay thresholds.

>>> import tempfile
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> record = add_labels(ws, project["id"], pd.DataFrame({"id": [1, 2], "churn": ["yes", "no"]}), name="june.csv",
...                     key="id", target="churn")
>>> [(r["name"], r["key"], r["n_rows"]) for r in list_labels(ws, project["id"])]
[('june.csv', 'id', 2)]
"""

from __future__ import annotations

import pandas as pd

from storage.db import dumps, loads, open_db, write_db
from storage.errors import NotFoundError
from storage.files import read_parquet, write_parquet
from storage.workspace import Workspace, now

__all__ = ["add_labels", "delete_labels", "get_decay_thresholds", "list_labels", "load_labels",
           "save_decay_thresholds"]


def add_labels(ws: Workspace, project_id: int, frame: pd.DataFrame, *, name: str, key: str, target: str) -> dict:
    """Keep a labels table (Parquet + sha256) for a project; the same table with the same key twice is one record."""
    ws.get_project(project_id)
    stamp = now()
    path = ws.project_dir(project_id) / "labels" / f"{stamp.replace(':', '').replace('.', '').replace('+', '')}.parquet"
    digest = write_parquet(frame, path)
    same = [r for r in list_labels(ws, project_id) if r["sha256"] == digest and r["key"] == key]
    if same:
        path.unlink()
        return same[0]
    values = {"project_id": project_id, "created_at": stamp, "name": name, "key": key, "target": target,
              "path": str(path.relative_to(ws.home)), "sha256": digest, "n_rows": len(frame)}
    with write_db(ws.db_path) as db:
        label_id = db["monitor_labels"].insert(values).last_pk
    return _get(ws, label_id)


def _get(ws: Workspace, label_id: int) -> dict:
    with open_db(ws.db_path) as db:
        rows = list(db["monitor_labels"].rows_where("id = ?", [label_id]))
    if not rows:
        raise NotFoundError(f"Labels file {label_id} does not exist; it may have been deleted.")
    return rows[0]


def list_labels(ws: Workspace, project_id: int) -> list[dict]:
    """The labels files of a project, oldest first."""
    with open_db(ws.db_path) as db:
        return list(db["monitor_labels"].rows_where("project_id = ?", [project_id], order_by="created_at, id"))


def load_labels(ws: Workspace, label_id: int) -> pd.DataFrame:
    """A stored labels table, verified against its sha256."""
    record = _get(ws, label_id)
    return read_parquet(ws.home / record["path"], record["sha256"])


def delete_labels(ws: Workspace, label_id: int) -> None:
    record = _get(ws, label_id)
    with write_db(ws.db_path) as db:
        db.execute("DELETE FROM monitor_labels WHERE id = ?", [label_id])
    (ws.home / record["path"]).unlink(missing_ok=True)


def get_decay_thresholds(ws: Workspace, project_id: int) -> dict | None:
    """The decay thresholds saved for a project, or None (use the defaults)."""
    with open_db(ws.db_path) as db:
        rows = list(db["monitor_settings"].rows_where("project_id = ?", [project_id]))
    return loads(rows[0]["decay"]) if rows else None


def save_decay_thresholds(ws: Workspace, project_id: int, thresholds: dict | None) -> None:
    """Save a project's decay thresholds (None: back to the defaults), beside its drift thresholds."""
    ws.get_project(project_id)
    with write_db(ws.db_path) as db:
        db["monitor_settings"].upsert({"project_id": project_id, "decay": dumps(thresholds), "updated_at": now()},
                                      pk="project_id")
