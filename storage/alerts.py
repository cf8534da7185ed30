"""Monitor alerts, the monitor's runs, and each project's webhook URL.

An alert is stored once per finding: its ``fingerprint`` (e.g. "drift:model 3:batch:12") is unique within a
project, so running the checks again (every hour from cron) does not repeat an alert already raised.

>>> import tempfile
>>> from storage import Workspace
>>> ws = Workspace(tempfile.mkdtemp())
>>> project = ws.create_project("Churn")
>>> first = ws.add_alert(project["id"], kind="drift", fingerprint="drift:1", message="monthly_charges drifted")
>>> ws.add_alert(project["id"], kind="drift", fingerprint="drift:1", message="again") is None
True
>>> [a["message"] for a in ws.list_alerts(project["id"], open_only=True)]
['monthly_charges drifted']
"""

from __future__ import annotations

from storage.db import write_db
from storage.records import Records, now

__all__ = ["Alerts"]


class Alerts(Records):
    """Alerts, monitor runs and webhooks of a workspace's projects."""

    def add_alert(self, project_id: int, *, kind: str, fingerprint: str, message: str,
                  model_id: int | None = None, details: dict | None = None) -> dict | None:
        """Record a new alert; None when this finding (``fingerprint``) was already raised for the project."""
        self._get("projects", project_id)
        return self._insert_once("alerts", {"project_id": project_id, "model_id": model_id, "kind": kind,
                                            "fingerprint": fingerprint, "message": message,
                                            "details": details or {}, "created_at": now()})

    def get_alert(self, alert_id: int) -> dict:
        return self._get("alerts", alert_id)

    def list_alerts(self, project_id: int, open_only: bool = False) -> list[dict]:
        """A project's alerts, newest first; ``open_only``: those not acknowledged yet."""
        where = "project_id = ?" + (" AND acknowledged_at IS NULL" if open_only else "")
        return self._rows("alerts", where, [project_id], order="created_at desc, id desc")

    def acknowledge_alert(self, alert_id: int) -> dict:
        """Mark an alert seen (the first acknowledgement's time is kept)."""
        self._get("alerts", alert_id)
        with write_db(self.db_path) as db:
            db.execute("UPDATE alerts SET acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL",
                       [now(), alert_id])
        return self._get("alerts", alert_id)

    def set_alert_delivery(self, alert_id: int, delivery: dict) -> dict:
        """Record how sending the alert to the webhook went (ok, status, message)."""
        return self._update("alerts", alert_id, {"delivery": delivery})

    def add_monitor_run(self, project_id: int, summary: dict) -> dict:
        return self._insert("monitor_runs", {"project_id": project_id, "created_at": now(), "summary": summary})

    def list_monitor_runs(self, project_id: int) -> list[dict]:
        """A project's monitor runs, newest first."""
        return self._rows("monitor_runs", "project_id = ?", [project_id], order="id desc")

    def get_webhook(self, project_id: int) -> str | None:
        return self._setting(project_id, "webhook") or None

    def save_webhook(self, project_id: int, url: str | None) -> None:
        """Save (or with None, remove) the URL a project's alerts are posted to."""
        self._save_setting(project_id, "webhook", url or None)
