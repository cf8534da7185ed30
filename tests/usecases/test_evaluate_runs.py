"""Issue 17 item 8: the leaderboard by run with the baseline once, a champion proposed (never chosen) after a
better run, and the final test report with every metric at the saved threshold (tiny_churn.csv, two runs)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Problem, compute_metrics
from usecases import advice, evaluation, projects
from usecases.cli import main
from usecases.runs import prepare_run, run_inputs
from usecases.training import run_training_job

from .conftest import FAST_SETTINGS

pytestmark = pytest.mark.slow  # two training jobs


@pytest.fixture
def two_runs(ws, loaded, trained) -> tuple[int, int]:
    """``loaded`` trained twice: baseline + linear, then baseline + linear + random forest; (first, latest) run."""
    projects.save_settings(ws, loaded, {"models": ["linear", "random_forest"], "cv_folds": 0})
    job = ws.create_job(loaded, "train")
    run_training_job(ws, job["id"])
    first, latest = sorted(r["id"] for r in ws.list_runs(loaded))
    return first, latest


def test_the_baseline_is_listed_once_and_a_run_alone_on_request(ws, loaded, two_runs):
    first, latest = two_runs
    board = evaluation.leaderboard(ws, loaded)
    baselines = board[board["model"] == "baseline"]
    assert len(baselines) == 1 and baselines["run_id"].tolist() == [latest]
    assert set(board["run_id"]) == {first, latest} and len(board) == len(ws.list_models(loaded)) - 1
    assert evaluation.latest_run(board) == latest
    only_first = evaluation.leaderboard(ws, loaded, run_id=first)
    assert set(only_first["run_id"]) == {first}
    assert sorted(only_first["model"]) == ["baseline", "linear"]
    assert sorted(evaluation.leaderboard(ws, loaded, run_id=latest)["model"]) == ["baseline", "linear",
                                                                                   "random_forest"]


@pytest.fixture
def one_run(ws, loaded, keep_sigterm) -> int:
    """``loaded`` after one training job (baseline + linear) and nothing else: no champion confirmed."""
    advice.set_leak_kept(ws, loaded, "visits", True)  # as ``trained`` does: the linear model wins
    projects.save_settings(ws, loaded, FAST_SETTINGS)
    job = ws.create_job(loaded, "train")
    run_training_job(ws, job["id"])
    assert ws.get_job(job["id"])["status"] == "succeeded"
    return ws.list_runs(loaded)[0]["id"]


def test_a_run_chooses_no_champion_and_evaluate_proposes_its_best(ws, loaded, one_run):
    assert ws.get_project(loaded)["champion_model_id"] is None and ws.champion_history(loaded) == []
    best = int(evaluation.leaderboard(ws, loaded, run_id=one_run)["model_id"].iloc[0])
    assert ws.get_model(best)["family"] == "linear"
    proposal = evaluation.proposed_champion(ws, loaded)
    assert proposal.model_id == best
    assert proposal.text.startswith(f"No champion yet. #{best} Logistic / linear regression is the best model of "
                                    f"the latest run (run #{one_run})")
    assert evaluation.champion_origin(ws, loaded) is None  # nothing was chosen for the analyst
    evaluation.set_champion(ws, loaded, proposal.model_id)  # "Make champion" on Evaluate
    assert ws.get_project(loaded)["champion_model_id"] == best
    assert [(h["model_id"], h["reason"]) for h in ws.champion_history(loaded)] == [(best, "promote")]
    assert evaluation.proposed_champion(ws, loaded) is None and evaluation.champion_origin(ws, loaded) is None


def test_a_model_that_ties_with_the_baseline_is_proposed_not_the_baseline(ws, project, keep_sigterm, data_dir):
    # messy_customers.csv: on its 46 validation rows the linear model and the majority class are both right on 32
    pid = project["id"]
    projects.import_file(ws, pid, (data_dir / "messy_customers.csv").read_bytes(), "messy_customers.csv")
    projects.set_problem(ws, pid, Problem("churned", "classification", "accuracy"))
    projects.save_settings(ws, pid, FAST_SETTINGS)
    run_training_job(ws, ws.create_job(pid, "train")["id"])
    board = evaluation.leaderboard(ws, pid)
    assert board["model"].tolist() == ["baseline", "linear"]  # the tie is listed by model number
    assert board["validation"].iloc[0] == board["validation"].iloc[1]
    proposal = evaluation.proposed_champion(ws, pid)
    assert proposal.model_id == int(board["model_id"].iloc[1])
    assert f"#{proposal.model_id} Logistic / linear regression is the best model" in proposal.text


def test_the_command_line_says_where_to_choose_the_missing_champion(ws, loaded, one_run, capsys):
    assert main(["serve", "--workspace", str(ws.home), "--project", "Churn"]) == 1
    assert f"Project {loaded} has no champion to serve; choose one on Evaluate." in capsys.readouterr().err
    assert main(["monitor", "--workspace", str(ws.home)]) == 0
    assert "Churn: no champion: pick one on Evaluate to monitor it" in capsys.readouterr().out


def test_a_champion_an_older_version_chose_automatically_says_so(ws, loaded, one_run):
    best = int(evaluation.leaderboard(ws, loaded, run_id=one_run)["model_id"].iloc[0])
    ws.set_champion(loaded, best, reason="first")  # what versions before this one did after the first run
    origin = evaluation.champion_origin(ws, loaded)
    assert origin.startswith(f"#{best} Logistic / linear regression was made the champion automatically when run "
                             f"#{one_run} finished")
    assert evaluation.proposed_champion(ws, loaded) is None  # it is the best of the latest run
    baseline = next(m["id"] for m in ws.list_models(loaded) if m["family"] == "baseline")
    evaluation.set_champion(ws, loaded, baseline)  # the analyst's own (poor) choice
    assert evaluation.champion_origin(ws, loaded) is None
    assert evaluation.proposed_champion(ws, loaded).model_id == best


def test_a_better_run_is_proposed_and_only_the_analyst_makes_it_champion(ws, loaded, trained):
    baseline = next(m["id"] for m in ws.list_models(loaded) if m["family"] == "baseline")
    evaluation.set_champion(ws, loaded, baseline)  # an older, worse champion
    projects.save_settings(ws, loaded, {"models": ["linear", "random_forest"], "cv_folds": 0})
    job = ws.create_job(loaded, "train")
    run_training_job(ws, job["id"])
    first, latest = sorted(r["id"] for r in ws.list_runs(loaded))
    assert ws.get_project(loaded)["champion_model_id"] == baseline  # the better run chose nothing
    best = int(evaluation.leaderboard(ws, loaded, run_id=latest)["model_id"].iloc[0])
    proposal = evaluation.proposed_champion(ws, loaded)
    assert proposal.model_id == best
    assert f"best model of the latest run (run #{latest})" in proposal.text
    assert f"The champion, #{baseline} " in proposal.text and f"its own run's (#{first})" in proposal.text
    assert ws.get_project(loaded)["champion_model_id"] == baseline  # proposing changed nothing
    evaluation.set_champion(ws, loaded, best)
    assert ws.get_project(loaded)["champion_model_id"] == best
    assert evaluation.proposed_champion(ws, loaded) is None and evaluation.champion_origin(ws, loaded) is None


def test_the_final_test_report_has_every_metric_at_the_saved_threshold(ws, loaded, trained):
    champion = ws.get_project(loaded)["champion_model_id"]
    evaluation.set_threshold(ws, champion, 0.9)
    report = evaluation.final_test_report(ws, champion)
    assert report["decision_threshold"] == 0.9
    assert {"accuracy", "balanced_accuracy", "f1_macro", "mcc", "roc_auc", "pr_auc", "log_loss"} <= set(report)
    stored = prepare_run(run_inputs(ws, ws.get_run(ws.get_model(champion)["run_id"])))
    pipeline, card = ws.load_model(champion)
    X = stored.data.rows.iloc[stored.split.test][[f["name"] for f in card["features"]]]
    y = stored.data.y.iloc[stored.split.test]
    proba = pipeline.predict_proba(X)
    decided = np.where(proba[:, 1] >= 0.9, pipeline.classes_[1], pipeline.classes_[0])
    expected = compute_metrics("classification", y, decided, proba, list(pipeline.classes_))
    assert report["accuracy"] == pytest.approx(expected["accuracy"])
    assert report["roc_auc"] == pytest.approx(expected["roc_auc"])
