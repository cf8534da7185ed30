"""The start page's use cases: a sample project ready to train, and each project's stage and champion."""

from __future__ import annotations

import pytest

from engine.errors import DataError
from usecases import evaluation, projects, start
from usecases.training import run_training_job

from .conftest import FAST_SETTINGS


def test_the_sample_project_is_ready_to_train_and_opens_again(ws):
    project = start.open_sample_project(ws)
    assert project["name"] == "Breast cancer (sample)"
    assert projects.active_dataset(ws, project["id"])["n_rows"] == 569
    problem = projects.project_problem(ws, project["id"])
    assert (problem.target, problem.task) == ("diagnosis", "classification")
    assert project["recipe"] is not None  # proposed from the data, as Prepare would, so Train is next
    assert start.project_stage(ws, project) == "Train"
    assert start.open_sample_project(ws)["id"] == project["id"]  # a second click reopens it
    assert [p["name"] for p in projects.list_projects(ws)] == ["Breast cancer (sample)"]
    with pytest.raises(DataError, match="Unknown sample dataset 'credit'"):
        start.open_sample_project(ws, "credit")


def test_stages_follow_the_road(ws, project, loaded):
    empty = ws.create_project("Empty")
    assert start.project_stage(ws, empty) == "Data"
    assert start.project_stage(ws, ws.get_project(loaded)) == "Prepare"  # data and a target, no recipe yet
    projects.save_recipe(ws, loaded, projects.project_recipe(ws, loaded))
    assert start.project_stage(ws, ws.get_project(loaded)) == "Train"


@pytest.mark.slow
def test_recent_projects_show_stage_and_champion_score(ws, loaded, keep_sigterm):
    projects.save_settings(ws, loaded, FAST_SETTINGS)
    run_training_job(ws, ws.create_job(loaded, "train")["id"])
    ws.create_project("Newer")
    newer, churn = start.recent_projects(ws)  # most recently changed first
    assert (newer.name, newer.stage, newer.champion, newer.score) == ("Newer", "Data", None, None)
    assert (churn.name, churn.n_models, churn.stage, churn.champion) == ("Churn", 2, "Evaluate", None)  # no choice
    champion = next(m for m in ws.list_models(loaded) if m["family"] == "linear")
    evaluation.set_champion(ws, loaded, champion["id"])
    churn, newer = start.recent_projects(ws)  # choosing the champion changed the project
    value = champion["valid_metrics"]["accuracy"]
    assert (churn.stage, churn.champion) == ("Deploy", f"#{champion['id']} Logistic / linear regression")
    assert churn.score == f"validation Accuracy {value:.4f}"
    evaluation.final_test_report(ws, champion["id"])
    test_value = ws.get_model(champion["id"])["test_metrics"]["accuracy"]
    assert start.recent_projects(ws)[0].score == f"validation Accuracy {value:.4f} · test {test_value:.4f}"
    assert [p.name for p in start.recent_projects(ws, limit=1)] == ["Churn"]
