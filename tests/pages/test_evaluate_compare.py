"""The Evaluate page's Compare section: leaderboard marks, two models side by side, the diff of two runs."""

from __future__ import annotations

import json

import pytest

from engine import Problem
from tests.pages.helpers import assert_clean, open_page
from usecases import advice, projects
from usecases.training import run_training_job


def _train(ws, pid: int, cv_folds: int) -> None:
    projects.save_settings(ws, pid, {"models": ["linear"], "cv_folds": cv_folds})
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded"


@pytest.fixture
def tiny_trained(ws, data_dir) -> int:
    """tiny_churn.csv (30 rows) with baseline and linear trained once, without CV; returns the project id."""
    pid = ws.create_project("Tiny churn")["id"]
    projects.import_file(ws, pid, (data_dir / "tiny_churn.csv").read_bytes(), "tiny_churn.csv")
    projects.set_problem(ws, pid, Problem("churned", "classification", "roc_auc"))
    advice.set_leak_kept(ws, pid, "visits", True)
    _train(ws, pid, cv_folds=0)
    return pid


def _table(at, column: str):
    """The first dataframe on the page that has ``column``."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


@pytest.mark.slow
def test_two_models_side_by_side(ws, tiny_trained):
    at = open_page("evaluate", tiny_trained)
    assert_clean(at)
    board = at.dataframe[0].value
    assert board["versus_best"].iloc[0] == "best"
    assert set(board["versus_best"]) <= {"best", "not clearly different", "clearly worse"}
    assert at.segmented_control(key="compare_view").value == "Two models"
    a, b = at.selectbox(key="compare_model_a").value, at.selectbox(key="compare_model_b").value
    assert b == board["model_id"].iloc[0] and a == board["model_id"].iloc[1]  # B is the best, A the runner-up
    table = _table(at, "verdict")
    assert table["label"].iloc[0] == "ROC-AUC"  # the project's metric first
    assert set(table["verdict"]) <= {"A better", "B better", "not clearly different"}
    assert any(m.value.startswith("On validation ROC-AUC, ") for m in at.markdown)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert sum(t.startswith(("A: #", "B: #")) and "ROC curve" in t for t in titles) == 2
    at.selectbox(key="compare_model_a").select(b).run()
    assert_clean(at)
    assert any(i.value == "Pick two different models." for i in at.info)
    at.segmented_control(key="compare_view").set_value("Two runs").run()
    assert_clean(at)
    assert any(i.value.startswith("This project has one run so far.") for i in at.info)


@pytest.mark.slow
def test_two_runs(ws, tiny_trained):
    pid = tiny_trained
    _train(ws, pid, cv_folds=2)
    at = open_page("evaluate", pid)
    at.segmented_control(key="compare_view").set_value("Two runs").run()
    assert_clean(at)
    assert (at.selectbox(key="compare_run_a").value, at.selectbox(key="compare_run_b").value) == (1, 2)
    diff = _table(at, "area")
    assert ("Settings", "CV folds", "0", "2") in list(diff[["area", "item", "a", "b"]].itertuples(index=False))
    assert set(diff["area"]) <= {"Settings", "Models", "Time"}
    identical = "These runs are identical in data, recipe and settings."
    assert identical not in [s.value for s in at.success]
    at.checkbox(key="compare_unchanged").check().run()
    assert_clean(at)
    assert {"Data", "Recipe", "Versions"} <= set(_table(at, "area")["area"])
    at.selectbox(key="compare_run_a").select(at.selectbox(key="compare_run_b").value).run()
    assert_clean(at)
    assert identical in [s.value for s in at.success]
