"""Issue 17, one winner everywhere: the model a run's training chose (and Train named) is the one Evaluate proposes
as the champion and the one Deploy and Monitor open on until a champion is confirmed.

Most tests build the runs by hand (two-fold cross-validated and validation ROC-AUC scores chosen to disagree); the
last one trains on messy_customers.csv, where they disagree too.
"""

from __future__ import annotations

import pytest

from engine import Problem
from usecases import evaluation, projects, sharing
from usecases.training import run_training_job
from usecases.tuning import run_choice

CHOSEN_BY_CV = {  # family: (cv_scores, validation ROC-AUC); the forest leads over the folds, the linear model on
    "baseline": ([0.5, 0.5], 0.5),  # the validation rows
    "linear": ([0.80, 0.82], 0.90),
    "random_forest": ([0.86, 0.88], 0.85),
}


def _run(ws, pid: int, models: dict[str, tuple[list[float], float]], winner: str | None) -> dict[str, int]:
    """A finished run of ``models`` as training stores it, its ``winner`` recorded (None: a run from before runs
    kept one); returns the model ids by family."""
    run = ws.add_run(pid, problem={"task": "classification", "target": "churned", "metric": "roc_auc"})
    ids = {family: ws.add_model(pid, run["id"], family=family, status="ok", cv_scores=cv,
                                valid_metrics={"roc_auc": valid})["id"]
           for family, (cv, valid) in models.items()}
    if winner is not None:
        ws.update_run(run["id"], winner_model_id=ids[winner])
    return ids


def test_the_runs_winner_is_proposed_not_the_best_on_validation(ws, project):
    """Regression: Evaluate proposed the linear model (best on validation) while Train named the forest."""
    pid = project["id"]
    ids = _run(ws, pid, CHOSEN_BY_CV, winner="random_forest")
    assert evaluation.leaderboard(ws, pid)["model_id"].iloc[0] == ids["linear"]  # the leaderboard's first
    proposal = evaluation.proposed_champion(ws, pid)
    assert proposal == (ids["random_forest"],
                        f"No champion yet. #{ids['random_forest']} Random forest is the best model of the latest run "
                        "(run #1): the best cross-validated ROC-AUC, 0.8700 ± 0.0100 over 2 folds (validation "
                        "0.8500).")
    assert evaluation.opening_model(ws, pid) == ids["random_forest"]


def test_a_run_stored_before_runs_kept_their_winner_proposes_its_best_on_validation(ws, project):
    pid = project["id"]
    ids = _run(ws, pid, CHOSEN_BY_CV, winner=None)
    proposal = evaluation.proposed_champion(ws, pid)
    assert proposal.model_id == ids["linear"]
    assert proposal.text.endswith("is the best model of the latest run (run #1): validation ROC-AUC 0.9000.")


def test_a_winner_chosen_on_validation_says_so(ws, project):
    # a voting ensemble has no fold scores of its own, so its run chose on the validation rows
    pid = project["id"]
    ids = _run(ws, pid, {**CHOSEN_BY_CV, "ensemble": ([], 0.92)}, winner="ensemble")
    proposal = evaluation.proposed_champion(ws, pid)
    assert proposal.model_id == ids["ensemble"]
    assert proposal.text.endswith("Voting ensemble of the best models is the best model of the latest run (run #1): "
                                  "validation ROC-AUC 0.9200.")


def test_a_model_that_ties_with_the_baseline_the_run_chose_is_proposed(ws, project):
    # the run's rule takes the first of equal scores, the baseline; a model that learned as well is proposed
    pid = project["id"]
    ids = _run(ws, pid, {"baseline": ([0.5, 0.5], 0.5), "linear": ([0.4, 0.6], 0.55)}, winner="baseline")
    assert evaluation.proposed_champion(ws, pid).model_id == ids["linear"]
    ws.update_model(ids["linear"], cv_scores=[0.4, 0.58])
    assert evaluation.proposed_champion(ws, pid).model_id == ids["baseline"]  # nothing learned better


