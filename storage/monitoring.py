"""Monitoring records: incoming data batches and each project's drift thresholds.

A batch is a table that arrived after training (a file uploaded on the Monitor page, a file scored on Deploy),
kept as Parquet in the project folder with its arrival time, source and sha256. REST requests are not copied:
the prediction log is read as one batch per day.

>>> import tempfile
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> batch = add_batch(ws, project["id"], pd.DataFrame({"age": [30, 41]}), source="upload", name="may.csv")
>>> [b["name"] for b in list_batches(ws, project["id"])]
['may.csv']
"""

from __future__ import annotations

import pandas as pd

from storage.db import dumps, loads, open_db, write_db
from storage.errors import NotFoundError
from storage.files import read_parquet, write_parquet
from storage.workspace import Workspace, now

__all__ = ["BATCH_SOURCES", "add_batch", "delete_batch", "get_batch", "get_thresholds", "list_batches",
           "load_batch", "load_log_day", "log_days", "save_thresholds"]

#: Where a batch came from: "upload" (Monitor page), "batch scoring" (Deploy page), "append" (rows appended to the
#: project's data on the Data page), "rest" (the prediction log).
BATCH_SOURCES = ("upload", "batch scoring", "append", "rest")


def add_batch(ws: Workspace, project_id: int, frame: pd.DataFrame, *, source: str, name: str,
              model_id: int | None = None, created_at: str | None = None) -> dict:
    """Store ``frame`` as an incoming batch of a project (Parquet + sha256) and register it.

    The same table from the same source twice (a page that reruns, a file uploaded again) is one batch: the
    earlier record is returned."""
    if source not in BATCH_SOURCES:
        raise ValueError(f"A batch source must be one of {BATCH_SOURCES}; got {source!r}.")
    ws.get_project(project_id)
    stamp = created_at or now()
    folder = ws.project_dir(project_id) / "incoming"
    path = folder / f"{stamp.replace(':', '').replace('.', '').replace('+', '')}-{len(frame)}.parquet"
    digest = write_parquet(frame, path)
    same = [b for b in list_batches(ws, project_id) if b["sha256"] == digest and b["source"] == source]
    if same:
        path.unlink()
        return same[0]
    values = {"project_id": project_id, "model_id": model_id, "created_at": stamp, "source": source, "name": name,
              "path": str(path.relative_to(ws.home)), "sha256": digest, "n_rows": len(frame),
              "n_cols": frame.shape[1]}
    with write_db(ws.db_path) as db:
        batch_id = db["monitor_batches"].insert(values).last_pk
    return get_batch(ws, batch_id)


def get_batch(ws: Workspace, batch_id: int) -> dict:
    with open_db(ws.db_path) as db:
        rows = list(db["monitor_batches"].rows_where("id = ?", [batch_id]))
    if not rows:
        raise NotFoundError(f"Batch {batch_id} does not exist; it may have been deleted.")
    return rows[0]


def list_batches(ws: Workspace, project_id: int) -> list[dict]:
    """The stored batches of a project, oldest first."""
    with open_db(ws.db_path) as db:
        return list(db["monitor_batches"].rows_where("project_id = ?", [project_id], order_by="created_at, id"))


def load_batch(ws: Workspace, batch_id: int) -> pd.DataFrame:
    """A stored batch's table, verified against its sha256."""
    batch = get_batch(ws, batch_id)
    return read_parquet(ws.home / batch["path"], batch["sha256"])


def delete_batch(ws: Workspace, batch_id: int) -> None:
    """Forget a batch and delete its file."""
    batch = get_batch(ws, batch_id)
    with write_db(ws.db_path) as db:
        db.execute("DELETE FROM monitor_batches WHERE id = ?", [batch_id])
    (ws.home / batch["path"]).unlink(missing_ok=True)


def log_days(ws: Workspace, model_id: int) -> list[dict]:
    """The REST prediction log of a model as one batch per UTC day: day, requests, n_rows, first, last."""
    with open_db(ws.db_path) as db:
        rows = db.execute(
            "SELECT substr(created_at, 1, 10) AS day, count(*) AS requests, sum(n_rows) AS n_rows, "
            "min(created_at) AS first, max(created_at) AS last FROM prediction_log WHERE model_id = ? "
            "GROUP BY day ORDER BY day", [model_id]).fetchall()
    return [dict(zip(("day", "requests", "n_rows", "first", "last"), row, strict=True)) for row in rows]


def load_log_day(ws: Workspace, model_id: int, day: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(input rows, predictions) a model's REST server logged on ``day`` (YYYY-MM-DD), in arrival order."""
    with open_db(ws.db_path) as db:
        rows = db.execute("SELECT inputs, outputs FROM prediction_log WHERE model_id = ? AND substr(created_at, 1, 10)"
                          " = ? ORDER BY created_at, id", [model_id, day]).fetchall()
    inputs, predictions = [], []
    for raw_inputs, raw_outputs in rows:
        records = loads(raw_inputs, [])
        outputs = (loads(raw_outputs, {}) or {}).get("predictions") or []
        inputs.extend(records)
        predictions.extend(outputs[:len(records)] + [None] * (len(records) - len(outputs)))
    return pd.DataFrame.from_records(inputs), pd.DataFrame({"prediction": predictions})


def get_thresholds(ws: Workspace, project_id: int) -> dict | None:
    """The drift thresholds saved for a project, or None (use the defaults)."""
    with open_db(ws.db_path) as db:
        rows = list(db["monitor_settings"].rows_where("project_id = ?", [project_id]))
    return loads(rows[0]["thresholds"]) if rows else None


def save_thresholds(ws: Workspace, project_id: int, thresholds: dict | None) -> None:
    """Save a project's drift thresholds; None forgets them (back to the defaults)."""
    ws.get_project(project_id)
    with write_db(ws.db_path) as db:
        # an upsert of these columns only: other monitoring settings of the project share the row
        db["monitor_settings"].upsert({"project_id": project_id, "thresholds": dumps(thresholds),
                                       "updated_at": now()}, pk="project_id")
