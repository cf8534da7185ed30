"""The one record API: ids never reused, the decision threshold column, a run's winner, Parquet records, narrow
errors."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlite_utils import Database

from storage import IntegrityError, NotFoundError, Workspace
from storage.db import ID_TABLES, migrations, open_db


def test_ids_are_never_reused_after_a_delete(ws):
    """Regression: a new run got a deleted run's id (and with it the old run's Optuna study and job log)."""
    first = ws.create_project("Churn")
    run = ws.add_run(first["id"])
    job = ws.create_job(first["id"], "train")
    ws.delete_project(first["id"])
    second = ws.create_project("Churn again")
    assert second["id"] > first["id"]
    assert ws.add_run(second["id"])["id"] > run["id"]
    assert ws.create_job(second["id"], "train")["id"] > job["id"]


def test_every_id_table_has_an_autoincrement_key(ws):
    with open_db(ws.db_path) as db:
        schemas = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    assert [t for t in ID_TABLES if "PRIMARY KEY AUTOINCREMENT" not in schemas[t]] == []


def _old_workspace(path, stop_before: str) -> None:
    """A workspace database as code before ``stop_before`` left it: a project, a run, two models, a share."""
    db = Database(path)
    migrations.apply(db, stop_before=stop_before)
    db["projects"].insert({"id": 1, "name": "Churn"})
    db["runs"].insert_all([{"id": 1, "project_id": 1}, {"id": 4, "project_id": 1}])
    db["models"].insert_all([
        {"id": 1, "project_id": 1, "run_id": 4, "status": "ok",
         "valid_metrics": '{"accuracy": 0.8, "decision_threshold": 0.3}'},
        {"id": 2, "project_id": 1, "run_id": 4, "status": "ok", "valid_metrics": '{"accuracy": 0.7}'},
        {"id": 3, "project_id": 1, "run_id": 4, "status": "failed", "valid_metrics": None}])
    db.execute("INSERT INTO shares (id, project_id, token_sha256) VALUES (7, 1, 'ab')")
    db.conn.commit()
    db.close()


def test_rebuilding_for_autoincrement_keeps_rows_ids_indexes_and_cascades(tmp_path):
    _old_workspace(tmp_path / "workbench.db", "m010_ids_never_reused")
    ws = Workspace(tmp_path)
    assert [r["id"] for r in ws.list_runs(1)] == [4, 1]
    assert ws.get_share(7)["token_sha256"] == "ab"
    assert ws.add_run(1)["id"] == 5  # after the largest id kept
    with open_db(ws.db_path) as db:
        assert [i.columns for i in db["shares"].indexes if i.unique] == [["token_sha256"]]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    ws.delete_project(1)  # ON DELETE CASCADE still holds after the rebuild
    assert ws.list_shares(1) == []


def test_the_decision_threshold_moves_out_of_valid_metrics_into_its_column(tmp_path):
    _old_workspace(tmp_path / "workbench.db", "m011_decision_threshold")
    ws = Workspace(tmp_path)
    thresholded, plain, failed = (ws.get_model(i) for i in (1, 2, 3))
    assert (thresholded["decision_threshold"], thresholded["valid_metrics"]) == (0.3, {"accuracy": 0.8})
    assert (plain["decision_threshold"], plain["valid_metrics"]) == (None, {"accuracy": 0.7})
    assert (failed["decision_threshold"], failed["valid_metrics"]) == (None, None)


def test_runs_of_an_old_workspace_get_an_empty_winner_and_new_runs_keep_theirs(tmp_path):
    _old_workspace(tmp_path / "workbench.db", "m012_run_winner")
    ws = Workspace(tmp_path)
    assert [r["winner_model_id"] for r in ws.list_runs(1)] == [None, None]  # chosen before runs recorded it
    assert ws.update_run(4, winner_model_id=2)["winner_model_id"] == 2
    assert ws.get_run(4)["winner_model_id"] == 2 and ws.get_run(1)["winner_model_id"] is None


def test_set_threshold_keeps_it_on_the_model_row(ws):
    project = ws.create_project("Churn")
    model = ws.add_model(project["id"], None, family="linear", status="ok", valid_metrics={"accuracy": 0.8})
    assert ws.set_threshold(model["id"], 0.35)["decision_threshold"] == 0.35
    assert ws.get_model(model["id"])["valid_metrics"] == {"accuracy": 0.8}
    assert ws.set_threshold(model["id"], None)["decision_threshold"] is None
    for bad in (0, 1, 1.5, float("nan"), "0.3"):
        with pytest.raises(ValueError, match=r"number in \(0, 1\)"):
            ws.set_threshold(model["id"], bad)
    with pytest.raises(NotFoundError, match="Model 99 does not exist"):
        ws.set_threshold(99, 0.5)


@pytest.mark.parametrize(("table", "getter", "name"), [
    ("projects", "get_project", "Project"), ("datasets", "get_dataset", "Dataset"), ("jobs", "get_job", "Job"),
    ("runs", "get_run", "Run"), ("models", "get_model", "Model"), ("monitor_batches", "get_batch", "Batch"),
    ("monitor_labels", "get_labels", "Labels file"), ("alerts", "get_alert", "Alert"),
    ("shares", "get_share", "Share link"),
], ids=lambda v: v if isinstance(v, str) and v.startswith("get_") else "")
def test_a_missing_record_of_any_table_raises_not_found_with_its_name(ws, table, getter, name):
    with pytest.raises(NotFoundError, match=f"^{name} 42 does not exist"):
        getattr(ws, getter)(42)


def test_labels_are_one_parquet_record_per_table_and_key(ws):
    project = ws.create_project("Churn")
    frame = pd.DataFrame({"id": [1, 2, 3], "churn": ["yes", "no", "no"]})
    first = ws.add_labels(project["id"], frame, name="june.csv", key="id", target="churn")
    again = ws.add_labels(project["id"], frame, name="june (2).csv", key="id", target="churn")
    other_key = ws.add_labels(project["id"], frame, name="june.csv", key="churn", target="id")
    assert again == first and other_key["id"] != first["id"]
    assert len(list((ws.project_dir(project["id"]) / "labels").iterdir())) == 2
    pd.testing.assert_frame_equal(ws.load_labels(first["id"]), frame)
    (ws.home / first["path"]).write_bytes(b"changed")
    with pytest.raises(IntegrityError, match="does not match its recorded sha256"):
        ws.load_labels(first["id"])
    ws.delete_labels(first["id"])
    assert not (ws.home / first["path"]).exists()
    assert [r["id"] for r in ws.list_labels(project["id"])] == [other_key["id"]]


def test_two_datasets_stored_in_the_same_millisecond_keep_both_files(ws, monkeypatch):
    project = ws.create_project("Churn")
    monkeypatch.setattr("storage.workspace.now", lambda: "2026-01-01T00:00:00.000+00:00")
    a = ws.add_dataset(project["id"], pd.DataFrame({"x": [1]}), name="a", source="upload:a", schema=[], notes=[])
    b = ws.add_dataset(project["id"], pd.DataFrame({"x": [2]}), name="b", source="upload:b", schema=[], notes=[])
    assert a["path"] != b["path"]
    assert ws.load_dataset(a["id"])["x"].tolist() == [1] and ws.load_dataset(b["id"])["x"].tolist() == [2]


def test_settings_of_a_project_share_one_row_without_overwriting_each_other(ws):
    project = ws.create_project("Churn")
    ws.save_drift_thresholds(project["id"], {"psi_alert": 0.3})
    ws.save_decay_thresholds(project["id"], {"drop": 0.05})
    ws.save_webhook(project["id"], "https://example.org/hook")
    fresh = Workspace(ws.home)
    assert fresh.get_drift_thresholds(project["id"]) == {"psi_alert": 0.3}
    assert fresh.get_decay_thresholds(project["id"]) == {"drop": 0.05}
    assert fresh.get_webhook(project["id"]) == "https://example.org/hook"
    with pytest.raises(NotFoundError, match="Project 9"):
        ws.save_webhook(9, "https://example.org/hook")
