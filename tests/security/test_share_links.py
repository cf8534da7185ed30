"""A share link is read by people who are not the project's users: its report and prediction form show no raw
value of an identifier, free-text or high-cardinality column, its predictions are not production traffic (they
never reach the model's drift batches), and it makes at most so many predictions a minute."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from engine import Problem, infer_schema
from engine.deploy.project_report import column_summary, project_html
from engine.errors import ShareError
from engine.explore.profile import profile
from usecases import monitoring, projects, sharing
from usecases.training import run_training_job

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
N = 40
PEOPLE = pd.DataFrame({
    "email": [f"person{i}@example.com" for i in range(N)],
    "ssn": [f"078-05-{1120 + i}" for i in range(N)],
    "city": [f"Town {i // 2}" for i in range(N)],  # 20 towns of 2 people: a category, but it singles people out
    "note": [f"called on day {i} about the invoice of {i * 7} euros" for i in range(N)],
    "plan": ["basic", "premium"] * (N // 2),
    "visits": [i % 10 for i in range(N)],
    "churned": ["yes" if i % 10 < 5 else "no" for i in range(N)],
})
RAW = [*PEOPLE["email"], *PEOPLE["ssn"], *PEOPLE["city"], *PEOPLE["note"]]


def test_the_column_summary_shows_no_raw_identifier_text_or_rare_value():
    summary = column_summary(profile(PEOPLE, infer_schema(PEOPLE), None, None))
    cells = summary.set_index("column")["median or most frequent"]
    assert not set(cells) & set(RAW)
    assert cells["email"] == "not shown (identifier)" and cells["city"].startswith("not shown")
    assert cells["plan"] == "basic" and cells["visits"] == "4.5"


@pytest.fixture
def shared(ws):
    """A project on PEOPLE after one training job: the recipe leaves the identifiers out; city and note are features."""
    previous = signal.getsignal(signal.SIGTERM)
    project = ws.create_project("People")
    projects.import_file(ws, project["id"], PEOPLE.to_csv(index=False).encode(), "people.csv")
    projects.set_problem(ws, project["id"], Problem("churned", "classification", "accuracy"))
    projects.save_settings(ws, project["id"], {"models": ["linear"], "cv_folds": 0})
    job = ws.create_job(project["id"], "train")
    run_training_job(ws, job["id"])
    signal.signal(signal.SIGTERM, previous)
    token, _ = sharing.create_share(ws, project["id"], "board", allow_predict=True, now=T0)
    return project["id"], token


def test_the_shared_report_and_form_show_no_raw_values(ws, shared):
    project_id, token = shared
    page = project_html(sharing.report_data(ws, project_id, now=T0))
    assert not [value for value in RAW if value in page]
    model_id = sharing.report_data(ws, project_id, now=T0).champion.model_id
    fields = {f.name: f for f in sharing.prediction_form(ws, model_id)}
    for field in fields.values():
        assert field.value not in RAW and not set(field.options or []) & set(RAW)
    assert fields["plan"].options == ["basic", "premium"]


def test_shared_predictions_stay_out_of_drift_batches_and_are_rate_limited(ws, shared):
    project_id, token = shared
    model_id = sharing.report_data(ws, project_id, now=T0).champion.model_id
    row = {"plan": "basic", "visits": 3}
    for i in range(sharing.PREDICTIONS_PER_MINUTE):
        sharing.predict_shared(ws, token, row, now=T0 + timedelta(seconds=i))
    with pytest.raises(ShareError, match=r"20 predictions in the last minute, its limit; try again in 41 seconds"):
        sharing.predict_shared(ws, token, row, now=T0 + timedelta(seconds=20))
    assert len(sharing.predict_shared(ws, token, row, now=T0 + timedelta(seconds=61))) == 1  # the minute moved on
    assert ws.list_prediction_log(model_id) == []
    assert [b for b in monitoring.incoming_batches(ws, model_id) if b["source"] == "rest"] == []
