"""Retrain -> challenger -> compare -> promote -> rollback on the churn sample, with new data and late labels
stored as the Monitor page stores them."""

from __future__ import annotations

import pandas as pd
import pytest

from engine import load_sample
from engine.errors import ModelError, TrainingError
from usecases import evaluation, monitor_labels, registry, retraining
from usecases.training import run_training_job

KEY, TARGET = "customer_id", "churned"


@pytest.fixture(scope="module")
def churn() -> pd.DataFrame:
    return load_sample("customer_churn")


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _arrive(ws, project: dict, rows: pd.DataFrame, name: str, day: str) -> None:
    """New rows that reached the champion on ``day`` (no target column, as in real life)."""
    ws.add_batch(project["id"], rows.drop(columns=TARGET), source="upload", name=name,
                 model_id=project["champion_model_id"], created_at=f"{day}T08:00:00.000+00:00")


@pytest.fixture
def labelled(ws, churn_champion, churn) -> dict:
    """The champion's project with 400 new rows in two batches (May, then June) and their labels; in June's
    labels a first file is corrected by a second one for 10 customers."""
    new = churn.sample(400, random_state=5).reset_index(drop=True)
    _arrive(ws, churn_champion, new.iloc[200:], "june.csv", "2026-06-01")  # stored first, arrived later
    _arrive(ws, churn_champion, new.iloc[:200], "may.csv", "2026-05-01")
    model_id = churn_champion["champion_model_id"]
    wrong = new[[KEY, TARGET]].assign(**{TARGET: "yes"})
    monitor_labels.add_label_file(ws, model_id, _csv(wrong.head(10)), "first.csv", KEY)
    monitor_labels.add_label_file(ws, model_id, _csv(new[[KEY, TARGET]]), "labels.csv", KEY)
    return {**churn_champion, "new": new}


@pytest.fixture
def no_worker(monkeypatch):
    """Retrain stores its table and job but starts no process (to check the tables quickly)."""
    monkeypatch.setattr(retraining, "spawn_worker", lambda ws, job_id: 0)


def _table(ws, job: dict) -> pd.DataFrame:
    ws.update_job(job["id"], status="succeeded")  # the job never ran; let the next retrain start
    return ws.load_dataset(job["params"]["retrain"]["dataset_id"])


def test_labelled_new_rows_have_the_dataset_columns_the_newest_label_and_arrival_order(ws, labelled):
    rows = retraining.labelled_new_rows(ws, labelled["champion_model_id"])
    dataset = ws.get_dataset(labelled["dataset_id"])
    assert list(rows.columns) == [c["name"] for c in dataset["schema"]] + ["arrived_at", "label_key"]
    assert rows["label_key"].tolist() == rows[KEY].tolist()
    assert len(rows) == 400 and "prediction" not in rows.columns
    assert rows["arrived_at"].str[:10].tolist() == ["2026-05-01"] * 200 + ["2026-06-01"] * 200
    truth = labelled["new"].set_index(KEY)[TARGET]
    assert (rows[TARGET].to_numpy() == truth.loc[rows[KEY]].to_numpy()).all()  # the later file won


def test_tables_for_reference_new_and_window(ws, labelled, no_worker):
    pid, new = labelled["id"], labelled["new"]
    dataset = ws.get_dataset(labelled["dataset_id"])
    reference = ws.load_dataset(dataset["id"])
    used = new[KEY].iloc[:280].astype(str).tolist()  # the last 30% by arrival (120 June rows) are held out

    job = retraining.retrain(ws, pid, "reference+new")
    table = _table(ws, job)
    record = ws.get_dataset(job["params"]["retrain"]["dataset_id"])
    assert record["name"] == "retrain: reference + 280 of 400 new rows (120 held out)"
    assert record["source"] == "retrain:reference+new"
    assert len(table) == len(reference) + 280 and list(table.columns) == list(reference.columns)
    assert table[KEY].iloc[len(reference):].astype(str).tolist() == used
    assert job["params"]["retrain"]["used_keys"] == used and job["params"]["retrain"]["held_out"] == 120
    assert job["params"]["retrain"]["held_keys"] == new[KEY].iloc[280:].tolist()
    assert ws.get_project(pid)["dataset_id"] == dataset["id"]  # the project keeps working on its own data

    job = retraining.retrain(ws, pid, "new")
    table = _table(ws, job)
    assert len(table) == 280 and table[KEY].astype(str).tolist() == used

    job = retraining.retrain(ws, pid, "window", window_rows=500)
    table = _table(ws, job)
    assert ws.get_dataset(job["params"]["retrain"]["dataset_id"])["name"] == (
        "retrain: sliding window of the latest 500 rows (400 new rows, 120 held out)")
    assert table[KEY].tolist() == reference[KEY].iloc[-220:].tolist() + new[KEY].iloc[:280].tolist()
    job = retraining.retrain(ws, pid, "window", window_rows=100)
    assert _table(ws, job)[KEY].astype(str).tolist() == used[-100:] == job["params"]["retrain"]["used_keys"]


