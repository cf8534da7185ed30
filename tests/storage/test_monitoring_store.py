"""Monitoring records: the m006 migration, incoming batches, the prediction log read as daily batches, thresholds."""

from __future__ import annotations

import pandas as pd
import pytest

from storage import NotFoundError, Workspace, read_reference, write_reference
from storage.db import migrations, open_db


def test_migration_adds_the_monitoring_tables(ws):
    with open_db(ws.db_path) as db:
        assert {"monitor_batches", "monitor_settings"} <= set(db.table_names())
        names = [m.name for m in migrations.applied(db)]
    assert "m006_monitoring" in names


def test_batches_round_trip_and_survive_a_restart(ws):
    project = ws.create_project("Churn")
    frame = pd.DataFrame({"age": [30.0, 41.5, None], "plan": ["a", "b", "a"]})
    first = ws.add_batch(project["id"], frame, source="upload", name="may.csv", created_at="2026-05-01T08:00")
    second = ws.add_batch(project["id"], frame.head(2), source="batch scoring", name="june.csv")
    again = Workspace(ws.home)  # a new process opening the same folder
    batches = again.list_batches(project["id"])
    assert [(b["name"], b["source"], b["n_rows"], b["n_cols"]) for b in batches] == [
        ("may.csv", "upload", 3, 2), ("june.csv", "batch scoring", 2, 2)]
    assert batches[0]["created_at"] == "2026-05-01T08:00" and len(first["sha256"]) == 64
    pd.testing.assert_frame_equal(again.load_batch(first["id"]), frame)
    again.delete_batch(second["id"])
    assert [b["id"] for b in again.list_batches(project["id"])] == [first["id"]]
    with pytest.raises(NotFoundError, match="Batch"):
        again.get_batch(second["id"])
    with pytest.raises(ValueError, match="source"):
        ws.add_batch(project["id"], frame, source="email", name="x.csv")


def test_deleting_a_project_deletes_its_batches_and_thresholds(ws):
    project = ws.create_project("Churn")
    ws.add_batch(project["id"], pd.DataFrame({"a": [1]}), source="upload", name="a.csv")
    ws.save_drift_thresholds(project["id"], {"psi_alert": 0.3})
    ws.delete_project(project["id"])
    with open_db(ws.db_path) as db:
        assert db["monitor_batches"].count == 0 and db["monitor_settings"].count == 0


def _model(ws) -> int:
    project = ws.create_project("Served")
    run = ws.add_run(project["id"])
    return ws.add_model(project["id"], run["id"], family="linear", status="ok")["id"]


def test_prediction_log_reads_as_one_batch_per_day(ws):
    model_id = _model(ws)
    log = [("2026-05-01T09:00:00.000+00:00", [{"age": 30}], [1]),
           ("2026-05-01T17:00:00.000+00:00", [{"age": 31}, {"age": 32}], [0, 1]),
           ("2026-05-02T10:00:00.000+00:00", [{"age": 50}], [0])]
    for stamp, rows, predictions in log:
        ws.log_prediction(model_id, inputs=rows, outputs={"predictions": predictions}, ms=1.0, model_version="v1",
                          created_at=stamp)
    days = ws.prediction_log_days(model_id)
    assert [(d["day"], d["requests"], d["n_rows"]) for d in days] == [("2026-05-01", 2, 3), ("2026-05-02", 1, 1)]
    inputs, predictions = ws.load_prediction_log_day(model_id, "2026-05-01")
    assert inputs["age"].tolist() == [30, 31, 32]
    assert predictions["prediction"].tolist() == [1, 0, 1]
    assert ws.prediction_log_days(model_id + 1) == []


def test_thresholds_save_reset_and_default_to_none(ws):
    project = ws.create_project("Churn")
    assert ws.get_drift_thresholds(project["id"]) is None
    ws.save_drift_thresholds(project["id"], {"psi_alert": 0.3})
    ws.save_drift_thresholds(project["id"], {"psi_alert": 0.4, "min_rows": 50})
    assert Workspace(ws.home).get_drift_thresholds(project["id"]) == {"psi_alert": 0.4, "min_rows": 50}
    ws.save_drift_thresholds(project["id"], None)
    assert ws.get_drift_thresholds(project["id"]) is None


def test_reference_file_round_trips(tmp_path):
    assert read_reference(tmp_path) is None
    write_reference(tmp_path, {"n_rows": 3, "features": {"age": {"kind": "numeric"}}})
    assert read_reference(tmp_path) == {"n_rows": 3, "features": {"age": {"kind": "numeric"}}}
