"""The Monitor page's "Retrain and promote" section (AppTest): retrain starts a job, the challenger is compared
with the champion, promote and roll back change the champion, the versions table shows the stages."""

from __future__ import annotations

import signal

import pandas as pd
import pytest

from engine import METRICS, load_sample
from tests.pages.helpers import assert_clean, open_page
from usecases import monitor_labels, monitoring, registry, retraining
from usecases.training import run_training_job


@pytest.fixture
def labelled_project(ws, trained_project, monkeypatch) -> dict:
    """The trained churn project with 300 new rows and their labels; retraining starts no process here."""
    monkeypatch.setattr(retraining, "spawn_worker", lambda ws, job_id: 0)
    model_id = trained_project["champion_model_id"]
    rows = load_sample("customer_churn").sample(300, random_state=4)
    monitoring.add_upload(ws, model_id, rows.drop(columns="churned").to_csv(index=False).encode(), "june.csv")
    monitor_labels.add_label_file(ws, model_id, rows[["customer_id", "churned"]].to_csv(index=False).encode(),
                                  "labels.csv", "customer_id")
    return trained_project


@pytest.fixture
def with_challenger(ws, labelled_project) -> dict:
    """``labelled_project`` after a retraining run in this process."""
    previous = signal.getsignal(signal.SIGTERM)
    job = retraining.retrain(ws, labelled_project["id"])
    run_training_job(ws, job["id"])
    signal.signal(signal.SIGTERM, previous)
    assert ws.get_job(job["id"])["status"] == "succeeded"
    return {**labelled_project, "challenger": registry.challenger(ws, labelled_project["id"])}


def test_retrain_button_starts_a_job_with_the_chosen_data(ws, labelled_project):
    at = open_page("monitor", labelled_project["id"])
    assert_clean(at)
    assert "Retrain and promote" in [h.value for h in at.subheader]
    at.radio(key="monitor_retrain_data").set_value("window").run()
    at.number_input(key="monitor_retrain_window").set_value(400).run()
    at.button(key="monitor_retrain").click().run()
    assert_clean(at)
    job = retraining.latest_job(ws, labelled_project["id"])
    assert job["params"]["retrain"]["data"] == "window" and job["params"]["retrain"]["window_rows"] == 400
    assert any(f"job {job['id']}" in s.value for s in at.success)
    at.button(key="monitor_retrain").click().run()  # a second click while it runs: refused, clearly
    assert any("still running" in e.value for e in at.error)


def test_challenger_is_compared_promoted_and_rolled_back(ws, with_challenger):
    pid, champion, challenger = with_challenger["id"], with_challenger["champion_model_id"], with_challenger[
        "challenger"]
    at = open_page("monitor", pid)
    assert_clean(at)
    compare = next(d.value for d in at.dataframe if "challenger 95%" in d.value.columns)
    metric = ws.get_project(pid)["problem"]["metric"]
    assert compare["metric"].iloc[0] == METRICS[metric].label and len(compare) > 3
    assert any("held out of the retraining" in c.value for c in at.caption)
    versions = at.dataframe[-1].value
    assert dict(zip(versions["model_id"], versions["stage"], strict=True)) == {
        champion: "champion", challenger: "challenger"}

    at.button(key="monitor_promote").click().run()  # asks first
    assert_clean(at)
    assert ws.get_project(pid)["champion_model_id"] == champion
    at.button(key="monitor_promote_confirm").click().run()
    assert_clean(at)
    assert ws.get_project(pid)["champion_model_id"] == challenger
    assert at.selectbox(key="monitor_model").value == challenger  # the picker follows the promotion
    versions = at.dataframe[-1].value
    assert dict(zip(versions["model_id"], versions["stage"], strict=True)) == {
        champion: "archived", challenger: "champion"}

    at.button(key="monitor_rollback").click().run()
    assert ws.get_project(pid)["champion_model_id"] == challenger
    at.button(key="monitor_rollback_confirm").click().run()
    assert_clean(at)
    assert ws.get_project(pid)["champion_model_id"] == champion
    assert at.selectbox(key="monitor_model").value == champion
    assert isinstance(at.dataframe[-1].value, pd.DataFrame)
    assert not [b for b in at.button if b.key == "monitor_rollback"]  # the first champion: nothing further back


def test_no_promotion_while_a_newer_challenger_is_being_trained(ws, with_challenger):
    pid = with_challenger["id"]
    ws.create_job(pid, "train", {"retrain": {"data": "new"}})  # queued: its process has not started yet
    at = open_page("monitor", pid)
    assert_clean(at)
    assert any("appears here when the retraining has finished" in c.value for c in at.caption)
    assert not [b for b in at.button if b.key == "monitor_promote"]
