"""The workspace: project CRUD, datasets, jobs, runs and models, and state surviving a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from storage import IntegrityError, NameTakenError, NotFoundError, Workspace, now, sha256_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(ws) -> dict:
    return ws.create_project("Churn")


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"age": [31, 45, None], "city": ["Oslo", "Rome", "Lima"]})


def _add_dataset(ws, project_id, frame):
    return ws.add_dataset(project_id, frame, name="people.csv", source="upload:people.csv",
                          schema=[{"name": "age", "kind": "numeric"}], notes=["a note"])


def test_now_is_utc_iso_with_milliseconds():
    stamp = now()
    assert stamp.endswith("+00:00")
    assert datetime.fromisoformat(stamp).utcoffset().total_seconds() == 0
    assert len(stamp.split("T")[1].split("+")[0]) == len("12:34:56.789")


# -- projects ----------------------------------------------------------------------------------
def test_create_and_get_a_project(ws, project):
    assert project["name"] == "Churn"
    assert project["created_at"] == project["updated_at"]
    assert (project["problem"], project["recipe"], project["dataset_id"]) == (None, None, None)
    assert ws.get_project(project["id"]) == project


def test_names_are_stripped_and_unique(ws, project):
    assert ws.create_project("  Prices  ")["name"] == "Prices"
    with pytest.raises(NameTakenError, match="A project named 'Churn' already exists; choose another name."):
        ws.create_project(" Churn ")


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "A project needs a name; type one."), ("   ", "A project needs a name; type one."),
     (None, "A project needs a name; type one."), ("x" * 101, "Project names are at most 100 characters.")],
    ids=["empty", "blank", "none", "too-long"],
)
def test_bad_names_are_refused(ws, name, message):
    with pytest.raises(NameTakenError) as caught:
        ws.create_project(name)
    assert str(caught.value) == message


def test_rename(ws, project):
    other = ws.create_project("Other")
    assert ws.rename_project(project["id"], "Churn")["name"] == "Churn"  # its own name is fine
    renamed = ws.rename_project(project["id"], "Churn 2026")
    assert renamed["name"] == "Churn 2026"
    assert renamed["updated_at"] >= project["updated_at"]
    with pytest.raises(NameTakenError, match="'Other' already exists"):
        ws.rename_project(project["id"], "Other")
    assert ws.get_project(other["id"])["name"] == "Other"


def test_list_projects_most_recently_changed_first(ws, project):
    ws.create_project("Second")
    time.sleep(0.002)  # timestamps have millisecond resolution
    ws.update_project(project["id"], settings={"seed": 1})
    assert [p["name"] for p in ws.list_projects()] == ["Churn", "Second"]


def test_update_project_round_trips_json_fields(ws, project):
    problem = {"target": "y", "task": "classification", "metric": "accuracy"}
    updated = ws.update_project(project["id"], problem=problem, column_kinds={"age": "categorical"})
    assert updated["problem"] == problem
    assert ws.get_project(project["id"])["column_kinds"] == {"age": "categorical"}


def test_unknown_ids_raise_not_found(ws):
    with pytest.raises(NotFoundError, match="Project 99 does not exist; it may have been deleted."):
        ws.get_project(99)
    with pytest.raises(NotFoundError, match="Dataset 5 does not exist"):
        ws.get_dataset(5)
    with pytest.raises(NotFoundError):
        ws.update_job(7, status="running")
    with pytest.raises(NotFoundError):
        ws.delete_project(99)


def test_delete_project_removes_records_and_files(ws, project, frame):
    keep = ws.create_project("Keep")
    kept_dataset = _add_dataset(ws, keep["id"], frame)
    dataset = _add_dataset(ws, project["id"], frame)
    job = ws.create_job(project["id"], "train")
    run = ws.add_run(project["id"], job_id=job["id"], dataset_id=dataset["id"])
    model = DummyClassifier().fit([[0], [1]], ["a", "b"])
    ws.add_model(project["id"], run["id"], family="baseline", status="ok", pipeline=model, card={})
    folder = ws.project_dir(project["id"])
    assert (folder / "datasets").is_dir() and (folder / "models").is_dir()

    ws.delete_project(project["id"])

    assert not folder.exists()
    assert [p["name"] for p in ws.list_projects()] == ["Keep"]
    assert ws.list_datasets(project["id"]) == [] and ws.list_jobs(project["id"]) == []
    assert ws.list_runs(project["id"]) == [] and ws.list_models(project["id"]) == []
    assert ws.load_dataset(kept_dataset["id"]).shape == (3, 2)
    assert ws.create_project("Churn")["name"] == "Churn"  # the name is free again


# -- datasets ----------------------------------------------------------------------------------
def test_dataset_round_trip_with_sha256(ws, project, frame):
    record = _add_dataset(ws, project["id"], frame)
    path = ws.home / record["path"]
    assert path.is_file() and path.suffix == ".parquet"
    assert record["path"].startswith(f"projects/{project['id']}/datasets/")
    assert (record["n_rows"], record["n_cols"]) == (3, 2)
    assert record["schema"] == [{"name": "age", "kind": "numeric"}] and record["notes"] == ["a note"]
    assert record["sha256"] == sha256_file(path)
    back = ws.load_dataset(record["id"])
    assert back["city"].tolist() == ["Oslo", "Rome", "Lima"]
    assert back["age"].tolist()[:2] == [31.0, 45.0] and pd.isna(back["age"].iloc[2])
    assert [d["id"] for d in ws.list_datasets(project["id"])] == [record["id"]]


def test_changed_dataset_file_is_refused(ws, project, frame):
    record = _add_dataset(ws, project["id"], frame)
    frame.iloc[:1].to_parquet(ws.home / record["path"])
    with pytest.raises(IntegrityError, match="does not match its recorded sha256"):
        ws.load_dataset(record["id"])


def test_dataset_needs_an_existing_project(ws, frame):
    with pytest.raises(NotFoundError):
        _add_dataset(ws, 42, frame)


# -- jobs --------------------------------------------------------------------------------------
def test_job_lifecycle_and_log(ws, project):
    job = ws.create_job(project["id"], "train")
    assert (job["status"], job["progress"], job["message"], job["log"]) == ("queued", 0.0, "Waiting to start", "")
    ws.append_job_log(job["id"], "first line")
    ws.append_job_log(job["id"], "second line")
    ws.update_job(job["id"], status="running", progress=0.5)
    job = ws.get_job(job["id"])
    lines = job["log"].splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["first line", "second line"]
    assert all(datetime.fromisoformat(line.split(" ", 1)[0]) for line in lines)
    assert (job["status"], job["progress"]) == ("running", 0.5)


def test_list_jobs_filters_newest_first(ws, project):
    other = ws.create_project("Other")
    first = ws.create_job(project["id"], "train")
    second = ws.create_job(project["id"], "train")
    ws.create_job(other["id"], "train")
    ws.update_job(first["id"], status="succeeded")
    assert [j["id"] for j in ws.list_jobs(project["id"])] == [second["id"], first["id"]]
    assert [j["id"] for j in ws.list_jobs(project["id"], status="queued")] == [second["id"]]
    assert len(ws.list_jobs()) == 3


# -- runs and models ---------------------------------------------------------------------------
def test_model_with_pipeline_is_stored_and_verified(ws, project):
    run = ws.add_run(project["id"], split={"train": 2, "valid": 1, "test": 0}, notes=[])
    assert ws.get_run(run["id"])["split"] == {"train": 2, "valid": 1, "test": 0}
    pipeline = DummyClassifier(strategy="most_frequent").fit([[0], [1], [2]], ["a", "b", "b"])
    predictions = pd.DataFrame({"y_true": ["a"], "y_pred": ["b"]})
    record = ws.add_model(project["id"], run["id"], family="baseline", status="ok", pipeline=pipeline,
                          card={"task": "classification"}, predictions=predictions,
                          valid_metrics={"accuracy": 0.0}, cv_scores=[0.5, 0.25])
    folder = ws.model_dir(record["id"])
    assert folder == ws.project_dir(project["id"]) / "models" / str(record["id"])
    assert record["size_bytes"] == (folder / "model.joblib").stat().st_size
    assert (record["valid_metrics"], record["cv_scores"]) == ({"accuracy": 0.0}, [0.5, 0.25])
    loaded, card = ws.load_model(record["id"])
    assert loaded.predict([[9]]).tolist() == ["b"]
    assert card["model_id"] == record["id"] and card["sha256"] == record["sha256"]
    assert ws.load_predictions(record["id"]).to_dict("list") == {"y_true": ["a"], "y_pred": ["b"]}
    assert [m["id"] for m in ws.list_models(project["id"], run["id"])] == [record["id"]]


def test_tampered_model_is_refused(ws, project):
    run = ws.add_run(project["id"])
    record = ws.add_model(project["id"], run["id"], family="baseline", status="ok",
                          pipeline=DummyClassifier().fit([[0], [1]], [0, 1]), card={})
    model_file = ws.model_dir(record["id"]) / "model.joblib"
    model_file.write_bytes(model_file.read_bytes()[:-1] + b"x")
    with pytest.raises(IntegrityError, match="will not be loaded"):
        ws.load_model(record["id"])


class _Unpicklable:
    """Stands in for a model whose write fails half-way (a cancel, a full disk)."""

    def __reduce__(self):
        raise KeyboardInterrupt("stopped while writing")


def test_a_model_whose_files_cannot_be_written_leaves_no_record(ws, project):
    run = ws.add_run(project["id"])
    with pytest.raises(KeyboardInterrupt):
        ws.add_model(project["id"], run["id"], family="linear", status="ok", pipeline=_Unpicklable(), card={})
    assert ws.list_models(project["id"]) == []
    assert not (ws.project_dir(project["id"]) / "models" / "1").exists()


def test_failed_model_has_no_files(ws, project):
    run = ws.add_run(project["id"])
    record = ws.add_model(project["id"], run["id"], family="linear", status="failed", error="ValueError: bad")
    assert (record["path"], record["sha256"], record["error"]) == (None, None, "ValueError: bad")
    with pytest.raises(NotFoundError, match=r"Model \d+ has no stored file \(its training failed\)."):
        ws.load_model(record["id"])


# -- restart -----------------------------------------------------------------------------------
WRITER = textwrap.dedent("""
    import sys
    import pandas as pd
    from sklearn.dummy import DummyRegressor
    from storage import Workspace

    ws = Workspace(sys.argv[1])
    project = ws.create_project("Written elsewhere")
    dataset = ws.add_dataset(project["id"], pd.DataFrame({"x": [1.0, 2.0, 3.0]}), name="x.csv",
                             source="upload:x.csv", schema=[], notes=[])
    ws.update_project(project["id"], dataset_id=dataset["id"], problem={"target": "x"})
    job = ws.create_job(project["id"], "train")
    ws.append_job_log(job["id"], "hello from another process")
    ws.update_job(job["id"], status="succeeded", progress=1.0)
    run = ws.add_run(project["id"], job_id=job["id"])
    model = ws.add_model(project["id"], run["id"], family="baseline", status="ok",
                         pipeline=DummyRegressor().fit([[0], [1]], [2.0, 4.0]), card={"task": "regression"})
    print(project["id"], dataset["id"], job["id"], model["id"])
