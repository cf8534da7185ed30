"""Monitor runs and alerts: check a project's champion for data drift and performance decay, raise each finding
once as an alert on the project, and post it to the project's webhook.

The same checks run from the Monitor page ("Run checks now") and headless from cron or CI:
``python -m engine monitor --workspace DIR [--project NAME]`` exits 4 while a project has open alerts.
"""

from __future__ import annotations

from typing import NamedTuple

from engine.errors import WorkbenchError
from engine.monitor.webhook import check_webhook_url, post_json
from storage import NotFoundError, Workspace
from usecases import monitor_labels, monitoring

__all__ = ["MonitorRun", "acknowledge", "open_alerts", "run_checks", "run_workspace", "save_webhook", "webhook"]


class MonitorRun(NamedTuple):
    project: dict
    model_id: int | None
    new_alerts: list[dict]
    summary: dict


def webhook(ws: Workspace, project_id: int) -> str | None:
    return ws.get_webhook(project_id)


def save_webhook(ws: Workspace, project_id: int, url: str | None) -> str | None:
    """Check and save the URL a project's alerts are posted to; empty removes it."""
    url = check_webhook_url(url) if url and url.strip() else None
    ws.save_webhook(project_id, url)
    return url


def open_alerts(ws: Workspace, project_id: int) -> list[dict]:
    return ws.list_alerts(project_id, open_only=True)


def acknowledge(ws: Workspace, alert_id: int) -> dict:
    return ws.acknowledge_alert(alert_id)


def _drift_alerts(ws: Workspace, project_id: int, model_id: int) -> tuple[list[dict], dict]:
    raised, verdicts = [], {}
    for batch in monitoring.incoming_batches(ws, model_id):
        report = monitoring.drift_check(ws, model_id, batch["key"]).report
        verdicts[batch["label"]] = report.overall
        if report.overall != "alert":
            continue
        drifted = report.features[report.features["verdict"] == "alert"]
        alert = ws.add_alert(
            project_id, kind="drift", model_id=model_id, fingerprint=f"drift:model {model_id}:{batch['key']}",
            message=f"Data drift in {batch['label']} ({batch['n_rows']:,} rows): {report.message}",
            details={"batch": batch["key"], "features": dict(zip(drifted["name"], drifted["reason"], strict=True)),
                     "prediction": report.prediction, "quality": report.quality})
        raised += [alert] if alert else []
    return raised, verdicts


def _decay_alerts(ws: Workspace, project_id: int, model_id: int) -> tuple[list[dict], dict]:
    check = monitor_labels.decay_check(ws, model_id, "W")
    if check is None:
        return [], {}
    raised = []
    for row in check.table[check.table["verdict"] == "alert"].to_dict("records"):
        alert = ws.add_alert(
            project_id, kind="decay", model_id=model_id, fingerprint=f"decay:model {model_id}:{row['window']}",
            message=f"Performance decay in the week of {row['window']} ({row['n_rows']:,} labelled rows): "
                    f"{row['reason']}",
            details={k: row[k] for k in ("window", "n_rows", "value", "low", "high", "baseline")} |
                    {"metric": check.metric})
        raised += [alert] if alert else []
    return raised, dict(zip(check.table["window"], check.table["verdict"], strict=True))


def run_checks(ws: Workspace, project_id: int) -> MonitorRun:
    """Check the project's champion on every incoming batch and on its late labels; record and send new alerts."""
    project = ws.get_project(project_id)
    model_id = project["champion_model_id"]
    if model_id is None:
        summary = {"status": "no champion: pick one on Evaluate to monitor it"}
        ws.add_monitor_run(project_id, summary)
        return MonitorRun(project, None, [], summary)
    try:
        drift, drift_verdicts = _drift_alerts(ws, project_id, model_id)
        decay, decay_verdicts = _decay_alerts(ws, project_id, model_id)
    except (WorkbenchError, NotFoundError) as exc:  # e.g. the model's files failed their check: say so, go on
        summary = {"status": f"checks failed: {exc}", "model_id": model_id}
        ws.add_monitor_run(project_id, summary)
        return MonitorRun(project, model_id, [], summary)
    new = drift + decay
    url = ws.get_webhook(project_id)
    for alert in new if url else []:
        delivery = post_json(url, {"project": project["name"], "project_id": project_id, "model_id": model_id,
                                   "kind": alert["kind"], "message": alert["message"], "details": alert["details"],
                                   "created_at": alert["created_at"], "alert_id": alert["id"]})
        ws.set_alert_delivery(alert["id"], delivery._asdict())
    summary = {"status": "checked", "model_id": model_id, "drift": drift_verdicts, "decay": decay_verdicts,
               "new_alerts": len(new), "open_alerts": len(open_alerts(ws, project_id))}
    ws.add_monitor_run(project_id, summary)
    return MonitorRun(project, model_id, [ws.get_alert(a["id"]) for a in new], summary)


def run_workspace(ws: Workspace, project_name: str | None = None) -> list[MonitorRun]:
    """``run_checks`` for every project of the workspace, or only the one called ``project_name``."""
    projects = ws.list_projects()
    if project_name is not None:
        projects = [p for p in projects if p["name"] == project_name]
        if not projects:
            raise NotFoundError(f"There is no project called '{project_name}' in {ws.home}.")
    return [run_checks(ws, p["id"]) for p in sorted(projects, key=lambda p: p["id"])]
