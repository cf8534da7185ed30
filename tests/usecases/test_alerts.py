"""Monitor runs end to end on a trained model: drift and decay alerts once per finding, acknowledged on the
project, posted to a webhook (a real local HTTP server), and ``python -m engine monitor`` for cron."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pandas as pd
import pytest

from engine import load_sample
from engine.errors import AlertError
from usecases import alerts, monitor_labels, monitoring
from usecases.cli import main


class _Hook(BaseHTTPRequestHandler):
    posts: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        type(self).posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    _Hook.posts = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts", _Hook.posts
    server.shutdown()
    server.server_close()


@pytest.fixture
def project(churn_champion) -> dict:
    return churn_champion


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_drift_and_decay_raise_alerts_once_and_post_them(ws, project, hook, capsys):
    url, posts = hook
    pid, model_id = project["id"], project["champion_model_id"]
    churn = load_sample("customer_churn")
    assert alerts.run_checks(ws, pid).new_alerts == []  # no data yet: nothing to say
    assert main(["monitor", "--workspace", str(ws.home)]) == 0

    alerts.save_webhook(ws, pid, url)
    calm = churn.sample(400, random_state=1)
    monitoring.add_upload(ws, model_id, _csv(calm.drop(columns="churned")), "may.csv")
    shifted = churn.sample(400, random_state=2)
    # two of six features move: a third drifted, the default share for an overall alert
    shifted = shifted.assign(monthly_charges=shifted["monthly_charges"] * 1.8 + 40,
                             tenure_months=shifted["tenure_months"] + 36)
    monitoring.add_upload(ws, model_id, _csv(shifted.drop(columns="churned")), "june.csv")
    rng = np.random.default_rng(0)
    flipped = np.where(rng.random(400) < 0.4, np.where(shifted["churned"] == "yes", "no", "yes"), shifted["churned"])
    monitor_labels.add_label_file(ws, model_id, _csv(pd.DataFrame({"customer_id": shifted["customer_id"],
                                                                    "churned": flipped})), "labels.csv", "customer_id")

    run = alerts.run_checks(ws, pid)
    kinds = sorted(a["kind"] for a in run.new_alerts)
    assert kinds == ["decay", "drift"]
    drift = next(a for a in run.new_alerts if a["kind"] == "drift")
    assert "june.csv" in drift["message"] and "monthly_charges" in drift["details"]["features"]
    assert drift["delivery"]["ok"] and drift["delivery"]["status"] == 204
    assert sorted(p["kind"] for p in posts) == ["decay", "drift"]
    assert all(p["project"] == "Churn" and p["model_id"] == model_id for p in posts)

    again = alerts.run_checks(ws, pid)  # the same findings: no new alert, no new post
    assert again.new_alerts == [] and again.summary["open_alerts"] == 2 and len(posts) == 2

    capsys.readouterr()
    assert main(["monitor", "--workspace", str(ws.home), "--project", "Churn"]) == 4  # open alerts: cron acts
    assert "Churn: checked; 0 new alert(s), 2 open" in capsys.readouterr().out
    for alert in alerts.open_alerts(ws, pid):
        alerts.acknowledge(ws, alert["id"])
    assert alerts.open_alerts(ws, pid) == []
    assert main(["monitor", "--workspace", str(ws.home)]) == 0
    assert main(["monitor", "--workspace", str(ws.home), "--project", "Nope"]) == 1
    ws.delete_project(pid)  # its batches, labels, alerts and monitor runs go with it
    assert main(["monitor", "--workspace", str(ws.home)]) == 0


def test_a_dead_webhook_is_recorded_not_raised_and_bad_urls_are_refused(ws, project):
    with pytest.raises(AlertError, match="must start with http"):
        alerts.save_webhook(ws, project["id"], "mailto:me@example.org")
    alerts.save_webhook(ws, project["id"], "http://127.0.0.1:9/hook")
    churn = load_sample("customer_churn").sample(300, random_state=4)
    churn = churn.assign(monthly_charges=churn["monthly_charges"] * 3, tenure_months=churn["tenure_months"] * 3)
    monitoring.add_upload(ws, project["champion_model_id"], _csv(churn), "july.csv")
    run = alerts.run_checks(ws, project["id"])
    assert [a["kind"] for a in run.new_alerts] == ["drift"]
    assert run.new_alerts[0]["delivery"]["ok"] is False
    assert run.new_alerts[0]["delivery"]["message"].startswith("no answer from the endpoint")
    assert alerts.save_webhook(ws, project["id"], "  ") is None and alerts.webhook(ws, project["id"]) is None