""")


HAMMER = textwrap.dedent("""
    import sys
    from storage import Workspace

    ws = Workspace(sys.argv[1])
    job_id = int(sys.argv[2])
    for i in range(150):
        ws.update_job(job_id, heartbeat_at=str(i))
        ws.append_job_log(job_id, f"line {i}")
        ws.add_run(1, notes=[i])
""")


@pytest.mark.slow
def test_two_processes_writing_at_once_both_succeed(ws, project):
    """The worker (heartbeat, progress, log) and a page (cancel) write the same rows at the same time."""
    job = ws.create_job(project["id"], "train")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    other = subprocess.Popen([sys.executable, "-c", HAMMER, str(ws.home), str(job["id"])], cwd=ROOT, env=env,
                             stderr=subprocess.PIPE, text=True)
    updates = 0
    while other.poll() is None:
        ws.update_job(job["id"], progress=updates / 10_000)
        ws.update_project(project["id"], settings={"n": updates})
        updates += 1
    assert other.returncode == 0, other.stderr.read()
    other.stderr.close()
    assert updates > 0
    assert len(ws.get_job(job["id"])["log"].splitlines()) == 150
    assert len(ws.list_runs(project["id"])) == 150


@pytest.mark.slow
def test_state_written_by_another_process_is_read_back(ws):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", WRITER, str(ws.home)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    project_id, dataset_id, job_id, model_id = map(int, result.stdout.split())

    fresh = Workspace(ws.home)
    project = fresh.get_project(project_id)
    assert (project["name"], project["dataset_id"], project["problem"]) == ("Written elsewhere", dataset_id,
                                                                            {"target": "x"})
    assert fresh.load_dataset(dataset_id)["x"].tolist() == [1.0, 2.0, 3.0]
    job = fresh.get_job(job_id)
    assert (job["status"], job["progress"]) == ("succeeded", 1.0)
    assert job["log"].endswith(" hello from another process\n")
    pipeline, card = fresh.load_model(model_id)
    assert pipeline.predict([[7]]).tolist() == [3.0]
    assert card["task"] == "regression"
    # the Workspace object that existed before the other process ran sees the same state
    assert [p["id"] for p in ws.list_projects()] == [project_id]
    assert json.loads((ws.model_dir(model_id) / "model.json").read_text())["model_id"] == model_id
