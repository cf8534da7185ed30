"""Explore, Prepare, Train, Evaluate and Deploy pages, each on a real project."""

from __future__ import annotations

import time

import pytest

from tests.pages.helpers import assert_clean, open_page
from usecases import jobs, projects


@pytest.mark.parametrize("page", ["explore", "prepare", "train", "evaluate", "deploy", "monitor"])
def test_stage_pages_ask_for_data_first(ws, page):
    project = ws.create_project("Empty")
    at = open_page(page, project["id"])
    assert_clean(at)
    assert "no data yet" in at.info[0].value


@pytest.mark.slow
def test_train_starts_a_background_job(ws, churn_project):
    at = open_page("train", churn_project["id"])
    at.multiselect[0].set_value(["linear"])
    at.number_input[0].set_value(2)
    at.button[0].click().run()
    assert_clean(at)
    [job] = ws.list_jobs(churn_project["id"])
    deadline = time.monotonic() + 120
    while jobs.refresh_job(ws, job["id"])["status"] in jobs.ACTIVE and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ws.get_job(job["id"])["status"] == "succeeded"
    at.run()
    assert "succeeded" in at.get("progress")[0].proto.text
    assert {m["family"] for m in ws.list_models(churn_project["id"])} == {"baseline", "linear"}


def test_evaluate_shows_leaderboard_and_scores_test_once(ws, trained_project):
    at = open_page("evaluate", trained_project["id"])
    assert_clean(at)
    board = at.dataframe[0].value
    assert list(board["model"]) == ["Logistic / linear regression", "Baseline (majority class / mean)"]
    assert board.loc[0, "validation"] > 0.7
    assert "Beats the baseline" in at.success[0].value
    at.button(key="evaluate_test").click().run()
    assert_clean(at)
    champion = ws.get_model(trained_project["champion_model_id"])
    assert champion["test_metrics"]["rows"] == 225
    assert at.metric[-1].label.startswith("test")


def test_deploy_scores_a_file_and_reports_missing_columns(ws, trained_project):
    at = open_page("deploy", trained_project["id"])
    assert_clean(at)
    assert [b.label for b in at.get("download_button")][:1] or at.get("download_button")
    frame = projects.project_frame(ws, trained_project["id"]).head(12).drop(columns=["churned"])
    at.file_uploader[0].upload("new.csv", frame.to_csv(index=False).encode(), "text/csv").run()
    assert_clean(at)
    assert "Scored 12 rows" in at.success[0].value
    scored = at.dataframe[0].value
    assert set(scored["prediction"]) <= {"yes", "no"}
    broken = frame.drop(columns=["plan"]).to_csv(index=False).encode()
    at.file_uploader[0].upload("broken.csv", broken, "text/csv").run()
    assert_clean(at)
    assert "plan" in at.error[0].value


def test_evaluate_regression_shows_predicted_vs_actual(ws):
    from usecases.training import run_training_job

    project = ws.create_project("Diabetes")
    projects.import_sample(ws, project["id"], "diabetes")
    projects.save_settings(ws, project["id"], {"models": ["linear"], "cv_folds": 2})
    job = ws.create_job(project["id"], "train")
    run_training_job(ws, job["id"])
    at = open_page("evaluate", project["id"])
    assert_clean(at)
    board = at.dataframe[0].value
    assert list(board["model"]) == ["Logistic / linear regression", "Baseline (majority class / mean)"]
    assert board.loc[0, "validation"] < board.loc[1, "validation"]
    specs = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert any("Predicted vs actual" in spec for spec in specs)
    assert any("Residuals vs predicted" in spec for spec in specs)
    assert [t.label for t in at.tabs] == ["Scores", "Plots", "Explain"]
