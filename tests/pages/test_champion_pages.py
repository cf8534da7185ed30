"""Issue 17 item 8: no training run chooses the champion. Evaluate proposes the best model of the latest run and
one click confirms it; until then Deploy and Monitor say what needs a champion and link to Evaluate."""

from __future__ import annotations

import pytest

from engine import Problem
from tests.pages.helpers import assert_clean, open_page
from usecases import evaluation, projects
from usecases.training import run_training_job


@pytest.fixture
def unconfirmed(ws, churn_project) -> int:
    """The churn project after one quick training job and nothing else; returns its id."""
    pid = churn_project["id"]
    projects.save_settings(ws, pid, {"models": ["linear"], "cv_folds": 0})
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded"
    assert ws.get_project(pid)["champion_model_id"] is None
    return pid


def _notices(at) -> list[str]:
    return [box.value for box in at.info if box.value.startswith("No champion chosen yet")]


@pytest.mark.parametrize(("page", "needs"), [
    ("deploy", "the REST server that follows the champion and the shared report need one"),
    ("monitor", "the scheduled checks and alerts, retraining and promotion need one"),
])
def test_without_a_champion_the_page_says_what_needs_one_and_where_to_choose_it(ws, unconfirmed, page, needs):
    at = open_page(page, unconfirmed)
    assert_clean(at)
    (notice,) = _notices(at)
    assert needs in notice
    assert "[link] Choose the champion on Evaluate" in [m.value for m in at.markdown]
    proposed = evaluation.proposed_champion(ws, unconfirmed).model_id
    assert at.selectbox(key=f"{page}_model").value == proposed  # the model Evaluate proposes, named as shown
    assert notice.endswith(f"Shown meanwhile: **#{proposed} Logistic / linear regression**, the best model of the "
                           "latest run, which Evaluate proposes: confirm it on **Evaluate**, or choose another.")


def test_evaluate_proposes_the_best_and_one_click_makes_it_the_champion(ws, unconfirmed):
    best = int(evaluation.leaderboard(ws, unconfirmed)["model_id"].iloc[0])
    at = open_page("evaluate", unconfirmed)
    assert_clean(at)
    (proposal,) = [box.value for box in at.info if box.value.startswith("No champion yet.")]
    assert f"#{best} Logistic / linear regression is the best model of the latest run" in proposal
    assert ws.get_project(unconfirmed)["champion_model_id"] is None  # showing the proposal chose nothing
    at.button(key="evaluate_propose_champion").click().run()
    assert_clean(at)
    assert ws.get_project(unconfirmed)["champion_model_id"] == best
    assert not [box for box in at.info if box.value.startswith("No champion yet.")]

    deploy = open_page("deploy", unconfirmed)
    assert_clean(deploy)
    assert _notices(deploy) == []
    assert deploy.selectbox(key="deploy_model").value == best


@pytest.mark.parametrize("page", ["deploy", "monitor"])
def test_without_a_champion_the_page_opens_on_the_runs_winner_not_the_leaderboards_first(ws, data_dir, page):
    """Regression: Deploy and Monitor opened on the best model on validation, not the one Evaluate proposes."""
    pid = ws.create_project("Messy customers")["id"]
    projects.import_file(ws, pid, (data_dir / "messy_customers.csv").read_bytes(), "messy_customers.csv")
    projects.set_problem(ws, pid, Problem("churned", "classification", "accuracy"))
    # seed 1: the linear model leads over the 3 folds, the forest on the validation rows
    projects.save_settings(ws, pid, {"models": ["linear", "random_forest"], "cv_folds": 3, "seed": 1})
    run_training_job(ws, ws.create_job(pid, "train")["id"])
    winner = ws.list_runs(pid)[0]["winner_model_id"]
    assert int(evaluation.leaderboard(ws, pid)["model_id"].iloc[0]) != winner
    at = open_page(page, pid)
    assert_clean(at)
    assert at.selectbox(key=f"{page}_model").value == winner
    assert f"#{winner} Logistic / linear regression (proposed)" in at.selectbox(key=f"{page}_model").options
    (notice,) = _notices(at)
    assert f"Shown meanwhile: **#{winner} Logistic / linear regression**" in notice
