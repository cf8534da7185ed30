"""Monitor alerts, the monitor's runs, and each project's webhook URL.

An alert is stored once per finding: its ``fingerprint`` (e.g. "drift:model 3:batch:12") is unique within a
project, so running the checks again (every hour from cron) does not repeat an alert already raised.

>>> import tempfile
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> first = add_alert(ws, project["id"], kind="drift", fingerprint="drift:1", message="monthly_charges drifted")
>>> add_alert(ws, project["id"], kind="drift", fingerprint="drift:1", message="again") is None
True
>>> [a["message"] for a in list_alerts(ws, project["id"], open_only=True)]
['monthly_charges drifted']
"""

from __future__ import annotations

from storage.db import dumps, loads, open_db, write_db
from storage.errors import NotFoundError
from storage.workspace import Workspace, now

__all__ = ["acknowledge_alert", "add_alert", "add_monitor_run", "get_alert", "get_webhook", "list_alerts",
           "list_monitor_runs", "save_webhook", "set_delivery"]


def add_alert(ws: Workspace, project_id: int, *, kind: str, fingerprint: str, message: str,
              model_id: int | None = None, details: dict | None = None) -> dict | None:
    """Record a new alert; None when this finding (``fingerprint``) was already raised for the project."""
    ws.get_project(project_id)
    values = {"project_id": project_id, "model_id": model_id, "kind": kind, "fingerprint": fingerprint,
              "message": message, "details": dumps(details or {}), "created_at": now()}
    with write_db(ws.db_path) as db:
        cursor = db.execute(
            "INSERT OR IGNORE INTO alerts (project_id, model_id, kind, fingerprint, message, details, created_at) "
            "VALUES (:project_id, :model_id, :kind, :fingerprint, :message, :details, :created_at)", values)
        if cursor.rowcount == 0:
            return None
        alert_id = cursor.lastrowid
    return get_alert(ws, alert_id)


def _decode(row: dict) -> dict:
    return {**row, "details": loads(row["details"], {}), "delivery": loads(row["delivery"])}


def get_alert(ws: Workspace, alert_id: int) -> dict:
    with open_db(ws.db_path) as db:
        rows = list(db["alerts"].rows_where("id = ?", [alert_id]))
    if not rows:
        raise NotFoundError(f"Alert {alert_id} does not exist.")
    return _decode(rows[0])


def list_alerts(ws: Workspace, project_id: int, open_only: bool = False) -> list[dict]:
    """A project's alerts, newest first; ``open_only``: those not acknowledged yet."""
    where = "project_id = ?" + (" AND acknowledged_at IS NULL" if open_only else "")
    with open_db(ws.db_path) as db:
        return [_decode(r) for r in db["alerts"].rows_where(where, [project_id], order_by="created_at desc, id desc")]


def acknowledge_alert(ws: Workspace, alert_id: int) -> dict:
    get_alert(ws, alert_id)
    with write_db(ws.db_path) as db:
        db.execute("UPDATE alerts SET acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL", [now(), alert_id])
    return get_alert(ws, alert_id)


def set_delivery(ws: Workspace, alert_id: int, delivery: dict) -> None:
    """Record how sending the alert to the webhook went (ok, status, message)."""
    with write_db(ws.db_path) as db:
        db.execute("UPDATE alerts SET delivery = ? WHERE id = ?", [dumps(delivery), alert_id])


def add_monitor_run(ws: Workspace, project_id: int, summary: dict) -> dict:
    with write_db(ws.db_path) as db:
        run_id = db["monitor_runs"].insert({"project_id": project_id, "created_at": now(),
                                            "summary": dumps(summary)}).last_pk
        row = db["monitor_runs"].get(run_id)
    return {**row, "summary": loads(row["summary"], {})}


def list_monitor_runs(ws: Workspace, project_id: int) -> list[dict]:
    """A project's monitor runs, newest first."""
    with open_db(ws.db_path) as db:
        rows = db["monitor_runs"].rows_where("project_id = ?", [project_id], order_by="id desc")
        return [{**r, "summary": loads(r["summary"], {})} for r in rows]


def get_webhook(ws: Workspace, project_id: int) -> str | None:
    with open_db(ws.db_path) as db:
        rows = list(db["monitor_settings"].rows_where("project_id = ?", [project_id]))
    return rows[0].get("webhook") or None if rows else None


def save_webhook(ws: Workspace, project_id: int, url: str | None) -> None:
    """Save (or with None, remove) the URL a project's alerts are posted to."""
    ws.get_project(project_id)
    with write_db(ws.db_path) as db:
        db["monitor_settings"].upsert({"project_id": project_id, "webhook": url or None, "updated_at": now()},
                                      pk="project_id")