def test_refusals_say_what_to_do(ws, labelled, churn_champion, no_worker):
    pid = labelled["id"]
    with pytest.raises(TrainingError, match="must be one of"):
        retraining.retrain(ws, pid, "everything")
    with pytest.raises(TrainingError, match="needs a number of rows"):
        retraining.retrain(ws, pid, "window")
    with pytest.raises(TrainingError, match="too few"):
        retraining.retrain(ws, pid, "window", window_rows=4)
    other = ws.create_project("Empty")
    with pytest.raises(TrainingError, match="no champion"):
        retraining.retrain(ws, other["id"])
    queued = ws.create_job(pid, "train")
    with pytest.raises(TrainingError, match=f"job {queued['id']} is still running"):
        retraining.retrain(ws, pid)
    ws.update_job(queued["id"], status="succeeded")
    with pytest.raises(TrainingError, match="no champion and challenger"):
        retraining.compare_on_recent(ws, pid)
    with pytest.raises(ModelError, match="no earlier champion"):
        registry.rollback(ws, pid)


def test_no_labels_no_retraining(ws, churn_champion, churn):
    _arrive(ws, churn_champion, churn.head(50), "may.csv", "2026-05-01")
    assert retraining.labelled_new_rows(ws, churn_champion["champion_model_id"]).empty
    with pytest.raises(TrainingError, match="no labelled new rows"):
        retraining.retrain(ws, churn_champion["id"])


@pytest.mark.slow
def test_retrain_compare_promote_rollback(ws, labelled, wait_for):
    pid, champion = labelled["id"], labelled["champion_model_id"]
    first_run = ws.get_run(ws.get_model(champion)["run_id"])
    assert registry.versions(ws, pid)[["model_id", "stage"]].values.tolist() == [[champion, "champion"]]

    job = wait_for(ws, retraining.retrain(ws, pid, "reference+new")["id"])
    assert job["status"] == "succeeded", job["message"]
    run = next(r for r in ws.list_runs(pid) if r["job_id"] == job["id"])
    assert run["settings"] == first_run["settings"] and run["recipe"] == first_run["recipe"]
    assert ws.get_dataset(run["dataset_id"])["n_rows"] == 1500 + 280
    challenger = registry.challenger(ws, pid)
    assert ws.get_model(challenger)["run_id"] == run["id"]
    assert ws.get_project(pid)["champion_model_id"] == champion  # a retraining never promotes by itself

    result = retraining.compare_on_recent(ws, pid)
    assert (result.source, result.rows, result.challenger_id) == ("recent", 120, challenger)
    main = result.table.iloc[0]
    assert main["metric"] == first_run["problem"]["metric"]
    assert main["a_low"] <= main["a"] <= main["a_high"] and main["b_low"] <= main["b"] <= main["b_high"]
    assert main["verdict"] in ("champion better", "challenger better", "not clearly different")

    registry.promote(ws, pid, challenger)
    assert ws.get_project(pid)["champion_model_id"] == challenger
    stages = dict(registry.versions(ws, pid)[["model_id", "stage"]].values.tolist())
    assert stages == {challenger: "champion", champion: "archived"}
    assert registry.previous_champion(ws, pid) == champion

    registry.rollback(ws, pid)
    assert ws.get_project(pid)["champion_model_id"] == champion
    assert dict(registry.versions(ws, pid)[["model_id", "stage"]].values.tolist()) == {
        challenger: "archived", champion: "champion"}
    assert ws.load_model(challenger)[1]["run_id"] == run["id"]  # every version's files are kept
    with pytest.raises(ModelError, match="no earlier champion"):
        registry.rollback(ws, pid)  # the first champion is as far back as it goes

    evaluation.set_champion(ws, pid, challenger)  # Evaluate's "choose as champion" is a promotion too
    assert registry.previous_champion(ws, pid) == champion


def test_the_comparison_is_on_the_rows_the_retraining_held_out(ws, churn_champion, churn, keep_sigterm,
                                                               monkeypatch):
    """Issue 17 item 3: labels keyed on an ID the training data lacks ('loan_id'); the retraining holds out 30 of
    100 labelled new rows and the comparison is on exactly those 30, in words that match the versions table."""
    monkeypatch.setattr(retraining, "MIN_COMPARE_ROWS", 20)
    pid, champion = churn_champion["id"], churn_champion["champion_model_id"]
    new = churn.sample(100, random_state=8).reset_index(drop=True).assign(loan_id=range(1, 101))
    _arrive(ws, churn_champion, new.iloc[:60], "may.csv", "2026-05-01")
    _arrive(ws, churn_champion, new.iloc[60:].drop(columns="loan_id"), "june-scored.csv", "2026-06-01")
    _arrive(ws, churn_champion, new.iloc[60:], "june.csv", "2026-06-02")  # the IDs came with a later copy
    labels = new[["loan_id", TARGET]]
    monitor_labels.add_label_file(ws, champion, _csv(labels), "labels.csv", "loan_id")

    monkeypatch.setattr(retraining, "spawn_worker", lambda ws, job_id: 0)
    job = retraining.retrain(ws, pid, "reference+new")
    params = job["params"]["retrain"]
    assert params["held_keys"] == [str(i) for i in range(71, 101)] and len(params["used_keys"]) == 70
    run_training_job(ws, job["id"])  # in this process: quick, and the challenger is what a worker would save
    challenger = registry.challenger(ws, pid)
    data = registry.versions(ws, pid).set_index("model_id").loc[challenger, "data"]
    assert data == "retrain: reference + 70 of 100 new rows (30 held out)"

    result = retraining.compare_on_recent(ws, pid)
    assert (result.source, result.rows) == ("recent", 30)
    assert result.where == ("the 30 labelled new rows held out of the retraining (the challenger was trained on "
                            "the other 70 of 100): rows neither model was trained on")

    monkeypatch.setattr(retraining, "MIN_COMPARE_ROWS", 31)
    result = retraining.compare_on_recent(ws, pid)
    assert result.source == "validation" and "only the 30 labelled new rows held out" in result.where