def test_the_winner_is_measured_against_the_champion_on_the_score_it_was_chosen_by(ws, project):
    pid = project["id"]
    ids = _run(ws, pid, CHOSEN_BY_CV, winner="random_forest")
    evaluation.set_champion(ws, pid, ids["linear"])  # better on validation, worse over the folds
    proposal = evaluation.proposed_champion(ws, pid)
    assert proposal.model_id == ids["random_forest"]
    assert proposal.text.endswith(f"The champion, #{ids['linear']} Logistic / linear regression, scores 0.8100 ± "
                                  "0.0100 cross-validated on the same run's folds.")
    assert evaluation.opening_model(ws, pid) == ids["linear"]  # the champion, confirmed by the analyst
    evaluation.set_champion(ws, pid, ids["random_forest"])
    assert evaluation.proposed_champion(ws, pid) is None


@pytest.mark.parametrize(("champion", "proposed", "says"), [
    (([0.90, 0.92], 0.80), False, None),  # a better cross-validated score: nothing to propose
    (([0.70, 0.72], 0.95), True, "scores 0.7100 ± 0.0100 cross-validated on its own run's (#1) folds."),
    (([], 0.95), False, None),  # no fold scores: the validation scores decide (0.85 < 0.95)
    (([], 0.80), True, "scores 0.8000 on its own run's (#1) validation rows."),
], ids=["better-cv", "worse-cv", "better-validation-no-cv", "worse-validation-no-cv"])
def test_a_champion_from_an_earlier_run(ws, project, champion, proposed, says):
    pid = project["id"]
    earlier = _run(ws, pid, {"linear": champion}, winner="linear")["linear"]
    evaluation.set_champion(ws, pid, earlier)
    latest = _run(ws, pid, CHOSEN_BY_CV, winner="random_forest")["random_forest"]
    proposal = evaluation.proposed_champion(ws, pid)
    assert (proposal is not None) == proposed
    if proposed:
        assert proposal.model_id == latest and proposal.text.endswith(says)


def test_without_a_trained_model_there_is_nothing_to_open(ws, project):
    assert evaluation.opening_model(ws, project["id"]) is None
    assert evaluation.proposed_champion(ws, project["id"]) is None


@pytest.mark.slow  # one training job of three families, 3-fold cross-validated
def test_train_evaluate_and_the_pages_name_the_same_winner(ws, project, keep_sigterm, data_dir):
    # messy_customers.csv, seed 1: the linear model leads over the folds, the forest on the 46 validation rows
    pid = project["id"]
    projects.import_file(ws, pid, (data_dir / "messy_customers.csv").read_bytes(), "messy_customers.csv")
    projects.set_problem(ws, pid, Problem("churned", "classification", "accuracy"))
    projects.save_settings(ws, pid, {"models": ["linear", "decision_tree", "random_forest"], "cv_folds": 3,
                                     "seed": 1})
    job = ws.create_job(pid, "train")
    run_training_job(ws, job["id"])
    models = {m["family"]: m for m in ws.list_models(pid)}
    winner = ws.list_runs(pid)[0]["winner_model_id"]
    assert winner == models["linear"]["id"]
    said = ws.get_job(job["id"])["message"]  # what Train says: the model and the score it was chosen by
    assert said.startswith("Done: the winner is Logistic / linear regression (cross-validated Accuracy 0.7942 ± "), said
    assert run_choice(ws, job["id"], "accuracy").winner == "linear"  # the Train page's results read the same
    board = evaluation.leaderboard(ws, pid)
    assert board["model_id"].iloc[0] == models["random_forest"]["id"]  # best on validation: not the winner
    proposal = evaluation.proposed_champion(ws, pid)
    assert proposal.model_id == winner and "the best cross-validated Accuracy" in proposal.text
    assert evaluation.opening_model(ws, pid) == winner
    report = sharing.report_data(ws, pid)  # a shared read-only report, no champion yet: the same model
    assert (report.champion.model_id, report.champion.chosen) == (winner, False)
