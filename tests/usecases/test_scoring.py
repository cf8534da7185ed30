"""Scoring a file with a stored model: a job record the Deploy page renders from, at once or in the background."""

from __future__ import annotations

import io
import os
import signal

import pandas as pd
import pytest

from engine import load_sample, predict_frame, read_table
from engine.errors import ColumnError
from usecases import evaluation, monitoring, projects, scoring, training


@pytest.fixture
def model_id(churn_champion) -> int:
    return churn_champion["champion_model_id"]


def _upload(n: int = 300) -> pd.DataFrame:
    return load_sample("customer_churn").sample(n, random_state=3).reset_index(drop=True)


def test_a_small_upload_is_scored_at_once_like_the_whole_table(ws, model_id):
    rows = _upload()
    evaluation.set_threshold(ws, model_id, 0.3)
    job = scoring.start_scoring(ws, model_id, rows.to_csv(index=False).encode(), "june.csv")
    assert (job["kind"], job["status"], job["progress"], job["message"]) == ("score", "succeeded", 1.0,
                                                                             "Scored 300 rows")
    result = scoring.scoring_result(ws, job["id"])
    assert (result.filename, result.rows, len(result.preview)) == ("june.csv", 300, 300)
    assert result.notes[-1] == "Classes are decided with the decision threshold 0.3 saved with the model."
    written = pd.read_csv(io.BytesIO(scoring.predictions_bytes(ws, job["id"])))
    pipeline, card = ws.load_model(model_id)
    expected = predict_frame(pipeline, read_table(rows.to_csv(index=False).encode(), name="x.csv").frame,
                             card["features"], "classification", 0.3)
    assert list(written.columns) == [*rows.columns, "prediction", "proba_no", "proba_yes"]
    assert written["prediction"].tolist() == expected["prediction"].tolist()
    assert written["customer_id"].tolist() == rows["customer_id"].tolist()
    assert not (ws.home / "scoring" / str(job["id"]) / "june.csv").exists()  # the upload is not kept twice
    # The Train page's job list and its "still running" check are about training jobs only.
    assert projects.project_jobs(ws, ws.get_model(model_id)["project_id"])[0]["kind"] == "train"


def test_a_big_file_keeps_a_sample_for_monitor_and_scoring_it_again_adds_no_batch(ws, model_id, monkeypatch):
    monkeypatch.setattr(scoring, "MONITOR_ROWS", 50)
    data = _upload().to_csv(index=False).encode()
    first = scoring.start_scoring(ws, model_id, data, "big.csv")
    scoring.start_scoring(ws, model_id, data, "big.csv")
    assert scoring.scoring_result(ws, first["id"]).notes[-1] == ("The Monitor page keeps a random sample of 50 "
                                                                 "of the 300 rows.")
    batches = monitoring.incoming_batches(ws, model_id)
    assert [(b["source"], b["n_rows"]) for b in batches] == [("batch scoring", 50)]
    sample = ws.load_batch(int(batches[0]["key"].split(":")[1]))
    ids = _upload()["customer_id"].tolist()
    positions = [ids.index(i) for i in sample["customer_id"]]
    assert positions == sorted(positions) and len(set(positions)) == 50  # in file order, each row once


def test_a_user_error_is_raised_and_recorded(ws, model_id):
    with pytest.raises(ColumnError, match=r"lacks \d+ column\(s\) the model needs"):
        scoring.start_scoring(ws, model_id, b"plan\nbasic\n", "few.csv")
    job = ws.list_jobs()[0]
    assert (job["kind"], job["status"]) == ("score", "failed") and "lacks" in job["message"]
    assert not (ws.home / "scoring" / str(job["id"])).exists()


@pytest.mark.slow
def test_a_background_job_scores_with_progress_and_does_not_block_training(ws, model_id, wait_for, monkeypatch):
    monkeypatch.setenv("WORKBENCH_SCORE_INLINE_MB", "0.01")
    data = _upload(1200).to_csv(index=False).encode()
    job = scoring.start_scoring(ws, model_id, data, "june.csv")
    assert job["status"] in ("queued", "running") and job["pid"]
    training.refuse_if_running(ws, job["project_id"])  # a scoring job is not a training job
    done = wait_for(ws, job["id"], timeout=120)
    assert (done["status"], done["progress"], done["message"]) == ("succeeded", 1.0, "Scored 1,200 rows")
    assert scoring.scoring_result(ws, job["id"]).rows == 1200


def test_cancel_stops_a_scoring_job_at_once(ws, model_id, keep_sigterm, monkeypatch):
    job = ws.create_job(ws.get_model(model_id)["project_id"], "score",
                        {"model_id": model_id, "filename": "june.csv", "interval_level": None})
    folder = ws.home / "scoring" / str(job["id"])
    folder.mkdir(parents=True)
    (folder / "june.csv").write_bytes(_upload().to_csv(index=False).encode())

    def cancelled(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # what Cancel sends; the handler raises in this thread
        raise AssertionError("SIGTERM did not stop the job")

    monkeypatch.setattr(scoring, "score_file", cancelled)
    scoring.run_scoring_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "cancelled" and not folder.exists()
