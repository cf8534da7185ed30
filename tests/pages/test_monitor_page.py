"""The Monitor page (AppTest): no model, a model with a drifted batch, thresholds that persist."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from engine import load_sample
from tests.pages.helpers import assert_clean, open_page
from usecases import alerts, monitor_labels, monitoring


def _shifted_csv(n: int = 300) -> bytes:
    rows = load_sample("customer_churn").sample(n, random_state=1)
    shifted = rows.assign(monthly_charges=rows["monthly_charges"] * 1.8 + 40, tenure_months=rows["tenure_months"] + 36)
    return shifted.to_csv(index=False).encode()  # 2 of 6 features: over the 30% that makes an alert


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _drift_table(at) -> pd.DataFrame:
    """The per-feature drift table (the stored-batches table comes before it)."""
    return next(d.value for d in at.dataframe if "feature" in d.value.columns).set_index("feature")


def test_a_project_without_a_trained_model_points_to_train(ws, churn_project):
    at = open_page("monitor", churn_project["id"])
    assert_clean(at)
    assert at.title[0].value == "Monitor"
    assert "No trained model" in at.info[0].value and "Train" in at.info[0].value


def test_a_stored_drifted_batch_shows_banner_table_and_charts(ws, trained_project):
    model_id = trained_project["champion_model_id"]
    monitoring.add_upload(ws, model_id, _shifted_csv(), "june.csv")
    at = open_page("monitor", trained_project["id"])
    assert_clean(at)
    assert "of" in at.error[0].value and "features drifted" in at.error[0].value
    table = _drift_table(at)
    assert table.loc["monthly_charges", "verdict"] == "● alert"
    assert "PSI" in table.loc["monthly_charges", "reason"]
    # One column per drift statistic, headed by the engine's catalogue.
    assert list(table.columns[1:5]) == ["PSI", "KS p", "chi-square p", "JS"]
    titles = [figure["layout"]["title"]["text"] for figure in _figures(at)]
    assert any(t.startswith("Drift per feature") for t in titles)
    assert "monthly_charges: reference vs current" in titles  # the most drifted feature comes first
    assert any(t.startswith("Drift over time") for t in titles)
    assert any("training maximum" in w.value for w in at.warning)  # data quality
    next(s for s in at.selectbox if s.label == "Distribution of").select("plan").run()
    assert_clean(at)
    assert "plan: reference vs current" in [f["layout"]["title"]["text"] for f in _figures(at)]
    at.radio(key="monitor_windows").set_value("D").run()
    assert_clean(at)


def test_uploading_on_the_page_stores_a_batch_and_bad_files_save_nothing(ws, trained_project):
    model_id = trained_project["champion_model_id"]
    at = open_page("monitor", trained_project["id"])
    assert "No new data" in at.info[0].value
    at.file_uploader(key="monitor_upload").upload("cols.csv", b"plan,region\nbasic,east\n", "text/csv").run()
    assert_clean(at)
    assert "lacks" in at.error[0].value
    assert monitoring.incoming_batches(ws, model_id) == []
    at.file_uploader(key="monitor_upload").upload("june.csv", _shifted_csv(), "text/csv").run()
    assert_clean(at)
    assert "Stored 'june.csv'" in at.success[0].value
    assert [b["n_rows"] for b in monitoring.incoming_batches(ws, model_id)] == [300]
    assert _drift_table(at).loc["monthly_charges", "verdict"] == "● alert"


def test_a_small_batch_says_so_without_an_alert(ws, trained_project):
    monitoring.add_upload(ws, trained_project["champion_model_id"], _shifted_csv(40), "tiny.csv")
    at = open_page("monitor", trained_project["id"])
    assert_clean(at)
    assert not at.error
    assert any("too few to judge drift" in i.value for i in at.info)


def test_changed_thresholds_persist_and_reset(ws, trained_project):
    pid = trained_project["id"]
    monitoring.add_upload(ws, trained_project["champion_model_id"], _shifted_csv(), "june.csv")
    at = open_page("monitor", pid)
    js_warn = at.number_input(key=f"monitor_threshold_{pid}_js_warn")  # labelled from the statistics catalogue
    assert js_warn.label == "JS: warn from"
    assert js_warn.help == "Jensen-Shannon distance at which a feature gets a warning"
    at.number_input(key=f"monitor_threshold_{pid}_min_rows").set_value(1000)
    at.button(key=f"monitor_thresholds_apply_{pid}").click().run()
    assert_clean(at)
    assert monitoring.project_thresholds(ws, pid).min_rows == 1000
    again = open_page("monitor", pid)  # a new session reads them from the project
    assert again.number_input(key=f"monitor_threshold_{pid}_min_rows").value == 1000
    assert any("too few to judge drift" in i.value for i in again.info)
    again.button(key=f"monitor_thresholds_reset_{pid}").click().run()
    assert_clean(again)
    assert monitoring.project_thresholds(ws, pid).min_rows == 100
    assert again.error and "features drifted" in again.error[0].value


def _labels_csv(rows: pd.DataFrame, wrong: float) -> bytes:
    flip = np.random.default_rng(0).random(len(rows)) < wrong
    truth = np.where(flip, np.where(rows["churned"] == "yes", "no", "yes"), rows["churned"])
    return pd.DataFrame({"customer_id": rows["customer_id"], "churned": truth}).to_csv(index=False).encode()


def test_late_labels_show_the_decay_and_alerts_are_acknowledged(ws, trained_project):
    pid, model_id = trained_project["id"], trained_project["champion_model_id"]
    rows = load_sample("customer_churn").sample(300, random_state=1)
    monitoring.add_upload(ws, model_id, _shifted_csv(), "june.csv")
    at = open_page("monitor", pid)
    assert at.selectbox(key="monitor_labels_key").value == "customer_id"
    assert any("No labels yet" in i.value for i in at.info)
    at.file_uploader(key="monitor_labels_upload").upload("labels.csv", _labels_csv(rows, 0.4), "text/csv").run()
    assert_clean(at)
    assert "Stored 300 labels from 'labels.csv'" in [s.value for s in at.success][-1]
    assert any(e.value.startswith("Performance decayed in 1 window(s)") for e in at.error)
    assert any(f["layout"]["title"]["text"].endswith("on late labels, per window") for f in _figures(at))

    alerts.run_checks(ws, pid)  # what "Run checks now" and the cron command do
    at = open_page("monitor", pid)
    assert_clean(at)
    assert at.error[0].value.startswith("2 open alert(s) on this project")
    at.button(key=f"monitor_ack_{alerts.open_alerts(ws, pid)[0]['id']}").click().run()
    assert_clean(at)
    assert len(alerts.open_alerts(ws, pid)) == 1
    at.button(key="monitor_run_checks").click().run()  # same findings: nothing new
    assert_clean(at)
    assert len(alerts.open_alerts(ws, pid)) == 1


def test_a_bad_labels_file_says_why_and_saves_nothing(ws, trained_project):
    model_id = trained_project["champion_model_id"]
    monitoring.add_upload(ws, model_id, _shifted_csv(), "june.csv")
    at = open_page("monitor", trained_project["id"])
    at.file_uploader(key="monitor_labels_upload").upload("l.csv", b"customer_id,other\nC1,1\n", "text/csv").run()
    assert_clean(at)
    assert any("no column 'churned'" in e.value for e in at.error)
    assert monitor_labels.decay_check(ws, model_id) is None


def test_a_batch_uploaded_by_mistake_is_deleted_from_the_stored_batches(ws, trained_project):
    model_id = trained_project["champion_model_id"]
    kept = monitoring.add_upload(ws, model_id, _shifted_csv(), "june.csv")
    wrong = monitoring.add_upload(ws, model_id, _shifted_csv(200), "wrong.csv")
    at = open_page("monitor", trained_project["id"])
    assert_clean(at)
    stored = next(d.value for d in at.dataframe if "batch" in d.value.columns)
    assert stored["batch"].tolist() == [f"#{kept['id']} june.csv", f"#{wrong['id']} wrong.csv"]
    assert at.button(key="monitor_batch_delete").disabled  # nothing picked yet
    at.selectbox(key="monitor_batch_delete_pick_2").select(wrong["id"]).run()
    at.button(key="monitor_batch_delete").click().run()
    assert_clean(at)
    assert [b["key"] for b in monitoring.incoming_batches(ws, model_id)] == [f"batch:{kept['id']}"]
    assert _drift_table(at).loc["monthly_charges", "verdict"] == "● alert"  # the kept batch is checked now
